import { useLayoutEffect, useRef } from "preact/hooks";
import type { ChatMessage, OfferView, RequestView } from "../../shared/protocol.js";
import { customerLabel } from "./customer.js";
import { formatDuration, formatSessionNumber, formatTime } from "./format.js";
import { t } from "./i18n.js";
import { LockIcon } from "./icons.js";
import { accept, acceptOffer, decline, declineOffer } from "./live.js";
import {
  alerts,
  closeAlert,
  dropTeamAlert,
  now,
  offer,
  offerNote,
  select,
  type TeamAlertPopup as TeamPopup,
  tabs,
  teamAlerts,
} from "./state.js";
import { systemText } from "./systemText.js";
import { acceptTeamAlert, declineTeamAlert } from "./team.js";

/**
 * The alert pop-ups, stacked in a corner: yellow broadcast, green targeted, orange transfer and
 * blue invitation from a colleague. A request's pop-up closes itself after 30 s (the request stays
 * listed in Incoming); a colleague's at its deadline.
 */
export function AlertPopups() {
  const list = alerts.value;
  const team = teamAlerts.value;
  const held = offer.value;
  const note = offerNote.value;
  const latest = team.filter((a) => a.closed === null).at(-1);
  // Says the newest colleague's alert out loud (the pop-up itself is not focused); it is always in
  // the page, so screen readers hear what is put into it.
  const announce = (
    <p class="visually-hidden" aria-live="assertive">
      {latest ? teamTitle(latest) : ""}
    </p>
  );
  if (list.length === 0 && team.length === 0 && !held && !note) return <>{announce}</>;
  return (
    <>
      {announce}
      <section
        class={`alert-stack ${tabs.value.length > 0 ? "beside-chat" : ""}`}
        aria-label={t("alertsRegion")}
      >
        {team.map((a) => (
          <TeamAlertPopup key={a.alert.id} p={a} />
        ))}
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
    </>
  );
}

function AlertPopup({ r }: { r: RequestView }) {
  const name = customerLabel(r);
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
  const name = customerLabel(r);
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

function teamTitle(p: TeamPopup): string {
  const name = customerLabel(p.alert.request);
  return p.alert.kind === "transfer" ? t("teamTitleTransfer", { name }) : t("teamTitleInvite", { name });
}

/**
 * A colleague's transfer (orange) or invitation (blue): the customer, the portal, who sends it and
 * their note, the conversation so far, the time left, Accept and Decline. The kind is in the title
 * too ("Transfer: …", "Invitation: …"): the colour is never the only sign.
 */
function TeamAlertPopup({ p }: { p: TeamPopup }) {
  const a = p.alert;
  const r = a.request;
  const transfer = a.kind === "transfer";
  const titleId = `team-${a.id}-title`;
  const descId = `team-${a.id}-desc`;
  const left = a.expiresAt - now.value;
  const from = a.fromName;
  const closed = p.closed;
  return (
    <section
      class={`alert-popup team-alert ${transfer ? "alert-transfer" : "alert-invitation"} ${closed ? "is-closed" : ""}`}
      role="alertdialog"
      aria-modal="false"
      aria-labelledby={titleId}
      aria-describedby={descId}
      data-team-alert={a.id}
    >
      <header class="alert-head">
        <h2 id={titleId}>
          <span class={`alert-kind ${transfer ? "kind-transfer" : "kind-invite"}`}>
            {transfer ? t("kind_transfer") : t("kind_invitation")}
          </span>{" "}
          {customerLabel(r)}
        </h2>
      </header>
      <div id={descId} class="alert-body">
        <p class="alert-meta">
          <span>{r.portalName}</span>
          <span class="mono">{formatSessionNumber(r.sessionNumber)}</span>
        </p>
        <p class="alert-from">
          {transfer
            ? a.portalName
              ? t("teamFromToPortal", { from, portal: a.portalName })
              : t("teamFromTransfer", { from })
            : t("teamFromInvite", { from })}
        </p>
        {a.note && (
          <blockquote class="alert-note">
            <span class="alert-note-label">{t("transferNoteFrom", { from })}</span> {a.note}
          </blockquote>
        )}
        <Excerpt messages={a.messages} question={r.question} id={a.id} customer={customerLabel(r)} />
        {closed ? (
          <p class="alert-closed">
            {closed.byName ? t("takenBy", { name: closed.byName }) : t(`teamClosed_${closed.reason}`)}
          </p>
        ) : (
          <>
            <p class={left < 10_000 ? "alert-timer timer-urgent" : "alert-timer"}>
              {t("teamLeft", { time: formatDuration(Math.max(0, left)) })}
            </p>
            <progress
              class={transfer ? "offer-progress progress-transfer" : "offer-progress progress-invite"}
              max={Math.max(1, a.expiresAt - a.createdAt)}
              value={Math.max(0, left)}
              aria-hidden="true"
            />
          </>
        )}
        {p.error && !closed && (
          <p class="form-error alert-error" role="alert">
            {p.error}
          </p>
        )}
      </div>
      <div class="alert-actions">
        {closed ? (
          <button type="button" class="btn" onClick={() => dropTeamAlert(a.id)}>
            {t("dismiss")}
          </button>
        ) : (
          <>
            <button
              type="button"
              class="btn btn-accept"
              disabled={p.busy}
              onClick={() => void acceptTeamAlert(a.id)}
            >
              {p.busy ? t("accepting") : transfer ? t("acceptTransfer") : t("acceptInvite")}
            </button>
            <button type="button" class="btn" disabled={p.busy} onClick={() => void declineTeamAlert(a.id)}>
              {t("decline")}
            </button>
          </>
        )}
      </div>
    </section>
  );
}

/** The conversation so far, scrolled to its end; private notes and agents-only lines stand out. */
function Excerpt({
  messages,
  question,
  id,
  customer,
}: {
  messages: ChatMessage[];
  question: string;
  id: string;
  customer: string;
}) {
  const ref = useRef<HTMLOListElement>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [messages.length]);
  const labelId = `team-${id}-excerpt`;
  return (
    <div class="excerpt-wrap">
      <p id={labelId} class="excerpt-title">
        {t("conversationSoFar")}
      </p>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable excerpt must be reachable by keyboard (WCAG 2.1.1) */}
      <ol class="excerpt" ref={ref} aria-labelledby={labelId} tabIndex={0}>
        {question && (
          <li class="ex ex-question">
            <span class="ex-author">{t("question")}:</span> {question}
          </li>
        )}
        {messages.length === 0 && <li class="ex ex-system">{t("noMessagesYet")}</li>}
        {messages.map((m) => (
          <ExcerptLine key={m.seq} m={m} customer={customer} />
        ))}
      </ol>
    </div>
  );
}

function ExcerptLine({ m, customer }: { m: ChatMessage; customer: string }) {
  const time = <span class="ex-time">{formatTime(m.at)}</span>;
  if (m.sender === "system") {
    return (
      <li class={m.visibility === "agents" ? "ex ex-system ex-agents" : "ex ex-system"}>
        {m.visibility === "agents" && <LockIcon />} {systemText(m)}
      </li>
    );
  }
  if (m.sender === "note") {
    return (
      <li class="ex ex-note">
        {time}{" "}
        <span class="ex-author">
          <LockIcon /> {m.authorName}
        </span>{" "}
        <span class="ex-note-label">({t("privateNoteShort")})</span>: {m.body}
      </li>
    );
  }
  return (
    <li class={m.sender === "customer" ? "ex ex-customer" : "ex ex-agent"}>
      {time} <span class="ex-author">{m.sender === "customer" ? customer : m.authorName}:</span> {m.body}
    </li>
  );
}
