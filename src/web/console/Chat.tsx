import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { LIMITS } from "../../shared/model.js";
import type { ChatMessage } from "../../shared/protocol.js";
import { EndForm } from "./EndForm.js";
import { transcriptUrl } from "./ended.js";
import { formatSessionNumber, formatTime } from "./format.js";
import { t } from "./i18n.js";
import { endSession, retryChat, sendChat } from "./live.js";
import { agentSent, agentTyping, receipts, TYPING_SHOWN_MS, tellReceipt, typingAt } from "./presence.js";
import { ScreenShare } from "./ScreenShare.js";
import { chatOf, closeTab, lastSeq, markRead, now, type PendingMessage, type SessionTab } from "./state.js";
import { Elapsed } from "./timers.js";

const URL_PATTERN = /(https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]])/g;

/** Plain text with web links made clickable; never HTML (Preact renders strings as text nodes). */
function Linkified({ text }: { text: string }) {
  const parts = text.split(URL_PATTERN);
  return (
    <>
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          <a key={i} href={part} target="_blank" rel="noopener noreferrer nofollow">
            {part}
          </a>
        ) : (
          part
        ),
      )}
    </>
  );
}

/** One session: what the customer asked, the conversation, the send box, and End session. */
export function Chat({ tab }: { tab: SessionTab }) {
  const s = tab.session;
  const r = s.request;
  const name = r.customerName || t("noName");
  const chat = chatOf(s.id);
  const logRef = useRef<HTMLDivElement>(null);
  const [ending, setEnding] = useState(false);
  const count = chat.messages.length + chat.pending.length;

  useLayoutEffect(() => {
    const el = logRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [count]);
  useEffect(() => {
    if (document.visibilityState === "visible") {
      markRead(s.id);
      tellReceipt(s.id, lastSeq(s.id), true);
    }
  }, [count, s.id]);

  return (
    <div class="chat">
      <div class="chat-head">
        <div class="chat-title">
          <h3>{name}</h3>
          <p class="muted">
            <span>{r.portalName}</span> · <span class="mono">{formatSessionNumber(r.sessionNumber)}</span> ·{" "}
            <span>{formatTime(s.startedAt)}</span>
            {!tab.ended && (
              <>
                {" "}
                (<Elapsed since={s.startedAt} />)
              </>
            )}
          </p>
          <p class="muted chat-transcript">
            <a href={transcriptUrl(s.id, "txt")} download>
              {t("transcriptTxt")}
            </a>{" "}
            ·{" "}
            <a href={transcriptUrl(s.id, "json")} download>
              {t("transcriptJson")}
            </a>
          </p>
        </div>
        {tab.ended ? (
          <button type="button" class="btn" onClick={() => closeTab(s.id)}>
            {t("closeTab")}
          </button>
        ) : (
          <button
            type="button"
            class="btn btn-danger"
            disabled={ending}
            onClick={async () => {
              setEnding(true);
              await endSession(s.id);
              setEnding(false);
            }}
          >
            {ending ? t("ending") : t("endSession")}
          </button>
        )}
      </div>
      {r.question && (
        <div class="chat-question">
          <strong>{t("question")}:</strong> <Linkified text={r.question} />
        </div>
      )}
      <ScreenShare sessionId={s.id} ended={tab.ended !== null} />
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable log must be reachable by keyboard (WCAG 2.1.1) */}
      <div class="chat-log" ref={logRef} role="log" aria-label={t("messages", { name })} tabIndex={0}>
        <ol class="chat-list">
          <li class="chat-note">
            {tab.joined
              ? t("customerJoined", { name })
              : t("sessionStarted", { time: formatTime(s.startedAt) })}
          </li>
          {chat.messages.map((m) => (
            <Message key={m.seq} m={m} sessionId={s.id} />
          ))}
          {chat.pending.map((p) => (
            <Pending key={p.ref} sessionId={s.id} p={p} />
          ))}
          {tab.ended && (
            <li class="chat-note chat-note-end">
              {tab.ended.by === "customer"
                ? t("endedByCustomer")
                : tab.ended.by === "agent"
                  ? t("endedByAgent")
                  : t("sessionEnded")}
            </li>
          )}
        </ol>
      </div>
      {!tab.ended && <TypingNote sessionId={s.id} name={name} />}
      {tab.ended ? <EndForm sessionId={s.id} /> : <Composer sessionId={s.id} name={name} />}
    </div>
  );
}

