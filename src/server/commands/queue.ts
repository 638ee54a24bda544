import { randomUUID } from "node:crypto";
import type { OfferView, QueueStat, SessionView } from "../../shared/protocol.js";
import { channels } from "../bus/bus.js";
import { isUniqueViolation } from "../db/database.js";
import { DomainError, notFound } from "../domain/errors.js";
import {
  estimateWaitMinutes,
  planOffers,
  type QueueAgent,
  type QueuedRequest,
  queuePositions,
} from "../domain/queue.js";
import { findAccount } from "../store/accounts.js";
import {
  endOffer,
  expiredOffers,
  findOffer,
  insertOffer,
  type OfferRecord,
  pendingOffersOfAgents,
  pendingOffersOfPortal,
  pendingOffersOfRequest,
  refusalsOf,
} from "../store/offers.js";
import { findPortal } from "../store/portals.js";
import { findRequest, listWaiting, toView, transitionFromWaiting } from "../store/requests.js";
import { agentLoads } from "./agents.js";
import type { Actor, Deps } from "./context.js";
import { sessionStarted } from "./requests.js";
import { beginSession } from "./sessions.js";

const RECENT_WAIT_WINDOW_MS = 2 * 60 * 60_000;

export function isQueuePortal(mode: string, type: string): boolean {
  return mode === "queue" && type === "question";
}

/** The queue requests waiting at the given portals, oldest first. */
async function waitingInQueue(deps: Deps, accountId: string, portalIds: string[]) {
  return (await listWaiting(deps.db.kysely, accountId, portalIds)).filter((r) => r.kind === "queue");
}

async function offerTimeoutMs(deps: Deps, accountId: string): Promise<number> {
  const r = await deps.db.kysely
    .selectFrom("accounts")
    .select("offer_timeout_seconds")
    .where("id", "=", accountId)
    .executeTakeFirst();
  return (r?.offer_timeout_seconds ?? 30) * 1000;
}

async function offerView(deps: Deps, offer: OfferRecord): Promise<OfferView | null> {
  const request = await findRequest(deps.db.kysely, offer.accountId, offer.requestId);
  if (!request) return null;
  return { id: offer.id, request: toView(request), expiresAt: offer.expiresAt, createdAt: offer.createdAt };
}

/**
 * Re-examines one portal's queue and makes the offers the planner asks for. Runs on every
 * capacity change. Two dispatches may race (same millisecond, or two nodes): the database's
 * partial unique indexes let only one offer per request and per agent through; the loser plans
 * again from the new state.
 */
