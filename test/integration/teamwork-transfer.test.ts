import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepTeamwork } from "../../src/server/sweeper.js";
import type { ApiError, Portal } from "../../src/shared/api.js";
import type {
  AgentServerMessage,
  ColleagueView,
  PortalTargetView,
  SessionView,
} from "../../src/shared/protocol.js";
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
  onlineAgent,
  patchUser,
  seedAgent,
  seedTenant,
  startWorld,
  type Tenant,
  type World,
} from "../support/scenario.js";
import {
  agentHistory,
  agentMessages,
  agentSays,
  api,
  customerMessages,
  customerSays,
  expectEachOnce,
  expectError,
  expectIncreasing,
  expectNothingPrivate,
  expectOk,
  isAlertClosed,
  isNotice,
  isSessionLeft,
  isTeamAlert,
  type Live,
  liveSession,
  ownerOf,
  sessionLogOf,
  startedSession,
  storedMessages,
  teamAlert,
  transfer,
} from "../support/teamwork.js";

/**
 * Transfers (issue 11): to a named colleague or a portal's agents, accepted (first accept wins),
 * declined or unanswered; what each side sees, and that no chat message is lost or doubled.
 */
describe.each(dialects())("transfers on %s", (dialect) => {
  let world: World;
  const sockets: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    world = await startWorld(dialect);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world.close();
  });

  interface Team {
    tenant: Tenant;
    agents: Agent[];
    ws: AgentSocket[];
    portal: Portal;
  }

  /** An account with agents, all online, and a question portal of theirs. */
  async function team(prefix: string, names: string[], mode: "web" | "queue" = "web"): Promise<Team> {
    const tenant = await seedTenant(world, prefix, mode);
    const agents: Agent[] = [];
    for (const n of names) agents.push(await seedAgent(world, tenant, n));
    const portal = await createPortal(world, tenant, "question", agents);
    const ws = await Promise.all(agents.map((a) => onlineAgent(world, a)));
    sockets.push(...ws);
    return { tenant, agents, ws, portal };
  }

  async function customerOf(slug: string, owner: Agent, name = "Carla Customer"): Promise<Live> {
    const live = await liveSession(world, slug, owner, name);
    sockets.push(live.customer);
    return live;
  }

  async function colleaguesOf(who: Agent): Promise<{ agents: ColleagueView[]; portals: PortalTargetView[] }> {
    const res = await api(world, who, "GET", "/console/colleagues");
    expectOk(res);
    return res.body as { agents: ColleagueView[]; portals: PortalTargetView[] };
  }

  /** After a barrier: what the customer got since `mark` (nothing, when a transfer did not happen). */
  async function customerEventsSince(customer: CustomerSocket, mark: number) {
    await barrier(customer);
    return eventsOf(customer, mark);
  }

  it("to a named colleague: orange alert with the conversation; on accept the session, its history and the customer move, without a reconnect, no message lost or doubled", async () => {
    const { agents, ws, portal } = await team("tr-named", ["anna", "ben", "cleo"]);
    const [anna, ben, cleo] = agents as [Agent, Agent, Agent];
    const [annaWs, benWs, cleoWs] = ws as [AgentSocket, AgentSocket, AgentSocket];
    const live = await customerOf(portal.slug, anna);
    const { sessionId, customer } = live;

    // Before: anna has one session, ben none; the dialog lists colleagues, never oneself.
    const before = await colleaguesOf(cleo);
    expect(before.agents.find((a) => a.id === anna.user.id)?.sessions).toBe(1);
    expect(before.agents.find((a) => a.id === ben.user.id)?.sessions).toBe(0);
    const annaView = await colleaguesOf(anna);
    expect(annaView.agents.map((a) => a.id)).not.toContain(anna.user.id);
    expect(annaView.agents.find((a) => a.id === ben.user.id)).toMatchObject({
      name: ben.user.displayName,
      available: true,
      unavailableReason: null,
    });
    expect(annaView.portals.find((p) => p.id === portal.id)).toMatchObject({ queue: false });

    await customerSays(customer, "first, from the customer", "c1");
    expect((await agentSays(annaWs, sessionId, "hello from anna", "a1")).type).toBe("ack");
    expect((await agentSays(annaWs, sessionId, "private: needs billing", "n1", "note")).type).toBe("ack");
    await customer.next((m) => m.type === "message" && m.message.body === "hello from anna");

    const t = await transfer(world, anna, sessionId, { toAgentId: ben.user.id, note: "Refund, please" });
    expect(t).toMatchObject({
      sessionId,
      fromAgentId: anna.user.id,
      fromName: anna.user.displayName,
      toAgentId: ben.user.id,
      toAgentName: ben.user.displayName,
      toPortalId: null,
      note: "Refund, please",
    });
    expect(t.expiresAt - t.createdAt).toBe(30_000);

    const alert = await teamAlert(benWs, sessionId, "transfer");
    expect(alert).toMatchObject({
      id: t.id,
      kind: "transfer",
      fromName: anna.user.displayName,
      note: "Refund, please",
      portalName: null,
      expiresAt: t.expiresAt,
    });
    expect(alert.request.customerName).toBe("Carla Customer");
    expect(alert.request.portalName).toBe(portal.name);
    expect(alert.request.question).toBe("My printer is on fire");
    // The conversation so far, the private note included (the receiver is an agent).
    const bodies = alert.messages.map((m) => m.body);
    expect(bodies).toEqual(
      expect.arrayContaining(["first, from the customer", "hello from anna", "private: needs billing"]),
    );
    // Only the named colleague is alerted.
    await barrier(cleoWs);
    expect(cleoWs.received.some(isTeamAlert(sessionId))).toBe(false);
    // The owner's tab shows the transfer waiting.
    await annaWs.next((m) => m.type === "session.updated" && m.session.transfer?.id === t.id);

    // The customer keeps chatting while the transfer waits and while it is accepted.
    await customerSays(customer, "while it waits", "c2");
    const benFrom = benWs.received.length;
    const [accepted, duringSeq] = await Promise.all([
      api(world, ben, "POST", `/transfers/${t.id}/accept`),
      customerSays(customer, "right at the accept", "c3"),
    ]);
    expectOk(accepted);
    const view = accepted.body as SessionView;
    expect(view).toMatchObject({ id: sessionId, agentId: ben.user.id, role: "owner", transfer: null });

    // The previous owner's tab: transferred to ben.
    const left = await annaWs.next(isSessionLeft(sessionId));
    expect(left).toEqual({
      type: "session.left",
      sessionId,
      reason: "transferred",
      toName: ben.user.displayName,
    });
    // The new owner: session.started, then the whole history (notes and agents-only lines too).
    const started = await startedSession(benWs, sessionId, benFrom);
    expect(started.role).toBe("owner");
    expect(started.agentId).toBe(ben.user.id);
    const history = await agentHistory(world, ben, sessionId);
    const benLiveFrom = benWs.received.indexOf(
      benWs.received.find(
        (m) => m.type === "session.started" && m.session.id === sessionId,
      ) as AgentServerMessage,
    );
    expect(history.map((m) => m.body)).toEqual(
      expect.arrayContaining([
        "first, from the customer",
        "hello from anna",
        "private: needs billing",
        "while it waits",
      ]),
    );
    expect(history.some((m) => m.event?.kind === "transfer.requested")).toBe(true);

    // The customer, on the same socket: a status naming ben, and the line "now talking to ben".
    const status = await customer.next(
      (m) => m.type === "status" && m.status.agentName === ben.user.displayName,
    );
    expect(status.type === "status" && status.status.state).toBe("accepted");
    const changed = await customer.next(
      (m) => m.type === "message" && m.message.event?.kind === "owner.changed",
    );
    expect(changed.type === "message" && changed.message.event).toMatchObject({
      kind: "owner.changed",
      name: ben.user.displayName,
    });
    expect(customer.closed).toBeNull();
    const rest = await call(world.app, live.cookie, "GET", `/api/v1/customer/requests/${sessionId}`);
    expect((rest.body as { agentName: string }).agentName).toBe(ben.user.displayName);

    // Chat goes on: the customer's next line reaches ben and not anna; ben's reaches the customer.
    const afterSeq = await customerSays(customer, "after the transfer", "c4");
    await benWs.next((m) => m.type === "message" && m.message.seq === afterSeq);
    expect((await agentSays(benWs, sessionId, "ben here, hello", "b1")).type).toBe("ack");
    const benLine = await customer.next((m) => m.type === "message" && m.message.body === "ben here, hello");
    expect(benLine.type === "message" && benLine.message.authorName).toBe(ben.user.displayName);
    await barrier(annaWs);
    const annaAfterLeft = annaWs.received.slice(annaWs.received.indexOf(left));
    expect(agentMessages(annaWs, sessionId).some((m) => m.seq >= afterSeq)).toBe(false);
    expect(annaAfterLeft.some((m) => m.type === "message")).toBe(false);

    // Anna is out of the session now: 404 on it, like anyone not in it.
    expectError(await api(world, anna, "GET", `/sessions/${sessionId}/messages`), 404, "not_found");
    expectError(
      await api(world, anna, "POST", `/sessions/${sessionId}/messages`, { body: "still here?" }),
      404,
      "not_found",
    );
    expect((await agentSays(annaWs, sessionId, "socket too?", "a2")).type).toBe("error");

    // Nothing lost, nothing doubled: the customer got every message meant for them once, in order;
    // ben has every message (history plus live).
    await barrier(customer);
    const stored = await storedMessages(world, sessionId);
    const forCustomer = stored.filter((m) => m.visibility === "all").map((m) => m.seq);
    const gotByCustomer = customerMessages(customer).map((m) => m.seq);
    expectEachOnce(gotByCustomer, forCustomer);
    expect(forCustomer).toContain(duringSeq);
    await barrier(benWs);
    const benLive = agentMessages(benWs, sessionId, benLiveFrom).map((m) => m.seq);
    expect(benLive.length, `doubled: ${benLive.join(",")}`).toBe(new Set(benLive).size);
    const benAll = new Set([...history.map((m) => m.seq), ...benLive]);
    expect([...benAll].sort((a, b) => a - b)).toEqual(stored.map((m) => m.seq));
    expectIncreasing(stored.map((m) => m.seq));
    await expectNothingPrivate(customer, ["private: needs billing", "Refund, please"]);

    // Stored: the owner changed on the session and the request; the story has both steps.
    expect(await ownerOf(world, sessionId)).toBe(ben.user.id);
    const request = await world.app.deps.db.kysely
      .selectFrom("requests")
      .select("agent_id")
      .where("id", "=", sessionId)
      .executeTakeFirstOrThrow();
    expect(request.agent_id).toBe(ben.user.id);
    const log = await sessionLogOf(world, sessionId);
    expect(log.map((l) => l.kind)).toEqual(["transfer.requested", "transfer.accepted"]);
    expect(log[1]).toMatchObject({ actor_id: ben.user.id, subject_id: anna.user.id });

    // Capacity moved: anna has none, ben one.
    const afterView = await colleaguesOf(cleo);
    expect(afterView.agents.find((a) => a.id === anna.user.id)?.sessions).toBe(0);
    expect(afterView.agents.find((a) => a.id === ben.user.id)?.sessions).toBe(1);
    // The snapshot agrees: the session is ben's, not anna's.
    const annaConsole = await api(world, anna, "GET", "/console");
    expect((annaConsole.body as { sessions: SessionView[] }).sessions.map((s) => s.id)).not.toContain(
      sessionId,
    );
    const benConsole = await api(world, ben, "GET", "/console");
    expect((benConsole.body as { sessions: SessionView[] }).sessions.map((s) => s.id)).toContain(sessionId);
  });

  it("declined: the session stays with its owner, who is told; the customer notices nothing", async () => {
    const { agents, ws, portal } = await team("tr-decline", ["anna", "ben"]);
    const [anna, ben] = agents as [Agent, Agent];
    const [annaWs, benWs] = ws as [AgentSocket, AgentSocket];
    const { sessionId, customer } = await customerOf(portal.slug, anna);
    await customerSays(customer, "hello", "c1");
    const mark = customer.received.length;

    const t = await transfer(world, anna, sessionId, { toAgentId: ben.user.id });
    const alert = await teamAlert(benWs, sessionId, "transfer");
    expect(alert.note).toBe("");
    const annaFrom = annaWs.received.length;
    const declined = await api(world, ben, "POST", `/transfers/${t.id}/decline`);
    expect(declined.status, JSON.stringify(declined.body)).toBe(204);
    const notice = await annaWs.next(isNotice(sessionId), 5000, annaFrom);
    expect(notice).toEqual({
      type: "team.notice",
      sessionId,
      kind: "transfer.declined",
      name: ben.user.displayName,
    });
    await benWs.next(
      (m) => isAlertClosed(t.id)(m) && m.type === "team.alert.closed" && m.reason === "declined",
    );
    // An agents-only line tells the story in the owner's tab.
    await annaWs.next(
      (m) =>
        m.type === "message" &&
        m.message.event?.kind === "transfer.declined" &&
        m.message.visibility === "agents",
    );

    expect(await ownerOf(world, sessionId)).toBe(anna.user.id);
    expect((await agentSays(annaWs, sessionId, "still with you", "a1")).type).toBe("ack");
    await customer.next((m) => m.type === "message" && m.message.body === "still with you");
    const got = await customerEventsSince(customer, mark);
    // Only anna's line: no status change, no system line about a transfer.
    expect(got.map((m) => (m.type === "message" ? m.message.body : m.type))).toEqual(["still with you"]);

    // Too late to change one's mind; a decided transfer is closed either way.
    expectError(await api(world, ben, "POST", `/transfers/${t.id}/accept`), 409, "transfer_closed");
    expectError(await api(world, ben, "POST", `/transfers/${t.id}/decline`), 409, "transfer_closed");

    // The owner may try again, and take that one back before anyone answers.
    const again = await transfer(world, anna, sessionId, { toAgentId: ben.user.id, note: "Second try" });
    await teamAlert(benWs, sessionId, "transfer", benWs.received.length - 1);
    const benFrom = benWs.received.length;
    const canceled = await api(world, anna, "DELETE", `/sessions/${sessionId}/transfer`);
    expect(canceled.status, JSON.stringify(canceled.body)).toBe(204);
    const closed = await benWs.next(isAlertClosed(again.id), 5000, benFrom);
    expect(closed).toMatchObject({ reason: "canceled" });
    expectError(await api(world, ben, "POST", `/transfers/${again.id}/accept`), 409, "transfer_closed");
    expectError(await api(world, anna, "DELETE", `/sessions/${sessionId}/transfer`), 409, "no_transfer");
    // Taking a transfer back is not a notice to oneself.
    await barrier(annaWs);
    expect(annaWs.received.filter(isNotice(sessionId))).toHaveLength(1);
    expect(await ownerOf(world, sessionId)).toBe(anna.user.id);
    expect(await customerEventsSince(customer, mark)).toHaveLength(1);
    expect((await sessionLogOf(world, sessionId)).map((l) => l.kind)).toEqual([
      "transfer.requested",
      "transfer.declined",
      "transfer.requested",
      "transfer.canceled",
    ]);
  });

  it("unanswered within 30 s: times out on the sweep, the owner is told, the customer notices nothing", async () => {
    const { agents, ws, portal } = await team("tr-timeout", ["anna", "ben"]);
    const [anna, ben] = agents as [Agent, Agent];
    const [annaWs, benWs] = ws as [AgentSocket, AgentSocket];
    const { sessionId, customer } = await customerOf(portal.slug, anna);
    const mark = customer.received.length;
    const t = await transfer(world, anna, sessionId, { toAgentId: ben.user.id });
    await teamAlert(benWs, sessionId, "transfer");

    // Not yet due: the sweep leaves it alone.
    world.clock.advance(20_000);
    await sweepTeamwork(world.app.deps);
    await barrier(annaWs);
    expect(annaWs.received.some(isNotice(sessionId))).toBe(false);

    world.clock.advance(10_001);
    // Past its time, an accept is refused even before the sweep has looked.
    expectError(await api(world, ben, "POST", `/transfers/${t.id}/accept`), 409, "transfer_closed");
    await sweepTeamwork(world.app.deps);
    const notice = await annaWs.next(isNotice(sessionId));
    expect(notice).toMatchObject({ kind: "transfer.timed-out", name: ben.user.displayName });
    const closed = await benWs.next(isAlertClosed(t.id));
    expect(closed).toMatchObject({ reason: "timed-out" });
    // A second sweep decides nothing again.
    await sweepTeamwork(world.app.deps);
    await barrier(annaWs);
    expect(annaWs.received.filter(isNotice(sessionId))).toHaveLength(1);

    expect(await ownerOf(world, sessionId)).toBe(anna.user.id);
    expect(await customerEventsSince(customer, mark)).toEqual([]);
    const seq = await customerSays(customer, "are you there?", "c1");
    await annaWs.next((m) => m.type === "message" && m.message.seq === seq);
    expect((await sessionLogOf(world, sessionId)).map((l) => l.kind)).toEqual([
      "transfer.requested",
      "transfer.timed-out",
    ]);
    // The snapshot holds no stale alert for ben.
    const snap = await api(world, ben, "GET", "/console");
    expect((snap.body as { teamAlerts: unknown[] }).teamAlerts).toEqual([]);
  });

  it("to a portal: all its available agents are alerted; of 50 accepting at once exactly one wins, 49 hear who, and their alerts close", async () => {
    const AGENTS = 50;
    const tenant = await seedTenant(world, "tr-race");
    const owner = await seedAgent(world, tenant, "owner");
    const racers: Agent[] = [];
    for (let i = 0; i < AGENTS; i += 5) {
      const batch = Array.from({ length: Math.min(5, AGENTS - i) }, (_, j) =>
        seedAgent(world, tenant, `racer${String(i + j).padStart(2, "0")}`),
      );
      racers.push(...(await Promise.all(batch)));
    }
    const front = await createPortal(world, tenant, "question", [owner]);
    const desk = await createPortal(world, tenant, "question", racers, { name: "Second level" });
    const ownerWs = await onlineAgent(world, owner);
    sockets.push(ownerWs);
    const racerWs: AgentSocket[] = [];
    for (let i = 0; i < AGENTS; i += 10) {
      racerWs.push(...(await Promise.all(racers.slice(i, i + 10).map((a) => onlineAgent(world, a)))));
    }
    sockets.push(...racerWs);
    const { sessionId, customer } = await customerOf(front.slug, owner, "Rita Race");

    const portals = await colleaguesOf(owner);
    expect(portals.portals.find((p) => p.id === desk.id)).toMatchObject({
      name: "Second level",
      queue: false,
      availableAgents: AGENTS,
    });
    const t = await transfer(world, owner, sessionId, { toPortalId: desk.id, note: "Level 2" });
    expect(t).toMatchObject({ toPortalId: desk.id, toPortalName: "Second level", toAgentId: null });
    const alerts = await Promise.all(racerWs.map((w) => teamAlert(w, sessionId, "transfer")));
    for (const a of alerts) {
      expect(a.id).toBe(t.id);
      expect(a.portalName).toBe("Second level");
      expect(a.request.customerName).toBe("Rita Race");
    }
    await barrier(ownerWs);
    expect(ownerWs.received.some(isTeamAlert(sessionId))).toBe(false);

    // Warm one keep-alive connection per agent, so the accepts arrive together.
    await Promise.all(
      racers.map(async (a) => {
        const res = await fetch(`${world.live.baseUrl}/api/v1/console`, { headers: { cookie: a.cookie } });
        await res.arrayBuffer();
      }),
    );
    const marks = racerWs.map((w) => w.received.length);
    const answers = await Promise.all(
      racers.map(async (agent) => {
        const res = await fetch(`${world.live.baseUrl}/api/v1/transfers/${t.id}/accept`, {
          method: "POST",
          headers: { cookie: agent.cookie, origin: world.origin },
        });
        return { agent, status: res.status, body: (await res.json()) as unknown };
      }),
    );
    const winners = answers.filter((a) => a.status === 200);
    expect(winners).toHaveLength(1);
    const winner = winners[0];
    if (!winner) throw new Error("no winner");
    expect((winner.body as SessionView).agentId).toBe(winner.agent.user.id);
    const losers = answers.filter((a) => a !== winner);
    expect(losers.map((l) => l.status)).toEqual(Array(AGENTS - 1).fill(409));
    const name = winner.agent.user.displayName;
    for (const l of losers) {
      expect(l.body as ApiError).toEqual({
        error: "already_taken",
        message: `Already taken by ${name}.`,
        params: { name },
      });
    }
    // Every loser's alert closes, saying who took it; the winner's console has the session.
    await Promise.all(
      racerWs.map(async (w, i) => {
        if (racers[i] === winner.agent) {
          await startedSession(w, sessionId, marks[i]);
          return;
        }
        const closed = await w.next(isAlertClosed(t.id), 5000, marks[i]);
        expect(closed).toMatchObject({ reason: "accepted", byName: name });
        expect(w.received.slice(marks[i]).some((m) => m.type === "session.started")).toBe(false);
      }),
    );
    await ownerWs.next(isSessionLeft(sessionId));
    await customer.next((m) => m.type === "status" && m.status.agentName === name);
    expect(await ownerOf(world, sessionId)).toBe(winner.agent.user.id);
    const accepted = await world.app.deps.db.kysely
      .selectFrom("session_log")
      .select("actor_id")
      .where("session_id", "=", sessionId)
      .where("kind", "=", "transfer.accepted")
      .execute();
    expect(accepted).toEqual([{ actor_id: winner.agent.user.id }]);
  }, 60_000);

  it("to a portal whose agents all decline: each decline closes only that alert; the last one tells the owner, once", async () => {
    const tenant = await seedTenant(world, "tr-portal-no");
    const owner = await seedAgent(world, tenant, "owner");
    const xena = await seedAgent(world, tenant, "xena");
    const yuri = await seedAgent(world, tenant, "yuri");
    const front = await createPortal(world, tenant, "question", [owner]);
    const desk = await createPortal(world, tenant, "question", [xena, yuri], { name: "Desk two" });
    const ownerWs = await onlineAgent(world, owner);
    const xWs = await onlineAgent(world, xena);
    const yWs = await onlineAgent(world, yuri);
    sockets.push(ownerWs, xWs, yWs);
    const { sessionId, customer } = await customerOf(front.slug, owner);
    const mark = customer.received.length;
    const t = await transfer(world, owner, sessionId, { toPortalId: desk.id });
    await teamAlert(xWs, sessionId, "transfer");
    await teamAlert(yWs, sessionId, "transfer");
    const yFrom = yWs.received.length;
    expect((await api(world, xena, "POST", `/transfers/${t.id}/decline`)).status).toBe(204);
    expect(await xWs.next(isAlertClosed(t.id))).toMatchObject({ reason: "declined" });
    // Yuri's alert stays open, and the owner has not been told anything yet.
    await barrier(yWs);
    await barrier(ownerWs);
    expect(yWs.received.slice(yFrom).some(isAlertClosed(t.id))).toBe(false);
    expect(ownerWs.received.some(isNotice(sessionId))).toBe(false);
    const xSnap = await api(world, xena, "GET", "/console");
    expect((xSnap.body as { teamAlerts: unknown[] }).teamAlerts).toEqual([]);
    const ySnap = await api(world, yuri, "GET", "/console");
    expect((ySnap.body as { teamAlerts: { id: string }[] }).teamAlerts.map((a) => a.id)).toEqual([t.id]);
    expect((await api(world, yuri, "POST", `/transfers/${t.id}/decline`)).status).toBe(204);
    expect(await yWs.next(isAlertClosed(t.id), 5000, yFrom)).toMatchObject({ reason: "declined" });
    expect(await ownerWs.next(isNotice(sessionId))).toMatchObject({
      kind: "transfer.declined",
      name: "Desk two",
    });
    await barrier(ownerWs);
    expect(ownerWs.received.filter(isNotice(sessionId))).toHaveLength(1);
    expect(await ownerOf(world, sessionId)).toBe(owner.user.id);
    expect(await customerEventsSince(customer, mark)).toEqual([]);

    // A portal transfer nobody answers times out as a whole.
    const again = await transfer(world, owner, sessionId, { toPortalId: desk.id });
    await teamAlert(xWs, sessionId, "transfer", xWs.received.length - 1);
    world.clock.advance(30_001);
    await sweepTeamwork(world.app.deps);
    await xWs.next(
      (m) => isAlertClosed(again.id)(m) && m.type === "team.alert.closed" && m.reason === "timed-out",
    );
    await yWs.next(
      (m) => isAlertClosed(again.id)(m) && m.type === "team.alert.closed" && m.reason === "timed-out",
    );
    await ownerWs.next(
      (m) => m.type === "team.notice" && m.sessionId === sessionId && m.kind === "transfer.timed-out",
    );
    expect(await customerEventsSince(customer, mark)).toEqual([]);
  });

  it("to a colleague already in the session as a participant: they become the owner, no longer a member", async () => {
    const { agents, ws, portal } = await team("tr-participant", ["anna", "ben"]);
    const [anna, ben] = agents as [Agent, Agent];
    const [annaWs, benWs] = ws as [AgentSocket, AgentSocket];
    const { sessionId, customer } = await customerOf(portal.slug, anna);
    const inv = await api(world, anna, "POST", `/sessions/${sessionId}/invitations`, {
      agentIds: [ben.user.id],
    });
    expect(inv.status, JSON.stringify(inv.body)).toBe(201);
    const invite = await teamAlert(benWs, sessionId, "invite");
    expectOk(await api(world, ben, "POST", `/invitations/${invite.id}/accept`));
    await startedSession(benWs, sessionId);
    const t = await transfer(world, anna, sessionId, { toAgentId: ben.user.id });
    await teamAlert(benWs, sessionId, "transfer");
    const benFrom = benWs.received.length;
    const accepted = await api(world, ben, "POST", `/transfers/${t.id}/accept`);
    expectOk(accepted);
    expect(accepted.body as SessionView).toMatchObject({ agentId: ben.user.id, role: "owner", members: [] });
    await benWs.next(
      (m) =>
        (m.type === "session.started" || m.type === "session.updated") &&
        m.session.id === sessionId &&
        m.session.role === "owner",
      5000,
      benFrom,
    );
    await annaWs.next(isSessionLeft(sessionId));
    await customer.next((m) => m.type === "status" && m.status.agentName === ben.user.displayName);
    // Ben is the owner: he ends it; anna is out.
    expectError(await api(world, anna, "GET", `/sessions/${sessionId}/messages`), 404, "not_found");
    const live = await world.app.deps.db.kysely
      .selectFrom("session_members")
      .select(["user_id", "state"])
      .where("session_id", "=", sessionId)
      .where("state", "in", ["invited", "joined"])
      .execute();
    expect(live).toEqual([]);
    expectOk(await api(world, ben, "POST", `/sessions/${sessionId}/end`), 204);
  });

  it("a screen share in progress stops on the transfer, with a clear message to both sides", async () => {
    const { agents, ws, portal } = await team("tr-share", ["anna", "ben"]);
    const [anna, ben] = agents as [Agent, Agent];
    const [annaWs, benWs] = ws as [AgentSocket, AgentSocket];
    const { sessionId, customer } = await customerOf(portal.slug, anna);
    annaWs.send({ type: "share.request", sessionId });
    await customer.next((m) => m.type === "share" && m.state === "requested");
    customer.send({ type: "share", state: "sharing" });
    await annaWs.next((m) => m.type === "share" && m.sessionId === sessionId && m.state === "sharing");
    const t = await transfer(world, anna, sessionId, { toAgentId: ben.user.id });
    await teamAlert(benWs, sessionId, "transfer");
    const mark = customer.received.length;
    expectOk(await api(world, ben, "POST", `/transfers/${t.id}/accept`));
    const stopped = await customer.next((m) => m.type === "share" && m.state === "stopped", 5000, mark);
    expect(stopped).toMatchObject({ reason: "transfer" });
    const line = await customer.next(
      (m) => m.type === "message" && m.message.event?.kind === "share.stopped",
      5000,
      mark,
    );
    expect(line.type === "message" && line.message.visibility).toBeUndefined();
    const started = await startedSession(benWs, sessionId);
    expect(started.share).toBe("stopped");
    // The new owner may ask again.
    benWs.send({ type: "share.request", sessionId });
    await customer.next((m) => m.type === "share" && m.state === "requested", 5000, mark);
  });

  it("a transfer frees the previous owner: the queue offers them the next waiting customer at once", async () => {
    const tenant = await seedTenant(world, "tr-capacity", "queue");
    const owner = await seedAgent(world, tenant, "owner");
    const xena = await seedAgent(world, tenant, "xena");
    await patchUser(world, tenant, owner, { maxSessions: 1 });
    const front = await createPortal(world, tenant, "question", [owner]);
    const desk = await createPortal(world, tenant, "question", [xena]);
    const ownerWs = await onlineAgent(world, owner);
    const xWs = await onlineAgent(world, xena);
    sockets.push(ownerWs, xWs);
    const first = await ask(world, front.slug, { name: "First", question: "one" });
    const offer = await ownerWs.next((m) => m.type === "offer" && m.offer.request.id === first.requestId);
    if (offer.type !== "offer") throw new Error("no offer");
    expectOk(await api(world, owner, "POST", `/offers/${offer.offer.id}/accept`));
    // A second customer waits: the owner is at the limit of 1.
    const second = await ask(world, front.slug, { name: "Second", question: "two" });
    await barrier(ownerWs);
    expect(ownerWs.received.some((m) => m.type === "offer" && m.offer.request.id === second.requestId)).toBe(
      false,
    );
    const t = await transfer(world, owner, first.requestId, { toPortalId: desk.id });
    await teamAlert(xWs, first.requestId, "transfer");
    expectOk(await api(world, xena, "POST", `/transfers/${t.id}/accept`));
    await ownerWs.next((m) => m.type === "offer" && m.offer.request.id === second.requestId);
  });

  it("concurrent requests and accepts: one pending transfer per session; a receiver one below the limit takes only one of two", async () => {
    const { tenant, agents, ws, portal } = await team("tr-concurrent", ["anna", "ben", "cleo"]);
    const [anna, ben, cleo] = agents as [Agent, Agent, Agent];
    const benWs = ws[1] as AgentSocket;
    const first = await customerOf(portal.slug, anna, "First");
    const url = `/sessions/${first.sessionId}/transfer`;
    const both = await Promise.all([
      api(world, anna, "POST", url, { toAgentId: ben.user.id }),
      api(world, anna, "POST", url, { toAgentId: cleo.user.id }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([201, 409]);
    expect((both.find((r) => r.status === 409)?.body as ApiError | undefined)?.error).toBe(
      "transfer_pending",
    );
    expect((await api(world, anna, "DELETE", url)).status).toBe(204);

    // Ben may take one more session; two transfers to him are accepted at once.
    await patchUser(world, tenant, ben, { maxSessions: 1 });
    const second = await customerOf(portal.slug, cleo, "Second");
    const t1 = await transfer(world, anna, first.sessionId, { toAgentId: ben.user.id });
    const t2 = await transfer(world, cleo, second.sessionId, { toAgentId: ben.user.id });
    await teamAlert(benWs, first.sessionId, "transfer", benWs.received.length - 2);
    await teamAlert(benWs, second.sessionId, "transfer");
    const answers = await Promise.all([
      api(world, ben, "POST", `/transfers/${t1.id}/accept`),
      api(world, ben, "POST", `/transfers/${t2.id}/accept`),
    ]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((answers.find((r) => r.status === 409)?.body as ApiError | undefined)?.error).toBe("at_limit");
    const owned = await world.app.deps.db.kysely
      .selectFrom("sessions")
      .select("id")
      .where("agent_id", "=", ben.user.id)
      .where("ended_at", "is", null)
      .execute();
    expect(owned).toHaveLength(1);
  });

  describe("to a queue-mode account's portal", () => {
    async function queueTeam(prefix: string) {
      const tenant = await seedTenant(world, prefix, "queue");
      const owner = await seedAgent(world, tenant, "owner");
      const xena = await seedAgent(world, tenant, "xena");
      const yuri = await seedAgent(world, tenant, "yuri");
      const front = await createPortal(world, tenant, "question", [owner]);
      const desk = await createPortal(world, tenant, "question", [xena, yuri], { name: "Queue desk" });
      const ownerWs = await onlineAgent(world, owner);
      const xWs = await onlineAgent(world, xena);
      const yWs = await onlineAgent(world, yuri);
      sockets.push(ownerWs, xWs, yWs);
      // The customer joins the front portal's line; it is offered to the owner alone.
      const s = await ask(world, front.slug, { name: "Quinn", question: "Queue me" });
      const customer = await connectCustomer(world, s.requestId, s.cookie);
      sockets.push(customer);
      const offer = await ownerWs.next((m) => m.type === "offer" && m.offer.request.id === s.requestId);
      if (offer.type !== "offer") throw new Error("no offer");
      expectOk(await api(world, owner, "POST", `/offers/${offer.offer.id}/accept`));
      await customer.next((m) => m.type === "status" && m.status.state === "accepted");
      return {
        tenant,
        owner,
        ownerWs,
        desk,
        sessionId: s.requestId,
        customer,
        pairs: [
          { agent: xena, ws: xWs },
          { agent: yuri, ws: yWs },
        ] as const,
      };
    }

    /** Which of the two got the transfer's alert; the other got none (yet). */
    async function firstAsked(pairs: readonly { agent: Agent; ws: AgentSocket }[], sessionId: string) {
      const got = await Promise.race(
        pairs.map((p) => teamAlert(p.ws, sessionId, "transfer").then((alert) => ({ ...p, alert }))),
      );
      const other = pairs.find((p) => p.agent !== got.agent);
      if (!other) throw new Error("no second agent");
      await barrier(other.ws);
      expect(other.ws.received.some(isTeamAlert(sessionId))).toBe(false);
      return { first: got, other };
    }

    it("asks one agent at a time; a decline passes it to the next, who accepts", async () => {
      const q = await queueTeam("tr-queue");
      const targets = await colleaguesOf(q.owner);
      expect(targets.portals.find((p) => p.id === q.desk.id)).toMatchObject({
        queue: true,
        availableAgents: 2,
      });
      const t = await transfer(world, q.owner, q.sessionId, { toPortalId: q.desk.id });
      expect(t.expiresAt - t.createdAt).toBe(30_000);
      const { first, other } = await firstAsked(q.pairs, q.sessionId);
      expect(first.alert.portalName).toBe("Queue desk");
      const otherFrom = other.ws.received.length;
      expect((await api(world, first.agent, "POST", `/transfers/${t.id}/decline`)).status).toBe(204);
      await first.ws.next(isAlertClosed(t.id));
      const passed = await teamAlert(other.ws, q.sessionId, "transfer", otherFrom);
      expect(passed.id).toBe(t.id);
      // The one who declined is out of it now.
      expectError(await api(world, first.agent, "POST", `/transfers/${t.id}/accept`), 409, "transfer_closed");
      await barrier(q.ownerWs);
      expect(q.ownerWs.received.some(isNotice(q.sessionId))).toBe(false);
      expectOk(await api(world, other.agent, "POST", `/transfers/${t.id}/accept`));
      await q.ownerWs.next(isSessionLeft(q.sessionId));
      await q.customer.next(
        (m) => m.type === "status" && m.status.agentName === other.agent.user.displayName,
      );
      expect(await ownerOf(world, q.sessionId)).toBe(other.agent.user.id);
    });

    it("an unanswered offer passes on at the account's offer timeout; when everyone let it pass, the owner keeps it and is told", async () => {
      const q = await queueTeam("tr-queue-timeout");
      expectOk(
        await call(world.app, q.tenant.adminCookie, "PATCH", `/api/v1/accounts/${q.tenant.account.id}`, {
          offerTimeoutSeconds: 5,
        }),
      );
      const mark = q.customer.received.length;
      const t = await transfer(world, q.owner, q.sessionId, { toPortalId: q.desk.id });
      expect(t.expiresAt - t.createdAt).toBe(5000);
      const { first, other } = await firstAsked(q.pairs, q.sessionId);
      const otherFrom = other.ws.received.length;
      world.clock.advance(5001);
      await sweepTeamwork(world.app.deps);
      await first.ws.next(isAlertClosed(t.id));
      await teamAlert(other.ws, q.sessionId, "transfer", otherFrom);
      await barrier(q.ownerWs);
      expect(q.ownerWs.received.some(isNotice(q.sessionId))).toBe(false);
      // The one it passed from has no alert left: a reloaded console must not show it again.
      const snap = await api(world, first.agent, "GET", "/console");
      expect((snap.body as { teamAlerts: { id: string }[] }).teamAlerts.map((a) => a.id)).toEqual([]);
      expectError(await api(world, first.agent, "POST", `/transfers/${t.id}/accept`), 409, "transfer_closed");
      world.clock.advance(5001);
      await sweepTeamwork(world.app.deps);
      await other.ws.next(isAlertClosed(t.id), 5000, otherFrom);
      const notice = await q.ownerWs.next(isNotice(q.sessionId));
      expect(notice).toMatchObject({ kind: "transfer.timed-out", name: "Queue desk" });
      expect(await ownerOf(world, q.sessionId)).toBe(q.owner.user.id);
      expect(await customerEventsSince(q.customer, mark)).toEqual([]);
    });
  });

  describe("bad input gets a clear answer, never a 500", () => {
    let ctx: {
      tenant: Tenant;
      anna: Agent;
      ben: Agent;
      cleo: Agent;
      dora: Agent;
      eve: Agent;
      annaWs: AgentSocket;
      benWs: AgentSocket;
      portal: Portal;
      sessionId: string;
      stranger: Agent;
      strangerPortal: Portal;
    };

    beforeAll(async () => {
      const tenant = await seedTenant(world, "tr-bad");
      const anna = await seedAgent(world, tenant, "anna");
      const ben = await seedAgent(world, tenant, "ben");
      const cleo = await seedAgent(world, tenant, "cleo"); // never signs in to the console
      const dora = await seedAgent(world, tenant, "dora");
      const eve = await seedAgent(world, tenant, "eve");
      await patchUser(world, tenant, dora, { maxSessions: 1 });
      const portal = await createPortal(world, tenant, "question", [anna, ben, dora, eve]);
      await createPortal(world, tenant, "question", [cleo], { name: "Nobody here" });
      const annaWs = await onlineAgent(world, anna);
      const benWs = await onlineAgent(world, ben);
      sockets.push(annaWs, benWs, await onlineAgent(world, dora), await onlineAgent(world, eve));
      const live = await customerOf(portal.slug, anna);
      // Dora takes one session: at her limit of 1.
      const doras = await customerOf(portal.slug, dora, "Dora's customer");
      expect(doras.sessionId).not.toBe(live.sessionId);
      const other = await seedTenant(world, "tr-bad-other");
      const stranger = await seedAgent(world, other, "stranger");
      const strangerPortal = await createPortal(world, other, "question", [stranger]);
      sockets.push(await onlineAgent(world, stranger));
      ctx = {
        tenant,
        anna,
        ben,
        cleo,
        dora,
        eve,
        annaWs,
        benWs,
        portal,
        sessionId: live.sessionId,
        stranger,
        strangerPortal,
      };
    });

    const post = (who: Agent, url: string, body?: unknown) => api(world, who, "POST", url, body);

    it("the target: another account's agent or portal 404, oneself 400, unavailable / at the limit / nobody at the portal 409", async () => {
      const { anna, sessionId } = ctx;
      const url = `/sessions/${sessionId}/transfer`;
      expectError(await post(anna, url, { toAgentId: ctx.stranger.user.id }), 404, "not_found");
      expectError(await post(anna, url, { toPortalId: ctx.strangerPortal.id }), 404, "not_found");
      expectError(await post(anna, url, { toAgentId: "no-such-agent" }), 404, "not_found");
      expectError(await post(anna, url, { toPortalId: "no-such-portal" }), 404, "not_found");
      expectError(await post(anna, url, { toAgentId: anna.user.id }), 400, "transfer_to_self");
      const offline = expectError(await post(anna, url, { toAgentId: ctx.cleo.user.id }), 409, "unavailable");
      expect(offline.params).toEqual({ name: ctx.cleo.user.displayName });
      const full = expectError(await post(anna, url, { toAgentId: ctx.dora.user.id }), 409, "at_limit");
      expect(full.params).toEqual({ limit: 1, name: ctx.dora.user.displayName });
      const list = await colleaguesOf(anna);
      expect(list.agents.find((a) => a.id === ctx.dora.user.id)?.unavailableReason).toBe("at_limit");
      expect(list.agents.find((a) => a.id === ctx.cleo.user.id)?.unavailableReason).toBe("unavailable");
      expect(list.agents.map((a) => a.id)).not.toContain(ctx.stranger.user.id);
      const nobodyPortal = list.portals.find((p) => p.name === "Nobody here");
      expect(nobodyPortal?.availableAgents).toBe(0);
      expectError(await post(anna, url, { toPortalId: nobodyPortal?.id }), 409, "no_agents");
      expectError(
        await post(anna, url, { toAgentId: ctx.ben.user.id, toPortalId: ctx.portal.id }),
        400,
        "bad_target",
      );
      expectError(await post(anna, url, {}), 400, "bad_target");
      expectError(await post(anna, url, { note: "just a note" }), 400, "bad_target");
      // None of these left a transfer behind.
      const pending = await world.app.deps.db.kysely
        .selectFrom("session_transfers")
        .select("id")
        .where("session_id", "=", sessionId)
        .execute();
      expect(pending).toEqual([]);
    });

    it("bodies with unknown fields, wrong types or too long a note: 400", async () => {
      const { anna, ben, sessionId } = ctx;
      const url = `/sessions/${sessionId}/transfer`;
      const extra = expectError(
        await post(anna, url, { toAgentId: ben.user.id, urgent: true }),
        400,
        "validation",
      );
      expect(extra.fields?.urgent?.code).toBe("unknown_field");
      expectError(await post(anna, url, { toAgentId: 42 }), 400, "validation");
      expectError(await post(anna, url, { toAgentId: ben.user.id, note: 7 }), 400, "validation");
      expectError(
        await post(anna, url, { toAgentId: ben.user.id, note: "x".repeat(501) }),
        400,
        "validation",
      );
      expectError(await post(anna, url, { toAgentId: "" }), 400, "validation");
      expectError(await post(anna, url, ["not", "an", "object"]), 400, "validation");
      expectError(await post(anna, url, { toAgentId: null }), 400, "validation");
      const raw = await world.app.server.inject({
        method: "POST",
        url: `/api/v1${url}`,
        headers: { cookie: anna.cookie, origin: world.origin, "content-type": "application/json" },
        payload: "{not json",
      });
      expect(raw.statusCode).toBe(400);
    });

    it("unknown ids 404; a second transfer while one waits 409; someone not asked cannot answer it", async () => {
      const { anna, ben, eve, sessionId } = ctx;
      expectError(
        await post(anna, "/sessions/no-such-session/transfer", { toAgentId: ben.user.id }),
        404,
        "not_found",
      );
      expectError(await post(ben, "/transfers/no-such-transfer/accept"), 404, "not_found");
      expectError(await post(ben, "/transfers/no-such-transfer/decline"), 404, "not_found");
      expectError(await api(world, anna, "DELETE", "/sessions/no-such-session/transfer"), 404, "not_found");

      const t = await transfer(world, anna, sessionId, { toAgentId: ben.user.id });
      expectError(
        await post(anna, `/sessions/${sessionId}/transfer`, { toAgentId: ben.user.id }),
        409,
        "transfer_pending",
      );
      expectError(
        await post(anna, `/sessions/${sessionId}/transfer`, { toPortalId: ctx.portal.id }),
        409,
        "transfer_pending",
      );
      // Eve was not asked: to her the transfer does not exist. Neither does it to anna, its sender.
      expectError(await post(eve, `/transfers/${t.id}/accept`), 404, "not_found");
      expectError(await post(eve, `/transfers/${t.id}/decline`), 404, "not_found");
      expectError(await post(anna, `/transfers/${t.id}/accept`), 404, "not_found");
      expectError(await post(ctx.stranger, `/transfers/${t.id}/accept`), 404, "not_found");
      // Ben's limit is reached meanwhile: his accept is refused and the transfer still waits.
      await patchUser(world, ctx.tenant, ben, { maxSessions: 1 });
      const busy = await customerOf(ctx.portal.slug, ben, "Ben's own customer");
      const full = expectError(await post(ben, `/transfers/${t.id}/accept`), 409, "at_limit");
      expect(full.params).toMatchObject({ limit: 1 });
      expect(await ownerOf(world, sessionId)).toBe(anna.user.id);
      const row = await world.app.deps.db.kysely
        .selectFrom("session_transfers")
        .select("state")
        .where("id", "=", t.id)
        .executeTakeFirstOrThrow();
      expect(row.state).toBe("pending");
      expect((await api(world, anna, "DELETE", `/sessions/${sessionId}/transfer`)).status).toBe(204);
      expectOk(await post(ben, `/sessions/${busy.sessionId}/end`), 204);
      await patchUser(world, ctx.tenant, ben, { maxSessions: 3 });
    });

    it("a colleague who is not in the session gets 404 on everything about it", async () => {
      const { eve, ben, sessionId } = ctx;
      const s = `/sessions/${sessionId}`;
      const tries: [string, Promise<{ status: number; body: unknown }>][] = [
        ["messages", api(world, eve, "GET", `${s}/messages`)],
        ["send", post(eve, `${s}/messages`, { body: "hi" })],
        ["note", post(eve, `${s}/notes`, { body: "psst" })],
        ["transfer", post(eve, `${s}/transfer`, { toAgentId: ben.user.id })],
        ["cancel transfer", api(world, eve, "DELETE", `${s}/transfer`)],
        ["invite", post(eve, `${s}/invitations`, { agentIds: [ben.user.id] })],
        ["remove", api(world, eve, "DELETE", `${s}/members/${ben.user.id}`)],
        ["hand over", post(eve, `${s}/owner`, { userId: ben.user.id })],
        ["leave", post(eve, `${s}/leave`)],
        ["end", post(eve, `${s}/end`)],
        ["outcome", post(eve, `${s}/outcome`, { outcome: "resolved" })],
        ["transcript", api(world, eve, "GET", `${s}/transcript`)],
      ];
      for (const [what, p] of tries) {
        const res = await p;
        expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(404);
        expect((res.body as ApiError).error, what).toBe("not_found");
      }
      // Over the socket too.
      const eveWs = await connectAgent(world, eve);
      sockets.push(eveWs);
      for (const type of ["send", "note"] as const) {
        const answer = await agentSays(eveWs, sessionId, "let me in", `e-${type}`, type);
        expect(answer).toMatchObject({ type: "error", code: "not_found" });
      }
      eveWs.send({ type: "history", sessionId, since: 0 });
      await eveWs.next((m) => m.type === "error" && m.code === "not_found");
      expect(agentMessages(eveWs, sessionId)).toEqual([]);
      // Nothing of it happened.
      expect(await ownerOf(world, sessionId)).toBe(ctx.anna.user.id);
      const ended = await world.app.deps.db.kysely
        .selectFrom("sessions")
        .select("ended_at")
        .where("id", "=", sessionId)
        .executeTakeFirstOrThrow();
      expect(ended.ended_at).toBeNull();
    });

    it("a session that has ended cannot be transferred, and its pending transfer closes with it", async () => {
      const { anna, ben, benWs } = ctx;
      const live = await customerOf(ctx.portal.slug, anna, "Ending customer");
      const t = await transfer(world, anna, live.sessionId, { toAgentId: ben.user.id });
      await teamAlert(benWs, live.sessionId, "transfer");
      expectOk(await post(anna, `/sessions/${live.sessionId}/end`), 204);
      expect(await benWs.next(isAlertClosed(t.id))).toMatchObject({ reason: "canceled" });
      expectError(await post(ben, `/transfers/${t.id}/accept`), 409, "transfer_closed");
      expectError(
        await post(anna, `/sessions/${live.sessionId}/transfer`, { toAgentId: ben.user.id }),
        409,
        "session_ended",
      );
    });
  });
});