/** "Carla is typing…" for a few seconds after the customer's last keystroke. */
function TypingNote({ sessionId, name }: { sessionId: string; name: string }) {
  const at = typingAt.value[sessionId] ?? 0;
  const shown = at > 0 && Math.max(now.value, Date.now()) - at < TYPING_SHOWN_MS;
  return (
    <p class="typing-note" aria-live="polite">
      {shown ? t("isTyping", { name }) : ""}
    </p>
  );
}

function receiptText(sessionId: string, seq: number): string {
  const r = receipts.value[sessionId];
  if (r && seq <= r.read) return t("read");
  if (r && seq <= r.delivered) return t("delivered");
  return t("sent");
}

function Message({ m, sessionId }: { m: ChatMessage; sessionId: string }) {
  if (m.sender === "system") {
    return (
      <li class="chat-note">
        <Linkified text={m.body} />
      </li>
    );
  }
  const mine = m.sender === "agent";
  return (
    <li class={mine ? "msg msg-mine" : "msg msg-theirs"}>
      <div class="msg-meta">
        <span class="msg-author">{mine ? t("you") : m.authorName || t("customer")}</span>
        <time dateTime={new Date(m.at).toISOString()}>{formatTime(m.at)}</time>
        {mine && <span class="msg-status">{receiptText(sessionId, m.seq)}</span>}
      </div>
      <div class="msg-body">
        <Linkified text={m.body} />
      </div>
    </li>
  );
}

function Pending({ sessionId, p }: { sessionId: string; p: PendingMessage }) {
  return (
    <li class={`msg msg-mine msg-${p.status}`}>
      <div class="msg-meta">
        <span class="msg-author">{t("you")}</span>
        <time dateTime={new Date(p.at).toISOString()}>{formatTime(p.at)}</time>
        <span class="msg-status">
          {p.status === "sending"
            ? t("sending")
            : p.status === "sent"
              ? t("sent")
              : t("notSent", { message: p.error ?? "" })}
        </span>
        {p.status === "failed" && (
          <button type="button" class="link-button" onClick={() => retryChat(sessionId, p.ref)}>
            {t("retry")}
          </button>
        )}
      </div>
      <div class="msg-body">
        <Linkified text={p.body} />
      </div>
    </li>
  );
}

/** Unsent drafts by session, so switching tabs keeps what was typed. */
const drafts = new Map<string, string>();

function Composer({ sessionId, name }: { sessionId: string; name: string }) {
  const [text, setTextState] = useState(drafts.get(sessionId) ?? "");
  const setText = (value: string) => {
    drafts.set(sessionId, value);
    setTextState(value);
  };
  const [error, setError] = useState<string | null>(null);
  const inputId = `compose-${sessionId}`;
  const submit = () => {
    const problem = sendChat(sessionId, text);
    agentSent(sessionId);
    setError(problem);
    if (!problem && text.trim() !== "") setText("");
  };
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <label for={inputId} class="visually-hidden">
        {t("messageTo", { name })}
      </label>
      <textarea
        id={inputId}
        rows={2}
        value={text}
        maxLength={LIMITS.chatMessage}
        placeholder={t("messageTo", { name })}
        aria-describedby={`${inputId}-hint${error ? ` ${inputId}-error` : ""}`}
        onInput={(e) => {
          setText(e.currentTarget.value);
          agentTyping(sessionId);
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            submit();
          }
        }}
      />
      <button type="submit" class="btn btn-primary">
        {t("send")}
      </button>
      <p id={`${inputId}-hint`} class="hint composer-hint">
        {t("enterHint")}
      </p>
      {error && (
        <p id={`${inputId}-error`} class="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
