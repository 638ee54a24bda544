import { useState } from "preact/hooks";
import type { LiveSessionRow, RequestView } from "../../../shared/protocol.js";
import { customerLabel } from "../customer.js";
import { formatDuration, formatSessionNumber } from "../format.js";
import { hasKey, t } from "../i18n.js";
import { EyeIcon } from "../icons.js";
import { ConfirmDialog } from "../Modal.js";
import { showNotice, showTab, tabs, user } from "../state.js";
import { supervisorError, supervisorView } from "../supervisor.js";
import { type SuperviseHow, supervise } from "../team.js";
import { Elapsed, RequestTimer } from "../timers.js";
import { Pane } from "./Pane.js";
import { SelectableRow, Table } from "./Table.js";

/** The kind as a supervisor reads it: a targeted request is for someone, not for "you". */
function kindLabel(kind: string): string {
  if (kind === "targeted") return t("kindTargetedSupervisor");
  const key = `kind_${kind}`;
  return hasKey(key) ? t(key) : kind;
}

/**
 * For managers and admins: every live session of the account and every waiting request, with
 * Monitor, Join and Take over. The lists come from the server (refetched on each change).
 */
export function Supervisor() {
  const view = supervisorView.value;
  const error = supervisorError.value;
  const [confirm, setConfirm] = useState<LiveSessionRow | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [confirmError, setConfirmError] = useState<string | null>(null);

  const act = async (row: LiveSessionRow, how: SuperviseHow): Promise<string | null> => {
    setBusy(`${row.sessionId}:${how}`);
    const problem = await supervise(row.sessionId, how);
    setBusy(null);
    return problem;
  };

  const sessions = view?.sessions ?? [];
  const waiting = view?.waiting ?? [];
  return (
    <Pane
      id="supervisor"
      title={t("paneSupervisor")}
      count={view ? sessions.length : undefined}
      class="pane-supervisor"
    >
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {!view && !error && (
        <p class="empty" role="status">
          {t("loading")}
        </p>
      )}
      {view && (
        <>
          <p class="hint supervisor-told">
            <EyeIcon /> {view.tellCustomerMonitored ? t("supervisorToldYes") : t("supervisorToldNo")}
          </p>
          <h3 class="supervisor-heading" id="supervisor-live">
            {t("supervisorLive")} <span class="count">{sessions.length}</span>
          </h3>
          {sessions.length === 0 ? (
            <p class="empty">{t("supervisorNoSessions")}</p>
          ) : (
            <Table
              columns={[t("colName"), t("colAgent"), t("colHandleTime"), t("colTeam"), t("colStatus")]}
              actions
            >
              {sessions.map((row) => (
                <LiveRow
                  key={row.sessionId}
                  row={row}
                  busy={busy}
                  onAct={async (how) => {
                    const problem = await act(row, how);
                    if (problem) showNotice(problem);
                  }}
                  onTakeOver={() => {
                    setConfirmError(null);
                    setConfirm(row);
                  }}
                />
              ))}
            </Table>
          )}
          <h3 class="supervisor-heading" id="supervisor-waiting">
            {t("supervisorWaiting")} <span class="count">{waiting.length}</span>
          </h3>
          {waiting.length === 0 ? (
            <p class="empty">{t("incomingEmpty")}</p>
          ) : (
            <Table columns={[t("colTimer"), t("colName"), t("colPortal"), t("fieldKind"), t("colQuestion")]}>
              {waiting.map((r) => (
                <WaitingRow key={r.id} r={r} />
              ))}
            </Table>
          )}
        </>
      )}
      {confirm && (
        <ConfirmDialog
          title={t("takeOverTitle", { name: customerLabel(confirm.request) })}
          text={t("takeOverText", { agent: confirm.agentName })}
          confirm={t("takeOver")}
          danger
          busy={busy === `${confirm.sessionId}:take-over`}
          error={confirmError}
          returnFocus={() => document.getElementById("supervisor-live")}
          onConfirm={async () => {
            const problem = await act(confirm, "take-over");
            if (problem) setConfirmError(problem);
            else setConfirm(null);
          }}
          onClose={() => setConfirm(null)}
        />
      )}
    </Pane>
  );
}

