import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiError } from "../../src/shared/api.js";
import type {
  ColleagueView,
  PortalTargetView,
  SessionSummary,
  SessionView,
  SupervisorView,
} from "../../src/shared/protocol.js";
import { call } from "../support/app.js";
import { dialects } from "../support/databases.js";
import {
  type Agent,
  type AgentSocket,
  accept,
  ask,
  barrier,
  type CustomerSocket,
  connectAgent,
  eventsOf,
  onlineAgent,
  startWorld,
  type World,
} from "../support/scenario.js";
import {
  agentSays,
  api,
  customerMessages,
  customerSays,
  expectError,
  expectNothingPrivate,
  expectOk,
  isAlertClosed,
  isCustomerMessage,
  isSessionLeft,
  type Live,
  liveSession,
  ownerOf,
  seedSupervisor,
  seedTeam,
  sessionLogOf,
  startedSession,
  type Team,
  teamAlert,
  transfer,
} from "../support/teamwork.js";

/**
 * Supervisors (issue 11): managers and admins see every live session and waiting request of
 * their account, watch one read-only (notes allowed), join it or take it over; every step is
 * stored with its time and is a line in the chat; the customer is told a supervisor watches
 * unless the account says not to. Also: nothing of one account's teamwork reaches another, and a
 * customer's rating reaches the agent's console at once.
 */
