import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { LIMITS } from "../../shared/model.js";
import type { ChatMessage, RequestView } from "../../shared/protocol.js";
import { CannedCombobox, useCannedPicker } from "./CannedPicker.js";
import { ct } from "./cannedTexts.js";
import { customerLabel } from "./customer.js";
import { EndForm } from "./EndForm.js";
import { transcriptUrl } from "./ended.js";
import { formatSessionNumber, formatTime } from "./format.js";
import { t } from "./i18n.js";
import { EyeIcon, LockIcon } from "./icons.js";
import { endSession, retryChat, sendChat } from "./live.js";
import { agentSent, agentTyping, receipts, TYPING_SHOWN_MS, tellReceipt, typingAt } from "./presence.js";
import { ScreenShare } from "./ScreenShare.js";
import {
  chatOf,
  closeTab,
  isClosed,
  isOwnMessage,
  lastSeq,
  markRead,
  now,
  type PendingMessage,
  type SessionTab,
} from "./state.js";
import { systemText } from "./systemText.js";
import { LeftBanner, Members, TeamNotices, TransferPending } from "./TeamBar.js";
import { InviteDialog, TransferDialog } from "./TeamDialogs.js";
import { TranscriptEmailButton } from "./TranscriptEmail.js";
import { leaveSession, supervise } from "./team.js";
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

/**
 * One session: what the customer asked, the conversation, the send box, and End session. What the
 * viewer may do follows their role in it: the owner transfers, invites and ends; a colleague in it
 * chats and leaves; a supervisor monitoring reads and writes private notes only.
 */
