import { splitLinks } from "../../../shared/chatText.js";
import { messageText, type PortalTexts } from "../../../shared/i18n/portal.js";
import type { Language } from "../../../shared/model.js";
import type { ChatMessage } from "../../../shared/protocol.js";
import { formatClock } from "../../../shared/time.js";

/** Server-side clock text (the console's formatter); the bundle rewrites it in the customer's own time zone. */
function clock(lang: Language, at: number): string {
  return formatClock(at, lang);
}

/** Message text as text; only http(s) links become anchors (never HTML from what someone typed). */
export function MessageBody({ body }: { body: string }) {
  return (
    <p class="msg-body">
      {splitLinks(body).map((piece, i) =>
        piece.href ? (
          <a href={piece.href} target="_blank" rel="noopener noreferrer nofollow" key={String(i)}>
            {piece.text}
          </a>
        ) : (
          piece.text
        ),
      )}
    </p>
  );
}

export function MessageItem({ t, lang, m }: { t: PortalTexts; lang: Language; m: ChatMessage }) {
  return (
    <li class={`msg msg-${m.sender}`} data-seq={m.seq} data-event={m.event?.kind}>
      <p class="msg-meta">
        <span class="msg-author">{m.sender === "customer" ? t.chatYou : m.authorName}</span>{" "}
        <time dateTime={new Date(m.at).toISOString()} data-at={m.at}>
          {clock(lang, m.at)}
        </time>
      </p>
      {/* A system line in the customer's language (its body is the English). */}
      <MessageBody body={messageText(t, m)} />
    </li>
  );
}

/** The conversation so far: a live log while the session runs, read-only afterwards. */
export function MessageList({
  t,
  lang,
  messages,
  live,
}: {
  t: PortalTexts;
  lang: Language;
  messages: ChatMessage[];
  live: boolean;
}) {
  return (
    <div
      class="messages"
      role="log"
      aria-label={t.chatMessages}
      aria-live={live ? "polite" : "off"}
      tabindex={0}
      data-scroll
    >
      <ol class="message-list" data-messages>
        {messages.length === 0 && live ? (
          <li class="msg-empty" data-empty>
            {t.chatEmpty}
          </li>
        ) : null}
        {messages.map((m) => (
          <MessageItem t={t} lang={lang} m={m} key={m.seq} />
        ))}
      </ol>
    </div>
  );
}

export function TranscriptLinks({ t, requestId }: { t: PortalTexts; requestId: string }) {
  const base = `/api/v1/customer/requests/${encodeURIComponent(requestId)}/transcript`;
  return (
    <p class="transcript-links small">
      <a href={`${base}?format=txt`} download>
        {t.transcriptTxt}
      </a>{" "}
      ·{" "}
      <a href={`${base}?format=json`} download>
        {t.transcriptJson}
      </a>
    </p>
  );
}

export interface ChatProps {
  t: PortalTexts;
  lang: Language;
  requestId: string;
  messages: ChatMessage[];
  draft: string;
  error?: string | undefined;
}

/** The live chat: messages, a textarea (Enter sends, Shift+Enter newline), Send, End session. */
export function ChatView({ t, lang, requestId, messages, draft, error }: ChatProps) {
  const described = ["chat-hint", ...(error ? ["chat-error"] : [])].join(" ");
  return (
    <section class="chat" aria-labelledby="chat-heading">
      <div class="chat-head">
        <h2 id="chat-heading">{t.chatHeading}</h2>
        <form method="post" action={`/r/${requestId}/end`} data-end>
          <button type="submit" class="secondary small-button">
            {t.chatEnd}
          </button>
        </form>
      </div>
      <MessageList t={t} lang={lang} messages={messages} live />
      <form method="post" action={`/r/${requestId}/messages`} class="composer" novalidate data-chat>
        <label for="chat-body" class="visually-hidden">
          {t.chatInput}
        </label>
        <div class="composer-row">
          <textarea
            id="chat-body"
            name="body"
            rows={2}
            placeholder={t.chatPlaceholder}
            aria-describedby={described}
            aria-invalid={error ? "true" : undefined}
          >
            {draft}
          </textarea>
          <button type="submit" class="primary">
            {t.chatSend}
          </button>
        </div>
        <p class="hint" id="chat-hint">
          {t.chatHint}
        </p>
        <p class="field-error" id="chat-error" hidden={!error}>
          {error ?? ""}
        </p>
      </form>
      <TranscriptLinks t={t} requestId={requestId} />
      <noscript>
        <p class="muted small">
          <a href={`/r/${requestId}`}>{t.chatReloadNote}</a>
        </p>
      </noscript>
    </section>
  );
}
