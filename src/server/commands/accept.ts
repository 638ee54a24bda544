import type { SessionView } from "../../shared/protocol.js";
import type { Db } from "../db/database.js";
import { DomainError, notFound } from "../domain/errors.js";
import { notWaiting } from "../domain/requests.js";
import { assertBelowLimit, assertCanTake, consoleAccount } from "../policy.js";
import { waitingInQueue } from "../queries/queue.js";
import { sessionViewOf } from "../queries/sessions.js";
import { endOffer, findOffer, pendingOffersOfAgents, pendingOffersOfRequest } from "../store/offers.js";
import { findRequest, type RequestRecord, transitionFromWaiting } from "../store/requests.js";
import { lockAgent, openSession, openSessionCounts } from "../store/sessions.js";
import type { Actor, Deps } from "./context.js";

/**
 * Every way an agent takes a customer into a session: accepting an alert (first accept wins),
 * accepting the queue offer they hold, taking the next customer by hand. Each is one transaction
 * whose conditional writes decide across agents and nodes; then one `session.started` event, and
 * the reactions tell everyone and move the queue.
 */

type Kysely = Db["kysely"];

/** The agent's row locked, then their open sessions counted: the limit is exact even for several accepts at once. */
async function lockBelowLimit(trx: Kysely, actor: Actor): Promise<void> {
  await lockAgent(trx, actor.user.id);
  const open = (await openSessionCounts(trx, [actor.user.id])).get(actor.user.id) ?? 0;
  assertBelowLimit(actor.user, open);
}

async function opened(
  deps: Deps,
  actor: Actor,
  accountId: string,
  requestId: string,
  startedAt: number,
): Promise<{ session: SessionView; request: RequestRecord }> {
  const request = await findRequest(deps.db.kysely, accountId, requestId);
  if (!request) throw notFound("Request");
  const session = await sessionViewOf(deps, request, actor.user.id, actor.user.displayName, startedAt);
  return { session, request };
}

/** First accept wins: one conditional write decides, across agents and nodes alike. */
export async function acceptRequest(deps: Deps, actor: Actor, requestId: string): Promise<SessionView> {
  const accountId = consoleAccount(actor.user);
  const db = deps.db.kysely;
  const request = await findRequest(db, accountId, requestId);
  if (!request) throw notFound("Request");
  // A request no longer waiting needs no transaction: the loser of a race learns it from one read.
  if (request.state !== "waiting") throw notWaiting(request);
  if (request.kind === "queue") {
    // Queue requests are offered to one agent at a time: accepting means accepting your offer.
    const [offer] = await pendingOffersOfAgents(db, [actor.user.id]);
    if (offer?.requestId !== requestId) {
      throw new DomainError(
        409,
        "offered_elsewhere",
        "This customer is in the queue and offered to one agent at a time; use Take next.",
      );
    }
    return acceptOffer(deps, actor, offer.id);
  }
  assertCanTake(actor.user, request);
  const now = deps.now();
  const won = await db.transaction().execute(async (trx) => {
    // One agent's accepts take turns here, so several at once cannot all pass the limit.
    await lockBelowLimit(trx, actor);
    const ok = await transitionFromWaiting(trx, accountId, requestId, "accepted", now, {
      agentId: actor.user.id,
      onlyTarget: actor.user.id,
    });
    if (ok) {
      await openSession(trx, {
        accountId,
        requestId,
        agentId: actor.user.id,
        startedAt: now,
        portalId: request.portalId,
        agentName: actor.user.displayName,
      });
    }
    return ok;
  });
  if (!won) {
    const after = await findRequest(db, accountId, requestId);
    if (!after) throw notFound("Request");
    throw notWaiting(after);
  }
  const { session, request: after } = await opened(deps, actor, accountId, requestId, now);
  await deps.events.emit({ type: "session.started", session, request: after });
  return session;
}

/** Accepting an offer: the offer and the request change in one transaction, both conditional. */
export async function acceptOffer(deps: Deps, actor: Actor, offerId: string): Promise<SessionView> {
  const accountId = consoleAccount(actor.user);
  const db = deps.db.kysely;
  const offer = await findOffer(db, accountId, offerId);
  if (!offer || offer.agentId !== actor.user.id) throw notFound("Offer");
  const now = deps.now();
  const won = await db.transaction().execute(async (trx) => {
    await lockBelowLimit(trx, actor);
    if (!(await endOffer(trx, offerId, "accepted", now, actor.user.id))) return false;
    if (
      !(await transitionFromWaiting(trx, accountId, offer.requestId, "accepted", now, {
        agentId: actor.user.id,
      }))
    ) {
      throw new DomainError(409, "not_waiting", "The customer is no longer waiting.");
    }
    await openSession(trx, {
      accountId,
      requestId: offer.requestId,
      agentId: actor.user.id,
      startedAt: now,
      portalId: offer.portalId,
      agentName: actor.user.displayName,
    });
    return true;
  });
  if (!won)
    throw new DomainError(409, "offer_closed", "This offer has ended (it timed out or was passed on).");
  const { session, request } = await opened(deps, actor, accountId, offer.requestId, now);
  await deps.events.emit(
    { type: "offer.closed", offer, reason: "accepted" },
    { type: "session.started", session, request },
  );
  return session;
}

/** "Take next" by hand: the agent's own offer if they have one, else the oldest request nobody holds. */
export async function takeNext(deps: Deps, actor: Actor): Promise<SessionView> {
  const accountId = consoleAccount(actor.user);
  const db = deps.db.kysely;
  const [mine] = await pendingOffersOfAgents(db, [actor.user.id]);
  if (mine) return acceptOffer(deps, actor, mine.id);
  const waiting = await waitingInQueue(deps, accountId, actor.user.portalIds);
  for (const r of waiting) {
    if ((await pendingOffersOfRequest(db, r.id)).length > 0) continue;
    const now = deps.now();
    const won = await db.transaction().execute(async (trx) => {
      await lockBelowLimit(trx, actor);
      if (!(await transitionFromWaiting(trx, accountId, r.id, "accepted", now, { agentId: actor.user.id })))
        return false;
      await openSession(trx, {
        accountId,
        requestId: r.id,
        agentId: actor.user.id,
        startedAt: now,
        portalId: r.portalId,
        agentName: actor.user.displayName,
      });
      return true;
    });
    if (!won) continue;
    const { session, request } = await opened(deps, actor, accountId, r.id, now);
    // A dispatch on another node may have offered this request between the check above and the
    // take: the queue reaction withdraws that offer (its agent is told), then the queue moves on.
    await deps.events.emit({ type: "session.started", session, request });
    return session;
  }
  throw new DomainError(
    409,
    "queue_empty",
    "Nobody is waiting in your queues right now (or every waiting customer is being offered to someone).",
  );
}
