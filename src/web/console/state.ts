import { batch, computed, signal } from "@preact/signals";
import type { Portal, User } from "../../shared/api.js";
import type {
  AgentStats,
  ChatMessage,
  CodeView,
  ConsoleSnapshot,
  OfferView,
  QueueStat,
  RequestState,
  RequestView,
  SessionView,
  TeamAlert,
} from "../../shared/protocol.js";
import type { SocketStatus } from "./socket.js";

/**
 * The console's state as signals. The lists (incoming, sessions, history, offline, codes) are
 * replaced wholesale by every snapshot the server sends on (re)connect, and kept current between
 * snapshots by the live events; nothing is merged from memory across a reconnect.
 */

export type Phase = "loading" | "signed-out" | "operator" | "console";
export const phase = signal<Phase>("loading");
export const user = signal<User | null>(null);
/** Whether this server sends email (Me.emailEnabled): off, the email buttons say why they are disabled. */
export const emailEnabled = signal(false);
export const portals = signal<Portal[]>([]);

export const available = signal(false);
export const availabilityBusy = signal(false);
export const incoming = signal<RequestView[]>([]);
export const openSessions = signal<SessionView[]>([]);
export const history = signal<RequestView[]>([]);
export const offline = signal<RequestView[]>([]);
export const codes = signal<CodeView[]>([]);
export const stats = signal<AgentStats | null>(null);
export const snapshotCount = signal(0);

/** Server clock minus this browser's clock, so timers agree with the server's deadlines. */
export const clockOffset = signal(0);
/** The server's "now", ticking once a second. */
export const now = signal(Date.now());

export const connection = signal<SocketStatus>("closed");
/** A message everyone must see (role="alert"): a refused accept, a failed action. */
export const notice = signal<{ text: string; id: number } | null>(null);
let noticeId = 0;
export function showNotice(text: string): void {
  noticeId += 1;
  notice.value = { text, id: noticeId };
}

// ── alert pop-ups ─────────────────────────────────────────────────────────────
export const ALERT_VISIBLE_MS = 30_000;
export interface AlertPopup {
  request: RequestView;
  /** Browser clock when it appeared; it closes itself ALERT_VISIBLE_MS later. */
  shownAt: number;
}
export const alerts = signal<AlertPopup[]>([]);
/** Requests alerted and not yet answered by this agent: the sound repeats for these. */
export const ringing = signal<ReadonlySet<string>>(new Set());

// ── queue mode ────────────────────────────────────────────────────────────────
/** The queue offer this agent holds (one at a time), shown as a yellow pop-up with its timer. */
export const offer = signal<OfferView | null>(null);
/** A short note after an offer closed by itself (timed out, withdrawn); cleared after a while. */
export const offerNote = signal<{ text: string; at: number } | null>(null);
/** Each queue portal's line (length, oldest wait), by portal id. */
export const queues = signal<Record<string, QueueStat>>({});
export const takingNext = signal(false);

export function setQueueStat(stat: QueueStat): void {
  queues.value = { ...queues.value, [stat.portalId]: stat };
}

// ── selection (Details pane) ──────────────────────────────────────────────────
export const selectedId = signal<string | null>(null);
const selectedCache = signal<RequestView | null>(null);
export const selected = computed<RequestView | null>(() => {
  const id = selectedId.value;
  if (!id) return null;
  const found =
    incoming.value.find((r) => r.id === id) ??
    openSessions.value.find((s) => s.id === id)?.request ??
    history.value.find((r) => r.id === id) ??
    offline.value.find((r) => r.id === id);
  return found ?? (selectedCache.value?.id === id ? selectedCache.value : null);
});
export function select(request: RequestView, reveal = false): void {
  batch(() => {
    selectedCache.value = request;
    selectedId.value = request.id;
  });
  if (reveal)
    document.getElementById("pane-details")?.scrollIntoView({ block: "nearest", behavior: "smooth" });
}

