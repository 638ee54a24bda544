import type { OfferView, RequestView } from "../../shared/protocol.js";
import { formatDuration, formatSessionNumber } from "./format.js";
import { t } from "./i18n.js";
import { accept, acceptOffer, decline, declineOffer } from "./live.js";
import { alerts, closeAlert, now, offer, offerNote, select, tabs } from "./state.js";

/**
 * The alert pop-ups, stacked in a corner: yellow broadcast, green targeted (blue invitation and
 * orange transfer are styled for the issues that bring them). Each closes itself after 30 s; the
 * request stays listed in Incoming.
 */
export function AlertPopups() {
  const list = alerts.value;
  const held = offer.value;
  const note = offerNote.value;
  if (list.length === 0 && !held && !note) return null;
  return (
    <section
      class={`alert-stack ${tabs.value.length > 0 ? "beside-chat" : ""}`}
      aria-label={t("alertsRegion")}
    >
      {held && <OfferPopup o={held} />}
      {note && !held && (
        <p class="alert-popup alert-queue offer-note" role="status">
          {note.text}
        </p>
      )}
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
          <span class="mono">{formatSessionNumber(r.sessionNumber)}</span>
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

/** The queue offer this agent alone holds: yellow like broadcast, with its countdown. */
function OfferPopup({ o }: { o: OfferView }) {
  const r = o.request;
  const name = r.customerName || t("noName");
  const titleId = `offer-${o.id}-title`;
  const descId = `offer-${o.id}-desc`;
  const n = now.value;
  const left = o.expiresAt - n;
  return (
    <section
      class="alert-popup alert-queue offer-popup"
      role="alertdialog"
      aria-modal="false"
      aria-labelledby={titleId}
      aria-describedby={descId}
      data-offer-id={o.id}
    >
      <header class="alert-head">
        <h2 id={titleId}>{t("offerTitle", { name })}</h2>
      </header>
      <div id={descId} class="alert-body">
        <p class="alert-meta">
          <span>{r.portalName}</span>
          <span class="mono">{formatSessionNumber(r.sessionNumber)}</span>
          <span>{t("alertWaited", { time: formatDuration(n - r.createdAt) })}</span>
        </p>
        {r.question && <p class="alert-question">{r.question}</p>}
        <p class={left < 10_000 ? "alert-timer timer-urgent" : "alert-timer"}>
          {t("offerLeft", { time: formatDuration(Math.max(0, left)) })}
        </p>
        <progress
          class="offer-progress"
          max={Math.max(1, o.expiresAt - o.createdAt)}
          value={Math.max(0, left)}
          aria-hidden="true"
        />
      </div>
      <div class="alert-actions">
        <button type="button" class="btn btn-accept" onClick={() => void acceptOffer(o.id)}>
          {t("accept")}
        </button>
        <button type="button" class="btn" onClick={() => void declineOffer(o.id)}>
          {t("decline")}
        </button>
        <button type="button" class="btn btn-quiet" onClick={() => select(r, true)}>
          {t("paneDetails")}
        </button>
      </div>
    </section>
  );
}
