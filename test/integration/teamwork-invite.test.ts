import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepTeamwork } from "../../src/server/sweeper.js";
import type { ColleagueView, SessionMember, SessionView } from "../../src/shared/protocol.js";
import { dialects } from "../support/databases.js";
import {
  type Agent,
  type AgentSocket,
  accept,
  ask,
  barrier,
  type CustomerSocket,
  connectCustomer,
  createPortal,
  eventsOf,
  onlineAgent,
  patchUser,
  seedAgent,
  seedTenant,
  startWorld,
  type World,
} from "../support/scenario.js";
import {
  agentHistory,
  agentMessages,
  agentSays,
  api,
  customerMessages,
  customerSays,
  expectError,
  expectNothingPrivate,
  expectOk,
  isAlertClosed,
  isCustomerMessage,
  isNotice,
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
} from "../support/teamwork.js";

/**
 * Invitations (issue 11, BEHAVIOUR.md §4 blue): up to seven colleagues in a session, each a
 * participant who sees the history and chats as themselves; removed, leaving, or handed the
 * session. Participation does not count toward an agent's session limit.
 */
describe.each(dialects())("invitations on %s", (dialect) => {
  let world: World;
  const sockets: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    world = await startWorld(dialect);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world.close();
  });

  async function team(prefix: string, names: string[]): Promise<Team> {
    const t = await seedTeam(world, prefix, names);
    sockets.push(...t.ws);
    return t;
  }

  async function customerOf(slug: string, owner: Agent, name = "Carla Customer"): Promise<Live> {
    const live = await liveSession(world, slug, owner, name);
    sockets.push(live.customer);
    return live;
  }

  async function invite(owner: Agent, sessionId: string, invitees: Agent[]): Promise<SessionMember[]> {
    const res = await api(world, owner, "POST", `/sessions/${sessionId}/invitations`, {
      agentIds: invitees.map((a) => a.user.id),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as SessionMember[];
  }

  /** Invites the colleague and has them accept their blue alert; returns the session as they see it. */
  async function bringIn(owner: Agent, sessionId: string, who: Agent, ws: AgentSocket): Promise<SessionView> {
    const from = ws.received.length;
    const [member] = await invite(owner, sessionId, [who]);
    const alert = await teamAlert(ws, sessionId, "invite", from);
    expect(alert.id).toBe(member?.id);
    const res = await api(world, who, "POST", `/invitations/${alert.id}/accept`);
    expectOk(res);
    await startedSession(ws, sessionId, from);
    return res.body as SessionView;
  }

  async function customerEventsSince(customer: CustomerSocket, mark: number) {
    await barrier(customer);
    return eventsOf(customer, mark);
  }

  async function colleague(viewer: Agent, id: string): Promise<ColleagueView | undefined> {
    const res = await api(world, viewer, "GET", "/console/colleagues");
    expectOk(res);
    return (res.body as { agents: ColleagueView[] }).agents.find((a) => a.id === id);
  }

  it("a blue alert; the colleague who accepts sees the history, chats as themselves and hears the customer", async () => {
    const { agents, ws, portal } = await team("inv-join", ["anna", "ben", "cleo"]);
    const [anna, ben] = agents as [Agent, Agent];
    const [annaWs, benWs, cleoWs] = ws as [AgentSocket, AgentSocket, AgentSocket];
    const { sessionId, customer } = await customerOf(portal.slug, anna);
    await customerSays(customer, "the printer smokes", "c1");
    expect((await agentSays(annaWs, sessionId, "ben knows printers", "n1", "note")).type).toBe("ack");
    const mark = customer.received.length;

    const members = await invite(anna, sessionId, [ben]);
    expect(members).toEqual([
      expect.objectContaining({
        userId: ben.user.id,
        name: ben.user.displayName,
        role: "participant",
        state: "invited",
      }),
    ]);
    const alert = await teamAlert(benWs, sessionId, "invite");
    expect(alert).toMatchObject({
      id: members[0]?.id,
      kind: "invite",
      fromName: anna.user.displayName,
      note: "",
      portalName: null,
    });
    expect(alert.expiresAt - alert.createdAt).toBe(30_000);
    expect(alert.request.customerName).toBe("Carla Customer");
    expect(alert.messages.map((m) => m.body)).toEqual(
      expect.arrayContaining(["the printer smokes", "ben knows printers"]),
    );
    await barrier(cleoWs);
    expect(cleoWs.received.some((m) => m.type === "team.alert")).toBe(false);
    await annaWs.next(
      (m) =>
        m.type === "session.updated" &&
        m.session.members.some((x) => x.userId === ben.user.id && x.state === "invited"),
    );
    // The snapshot has the invitation too, for a console that reloads now.
    const snap = await api(world, ben, "GET", "/console");
    expect((snap.body as { teamAlerts: { id: string }[] }).teamAlerts.map((a) => a.id)).toEqual([alert.id]);

    const accepted = await api(world, ben, "POST", `/invitations/${alert.id}/accept`);
    expectOk(accepted);
    expect(accepted.body as SessionView).toMatchObject({
      id: sessionId,
      agentId: anna.user.id,
      role: "participant",
      members: [expect.objectContaining({ userId: ben.user.id, state: "joined", role: "participant" })],
    });
    expect((await startedSession(benWs, sessionId)).role).toBe("participant");
    await annaWs.next(
      (m) =>
        m.type === "session.updated" &&
        m.session.members.some((x) => x.userId === ben.user.id && x.state === "joined"),
    );
    const history = await agentHistory(world, ben, sessionId);
    expect(history.map((m) => m.body)).toEqual(
      expect.arrayContaining(["the printer smokes", "ben knows printers"]),
    );
    const joined = await customer.next(isCustomerMessage((m) => m.event?.kind === "joined"));
    expect(joined.type === "message" && joined.message.event).toMatchObject({ name: ben.user.displayName });

    // Ben chats as himself: the customer sees who is speaking; anna sees it too.
    expect((await agentSays(benWs, sessionId, "Unplug it first", "b1")).type).toBe("ack");
    const fromBen = await customer.next(isCustomerMessage((m) => m.body === "Unplug it first"));
    expect(fromBen.type === "message" && fromBen.message).toMatchObject({
      sender: "agent",
      authorName: ben.user.displayName,
    });
    await annaWs.next((m) => m.type === "message" && m.message.body === "Unplug it first");
    // The customer's messages reach both.
    const seq = await customerSays(customer, "Done, thanks both", "c2");
    await benWs.next((m) => m.type === "message" && m.message.seq === seq);
    await annaWs.next((m) => m.type === "message" && m.message.seq === seq);
    // And the customer hears ben type.
    benWs.send({ type: "typing", sessionId });
    await customer.next((m) => m.type === "typing");
    customer.send({ type: "typing" });
    await benWs.next((m) => m.type === "typing" && m.sessionId === sessionId);

    // The owner stays the owner: a participant cannot transfer, invite, end or hand over.
    for (const [what, res] of [
      [
        "transfer",
        await api(world, ben, "POST", `/sessions/${sessionId}/transfer`, { toAgentId: anna.user.id }),
      ],
      [
        "invite",
        await api(world, ben, "POST", `/sessions/${sessionId}/invitations`, {
          agentIds: [agents[2]?.user.id],
        }),
      ],
      ["end", await api(world, ben, "POST", `/sessions/${sessionId}/end`)],
      ["hand over", await api(world, ben, "POST", `/sessions/${sessionId}/owner`, { userId: anna.user.id })],
      ["remove", await api(world, ben, "DELETE", `/sessions/${sessionId}/members/${anna.user.id}`)],
    ] as const) {
      expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(403);
    }
    expect(await ownerOf(world, sessionId)).toBe(anna.user.id);

    // The customer saw only what concerns them: who joined, and what was said to them.
    const got = await customerEventsSince(customer, mark);
    expect(
      got.flatMap((m) => (m.type === "message" ? [m.message.event?.kind ?? m.message.body] : [])),
    ).toEqual(["joined", "Unplug it first", "Done, thanks both"]);
    await expectNothingPrivate(customer, ["ben knows printers"]);
    const log = await sessionLogOf(world, sessionId);
    expect(log.map((l) => [l.kind, l.actor_id, l.subject_id])).toEqual([
      ["invite.sent", anna.user.id, ben.user.id],
      ["invite.accepted", ben.user.id, null],
    ]);
    expect(log.every((l) => l.at > 0)).toBe(true);
  });

  it("the owner removes a participant, another leaves: each is told and out; the customer reads who left", async () => {
    const { agents, ws, portal } = await team("inv-out", ["anna", "ben", "cleo"]);
    const [anna, ben, cleo] = agents as [Agent, Agent, Agent];
    const [annaWs, benWs, cleoWs] = ws as [AgentSocket, AgentSocket, AgentSocket];
    const { sessionId, customer } = await customerOf(portal.slug, anna);
    await bringIn(anna, sessionId, ben, benWs);
    await bringIn(anna, sessionId, cleo, cleoWs);

    const removed = await api(world, anna, "DELETE", `/sessions/${sessionId}/members/${ben.user.id}`);
    expect(removed.status, JSON.stringify(removed.body)).toBe(204);
    expect(await benWs.next(isSessionLeft(sessionId))).toEqual({
      type: "session.left",
      sessionId,
      reason: "removed",
    });
    const removedLine = await customer.next(isCustomerMessage((m) => m.event?.kind === "removed"));
    expect(removedLine.type === "message" && removedLine.message.event?.name).toBe(ben.user.displayName);
    expectError(await api(world, ben, "GET", `/sessions/${sessionId}/messages`), 404, "not_found");
    expect(await agentSays(benWs, sessionId, "still here?", "b1")).toMatchObject({
      type: "error",
      code: "not_found",
    });
    expectError(
      await api(world, anna, "DELETE", `/sessions/${sessionId}/members/${ben.user.id}`),
      404,
      "not_found",
    );

    expectError(await api(world, anna, "POST", `/sessions/${sessionId}/leave`), 409, "owner_cannot_leave");
    const left = await api(world, cleo, "POST", `/sessions/${sessionId}/leave`);
    expect(left.status, JSON.stringify(left.body)).toBe(204);
    expect(await cleoWs.next(isSessionLeft(sessionId))).toEqual({
      type: "session.left",
      sessionId,
      reason: "left",
    });
    const leftLine = await customer.next(isCustomerMessage((m) => m.event?.kind === "left"));
    expect(leftLine.type === "message" && leftLine.message.event?.name).toBe(cleo.user.displayName);
    expectError(await api(world, cleo, "POST", `/sessions/${sessionId}/leave`), 404, "not_found");
    await annaWs.next(
      (m) => m.type === "session.updated" && m.session.id === sessionId && m.session.members.length === 0,
    );

    // What is said now reaches neither.
    const benMark = benWs.received.length;
    const cleoMark = cleoWs.received.length;
    const seq = await customerSays(customer, "only anna now", "c1");
    await annaWs.next((m) => m.type === "message" && m.message.seq === seq);
    await barrier(benWs);
    await barrier(cleoWs);
    expect(agentMessages(benWs, sessionId, benMark)).toEqual([]);
    expect(agentMessages(cleoWs, sessionId, cleoMark)).toEqual([]);
    expect((await sessionLogOf(world, sessionId)).map((l) => l.kind)).toEqual([
      "invite.sent",
      "invite.accepted",
      "invite.sent",
      "invite.accepted",
      "removed",
      "left",
    ]);
  });

  it("a participant who is in when the session ends hears it ended", async () => {
    const { agents, ws, portal } = await team("inv-end", ["anna", "ben"]);
    const [anna, ben] = agents as [Agent, Agent];
    const benWs = ws[1] as AgentSocket;
    const { sessionId } = await customerOf(portal.slug, anna);
    await bringIn(anna, sessionId, ben, benWs);
    expect((await api(world, anna, "POST", `/sessions/${sessionId}/end`)).status).toBe(204);
    await benWs.next((m) => m.type === "session.ended" && m.sessionId === sessionId);
    expect(await agentSays(benWs, sessionId, "too late", "b1")).toMatchObject({ type: "error" });
  });

  it("hand-over to a participant: the roles swap, the customer reads who they talk to now", async () => {
    const { agents, ws, portal } = await team("inv-hand", ["anna", "ben", "cleo"]);
    const [anna, ben, cleo] = agents as [Agent, Agent, Agent];
    const [annaWs, benWs, cleoWs] = ws as [AgentSocket, AgentSocket, AgentSocket];
    const { sessionId, customer } = await customerOf(portal.slug, anna);
    await bringIn(anna, sessionId, ben, benWs);
    const [cleoInvite] = await invite(anna, sessionId, [cleo]);
    await teamAlert(cleoWs, sessionId, "invite");

    // Only to someone who has joined.
    expectError(
      await api(world, anna, "POST", `/sessions/${sessionId}/owner`, { userId: cleo.user.id }),
      409,
      "not_participant",
    );
    expectError(
      await api(world, anna, "POST", `/sessions/${sessionId}/owner`, { userId: "nobody" }),
      409,
      "not_participant",
    );
    expectError(
      await api(world, anna, "POST", `/sessions/${sessionId}/owner`, { userId: ben.user.id, also: 1 }),
      400,
      "validation",
    );
    expectError(await api(world, anna, "POST", `/sessions/${sessionId}/owner`, {}), 400, "validation");
    // Cleo's invitation is taken back.
    expect((await api(world, anna, "DELETE", `/sessions/${sessionId}/members/${cleo.user.id}`)).status).toBe(
      204,
    );
    expect(await cleoWs.next(isAlertClosed(cleoInvite?.id ?? ""))).toMatchObject({ reason: "canceled" });
    expectError(
      await api(world, cleo, "POST", `/invitations/${cleoInvite?.id}/accept`),
      409,
      "invite_closed",
    );

    const benFrom = benWs.received.length;
    const annaFrom = annaWs.received.length;
    const handed = await api(world, anna, "POST", `/sessions/${sessionId}/owner`, { userId: ben.user.id });
    expectOk(handed);
    expect(handed.body as SessionView).toMatchObject({
      agentId: ben.user.id,
      role: "participant",
      members: [expect.objectContaining({ userId: anna.user.id, state: "joined", role: "participant" })],
    });
    await benWs.next(
      (m) =>
        (m.type === "session.started" || m.type === "session.updated") &&
        m.session.id === sessionId &&
        m.session.role === "owner",
      5000,
      benFrom,
    );
    await annaWs.next(
      (m) => m.type === "session.updated" && m.session.id === sessionId && m.session.role === "participant",
      5000,
      annaFrom,
    );
    // A hand-over is no "transferred away": anna stays in the session.
    await barrier(annaWs);
    expect(annaWs.received.slice(annaFrom).some((m) => m.type === "session.left")).toBe(false);
    await customer.next((m) => m.type === "status" && m.status.agentName === ben.user.displayName);
    const line = await customer.next(isCustomerMessage((m) => m.event?.kind === "owner.changed"));
    expect(line.type === "message" && line.message.event).toMatchObject({ name: ben.user.displayName });

    // Ben owns it, anna helps: ben transfers, ends; anna chats but cannot end.
    expect(await ownerOf(world, sessionId)).toBe(ben.user.id);
    expect((await agentSays(annaWs, sessionId, "I am still here", "a1")).type).toBe("ack");
    await customer.next(isCustomerMessage((m) => m.body === "I am still here"));
    expectError(await api(world, anna, "POST", `/sessions/${sessionId}/end`), 403, "not_owner");
    expect((await colleague(cleo, anna.user.id))?.sessions).toBe(0);
    expect((await colleague(cleo, ben.user.id))?.sessions).toBe(1);
    // Handing it back works the same way.
    expectOk(await api(world, ben, "POST", `/sessions/${sessionId}/owner`, { userId: anna.user.id }));
    expect(await ownerOf(world, sessionId)).toBe(anna.user.id);
    const log = (await sessionLogOf(world, sessionId)).map((l) => l.kind);
    expect(log.filter((k) => k === "owner.handed")).toHaveLength(2);
    expect(log).toContain("invite.canceled");
  });

  it("participation does not count toward the session limit", async () => {
    const tenant = await seedTenant(world, "inv-limit");
    const anna = await seedAgent(world, tenant, "anna");
    const ben = await seedAgent(world, tenant, "ben");
    await patchUser(world, tenant, ben, { maxSessions: 1 });
    const annas = await createPortal(world, tenant, "question", [anna]);
    const bens = await createPortal(world, tenant, "question", [ben]);
    const annaWs = await onlineAgent(world, anna);
    const benWs = await onlineAgent(world, ben);
    sockets.push(annaWs, benWs);
    await customerOf(bens.slug, ben, "Ben's customer");
    // Ben is at his limit of 1 …
    expect(await colleague(anna, ben.user.id)).toMatchObject({
      sessions: 1,
      maxSessions: 1,
      unavailableReason: "at_limit",
    });
    const { sessionId } = await customerOf(annas.slug, anna);
    expectError(
      await api(world, anna, "POST", `/sessions/${sessionId}/transfer`, { toAgentId: ben.user.id }),
      409,
      "at_limit",
    );
    // … and can still be invited, and accept.
    const view = await bringIn(anna, sessionId, ben, benWs);
    expect(view.role).toBe("participant");
    expect(await colleague(anna, ben.user.id)).toMatchObject({ sessions: 1 });

    // With a limit of 2, one session of his own and one as a participant, he can take another.
    await patchUser(world, tenant, ben, { maxSessions: 2 });
    const another = await ask(world, bens.slug, { name: "Third", question: "Me too" });
    sockets.push(await connectCustomer(world, another.requestId, another.cookie));
    expectOk(await accept(world, ben, another.requestId));
    expect(await colleague(anna, ben.user.id)).toMatchObject({ sessions: 2, unavailableReason: "at_limit" });
  });

  it("declined or unanswered: the owner is told, the customer notices nothing; it can be asked again", async () => {
    const { agents, ws, portal } = await team("inv-no", ["anna", "ben", "cleo"]);
    const [anna, ben, cleo] = agents as [Agent, Agent, Agent];
    const [annaWs, benWs, cleoWs] = ws as [AgentSocket, AgentSocket, AgentSocket];
    const { sessionId, customer } = await customerOf(portal.slug, anna);
    const mark = customer.received.length;

    const [benInvite, cleoInvite] = await invite(anna, sessionId, [ben, cleo]);
    await teamAlert(benWs, sessionId, "invite");
    await teamAlert(cleoWs, sessionId, "invite");
    expect((await api(world, ben, "POST", `/invitations/${benInvite?.id}/decline`)).status).toBe(204);
    expect(await annaWs.next(isNotice(sessionId))).toEqual({
      type: "team.notice",
      sessionId,
      kind: "invite.declined",
      name: ben.user.displayName,
    });
    expect(await benWs.next(isAlertClosed(benInvite?.id ?? ""))).toMatchObject({ reason: "declined" });
    expectError(await api(world, ben, "POST", `/invitations/${benInvite?.id}/accept`), 409, "invite_closed");
    expectError(await api(world, ben, "POST", `/invitations/${benInvite?.id}/decline`), 409, "invite_closed");

    // Cleo lets hers run out: refused once due, closed by the sweep.
    world.clock.advance(30_001);
    expectError(
      await api(world, cleo, "POST", `/invitations/${cleoInvite?.id}/accept`),
      409,
      "invite_closed",
    );
    const annaFrom = annaWs.received.length;
    await sweepTeamwork(world.app.deps);
    expect(await annaWs.next(isNotice(sessionId), 5000, annaFrom)).toMatchObject({
      kind: "invite.expired",
      name: cleo.user.displayName,
    });
    expect(await cleoWs.next(isAlertClosed(cleoInvite?.id ?? ""))).toMatchObject({ reason: "timed-out" });
    await sweepTeamwork(world.app.deps);
    await barrier(annaWs);
    expect(annaWs.received.filter(isNotice(sessionId))).toHaveLength(2);

    expect(await customerEventsSince(customer, mark)).toEqual([]);
    const session = await api(world, anna, "GET", "/console");
    const mine = (session.body as { sessions: SessionView[] }).sessions.find((s) => s.id === sessionId);
    expect(mine?.members).toEqual([]);
    // Asked again, ben comes.
    await bringIn(anna, sessionId, ben, benWs);
    expect((await sessionLogOf(world, sessionId)).map((l) => l.kind)).toEqual([
      "invite.sent",
      "invite.sent",
      "invite.declined",
      "invite.expired",
      "invite.sent",
      "invite.accepted",
    ]);
  });

  it("at most 7 colleagues: an eighth is refused with 409, eight at once with 400; supervisors watching do not count", async () => {
    const names = ["owner", ...Array.from({ length: 9 }, (_, i) => `helper${i + 1}`)];
    const t = await team("inv-seven", names);
    const [owner, ...helpers] = t.agents as [Agent, ...Agent[]];
    const first = await customerOf(t.portal.slug, owner);
    const seven = helpers.slice(0, 7);
    const invited = await invite(owner, first.sessionId, seven);
    expect(invited).toHaveLength(7);
    const eighth = helpers[7] as Agent;
    const tooMany = expectError(
      await api(world, owner, "POST", `/sessions/${first.sessionId}/invitations`, {
        agentIds: [eighth.user.id],
      }),
      409,
      "too_many_participants",
    );
    expect(tooMany.params).toEqual({ limit: 7 });
    // Some of the seven joined: they still count.
    const joinedWs = t.ws[1] as AgentSocket;
    const alert = await teamAlert(joinedWs, first.sessionId, "invite");
    expectOk(await api(world, helpers[0] as Agent, "POST", `/invitations/${alert.id}/accept`));
    expectError(
      await api(world, owner, "POST", `/sessions/${first.sessionId}/invitations`, {
        agentIds: [eighth.user.id],
      }),
      409,
      "too_many_participants",
    );
    // A manager may watch a full session: monitors are not participants.
    const mia = await seedSupervisor(world, t.tenant, "mia");
    const miaWs = await onlineAgent(world, mia);
    sockets.push(miaWs);
    expectOk(await api(world, mia, "POST", `/sessions/${first.sessionId}/monitor`));
    // … but cannot join it as an eighth.
    expectError(
      await api(world, mia, "POST", `/sessions/${first.sessionId}/join`),
      409,
      "too_many_participants",
    );
    // One declines: now the eighth fits.
    const declinerWs = t.ws[2] as AgentSocket;
    const declined = await teamAlert(declinerWs, first.sessionId, "invite");
    expect(
      (await api(world, helpers[1] as Agent, "POST", `/invitations/${declined.id}/decline`)).status,
    ).toBe(204);
    expect(await invite(owner, first.sessionId, [eighth])).toHaveLength(1);

    // Eight in one call: the body is refused as such.
    const second = await customerOf(t.portal.slug, owner, "Second customer");
    const eight = helpers.slice(0, 8).map((a) => a.user.id);
    const bad = expectError(
      await api(world, owner, "POST", `/sessions/${second.sessionId}/invitations`, { agentIds: eight }),
      400,
      "validation",
    );
    expect(bad.fields?.agentIds?.code).toBe("too_many");
    const stored = await world.app.deps.db.kysely
      .selectFrom("session_members")
      .select("id")
      .where("session_id", "=", second.sessionId)
      .execute();
    expect(stored).toEqual([]);
  });

  it("concurrent invitations never put more than 7 colleagues in a session", async () => {
    const names = ["owner", ...Array.from({ length: 8 }, (_, i) => `racer${i + 1}`)];
    const t = await team("inv-race", names);
    const [owner, ...helpers] = t.agents as [Agent, ...Agent[]];
    const { sessionId } = await customerOf(t.portal.slug, owner);
    const url = `/sessions/${sessionId}/invitations`;
    const [a, b] = await Promise.all([
      api(world, owner, "POST", url, { agentIds: helpers.slice(0, 4).map((h) => h.user.id) }),
      api(world, owner, "POST", url, { agentIds: helpers.slice(4, 8).map((h) => h.user.id) }),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const refused = a.status === 409 ? a : b;
    expect((refused.body as { error: string }).error).toBe("too_many_participants");
    const live = await world.app.deps.db.kysely
      .selectFrom("session_members")
      .select("user_id")
      .where("session_id", "=", sessionId)
      .where("state", "in", ["invited", "joined"])
      .execute();
    expect(live).toHaveLength(4);
  });

  it("two supervisors joining a session with room for one at once: one gets in", async () => {
    const names = ["owner", ...Array.from({ length: 6 }, (_, i) => `helper${i + 1}`)];
    const t = await team("inv-race-join", names);
    const [owner, ...helpers] = t.agents as [Agent, ...Agent[]];
    const { sessionId } = await customerOf(t.portal.slug, owner);
    expect(await invite(owner, sessionId, helpers)).toHaveLength(6);
    const mia = await seedSupervisor(world, t.tenant, "mia");
    const max = await seedSupervisor(world, t.tenant, "max");
    const joins = await Promise.all([
      api(world, mia, "POST", `/sessions/${sessionId}/join`),
      api(world, max, "POST", `/sessions/${sessionId}/join`),
    ]);
    expect(joins.map((r) => r.status).sort()).toEqual([200, 409]);
    const live = await world.app.deps.db.kysely
      .selectFrom("session_members")
      .select("user_id")
      .where("session_id", "=", sessionId)
      .where("role", "=", "participant")
      .where("state", "in", ["invited", "joined"])
      .execute();
    expect(live).toHaveLength(7);
  });

  it("the same colleague invited twice at once is invited once; an invitation accepted twice at once is accepted once", async () => {
    const t = await team("inv-race-one", ["owner", "helper"]);
    const [owner, ...helpers] = t.agents as [Agent, ...Agent[]];
    const second = await customerOf(t.portal.slug, owner, "Second");
    const twice = await Promise.all([
      api(world, owner, "POST", `/sessions/${second.sessionId}/invitations`, {
        agentIds: [helpers[0]?.user.id],
      }),
      api(world, owner, "POST", `/sessions/${second.sessionId}/invitations`, {
        agentIds: [helpers[0]?.user.id],
      }),
    ]);
    expect(twice.map((r) => r.status).sort()).toEqual([201, 409]);
    // Accepted twice at once: once.
    const member = ((twice.find((r) => r.status === 201)?.body ?? []) as SessionMember[])[0];
    const accepts = await Promise.all([
      api(world, helpers[0] as Agent, "POST", `/invitations/${member?.id}/accept`),
      api(world, helpers[0] as Agent, "POST", `/invitations/${member?.id}/accept`),
    ]);
    expect(accepts.map((r) => r.status).sort()).toEqual([200, 409]);
    const joined = await world.app.deps.db.kysely
      .selectFrom("session_log")
      .select("kind")
      .where("session_id", "=", second.sessionId)
      .where("kind", "=", "invite.accepted")
      .execute();
    expect(joined).toHaveLength(1);
  });

  describe("bad input gets a clear answer, never a 500", () => {
    let anna: Agent;
    let ben: Agent;
    let cleo: Agent;
    let dora: Agent;
    let stranger: Agent;
    let benWs: AgentSocket;
    let live: Live;

    beforeAll(async () => {
      const t = await team("inv-bad", ["anna", "ben", "dora"]);
      [anna, ben, dora] = t.agents as [Agent, Agent, Agent];
      benWs = t.ws[1] as AgentSocket;
      cleo = await seedAgent(world, t.tenant, "cleo"); // never opens the console
      const other = await seedTenant(world, "inv-bad-other");
      stranger = await seedAgent(world, other, "stranger");
      sockets.push(await onlineAgent(world, stranger));
      live = await customerOf(t.portal.slug, anna);
    });

    const url = () => `/sessions/${live.sessionId}/invitations`;

    it("who: oneself 400, another account's or an unknown agent 404, someone unavailable or already in 409", async () => {
      expectError(await api(world, anna, "POST", url(), { agentIds: [anna.user.id] }), 400, "invite_self");
      expectError(await api(world, anna, "POST", url(), { agentIds: [stranger.user.id] }), 404, "not_found");
      expectError(await api(world, anna, "POST", url(), { agentIds: ["no-such-user"] }), 404, "not_found");
      const away = expectError(
        await api(world, anna, "POST", url(), { agentIds: [cleo.user.id] }),
        409,
        "unavailable",
      );
      expect(away.params).toEqual({ name: cleo.user.displayName });
      // One bad id refuses the whole call: nobody was invited.
      expectError(
        await api(world, anna, "POST", url(), { agentIds: [ben.user.id, stranger.user.id] }),
        404,
        "not_found",
      );
      expect(
        await world.app.deps.db.kysely
          .selectFrom("session_members")
          .select("id")
          .where("session_id", "=", live.sessionId)
          .execute(),
      ).toEqual([]);
      // The same colleague twice is one invitation.
      const once = await invite(anna, live.sessionId, [ben, ben]);
      expect(once).toHaveLength(1);
      const again = expectError(
        await api(world, anna, "POST", url(), { agentIds: [ben.user.id] }),
        409,
        "already_member",
      );
      expect(again.params).toEqual({ name: ben.user.displayName });
      await teamAlert(benWs, live.sessionId, "invite");
    });

    it("bodies: empty list, unknown fields, wrong types 400", async () => {
      expectError(await api(world, anna, "POST", url(), { agentIds: [] }), 400, "validation");
      expectError(await api(world, anna, "POST", url(), {}), 400, "validation");
      expectError(
        await api(world, anna, "POST", url(), { agentIds: [dora.user.id], note: "hi" }),
        400,
        "validation",
      );
      expectError(await api(world, anna, "POST", url(), { agentIds: dora.user.id }), 400, "validation");
      expectError(await api(world, anna, "POST", url(), { agentIds: [7] }), 400, "validation");
      expectError(await api(world, anna, "POST", url(), { agentIds: [""] }), 400, "validation");
      expectError(await api(world, anna, "POST", url(), { agentIds: ["x".repeat(65)] }), 400, "validation");
    });

    it("invitations: unknown 404, someone else's 404, answered twice 409; an ended session's 409", async () => {
      expectError(await api(world, ben, "POST", "/invitations/no-such-invitation/accept"), 404, "not_found");
      expectError(await api(world, ben, "POST", "/invitations/no-such-invitation/decline"), 404, "not_found");
      const alert = await teamAlert(benWs, live.sessionId, "invite");
      expectError(await api(world, dora, "POST", `/invitations/${alert.id}/accept`), 404, "not_found");
      expectError(await api(world, anna, "POST", `/invitations/${alert.id}/accept`), 404, "not_found");
      expectError(await api(world, stranger, "POST", `/invitations/${alert.id}/accept`), 404, "not_found");
      expectError(await api(world, stranger, "POST", `/invitations/${alert.id}/decline`), 404, "not_found");
      expectOk(await api(world, ben, "POST", `/invitations/${alert.id}/accept`));
      expectError(await api(world, ben, "POST", `/invitations/${alert.id}/accept`), 409, "invite_closed");
      expectError(await api(world, ben, "POST", `/invitations/${alert.id}/decline`), 409, "invite_closed");
      expectError(
        await api(world, anna, "DELETE", `/sessions/${live.sessionId}/members/no-such-user`),
        404,
        "not_found",
      );
      expectError(
        await api(world, anna, "POST", "/sessions/no-such-session/invitations", { agentIds: [dora.user.id] }),
        404,
        "not_found",
      );
      expectError(await api(world, anna, "POST", "/sessions/no-such-session/leave"), 404, "not_found");
      expectError(
        await api(world, anna, "DELETE", `/sessions/no-such-session/members/${ben.user.id}`),
        404,
        "not_found",
      );
      expectError(
        await api(world, anna, "POST", "/sessions/no-such-session/owner", { userId: ben.user.id }),
        404,
        "not_found",
      );

      // An invitation open when its session ends is closed with it.
      const doraWs = await onlineAgent(world, dora);
      sockets.push(doraWs);
      const [pending] = await invite(anna, live.sessionId, [dora]);
      await teamAlert(doraWs, live.sessionId, "invite");
      expect((await api(world, anna, "POST", `/sessions/${live.sessionId}/end`)).status).toBe(204);
      expect(await doraWs.next(isAlertClosed(pending?.id ?? ""))).toMatchObject({ reason: "canceled" });
      expectError(await api(world, dora, "POST", `/invitations/${pending?.id}/accept`), 409, "invite_closed");
      expectError(await api(world, anna, "POST", url(), { agentIds: [dora.user.id] }), 409, "session_ended");
      expectError(
        await api(world, anna, "POST", `/sessions/${live.sessionId}/owner`, { userId: ben.user.id }),
        409,
        "session_ended",
      );
      expect(customerMessages(live.customer).filter((m) => m.visibility === "agents")).toEqual([]);
    });
  });
});