// ── sessions and chat ─────────────────────────────────────────────────────────
export interface SessionTab {
  session: SessionView;
  ended: { at: number; by: "agent" | "customer" | null } | null;
  /** This agent is no longer in the live session (it went to a colleague, they were removed, they left). */
  left: { reason: "transferred" | "removed" | "left"; toName: string | null } | null;
  unread: number;
  /** A customer redeemed this agent's code: the chat shows "customer joined". */
  joined: boolean;
  /** What the owner should know (a declined transfer, an unanswered invitation), newest last. */
  notices: TeamNotice[];
}

export interface TeamNotice {
  id: number;
  kind: "transfer.declined" | "transfer.timed-out" | "invite.declined" | "invite.expired";
  name: string;
}

/** A tab whose chat is read-only for good: the session ended, or this agent is out of it. */
export function isClosed(tab: SessionTab): boolean {
  return tab.ended !== null || tab.left !== null;
}
export const tabs = signal<SessionTab[]>([]);
/**
 * Sessions this console is entering through teamwork right now (accepting a transfer or an
 * invitation, monitoring, joining, taking over): their tab gets the focus when session.started comes.
 */
export const joiningByMe = new Set<string>();
export const activeTab = signal<string | null>(null);

export interface PendingMessage {
  ref: string;
  /** A chat message to the customer, or a private note for the agents. */
  kind: "message" | "note";
  body: string;
  status: "sending" | "sent" | "failed";
  seq: number | null;
  error: string | null;
  /** The socket connection it went out on (null: not sent yet); an older one means the ack may be lost. */
  sentOn: number | null;
  /** The session's last sequence number when it was written, to look for it after a reconnect. */
  baseSeq: number;
  at: number;
}
export interface ChatState {
  messages: ChatMessage[];
  pending: PendingMessage[];
}
export const chats = signal<Record<string, ChatState>>({});

export function chatOf(sessionId: string): ChatState {
  return chats.value[sessionId] ?? { messages: [], pending: [] };
}
function setChat(sessionId: string, chat: ChatState): void {
  chats.value = { ...chats.value, [sessionId]: chat };
}
export function lastSeq(sessionId: string): number {
  const list = chatOf(sessionId).messages;
  return list.length === 0 ? 0 : (list[list.length - 1]?.seq ?? 0);
}

// ── derived ───────────────────────────────────────────────────────────────────
export const waitingCount = computed(() => incoming.value.length);
/** The agent's queue portals (the server sends a line for each) with their names. */
export const queueLines = computed(() => {
  const names = new Map(portals.value.map((p) => [p.id, p.name]));
  return Object.values(queues.value)
    .map((stat) => ({ stat, name: names.get(stat.portalId) ?? "" }))
    .sort((a, b) => a.name.localeCompare(b.name));
});
export const codePortals = computed(() => {
  const me = user.value?.id;
  return portals.value.filter(
    (p) => p.type === "code" && p.enabled && me !== undefined && p.agentIds.includes(me),
  );
});

// ── reducers ──────────────────────────────────────────────────────────────────
/** The states that put a request in today's History, in the order the pane counts them. */
export const HISTORY_STATES: readonly RequestState[] = [
  "accepted",
  "ended",
  "canceled",
  "declined",
  "no-response",
];

function upsert(list: RequestView[], r: RequestView): RequestView[] {
  const i = list.findIndex((x) => x.id === r.id);
  if (i === -1) return [...list, r];
  const copy = list.slice();
  copy[i] = r;
  return copy;
}
const byCreated = (a: RequestView, b: RequestView) => a.createdAt - b.createdAt;
const byStateAtDesc = (a: RequestView, b: RequestView) => b.stateAt - a.stateAt;

/** Does this waiting request belong in my Incoming list (untargeted, or targeted at me)? */
function isMine(r: RequestView, me: string): boolean {
  return r.state === "waiting" && (r.targetAgentId === null || r.targetAgentId === me);
}

/**
 * Replaces every list with the server's. Returns the waiting requests this console had not seen
 * before (arrived while it was disconnected), so the caller can alert for them.
 */
