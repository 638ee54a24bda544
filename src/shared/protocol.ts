/**
 * The realtime wire protocol: every WebSocket message, both ways, for agents (console) and
 * customers (portal pages). One socket per browser; the server only sends what that person may see.
 */

export type RequestState =
  | "waiting"
  | "accepted"
  | "canceled"
  | "declined"
  | "no-response"
  | "offline"
  | "ended";
export const TERMINAL_REQUEST_STATES: readonly RequestState[] = [
  "canceled",
  "declined",
  "no-response",
  "offline",
  "ended",
];

/**
 * How a request reaches agents: yellow broadcast, green targeted, code (straight to its agent),
 * queue (offered to one agent at a time; yellow like broadcast, but only that agent sees it).
 */
export type AlertKind = "broadcast" | "targeted" | "code" | "queue";

export type AgentStatus = "available" | "busy" | "offline";

/** A request as an agent sees it in Incoming, History and the alert pop-up. */
export interface RequestView {
  id: string;
  /** The 9-digit number the customer and the agent see as "Session ID" (not the session's id). */
  sessionNumber: string;
  /** @deprecated The same 9-digit number as `sessionNumber`; removed in the next release. */
  sessionId: string;
  portalId: string;
  portalName: string;
  kind: AlertKind;
  state: RequestState;
  targetAgentId: string | null;
  customerName: string;
  customerEmail: string;
  question: string;
  contact: Record<string, string>;
  createdAt: number;
  deadlineAt: number | null;
  agentId: string | null;
  agentName: string | null;
  stateAt: number;
}

export interface ChatMessage {
  seq: number;
  /** "note": a private note, agents only. */
  sender: "customer" | "agent" | "system" | "note";
  authorName: string;
  body: string;
  at: number;
  /** The agent who wrote it (agents' messages and notes): names are not unique. */
  authorId?: string;
  /** Set on what only agents see (notes, agents-only system lines); the customer never gets these. */
  visibility?: "agents";
  /** A system line's meaning, for each side to put in its own language (`body` is the English). */
  event?: SystemEvent;
}

/**
 * What a system line in the chat says happened. `name` is the person it is about (who joined,
 * who the session went to), `by` the person who did it (who transferred, who removed).
 */
export interface SystemEvent {
  kind: SystemEventKind;
  name?: string;
  by?: string;
  /** owner.changed: the previous owner (`by` is who moved it: the one who transferred or handed over, or the supervisor who took over). */
  from?: string;
  /** transfer.*: `name` is a portal (its agents were asked), not a colleague. */
  portal?: boolean;
}

export type SystemEventKind =
  /** The session's owner changed (transfer accepted, hand-over, take-over): the customer reads "You are now talking to {name}". */
  | "owner.changed"
  | "transfer.requested"
  | "transfer.declined"
  | "transfer.timed-out"
  | "transfer.canceled"
  | "invited"
  | "invite.declined"
  | "invite.expired"
  | "joined"
  | "left"
  | "removed"
  | "monitor.started"
  | "monitor.stopped"
  /** A screen share stopped because the session changed hands. */
  | "share.stopped";

/** The viewer's part in a session: its owner, a colleague in it, or a supervisor watching (read-only chat). */
export type SessionRole = "owner" | "participant" | "monitor";

/** A colleague invited into a session or in it, or a supervisor watching it. */
export interface SessionMember {
  /** The membership's id (an invitation's id while invited). */
  id: string;
  userId: string;
  name: string;
  role: "participant" | "monitor";
  state: "invited" | "joined";
  since: number;
}

/** A transfer waiting for its receiver: a named colleague, or a portal's agents (first accept wins). */
export interface TransferView {
  id: string;
  sessionId: string;
  fromAgentId: string;
  fromName: string;
  toAgentId: string | null;
  toAgentName: string | null;
  toPortalId: string | null;
  toPortalName: string | null;
  note: string;
  createdAt: number;
  expiresAt: number;
}

