import {
  fill,
  formatWaited,
  type PortalTexts,
  type Problem,
  problemText,
  queueWaitText,
  textsFor,
} from "../../../shared/i18n/portal.js";
import { type Language, LIMITS } from "../../../shared/model.js";
import {
  type AlertKind,
  type ChatMessage,
  type CustomerStatus,
  formatSessionNumber,
} from "../../../shared/protocol.js";
import type { PublicPortal } from "../../store/portals.js";
import { ChatView, MessageList, TranscriptLinks } from "./chatView.js";
import { renderPage } from "./Layout.js";
import { brandOf } from "./portalPage.js";
import { PortalShell } from "./portalShell.js";
import { TranscriptEmail, type TranscriptEmailModel } from "./transcriptEmail.js";

export interface QueuePlace {
  position: number;
  waitMinutes: number | null;
}

export interface RequestPageModel {
  lang: Language;
  portal: PublicPortal;
  status: CustomerStatus;
  kind: AlertKind;
  messages: ChatMessage[];
  queue?: QueuePlace | null;
  /** A chat message that was refused (no-JS post), with what was typed. */
  chatError?: Problem | null;
  draft?: string;
  /** "Get the transcript by email" after a session; null/absent: not offered (email off, no session). */
  transcriptEmail?: TranscriptEmailModel | null;
}

function SessionNumberFact({ t, sessionNumber }: { t: PortalTexts; sessionNumber: string }) {
  return (
    <div class="fact">
      <dt>{t.sessionId}</dt>
      <dd class="session-id">{formatSessionNumber(sessionNumber)}</dd>
    </div>
  );
}

function Waiting({ model, t }: { model: RequestPageModel; t: PortalTexts }) {
  const { status, kind, queue } = model;
  const next =
    kind === "queue"
      ? t.waitingNextQueue
      : kind === "targeted"
        ? t.waitingNextTargeted
        : t.waitingNextBroadcast;
  return (
    <>
      <div class="status-head">
        <span class="pulse" aria-hidden="true" />
        <h1 tabindex={-1}>{t.waitingTitle}</h1>
      </div>
      <p class="lead">{next}</p>
      <dl class="facts">
        <SessionNumberFact t={t} sessionNumber={status.sessionNumber} />
        <div class="fact">
          <dt>{t.timeWaited}</dt>
          <dd>
            <span role="timer" data-waited>
              {formatWaited(status.serverTime - status.createdAt)}
            </span>
          </dd>
        </div>
        {kind === "queue" ? (
          <>
            <div class="fact">
              <dt>{t.queuePosition}</dt>
              <dd data-queue-position>{queue ? String(queue.position) : "–"}</dd>
            </div>
            <div class="fact">
              <dt>{t.queueWait}</dt>
              <dd data-queue-wait>{queueWaitText(t, queue ? queue.waitMinutes : null)}</dd>
            </div>
          </>
        ) : null}
      </dl>
      <p class="hint">{t.sessionIdHint}</p>
      <form method="post" action={`/r/${status.requestId}/cancel`} class="actions" data-cancel>
        <button type="submit" class="secondary">
          {t.cancelRequest}
        </button>
      </form>
      <noscript>
        <p class="muted small">{t.refreshNote}</p>
      </noscript>
    </>
  );
}

function Accepted({ model, t }: { model: RequestPageModel; t: PortalTexts }) {
  const { status } = model;
  return (
    <>
      <h1 tabindex={-1}>
        {status.agentName ? fill(t.acceptedTitle, { agent: status.agentName }) : t.connectedTitle}
      </h1>
      <dl class="facts inline">
        <SessionNumberFact t={t} sessionNumber={status.sessionNumber} />
      </dl>
      <ChatView
        t={t}
        lang={model.lang}
        requestId={status.requestId}
        messages={model.messages}
        draft={model.draft ?? ""}
        error={model.chatError ? problemText(t, "body", model.chatError) : undefined}
      />
    </>
  );
}

interface Ending {
  title: string;
  text: string;
  links: { href: string; label: string; primary?: boolean }[];
}

