import type { SessionView } from "../../shared/protocol.js";
import type { Db } from "../db/database.js";
import { DomainError, notFound } from "../domain/errors.js";
import { notWaiting } from "../domain/requests.js";
import { assertBelowLimit, assertCanTake, consoleAccount } from "../policy.js";
import { waitingInQueue } from "../queries/queue.js";
import { startedSession } from "../queries/sessions.js";
import { endOffer, findOffer, pendingOffersOfAgents, pendingOffersOfRequest } from "../store/offers.js";
import { claimRequest, findRequest, type RequestRecord, transitionFromWaiting } from "../store/requests.js";
import { lockAgent, openSession, openSessionCounts, openSessionWithinLimit } from "../store/sessions.js";
import type { Actor, Deps } from "./context.js";

/**
 * Every way an agent takes a customer into a session: accepting an alert (first accept wins),
 * accepting the queue offer they hold, taking the next customer by hand. Each is one transaction
 * whose conditional writes decide across agents and nodes; then one `session.started` event, and
 * the reactions tell everyone and move the queue.
 *
 * The order inside is for the race: the conditional write that decides comes first, so a loser
 * waits only until the winner commits and then leaves (no rows changed, nothing else done); the
 * winner then checks its session limit (a refusal rolls the claim back, and the request is
 * waiting again for the others) and opens the session. Nothing is read after the commit: the
 * session as announced is built from what the transaction wrote and returned.
 */

type Trx = Db["kysely"];

/** The agent's row locked, then their open sessions counted: the limit is exact even for several accepts at once. */
async function lockBelowLimit(trx: Trx, actor: Actor): Promise<void> {
  // The limit as stored now (read with the row locked), not as the cached sign-in remembers it.
  const maxSessions = await lockAgent(trx, actor.user.id);
  const open = (await openSessionCounts(trx, [actor.user.id])).get(actor.user.id) ?? 0;
  assertBelowLimit({ maxSessions }, open);
}

function agentOf(actor: Actor) {
  return { id: actor.user.id, name: actor.user.displayName };
}

/** The claimed request's session, opened in the claim's transaction: its last sequence number. */
function open(
  trx: Trx,
  actor: Actor,
  request: Pick<RequestRecord, "accountId" | "id" | "portalId">,
  now: number,
) {
  return openSession(trx, {
    accountId: request.accountId,
    requestId: request.id,
    agentId: actor.user.id,
    startedAt: now,
    portalId: request.portalId,
    agentName: actor.user.displayName,
  });
}

/**
 * First accept wins: one conditional write decides, across agents and nodes alike. It is the
 * first thing done, before any read, so the race's winner never queues behind the losers' reads;
 * only a refused claim reads the request, to say why (taken by whom, not yours, a queue request).
 */
export function acceptRequest(deps: Deps, actor: Actor, requestId: string): Promise<SessionView> {
  // One claim of a request at a time on this node; the ones behind it usually find the outcome.
  return deps.outcomes.inTurn(requestId, () => tryAccept(deps, actor, requestId, 0));
}

async function tryAccept(deps: Deps, actor: Actor, requestId: string, attempt: number): Promise<SessionView> {
  const accountId = consoleAccount(actor.user);
  // Already decided, and this node heard it: a late loser needs no database at all.
  const known = deps.outcomes.get(accountId, requestId);
  if (known) throw notWaiting(known);
  const db = deps.db.kysely;
  const now = deps.now();
  const agent = { ...agentOf(actor), portalIds: actor.user.portalIds };
  const dialect = deps.db.dialect;
  const won = await db.transaction().execute(async (trx) => {
    const claim = await claimRequest(trx, dialect, accountId, requestId, agent, now);
    if (!claim) return null;
    // The agent's row is locked by the claim, so their count is exact even for several accepts at
    // once; at the limit the claim rolls back and the request is waiting for the others again.
    const opened = await openSessionWithinLimit(trx, dialect, {
      accountId,
      requestId,
      agentId: actor.user.id,
      agentName: actor.user.displayName,
      startedAt: now,
      greeting: claim.greeting,
      maxSessions: claim.maxSessions,
    });
    if (!opened.opened) assertBelowLimit({ maxSessions: claim.maxSessions }, opened.open);
    const event = {
      type: "session.started" as const,
      ...startedSession(claim.request, agentOf(actor), now, opened.lastSeq),
    };
    await deps.events.stage(trx, event);
    return event;
  });
  if (!won) return refusedAccept(deps, actor, accountId, requestId, attempt);
  await deps.events.emit(won);
  return won.session;
}

