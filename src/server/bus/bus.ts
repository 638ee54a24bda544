import type {
  ChatMessage,
  OfferView,
  QueueStat,
  Receipt,
  RequestView,
  RtcSignal,
  SessionView,
  ShareState,
  TeamAlert,
} from "../../shared/protocol.js";

/** The side of a session an event came from; the hub hands it only to the other side. */
export type Side = "agent" | "customer";

/**
 * The doorbell, not the truth: every event here was written to the database first. A node that
 * misses one catches up from the database (console resync, chat by sequence number).
 */
export type BusEvent =
  | { type: "alert"; recipients: string[]; request: RequestView }
  | { type: "request.updated"; request: RequestView }
  | { type: "session.started"; session: SessionView }
  | {
      type: "session.ended";
      sessionId: string;
      requestId: string;
      agentId: string;
      endedAt: number;
      endedBy: "agent" | "customer";
    }
  /** On the session's agents' channel (every agent in it) and, unless agents-only, on the customer's. */
  | { type: "message"; sessionId: string; requestId: string; agentId: string; message: ChatMessage }
  /** A session's members, pending transfer or owner changed: on its agents' channel (each console words its own role). */
  | { type: "session.updated"; session: SessionView }
  /** On a user's channel: they are no longer in the session. */
  | {
      type: "session.left";
      userId: string;
      sessionId: string;
      reason: "transferred" | "removed" | "left";
      toName?: string;
    }
  /** An orange (transfer) or blue (invitation) alert, on the account's channel, for `recipients` only. */
  | { type: "team.alert"; recipients: string[]; alert: TeamAlert }
  | {
      type: "team.alert.closed";
      recipients: string[];
      alertId: string;
      reason: "accepted" | "declined" | "timed-out" | "canceled";
      byName?: string;
    }
  /** On the owner's channel: a transfer or invitation of theirs that did not happen. */
  | {
      type: "team.notice";
      userId: string;
      sessionId: string;
      kind: "transfer.declined" | "transfer.timed-out" | "invite.declined" | "invite.expired";
      name: string;
    }
  /** On the account's channel: the supervisor view's lists changed (managers and admins refetch). */
  | { type: "supervisor.changed"; accountId: string }
  /** On the owner's channel: the customer rated an ended session. */
  | { type: "session.rated"; userId: string; sessionId: string; rating: number; comment: string | null }
  /** On the customer's channel: another agent of the session wants to see the shared screen (or no longer). */
  | { type: "share.viewer"; requestId: string; peer: string; watch: boolean }
  | { type: "codes.changed"; agentId: string }
  | { type: "availability"; agentId: string; available: boolean }
  | { type: "offer"; offer: OfferView }
  | {
      type: "offer.closed";
      offerId: string;
      requestId: string;
      reason: "accepted" | "declined" | "timed-out" | "withdrawn";
    }
  | { type: "queue.position"; requestId: string; position: number; waitMinutes: number | null }
  | { type: "queue.stat"; stat: QueueStat }
  /** `name`: which agent types (a session may have several). */
  | { type: "typing"; requestId: string; agentId: string; from: Side; name?: string }
  | { type: "receipt"; requestId: string; agentId: string; from: Side; receipt: Receipt }
  | { type: "share"; requestId: string; agentId: string; from: Side; state: ShareState; reason?: string }
  /**
   * From the customer, `peer` is the agent it is for (every agent in the session hears the channel;
   * only that one takes it); from an agent who is not the owner, `peer` is who sent it.
   */
  | { type: "rtc"; requestId: string; agentId: string; from: Side; signal: RtcSignal; peer?: string }
  | { type: "pointer"; requestId: string; agentId: string; x: number; y: number }
  | { type: "portals.changed"; accountId: string }
  /** On the account's channel: settings every console of the account follows (screen sharing on or off). */
  | { type: "account.settings"; accountId: string; upgradeEnabled: boolean }
  /**
   * A sign-in ended (sign-out) or all of a user's did (disabled, password reset); on the user's
   * channel. `authSession` is the stored token hash of the one sign-in; absent: every sign-in.
   */
  | { type: "signed-out"; userId: string; authSession?: string }
  /** Every node's sign-in cache: what this user's cookies stand for changed (role, portals, limit, signed out). */
  | { type: "sign-ins.changed"; userId: string };

export type Handler = (event: BusEvent) => void;

export interface Bus {
  publish(channel: string, event: BusEvent): Promise<void>;
  subscribe(channel: string, handler: Handler): Promise<() => Promise<void>>;
  close(): Promise<void>;
  /**
   * Tells the listener when events on some channels (null: on any) may have been missed — a gap
   * in a node's sequence, a node's restart, a publisher that could not publish for a while, this
   * node's own subscription cut — so their sockets catch up from the database. A bus that cannot
   * lose events (the in-process one) has no such method.
   */
  onMissed?(listener: MissedListener): () => void;
}

/** Channels whose events may have been missed; null means any channel. */
export type MissedListener = (channels: readonly string[] | null) => void;

/** Channel names, one place: what an agent's account, an agent, and a request's customer listen to. */
export const channels = {
  account: (accountId: string) => `account:${accountId}`,
  user: (userId: string) => `user:${userId}`,
  request: (requestId: string) => `request:${requestId}`,
  /**
   * The agents' side of a session — its owner, the colleagues in it, supervisors watching: chat,
   * notes, the customer's typing and receipts, screen sharing. Never heard by the customer.
   */
  session: (sessionId: string) => `session:${sessionId}`,
  /** Every node's portal page cache: what customers see at an account's portals has changed. */
  portalPages: "portal-pages",
  /** Every node's sign-in cache (http/signInCache.ts). */
  signIns: "sign-ins",
};
