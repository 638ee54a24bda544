import type { RequestView } from "../../shared/protocol.js";
import { DomainError, notFound } from "../domain/errors.js";
import { notWaiting } from "../domain/requests.js";
import { assertCanDecline, consoleAccount } from "../policy.js";
import { endOffer, findOffer, pendingOffersOfAgents } from "../store/offers.js";
import { findRequest, toView, transitionFromWaiting } from "../store/requests.js";
import type { Actor, Deps } from "./context.js";

/**
 * Declining: a targeted request ends as declined and its customer is told; a broadcast closes this
 * agent's pop-up only; a queue offer passes to the next agent at once (the queue reaction).
 */
export async function declineRequest(deps: Deps, actor: Actor, requestId: string): Promise<RequestView> {
  const accountId = consoleAccount(actor.user);
  const db = deps.db.kysely;
  const request = await findRequest(db, accountId, requestId);
  if (!request) throw notFound("Request");
  assertCanDecline(actor.user, request);
  if (request.state !== "waiting") throw notWaiting(request);
  if (request.kind === "queue") {
    const [offer] = await pendingOffersOfAgents(db, [actor.user.id]);
    if (offer?.requestId === requestId) await declineOffer(deps, actor, offer.id);
    return toView(request);
  }
  if (request.kind !== "targeted") return toView(request);
  const event = await db.transaction().execute(async (trx) => {
    const ok = await transitionFromWaiting(trx, accountId, requestId, "declined", deps.now(), {
      onlyTarget: actor.user.id,
    });
    const after = await findRequest(trx, accountId, requestId);
    if (!after) throw notFound("Request");
    if (!ok) throw notWaiting(after);
    const closed = { type: "request.closed" as const, request: after, reason: "declined" as const };
    await deps.events.stage(trx, closed);
    return closed;
  });
  await deps.events.emit(event);
  return toView(event.request);
}

export async function declineOffer(deps: Deps, actor: Actor, offerId: string): Promise<void> {
  const accountId = consoleAccount(actor.user);
  const offer = await findOffer(deps.db.kysely, accountId, offerId);
  if (!offer || offer.agentId !== actor.user.id) throw notFound("Offer");
  const closed = { type: "offer.closed" as const, offer, reason: "declined" as const };
  const ended = await deps.db.kysely.transaction().execute(async (trx) => {
    if (!(await endOffer(trx, offerId, "declined", deps.now(), actor.user.id))) return false;
    await deps.events.stage(trx, closed);
    return true;
  });
  if (!ended) throw new DomainError(409, "offer_closed", "This offer has already ended.");
  await deps.events.emit(closed);
}