export function Chat({ tab }: { tab: SessionTab }) {
  const s = tab.session;
  const r = s.request;
  const name = customerLabel(r);
  const chat = chatOf(s.id);
  const logRef = useRef<HTMLDivElement>(null);
  const [ending, setEnding] = useState(false);
  const [dialog, setDialog] = useState<"transfer" | "invite" | null>(null);
  const [busy, setBusy] = useState(false);
  const [joinError, setJoinError] = useState<string | null>(null);
  const count = chat.messages.length + chat.pending.length;
  const closed = isClosed(tab);
  const role = s.role;
  const titleId = `chat-title-${s.id}`;
  const backToTitle = () => document.getElementById(titleId);

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
    <div class={`chat chat-role-${role}`}>
      <div class="chat-head">
        <div class="chat-title">
          <h3 id={titleId} tabIndex={-1}>
            {name}
            {!closed && role === "monitor" && (
              <span class="role-badge role-monitor">
                <EyeIcon /> {t("monitoringBadge")}
              </span>
            )}
            {!closed && role === "participant" && (
              <span class="role-badge role-participant">{t("participantBadge")}</span>
            )}
          </h3>
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
            </a>{" "}
            · <TranscriptEmailButton sessionId={s.id} what={t("emailTranscriptFor", { name })} />
          </p>
        </div>
        <div class="chat-actions">
          {tab.ended && (
            <button type="button" class="btn" onClick={() => closeTab(s.id)}>
              {t("closeTab")}
            </button>
          )}
          {!closed && role === "owner" && (
            <>
              <button
                type="button"
                class="btn"
                disabled={s.transfer !== null}
                aria-haspopup="dialog"
                onClick={() => setDialog("transfer")}
              >
                {t("transfer")}
              </button>
              <button type="button" class="btn" aria-haspopup="dialog" onClick={() => setDialog("invite")}>
                {t("invite")}
              </button>
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
            </>
          )}
          {!closed && role === "monitor" && (
            <button
              type="button"
              class="btn"
              disabled={busy}
              onClick={async () => {
                setBusy(true);
                const problem = await supervise(s.id, "join");
                setBusy(false);
                if (problem) setJoinError(problem);
              }}
            >
              {t("joinConversation")}
            </button>
          )}
          {!closed && role !== "owner" && (
            <button
              type="button"
              class="btn"
              disabled={busy}
              onClick={async () => {
                setBusy(true);
                await leaveSession(s.id);
                setBusy(false);
              }}
            >
              {role === "monitor" ? t("stopMonitoring") : t("leaveSession")}
            </button>
          )}
        </div>
      </div>
      {joinError && (
        <p class="form-error chat-error" role="alert">
          {joinError}
        </p>
      )}
      <LeftBanner tab={tab} />
      {!closed && <TransferPending session={s} />}
      <TeamNotices tab={tab} />
      <Members tab={tab} />
      {r.question && (
        <div class="chat-question">
          <strong>{t("question")}:</strong> <Linkified text={r.question} />
        </div>
      )}
      <ScreenShare sessionId={s.id} ended={closed} role={role} />
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable log must be reachable by keyboard (WCAG 2.1.1) */}
      <div class="chat-log" ref={logRef} role="log" aria-label={t("messages", { name })} tabIndex={0}>
        <ol class="chat-list">
          <li class="chat-note">
            {tab.joined
              ? t("customerJoined", { name })
              : t("sessionStarted", { time: formatTime(s.startedAt) })}
          </li>
          {chat.messages.map((m) => (
            <Message key={m.seq} m={m} sessionId={s.id} customer={name} />
          ))}
          {chat.pending.map((p) => (
            <Pending key={p.ref} sessionId={s.id} p={p} />
          ))}
          {tab.ended && !tab.left && (
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
      {!closed && <TypingNote sessionId={s.id} name={name} />}
      {tab.ended && !tab.left && role === "owner" && <EndForm sessionId={s.id} />}
      {!closed && <Composer sessionId={s.id} request={r} name={name} notesOnly={role === "monitor"} />}
      {dialog === "transfer" && (
        <TransferDialog session={s} onClose={() => setDialog(null)} returnFocus={backToTitle} />
      )}
      {dialog === "invite" && (
        <InviteDialog session={s} onClose={() => setDialog(null)} returnFocus={backToTitle} />
      )}
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

function Message({ m, sessionId, customer }: { m: ChatMessage; sessionId: string; customer: string }) {
  if (m.sender === "system") {
    const agentsOnly = m.visibility === "agents";
    return (
      <li class={agentsOnly ? "chat-note chat-note-agents" : "chat-note"}>
        {agentsOnly && <LockIcon />}
        <Linkified text={systemText(m)} />
        {agentsOnly && <span class="visually-hidden"> ({t("agentsOnly")})</span>}
      </li>
    );
  }
  const mine = isOwnMessage(m);
  if (m.sender === "note")
    return <NoteBubble author={mine ? t("you") : m.authorName} at={m.at} body={m.body} mine={mine} />;
  // Agents' messages sit on the agents' side; a colleague's carry their name and a lighter colour.
  const agent = m.sender === "agent";
  const cls = !agent ? "msg msg-theirs" : mine ? "msg msg-mine" : "msg msg-mine msg-colleague";
  return (
    <li class={cls}>
      <div class="msg-meta">
        {/* The customer as the console names them everywhere (their name, or "Customer 230 521 685"). */}
        <span class="msg-author">{mine ? t("you") : m.sender === "customer" ? customer : m.authorName}</span>
        <time dateTime={new Date(m.at).toISOString()}>{formatTime(m.at)}</time>
        {agent && <span class="msg-status">{receiptText(sessionId, m.seq)}</span>}
      </div>
      <div class="msg-body">
        <Linkified text={m.body} />
      </div>
    </li>
  );
}

/** A private note: yellow, with a lock, and saying in words that the customer does not see it. */
function NoteBubble(props: {
  author: string;
  at: number;
  body: string;
  mine: boolean;
  status?: ComponentChildren;
  failed?: boolean;
}) {
  return (
    <li class={`msg msg-note ${props.mine ? "msg-mine" : "msg-theirs"} ${props.failed ? "msg-failed" : ""}`}>
      <div class="msg-meta">
        <span class="msg-author">{props.author}</span>
        <time dateTime={new Date(props.at).toISOString()}>{formatTime(props.at)}</time>
        {props.status}
      </div>
      <div class="msg-body">
        <span class="note-label">
          <LockIcon /> {t("privateNoteLabel")}
        </span>
        <Linkified text={props.body} />
      </div>
    </li>
  );
}

function Pending({ sessionId, p }: { sessionId: string; p: PendingMessage }) {
  const status = (
    <>
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
    </>
  );
  if (p.kind === "note") {
    return (
      <NoteBubble
        author={t("you")}
        at={p.at}
        body={p.body}
        mine
        status={status}
        failed={p.status === "failed"}
      />
    );
  }
  return (
    <li class={`msg msg-mine msg-${p.status}`}>
      <div class="msg-meta">
        <span class="msg-author">{t("you")}</span>
        <time dateTime={new Date(p.at).toISOString()}>{formatTime(p.at)}</time>
        {status}
      </div>
      <div class="msg-body">
        <Linkified text={p.body} />
      </div>
    </li>
  );
}

/** Unsent drafts by session, so switching tabs keeps what was typed. */
const drafts = new Map<string, string>();
/** Whether the send box writes a private note, by session (a monitor only writes notes). */
const noteModes = new Map<string, boolean>();

function Composer(props: { sessionId: string; request: RequestView; name: string; notesOnly: boolean }) {
  const { sessionId, name, notesOnly } = props;
  const [text, setTextState] = useState(drafts.get(sessionId) ?? "");
  const setText = (value: string) => {
    drafts.set(sessionId, value);
    setTextState(value);
  };
  const [noteMode, setNoteModeState] = useState(noteModes.get(sessionId) ?? false);
  const setNoteMode = (on: boolean) => {
    noteModes.set(sessionId, on);
    setNoteModeState(on);
  };
  const note = notesOnly || noteMode;
  const [error, setError] = useState<string | null>(null);
  const inputId = `compose-${sessionId}`;
  const inputRef = useRef<HTMLTextAreaElement>(null);
  // Canned responses: `/` opens the picker (CannedPicker.tsx); choosing one fills the box, never sends.
  const picker = useCannedPicker({ sessionId, request: props.request, text, setText, inputRef });
  const submit = () => {
    const problem = sendChat(sessionId, text, note ? "note" : "message");
    if (!note) agentSent(sessionId);
    setError(problem);
    if (!problem && text.trim() !== "") setText("");
  };
  const label = note ? t("noteTo") : t("messageTo", { name });
  return (
    <form
      class={note ? "composer composer-note" : "composer"}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      {notesOnly ? (
        <p class="composer-mode-note">
          <LockIcon /> {t("monitorNotesOnly")}
        </p>
      ) : (
        <fieldset class="composer-mode">
          <legend class="visually-hidden">{t("composeMode")}</legend>
          <label class={noteMode ? "compose-option" : "compose-option is-on"}>
            <input
              type="radio"
              name={`${inputId}-mode`}
              checked={!noteMode}
              onChange={() => {
                setNoteMode(false);
                inputRef.current?.focus();
              }}
            />
            {t("modeMessage")}
          </label>
          <label
            class={
              noteMode ? "compose-option compose-option-note is-on" : "compose-option compose-option-note"
            }
          >
            <input
              type="radio"
              name={`${inputId}-mode`}
              checked={noteMode}
              onChange={() => {
                setNoteMode(true);
                inputRef.current?.focus();
              }}
            />
            <LockIcon /> {t("modeNote")}
          </label>
        </fieldset>
      )}
      <label for={inputId} class="visually-hidden">
        {label}
      </label>
      <CannedCombobox picker={picker}>
        <textarea
          {...picker.inputProps}
          id={inputId}
          ref={inputRef}
          rows={2}
          value={text}
          maxLength={LIMITS.chatMessage}
          placeholder={note ? t("notePlaceholder") : t("messageTo", { name })}
          aria-describedby={`${inputId}-hint${error ? ` ${inputId}-error` : ""}`}
          onInput={(e) => {
            setText(e.currentTarget.value);
            // A private note is no business of the customer's: no typing mark for it.
            if (!note) agentTyping(sessionId);
          }}
          onKeyDown={(e) => {
            if (picker.onKeyDown(e)) return;
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              submit();
            }
          }}
        />
      </CannedCombobox>
      <button type="submit" class={note ? "btn btn-note" : "btn btn-primary"}>
        {note ? t("addNote") : t("send")}
      </button>
      <p id={`${inputId}-hint`} class="hint composer-hint">
        {note ? t("noteHint") : t("enterHint")} {ct("slashHint")}
      </p>
      {error && (
        <p id={`${inputId}-error`} class="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
