import type { ApiError } from "../../shared/api.js";
import { splitLinks } from "../../shared/chatText.js";
import {
  fill,
  formatWaited,
  messageText,
  type PortalTexts,
  type Problem,
  problemText,
  queueWaitText,
} from "../../shared/i18n/portal.js";
import { LIMITS } from "../../shared/model.js";
import type { ChatMessage, CustomerServerMessage, CustomerStatus } from "../../shared/protocol.js";
import { formatClock } from "../../shared/time.js";
import { $, $$, el } from "./dom.js";
import { CustomerPresence } from "./presence.js";
import { CustomerShare } from "./share.js";
import { RequestSocket } from "./socket.js";
import { bindSurvey, bindTranscriptEmail } from "./survey.js";

const LIVE_STATES = new Set(["waiting", "accepted"]);

/**
 * The request's page, live: the waiting time counts, a status change swaps in the server's
 * rendering of the new state (same window, no reload), and the chat sends and receives over the
 * socket. Messages are deduplicated by their sequence number and always put in as text.
 */
export function startRequestPage(t: PortalTexts, lang: string): void {
  const first = $("main[data-request]");
  if (!first) return;
  const requestId = first.dataset.request ?? "";
  const apiBase = `/api/v1/customer/requests/${encodeURIComponent(requestId)}`;

  let main = first;
  let state = main.dataset.state ?? "";
  let createdAt = Number(main.dataset.createdAt);
  let offset = Number(main.dataset.serverTime) - Date.now();
  let lastSeq = 0;
  const seen = new Set<number>();
  const pending = new Map<string, { body: string; after: number }>();
  let refCounter = 0;
  let wasDown = false;
  const share = new CustomerShare(t, (msg) => socket.send(msg));
  let directAsked = false;
  const presence = new CustomerPresence(t, (msg) => socket.send(msg));
  let lastStatus: CustomerStatus | null = null;
  /** Direct mode: the session view asks for the screen straight away (once per page). */
  const askIfDirect = () => {
    const st = lastStatus;
    if (directAsked || state !== "accepted" || !st || st.connectionMode !== "direct" || !st.upgradeEnabled)
      return;
    directAsked = true;
    share.ask();
  };

  // ── the view of the current state ─────────────────────────────────────────
  const list = () => $("[data-messages]", main);
  const scroller = () => $("[data-scroll]", main);
  const chatError = (problem: Problem | null) => {
    const err = $("#chat-error", main);
    const box = $("#chat-body", main);
    if (!err || !box) return;
    err.textContent = problem ? problemText(t, "body", problem) : "";
    err.hidden = !problem;
    if (problem) {
      box.setAttribute("aria-invalid", "true");
      box.setAttribute("aria-describedby", "chat-hint chat-error");
    } else {
      box.removeAttribute("aria-invalid");
      box.setAttribute("aria-describedby", "chat-hint");
    }
  };

  const messageItem = (m: ChatMessage): HTMLLIElement => {
    const body = el("p", { class: "msg-body" });
    for (const piece of splitLinks(messageText(t, m))) {
      body.append(
        piece.href
          ? el("a", { href: piece.href, target: "_blank", rel: "noopener noreferrer nofollow" }, piece.text)
          : piece.text,
      );
    }
    const time = el("time", { datetime: new Date(m.at).toISOString(), "data-at": String(m.at) });
    time.textContent = formatClock(m.at, lang);
    const name = m.sender === "customer" ? t.chatYou : m.authorName;
    const meta = name ? [el("span", { class: "msg-author" }, name), " ", time] : [time];
    const li = el("li", { class: `msg msg-${m.sender}`, "data-seq": String(m.seq) });
    if (m.event) li.dataset.event = m.event.kind;
    li.append(el("p", { class: "msg-meta" }, ...meta), body);
    return li;
  };

  const addMessage = (m: ChatMessage) => {
    if (seen.has(m.seq)) return;
    seen.add(m.seq);
    lastSeq = Math.max(lastSeq, m.seq);
    for (const [ref, p] of pending)
      if (m.sender === "customer" && p.body.trim() === m.body.trim()) pending.delete(ref);
    const ol = list();
    const box = scroller();
    if (!ol || !box) return;
    $("[data-empty]", ol)?.remove();
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    const item = messageItem(m);
    const later = $$("li[data-seq]", ol).find((li) => Number(li.dataset.seq) > m.seq);
    if (later) later.before(item);
    else ol.append(item);
    if (m.sender === "customer") presence.receipt(main);
    else if (m.sender === "agent") presence.agentSpoke(main);
    if (nearBottom || m.sender === "customer") box.scrollTop = box.scrollHeight;
  };

  const bindView = () => {
    state = main.dataset.state ?? state;
    createdAt = Number(main.dataset.createdAt);
    for (const li of $$("li[data-seq]", main)) {
      const seq = Number(li.dataset.seq);
      seen.add(seq);
      lastSeq = Math.max(lastSeq, seq);
    }
    for (const time of $$<HTMLTimeElement>("time[data-at]", main)) {
      time.textContent = formatClock(Number(time.dataset.at), lang);
    }
    const scroll = scroller();
    if (scroll) scroll.scrollTop = scroll.scrollHeight;
    if (state === "accepted") share.attach(main);
    else share.end();
    bindSurvey(main, t);
    bindTranscriptEmail(main, t);
    const form = $<HTMLFormElement>("form[data-chat]", main);
    const box = $<HTMLTextAreaElement>("#chat-body", main);
    if (form && box) {
      box.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          form.requestSubmit();
        }
      });
      box.addEventListener("input", () => presence.typing());
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        void send(box);
      });
    }
  };

  const send = async (box: HTMLTextAreaElement) => {
    const body = box.value;
    if (!body.trim()) return chatError({ code: "required", message: t.errMessageRequired });
    if (body.length > LIMITS.chatMessage) {
      return chatError({ code: "too_long", message: "", params: { limit: LIMITS.chatMessage } });
    }
    chatError(null);
    const ref = `m${++refCounter}`;
    presence.sent();
    if (socket.send({ type: "send", body, ref })) {
      pending.set(ref, { body, after: lastSeq });
      box.value = "";
      return;
    }
    // No socket right now: the REST route stores it just the same.
    try {
      const res = await fetch(`${apiBase}/messages`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ body }),
      });
      const answer = (await res.json().catch(() => null)) as (ChatMessage & ApiError) | null;
      if (res.ok && answer) {
        box.value = "";
        addMessage(answer);
      } else if (answer?.error === "session_ended") {
        void swap();
      } else {
        chatError(
          answer?.fields?.body ?? { code: answer?.error ?? "", message: answer?.message ?? t.errorGeneric },
        );
      }
    } catch {
      chatError({ code: "network", message: t.errorNetwork });
    }
  };

  /** After a dropped socket: messages sent but never acknowledged go back into the box unless stored. */
  const recoverPending = async () => {
    if (pending.size === 0) return;
    const since = Math.min(...Array.from(pending.values(), (p) => p.after));
    try {
      const res = await fetch(`${apiBase}/messages?since=${since}`, { credentials: "same-origin" });
      if (!res.ok) return;
      for (const m of (await res.json()) as ChatMessage[]) addMessage(m);
    } catch {
      return;
    }
    const box = $<HTMLTextAreaElement>("#chat-body", main);
    const lost = Array.from(pending.values(), (p) => p.body);
    pending.clear();
    if (box && lost.length > 0 && !box.value) box.value = lost.join("\n");
  };

  /**
   * The session went to another agent (a transfer, a hand-over): the heading and the tab's title
   * name who the customer talks to now, in place — no re-rendering, the focus and the draft stay.
   * The chat's own line ("You are now talking to …") is what a screen reader announces.
   */
  const showAgent = (agentName: string | null) => {
    if (state !== "accepted") return;
    const title = agentName ? fill(t.acceptedTitle, { agent: agentName }) : t.connectedTitle;
    const heading = $("h1", main);
    if (heading && heading.textContent !== title) heading.textContent = title;
    if (document.title !== title) document.title = title;
  };

  // ── state changes: the server renders the new state, swapped in place ──────
  let swapping = false;
  let again = false;
  const swap = async (): Promise<void> => {
    if (swapping) {
      again = true;
      return;
    }
    swapping = true;
    try {
      const res = await fetch(window.location.pathname, {
        credentials: "same-origin",
        headers: { accept: "text/html" },
      });
      const doc = new DOMParser().parseFromString(await res.text(), "text/html");
      const next = doc.querySelector<HTMLElement>("main[data-request]");
      if (!res.ok || !next) {
        window.location.reload();
        return;
      }
      const draft = $<HTMLTextAreaElement>("#chat-body", main)?.value ?? "";
      const adopted = document.adoptNode(next);
      main.replaceWith(adopted);
      main = adopted;
      document.title = doc.title;
      bindView();
      const box = $<HTMLTextAreaElement>("#chat-body", main);
      if (box && draft) box.value = draft;
      $("h1", main)?.focus();
      if (state === "accepted") socket.send({ type: "history", since: lastSeq });
      askIfDirect();
      if (!LIVE_STATES.has(state)) socket.stop();
    } catch {
      window.setTimeout(() => void swap(), 2000);
    } finally {
      swapping = false;
      if (again) {
        again = false;
        void swap();
      }
    }
  };

  const onMessage = (msg: CustomerServerMessage) => {
    switch (msg.type) {
      case "status":
        offset = msg.status.serverTime - Date.now();
        createdAt = msg.status.createdAt;
        lastStatus = msg.status;
        share.setIceServers(msg.status.iceServers);
        if (msg.status.state !== state) void swap();
        else {
          showAgent(msg.status.agentName);
          askIfDirect();
        }
        return;
      case "share":
      case "share.viewer":
      case "rtc":
      case "pointer":
        share.onMessage(msg);
        return;
      case "message":
        addMessage(msg.message);
        presence.tell(lastSeq);
        return;
      case "typing":
        // Several agents may be in the session: the server names the one typing.
        presence.agentTyping(main, msg.name ?? lastStatus?.agentName ?? "");
        return;
      case "receipt":
        presence.receipt(main, msg.receipt);
        return;
      case "queue": {
        const position = $("[data-queue-position]", main);
        const wait = $("[data-queue-wait]", main);
        if (position) position.textContent = String(msg.position);
        if (wait) wait.textContent = queueWaitText(t, msg.waitMinutes);
        return;
      }
      case "session.ended":
        if (state === "accepted") void swap();
        return;
      case "ack":
        if (msg.ref) pending.delete(msg.ref);
        return;
      case "error": {
        const mine = msg.ref ? pending.get(msg.ref) : undefined;
        if (msg.code === "session_ended") {
          void swap();
        } else if (mine && msg.ref) {
          pending.delete(msg.ref);
          const box = $<HTMLTextAreaElement>("#chat-body", main);
          if (box && !box.value) box.value = mine.body;
          chatError({ code: msg.code, message: msg.message });
        }
        return;
      }
    }
  };

  const connNote = (text: string) => {
    const note = $("[data-conn]", main);
    if (note) note.textContent = text;
  };

  bindView();
  const proto = window.location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new RequestSocket(
    () => `${proto}//${window.location.host}/ws?request=${encodeURIComponent(requestId)}&since=${lastSeq}`,
    {
      onMessage,
      onUp: () => {
        connNote("");
        if (state === "accepted") presence.tell(lastSeq);
        if (wasDown) void recoverPending();
        wasDown = false;
      },
      onDown: () => {
        wasDown = true;
        connNote(t.reconnecting);
      },
    },
  );
  if (!LIVE_STATES.has(state)) socket.stop();

  const seenAgain = () => {
    if (state === "accepted") presence.tell(lastSeq);
  };
  document.addEventListener("visibilitychange", seenAgain);
  // Leaving or reloading the page ends sharing: say so, rather than leave the agent with a lost connection.
  window.addEventListener("pagehide", () => share.stop());
  window.addEventListener("focus", seenAgain);

  window.setInterval(() => {
    const waited = $("[data-waited]", main);
    if (waited && state === "waiting") waited.textContent = formatWaited(Date.now() + offset - createdAt);
  }, 1000);
}
