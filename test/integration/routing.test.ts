import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiError } from "../../src/shared/api.js";
import type { ConsoleSnapshot } from "../../src/shared/protocol.js";
import { call } from "../support/app.js";
import { dialects } from "../support/databases.js";
import {
  type Agent,
  type AgentSocket,
  accept,
  ask,
  barrier,
  connectAgent,
  createPortal,
  eventsOf,
  isAlertFor,
  onlineAgent,
  patchUser,
  requestOf,
  requestRow,
  seedAgent,
  seedTenant,
  startWorld,
  submit,
  transitionsOf,
  type World,
} from "../support/scenario.js";

async function requestCount(world: World, portalId: string): Promise<number> {
  const r = await world.app.deps.db.kysely
    .selectFrom("requests")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("portal_id", "=", portalId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

interface PortalAgentsBody {
  anyAvailable: boolean;
  agents: { id: string; displayName: string; status: string }[];
}

describe.each(dialects())("routing of requests to agents on %s", (dialect) => {
  let world: World;
  const sockets: AgentSocket[] = [];
  beforeAll(async () => {
    world = await startWorld(dialect);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world.close();
  });
  const online = async (agent: Agent) => {
    const ws = await onlineAgent(world, agent);
    sockets.push(ws);
    return ws;
  };

  it("pick-agent alerts only the chosen agent, as a targeted alert", async () => {
    const tenant = await seedTenant(world, "pick");
    const anna = await seedAgent(world, tenant, "anna");
    const ben = await seedAgent(world, tenant, "ben");
    const portal = await createPortal(world, tenant, "pick-agent", [anna, ben]);
    const annaWs = await online(anna);
    const benWs = await online(ben);
    const benFrom = await barrier(benWs);

    const menu = await call(world.app, null, "GET", `/api/v1/portals/${portal.slug}/agents`);
    expect(menu.status).toBe(200);
    const body = menu.body as PortalAgentsBody;
    expect(body.anyAvailable).toBe(true);
    expect(body.agents.map((a) => [a.displayName, a.status])).toEqual([
      ["anna", "available"],
      ["ben", "available"],
    ]);

    const s = await ask(world, portal.slug, { name: "Carla" }, anna.user.id);
    expect(s.res.status).toBe(201);
    const alert = requestOf(await annaWs.next(isAlertFor(s.requestId)));
    expect(alert.kind).toBe("targeted");
    expect(alert.targetAgentId).toBe(anna.user.id);
    expect(alert.customerName).toBe("Carla");
    expect(alert.state).toBe("waiting");

    await barrier(benWs);
    expect(eventsOf(benWs, benFrom)).toEqual([]);

    // Once anna accepts, ben (who never saw the alert) is still told nothing about it.
    expect((await accept(world, anna, s.requestId)).status).toBe(200);
    await annaWs.next((m) => m.type === "session.started");
    await barrier(benWs);
    expect(eventsOf(benWs, benFrom)).toEqual([]);
  });

  it("refuses an agent who is not connected, not available, or at their limit (409 agentId), storing nothing", async () => {
    const tenant = await seedTenant(world, "pick-busy");
    const away = await seedAgent(world, tenant, "away"); // never opens the console
    const idle = await seedAgent(world, tenant, "idle"); // console open, not available
    const full = await seedAgent(world, tenant, "full"); // available, at their limit of 1
    const portal = await createPortal(world, tenant, "pick-agent", [away, idle, full]);
    sockets.push(await connectAgent(world, idle));
    const fullWs = await online(full);
    await patchUser(world, tenant, full, { maxSessions: 1 });
    const first = await ask(world, portal.slug, { name: "First" }, full.user.id);
    expect((await accept(world, full, first.requestId)).status).toBe(200);
    await fullWs.next((m) => m.type === "session.started");

    const menu = (await call(world.app, null, "GET", `/api/v1/portals/${portal.slug}/agents`))
      .body as PortalAgentsBody;
    expect(menu.anyAvailable).toBe(false);
    expect(Object.fromEntries(menu.agents.map((a) => [a.displayName, a.status]))).toEqual({
      away: "offline",
      idle: "offline",
      full: "busy",
    });

    const before = await requestCount(world, portal.id);
    for (const agent of [away, idle, full]) {
      const r = await submit(world, portal.slug, { name: "Carla" }, agent.user.id);
      expect(r.res.status).toBe(409);
      const err = r.res.body as ApiError;
      expect(err.error).toBe("agent_unavailable");
      expect(err.message).toBe(
        `${agent.user.displayName} is not available right now. Choose another agent or leave a message.`,
      );
      expect(err.fields?.agentId?.code).toBe("agent_unavailable");
      expect(r.res.res.headers["set-cookie"]).toBeUndefined();
    }
    expect(await requestCount(world, portal.id)).toBe(before);
  });

  it("refuses an agent who is not assigned to the portal, or no agent at all (400 agentId)", async () => {
    const tenant = await seedTenant(world, "pick-other");
    const mine = await seedAgent(world, tenant, "mine");
    const elsewhere = await seedAgent(world, tenant, "elsewhere");
    const portal = await createPortal(world, tenant, "pick-agent", [mine]);
    await createPortal(world, tenant, "pick-agent", [elsewhere]);
    const stranger = await seedTenant(world, "pick-stranger");
    const foreign = await seedAgent(world, stranger, "foreign");
    await createPortal(world, stranger, "pick-agent", [foreign]);
    await online(mine);
    await online(elsewhere);
    await online(foreign);

    for (const agentId of [elsewhere.user.id, foreign.user.id, undefined]) {
      const r = await submit(world, portal.slug, { name: "Carla" }, agentId);
      expect(r.res.status).toBe(400);
      const err = r.res.body as ApiError;
      expect(err.error).toBe("choose_agent");
      expect(err.message).toBe("Choose the agent you want to talk to.");
      expect(err.fields?.agentId?.code).toBe("choose_agent");
    }
    expect(await requestCount(world, portal.id)).toBe(0);
  });

  for (const type of ["question", "button"] as const) {
    it(`${type} alerts every available agent of the portal and nobody else`, async () => {
      const tenant = await seedTenant(world, `bc-${type}`);
      const [a1, a2, idle, away, full, other] = await Promise.all(
        ["a1", "a2", "idle", "away", "full", "other"].map((n) => seedAgent(world, tenant, n)),
      );
      if (!a1 || !a2 || !idle || !away || !full || !other) throw new Error("agents not seeded");
      const portal = await createPortal(world, tenant, type, [a1, a2, idle, away, full]);
      const otherPortal = await createPortal(world, tenant, type, [other, full]);
      const ws1 = await online(a1);
      const ws2 = await online(a2);
      const idleWs = await connectAgent(world, idle);
      sockets.push(idleWs);
      const fullWs = await online(full);
      const otherWs = await online(other);
      // `full` takes a request of the other portal and is then at their limit of 1.
      await patchUser(world, tenant, full, { maxSessions: 1 });
      const busy = await ask(world, otherPortal.slug, type === "question" ? undefined : {});
      expect((await accept(world, full, busy.requestId)).status).toBe(200);
      await fullWs.next((m) => m.type === "session.started");
      const marks: number[] = [];
      for (const ws of [idleWs, fullWs, otherWs]) marks.push(await barrier(ws));

      const values: Record<string, string> =
        type === "question" ? { name: "Dora", question: "The screen is blank" } : {};
      const s = await ask(world, portal.slug, values);
      for (const ws of [ws1, ws2]) {
        const alert = requestOf(await ws.next(isAlertFor(s.requestId)));
        expect(alert.kind).toBe("broadcast");
        expect(alert.targetAgentId).toBeNull();
        expect(alert.portalId).toBe(portal.id);
        if (type === "question") expect(alert.question).toBe("The screen is blank");
      }
      for (const [i, ws] of [idleWs, fullWs, otherWs].entries()) {
        await barrier(ws);
        expect(eventsOf(ws, marks[i]).filter((m) => m.type === "alert")).toEqual([]);
      }
      // The agent of another portal hears nothing at all of it.
      expect(eventsOf(otherWs, marks[2])).toEqual([]);
      expect((await requestRow(world, s.requestId)).state).toBe("waiting");
    });
  }

  it("answers 409 no_agents when nobody of the portal is available, before anything is stored", async () => {
    const tenant = await seedTenant(world, "nobody");
    const idle = await seedAgent(world, tenant, "idle");
    const away = await seedAgent(world, tenant, "away");
    const elsewhere = await seedAgent(world, tenant, "elsewhere");
    const question = await createPortal(world, tenant, "question", [idle, away]);
    const button = await createPortal(world, tenant, "button", [idle, away]);
    await createPortal(world, tenant, "question", [elsewhere]);
    sockets.push(await connectAgent(world, idle));
    await online(elsewhere); // available, but not for these portals

    const menu = (await call(world.app, null, "GET", `/api/v1/portals/${question.slug}/agents`))
      .body as PortalAgentsBody;
    expect(menu).toEqual({ anyAvailable: false, agents: [] });
    for (const [portal, values] of [
      [question, { name: "Eve", question: "Help" }],
      [button, {}],
    ] as const) {
      const r = await submit(world, portal.slug, values);
      expect(r.res.status).toBe(409);
      expect(r.res.body).toEqual({
        error: "no_agents",
        message: "No agent is available right now. Leave a message and we will get back to you.",
      });
      expect(r.res.res.headers["set-cookie"]).toBeUndefined();
      expect(await requestCount(world, portal.id)).toBe(0);
    }
  });

  it("answers 404 for a disabled or unknown portal, and sends code portals to the code box", async () => {
    const tenant = await seedTenant(world, "closed");
    const agent = await seedAgent(world, tenant, "agent");
    const portal = await createPortal(world, tenant, "question", [agent]);
    await online(agent);
    const off = await call(
      world.app,
      tenant.adminCookie,
      "PATCH",
      `/api/v1/accounts/${tenant.account.id}/portals/${portal.id}`,
      {
        enabled: false,
      },
    );
    expect(off.status).toBe(200);
    for (const slug of [portal.slug, "no-such-portal"]) {
      const r = await submit(world, slug, { name: "Gus", question: "Hello?" });
      expect(r.res.status).toBe(404);
      expect(r.res.body).toEqual({ error: "not_found", message: "Portal not found." });
      expect((await call(world.app, null, "GET", `/api/v1/portals/${slug}/agents`)).status).toBe(404);
    }
    expect(await requestCount(world, portal.id)).toBe(0);

    const phone = await seedTenant(world, "closed-phone", "phone");
    const coder = await seedAgent(world, phone, "coder");
    const codePortal = await createPortal(world, phone, "code", [coder]);
    await online(coder);
    const r = await submit(world, codePortal.slug, {});
    expect(r.res.status).toBe(409);
    expect(r.res.body).toEqual({
      error: "code_portal",
      message: "This portal connects with a session code; enter the code instead.",
    });
  });

  it("stores an offline message as state offline and lists it in the console's offline pane", async () => {
    const tenant = await seedTenant(world, "offline");
    const agent = await seedAgent(world, tenant, "agent");
    const portal = await createPortal(world, tenant, "question", [agent]);

    const missing = await call(world.app, null, "POST", `/api/v1/portals/${portal.slug}/offline`, {
      values: { name: "Finn", question: "Call me back" },
    });
    expect(missing.status).toBe(400);
    expect((missing.body as ApiError).fields?.email?.code).toBe("required");

    const before = world.clock.now();
    const left = await call(world.app, null, "POST", `/api/v1/portals/${portal.slug}/offline`, {
      values: { name: "Finn", email: "finn@example.com", question: "Call me back" },
    });
    expect(left.status).toBe(201);
    const { sessionNumber } = left.body as { sessionNumber: string };
    expect(sessionNumber).toMatch(/^\d{9}$/);
    const row = await world.app.deps.db.kysely
      .selectFrom("requests")
      .selectAll()
      .where("session_number", "=", sessionNumber)
      .executeTakeFirstOrThrow();
    expect(row.state).toBe("offline");
    expect(row.customer_email).toBe("finn@example.com");
    expect(row.question).toBe("Call me back");
    const events = await transitionsOf(world, row.id);
    expect(events.map((e) => e.state)).toEqual(["offline"]);
    expect(Number(events[0]?.at)).toBeGreaterThanOrEqual(before);

    const rest = await call(world.app, agent.cookie, "GET", "/api/v1/console");
    expect(rest.status).toBe(200);
    const snapshot = rest.body as ConsoleSnapshot;
    expect(snapshot.offline.map((r) => [r.id, r.state, r.customerName, r.question])).toEqual([
      [row.id, "offline", "Finn", "Call me back"],
    ]);
    expect(snapshot.incoming).toEqual([]);
    const ws = await connectAgent(world, agent);
    sockets.push(ws);
    const first = ws.received[0];
    expect(first?.type === "snapshot" && first.snapshot.offline.map((r) => r.id)).toEqual([row.id]);
  });
});