export function applySnapshot(s: ConsoleSnapshot): { requests: RequestView[]; team: TeamAlert[] } {
  const known = new Set(incoming.value.map((r) => r.id));
  const first = snapshotCount.value === 0;
  const fresh = first ? [] : s.incoming.filter((r) => !known.has(r.id));
  const waitingIds = new Set(s.incoming.map((r) => r.id));
  const liveIds = new Set(s.sessions.map((x) => x.id));
  let team: TeamAlert[] = [];
  batch(() => {
    clockOffset.value = s.serverTime - Date.now();
    now.value = s.serverTime;
    available.value = s.available;
    incoming.value = [...s.incoming].sort(byCreated);
    openSessions.value = s.sessions;
    history.value = [...s.history].sort(byStateAtDesc);
    offline.value = [...s.offline].sort(byStateAtDesc);
    codes.value = s.codes;
    stats.value = s.stats;
    offer.value = s.offer;
    queues.value = Object.fromEntries(s.queues.map((q) => [q.portalId, q]));
    alerts.value = alerts.value
      .filter((a) => waitingIds.has(a.request.id))
      .map((a) => ({ ...a, request: s.incoming.find((r) => r.id === a.request.id) ?? a.request }));
    ringing.value = new Set([...ringing.value].filter((id) => waitingIds.has(id)));
    team = applyTeamAlerts(s.teamAlerts);
    const nextTabs = tabs.value.map((tab) => {
      const live = s.sessions.find((x) => x.id === tab.session.id);
      if (live) return { ...tab, session: live, ended: null, left: null };
      return isClosed(tab) ? tab : { ...tab, ended: { at: s.serverTime, by: null } };
    });
    for (const session of s.sessions) {
      if (!nextTabs.some((tab) => tab.session.id === session.id)) {
        nextTabs.push(newTab(session, false));
      }
    }
    tabs.value = nextTabs;
    if (!activeTab.value || !nextTabs.some((tab) => tab.session.id === activeTab.value)) {
      activeTab.value = nextTabs.find((tab) => liveIds.has(tab.session.id))?.session.id ?? null;
    }
    snapshotCount.value += 1;
  });
  return { requests: fresh, team };
}

function newTab(session: SessionView, joined: boolean): SessionTab {
  return { session, ended: null, left: null, unread: joined ? 1 : 0, joined, notices: [] };
}

/** A request changed somewhere (accepted, canceled, ended, …): move it between the lists. */
export function applyRequest(r: RequestView, me: string): void {
  batch(() => {
    if (isMine(r, me)) {
      incoming.value = upsert(incoming.value, r).sort(byCreated);
      alerts.value = alerts.value.map((a) => (a.request.id === r.id ? { ...a, request: r } : a));
    } else {
      dropWaiting(r.id);
    }
    if (HISTORY_STATES.includes(r.state) && (r.agentId === me || r.state !== "accepted")) {
      history.value = upsert(history.value, r).sort(byStateAtDesc).slice(0, 100);
    } else if (history.value.some((x) => x.id === r.id)) {
      history.value = history.value.filter((x) => x.id !== r.id);
    }
    if (r.state === "offline") offline.value = upsert(offline.value, r).sort(byStateAtDesc).slice(0, 100);
    if (openSessions.value.some((x) => x.id === r.id)) {
      openSessions.value = openSessions.value.map((x) => (x.id === r.id ? { ...x, request: r } : x));
    }
    if (selectedId.value === r.id) selectedCache.value = r;
  });
}

/** The request is no longer waiting for me: its row, pop-up and sound go. */
export function dropWaiting(requestId: string): void {
  batch(() => {
    if (incoming.value.some((x) => x.id === requestId)) {
      incoming.value = incoming.value.filter((x) => x.id !== requestId);
    }
    if (alerts.value.some((a) => a.request.id === requestId)) {
      alerts.value = alerts.value.filter((a) => a.request.id !== requestId);
    }
    stopRinging(requestId);
  });
}

