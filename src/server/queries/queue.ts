import type { OfferView, QueueStat } from "../../shared/protocol.js";
import type { Actor, Deps } from "../commands/context.js";
import { estimateWaitMinutes, isQueuePortal, queuePositions } from "../domain/queue.js";
import { findAccount } from "../store/accounts.js";
import { agentLoads } from "../store/agents.js";
import { type OfferRecord, pendingOffersOfAgents } from "../store/offers.js";
import { portalTypes } from "../store/portals.js";
import {
  findRequest,
  listWaiting,
  type RequestRecord,
  recentAverageWaitMs,
  toView,
} from "../store/requests.js";

/** Read models of queue mode: the line, places and estimates, the offer an agent holds. */

const RECENT_WAIT_WINDOW_MS = 2 * 60 * 60_000;

/** The queue requests waiting at the given portals, oldest first. */
export async function waitingInQueue(
  deps: Deps,
  accountId: string,
  portalIds: string[],
): Promise<RequestRecord[]> {
  return (await listWaiting(deps.db.kysely, accountId, portalIds)).filter((r) => r.kind === "queue");
}

/** The customers' wait estimate at a portal, by queue position: recent waits over the agents signed in. */
export async function waitEstimate(
  deps: Deps,
  portalId: string,
): Promise<(position: number) => number | null> {
  const [avg, loads] = await Promise.all([
    recentAverageWaitMs(deps.db.kysely, portalId, deps.now() - RECENT_WAIT_WINDOW_MS),
    agentLoads(deps.db.kysely, deps.presence, portalId),
  ]);
  const staffed = loads.filter((a) => a.status !== "offline").length;
  return (position) => estimateWaitMinutes(position, avg, staffed);
}

/** The line at one portal as its customers and agents see it: each waiting request's place and estimate, and the bar. */
export async function queueLine(
  deps: Deps,
  accountId: string,
  portalId: string,
): Promise<{
  places: { requestId: string; position: number; waitMinutes: number | null }[];
  stat: QueueStat;
}> {
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
  const places = waiting.map((r) => {
    const position = positions.get(r.id) ?? 1;
    return { requestId: r.id, position, waitMinutes: waitMinutes(position) };
  });
  return { places, stat: { portalId, length: waiting.length, oldestSince: waiting[0]?.createdAt ?? null } };
}

export async function queueStats(deps: Deps, accountId: string, portalIds: string[]): Promise<QueueStat[]> {
  const db = deps.db.kysely;
  const stats: QueueStat[] = [];
  const account = await findAccount(db, accountId);
  // Only a queue account has queues: the others' consoles need no portal read at all.
  if (account?.mode !== "queue") return stats;
  const types = await portalTypes(db, accountId, portalIds);
  const queues = portalIds.filter((id) => {
    const type = types.get(id);
    return type !== undefined && isQueuePortal(account.mode, type);
  });
  // All their lines in one read, oldest first; each portal's is its share of it.
  const waiting = await waitingInQueue(deps, accountId, queues);
  for (const portalId of queues) {
    const line = waiting.filter((r) => r.portalId === portalId);
    stats.push({ portalId, length: line.length, oldestSince: line[0]?.createdAt ?? null });
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

export async function offerView(deps: Deps, offer: OfferRecord): Promise<OfferView | null> {
  const request = await findRequest(deps.db.kysely, offer.accountId, offer.requestId);
  if (!request) return null;
  return toOfferView(offer, request);
}

export function toOfferView(offer: OfferRecord, request: RequestRecord): OfferView {
  return { id: offer.id, request: toView(request), expiresAt: offer.expiresAt, createdAt: offer.createdAt };
}

/** The queue offer the agent holds right now, if any (one at a time). */
export async function myPendingOffer(deps: Deps, actor: Actor): Promise<OfferView | null> {
  const [offer] = await pendingOffersOfAgents(deps.db.kysely, [actor.user.id]);
  return offer ? offerView(deps, offer) : null;
}
