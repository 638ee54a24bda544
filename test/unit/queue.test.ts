import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  estimateWaitMinutes,
  planOffers,
  type QueueAgent,
  type QueuedRequest,
  queuePositions,
} from "../../src/server/domain/queue.js";

/** A small world the planner runs in: what the database would hold, kept as plain data. */
interface World {
  clock: number;
  requests: Map<string, { id: string; portalId: string; arrivedAt: number; refusedBy: Set<string> }>;
  agents: Map<
    string,
    {
      id: string;
      portalIds: Set<string>;
      available: boolean;
      sessions: number;
      limit: number;
      idleSince: number;
    }
  >;
  /** requestId → agentId of the pending offer */
  offers: Map<string, string>;
  nextId: number;
}

type Event =
  | { kind: "arrive"; portal: number }
  | { kind: "available"; agent: number }
  | { kind: "unavailable"; agent: number }
  | { kind: "accept"; agent: number }
  | { kind: "decline"; agent: number }
  | { kind: "timeout"; agent: number }
  | { kind: "cancel"; request: number }
  | { kind: "end"; agent: number }
  | { kind: "limit"; agent: number; limit: number };

const PORTALS = ["p0", "p1"];

const eventArb: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ kind: fc.constant("arrive" as const), portal: fc.nat(1) }),
  fc.record({ kind: fc.constant("available" as const), agent: fc.nat(3) }),
  fc.record({ kind: fc.constant("unavailable" as const), agent: fc.nat(3) }),
  fc.record({ kind: fc.constant("accept" as const), agent: fc.nat(3) }),
  fc.record({ kind: fc.constant("decline" as const), agent: fc.nat(3) }),
  fc.record({ kind: fc.constant("timeout" as const), agent: fc.nat(3) }),
  fc.record({ kind: fc.constant("cancel" as const), request: fc.nat(30) }),
  fc.record({ kind: fc.constant("end" as const), agent: fc.nat(3) }),
  fc.record({ kind: fc.constant("limit" as const), agent: fc.nat(3), limit: fc.integer({ min: 1, max: 3 }) }),
);

function newWorld(assignments: boolean[][]): World {
  const agents: World["agents"] = new Map();
  assignments.forEach((portals, i) => {
    const portalIds = new Set(PORTALS.filter((_, p) => portals[p]));
    agents.set(`a${i}`, { id: `a${i}`, portalIds, available: false, sessions: 0, limit: 2, idleSince: 0 });
  });
  return { clock: 1, requests: new Map(), agents, offers: new Map(), nextId: 0 };
}

function offerOf(w: World, agentId: string): string | undefined {
  for (const [r, a] of w.offers) if (a === agentId) return r;
  return undefined;
}

function snapshot(w: World): { requests: QueuedRequest[]; agents: QueueAgent[] } {
  const held = new Set(w.offers.values());
  return {
    requests: [...w.requests.values()].map((r) => ({
      id: r.id,
      portalId: r.portalId,
      arrivedAt: r.arrivedAt,
      offered: w.offers.has(r.id),
      refusedBy: r.refusedBy,
    })),
    agents: [...w.agents.values()].map((a) => ({
      id: a.id,
      portalIds: a.portalIds,
      free: a.available && a.sessions < a.limit,
      offered: held.has(a.id),
      idleSince: a.idleSince,
    })),
  };
}

/** Applies the planner's offers as the dispatcher would; checks FIFO while doing it. */
function dispatch(w: World): void {
  const { requests, agents } = snapshot(w);
  const plan = planOffers(requests, agents);
  for (const o of plan) {
    expect(w.offers.has(o.requestId), "request offered twice").toBe(false);
    expect([...w.offers.values()].includes(o.agentId), "agent got two offers").toBe(false);
    const r = w.requests.get(o.requestId)!;
    // FIFO: no older unoffered request of the same portal that this agent could have taken this round.
    for (const older of w.requests.values()) {
      if (older.portalId !== r.portalId || older.id === r.id || w.offers.has(older.id)) continue;
      const olderFirst =
        older.arrivedAt < r.arrivedAt || (older.arrivedAt === r.arrivedAt && older.id < r.id);
      if (olderFirst && !older.refusedBy.has(o.agentId) && !plan.some((p) => p.requestId === older.id)) {
        throw new Error(`FIFO broken: ${o.agentId} offered ${r.id} before older ${older.id}`);
      }
    }
    if (o.newRound) r.refusedBy.clear();
    w.offers.set(o.requestId, o.agentId);
  }
}

