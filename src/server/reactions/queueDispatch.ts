import { randomUUID } from "node:crypto";
import type { Deps } from "../commands/context.js";
import { isUniqueViolation } from "../db/database.js";
import { planOffers, type QueueAgent, type QueuedRequest } from "../domain/queue.js";
import type { DomainEvent } from "../events/events.js";
import type { Reaction } from "../events/reactions.js";
import { waitingInQueue } from "../queries/queue.js";
import { findAccount, offerTimeoutMs } from "../store/accounts.js";
import { agentCanTake, agentLoads, idleSinceOf } from "../store/agents.js";
import {
  endOffer,
  insertOffer,
  type OfferRecord,
  pendingOffersOfAgents,
  pendingOffersOfPortal,
  pendingOffersOfRequest,
  refusalsOf,
} from "../store/offers.js";
import { advanceRound, isStillWaiting, type RequestRecord, requestRounds } from "../store/requests.js";
import { findUserById } from "../store/users.js";

/**
 * BEHAVIOUR.md §5: the queue is re-examined on every capacity change — an agent became available
 * or not, signed in or left, their limit or portals changed, a session began or ended, a request
 * joined or left the line, an offer was declined or timed out — never only on a timer (the
 * sweeper's reconcile pass is the safety net for a node that died between commit and here).
 *
 * Within one batch of events each portal is dispatched once; a dispatch asked for while the same
 * portal's dispatch runs on this node is folded into one more run right after it (coalescing, as
 * Chatwoot's per-inbox assignment job does), so a burst of changes costs two planner runs, not N.
 */

class StaleOffer extends Error {}