function LiveRow({
  row,
  busy,
  onAct,
  onTakeOver,
}: {
  row: LiveSessionRow;
  busy: string | null;
  onAct: (how: SuperviseHow) => void;
  onTakeOver: () => void;
}) {
  const me = user.value?.id;
  const name = customerLabel(row.request);
  const mineOwner = row.agentId === me;
  const monitoring = row.monitors.some((m) => m.userId === me);
  const joined = row.participants.some((p) => p.userId === me);
  const hasTab = tabs.value.some((tab) => tab.session.id === row.sessionId);
  const rowBusy = busy?.startsWith(`${row.sessionId}:`) ?? false;
  const who = <span class="visually-hidden">{t("sessionWith", { name })}</span>;
  return (
    <SelectableRow request={row.request}>
      <td data-label={t("colName")}>
        <span class="cell-strong">{name}</span>
        <span class="muted small cell-sub">{row.request.portalName}</span>
        <span class="muted small mono cell-sub nowrap">{formatSessionNumber(row.request.sessionNumber)}</span>
      </td>
      <td data-label={t("colAgent")}>{mineOwner ? t("you") : row.agentName}</td>
      <td class="nowrap" data-label={t("colHandleTime")}>
        <span class="mono">
          <Elapsed since={row.startedAt} />
        </span>
        <span class="muted small cell-sub">{t("waitedBefore", { time: formatDuration(row.waitedMs) })}</span>
      </td>
      <td data-label={t("colTeam")}>
        {row.participants.length === 0 && row.monitors.length === 0 ? (
          <span class="muted">—</span>
        ) : (
          <ul class="team-cell">
            {row.participants.map((p) => (
              <li key={p.userId}>{p.userId === me ? t("you") : p.name}</li>
            ))}
            {row.monitors.map((m) => (
              <li key={m.userId} class="team-monitor">
                <EyeIcon /> {m.userId === me ? t("you") : m.name}
                <span class="visually-hidden"> ({t("memberMonitor")})</span>
              </li>
            ))}
          </ul>
        )}
      </td>
      <td data-label={t("colStatus")}>
        {row.transferPending && <span class="tag tag-transfer">{t("statusTransferPending")}</span>}
        {row.sharing && <span class="tag tag-sharing">{t("statusSharing")}</span>}
        {!row.transferPending && !row.sharing && <span class="muted">—</span>}
      </td>
      <td class="actions">
        <div class="button-row">
          {hasTab && (mineOwner || monitoring || joined) && (
            <button
              type="button"
              class="btn btn-small"
              onClick={(e) => {
                e.stopPropagation();
                showTab(row.sessionId);
                document.getElementById(`tab-${row.sessionId}`)?.focus();
              }}
            >
              {t("open")} {who}
            </button>
          )}
          {!mineOwner && !monitoring && !joined && (
            <button
              type="button"
              class="btn btn-small"
              disabled={rowBusy}
              onClick={(e) => {
                e.stopPropagation();
                onAct("monitor");
              }}
            >
              {t("monitor")} {who}
            </button>
          )}
          {!mineOwner && !joined && (
            <button
              type="button"
              class="btn btn-small"
              disabled={rowBusy}
              onClick={(e) => {
                e.stopPropagation();
                onAct("join");
              }}
            >
              {t("join")} {who}
            </button>
          )}
          {!mineOwner && (
            <button
              type="button"
              class="btn btn-small btn-danger"
              disabled={rowBusy}
              aria-haspopup="dialog"
              onClick={(e) => {
                e.stopPropagation();
                onTakeOver();
              }}
            >
              {t("takeOver")} {who}
            </button>
          )}
        </div>
      </td>
    </SelectableRow>
  );
}

function WaitingRow({ r }: { r: RequestView }) {
  return (
    <SelectableRow request={r} class={`kind-${r.kind}`}>
      <td class="nowrap" data-label={t("colTimer")}>
        <RequestTimer createdAt={r.createdAt} deadlineAt={r.deadlineAt} targeted={r.kind === "targeted"} />
      </td>
      <td data-label={t("colName")}>{customerLabel(r)}</td>
      <td data-label={t("colPortal")}>{r.portalName}</td>
      <td data-label={t("fieldKind")}>{kindLabel(r.kind)}</td>
      <td class="question-cell" data-label={t("colQuestion")}>
        {r.question || <span class="muted">{t("noQuestion")}</span>}
      </td>
    </SelectableRow>
  );
}