/**
 * An alert for a colleague (BEHAVIOUR.md §4): orange for a transfer, blue for an invitation. It
 * carries the conversation so far, so the receiver knows what they accept.
 */
export interface TeamAlert {
  /** The transfer's id, or the invitation's. */
  id: string;
  kind: "transfer" | "invite";
  sessionId: string;
  request: RequestView;
  fromName: string;
  /** The transfer's note for the receiver ("" when none; invitations have none). */
  note: string;
  /** Set for a transfer to a portal: the alert went to that portal's available agents. */
  portalName: string | null;
  createdAt: number;
  expiresAt: number;
  /** The conversation so far, notes included (the receiver is an agent), at most the last 100. */
  messages: ChatMessage[];
}

/** A colleague as the transfer and invite dialogs list them: live availability and load. */
export interface ColleagueView {
  id: string;
  name: string;
  role: "agent" | "manager" | "admin";
  /** Signed in and set available. */
  available: boolean;
  sessions: number;
  maxSessions: number;
  /** Why they cannot receive a transfer now (null: they can). Invitations ignore the session limit. */
  unavailableReason: "unavailable" | "at_limit" | null;
}

/** A portal as a transfer target: how many of its agents could take the session now. */
export interface PortalTargetView {
  id: string;
  name: string;
  queue: boolean;
  availableAgents: number;
}

/** One live session in the supervisor view. */
export interface LiveSessionRow {
  sessionId: string;
  request: RequestView;
  agentId: string;
  agentName: string;
  startedAt: number;
  /** How long the customer waited before the session began (ms). */
  waitedMs: number;
  participants: { userId: string; name: string }[];
  monitors: { userId: string; name: string }[];
  transferPending: boolean;
  sharing: boolean;
}

/** The supervisor view: every live session and waiting request of the account, for managers and admins. */
export interface SupervisorView {
  sessions: LiveSessionRow[];
  waiting: RequestView[];
  /** Whether customers are told (a line in the chat) that a supervisor watches. */
  tellCustomerMonitored: boolean;
  serverTime: number;
}

/** A live or ended session: the request it came from and its chat. */
export interface SessionView {
  id: string;
  request: RequestView;
  agentId: string;
  agentName: string;
  startedAt: number;
  endedAt: number | null;
  lastSeq: number;
  /** The viewer's part in it (always "owner" in what is sent to a session's owner). */
  role: SessionRole;
  /** Colleagues invited or in it, and supervisors watching. */
  members: SessionMember[];
  /** A transfer waiting for its receiver, if any. */
  transfer: TransferView | null;
  /** The screen share's last state (null: never asked), so a colleague who joins late can watch too. */
  share: ShareState | null;
}

/** WebRTC signaling, relayed between the two parties of a session over their sockets. */
export type RtcSignal =
  | { kind: "offer" | "answer"; sdp: string }
  | { kind: "candidate"; candidate: string; sdpMid: string | null; sdpMLineIndex: number | null };

/**
 * Screen sharing of a session, as both sides see it: the agent asks, the customer consents and
 * shares; stopping, a refusing browser or a lost connection are told to both.
 */
export type ShareState = "requested" | "declined" | "sharing" | "stopped" | "failed";

/** Receipts: the highest sequence number the other side's device got, and read. */
export interface Receipt {
  delivered: number;
  read: number;
}

export type Outcome = "resolved" | "unresolved" | "unknown";

export interface CodeView {
  id: string;
  code: string;
  name: string;
  portalId: string;
  portalName: string;
  portalSlug: string;
  createdAt: number;
  expiresAt: number;
  joinUrl: string;
  portalUrl: string;
}

/** A queue request offered to this agent alone, with its timer. */
export interface OfferView {
  id: string;
  request: RequestView;
  createdAt: number;
  expiresAt: number;
}

/** A queue portal's line as agents see it. */
export interface QueueStat {
  portalId: string;
  length: number;
  oldestSince: number | null;
}

export interface AgentStats {
  sessionsToday: number;
  acceptedToday: number;
  averageWaitSeconds: number | null;
  averageSessionSeconds: number | null;
}