describe.each(dialects())("supervisors on %s", (dialect) => {
  let world: World;
  const sockets: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    world = await startWorld(dialect);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world.close();
  });

  interface Scene extends Team {
    anna: Agent;
    ben: Agent;
    annaWs: AgentSocket;
    benWs: AgentSocket;
    mia: Agent;
    miaWs: AgentSocket;
  }

  async function scene(prefix: string): Promise<Scene> {
    const t = await seedTeam(world, prefix, ["anna", "ben"]);
    sockets.push(...t.ws);
    const mia = await seedSupervisor(world, t.tenant, "mia");
    const miaWs = await connectAgent(world, mia);
    sockets.push(miaWs);
    const [anna, ben] = t.agents as [Agent, Agent];
    const [annaWs, benWs] = t.ws as [AgentSocket, AgentSocket];
    return { ...t, anna, ben, annaWs, benWs, mia, miaWs };
  }

  async function customerOf(slug: string, owner: Agent, name = "Carla Customer"): Promise<Live> {
    const live = await liveSession(world, slug, owner, name);
    sockets.push(live.customer);
    return live;
  }

  async function supervisorView(who: Agent): Promise<SupervisorView> {
    const res = await api(world, who, "GET", "/supervisor");
    expectOk(res);
    return res.body as SupervisorView;
  }

  async function customerEventsSince(customer: CustomerSocket, mark: number) {
    await barrier(customer);
    return eventsOf(customer, mark);
  }

  it("the supervisor view lists live sessions and waiting requests, live; agents are refused with 403", async () => {
    const s = await scene("sup-view");
    const admin: Agent = { user: s.tenant.admin, cookie: s.tenant.adminCookie };
    const miaFrom = s.miaWs.received.length;
    const annaFrom = s.annaWs.received.length;
    const live = await customerOf(s.portal.slug, s.anna);
    // A session started: the manager's console is told to look again; an agent's is not.
    await s.miaWs.next((m) => m.type === "supervisor.changed", 5000, miaFrom);
    await barrier(s.annaWs);
    expect(s.annaWs.received.slice(annaFrom).some((m) => m.type === "supervisor.changed")).toBe(false);

    const waitingFrom = s.miaWs.received.length;
    const waiting = await ask(world, s.portal.slug, { name: "Wanda Waiting", question: "Anyone?" });
    await s.miaWs.next((m) => m.type === "supervisor.changed", 5000, waitingFrom);

    const view = await supervisorView(s.mia);
    expect(view.tellCustomerMonitored).toBe(true);
    expect(typeof view.serverTime).toBe("number");
    const row = view.sessions.find((r) => r.sessionId === live.sessionId);
    expect(row).toMatchObject({
      agentId: s.anna.user.id,
      agentName: s.anna.user.displayName,
      participants: [],
      monitors: [],
      transferPending: false,
      sharing: false,
    });
    expect(row?.request.customerName).toBe("Carla Customer");
    expect(row?.waitedMs).toBeGreaterThanOrEqual(0);
    expect(view.waiting.map((r) => r.id)).toEqual([waiting.requestId]);
    expect(view.waiting[0]?.customerName).toBe("Wanda Waiting");
    // An admin sees the same; an agent may not look.
    expect((await supervisorView(admin)).sessions.map((r) => r.sessionId)).toEqual([live.sessionId]);
    expectError(await api(world, s.ben, "GET", "/supervisor"), 403, "forbidden");
    for (const step of ["monitor", "join", "take-over"]) {
      const res = await api(world, s.ben, "POST", `/sessions/${live.sessionId}/${step}`);
      expectError(res, 403, "forbidden");
    }
    // Unknown and ended sessions.
    for (const step of ["monitor", "join", "take-over"]) {
      expectError(await api(world, s.mia, "POST", `/sessions/no-such-session/${step}`), 404, "not_found");
    }

    // A pending transfer shows; the waiting customer taken leaves the list.
    const tr = await transfer(world, s.anna, live.sessionId, { toAgentId: s.ben.user.id });
    expect((await supervisorView(s.mia)).sessions[0]?.transferPending).toBe(true);
    expectOk(await api(world, s.anna, "DELETE", `/sessions/${live.sessionId}/transfer`), 204);
    expect(tr.id).toBeTruthy();
    expectOk(await accept(world, s.ben, waiting.requestId));
    const after = await supervisorView(s.mia);
    expect(after.waiting).toEqual([]);
    expect(after.sessions.map((r) => r.sessionId).sort()).toEqual([live.sessionId, waiting.requestId].sort());

    // Ended sessions cannot be watched.
    const endedFrom = s.miaWs.received.length;
    expectOk(await api(world, s.ben, "POST", `/sessions/${waiting.requestId}/end`), 204);
    await s.miaWs.next((m) => m.type === "supervisor.changed", 5000, endedFrom);
    for (const step of ["monitor", "join", "take-over"]) {
      expectError(
        await api(world, s.mia, "POST", `/sessions/${waiting.requestId}/${step}`),
        409,
        "session_ended",
      );
    }
  });

  it("monitor (customer told), join, take over: read-only chat but notes, each step stored with its time and a line in the chat", async () => {
    const s = await scene("sup-steps");
    const live = await customerOf(s.portal.slug, s.anna);
    const { sessionId, customer } = live;
    await customerSays(customer, "hello?", "c1");

    const t1 = world.clock.now();
    const watching = await api(world, s.mia, "POST", `/sessions/${sessionId}/monitor`);
    const t1After = world.clock.now();
    expectOk(watching);
    expect(watching.body as SessionView).toMatchObject({
      id: sessionId,
      role: "monitor",
      agentId: s.anna.user.id,
    });
    expect((await startedSession(s.miaWs, sessionId)).role).toBe("monitor");
    const told = await customer.next(isCustomerMessage((m) => m.event?.kind === "monitor.started"));
    expect(told.type === "message" && told.message).toMatchObject({
      sender: "system",
      event: { kind: "monitor.started", name: s.mia.user.displayName },
    });
    expect(told.type === "message" && told.message.visibility).toBeUndefined();
    await s.annaWs.next(
      (m) =>
        m.type === "session.updated" &&
        m.session.members.some((x) => x.userId === s.mia.user.id && x.role === "monitor"),
    );
    // Watching again changes nothing.
    expectOk(await api(world, s.mia, "POST", `/sessions/${sessionId}/monitor`));
    expect((await supervisorView(s.mia)).sessions[0]?.monitors).toEqual([
      { userId: s.mia.user.id, name: s.mia.user.displayName },
    ]);

    // Read-only: no chat to the customer (REST or socket), but notes; the chat arrives live.
    expectError(
      await api(world, s.mia, "POST", `/sessions/${sessionId}/messages`, { body: "I am watching you" }),
      403,
      "monitor_read_only",
    );
    expect(await agentSays(s.miaWs, sessionId, "I am watching you", "m1")).toMatchObject({
      type: "error",
      code: "monitor_read_only",
    });
    expect((await agentSays(s.miaWs, sessionId, "MIA-NOTE: ask about the model", "m2", "note")).type).toBe(
      "ack",
    );
    await s.annaWs.next((m) => m.type === "message" && m.message.body === "MIA-NOTE: ask about the model");
    const seq = await customerSays(customer, "it is a laser printer", "c2");
    await s.miaWs.next((m) => m.type === "message" && m.message.seq === seq);
    // Typing and outcome stay the owner's.
    expectError(await api(world, s.mia, "POST", `/sessions/${sessionId}/end`), 403, "not_owner");

    world.clock.advance(1000);
    const t2 = world.clock.now();
    const joined = await api(world, s.mia, "POST", `/sessions/${sessionId}/join`);
    const t2After = world.clock.now();
    expectOk(joined);
    expect((joined.body as SessionView).role).toBe("participant");
    await s.miaWs.next((m) => m.type === "session.updated" && m.session.role === "participant");
    const joinedLine = await customer.next(isCustomerMessage((m) => m.event?.kind === "joined"));
    expect(joinedLine.type === "message" && joinedLine.message.event?.name).toBe(s.mia.user.displayName);
    expect((await agentSays(s.miaWs, sessionId, "Hello, I am Mia", "m3")).type).toBe("ack");
    const fromMia = await customer.next(isCustomerMessage((m) => m.body === "Hello, I am Mia"));
    expect(fromMia.type === "message" && fromMia.message.authorName).toBe(s.mia.user.displayName);
    expect((await supervisorView(s.mia)).sessions[0]).toMatchObject({
      participants: [{ userId: s.mia.user.id, name: s.mia.user.displayName }],
      monitors: [],
    });

    world.clock.advance(1000);
    const t3 = world.clock.now();
    const annaFrom = s.annaWs.received.length;
    const taken = await api(world, s.mia, "POST", `/sessions/${sessionId}/take-over`);
    const t3After = world.clock.now();
    expectOk(taken);
    expect(taken.body as SessionView).toMatchObject({ agentId: s.mia.user.id, role: "owner", members: [] });
    expect(await s.annaWs.next(isSessionLeft(sessionId), 5000, annaFrom)).toEqual({
      type: "session.left",
      sessionId,
      reason: "transferred",
      toName: s.mia.user.displayName,
    });
    await customer.next((m) => m.type === "status" && m.status.agentName === s.mia.user.displayName);
    const changed = await customer.next(isCustomerMessage((m) => m.event?.kind === "owner.changed"));
    expect(changed.type === "message" && changed.message.event?.name).toBe(s.mia.user.displayName);
    expect(await ownerOf(world, sessionId)).toBe(s.mia.user.id);
    expectError(await api(world, s.anna, "GET", `/sessions/${sessionId}/messages`), 404, "not_found");
    expectError(await api(world, s.mia, "POST", `/sessions/${sessionId}/take-over`), 409, "already_owner");
    expectError(await api(world, s.mia, "POST", `/sessions/${sessionId}/monitor`), 409, "already_owner");
    const seq2 = await customerSays(customer, "thank you Mia", "c3");
    await s.miaWs.next((m) => m.type === "message" && m.message.seq === seq2);

    // The story, each step with its time.
    const log = await sessionLogOf(world, sessionId);
    expect(log.map((l) => [l.kind, l.actor_id, l.subject_id])).toEqual([
      ["monitor.started", s.mia.user.id, null],
      ["supervisor.joined", s.mia.user.id, null],
      ["take-over", s.mia.user.id, s.anna.user.id],
    ]);
    // Each at the server's time of the step (its clock, which the test moved a second between them).
    const windows = [
      [t1, t1After],
      [t2, t2After],
      [t3, t3After],
    ] as const;
    for (const [i, [from, to]] of windows.entries()) {
      const at = Number(log[i]?.at);
      expect(at).toBeGreaterThanOrEqual(from);
      expect(at).toBeLessThanOrEqual(to);
    }
    expect(log[0]?.detail).toBe("customer told");
    // The lines in the chat: the customer's say what concerns them, no note.
    expect(customerMessages(customer).flatMap((m) => (m.event ? [m.event.kind] : []))).toEqual([
      "monitor.started",
      "joined",
      "owner.changed",
    ]);
    await expectNothingPrivate(customer, ["MIA-NOTE"]);
  });

  it("with tellCustomerMonitored off, watching is an agents-only line; stopping too; joining is told", async () => {
    const s = await scene("sup-quiet");
    const patched = await call(
      world.app,
      s.tenant.adminCookie,
      "PATCH",
      `/api/v1/accounts/${s.tenant.account.id}`,
      {
        tellCustomerMonitored: false,
      },
    );
    expectOk(patched);
    expect((patched.body as { tellCustomerMonitored: boolean }).tellCustomerMonitored).toBe(false);
    expectError(
      await call(world.app, s.tenant.adminCookie, "PATCH", `/api/v1/accounts/${s.tenant.account.id}`, {
        tellCustomerMonitored: "no",
      }),
      400,
      "validation",
    );
    expect((await supervisorView(s.mia)).tellCustomerMonitored).toBe(false);
    const { sessionId, customer } = await customerOf(s.portal.slug, s.anna);
    const mark = customer.received.length;

    expectOk(await api(world, s.mia, "POST", `/sessions/${sessionId}/monitor`));
    const line = await s.annaWs.next(
      (m) => m.type === "message" && m.message.event?.kind === "monitor.started",
    );
    expect(line.type === "message" && line.message.visibility).toBe("agents");
    await startedSession(s.miaWs, sessionId);
    expect(await customerEventsSince(customer, mark)).toEqual([]);
    expect((await sessionLogOf(world, sessionId))[0]?.detail).toBe("customer not told");

    const left = await api(world, s.mia, "POST", `/sessions/${sessionId}/leave`);
    expect(left.status, JSON.stringify(left.body)).toBe(204);
    expect(await s.miaWs.next(isSessionLeft(sessionId))).toMatchObject({ reason: "left" });
    const stopped = await s.annaWs.next(
      (m) => m.type === "message" && m.message.event?.kind === "monitor.stopped",
    );
    expect(stopped.type === "message" && stopped.message.visibility).toBe("agents");
    expect(await customerEventsSince(customer, mark)).toEqual([]);
    expectError(await api(world, s.mia, "GET", `/sessions/${sessionId}/messages`), 404, "not_found");

    // Joining straight away (without watching first) is talking to the customer: they are told.
    expectOk(await api(world, s.mia, "POST", `/sessions/${sessionId}/join`));
    await customer.next(isCustomerMessage((m) => m.event?.kind === "joined"));
    expect((await sessionLogOf(world, sessionId)).map((l) => l.kind)).toEqual([
      "monitor.started",
      "monitor.stopped",
      "supervisor.joined",
    ]);
    // A removal of a watching supervisor is not the owner's to make; a participant supervisor's is.
    expect(
      (await api(world, s.anna, "DELETE", `/sessions/${sessionId}/members/${s.mia.user.id}`)).status,
    ).toBe(204);
    await s.miaWs.next(
      (m) => isSessionLeft(sessionId)(m) && m.type === "session.left" && m.reason === "removed",
    );
    expect(await ownerOf(world, sessionId)).toBe(s.anna.user.id);
  });

  it("a take-over while a transfer waits closes the transfer; its receiver's alert closes", async () => {
    const s = await scene("sup-take");
    const { sessionId, customer } = await customerOf(s.portal.slug, s.anna);
    const tr = await transfer(world, s.anna, sessionId, { toAgentId: s.ben.user.id });
    await teamAlert(s.benWs, sessionId, "transfer");
    expectOk(await api(world, s.mia, "POST", `/sessions/${sessionId}/take-over`));
    expect(await s.benWs.next(isAlertClosed(tr.id))).toMatchObject({ reason: "canceled" });
    expectError(await api(world, s.ben, "POST", `/transfers/${tr.id}/accept`), 409, "transfer_closed");
    await s.annaWs.next(isSessionLeft(sessionId));
    await customer.next((m) => m.type === "status" && m.status.agentName === s.mia.user.displayName);
    expect(await ownerOf(world, sessionId)).toBe(s.mia.user.id);
    expect(
      (await supervisorView(s.mia)).sessions.find((r) => r.sessionId === sessionId)?.transferPending,
    ).toBe(false);
  });

  it("tenant isolation: another account's manager and agents see nothing of this account's teamwork and can do nothing with it", async () => {
    const a = await scene("sup-iso-a");
    const b = await scene("sup-iso-b");
    const olga = b.mia; // B's manager
    const oscar = b.anna; // B's agent
    await barrier(b.miaWs);
    const bSupervisorFrom = b.miaWs.received.length;
    const live = await customerOf(a.portal.slug, a.anna, "Isolda Secret");
    const { sessionId } = live;
    const waiting = await ask(world, a.portal.slug, { name: "Waiting Secret", question: "?" });
    const tr = await transfer(world, a.anna, sessionId, { toAgentId: a.ben.user.id, note: "A-ONLY-NOTE" });
    await teamAlert(a.benWs, sessionId, "transfer");
    const mia2 = await seedSupervisor(world, a.tenant, "mira");
    sockets.push(await onlineAgent(world, mia2));
    const inv = await api(world, a.anna, "POST", `/sessions/${sessionId}/invitations`, {
      agentIds: [mia2.user.id],
    });
    expect(inv.status, JSON.stringify(inv.body)).toBe(201);
    const memberId = (inv.body as { id: string }[])[0]?.id ?? "";
    expect((await agentSays(a.annaWs, sessionId, "A-ONLY private note", "n1", "note")).type).toBe("ack");

    // B's supervisor view and colleagues list hold nothing of A.
    const view = await supervisorView(olga);
    expect(view.sessions.map((r) => r.sessionId)).not.toContain(sessionId);
    expect(view.waiting.map((r) => r.id)).not.toContain(waiting.requestId);
    const list = await api(world, oscar, "GET", "/console/colleagues");
    const { agents, portals } = list.body as { agents: ColleagueView[]; portals: PortalTargetView[] };
    expect(agents.map((x) => x.id)).not.toContain(a.anna.user.id);
    expect(portals.map((x) => x.id)).not.toContain(a.portal.id);

    // Nothing of A is actionable from B: 404, as for what does not exist.
    const s = `/sessions/${sessionId}`;
    const tries: [string, Agent, "GET" | "POST" | "DELETE", string, unknown?][] = [
      ["monitor", olga, "POST", `${s}/monitor`],
      ["join", olga, "POST", `${s}/join`],
      ["take over", olga, "POST", `${s}/take-over`],
      ["messages", olga, "GET", `${s}/messages`],
      ["transcript", oscar, "GET", `${s}/transcript`],
      ["send", oscar, "POST", `${s}/messages`, { body: "hi" }],
      ["note", oscar, "POST", `${s}/notes`, { body: "hi" }],
      ["transfer", oscar, "POST", `${s}/transfer`, { toAgentId: b.ben.user.id }],
      ["cancel transfer", oscar, "DELETE", `${s}/transfer`],
      ["invite", oscar, "POST", `${s}/invitations`, { agentIds: [b.ben.user.id] }],
      ["remove", oscar, "DELETE", `${s}/members/${a.ben.user.id}`],
      ["hand over", oscar, "POST", `${s}/owner`, { userId: a.ben.user.id }],
      ["leave", olga, "POST", `${s}/leave`],
      ["end", olga, "POST", `${s}/end`],
      ["accept transfer", oscar, "POST", `/transfers/${tr.id}/accept`],
      ["decline transfer", olga, "POST", `/transfers/${tr.id}/decline`],
      ["accept invitation", oscar, "POST", `/invitations/${memberId}/accept`],
      ["decline invitation", olga, "POST", `/invitations/${memberId}/decline`],
    ];
    for (const [what, who, method, url, body] of tries) {
      const res = await api(world, who, method, url, body);
      expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(404);
      expect((res.body as ApiError).error, what).toBe("not_found");
    }
    // And A cannot reach into B: transfer or invite to B's people, 404.
    expectError(
      await api(world, a.anna, "POST", `${s}/invitations`, { agentIds: [oscar.user.id] }),
      404,
      "not_found",
    );
    expectError(
      await api(world, a.anna, "POST", `${s}/transfer`, { toAgentId: olga.user.id }),
      404,
      "not_found",
    );
    expectError(
      await api(world, a.anna, "POST", `${s}/transfer`, { toPortalId: b.portal.id }),
      404,
      "not_found",
    );
    // Over the socket either.
    expect(await agentSays(b.annaWs, sessionId, "let me in", "o1")).toMatchObject({
      type: "error",
      code: "not_found",
    });
    expect(await agentSays(b.miaWs, sessionId, "let me in", "o2", "note")).toMatchObject({
      type: "error",
      code: "not_found",
    });

    // A is untouched, and B's consoles heard not a word of it.
    expect(await ownerOf(world, sessionId)).toBe(a.anna.user.id);
    for (const ws of [b.annaWs, b.benWs, b.miaWs]) {
      await barrier(ws);
      const raw = JSON.stringify(ws.received);
      expect(raw).not.toContain(sessionId);
      expect(raw).not.toContain("Isolda Secret");
      expect(raw).not.toContain("A-ONLY");
    }
    expect(b.miaWs.received.some((m) => m.type === "team.alert" || m.type === "session.started")).toBe(false);
    // A's sessions starting and changing are no reason for B's supervisor view to look again.
    expect(b.miaWs.received.slice(bSupervisorFrom).some((m) => m.type === "supervisor.changed")).toBe(false);
  });

  it("rating live: the customer's survey reaches the owner's console at once, after a transfer the new owner's", async () => {
    const s = await scene("sup-rating");
    const first = await customerOf(s.portal.slug, s.anna);
    expectOk(await api(world, s.anna, "POST", `/sessions/${first.sessionId}/end`), 204);
    const rated = await call(
      world.app,
      first.cookie,
      "POST",
      `/api/v1/customer/requests/${first.sessionId}/survey`,
      {
        rating: 4,
        comment: "Quick help",
      },
    );
    expect(rated.status, JSON.stringify(rated.body)).toBe(204);
    expect(await s.annaWs.next((m) => m.type === "session.rated" && m.sessionId === first.sessionId)).toEqual(
      {
        type: "session.rated",
        sessionId: first.sessionId,
        rating: 4,
        comment: "Quick help",
      },
    );
    const snap = await api(world, s.anna, "GET", "/console");
    const ended = (snap.body as { ended: SessionSummary[] }).ended.find((x) => x.id === first.sessionId);
    expect(ended).toMatchObject({ rating: 4, comment: "Quick help" });

    // Transferred to ben, ended by ben, rated without a comment: ben hears it, anna does not.
    const second = await customerOf(s.portal.slug, s.anna, "Second");
    const tr = await transfer(world, s.anna, second.sessionId, { toAgentId: s.ben.user.id });
    await teamAlert(s.benWs, second.sessionId, "transfer");
    expectOk(await api(world, s.ben, "POST", `/transfers/${tr.id}/accept`));
    expectOk(await api(world, s.ben, "POST", `/sessions/${second.sessionId}/end`), 204);
    const annaFrom = s.annaWs.received.length;
    expect(
      (
        await call(world.app, second.cookie, "POST", `/api/v1/customer/requests/${second.sessionId}/survey`, {
          rating: 5,
        })
      ).status,
    ).toBe(204);
    expect(
      await s.benWs.next((m) => m.type === "session.rated" && m.sessionId === second.sessionId),
    ).toMatchObject({
      rating: 5,
      comment: null,
    });
    await barrier(s.annaWs);
    expect(s.annaWs.received.slice(annaFrom).some((m) => m.type === "session.rated")).toBe(false);
    // A second answer is refused and tells nobody.
    const again = await call(
      world.app,
      second.cookie,
      "POST",
      `/api/v1/customer/requests/${second.sessionId}/survey`,
      {
        rating: 1,
      },
    );
    expectError(again, 409, "already_answered");
  });
});
