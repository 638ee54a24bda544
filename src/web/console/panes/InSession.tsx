import { customerLabel } from "../customer.js";
import { formatSessionNumber, formatTime } from "../format.js";
import { t } from "../i18n.js";
import { openSessions, showTab } from "../state.js";
import { Elapsed } from "../timers.js";
import { Pane } from "./Pane.js";
import { SelectableRow, Table } from "./Table.js";

/** This agent's open sessions; Open brings the session's tab to the front. */
export function InSession() {
  const list = openSessions.value;
  return (
    <Pane id="sessions" title={t("paneSessions")} count={list.length}>
      {list.length === 0 ? (
        <p class="empty">{t("sessionsEmpty")}</p>
      ) : (
        <Table
          columns={[t("colName"), t("colPortal"), t("colSessionId"), t("colStarted"), t("colDuration")]}
          actions
        >
          {list.map((s) => {
            const name = customerLabel(s.request);
            return (
              <SelectableRow key={s.id} request={s.request}>
                <td data-label={t("colName")}>
                  {name}
                  {s.role === "monitor" && <span class="tag tag-monitor">{t("memberMonitor")}</span>}
                  {s.role === "participant" && (
                    <span class="tag tag-participant">{t("participantShort")}</span>
                  )}
                  {s.transfer && <span class="tag tag-transfer">{t("transferShort")}</span>}
                </td>
                <td data-label={t("colPortal")}>{s.request.portalName}</td>
                <td class="nowrap mono" data-label={t("colSessionId")}>
                  {formatSessionNumber(s.request.sessionNumber)}
                </td>
                <td class="nowrap" data-label={t("colStarted")}>
                  {formatTime(s.startedAt)}
                </td>
                <td class="nowrap" data-label={t("colDuration")}>
                  <Elapsed since={s.startedAt} />
                </td>
                <td class="actions">
                  <button
                    type="button"
                    class="btn btn-small"
                    onClick={(e) => {
                      e.stopPropagation();
                      showTab(s.id);
                      document.getElementById(`tab-${s.id}`)?.focus();
                    }}
                  >
                    {t("open")} <span class="visually-hidden">{t("openSessionWith", { name })}</span>
                  </button>
                </td>
              </SelectableRow>
            );
          })}
        </Table>
      )}
    </Pane>
  );
}
