import { customerLabel } from "../customer.js";
import { endedSessions, transcriptUrl } from "../ended.js";
import { formatDuration, formatSessionNumber, formatTime } from "../format.js";
import { hasKey, t } from "../i18n.js";
import { HISTORY_STATES, history, select, stats } from "../state.js";
import { TranscriptEmailButton } from "../TranscriptEmail.js";
import { Pane } from "./Pane.js";
import { SelectableRow, Table } from "./Table.js";

export function stateLabel(state: string): string {
  const key = `state_${state}`;
  return hasKey(key) ? t(key) : state;
}

function seconds(value: number | null | undefined): string {
  return value === null || value === undefined ? t("statNone") : formatDuration(value * 1000);
}

/** Today's requests with their outcome, and this agent's numbers for today. */
export function History() {
  const list = history.value;
  const s = stats.value;
  return (
    <Pane id="history" title={t("paneHistory")} count={list.length}>
      {/* Two scopes, each said: the agent's own figures, and the team's requests at their portals. */}
      <h3 class="stats-title">{t("statsMine")}</h3>
      <dl class="stats">
        <div>
          <dt>{t("statSessions")}</dt>
          <dd>{s?.sessionsToday ?? 0}</dd>
        </div>
        <div>
          <dt>{t("statAvgWait")}</dt>
          <dd>{seconds(s?.averageWaitSeconds)}</dd>
        </div>
        <div>
          <dt>{t("statAvgSession")}</dt>
          <dd>{seconds(s?.averageSessionSeconds)}</dd>
        </div>
      </dl>
      <h3 class="stats-title">{t("historyScope", { count: list.length })}</h3>
      {list.length > 0 && (
        <ul class="outcomes" aria-label={t("colOutcome")}>
          {HISTORY_STATES.map((state) => {
            const n = list.filter((r) => r.state === state).length;
            return n === 0 ? null : (
              <li key={state}>
                <span class={`state state-${state}`}>{stateLabel(state)}</span> {n}
              </li>
            );
          })}
        </ul>
      )}
      {list.length === 0 ? (
        <p class="empty">{t("historyEmpty")}</p>
      ) : (
        <Table
          columns={[
            t("colPosted"),
            t("colSessionId"),
            t("colName"),
            t("colPortal"),
            t("colOutcome"),
            t("colAgent"),
          ]}
        >
          {list.map((r) => (
            <SelectableRow key={r.id} request={r}>
              <td class="nowrap" data-label={t("colPosted")}>
                {formatTime(r.createdAt)}
              </td>
              <td class="nowrap mono" data-label={t("colSessionId")}>
                {formatSessionNumber(r.sessionNumber)}
              </td>
              <td data-label={t("colName")}>
                <button type="button" class="link-button" onClick={() => select(r)}>
                  {customerLabel(r)}
                </button>
              </td>
              <td data-label={t("colPortal")}>{r.portalName}</td>
              <td data-label={t("colOutcome")}>
                <span class={`state state-${r.state}`}>{stateLabel(r.state)}</span>
              </td>
              <td data-label={t("colAgent")}>{r.agentName ?? ""}</td>
            </SelectableRow>
          ))}
        </Table>
      )}
      <EndedSessions />
    </Pane>
  );
}

/** Today's ended sessions: outcome, duration, the customer's rating, and the transcript. */
function EndedSessions() {
  const list = endedSessions.value;
  return (
    <section class="ended-sessions" aria-labelledby="ended-sessions-title">
      <h3 id="ended-sessions-title">{t("endedSessions")}</h3>
      {list.length === 0 ? (
        <p class="empty">{t("endedEmpty")}</p>
      ) : (
        <Table
          columns={[
            t("colName"),
            t("colSessionId"),
            t("colOutcome"),
            t("colDuration"),
            t("colRating"),
            t("colTranscript"),
          ]}
        >
          {list.map((s) => (
            <tr key={s.id}>
              <td data-label={t("colName")}>{customerLabel(s.request)}</td>
              <td class="nowrap mono" data-label={t("colSessionId")}>
                {formatSessionNumber(s.request.sessionNumber)}
              </td>
              <td data-label={t("colOutcome")}>
                {s.outcome ? t(`outcome_${s.outcome}`) : t("noOutcome")}
                {s.ticket ? ` · #${s.ticket}` : ""}
              </td>
              <td class="nowrap" data-label={t("colDuration")}>
                {formatDuration(s.endedAt - s.startedAt)}
              </td>
              <td data-label={t("colRating")}>
                {s.rating ? t("ratingOf", { rating: s.rating }) : "—"}
                {s.comment ? ` — “${s.comment}”` : ""}
              </td>
              <td class="nowrap" data-label={t("colTranscript")}>
                <a href={transcriptUrl(s.id, "txt")} download>
                  TXT
                </a>{" "}
                ·{" "}
                <a href={transcriptUrl(s.id, "json")} download>
                  JSON
                </a>{" "}
                ·{" "}
                <TranscriptEmailButton
                  sessionId={s.id}
                  short
                  what={t("emailTranscriptFor", { name: customerLabel(s.request) })}
                />
              </td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