function apply(w: World, e: Event): void {
  w.clock += 1;
  const agent = "agent" in e ? w.agents.get(`a${e.agent}`) : undefined;
  const offered = agent ? offerOf(w, agent.id) : undefined;
  switch (e.kind) {
    case "arrive": {
      const id = `r${w.nextId++}`;
      w.requests.set(id, { id, portalId: PORTALS[e.portal]!, arrivedAt: w.clock, refusedBy: new Set() });
      break;
    }
    case "available":
      if (agent && !agent.available) {
        agent.available = true;
        agent.idleSince = w.clock;
      }
      break;
    case "unavailable":
      if (agent) {
        agent.available = false;
        if (offered) w.offers.delete(offered);
      }
      break;
    case "accept":
      if (agent && offered) {
        w.offers.delete(offered);
        w.requests.delete(offered);
        agent.sessions += 1;
      }
      break;
    case "decline":
    case "timeout":
      if (agent && offered) {
        w.offers.delete(offered);
        w.requests.get(offered)?.refusedBy.add(agent.id);
      }
      break;
    case "cancel": {
      const id = [...w.requests.keys()][e.request % Math.max(1, w.requests.size)];
      if (id) {
        w.requests.delete(id);
        w.offers.delete(id);
      }
      break;
    }
    case "end":
      if (agent && agent.sessions > 0) {
        agent.sessions -= 1;
        agent.idleSince = w.clock;
      }
      break;
    case "limit":
      if (agent) {
        agent.limit = e.limit;
        if (agent.sessions >= agent.limit && offered) w.offers.delete(offered);
      }
      break;
  }
  dispatch(w);
}

function checkInvariants(w: World): void {
  const holders = [...w.offers.values()];
  expect(new Set(holders).size, "an agent holds two offers").toBe(holders.length);
  for (const a of w.agents.values()) {
    // Sessions never exceed the limit through offers (a lowered limit may leave an agent above it, but they get no offer).
    if (offerOf(w, a.id)) expect(a.sessions).toBeLessThan(a.limit);
    if (offerOf(w, a.id)) expect(a.available).toBe(true);
  }
  // No stranded request: a free agent without an offer, and a waiting request of their portal
  // without one, that the rules would let them take.
  const { requests, agents } = snapshot(w);
  expect(planOffers(requests, agents), "dispatch stopped short").toEqual([]);
  for (const r of requests) {
    if (r.offered) continue;
    const assigned = agents.filter((a) => a.portalIds.has(r.portalId) && a.free);
    const idle = assigned.filter((a) => !a.offered);
    if (idle.length === 0) continue;
    // The only excuse for leaving r without an offer while someone is idle: every idle agent
    // refused it this round, and an agent busy with another offer has not yet been asked.
    const allIdleRefused = idle.every((a) => r.refusedBy.has(a.id));
    const someoneElseToAsk = assigned.some((a) => a.offered && !r.refusedBy.has(a.id));
    if (!(allIdleRefused && someoneElseToAsk))
      throw new Error(`request ${r.id} stranded with ${idle[0]?.id} idle`);
  }
  // Positions 1..n without gaps per portal.
  const positions = queuePositions(requests);
  for (const p of PORTALS) {
    const ps = requests
      .filter((r) => r.portalId === p)
      .map((r) => positions.get(r.id)!)
      .sort((a, b) => a - b);
    expect(ps).toEqual(ps.map((_, i) => i + 1));
  }
}

describe("queue routing core (property tests)", () => {
  it("keeps every invariant over random event sequences", () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.tuple(fc.boolean(), fc.boolean()), { minLength: 1, maxLength: 4 })
          .map((xs) => xs.map(([a, b]) => (a || b ? [a, b] : [true, false]))),
        fc.array(eventArb, { minLength: 1, maxLength: 60 }),
        (assignments, events) => {
          const w = newWorld(assignments);
          for (const e of events) {
            apply(w, e);
            checkInvariants(w);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("offers to the agent idle longest, one request at a time per agent", () => {
    const reqs: QueuedRequest[] = [
      { id: "r1", portalId: "p", arrivedAt: 1, offered: false, refusedBy: new Set() },
      { id: "r2", portalId: "p", arrivedAt: 2, offered: false, refusedBy: new Set() },
      { id: "r3", portalId: "p", arrivedAt: 3, offered: false, refusedBy: new Set() },
    ];
    const agent = (id: string, idleSince: number): QueueAgent => ({
      id,
      portalIds: new Set(["p"]),
      free: true,
      offered: false,
      idleSince,
    });
    expect(planOffers(reqs, [agent("late", 50), agent("early", 10)])).toEqual([
      { requestId: "r1", agentId: "early", newRound: false },
      { requestId: "r2", agentId: "late", newRound: false },
    ]);
  });

  it("passes a refused request to the next agent, and starts a new round when all refused", () => {
    const r = (refused: string[]): QueuedRequest => ({
      id: "r1",
      portalId: "p",
      arrivedAt: 1,
      offered: false,
      refusedBy: new Set(refused),
    });
    const a = (id: string, idleSince: number, offered = false): QueueAgent => ({
      id,
      portalIds: new Set(["p"]),
      free: true,
      offered,
      idleSince,
    });
    expect(planOffers([r(["x"])], [a("x", 1), a("y", 2)])[0]).toMatchObject({
      agentId: "y",
      newRound: false,
    });
    expect(planOffers([r(["x", "y"])], [a("x", 1), a("y", 2)])[0]).toMatchObject({
      agentId: "x",
      newRound: true,
    });
    // y is busy with another offer and has not refused: wait for y rather than asking x again.
    expect(planOffers([r(["x"])], [a("x", 1), a("y", 2, true)])).toEqual([]);
  });

  it("estimates waits without false precision", () => {
    expect(estimateWaitMinutes(1, null, 1)).toBeNull();
    expect(estimateWaitMinutes(1, 20_000, 1)).toBe(0);
    expect(estimateWaitMinutes(3, 80_000, 1)).toBe(4);
    expect(estimateWaitMinutes(3, 80_000, 2)).toBe(2);
  });
});
