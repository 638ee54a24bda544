import type { RequestView } from "../../../shared/protocol.js";
import { formatSessionId, formatTime } from "../format.js";
import { t } from "../i18n.js";
import { accept, acceptOffer } from "../live.js";
import { available, incoming, offer, select, selectedId, user } from "../state.js";
import { RequestTimer } from "../timers.js";
import { Pane } from "./Pane.js";

/** Waiting requests this agent may take, oldest first. */
export function Incoming() {
  const list = incoming.value;
  return (
    <Pane id="incoming" title={t("paneIncoming")} count={list.length}>
      {list.length === 0 ? (
        <p class="empty">{available.value ? t("incomingEmpty") : t("incomingEmptyUnavailable")}</p>
      ) : (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">{t("colTimer")}</th>
                <th scope="col">{t("colPortal")}</th>
                <th scope="col">{t("colSessionId")}</th>
                <th scope="col">{t("colPosted")}</th>
                <th scope="col">{t("colName")}</th>
                <th scope="col">{t("colQuestion")}</th>
                <th scope="col">
                  <span class="visually-hidden">{t("colActions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <IncomingRow key={r.id} r={r} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Pane>
  );
}

function IncomingRow({ r }: { r: RequestView }) {
  const name = r.customerName || t("noName");
  const targeted = r.kind === "targeted";
  const isSelected = selectedId.value === r.id;
  const held = offer.value;
  const offered = held && held.request.id === r.id ? held : null;
  return (
    <tr
      class={`${isSelected ? "is-selected" : ""} kind-${r.kind}`}
      aria-current={isSelected ? "true" : undefined}
      onClick={() => select(r)}
    >
      <td class="nowrap" data-label={t("colTimer")}>
        <RequestTimer createdAt={r.createdAt} deadlineAt={r.deadlineAt} targeted={targeted} />
      </td>
      <td data-label={t("colPortal")}>{r.portalName}</td>
      <td class="nowrap mono" data-label={t("colSessionId")}>
        {formatSessionId(r.sessionId)}
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
    </tr>
  );
}
