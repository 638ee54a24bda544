import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Reactions } from "../../src/server/events/reactions.js";
import { sweepOffers, sweepRequests } from "../../src/server/sweeper.js";
import type { Portal } from "../../src/shared/api.js";
import type { AgentServerMessage, CustomerServerMessage, OfferView } from "../../src/shared/protocol.js";
import { call } from "../support/app.js";
import { dialects } from "../support/databases.js";
import {
  type Agent,
  type AgentSocket,
  ask,
  barrier,
  type CustomerSocket,
  connectAgent,
  connectCustomer,
  createPortal,
  eventsOf,
  eventually,
  onlineAgent,
  patchUser,
  requestRow,
  seedAgent,
  seedTenant,
  setAvailable,
  startWorld,
  type World,
} from "../support/scenario.js";

type Offer = Extract<AgentServerMessage, { type: "offer" }>;
type OfferClosed = Extract<AgentServerMessage, { type: "offer.closed" }>;

const isOfferFor = (requestId: string) => (m: AgentServerMessage) =>
  m.type === "offer" && m.offer.request.id === requestId;
const isClosed = (offerId: string, reason?: OfferClosed["reason"]) => (m: AgentServerMessage) =>
  m.type === "offer.closed" && m.offerId === offerId && (reason === undefined || m.reason === reason);

function offerOf(m: AgentServerMessage): OfferView {
  if (m.type !== "offer") throw new Error(`expected an offer, got ${m.type}`);
  return m.offer;
}

/** The pending offers stored for an account, straight from the offers table. */
async function pendingOffers(world: World, accountId: string) {
  return world.app.deps.db.kysely
    .selectFrom("offers")
    .select(["id", "request_id", "agent_id", "state"])
    .where("account_id", "=", accountId)
    .where("state", "=", "pending")
    .execute();
}

async function offerStates(world: World, requestId: string) {
  const rows = await world.app.deps.db.kysely
    .selectFrom("offers")
    .select(["agent_id", "state", "created_at"])
    .where("request_id", "=", requestId)
    .orderBy("created_at")
    .execute();
  return rows.map((r) => ({ agent: r.agent_id, state: r.state }));
}

function post(world: World, agent: Agent, path: string) {
  return call(world.app, agent.cookie, "POST", `/api/v1${path}`);
}

/** The customer's latest queue position as their socket heard it. */
function lastPosition(ws: CustomerSocket): number | null {
  const places = ws.received.filter(
    (m): m is Extract<CustomerServerMessage, { type: "queue" }> => m.type === "queue",
  );
  return places.at(-1)?.position ?? null;
}

