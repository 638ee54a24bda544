import { useEffect, useRef } from "preact/hooks";
import { cannedManagerOpen } from "./CannedManager.js";
import { ct } from "./cannedTexts.js";
import { t } from "./i18n.js";
import { beep, enableNotifications, notificationPermission } from "./notify.js";
import { changeSettings, settings } from "./settings.js";
import { user } from "./state.js";

export function SettingsPanel({ onClose }: { onClose: () => void }) {
  const s = settings.value;
  const permission = notificationPermission.value;
  const ref = useRef<HTMLElement>(null);
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>("input, button")?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") close.current();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
  const status =
    permission === "granted"
      ? t("notificationsOn")
      : permission === "denied"
        ? t("notificationsDenied")
        : permission === "unsupported"
          ? t("notificationsUnsupported")
          : t("notificationsOff");
  return (
    <section id="settings-panel" class="settings-panel" aria-labelledby="settings-title" ref={ref}>
      <h2 id="settings-title">{t("settingsTitle")}</h2>
      <p class="muted">
        {t("signedInAs", { name: user.value?.displayName ?? "" })} ({user.value?.email})
      </p>
      <label class="check">
        <input
          type="checkbox"
          checked={s.sound}
          onChange={(e) => changeSettings({ sound: e.currentTarget.checked })}
        />
        {t("soundOnAlert")}
      </label>
      <label class="check">
        <input
          type="checkbox"
          checked={s.repeatSound}
          disabled={!s.sound}
          onChange={(e) => changeSettings({ repeatSound: e.currentTarget.checked })}
        />
        {t("soundRepeat")}
      </label>
      <button type="button" class="btn" onClick={() => beep()}>
        {t("testSound")}
      </button>
      <h3>{ct("managerTitle")}</h3>
      <button
        type="button"
        class="btn"
        aria-haspopup="dialog"
        onClick={() => {
          cannedManagerOpen.value = true;
          onClose();
        }}
      >
        {ct("managerOpen")}
      </button>
      <h3>{t("desktopNotifications")}</h3>
      <p class="muted">{status}</p>
      {permission === "default" && (
        <button type="button" class="btn" onClick={() => void enableNotifications()}>
          {t("enableNotifications")}
        </button>
      )}
      <div class="settings-close">
        <button type="button" class="btn btn-quiet" onClick={onClose}>
          {t("closeSettings")}
        </button>
      </div>
    </section>
  );
}