/** Why a claim did not win, as the agent should hear it; a queue request goes the offer's way. */
async function refusedAccept(
  deps: Deps,
  actor: Actor,
  accountId: string,
  requestId: string,
  attempt: number,
): Promise<SessionView> {
  // The winner's announcement usually arrives while a loser waited for its claim.
  const known = deps.outcomes.get(accountId, requestId);
  if (known) throw notWaiting(known);
  const db = deps.db.kysely;
  const request = await findRequest(db, accountId, requestId);
  if (!request) throw notFound("Request");
  if (request.state !== "waiting") throw notWaiting(request);
  assertCanTake(actor.user, request);
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
  // Waiting and takeable, yet not claimed: the winner's transaction rolled back meanwhile (their
  // limit), so this is a fair new try — once; after that the customer is someone else's to get.
  if (attempt === 0) return tryAccept(deps, actor, requestId, 1);
  throw new DomainError(409, "not_waiting", "This request is no longer waiting.").withParams({
    state: "waiting",
  });
}

/** Accepting an offer: the offer and the request change in one transaction, both conditional. */
export async function acceptOffer(deps: Deps, actor: Actor, offerId: string): Promise<SessionView> {
  const accountId = consoleAccount(actor.user);
  const db = deps.db.kysely;
  const offer = await findOffer(db, accountId, offerId);
  if (!offer || offer.agentId !== actor.user.id) throw notFound("Offer");
  const request = await findRequest(db, accountId, offer.requestId);
  if (!request) throw notFound("Offer");
  const now = deps.now();
  const offerClosed = { type: "offer.closed" as const, offer, reason: "accepted" as const };
  const started = await db.transaction().execute(async (trx) => {
    if (!(await endOffer(trx, offerId, "accepted", now, actor.user.id))) return null;
    await lockBelowLimit(trx, actor);
    if (
      !(await transitionFromWaiting(trx, accountId, offer.requestId, "accepted", now, {
        agentId: actor.user.id,
      }))
    ) {
      throw new DomainError(409, "not_waiting", "The customer is no longer waiting.");
    }
    const lastSeq = (await open(trx, actor, request, now)).lastSeq;
    const event = {
      type: "session.started" as const,
      ...startedSession(request, agentOf(actor), now, lastSeq),
    };
    await deps.events.stage(trx, offerClosed, event);
    return event;
  });
  if (started === null)
    throw new DomainError(409, "offer_closed", "This offer has ended (it timed out or was passed on).");
  await deps.events.emit(offerClosed, started);
  return started.session;
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
    const started = await db.transaction().execute(async (trx) => {
      if (!(await transitionFromWaiting(trx, accountId, r.id, "accepted", now, { agentId: actor.user.id })))
        return null;
      await lockBelowLimit(trx, actor);
      const lastSeq = (await open(trx, actor, r, now)).lastSeq;
      const event = { type: "session.started" as const, ...startedSession(r, agentOf(actor), now, lastSeq) };
      await deps.events.stage(trx, event);
      return event;
    });
    if (started === null) continue;
    // A dispatch on another node may have offered this request between the check above and the
    // take: the queue reaction withdraws that offer (its agent is told), then the queue moves on.
    await deps.events.emit(started);
    return started.session;
  }
  throw new DomainError(
    409,
    "queue_empty",
    "Nobody is waiting in your queues right now (or every waiting customer is being offered to someone).",
  );
}