describe.each(dialects())("queue mode on %s", (dialect) => {
  let world: World;
  const sockets: { close(): Promise<void> }[] = [];
  const keep = <S extends { close(): Promise<void> }>(s: S): S => {
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    world = await startWorld(dialect);
  });
  afterAll(async () => {
    await Promise.allSettled(sockets.map((s) => s.close()));
    await world.close();
  });

  /** A queue-mode tenant with a question portal staffed by the named agents (all online). */
  async function line(prefix: string, names: string[], extra: Record<string, unknown> = {}) {
    const tenant = await seedTenant(world, prefix, "queue");
    const agents: Agent[] = [];
    for (const name of names) agents.push(await seedAgent(world, tenant, name));
    const portal = await createPortal(world, tenant, "question", agents, extra);
    const sockets: AgentSocket[] = [];
    for (const a of agents) sockets.push(keep(await onlineAgent(world, a)));
    return { tenant, agents, portal, sockets };
  }

  async function customer(portal: Portal, name: string) {
    const s = await ask(world, portal.slug, { name, question: `Help ${name}` });
    const ws = keep(await connectCustomer(world, s.requestId, s.cookie));
    return { ...s, ws };
  }

  /** Which of the sockets got an offer for the request (waits for exactly one). */
  async function offeredTo(sockets: AgentSocket[], requestId: string, from: number[] = []) {
    const found = await Promise.any(
      sockets.map((ws, i) =>
        ws.next(isOfferFor(requestId), 5000, from[i] ?? 0).then((m) => ({ index: i, offer: offerOf(m) })),
      ),
    );
    return found;
  }

  it("offers a new request to one agent, and a decline passes it to the other at once", async () => {
    const { agents, portal, sockets } = await line("q-decline", ["ann", "ben"]);
    const c = await customer(portal, "Dora");
    const first = await offeredTo(sockets, c.requestId);
    const other = 1 - first.index;
    // only one agent sees it
    await barrier(sockets[other] as AgentSocket);
    expect(eventsOf(sockets[other] as AgentSocket).some(isOfferFor(c.requestId))).toBe(false);

    const marks = sockets.map((ws) => ws.received.length);
    const declined = await post(world, agents[first.index] as Agent, `/offers/${first.offer.id}/decline`);
    expect(declined.status).toBe(204);
    await (sockets[first.index] as AgentSocket).next(
      isClosed(first.offer.id, "declined"),
      5000,
      marks[first.index],
    );
    const second = offerOf(
      await (sockets[other] as AgentSocket).next(isOfferFor(c.requestId), 5000, marks[other]),
    );
    expect(second.id).not.toBe(first.offer.id);
    expect(await offerStates(world, c.requestId)).toEqual([
      { agent: agents[first.index]?.user.id, state: "declined" },
      { agent: agents[other]?.user.id, state: "pending" },
    ]);

    // Everyone eligible refused: a new round starts and offers it again.
    const marks2 = sockets.map((ws) => ws.received.length);
    expect((await post(world, agents[other] as Agent, `/offers/${second.id}/decline`)).status).toBe(204);
    const third = await offeredTo(sockets, c.requestId, marks2);
    expect(third.offer.id).not.toBe(second.id);
    expect((await pendingOffers(world, portal.accountId)).map((o) => o.request_id)).toEqual([c.requestId]);

    // Accepting the offer starts the session; the customer hears it.
    const accepted = await post(world, agents[third.index] as Agent, `/offers/${third.offer.id}/accept`);
    expect(accepted.status).toBe(200);
    await c.ws.next((m) => m.type === "status" && m.status.state === "accepted");
    expect((await requestRow(world, c.requestId)).agent_id).toBe(agents[third.index]?.user.id);
  });

  it("passes an offer on when it times out (short offer timeout, clock moved on, sweep)", async () => {
    const { tenant, agents, portal, sockets } = await line("q-timeout", ["cat", "dan"]);
    const patched = await call(
      world.app,
      tenant.adminCookie,
      "PATCH",
      `/api/v1/accounts/${tenant.account.id}`,
      {
        offerTimeoutSeconds: 5,
      },
    );
    expect(patched.status).toBe(200);
    const c = await customer(portal, "Emil");
    const first = await offeredTo(sockets, c.requestId);
    expect(first.offer.expiresAt - first.offer.createdAt).toBe(5000);
    const other = 1 - first.index;
    const marks = sockets.map((ws) => ws.received.length);

    await sweepOffers(world.app.deps);
    expect((await pendingOffers(world, tenant.account.id)).map((o) => o.id)).toEqual([first.offer.id]);

    world.clock.advance(6000);
    await sweepOffers(world.app.deps);
    await (sockets[first.index] as AgentSocket).next(
      isClosed(first.offer.id, "timed-out"),
      5000,
      marks[first.index],
    );
    const next = offerOf(
      await (sockets[other] as AgentSocket).next(isOfferFor(c.requestId), 5000, marks[other]),
    );
    expect(next.id).not.toBe(first.offer.id);
    expect(await offerStates(world, c.requestId)).toEqual([
      { agent: agents[first.index]?.user.id, state: "timed-out" },
      { agent: agents[other]?.user.id, state: "pending" },
    ]);
    await post(world, agents[other] as Agent, `/offers/${next.id}/decline`);
  });

  it("passes an offer on when its agent goes unavailable", async () => {
    const { tenant, agents, portal, sockets } = await line("q-away", ["eva", "fay"]);
    const c = await customer(portal, "Gus");
    const first = await offeredTo(sockets, c.requestId);
    const other = 1 - first.index;
    const marks = sockets.map((ws) => ws.received.length);
    await setAvailable(world, agents[first.index] as Agent, false);
    await (sockets[first.index] as AgentSocket).next(
      isClosed(first.offer.id, "withdrawn"),
      5000,
      marks[first.index],
    );
    const next = offerOf(
      await (sockets[other] as AgentSocket).next(isOfferFor(c.requestId), 5000, marks[other]),
    );
    const pending = await pendingOffers(world, tenant.account.id);
    expect(pending).toEqual([
      { id: next.id, request_id: c.requestId, agent_id: agents[other]?.user.id, state: "pending" },
    ]);
  });

  it("20 requests at once with 3 agents: exactly 3 offers, one per agent, positions without gaps", async () => {
    const { tenant, agents, portal, sockets } = await line("q-burst", ["gil", "hal", "ivy"]);
    const submitted = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ask(world, portal.slug, { name: `C${i}`, question: `Q${i}` })),
    );
    const ids = submitted.map((s) => s.requestId);
    expect(new Set(ids).size).toBe(20);

    await eventually(async () => (await pendingOffers(world, tenant.account.id)).length === 3);
    // a little later still exactly 3 (no late dispatch adds a fourth)
    await new Promise((r) => setTimeout(r, 200));
    const pending = await pendingOffers(world, tenant.account.id);
    expect(pending).toHaveLength(3);
    expect(new Set(pending.map((o) => o.agent_id))).toEqual(new Set(agents.map((a) => a.user.id)));
    expect(new Set(pending.map((o) => o.request_id)).size).toBe(3);

    // each agent got one offer event, for the request the table says it holds
    for (const [i, ws] of sockets.entries()) {
      await barrier(ws);
      const offers = eventsOf(ws).filter((m): m is Offer => m.type === "offer");
      expect(offers).toHaveLength(1);
      const held = pending.find((o) => o.agent_id === agents[i]?.user.id);
      expect(offers[0]?.offer.request.id).toBe(held?.request_id);
    }

    // FIFO: the three offered are the three oldest
    const rows = await world.app.deps.db.kysely
      .selectFrom("requests")
      .select(["id", "created_at"])
      .where("id", "in", ids)
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    const createdAt = new Map(rows.map((r) => [r.id, r.created_at]));
    const offeredTimes = pending.map((o) => createdAt.get(o.request_id) ?? 0);
    const waitingTimes = ids
      .filter((id) => !pending.some((o) => o.request_id === id))
      .map((id) => createdAt.get(id) ?? 0);
    expect(Math.max(...offeredTimes)).toBeLessThanOrEqual(Math.min(...waitingTimes));

    // Every customer hears their place: together 1..20, no gaps, no duplicates.
    const customers: CustomerSocket[] = [];
    for (const s of submitted) customers.push(keep(await connectCustomer(world, s.requestId, s.cookie)));
    for (const ws of customers) await ws.next((m) => m.type === "queue");
    const positions = customers.map(lastPosition).sort((a, b) => (a ?? 0) - (b ?? 0));
    expect(positions).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));

    // An agent accepts their offer: the line moves up by one for everyone behind.
    const firstHeld = pending[0];
    if (!firstHeld) throw new Error("no offer");
    const holder = agents.find((a) => a.user.id === firstHeld.agent_id) as Agent;
    const marks = customers.map((ws) => ws.received.length);
    expect((await post(world, holder, `/offers/${firstHeld.id}/accept`)).status).toBe(200);
    const still = customers.filter((_, i) => submitted[i]?.requestId !== firstHeld.request_id);
    await Promise.all(
      still.map((ws) => ws.next((m) => m.type === "queue", 5000, marks[customers.indexOf(ws)])),
    );
    await eventually(async () => {
      const now = still.map(lastPosition).sort((a, b) => (a ?? 0) - (b ?? 0));
      return JSON.stringify(now) === JSON.stringify(Array.from({ length: 19 }, (_, i) => i + 1));
    });
  });

  it("take next: the oldest request nobody holds an offer for, then 409 when none is left", async () => {
    const { tenant, sockets, portal } = await line("q-take", ["jo"]);
    const taker = await seedAgent(world, tenant, "kai");
    const patched = await call(
      world.app,
      tenant.adminCookie,
      "PATCH",
      `/api/v1/accounts/${tenant.account.id}/portals/${portal.id}`,
      { agentIds: [...portal.agentIds, taker.user.id] },
    );
    expect(patched.status).toBe(200);
    const takerWs = keep(await connectAgent(world, taker)); // signed in, not available: no offers
    const a = await customer(portal, "Ada");
    await (sockets[0] as AgentSocket).next(isOfferFor(a.requestId));
    const b = await customer(portal, "Bo");
    const c = await customer(portal, "Cy");

    const first = await post(world, taker, "/queue/take-next");
    expect(first.status).toBe(200);
    expect((first.body as { id: string }).id).toBe(b.requestId);
    await b.ws.next((m) => m.type === "status" && m.status.state === "accepted");
    await c.ws.next((m) => m.type === "queue" && m.position === 2);

    const second = await post(world, taker, "/queue/take-next");
    expect((second.body as { id: string }).id).toBe(c.requestId);
    // Only Ada is left, and she is offered to Jo: nothing for Kai to take.
    const none = await post(world, taker, "/queue/take-next");
    expect(none.status).toBe(409);
    expect((none.body as { error: string }).error).toBe("queue_empty");
    await barrier(takerWs);
    expect(eventsOf(takerWs).some((m) => m.type === "offer")).toBe(false);
  });

  it("ends a request as no-response after the portal's maximum wait", async () => {
    const { sockets, portal } = await line("q-maxwait", ["kim"], { maxWaitSeconds: 60 });
    expect(portal.maxWaitSeconds).toBe(60);
    const c = await customer(portal, "Lou");
    const held = offerOf(await (sockets[0] as AgentSocket).next(isOfferFor(c.requestId)));
    await sweepRequests(world.app.deps);
    expect((await requestRow(world, c.requestId)).state).toBe("waiting");
    world.clock.advance(61_000);
    await sweepRequests(world.app.deps);
    expect((await requestRow(world, c.requestId)).state).toBe("no-response");
    await c.ws.next((m) => m.type === "status" && m.status.state === "no-response");
    // the offer it had out is withdrawn
    await (sockets[0] as AgentSocket).next(isClosed(held.id, "withdrawn"));
  });

  it("take next and accepting an offer hold the agent's session limit (409 at_limit with the limit)", async () => {
    const { tenant, agents, portal, sockets } = await line("q-limit", ["lia", "max"]);
    const [lia, max] = agents as [Agent, Agent];
    await setAvailable(world, max, false);
    // Lia, limit 1, takes the first customer: now she is at her limit.
    await patchUser(world, tenant, lia, { maxSessions: 1 });
    const a = await customer(portal, "Ada");
    const offer = offerOf(await (sockets[0] as AgentSocket).next(isOfferFor(a.requestId)));
    expect((await post(world, lia, `/offers/${offer.id}/accept`)).status).toBe(200);
    const b = await customer(portal, "Bea");
    // Nobody free: Bea waits without an offer, and take next refuses Lia at her limit.
    const refused = await post(world, lia, "/queue/take-next");
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      error: "at_limit",
      message: "You are at your limit of 1 session; end one first.",
      params: { limit: 1 },
    });
    expect((await requestRow(world, b.requestId)).state).toBe("waiting");

    // An offer held while a session opens elsewhere (another node, same instant): accepting it
    // is refused inside the transaction, not past the limit.
    await setAvailable(world, max, true);
    const held = offerOf(await (sockets[1] as AgentSocket).next(isOfferFor(b.requestId)));
    await patchUser(world, tenant, max, { maxSessions: 1 });
    await world.app.deps.db.kysely
      .insertInto("sessions")
      .values({
        id: `${b.requestId}-elsewhere`,
        account_id: tenant.account.id,
        request_id: a.requestId,
        agent_id: max.user.id,
        started_at: world.clock.now(),
        ended_at: null,
      })
      .execute();
    const late = await post(world, max, `/offers/${held.id}/accept`);
    expect(late.status).toBe(409);
    expect((late.body as { error: string; params: unknown }).params).toEqual({ limit: 1 });
    expect((await requestRow(world, b.requestId)).state).toBe("waiting");
  });

  it("a side effect that fails after the commit does not turn the accept into a 500: the session stands, the failure is logged and counted", async () => {
    const { agents, portal, sockets } = await line("q-failing", ["ned"]);
    const c = await customer(portal, "Ola");
    const offer = offerOf(await (sockets[0] as AgentSocket).next(isOfferFor(c.requestId)));
    await c.ws.next((m) => m.type === "queue");
    const events = world.app.deps.events;
    if (!(events instanceof Reactions)) throw new Error("the app's events are not the reactions emitter");
    const before = events.failures.get("queueDispatch") ?? 0;
    // The queue's re-examination after the accept cannot reach presence (say, Redis is gone).
    const presence = world.app.deps.presence;
    const original = presence.onlineAmong.bind(presence);
    presence.onlineAmong = async () => {
      throw new Error("injected: presence unreachable");
    };
    let accepted: Awaited<ReturnType<typeof post>>;
    try {
      accepted = await post(world, agents[0] as Agent, `/offers/${offer.id}/accept`);
    } finally {
      presence.onlineAmong = original;
    }
    expect(accepted.status).toBe(200);
    expect((await requestRow(world, c.requestId)).state).toBe("accepted");
    expect(events.failures.get("queueDispatch")).toBe(before + 1);
    // The announcement ran before the failing reaction: the customer is in the session.
    await c.ws.next((m) => m.type === "status" && m.status.state === "accepted");
  });

  it("a burst of capacity changes for one portal dispatches it at most a few times, not once each (coalesced)", async () => {
    const { tenant, agents, portal, sockets } = await line("q-burst-cap", ["oli", "pia"]);
    const ws = sockets[0] as AgentSocket;
    await barrier(ws);
    const mark = ws.received.length;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        world.app.deps.events.emit({
          type: "agent.capacityChanged",
          accountId: tenant.account.id,
          agentId: (agents[i % 2] as Agent).user.id,
          portalIds: [portal.id],
        }),
      ),
    );
    await barrier(ws);
    const dispatches = ws.received.slice(mark).filter((m) => m.type === "queue.stat").length;
    expect(dispatches).toBeGreaterThanOrEqual(1);
    expect(dispatches).toBeLessThanOrEqual(3);
  });
});
