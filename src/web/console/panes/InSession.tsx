import { formatSessionId, formatTime } from "../format.js";
import { t } from "../i18n.js";
import { activeTab, markRead, openSessions, select, selectedId } from "../state.js";
import { Elapsed } from "../timers.js";
import { Pane } from "./Pane.js";

/** This agent's open sessions; Open brings the session's tab to the front. */
export function InSession() {
  const list = openSessions.value;
  return (
    <Pane id="sessions" title={t("paneSessions")} count={list.length}>
      {list.length === 0 ? (
        <p class="empty">{t("sessionsEmpty")}</p>
      ) : (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">{t("colName")}</th>
                <th scope="col">{t("colPortal")}</th>
                <th scope="col">{t("colSessionId")}</th>
                <th scope="col">{t("colStarted")}</th>
                <th scope="col">{t("colDuration")}</th>
                <th scope="col">
                  <span class="visually-hidden">{t("colActions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((s) => {
                const name = s.request.customerName || t("noName");
                const isSelected = selectedId.value === s.id;
                return (
                  <tr
                    key={s.id}
                    class={isSelected ? "is-selected" : undefined}
                    aria-current={isSelected ? "true" : undefined}
                    onClick={() => select(s.request)}
                  >
                    <td data-label={t("colName")}>{name}</td>
                    <td data-label={t("colPortal")}>{s.request.portalName}</td>
                    <td class="nowrap mono" data-label={t("colSessionId")}>
                      {formatSessionId(s.request.sessionId)}
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
                          activeTab.value = s.id;
                          markRead(s.id);
                          document.getElementById(`tab-${s.id}`)?.focus();
                        }}
                      >
                        {t("open")} <span class="visually-hidden">{t("openSessionWith", { name })}</span>
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Pane>
  );
}