function endingOf(model: RequestPageModel, t: PortalTexts): Ending {
  const slug = model.portal.slug;
  const portalUrl = `/p/${slug}`;
  const offlineUrl = `/p/${slug}/offline`;
  const canLeaveMessage = model.portal.type !== "code";
  switch (model.status.reason) {
    case "agent_unavailable":
      return {
        title: t.unavailableTitle,
        text: t.unavailableText,
        links: [
          { href: portalUrl, label: t.chooseAnother, primary: true },
          { href: offlineUrl, label: t.leaveMessage },
        ],
      };
    case "no_response":
      return {
        title: t.noResponseTitle,
        text: t.noResponseText,
        links: [
          ...(canLeaveMessage ? [{ href: offlineUrl, label: t.leaveMessage, primary: true }] : []),
          { href: portalUrl, label: t.newRequest },
        ],
      };
    case "canceled":
      return {
        title: t.canceledTitle,
        text: t.canceledText,
        links: [{ href: portalUrl, label: t.newRequest }],
      };
    case "offline":
      return {
        title: t.offlineSentTitle,
        text: t.offlineSentText,
        links: [{ href: portalUrl, label: t.backToPortal }],
      };
    default:
      return { title: t.endedTitle, text: t.endedText, links: [{ href: portalUrl, label: t.newRequest }] };
  }
}

/** The optional survey after the session: a 1–5 rating and a comment, sent once (by the bundle). */
function Survey({ t, requestId, done }: { t: PortalTexts; requestId: string; done: boolean }) {
  if (done) {
    return (
      <p class="notice" role="status">
        {t.surveyThanks}
      </p>
    );
  }
  return (
    <form class="survey notice" data-survey={requestId} novalidate aria-labelledby="survey-heading">
      <h2 id="survey-heading">{t.surveyTitle}</h2>
      <fieldset class="survey-rating">
        <legend>{t.surveyRating}</legend>
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={String(n)}>
            <input type="radio" name="rating" value={String(n)} /> {String(n)}
          </label>
        ))}
      </fieldset>
      <label for="survey-comment">{t.surveyComment}</label>
      <textarea id="survey-comment" name="comment" rows={3} maxLength={LIMITS.surveyComment} />
      <p class="field-error" id="survey-error" role="alert" hidden>
        {""}
      </p>
      <p>
        <button type="submit" class="primary">
          {t.surveySend}
        </button>
      </p>
    </form>
  );
}

function Ended({ model, t }: { model: RequestPageModel; t: PortalTexts }) {
  const ending = endingOf(model, t);
  return (
    <>
      <h1 tabindex={-1}>{ending.title}</h1>
      <p class="lead">{ending.text}</p>
      <dl class="facts inline">
        <SessionNumberFact t={t} sessionNumber={model.status.sessionNumber} />
      </dl>
      <p class="actions links">
        {ending.links.map((l) => (
          <a href={l.href} class={l.primary ? "button primary" : "button secondary"} key={l.href}>
            {l.label}
          </a>
        ))}
      </p>
      {model.status.state === "ended" && model.status.agentName ? (
        <Survey t={t} requestId={model.status.requestId} done={model.status.surveyed} />
      ) : null}
      {model.status.state === "ended" && model.transcriptEmail ? (
        <TranscriptEmail lang={model.lang} requestId={model.status.requestId} model={model.transcriptEmail} />
      ) : null}
      {model.messages.length > 0 ? (
        <section class="transcript" aria-labelledby="transcript-heading">
          <h2 id="transcript-heading">{t.transcript}</h2>
          <MessageList t={t} lang={model.lang} messages={model.messages} live={false} />
          <TranscriptLinks t={t} requestId={model.status.requestId} />
        </section>
      ) : null}
    </>
  );
}

/** GET /r/<id>: waiting (live status), accepted (chat), or how it ended — in the same window. */
export function requestPage(model: RequestPageModel): string {
  const t = textsFor(model.lang);
  const { status } = model;
  const lastSeq = model.messages.reduce((max, m) => Math.max(max, m.seq), 0);
  const waiting = status.state === "waiting";
  const title =
    status.state === "waiting"
      ? t.waitingTitle
      : status.state === "accepted"
        ? status.agentName
          ? fill(t.acceptedTitle, { agent: status.agentName })
          : t.connectedTitle
        : endingOf(model, t).title;
  return renderPage(
    <PortalShell
      lang={model.lang}
      t={t}
      title={title}
      brand={brandOf(model.portal)}
      head={
        waiting ? (
          <noscript>
            <meta http-equiv="refresh" content="10" />
          </noscript>
        ) : null
      }
    >
      <main
        id="main"
        class={`card request state-${status.state}`}
        data-request={status.requestId}
        data-state={status.state}
        data-created-at={String(status.createdAt)}
        data-server-time={String(status.serverTime)}
        data-last-seq={String(lastSeq)}
      >
        <p class="conn-note" role="status" data-conn>
          {""}
        </p>
        {waiting ? (
          <Waiting model={model} t={t} />
        ) : status.state === "accepted" ? (
          <Accepted model={model} t={t} />
        ) : (
          <Ended model={model} t={t} />
        )}
      </main>
    </PortalShell>,
  );
}