export function stopRinging(requestId: string): void {
  if (!ringing.value.has(requestId)) return;
  const next = new Set(ringing.value);
  next.delete(requestId);
  ringing.value = next;
}

/** A new alert: listed in Incoming, shown as a pop-up, and ringing until answered. */
export function addAlert(r: RequestView, me: string): boolean {
  if (!isMine(r, me)) return false;
  let added = false;
  batch(() => {
    incoming.value = upsert(incoming.value, r).sort(byCreated);
    if (!alerts.value.some((a) => a.request.id === r.id)) {
      alerts.value = [...alerts.value, { request: r, shownAt: Date.now() }];
      added = true;
    }
    if (!ringing.value.has(r.id)) ringing.value = new Set([...ringing.value, r.id]);
  });
  return added;
}

// ── team alerts (orange transfer, blue invitation) ─────────────────────────────
/** How long a team alert closed by someone else stays up to say so ("Taken by Sam"). */
export const TEAM_ALERT_CLOSED_MS = 5000;
export interface TeamAlertPopup {
  alert: TeamAlert;
  /** Set once it is over while still shown: why, who took it, and when (browser clock). */
  closed: {
    reason: "accepted" | "declined" | "timed-out" | "canceled";
    byName: string | null;
    at: number;
  } | null;
  /** This agent pressed Accept and waits for the answer. */
  busy: boolean;
  /** Why the last Accept did not work (at the limit …), in the console's language. */
  error: string | null;
}
export const teamAlerts = signal<TeamAlertPopup[]>([]);

/** A new team alert; false when it was already shown (a snapshot repeating it). */
export function addTeamAlert(alert: TeamAlert): boolean {
  const known = teamAlerts.value.find((a) => a.alert.id === alert.id);
  if (known) {
    teamAlerts.value = teamAlerts.value.map((a) => (a.alert.id === alert.id ? { ...a, alert } : a));
    return false;
  }
  teamAlerts.value = [...teamAlerts.value, { alert, closed: null, busy: false, error: null }];
  return true;
}

/** The snapshot lists the team alerts still waiting for this agent: the others go. Returns the new ones. */
function applyTeamAlerts(list: TeamAlert[]): TeamAlert[] {
  const known = new Set(teamAlerts.value.map((a) => a.alert.id));
  const waiting = new Set(list.map((a) => a.id));
  const kept = teamAlerts.value.filter((a) => waiting.has(a.alert.id) || a.closed !== null);
  const fresh = list.filter((a) => !known.has(a.id));
  teamAlerts.value = [
    ...kept.map((a) => ({ ...a, alert: list.find((x) => x.id === a.alert.id) ?? a.alert })),
    ...fresh.map((alert) => ({ alert, closed: null, busy: false, error: null })),
  ];
  return fresh;
}

/** The alert is over: with a name, it stays a few seconds to say who took it; otherwise it goes. */
export function closeTeamAlert(
  alertId: string,
  reason: "accepted" | "declined" | "timed-out" | "canceled",
  byName: string | null,
): void {
  if (byName) {
    teamAlerts.value = teamAlerts.value.map((a) =>
      a.alert.id === alertId ? { ...a, busy: false, closed: { reason, byName, at: Date.now() } } : a,
    );
  } else {
    dropTeamAlert(alertId);
  }
}

export function dropTeamAlert(alertId: string): void {
  if (teamAlerts.value.some((a) => a.alert.id === alertId)) {
    teamAlerts.value = teamAlerts.value.filter((a) => a.alert.id !== alertId);
  }
}

export function setTeamAlertBusy(alertId: string, busy: boolean, error: string | null): void {
  teamAlerts.value = teamAlerts.value.map((a) => (a.alert.id === alertId ? { ...a, busy, error } : a));
}

export function closeAlert(requestId: string): void {
  alerts.value = alerts.value.filter((a) => a.request.id !== requestId);
}

/**
 * A session this agent is now in: started, joined by code, or reached as a colleague (`viaTeam`:
 * a transfer or invitation accepted, monitoring, joining, taking over).
 */
