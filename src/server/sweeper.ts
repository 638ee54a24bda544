import type { Deps } from "./commands/context.js";
import { expireInvitation } from "./commands/participants.js";
import { expireTransfer } from "./commands/transfer.js";
import { CUSTOMER_GONE_GRACE_MS } from "./domain/requests.js";
import type { DomainEvent } from "./events/events.js";
import { timed } from "./http/metrics.js";
import { closeGoneSignedIn } from "./store/agentTime.js";
import { expireCodes } from "./store/codes.js";
import { endOffer, expiredOffers } from "./store/offers.js";
import { pruneOutbox } from "./store/outbox.js";
import { prunePasswordTokens } from "./store/passwordTokens.js";
import {
  findRequest,
  listOverdue,
  queuePortalsWithUnofferedWaiting,
  transitionFromWaiting,
} from "./store/requests.js";
import { expiredInvites, expiredTransfers } from "./store/team.js";

/**
 * Time passing, on every node at once (each step is idempotent and decided by conditional
 * writes): overdue requests end, codes expire, offers time out — and, every few seconds, a
 * reconcile pass re-examines queues with someone waiting and no offer out, the safety net for a
 * node that died between a commit and its queue reaction. Each step emits the same events a
 * command would, so the reactions do the rest.
 */

/**
 * Targeted alerts unanswered for 30 s and broadcasts unanswered for 10 minutes end as
 * no-response; customers gone for longer than the grace period are canceled.
 */
export async function sweepRequests(deps: Deps): Promise<number> {
  const db = deps.db.kysely;
  const now = deps.now();
  const due = await listOverdue(db, now, now - CUSTOMER_GONE_GRACE_MS);
  let changed = 0;
  for (const d of due) {
    const reason: "no-response" | "canceled" = d.reason === "deadline" ? "no-response" : "canceled";
    const event = await db.transaction().execute(async (trx) => {
      if (!(await transitionFromWaiting(trx, d.accountId, d.id, reason, now))) return null;
      const request = await findRequest(trx, d.accountId, d.id);
      if (!request) return null;
      const closed = { type: "request.closed" as const, request, reason };
      await deps.events.stage(trx, closed);
      return closed;
    });
    if (!event) continue;
    changed++;
    await deps.events.emit(event);
  }
  return changed;
}

export async function sweepCodes(deps: Deps): Promise<void> {
  const expired = await expireCodes(deps.db.kysely, deps.now());
  const agents = new Set(expired.map((e) => e.agentId));
  await deps.events.emit(...[...agents].map((agentId) => ({ type: "codes.changed" as const, agentId })));
}

/** Offers past their timer time out and pass on. */
export async function sweepOffers(deps: Deps): Promise<void> {
  const now = deps.now();
  const closed: DomainEvent[] = [];
  for (const offer of await expiredOffers(deps.db.kysely, now)) {
    const event = { type: "offer.closed" as const, offer, reason: "timed-out" as const };
    const ended = await deps.db.kysely.transaction().execute(async (trx) => {
      if (!(await endOffer(trx, offer.id, "timed-out", now))) return false;
      await deps.events.stage(trx, event);
      return true;
    });
    if (ended) closed.push(event);
  }
  await deps.events.emit(...closed);
}

/**
 * Transfers and invitations unanswered within their alert's time: a queue portal's transfer
 * passes to the next agent, anything else ends with the session still with its owner, who is
 * told. Each decision is a conditional write, so the nodes sweeping together decide once.
 */
export async function sweepTeamwork(deps: Deps): Promise<void> {
  const now = deps.now();
  for (const t of await expiredTransfers(deps.db.kysely, now)) await expireTransfer(deps, t);
  for (const m of await expiredInvites(deps.db.kysely, now)) await expireInvitation(deps, m);
}

/**
 * The reconcile pass: queue portals with waiting requests and no pending offer for them are
 * dispatched again (the dispatch itself finds out whether anyone is free). Returns how many.
 */
export async function reconcileQueues(deps: Deps): Promise<number> {
  const stale = await queuePortalsWithUnofferedWaiting(deps.db.kysely);
  await deps.events.emit(...stale.map((s) => ({ type: "queue.stale" as const, ...s })));
  return stale.length;
}

/** Delivered and dead outbox rows, and the webhook logs' tries, are kept this long. */
export const KEEP_DELIVERIES_MS = 30 * 24 * 60 * 60_000;
/** How often the outbox and used password links are pruned. */
const PRUNE_EVERY_MS = 60 * 60_000;

/** Forgets finished deliveries (their rendered emails hold transcripts and links) and spent password links. */
export async function pruneOld(deps: Deps): Promise<number> {
  const now = deps.now();
  const removed = await pruneOutbox(deps.db.kysely, now - KEEP_DELIVERIES_MS);
  await prunePasswordTokens(deps.db.kysely, now - 24 * 60 * 60_000);
  return removed;
}

export interface SweeperOptions {
  /** How often requests, codes and offers are swept (ms); 0 switches the sweeper off (tests drive it). */
  everyMs: number;
  /** How often the reconcile pass runs (ms), at least everyMs. */
  reconcileEveryMs: number;
}

/**
 * Starts the periodic sweep; returns the function that stops it, which resolves once a pass still
 * running has ended (a drain closes the database only after it).
 */
export function startSweeper(deps: Deps, options: SweeperOptions): () => Promise<void> {
  if (options.everyMs <= 0) return async () => {};
  let running = false;
  let pass: Promise<unknown> = Promise.resolve();
  let lastReconcile = deps.now();
  let lastPrune = 0;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    const now = deps.now();
    const reconcile = now - lastReconcile >= options.reconcileEveryMs;
    if (reconcile) lastReconcile = now;
    const prune = now - lastPrune >= PRUNE_EVERY_MS;
    if (prune) lastPrune = now;
    // Each pass is timed (helpgate_sweep_duration_seconds), failed ones too.
    pass = timed(deps.metrics?.sweepDuration, () =>
      Promise.all([sweepRequests(deps), sweepCodes(deps), sweepOffers(deps), sweepTeamwork(deps)])
        .then(() =>
          reconcile
            ? Promise.all([reconcileQueues(deps), closeGoneSignedIn(deps.db.kysely, deps.now())])
            : null,
        )
        .then(() => (prune ? pruneOld(deps) : 0)),
    )
      .catch((err: unknown) => deps.log.warn({ err }, "sweep failed; will retry"))
      .finally(() => {
        running = false;
      });
  }, options.everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await pass;
  };
}