export async function dispatchQueue(deps: Deps, accountId: string, portalId: string): Promise<void> {
  const db = deps.db.kysely;
  for (let attempt = 0; attempt < 6; attempt++) {
    const waiting = await waitingInQueue(deps, accountId, [portalId]);
    const loads = await agentLoads(deps, db, portalId);
    const [portalOffers, agentOffers] = await Promise.all([
      pendingOffersOfPortal(db, portalId),
      pendingOffersOfAgents(
        db,
        loads.map((a) => a.id),
      ),
    ]);
    const rounds = await db
      .selectFrom("requests")
      .select(["id", "round"])
      .where("id", "in", waiting.length ? waiting.map((r) => r.id) : [""])
      .execute();
    const roundOf = new Map(rounds.map((r) => [r.id, r.round]));
    const refusals = await refusalsOf(
      db,
      waiting.map((r) => ({ id: r.id, round: roundOf.get(r.id) ?? 0 })),
    );
    const offeredRequests = new Set(portalOffers.map((o) => o.requestId));
    const offeredAgents = new Set(agentOffers.map((o) => o.agentId));
    const idle = await idleSinceOf(
      deps,
      loads.map((a) => a.id),
    );
    const requests: QueuedRequest[] = waiting.map((r) => ({
      id: r.id,
      portalId,
      arrivedAt: r.createdAt,
      offered: offeredRequests.has(r.id),
      refusedBy: refusals.get(r.id) ?? new Set(),
    }));
    const agents: QueueAgent[] = loads.map((a) => ({
      id: a.id,
      portalIds: new Set([portalId]),
      free: a.status === "available",
      offered: offeredAgents.has(a.id),
      idleSince: idle.get(a.id) ?? 0,
    }));
    const plan = planOffers(requests, agents);
    let conflict = false;
    const now = deps.now();
    const timeout = plan.length ? await offerTimeoutMs(deps, accountId) : 0;
    for (const p of plan) {
      const round = (roundOf.get(p.requestId) ?? 0) + (p.newRound ? 1 : 0);
      const offer: OfferRecord = {
        id: randomUUID(),
        accountId,
        portalId,
        requestId: p.requestId,
        agentId: p.agentId,
        round,
        state: "pending",
        createdAt: now,
        expiresAt: now + timeout,
      };
      try {
        await db.transaction().execute(async (trx) => {
          if (p.newRound) {
            await trx
              .updateTable("requests")
              .set({ round })
              .where("id", "=", p.requestId)
              .where("round", "=", round - 1)
              .execute();
          }
          // Only while the request is still waiting: an insert-select would be one statement, but the
          // unique indexes already make this safe; the check below catches a request just taken.
          // On PostgreSQL the row lock makes it exact across nodes: a cancel or take committing
          // meanwhile waits for this offer and then withdraws it (requestLeftQueue), or is seen here.
          let check = trx.selectFrom("requests").select("state").where("id", "=", p.requestId);
          if (deps.db.dialect === "postgres") check = check.forUpdate();
          const still = await check.executeTakeFirst();
          if (still?.state !== "waiting") throw new StaleOffer();
          await insertOffer(trx, offer);
        });
      } catch (err) {
        if (err instanceof StaleOffer || isUniqueViolation(err)) {
          conflict = true;
          continue;
        }
        throw err;
      }
      const view = await offerView(deps, offer);
      if (view) await deps.bus.publish(channels.user(p.agentId), { type: "offer", offer: view });
    }
    if (!conflict) break;
  }
  await publishQueue(deps, accountId, portalId);
}

class StaleOffer extends Error {}

async function idleSinceOf(deps: Deps, agentIds: string[]): Promise<Map<string, number>> {
  const map = new Map<string, number>();
  if (agentIds.length === 0) return map;
  const rows = await deps.db.kysely
    .selectFrom("users")
    .select(["id", "idle_since", "available_since"])
    .where("id", "in", agentIds)
    .execute();
  for (const r of rows) map.set(r.id, r.idle_since ?? r.available_since ?? 0);
  return map;
}

/** Average wait of the portal's recently accepted queue requests (for the customers' estimate). */
async function recentAverageWaitMs(deps: Deps, portalId: string): Promise<number | null> {
  const since = deps.now() - RECENT_WAIT_WINDOW_MS;
  const rows = await deps.db.kysely
    .selectFrom("request_events as e")
    .innerJoin("requests as r", "r.id", "e.request_id")
    .select(["e.at", "r.created_at"])
    .where("r.portal_id", "=", portalId)
    .where("e.state", "=", "accepted")
    .where("e.at", ">=", since)
    .orderBy("e.at", "desc")
    .limit(50)
    .execute();
  if (rows.length === 0) return null;
  return rows.reduce((sum, r) => sum + (r.at - r.created_at), 0) / rows.length;
}

/** The customers' wait estimate at a portal, by queue position: recent waits over the agents signed in. */
async function waitEstimate(deps: Deps, portalId: string): Promise<(position: number) => number | null> {
  const [avg, loads] = await Promise.all([
    recentAverageWaitMs(deps, portalId),
    agentLoads(deps, deps.db.kysely, portalId),
  ]);
  const staffed = loads.filter((a) => a.status !== "offline").length;
  return (position) => estimateWaitMinutes(position, avg, staffed);
}