export function sessionStarted(session: SessionView, focus: boolean, viaTeam = false): void {
  batch(() => {
    const others = openSessions.value.filter((x) => x.id !== session.id);
    openSessions.value = [...others, session].sort((a, b) => a.startedAt - b.startedAt);
    const joined = session.request.kind === "code" && session.role === "owner" && !viaTeam;
    const existing = tabs.value.find((tab) => tab.session.id === session.id);
    if (existing) {
      tabs.value = tabs.value.map((tab) =>
        tab.session.id === session.id
          ? { ...tab, session, ended: null, left: null, joined: tab.joined || joined }
          : tab,
      );
    } else {
      tabs.value = [...tabs.value, newTab(session, joined)];
    }
    const current = tabs.value.find((tab) => tab.session.id === activeTab.value);
    if (focus || !current || current.ended) showTab(session.id);
    dropWaiting(session.id);
  });
}

/** A session this agent is in changed (members, a pending transfer, its owner, this agent's role). */
export function sessionUpdated(session: SessionView): void {
  batch(() => {
    if (openSessions.value.some((x) => x.id === session.id)) {
      openSessions.value = openSessions.value.map((x) => (x.id === session.id ? session : x));
    }
    tabs.value = tabs.value.map((tab) =>
      tab.session.id === session.id && !isClosed(tab) ? { ...tab, session } : tab,
    );
  });
}

/** This agent is out of the session: the tab stays, read-only, saying why, until closed. */
export function sessionLeft(
  sessionId: string,
  reason: "transferred" | "removed" | "left",
  toName: string | null,
): void {
  batch(() => {
    openSessions.value = openSessions.value.filter((x) => x.id !== sessionId);
    tabs.value = tabs.value.map((tab) =>
      tab.session.id === sessionId && !tab.ended
        ? { ...tab, left: { reason, toName }, session: { ...tab.session, transfer: null } }
        : tab,
    );
    const chat = chats.value[sessionId];
    if (chat && chat.pending.length > 0) setChat(sessionId, { ...chat, pending: [] });
  });
}

let teamNoticeId = 0;
export function addTeamNotice(sessionId: string, kind: TeamNotice["kind"], name: string): void {
  teamNoticeId += 1;
  const notice: TeamNotice = { id: teamNoticeId, kind, name };
  tabs.value = tabs.value.map((tab) =>
    tab.session.id === sessionId ? { ...tab, notices: [...tab.notices.slice(-2), notice] } : tab,
  );
}

export function dismissTeamNotice(sessionId: string, id: number): void {
  tabs.value = tabs.value.map((tab) =>
    tab.session.id === sessionId ? { ...tab, notices: tab.notices.filter((n) => n.id !== id) } : tab,
  );
}

/** Shown at once after the owner's own change (the server's session.updated follows). */
export function patchSession(sessionId: string, change: Partial<SessionView>): void {
  batch(() => {
    openSessions.value = openSessions.value.map((x) => (x.id === sessionId ? { ...x, ...change } : x));
    tabs.value = tabs.value.map((tab) =>
      tab.session.id === sessionId ? { ...tab, session: { ...tab.session, ...change } } : tab,
    );
  });
}

export function sessionEnded(sessionId: string, at: number, by: "agent" | "customer"): void {
  batch(() => {
    openSessions.value = openSessions.value.filter((x) => x.id !== sessionId);
    tabs.value = tabs.value.map((tab) =>
      tab.session.id === sessionId ? { ...tab, ended: tab.ended ?? { at, by } } : tab,
    );
  });
}

export function closeTab(sessionId: string): void {
  batch(() => {
    const index = tabs.value.findIndex((tab) => tab.session.id === sessionId);
    const rest = tabs.value.filter((tab) => tab.session.id !== sessionId);
    tabs.value = rest;
    if (activeTab.value === sessionId) {
      activeTab.value = (rest[Math.min(index, rest.length - 1)] ?? rest[0])?.session.id ?? null;
    }
    const { [sessionId]: _gone, ...keep } = chats.value;
    chats.value = keep;
  });
}