/** An ended session as the History pane shows it. */
export interface SessionSummary {
  id: string;
  request: RequestView;
  startedAt: number;
  endedAt: number;
  endedBy: "agent" | "customer" | null;
  outcome: Outcome | null;
  notes: string | null;
  ticket: string | null;
  rating: number | null;
  comment: string | null;
}

export interface ConsoleSnapshot {
  available: boolean;
  incoming: RequestView[];
  sessions: SessionView[];
  history: RequestView[];
  offline: RequestView[];
  codes: CodeView[];
  stats: AgentStats;
  /** The queue offer this agent holds right now, if any. */
  offer: OfferView | null;
  queues: QueueStat[];
  /** Today's ended sessions of this agent, newest first. */
  ended: SessionSummary[];
  /** Transfers and invitations addressed to this agent that wait for an answer. */
  teamAlerts: TeamAlert[];
  upgradeEnabled: boolean;
  iceServers: IceServer[];
  serverTime: number;
}

export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

// ── server → agent ────────────────────────────────────────────────────────────
export type AgentServerMessage =
  | { type: "snapshot"; snapshot: ConsoleSnapshot }
  | { type: "alert"; request: RequestView }
  | { type: "request.updated"; request: RequestView }
  | { type: "session.started"; session: SessionView }
  | { type: "message"; sessionId: string; message: ChatMessage }
  | { type: "codes"; codes: CodeView[] }
  | { type: "offer"; offer: OfferView }
  | {
      type: "offer.closed";
      offerId: string;
      requestId: string;
      reason: "accepted" | "declined" | "timed-out" | "withdrawn";
    }
  | { type: "queue.stat"; stat: QueueStat }
  | { type: "typing"; sessionId: string }
  | { type: "receipt"; sessionId: string; receipt: Receipt }
  | { type: "share"; sessionId: string; state: ShareState; reason?: string }
  | { type: "rtc"; sessionId: string; signal: RtcSignal }
  | { type: "availability"; available: boolean }
  | { type: "session.ended"; sessionId: string; endedAt: number; endedBy: "agent" | "customer" }
  /** An orange (transfer) or blue (invitation) alert for this agent. */
  | { type: "team.alert"; alert: TeamAlert }
  /** A team alert is over: `byName` took it (a portal transfer someone else accepted) or it ended. */
  | {
      type: "team.alert.closed";
      alertId: string;
      reason: "accepted" | "declined" | "timed-out" | "canceled";
      byName?: string;
    }
  /** A session this agent is in changed: members, a pending transfer, its owner, the viewer's role. */
  | { type: "session.updated"; session: SessionView }
  /** This agent is no longer in the session: it went to `toName`, they were removed, or they left. */
  | {
      type: "session.left";
      sessionId: string;
      reason: "transferred" | "removed" | "left";
      toName?: string;
    }
  /** Something the owner should know about their session (a transfer or invitation that did not happen). */
  | {
      type: "team.notice";
      sessionId: string;
      kind: "transfer.declined" | "transfer.timed-out" | "invite.declined" | "invite.expired";
      name: string;
    }
  /** The supervisor view's lists changed (managers and admins): fetch GET /api/v1/supervisor. */
  | { type: "supervisor.changed" }
  /** An admin changed the account's settings the console follows: screen sharing allowed or not. */
  | { type: "account.settings"; upgradeEnabled: boolean }
  /** The customer answered the survey of an ended session of this agent. */
  | { type: "session.rated"; sessionId: string; rating: number; comment: string | null }
  | { type: "ack"; ref: string; seq?: number }
  /** `rate_limited` (WebSocket limits) says in `retryAfterMs` when a message would be handled again. */
  | {
      type: "error";
      code: string;
      message: string;
      ref?: string;
      retryAfterMs?: number;
      /** The values the message was built from (already_taken: name; at_limit: limit). */
      params?: Record<string, string | number>;
    };