/** Re-examines one portal's queue and makes the offers the planner asks for. */
async function dispatchQueue(deps: Deps, accountId: string, portalId: string, quiet = false): Promise<void> {
  let offered = 0;
  const db = deps.db.kysely;
  // Two dispatches may race (two nodes): the database's partial unique indexes let only one offer
  // per request and per agent through; the loser plans again from the new state.
  for (let attempt = 0; attempt < 6; attempt++) {
    const waiting = await waitingInQueue(deps, accountId, [portalId]);
    const loads = await agentLoads(db, deps.presence, portalId);
    const [portalOffers, agentOffers, roundOf, idle] = await Promise.all([
      pendingOffersOfPortal(db, portalId),
      pendingOffersOfAgents(
        db,
        loads.map((a) => a.id),
      ),
      requestRounds(
        db,
        waiting.map((r) => r.id),
      ),
      idleSinceOf(
        db,
        loads.map((a) => a.id),
      ),
    ]);
    const refusals = await refusalsOf(
      db,
      waiting.map((r) => ({ id: r.id, round: roundOf.get(r.id) ?? 0 })),
    );
    const offeredRequests = new Set(portalOffers.map((o) => o.requestId));
    const offeredAgents = new Set(agentOffers.map((o) => o.agentId));
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
    const timeout = plan.length ? await offerTimeoutMs(db, accountId) : 0;
    const byId = new Map<string, RequestRecord>(waiting.map((r) => [r.id, r]));
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
      const request = byId.get(p.requestId);
      const made = request ? { type: "offer.made" as const, offer, request } : null;
      try {
        await db.transaction().execute(async (trx) => {
          if (p.newRound) await advanceRound(trx, p.requestId, round);
          // Only while the request is still waiting; the unique indexes do the rest.
          if (!(await isStillWaiting(trx, deps.db.dialect, p.requestId))) throw new StaleOffer();
          await insertOffer(trx, offer);
          if (made) await deps.events.stage(trx, made);
        });
      } catch (err) {
        if (err instanceof StaleOffer || isUniqueViolation(err)) {
          conflict = true;
          continue;
        }
        throw err;
      }
      offered++;
      if (made) await deps.events.emit(made);
    }
    if (!conflict) break;
  }
  // A reconcile pass that found nobody free changes no one's place: it tells nobody.
  if (!quiet || offered > 0) await deps.events.emit({ type: "queue.changed", accountId, portalId });
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Deferred {
  let resolve: () => void = () => {};
  let reject: (err: unknown) => void = () => {};
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Per node (per Deps): for each portal with a dispatch running, who asked for the next one.
 * A caller waits for exactly one run that started after it asked — never for a busy portal's
 * whole stream of runs — and a failed run fails only its own callers; the next still runs.
 */
const running = new WeakMap<Deps, Map<string, { next: Deferred | null; quiet: boolean }>>();

function coalescedDispatch(deps: Deps, accountId: string, portalId: string, quiet: boolean): Promise<void> {
  let table = running.get(deps);
  if (!table) {
    table = new Map();
    running.set(deps, table);
  }
  const key = `${accountId}:${portalId}`;
  const current = table.get(key);
  if (current) {
    current.next ??= deferred();
    current.quiet &&= quiet;
    return current.next.promise;
  }
  const state = { next: null as Deferred | null, quiet: true };
  table.set(key, state);
  const first = deferred();
  const ownTable = table;
  void (async () => {
    let waiting: Deferred | null = first;
    let runQuiet = quiet;
    while (waiting) {
      try {
        await dispatchQueue(deps, accountId, portalId, runQuiet);
        waiting.resolve();
      } catch (err) {
        waiting.reject(err);
      }
      waiting = state.next;
      runQuiet = state.quiet;
      state.next = null;
      state.quiet = true;
    }
    ownTable.delete(key);
  })();
  return first.promise;
}

/** Ends pending offers (the request left, or the agent can no longer take it) and says so. */
async function withdraw(deps: Deps, offers: OfferRecord[]): Promise<OfferRecord[]> {
  const done: OfferRecord[] = [];
  const closed: DomainEvent[] = [];
  for (const o of offers) {
    const event = { type: "offer.closed" as const, offer: o, reason: "withdrawn" as const };
    const ended = await deps.db.kysely.transaction().execute(async (trx) => {
      if (!(await endOffer(trx, o.id, "withdrawn", deps.now()))) return false;
      await deps.events.stage(trx, event);
      return true;
    });
    if (!ended) continue;
    done.push(o);
    closed.push(event);
  }
  if (closed.length > 0) await deps.events.emit(...closed);
  return done;
}

interface CapacityChange {
  accountId: string;
  agentId: string;
  portalIds: string[] | null;
}

export const queueDispatchReaction: Reaction = {
  name: "queueDispatch",
  on: [
    "request.submitted",
    "request.closed",
    "session.started",
    "session.ended",
    "session.ownerChanged",
    "offer.closed",
    "agent.capacityChanged",
    "queue.stale",
  ],
  async run(deps, events) {
    const db = deps.db.kysely;
    const portals = new Map<string, { accountId: string; portalId: string; quiet: boolean }>();
    const add = (accountId: string, portalId: string, quiet = false) => {
      const key = `${accountId}:${portalId}`;
      const had = portals.get(key);
      portals.set(key, { accountId, portalId, quiet: (had?.quiet ?? true) && quiet });
    };
    const capacity = new Map<string, CapacityChange>();
    const changed = (c: CapacityChange) => {
      const before = capacity.get(c.agentId);
      capacity.set(c.agentId, { ...c, portalIds: c.portalIds ?? before?.portalIds ?? null });
    };
    for (const e of events as DomainEvent[]) {
      switch (e.type) {
        case "request.submitted":
          if (e.request.kind === "queue") add(e.request.accountId, e.request.portalId);
          break;
        case "request.closed":
          if (e.request.kind === "queue") {
            await withdraw(deps, await pendingOffersOfRequest(db, e.request.id));
            add(e.request.accountId, e.request.portalId);
          }
          break;
        case "session.started":
          // Only queue accounts have queues, and their live requests are all queue requests
          // (queue mode has question portals only): an alert's accept, the hot path of a race of
          // hundreds, moves no queue and costs no read here.
          if (e.request.kind !== "queue") break;
          // Taken by hand while a dispatch elsewhere offered it: that offer is withdrawn.
          await withdraw(deps, await pendingOffersOfRequest(db, e.request.id));
          add(e.request.accountId, e.request.portalId);
          changed({ accountId: e.request.accountId, agentId: e.session.agentId, portalIds: null });
          break;
        case "session.ended":
          // Not on a race's path, so asked of the account (a mode switch may have made it a queue).
          changed({ accountId: e.session.accountId, agentId: e.session.agentId, portalIds: null });
          break;
        case "session.ownerChanged":
          // The previous owner has one session fewer (and the new one one more).
          changed({ accountId: e.session.accountId, agentId: e.previousAgentId, portalIds: null });
          changed({ accountId: e.session.accountId, agentId: e.session.agentId, portalIds: null });
          break;
        case "offer.closed":
          // Accepted: session.started moves the queue; withdrawn: whoever withdrew it does.
          if (e.reason === "declined" || e.reason === "timed-out") add(e.offer.accountId, e.offer.portalId);
          break;
        case "agent.capacityChanged":
          changed({ accountId: e.accountId, agentId: e.agentId, portalIds: e.portalIds });
          break;
        case "queue.stale":
          add(e.accountId, e.portalId, true);
          break;
        default:
          break;
      }
    }
    const queueMode = new Map<string, boolean>();
    for (const c of capacity.values()) {
      let isQueue = queueMode.get(c.accountId);
      if (isQueue === undefined) {
        isQueue = (await findAccount(db, c.accountId))?.mode === "queue";
        queueMode.set(c.accountId, isQueue);
      }
      if (!isQueue) continue;
      // Pending offers of an agent who can no longer take them pass on.
      if (!(await agentCanTake(db, deps.presence, c.agentId))) {
        const gone = await withdraw(deps, await pendingOffersOfAgents(db, [c.agentId]));
        for (const o of gone) add(o.accountId, o.portalId);
      }
      const portalIds = c.portalIds ?? (await findUserById(db, c.agentId))?.portalIds ?? [];
      for (const portalId of portalIds) add(c.accountId, portalId);
    }
    for (const p of portals.values()) await coalescedDispatch(deps, p.accountId, p.portalId, p.quiet);
  },
};
