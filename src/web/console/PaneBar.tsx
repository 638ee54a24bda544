import { type MessageKey, t } from "./i18n.js";
import { PANES, type PaneId, panes, togglePane } from "./settings.js";
import { codePortals } from "./state.js";
import { canSupervise } from "./supervisor.js";

const TITLES: Record<PaneId, MessageKey> = {
  incoming: "paneIncoming",
  sessions: "paneSessions",
  supervisor: "paneSupervisor",
  details: "paneDetails",
  history: "paneHistory",
  offline: "paneOffline",
  codes: "paneCodes",
};

function paneTitle(id: PaneId): string {
  return t(TITLES[id]);
}

/** Which panes are shown: toggle buttons (pressed = shown), remembered in this browser. */
export function PaneBar() {
  const shown = panes.value;
  const visible = PANES.filter(
    (p) => (p !== "codes" || codePortals.value.length > 0) && (p !== "supervisor" || canSupervise.value),
  );
  return (
    <nav class="panebar" aria-label={t("panes")}>
      <span class="panebar-label" aria-hidden="true">
        {t("panes")}
      </span>
      <div class="panebar-buttons">
        {visible.map((id) => (
          <button
            key={id}
            type="button"
            class="chip"
            aria-pressed={shown[id]}
            aria-controls={shown[id] ? `pane-${id}` : undefined}
            onClick={() => togglePane(id)}
          >
            {paneTitle(id)}
          </button>
        ))}
      </div>
    </nav>
  );
}