/** Tells every waiting customer their place and estimate, and agents the queue's length and oldest wait. */
export async function publishQueue(deps: Deps, accountId: string, portalId: string): Promise<void> {
  const waiting = await waitingInQueue(deps, accountId, [portalId]);
  const positions = queuePositions(
    waiting.map((r) => ({
      id: r.id,
      portalId,
      arrivedAt: r.createdAt,
      offered: false,
      refusedBy: new Set(),
    })),
  );
  const waitMinutes = await waitEstimate(deps, portalId);
  for (const r of waiting) {
    const position = positions.get(r.id) ?? 1;
    await deps.bus.publish(channels.request(r.id), {
      type: "queue.position",
      requestId: r.id,
      position,
      waitMinutes: waitMinutes(position),
    });
  }
  const stat: QueueStat = {
    portalId,
    length: waiting.length,
    oldestSince: waiting[0]?.createdAt ?? null,
  };
  await deps.bus.publish(channels.account(accountId), { type: "queue.stat", stat });
}

export async function queueStats(deps: Deps, accountId: string, portalIds: string[]): Promise<QueueStat[]> {
  const db = deps.db.kysely;
  const stats: QueueStat[] = [];
  const account = await findAccount(db, accountId);
  if (!account) return stats;
  for (const portalId of portalIds) {
    const portal = await findPortal(db, accountId, portalId);
    if (!portal || !isQueuePortal(account.mode, portal.type)) continue;
    const waiting = await waitingInQueue(deps, accountId, [portalId]);
    stats.push({ portalId, length: waiting.length, oldestSince: waiting[0]?.createdAt ?? null });
  }
  return stats;
}

export async function queuePositionOf(deps: Deps, accountId: string, portalId: string, requestId: string) {
  const waiting = await waitingInQueue(deps, accountId, [portalId]);
  const index = waiting.findIndex((r) => r.id === requestId);
  if (index < 0) return null;
  const waitMinutes = await waitEstimate(deps, portalId);
  return { position: index + 1, waitMinutes: waitMinutes(index + 1) };
}

/** Dispatches every queue portal the agent is assigned to (they became free, or their limit changed). */
export async function dispatchForAgent(deps: Deps, accountId: string, portalIds: string[]): Promise<void> {
  const account = await findAccount(deps.db.kysely, accountId);
  if (account?.mode !== "queue") return;
  for (const portalId of portalIds) await dispatchQueue(deps, accountId, portalId);
}

export async function myPendingOffer(deps: Deps, actor: Actor): Promise<OfferView | null> {
  const [offer] = await pendingOffersOfAgents(deps.db.kysely, [actor.user.id]);
  return offer ? offerView(deps, offer) : null;
}

async function closeOffer(
  deps: Deps,
  offer: OfferRecord,
  reason: "accepted" | "declined" | "timed-out" | "withdrawn",
) {
  await deps.bus.publish(channels.user(offer.agentId), {
    type: "offer.closed",
    offerId: offer.id,
    requestId: offer.requestId,
    reason,
  });
}

