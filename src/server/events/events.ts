import type { Kysely } from "kysely";
import type { Account } from "../../shared/api.js";
import type { ChatMessage, SessionView } from "../../shared/protocol.js";
import type { Database } from "../db/schema.js";
import type { OfferRecord } from "../store/offers.js";
import type { RequestRecord } from "../store/requests.js";
import type { SessionRecord } from "../store/sessions.js";
import type { MemberRecord, TransferRecord } from "../store/team.js";

/** A team alert that is over: its id and who had it (they close their pop-up). */
export interface ClosedAlert {
  id: string;
  recipients: string[];
}

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
      /** Invitations and a transfer that were still waiting: their alerts close. */
      closedAlerts?: ClosedAlert[];
      /** Colleagues and supervisors who were in the session. */
      members?: string[];
    }
  /**
   * Teamwork (issue 11). `lines` are the system lines the command wrote to the chat in its
   * transaction, announced in order; agents-only ones never reach the customer.
   */
  | { type: "transfer.requested"; transfer: TransferRecord; session: SessionRecord; lines: ChatMessage[] }
  /** One receiver of a portal transfer declined; the others still have the alert. */
  | { type: "transfer.declinedBy"; transfer: TransferRecord; userId: string }
  /** A queue portal's transfer passed from one agent (declined or timed out) to the next. */
  | { type: "transfer.passed"; transfer: TransferRecord; previous: string; session: SessionRecord }
  | {
      type: "transfer.closed";
      transfer: TransferRecord;
      reason: "declined" | "timed-out" | "canceled";
      session: SessionRecord;
      lines: ChatMessage[];
    }
  /** The session changed hands: a transfer accepted, the owner handed it to a participant, a supervisor took over. */
  | {
      type: "session.ownerChanged";
      session: SessionRecord;
      request: RequestRecord;
      previousAgentId: string;
      toName: string;
      how: "transfer" | "hand-over" | "take-over";
      /** The alerts that closed with it: the accepted transfer's other receivers, a canceled one's. */
      closedAlerts: ClosedAlert[];
      shareStopped: boolean;
      lines: ChatMessage[];
    }
  | { type: "members.invited"; session: SessionRecord; invites: MemberRecord[]; lines: ChatMessage[] }
  | {
      type: "member.changed";
      session: SessionRecord;
      member: MemberRecord;
      change: "joined" | "declined" | "expired" | "canceled" | "left" | "removed" | "promoted";
      lines: ChatMessage[];
    }
  /** The agent recorded (or changed) the session's outcome, ticket number and notes. */
  | { type: "session.outcome"; session: SessionRecord; request: RequestRecord | null }
  /** The customer answered the survey. */
  | { type: "session.rated"; session: SessionRecord; rating: number; comment: string | null }
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
  /** An admin saved the account's settings: `account` as stored now, `previous` as it was before. */
  | { type: "account.changed"; account: Account; previous: Account }
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
  /**
   * Inside the change's transaction: the staged reactions write what must leave the process
   * (emails, webhooks) as outbox rows of the same transaction, so a crash loses none and a
   * rolled-back change sends none. Every event that is emitted and has a staged reaction must
   * have been staged first, with the same object.
   */
  stage(trx: Kysely<Database>, ...events: DomainEvent[]): Promise<void>;
  emit(...events: DomainEvent[]): Promise<void>;
}