// ── agent → server ────────────────────────────────────────────────────────────
export type AgentClientMessage =
  | { type: "resync" }
  | { type: "send"; sessionId: string; body: string; ref: string; since?: number }
  /** A private note: only agents of the session (and supervisors watching it) see it. Acked like send. */
  | { type: "note"; sessionId: string; body: string; ref: string }
  | { type: "history"; sessionId: string; since: number }
  | { type: "typing"; sessionId: string }
  | { type: "receipt"; sessionId: string; delivered: number; read: number }
  | { type: "share.request"; sessionId: string }
  | { type: "share.stop"; sessionId: string }
  /** A participant or supervisor asks the customer's page for the shared screen too (while sharing is on), or stops watching it. */
  | { type: "share.view"; sessionId: string; watch: boolean }
  | { type: "rtc"; sessionId: string; signal: RtcSignal }
  | { type: "pointer"; sessionId: string; x: number; y: number };

// ── server → customer ─────────────────────────────────────────────────────────
export interface CustomerStatus {
  requestId: string;
  /** The 9-digit number the customer sees as "Session ID". */
  sessionNumber: string;
  /** @deprecated The same 9-digit number as `sessionNumber`; removed in the next release. */
  sessionId: string;
  state: RequestState;
  createdAt: number;
  agentName: string | null;
  /** Why the request ended, for the page to put in words. */
  reason: CustomerReason | null;
  /** The portal's connection mode: "direct" opens straight into the full session view. */
  connectionMode: "chat-first" | "direct";
  upgradeEnabled: boolean;
  iceServers: IceServer[];
  /** Set once the customer has answered the survey. */
  surveyed: boolean;
  serverTime: number;
}

export type CustomerReason = "agent_unavailable" | "no_response" | "canceled" | "ended" | "offline";

export type CustomerServerMessage =
  | { type: "status"; status: CustomerStatus }
  | { type: "session.ended"; endedAt: number; endedBy: "agent" | "customer" }
  /** Queue mode: the customer's place in line and an estimate (null: not enough history; 0: under a minute). */
  | { type: "queue"; position: number; waitMinutes: number | null }
  /** `name`: the agent who types (several may be in the session). */
  | { type: "typing"; name?: string }
  | { type: "receipt"; receipt: Receipt }
  | { type: "share"; state: ShareState; reason?: string }
  /** `peer`: the agent the signal comes from when it is not the session's owner (a colleague or supervisor watching). */
  | { type: "rtc"; signal: RtcSignal; peer?: string }
  /** While sharing: another agent of the session wants to see the screen (make them a connection) or no longer does. */
  | { type: "share.viewer"; peer: string; watch: boolean }
  /** Where the agent points on the shared screen, as fractions of its width and height (0–1). */
  | { type: "pointer"; x: number; y: number }
  | { type: "message"; message: ChatMessage }
  | { type: "ack"; ref: string; seq?: number }
  /** `rate_limited` (WebSocket limits) says in `retryAfterMs` when a message would be handled again. */
  | {
      type: "error";
      code: string;
      message: string;
      ref?: string;
      retryAfterMs?: number;
      /** The values the message was built from (already_taken: name; at_limit: limit). */
      params?: Record<string, string | number>;
    };

// ── customer → server ─────────────────────────────────────────────────────────
export type CustomerClientMessage =
  | { type: "send"; body: string; ref: string }
  | { type: "history"; since: number }
  | { type: "cancel" }
  | { type: "typing" }
  | { type: "receipt"; delivered: number; read: number }
  /** The customer's answer to a share request, and what their browser did with it. */
  | { type: "share"; state: "declined" | "sharing" | "stopped" | "failed"; reason?: string }
  /** `peer`: the viewer the signal is for (absent: the session's owner). */
  | { type: "rtc"; signal: RtcSignal; peer?: string };

/** A session number (or a code) as people read it: "123456789" → "123 456 789" */
export function formatSessionNumber(id: string): string {
  return id.replace(/^(\d{3})(\d{3})(\d{3})$/, "$1 $2 $3");
}
