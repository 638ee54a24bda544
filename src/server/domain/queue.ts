/**
 * Queue mode (BEHAVIOUR.md §5) as a pure planner: given who waits and who is free, which offers
 * to make now. No I/O; the dispatcher feeds it from the database and writes its plan with
 * conditional inserts, so two planners racing can never offer one request twice or give one
 * agent two offers.
 */

export interface QueuedRequest {
  id: string;
  portalId: string;
  /** Arrival time; the queue is FIFO by it (ties broken by id). */
  arrivedAt: number;
  /** An offer for this request is out right now. */
  offered: boolean;
  /** Agents who declined this request or let an offer of it time out, in the current round. */
  refusedBy: ReadonlySet<string>;
}

export interface QueueAgent {
  id: string;
  portalIds: ReadonlySet<string>;
  /** Signed in, set available, and below their concurrent-session limit. */
  free: boolean;
  /** Holds a pending offer (one at a time). */
  offered: boolean;
  /** Since their last session ended or they became available; the longest idle is offered first. */
  idleSince: number;
}

export interface PlannedOffer {
  requestId: string;
  agentId: string;
  /** True when every eligible agent had refused this request, so a new round began. */
  newRound: boolean;
}

export function byArrival(a: QueuedRequest, b: QueuedRequest): number {
  return a.arrivedAt - b.arrivedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function byIdle(a: QueueAgent, b: QueueAgent): number {
  return a.idleSince - b.idleSince || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Walks the waiting requests oldest first; each without an offer goes to the longest-idle free
 * agent of its portal who has not refused it this round. When every free agent of the portal
 * has refused it, the round starts again and they are asked again.
 */
export function planOffers(
  requests: readonly QueuedRequest[],
  agents: readonly QueueAgent[],
): PlannedOffer[] {
  const taken = new Set<string>();
  const plan: PlannedOffer[] = [];
  const idle = [...agents].filter((a) => a.free && !a.offered).sort(byIdle);
  for (const r of [...requests].sort(byArrival)) {
    if (r.offered) continue;
    const eligible = idle.filter((a) => a.portalIds.has(r.portalId) && !taken.has(a.id));
    if (eligible.length === 0) continue;
    const fresh = eligible.filter((a) => !r.refusedBy.has(a.id));
    // Everyone who could take it now has refused it: unless someone else of the portal is merely
    // busy with an offer right now (they get their turn), the round starts again.
    const busyUnasked = agents.some(
      (a) => a.portalIds.has(r.portalId) && a.free && a.offered && !r.refusedBy.has(a.id),
    );
    if (fresh.length === 0 && busyUnasked) continue;
    const pick = fresh[0] ?? eligible[0];
    if (!pick) continue;
    taken.add(pick.id);
    plan.push({ requestId: r.id, agentId: pick.id, newRound: fresh.length === 0 });
  }
  return plan;
}

/** Positions shown to customers: 1..n per portal by arrival, without gaps. */
export function queuePositions(requests: readonly QueuedRequest[]): Map<string, number> {
  const byPortal = new Map<string, QueuedRequest[]>();
  for (const r of requests) {
    const list = byPortal.get(r.portalId) ?? [];
    list.push(r);
    byPortal.set(r.portalId, list);
  }
  const positions = new Map<string, number>();
  for (const list of byPortal.values()) {
    list.sort(byArrival).forEach((r, i) => {
      positions.set(r.id, i + 1);
    });
  }
  return positions;
}

/**
 * The estimated wait for a position, from the portal's recent average wait: never false
 * precision — under a minute, or whole minutes.
 */
export function estimateWaitMinutes(
  position: number,
  recentAverageWaitMs: number | null,
  freeOrBusyAgents: number,
): number | null {
  if (recentAverageWaitMs === null) return null;
  const agents = Math.max(1, freeOrBusyAgents);
  const ms = (recentAverageWaitMs * position) / agents;
  return ms < 60_000 ? 0 : Math.round(ms / 60_000);
}

/** Queue mode routes a portal's requests through the queue only where customers ask a question. */
export function isQueuePortal(mode: string, type: string): boolean {
  return mode === "queue" && type === "question";
}
