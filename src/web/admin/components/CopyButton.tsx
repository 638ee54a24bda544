import { useEffect, useState } from "preact/hooks";
import { copyText } from "../../common/copy.js";
import { t } from "../../common/i18n.js";
import { Icon } from "./Icon.js";

/** Copies a text and says so on the button itself ("Copied") and to screen readers. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const timer = setTimeout(() => setState("idle"), 2500);
    return () => clearTimeout(timer);
  }, [state]);
  const shown =
    state === "copied" ? t("portals.copied") : state === "failed" ? t("copy.failed") : t("portals.copy");
  return (
    <span class="copy">
      <button
        type="button"
        class={`button small secondary${state === "copied" ? " done" : ""}`}
        aria-label={state === "idle" ? label : shown}
        onClick={async () => setState((await copyText(text)) ? "copied" : "failed")}
      >
        <Icon name={state === "copied" ? "check" : "copy"} />
        {shown}
      </button>
      <span class="visually-hidden" role="status">
        {state === "copied" ? t("copy.done", { text }) : ""}
      </span>
    </span>
  );
}
