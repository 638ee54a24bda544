import { effect } from "@preact/signals";
import { render } from "preact";
import { App } from "./App.js";
import { lang } from "./i18n.js";
import { boot } from "./live.js";
import { unlockAudioOnGesture } from "./notify.js";

effect(() => {
  document.documentElement.lang = lang.value;
});
unlockAudioOnGesture();

const root = document.getElementById("app");
if (root) {
  render(<App />, root);
  void boot();
}
