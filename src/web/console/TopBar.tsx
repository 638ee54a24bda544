import { useRef, useState } from "preact/hooks";
import { CannedManagerHost } from "./CannedManager.js";
import { t } from "./i18n.js";
import { LanguageSwitch } from "./LanguageSwitch.js";
import { setAvailable, signOut } from "./live.js";
import { SettingsPanel } from "./SettingsPanel.js";
import { availabilityBusy, available, user, waitingCount } from "./state.js";

/** Always in view: who is signed in, the Available switch, settings, language and sign-out. */
export function TopBar() {
  const [settingsOpen, setSettingsOpen] = useState(false);
  const settingsButton = useRef<HTMLButtonElement>(null);
  const on = available.value;
  const waiting = waitingCount.value;
  return (
    <header class="topbar">
      <div class="topbar-brand">
        <span class="brand-mark" aria-hidden="true">
          HG
        </span>
        <h1 class="brand-text">
          <strong>{t("brand")}</strong> <span class="muted">{t("consoleName")}</span>
        </h1>
        {waiting > 0 && (
          <span class="waiting-badge">
            {waiting} <span class="visually-hidden">{t("paneIncoming")}</span>
          </span>
        )}
      </div>
      <div class={on ? "availability is-on" : "availability"}>
        <label class="switch">
          <input
            type="checkbox"
            role="switch"
            checked={on}
            aria-checked={on}
            disabled={availabilityBusy.value}
            onChange={(e) => void setAvailable(e.currentTarget.checked)}
            aria-describedby="availability-hint"
          />
          <span class="switch-track" aria-hidden="true">
            <span class="switch-thumb" />
          </span>
          <span class="switch-label">{t("available")}</span>
        </label>
        <span id="availability-hint" class="availability-hint">
          {on ? t("availableHint") : t("unavailableHint")}
        </span>
      </div>
      <div class="topbar-tools">
        <span class="topbar-user" title={user.value?.email}>
          {t("signedInAs", { name: user.value?.displayName ?? "" })}
        </span>
        <LanguageSwitch />
        <button
          ref={settingsButton}
          type="button"
          class="btn btn-quiet"
          aria-expanded={settingsOpen}
          aria-controls="settings-panel"
          onClick={() => setSettingsOpen(!settingsOpen)}
        >
          {t("settings")}
        </button>
        <button type="button" class="btn btn-quiet" onClick={() => void signOut()}>
          {t("signOut")}
        </button>
      </div>
      <CannedManagerHost returnFocus={() => settingsButton.current} />
      {settingsOpen && (
        <SettingsPanel
          onClose={() => {
            setSettingsOpen(false);
            settingsButton.current?.focus();
          }}
        />
      )}
    </header>
  );
}