/** Brings a session's tab to the front and clears its unread mark. */
export function showTab(sessionId: string): void {
  batch(() => {
    activeTab.value = sessionId;
    markRead(sessionId);
  });
}

export function markRead(sessionId: string): void {
  if (tabs.value.some((tab) => tab.session.id === sessionId && tab.unread > 0)) {
    tabs.value = tabs.value.map((tab) => (tab.session.id === sessionId ? { ...tab, unread: 0 } : tab));
  }
}

/** Whether this agent wrote it: by the author's id (a greeting has none: it is the owner's, by name). */
export function isOwnMessage(m: ChatMessage): boolean {
  if (m.sender !== "agent" && m.sender !== "note") return false;
  if (m.authorId) return m.authorId === user.value?.id;
  return m.authorName === (user.value?.displayName ?? "");
}

/** A stored chat message (live or from history): kept once by its sequence number. */
export function addMessage(sessionId: string, m: ChatMessage, countUnread: boolean): void {
  const chat = chatOf(sessionId);
  if (chat.messages.some((x) => x.seq === m.seq)) {
    return;
  }
  const messages = [...chat.messages, m].sort((a, b) => a.seq - b.seq);
  const mine = isOwnMessage(m);
  // Our own message may come back before its ack: it replaces the first pending copy of it.
  const kind = m.sender === "note" ? "note" : "message";
  const twin = mine
    ? chat.pending.find(
        (p) => p.seq === null && p.status !== "failed" && p.kind === kind && p.body === m.body,
      )
    : undefined;
  const pending = chat.pending.filter((p) => p.seq !== m.seq && p !== twin);
  batch(() => {
    setChat(sessionId, { messages, pending });
    if (countUnread && !mine) {
      tabs.value = tabs.value.map((tab) =>
        tab.session.id === sessionId ? { ...tab, unread: tab.unread + 1 } : tab,
      );
    }
  });
}

export function addPending(sessionId: string, p: PendingMessage): void {
  const chat = chatOf(sessionId);
  setChat(sessionId, { ...chat, pending: [...chat.pending, p] });
}

export function updatePending(sessionId: string, ref: string, change: Partial<PendingMessage> | null): void {
  const chat = chatOf(sessionId);
  const pending =
    change === null
      ? chat.pending.filter((p) => p.ref !== ref)
      : chat.pending.map((p) => (p.ref === ref ? { ...p, ...change } : p));
  setChat(sessionId, { ...chat, pending });
}

/** Where a pending message lives, by its ref. */
export function findPending(ref: string): { sessionId: string; pending: PendingMessage } | null {
  for (const [sessionId, chat] of Object.entries(chats.value)) {
    const pending = chat.pending.find((p) => p.ref === ref);
    if (pending) return { sessionId, pending };
  }
  return null;
}

/** The server acknowledged a message: it is stored with this sequence number. */
export function acknowledge(ref: string, seq: number | undefined): void {
  const found = findPending(ref);
  if (!found) return;
  const { sessionId } = found;
  if (seq !== undefined && chatOf(sessionId).messages.some((m) => m.seq === seq)) {
    updatePending(sessionId, ref, null);
  } else {
    updatePending(sessionId, ref, { status: "sent", seq: seq ?? null, error: null });
  }
}

export function resetAll(): void {
  batch(() => {
    user.value = null;
    emailEnabled.value = false;
    portals.value = [];
    available.value = false;
    incoming.value = [];
    openSessions.value = [];
    history.value = [];
    offline.value = [];
    codes.value = [];
    stats.value = null;
    offer.value = null;
    offerNote.value = null;
    queues.value = {};
    takingNext.value = false;
    snapshotCount.value = 0;
    alerts.value = [];
    teamAlerts.value = [];
    ringing.value = new Set();
    selectedId.value = null;
    selectedCache.value = null;
    tabs.value = [];
    activeTab.value = null;
    chats.value = {};
    notice.value = null;
  });
}
