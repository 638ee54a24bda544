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
  sender: "customer" | "agent" | "system";
  authorName: string;
  body: string;
  at: number;
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
  | { type: "history"; sessionId: string; since: number }
  | { type: "typing"; sessionId: string }
  | { type: "receipt"; sessionId: string; delivered: number; read: number }
  | { type: "share.request"; sessionId: string }
  | { type: "share.stop"; sessionId: string }
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
  | { type: "typing" }
  | { type: "receipt"; receipt: Receipt }
  | { type: "share"; state: ShareState; reason?: string }
  | { type: "rtc"; signal: RtcSignal }
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
  | { type: "rtc"; signal: RtcSignal };

/** A session number (or a code) as people read it: "123456789" → "123 456 789" */
export function formatSessionNumber(id: string): string {
  return id.replace(/^(\d{3})(\d{3})(\d{3})$/, "$1 $2 $3");
}
