import type { RequestView } from "../../../shared/protocol.js";
import { customerLabel } from "../customer.js";
import { formatSessionNumber, formatTime } from "../format.js";
import { t } from "../i18n.js";
import { accept, acceptOffer } from "../live.js";
import { available, incoming, offer, select, user } from "../state.js";
import { RequestTimer } from "../timers.js";
import { Pane } from "./Pane.js";
import { SelectableRow, Table } from "./Table.js";

/** Waiting requests this agent may take, oldest first. */
export function Incoming() {
  const list = incoming.value;
  return (
    <Pane id="incoming" title={t("paneIncoming")} count={list.length}>
      {list.length === 0 ? (
        <p class="empty">{available.value ? t("incomingEmpty") : t("incomingEmptyUnavailable")}</p>
      ) : (
        <Table
          columns={[
            t("colTimer"),
            t("colPortal"),
            t("colSessionId"),
            t("colPosted"),
            t("colName"),
            t("colQuestion"),
          ]}
          actions
        >
          {list.map((r) => (
            <IncomingRow key={r.id} r={r} />
          ))}
        </Table>
      )}
    </Pane>
  );
}

function IncomingRow({ r }: { r: RequestView }) {
  const name = customerLabel(r);
  const targeted = r.kind === "targeted";
  const held = offer.value;
  const offered = held && held.request.id === r.id ? held : null;
  return (
    <SelectableRow request={r} class={`kind-${r.kind}`}>
      <td class="nowrap" data-label={t("colTimer")}>
        <RequestTimer createdAt={r.createdAt} deadlineAt={r.deadlineAt} targeted={targeted} />
      </td>
      <td data-label={t("colPortal")}>{r.portalName}</td>
      <td class="nowrap mono" data-label={t("colSessionId")}>
        {formatSessionNumber(r.sessionNumber)}
      </td>
      <td class="nowrap" data-label={t("colPosted")}>
        {formatTime(r.createdAt)}
      </td>
      <td data-label={t("colName")}>
        <button type="button" class="link-button" onClick={() => select(r)}>
          {name}
        </button>
        {targeted && r.targetAgentId === user.value?.id && (
          <span class="tag tag-targeted">{t("forYou")}</span>
        )}
      </td>
      <td class="question-cell" data-label={t("colQuestion")}>
        {r.question || <span class="muted">{t("noQuestion")}</span>}
      </td>
      <td class="actions">
        {r.kind !== "queue" || offered ? (
          <button
            type="button"
            class="btn btn-accept btn-small"
            onClick={(e) => {
              e.stopPropagation();
              if (offered) void acceptOffer(offered.id);
              else void accept(r.id);
            }}
          >
            {t("accept")} <span class="visually-hidden">{t("acceptRequestFrom", { name })}</span>
          </button>
        ) : (
          <span class="muted small">{t("queueOffered")}</span>
        )}
      </td>
    </SelectableRow>
  );
}
