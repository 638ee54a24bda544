import type { SessionView } from "../../shared/protocol.js";
import type { OfferRecord } from "../store/offers.js";
import type { RequestRecord } from "../store/requests.js";
import type { SessionRecord } from "../store/sessions.js";

export type OfferCloseReason = "accepted" | "declined" | "timed-out" | "withdrawn";

/**
 * What happened, as commands (and the sweeper) say it after their transaction committed. Each
 * "when X happened, also do Y" rule is a reaction (src/server/reactions/) that names the events
 * it reacts to; `grep -rn '"session.ended"' src/server/reactions` answers "who reacts to …".
 */
export type DomainEvent =
  /** A live request was written: an alert for `recipients` (broadcast, targeted) or a place in a queue. */
  | { type: "request.submitted"; request: RequestRecord; recipients: string[] }
  /** A waiting request ended without a session: the customer canceled or left, it timed out, or its agent declined. */
  | { type: "request.closed"; request: RequestRecord; reason: "canceled" | "no-response" | "declined" }
  /** An offline message was left for the agents of a portal. */
  | { type: "request.offline"; request: RequestRecord }
  /** A session began (accept, offer accepted, take next, code redeemed); `session` is what both sides see. */
  | { type: "session.started"; session: SessionView; request: RequestRecord }
  | {
      type: "session.ended";
      session: SessionRecord;
      request: RequestRecord | null;
      endedBy: "agent" | "customer";
      endedAt: number;
    }
  /** Queue mode: a request was offered to one agent. */
  | { type: "offer.made"; offer: OfferRecord; request: RequestRecord }
  | { type: "offer.closed"; offer: OfferRecord; reason: OfferCloseReason }
  /** A queue's line moved (offers made, someone left): customers' places and agents' queue bar change. */
  | { type: "queue.changed"; accountId: string; portalId: string }
  /** The sweeper found waiting queue requests with no offer out: the queue must be looked at again. */
  | { type: "queue.stale"; accountId: string; portalId: string }
  /** The agent's Available toggle was set (changed or not: every console of theirs shows it). */
  | { type: "agent.availability"; agentId: string; available: boolean }
  /**
   * What the agent can take may have changed: the toggle, their limit, their portals, disabled,
   * signed in or gone. (A session starting or ending is one too; reactions read those events as such.)
   */
  | { type: "agent.capacityChanged"; accountId: string; agentId: string; portalIds: string[] }
  /** Something customers see at the account's portals changed (settings, names, pictures). */
  | { type: "portals.changed"; accountId: string }
  /** What a user's sign-ins stand for changed: name, role, portals, limit, disabled or enabled. */
  | { type: "user.changed"; userId: string }
  /** Sign-ins ended in the database: one (`authSession`, its stored token hash) or all of the user's. */
  | { type: "user.signedOut"; userId: string; authSession?: string }
  /** The agent's live session codes changed (created, canceled, redeemed, expired). */
  | { type: "codes.changed"; agentId: string };

export type DomainEventType = DomainEvent["type"];
export type EventOf<T extends DomainEventType> = Extract<DomainEvent, { type: T }>;

/** What commands get to say what happened. Awaited: when it returns, every reaction has run. */
export interface Events {
  emit(...events: DomainEvent[]): Promise<void>;
}
