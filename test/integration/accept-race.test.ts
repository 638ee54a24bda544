import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiError } from "../../src/shared/api.js";
import type { SessionView } from "../../src/shared/protocol.js";
import { dialects } from "../support/databases.js";
import {
  type Agent,
  type AgentSocket,
  ask,
  createPortal,
  isAlertFor,
  isUpdateOf,
  onlineAgent,
  requestOf,
  seedAgent,
  seedTenant,
  sessionOf,
  startWorld,
  type World,
} from "../support/scenario.js";

const AGENTS = 50;

describe.each(dialects())("first accept wins on %s", (dialect) => {
  let world: World;
  let agents: Agent[] = [];
  let sockets: AgentSocket[] = [];
  beforeAll(async () => {
    world = await startWorld(dialect);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world.close();
  });

  it(`a race of ${AGENTS} concurrent accepts has exactly one winner; everyone else is told who`, async () => {
    const tenant = await seedTenant(world, "race");
    // Seeded a few at a time: each seeding holds a database connection while it hashes a password.
    agents = [];
    for (let i = 0; i < AGENTS; i += 5) {
      const batch = Array.from({ length: Math.min(5, AGENTS - i) }, (_, j) =>
        seedAgent(world, tenant, `agent${String(i + j).padStart(2, "0")}`),
      );
      agents.push(...(await Promise.all(batch)));
    }
    const portal = await createPortal(world, tenant, "question", agents);
    sockets = [];
    for (let i = 0; i < AGENTS; i += 10) {
      sockets.push(...(await Promise.all(agents.slice(i, i + 10).map((a) => onlineAgent(world, a)))));
    }

    const s = await ask(world, portal.slug, { name: "Gina", question: "Who is first?" });
    await Promise.all(
      sockets.map(async (ws) =>
        expect(requestOf(await ws.next(isAlertFor(s.requestId))).kind).toBe("broadcast"),
      ),
    );

    // Warm one keep-alive connection per agent, so the accepts below arrive together.
    await Promise.all(
      agents.map(async (agent) => {
        const res = await fetch(`${world.live.baseUrl}/api/v1/console`, {
          headers: { cookie: agent.cookie },
        });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }),
    );

    // When each socket hears that the request was accepted, and by whom.
    const heard = sockets.map((ws) =>
      ws
        .next(isUpdateOf(s.requestId, "accepted"), 10_000)
        .then((m) => ({ at: Date.now(), request: requestOf(m) })),
    );
    const answers = await Promise.all(
      agents.map(async (agent) => {
        const res = await fetch(`${world.live.baseUrl}/api/v1/requests/${s.requestId}/accept`, {
          method: "POST",
          headers: { cookie: agent.cookie, origin: world.origin },
        });
        return { agent, status: res.status, body: (await res.json()) as unknown, at: Date.now() };
      }),
    );

    const winners = answers.filter((a) => a.status === 200);
    expect(winners).toHaveLength(1);
    const winner = winners[0];
    if (!winner) throw new Error("no winner");
    const session = winner.body as SessionView;
    expect(session.agentId).toBe(winner.agent.user.id);
    expect(session.request.state).toBe("accepted");

    const losers = answers.filter((a) => a !== winner);
    expect(losers).toHaveLength(AGENTS - 1);
    for (const loser of losers) {
      expect(loser.status).toBe(409);
      expect(loser.body as ApiError).toEqual({
        error: "already_taken",
        message: `Already taken by ${winner.agent.user.displayName}.`,
        // The winner's name as a parameter: the console words it without parsing this text.
        params: { name: winner.agent.user.displayName },
      });
    }

    // Every agent's console learns who took it, within a second of the winning answer.
    const told = await Promise.all(heard);
    for (const t of told) {
      expect(t.request.state).toBe("accepted");
      expect(t.request.agentId).toBe(winner.agent.user.id);
      expect(t.request.agentName).toBe(winner.agent.user.displayName);
      expect(t.at - winner.at, `told ${t.at - winner.at} ms after the winning answer`).toBeLessThan(1000);
    }
    const winnerWs = sockets[agents.indexOf(winner.agent)];
    if (!winnerWs) throw new Error("winner has no socket");
    expect(sessionOf(await winnerWs.next((m) => m.type === "session.started")).id).toBe(s.requestId);
    for (const ws of sockets) {
      if (ws === winnerWs) continue;
      expect(ws.received.some((m) => m.type === "session.started")).toBe(false);
    }

    const db = world.app.deps.db.kysely;
    const sessions = await db
      .selectFrom("sessions")
      .selectAll()
      .where("request_id", "=", s.requestId)
      .execute();
    expect(sessions.map((x) => x.agent_id)).toEqual([winner.agent.user.id]);
    const events = await db
      .selectFrom("request_events")
      .select(["state", "agent_id"])
      .where("request_id", "=", s.requestId)
      .orderBy("at")
      .execute();
    expect(events).toEqual([
      { state: "waiting", agent_id: null },
      { state: "accepted", agent_id: winner.agent.user.id },
    ]);
    const row = await db
      .selectFrom("requests")
      .selectAll()
      .where("id", "=", s.requestId)
      .executeTakeFirstOrThrow();
    expect(row.state).toBe("accepted");
    expect(row.agent_id).toBe(winner.agent.user.id);

    // A late accept, after the dust settled, answers the same.
    const late = losers[0];
    if (!late) throw new Error("no loser");
    const again = await fetch(`${world.live.baseUrl}/api/v1/requests/${s.requestId}/accept`, {
      method: "POST",
      headers: { cookie: late.agent.cookie, origin: world.origin },
    });
    expect(again.status).toBe(409);
    expect(((await again.json()) as ApiError).message).toBe(
      `Already taken by ${winner.agent.user.displayName}.`,
    );
    // That answer came from the node's memory of the decision; it never crosses accounts: an agent
    // of another account asking for the same id hears 404, as for an id that does not exist.
    expect(world.app.deps.outcomes.get(tenant.account.id, s.requestId)?.agentName).toBe(
      winner.agent.user.displayName,
    );
    const other = await seedTenant(world, "race-other");
    const stranger = await seedAgent(world, other, "stranger");
    const foreign = await fetch(`${world.live.baseUrl}/api/v1/requests/${s.requestId}/accept`, {
      method: "POST",
      headers: { cookie: stranger.cookie, origin: world.origin },
    });
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toEqual({ error: "not_found", message: "Request not found." });
  }, 60_000);
});