/** Accepting an offer: the offer and the request change in one transaction, both conditional. */
export async function acceptOffer(deps: Deps, actor: Actor, offerId: string): Promise<SessionView> {
  const accountId = actor.user.accountId;
  if (!accountId) throw notFound("Offer");
  const db = deps.db.kysely;
  const offer = await findOffer(db, accountId, offerId);
  if (!offer || offer.agentId !== actor.user.id) throw notFound("Offer");
  const now = deps.now();
  const won = await db.transaction().execute(async (trx) => {
    if (!(await endOffer(trx, offerId, "accepted", now, actor.user.id))) return false;
    if (
      !(await transitionFromWaiting(trx, accountId, offer.requestId, "accepted", now, {
        agentId: actor.user.id,
      }))
    ) {
      throw new DomainError(409, "not_waiting", "The customer is no longer waiting.");
    }
    await beginSession(trx, {
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
  const request = await findRequest(db, accountId, offer.requestId);
  if (!request) throw notFound("Request");
  await closeOffer(deps, offer, "accepted");
  const session = await sessionStarted(deps, request, actor.user.id, actor.user.displayName, now);
  await dispatchQueue(deps, accountId, offer.portalId);
  return session;
}

export async function declineOffer(deps: Deps, actor: Actor, offerId: string): Promise<void> {
  const accountId = actor.user.accountId;
  if (!accountId) throw notFound("Offer");
  const offer = await findOffer(deps.db.kysely, accountId, offerId);
  if (!offer || offer.agentId !== actor.user.id) throw notFound("Offer");
  if (!(await endOffer(deps.db.kysely, offerId, "declined", deps.now(), actor.user.id))) {
    throw new DomainError(409, "offer_closed", "This offer has already ended.");
  }
  await closeOffer(deps, offer, "declined");
  await dispatchQueue(deps, accountId, offer.portalId);
}

/** "Take next" by hand: the agent's own offer if they have one, else the oldest request nobody holds. */
export async function takeNext(deps: Deps, actor: Actor): Promise<SessionView> {
  const accountId = actor.user.accountId;
  if (!accountId) throw notFound("Request");
  const mine = await pendingOffersOfAgents(deps.db.kysely, [actor.user.id]);
  if (mine[0]) return acceptOffer(deps, actor, mine[0].id);
  const db = deps.db.kysely;
  const waiting = await waitingInQueue(deps, accountId, actor.user.portalIds);
  for (const r of waiting) {
    if ((await pendingOffersOfRequest(db, r.id)).length > 0) continue;
    const now = deps.now();
    const won = await db.transaction().execute(async (trx) => {
      if (!(await transitionFromWaiting(trx, accountId, r.id, "accepted", now, { agentId: actor.user.id })))
        return false;
      await beginSession(trx, {
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
    const request = await findRequest(db, accountId, r.id);
    if (!request) continue;
    const session = await sessionStarted(deps, request, actor.user.id, actor.user.displayName, now);
    // A dispatch on another node may have offered this request between the check above and the
    // take: that offer is withdrawn (its agent is told), then the queue moves on.
    await requestLeftQueue(deps, accountId, r.portalId, r.id);
    return session;
  }
  throw new DomainError(
    409,
    "queue_empty",
    "Nobody is waiting in your queues right now (or every waiting customer is being offered to someone).",
  );
}

/** Withdraws an agent's pending offers (they went unavailable or offline) and passes them on. */
export async function withdrawOffersOf(deps: Deps, accountId: string, agentId: string): Promise<void> {
  const offers = await pendingOffersOfAgents(deps.db.kysely, [agentId]);
  for (const o of offers) {
    if (await endOffer(deps.db.kysely, o.id, "withdrawn", deps.now())) {
      await closeOffer(deps, o, "withdrawn");
      await dispatchQueue(deps, accountId, o.portalId);
    }
  }
}

/** A request left the queue (canceled, no-response): its offer is withdrawn and the queue moves. */
export async function requestLeftQueue(
  deps: Deps,
  accountId: string,
  portalId: string,
  requestId: string,
): Promise<void> {
  for (const o of await pendingOffersOfRequest(deps.db.kysely, requestId)) {
    if (await endOffer(deps.db.kysely, o.id, "withdrawn", deps.now())) await closeOffer(deps, o, "withdrawn");
  }
  await dispatchQueue(deps, accountId, portalId);
}

/** Offers past their timer time out and pass on; part of the sweep, safe on every node. */
export async function sweepOffers(deps: Deps): Promise<void> {
  const now = deps.now();
  for (const o of await expiredOffers(deps.db.kysely, now)) {
    if (await endOffer(deps.db.kysely, o.id, "timed-out", now)) {
      await closeOffer(deps, o, "timed-out");
      await dispatchQueue(deps, o.accountId, o.portalId);
    }
  }
}
