import type { RequestView } from "../../shared/protocol.js";
import { formatDuration, formatSessionId } from "./format.js";
import { t } from "./i18n.js";
import { accept, decline } from "./live.js";
import { alerts, closeAlert, now, select, tabs } from "./state.js";

/**
 * The alert pop-ups, stacked in a corner: yellow broadcast, green targeted (blue invitation and
 * orange transfer are styled for the issues that bring them). Each closes itself after 30 s; the
 * request stays listed in Incoming.
 */
export function AlertPopups() {
  const list = alerts.value;
  if (list.length === 0) return null;
  return (
    <section
      class={`alert-stack ${tabs.value.length > 0 ? "beside-chat" : ""}`}
      aria-label={t("alertsRegion")}
    >
      {list.map((a) => (
        <AlertPopup key={a.request.id} r={a.request} />
      ))}
    </section>
  );
}

function AlertPopup({ r }: { r: RequestView }) {
  const name = r.customerName || t("noName");
  const titleId = `alert-${r.id}-title`;
  const descId = `alert-${r.id}-desc`;
  const n = now.value;
  const targeted = r.kind === "targeted";
  return (
    <section
      class={`alert-popup alert-${r.kind}`}
      role="alertdialog"
      aria-modal="false"
      aria-labelledby={titleId}
      aria-describedby={descId}
    >
      <header class="alert-head">
        <h2 id={titleId}>{targeted ? t("alertTitleTargeted", { name }) : t("alertTitle", { name })}</h2>
        <button
          type="button"
          class="icon-button"
          aria-label={t("dismiss")}
          title={t("dismiss")}
          onClick={() => closeAlert(r.id)}
        >
          ×
        </button>
      </header>
      <div id={descId} class="alert-body">
        <p class="alert-meta">
          <span>{r.portalName}</span>
          <span class="mono">{formatSessionId(r.sessionId)}</span>
        </p>
        {r.question && <p class="alert-question">{r.question}</p>}
        <p class="alert-timer">
          {targeted && r.deadlineAt !== null
            ? t("alertLeft", { time: formatDuration(r.deadlineAt - n) })
            : t("alertWaited", { time: formatDuration(n - r.createdAt) })}
        </p>
      </div>
      <div class="alert-actions">
        <button type="button" class="btn btn-accept" onClick={() => void accept(r.id)}>
          {t("accept")}
        </button>
        <button type="button" class="btn" onClick={() => void decline(r.id)}>
          {t("decline")}
        </button>
        <button type="button" class="btn btn-quiet" onClick={() => select(r, true)}>
          {t("paneDetails")}
        </button>
      </div>
    </section>
  );
}
