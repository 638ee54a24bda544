import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepRequests } from "../../src/server/sweeper.js";
import type { ApiError } from "../../src/shared/api.js";
import type { CustomerStatus, RequestView } from "../../src/shared/protocol.js";
import { call } from "../support/app.js";
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
  decline,
  eventsOf,
  eventually,
  isStatus,
  isUpdateOf,
  onlineAgent,
  patchUser,
  requestOf,
  requestRow,
  seedAgent,
  seedTenant,
  startWorld,
  statusOf,
  type Tenant,
  transitionsOf,
  type World,
} from "../support/scenario.js";

describe.each(dialects())("request lifecycle on %s", (dialect) => {
  let world: World;
  const sockets: (AgentSocket | CustomerSocket)[] = [];
  beforeAll(async () => {
    world = await startWorld(dialect);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world.close();
  });
  const keep = <T extends AgentSocket | CustomerSocket>(s: T): T => {
    sockets.push(s);
    return s;
  };
  const customer = async (requestId: string, cookie: string) =>
    keep(await connectCustomer(world, requestId, cookie));
  const online = async (agent: Agent) => keep(await onlineAgent(world, agent));

  interface Desk {
    tenant: Tenant;
    anna: Agent;
    ben: Agent;
    annaWs: AgentSocket;
    benWs: AgentSocket;
    pick: string;
    question: string;
    questionId: string;
  }
  const desk = async (prefix: string): Promise<Desk> => {
    const tenant = await seedTenant(world, prefix);
    const anna = await seedAgent(world, tenant, "anna");
    const ben = await seedAgent(world, tenant, "ben");
    const pick = await createPortal(world, tenant, "pick-agent", [anna, ben]);
    const question = await createPortal(world, tenant, "question", [anna, ben]);
    return {
      tenant,
      anna,
      ben,
      annaWs: await online(anna),
      benWs: await online(ben),
      pick: pick.slug,
      question: question.slug,
      questionId: question.id,
    };
  };

  it("a targeted decline ends the request as declined and tells the customer the agent is unavailable", async () => {
    const d = await desk("decline");
    const s = await ask(world, d.pick, { name: "Hana" }, d.anna.user.id);
    const cws = await customer(s.requestId, s.cookie);
    expect(statusOf(cws.received[0] ?? { type: "error", code: "", message: "" }).state).toBe("waiting");

    // Only the chosen agent may decline or accept it.
    const byBen = await decline(world, d.ben, s.requestId);
    expect(byBen.status).toBe(403);
    expect(byBen.body).toEqual({
      error: "not_target",
      message: "The customer chose another agent for this request.",
    });
    expect((await accept(world, d.ben, s.requestId)).status).toBe(403);

    const before = world.clock.now();
    const res = await decline(world, d.anna, s.requestId);
    expect(res.status).toBe(200);
    expect((res.body as RequestView).state).toBe("declined");
    const status = statusOf(await cws.next(isStatus("declined")));
    expect(status.reason).toBe("agent_unavailable");
    expect(status.agentName).toBeNull();
    expect(requestOf(await d.annaWs.next(isUpdateOf(s.requestId, "declined"))).state).toBe("declined");

    const events = await transitionsOf(world, s.requestId);
    expect(events.map((e) => e.state)).toEqual(["waiting", "declined"]);
    expect(Number(events[1]?.at)).toBeGreaterThanOrEqual(before);
    expect(Number(events[1]?.at)).toBeLessThanOrEqual(world.clock.now());

    const again = await decline(world, d.anna, s.requestId);
    expect(again.status).toBe(409);
    expect(again.body).toEqual({
      error: "not_waiting",
      message: "This request was declined.",
      params: { state: "declined" },
    });
    const late = await accept(world, d.anna, s.requestId);
    expect(late.status).toBe(409);
    expect((late.body as ApiError).message).toBe("This request was declined.");
  });

  it("a broadcast decline only closes that agent's alert; the request keeps waiting for the others", async () => {
    const d = await desk("bdecline");
    const s = await ask(world, d.question);
    const res = await decline(world, d.anna, s.requestId);
    expect(res.status).toBe(200);
    expect((res.body as RequestView).state).toBe("waiting");
    expect((await requestRow(world, s.requestId)).state).toBe("waiting");
    expect((await transitionsOf(world, s.requestId)).map((e) => e.state)).toEqual(["waiting"]);
    expect((await accept(world, d.ben, s.requestId)).status).toBe(200);
  });

  it("a targeted alert unanswered for 30 s ends as no-response: the agent is unavailable", async () => {
    const d = await desk("t30");
    const s = await ask(world, d.pick, { name: "Ivo" }, d.anna.user.id);
    const cws = await customer(s.requestId, s.cookie);
    const row = await requestRow(world, s.requestId);
    expect(Number(row.deadline_at) - Number(row.created_at)).toBe(30_000);

    world.clock.advance(29_000);
    await sweepRequests(world.app.deps);
    expect((await requestRow(world, s.requestId)).state).toBe("waiting");

    world.clock.advance(1_000);
    const before = world.clock.now();
    await sweepRequests(world.app.deps);
    expect((await requestRow(world, s.requestId)).state).toBe("no-response");
    const status = statusOf(await cws.next(isStatus("no-response")));
    expect(status.reason).toBe("agent_unavailable");
    await d.annaWs.next(isUpdateOf(s.requestId, "no-response"));
    const events = await transitionsOf(world, s.requestId);
    expect(events.map((e) => e.state)).toEqual(["waiting", "no-response"]);
    expect(Number(events[1]?.at)).toBeGreaterThanOrEqual(before);

    // Sweeping again changes nothing and tells nobody anything new.
    const mark = await barrier(cws);
    await sweepRequests(world.app.deps);
    await barrier(cws);
    expect(eventsOf(cws, mark)).toEqual([]);
    expect((await transitionsOf(world, s.requestId)).length).toBe(2);
  });

  it("a broadcast unanswered for 10 minutes ends as no-response", async () => {
    const d = await desk("b10");
    const s = await ask(world, d.question);
    const cws = await customer(s.requestId, s.cookie);
    world.clock.advance(10 * 60_000 - 1_000);
    await sweepRequests(world.app.deps);
    expect((await requestRow(world, s.requestId)).state).toBe("waiting");
    world.clock.advance(1_000);
    await sweepRequests(world.app.deps);
    const status = statusOf(await cws.next(isStatus("no-response")));
    expect(status.reason).toBe("no_response");
    for (const ws of [d.annaWs, d.benWs]) await ws.next(isUpdateOf(s.requestId, "no-response"));
    expect((await transitionsOf(world, s.requestId)).map((e) => e.state)).toEqual(["waiting", "no-response"]);
    const late = await accept(world, d.anna, s.requestId);
    expect(late.status).toBe(409);
    expect(late.body).toEqual({
      error: "not_waiting",
      message: "This request timed out.",
      params: { state: "no-response" },
    });
  });

  it("the customer cancels over REST: canceled, and the agents are told", async () => {
    const d = await desk("cancel-rest");
    const s = await ask(world, d.question);
    const res = await call(world.app, s.cookie, "POST", `/api/v1/customer/requests/${s.requestId}/cancel`);
    expect(res.status).toBe(200);
    const status = res.body as CustomerStatus;
    expect(status.state).toBe("canceled");
    expect(status.reason).toBe("canceled");
    for (const ws of [d.annaWs, d.benWs]) await ws.next(isUpdateOf(s.requestId, "canceled"));
    // Canceling twice is harmless and stores nothing more.
    const again = await call(world.app, s.cookie, "POST", `/api/v1/customer/requests/${s.requestId}/cancel`);
    expect(again.status).toBe(200);
    expect((again.body as CustomerStatus).state).toBe("canceled");
    expect((await transitionsOf(world, s.requestId)).map((e) => e.state)).toEqual(["waiting", "canceled"]);
    const late = await accept(world, d.anna, s.requestId);
    expect(late.status).toBe(409);
    expect(late.body).toEqual({
      error: "not_waiting",
      message: "The customer canceled this request.",
      params: { state: "canceled" },
    });
    // Without the request's cookie nobody can cancel it.
    const s2 = await ask(world, d.question);
    const stranger = await call(world.app, null, "POST", `/api/v1/customer/requests/${s2.requestId}/cancel`);
    expect(stranger.status).toBe(404);
    expect(stranger.body).toEqual({ error: "not_found", message: "Request not found." });
    expect((await requestRow(world, s2.requestId)).state).toBe("waiting");
  });

  it("the customer cancels over the socket: canceled, and the agents are told", async () => {
    const d = await desk("cancel-ws");
    const s = await ask(world, d.question);
    const cws = await customer(s.requestId, s.cookie);
    cws.send({ type: "cancel" });
    expect(statusOf(await cws.next(isStatus("canceled"))).reason).toBe("canceled");
    for (const ws of [d.annaWs, d.benWs]) await ws.next(isUpdateOf(s.requestId, "canceled"));
    expect((await transitionsOf(world, s.requestId)).map((e) => e.state)).toEqual(["waiting", "canceled"]);
  });

  it("a closed waiting page cancels the request after the 60 s grace period", async () => {
    const d = await desk("gone");
    const s = await ask(world, d.question);
    const cws = await customer(s.requestId, s.cookie);
    await cws.close();
    await eventually(async () => (await requestRow(world, s.requestId)).customer_gone_at !== null);

    world.clock.advance(59_000);
    await sweepRequests(world.app.deps);
    expect((await requestRow(world, s.requestId)).state).toBe("waiting");
    world.clock.advance(1_000);
    await sweepRequests(world.app.deps);
    expect((await requestRow(world, s.requestId)).state).toBe("canceled");
    for (const ws of [d.annaWs, d.benWs]) await ws.next(isUpdateOf(s.requestId, "canceled"));
    expect((await transitionsOf(world, s.requestId)).map((e) => e.state)).toEqual(["waiting", "canceled"]);
    // Coming back afterwards shows the page what happened.
    const back = await customer(s.requestId, s.cookie);
    expect(statusOf(back.received[0] ?? { type: "error", code: "", message: "" }).state).toBe("canceled");
  });

  it("a reconnect within the grace period (a reload) keeps the request waiting", async () => {
    const d = await desk("reload");
    const s = await ask(world, d.question);
    const first = await customer(s.requestId, s.cookie);
    await first.close();
    await eventually(async () => (await requestRow(world, s.requestId)).customer_gone_at !== null);
    world.clock.advance(30_000);
    const second = await customer(s.requestId, s.cookie);
    expect((await requestRow(world, s.requestId)).customer_gone_at).toBeNull();
    world.clock.advance(120_000);
    await sweepRequests(world.app.deps);
    expect((await requestRow(world, s.requestId)).state).toBe("waiting");

    // Two tabs: closing one of them is not leaving.
    const third = await customer(s.requestId, s.cookie);
    await second.close();
    await barrier(third);
    await new Promise((r) => setTimeout(r, 50));
    expect((await requestRow(world, s.requestId)).customer_gone_at).toBeNull();
    world.clock.advance(120_000);
    await sweepRequests(world.app.deps);
    expect((await requestRow(world, s.requestId)).state).toBe("waiting");
    expect((await accept(world, d.anna, s.requestId)).status).toBe(200);
    expect(statusOf(await third.next(isStatus("accepted"))).agentName).toBe("anna");
  });

  it("session numbers (the Session ID people see) are 9 digits and unique; the transitions are stored with their times", async () => {
    const d = await desk("ids");
    const made = [];
    for (let i = 0; i < 40; i++) made.push(await ask(world, d.question, { name: `C${i}`, question: "Q" }));
    const ids = made.map((m) => m.sessionNumber);
    for (const id of ids) expect(id).toMatch(/^\d{9}$/);
    expect(new Set(ids).size).toBe(ids.length);
    const rows = await world.app.deps.db.kysely
      .selectFrom("requests")
      .select(["id", "session_number", "created_at"])
      .where("portal_id", "=", d.questionId)
      .execute();
    expect(new Map(rows.map((r) => [r.id, r.session_number]))).toEqual(
      new Map(made.map((m) => [m.requestId, m.sessionNumber])),
    );

    const first = made[0];
    if (!first) throw new Error("nothing made");
    const t0 = world.clock.now();
    expect((await accept(world, d.anna, first.requestId)).status).toBe(200);
    const t1 = world.clock.now();
    const events = await transitionsOf(world, first.requestId);
    expect(events.map((e) => [e.state, e.agent_id])).toEqual([
      ["waiting", null],
      ["accepted", d.anna.user.id],
    ]);
    const row = rows.find((r) => r.id === first.requestId);
    expect(Number(events[0]?.at)).toBe(Number(row?.created_at));
    expect(Number(events[1]?.at)).toBeGreaterThanOrEqual(t0);
    expect(Number(events[1]?.at)).toBeLessThanOrEqual(t1);
  });

  it("an agent cannot accept a request of a portal they are not assigned to (403), of another account (404), or beyond their limit (409)", async () => {
    const d = await desk("perm");
    const outsider = await seedAgent(world, d.tenant, "outsider");
    await createPortal(world, d.tenant, "question", [outsider]);
    keep(await onlineAgent(world, outsider));
    const other = await seedTenant(world, "perm-other");
    const foreign = await seedAgent(world, other, "foreign");
    await createPortal(world, other, "question", [foreign]);

    const s = await ask(world, d.question);
    const notAssigned = await accept(world, outsider, s.requestId);
    expect(notAssigned.status).toBe(403);
    expect(notAssigned.body).toEqual({
      error: "not_assigned",
      message: "You are not assigned to this request's portal.",
    });
    const otherAccount = await accept(world, foreign, s.requestId);
    expect(otherAccount.status).toBe(404);
    expect(otherAccount.body).toEqual({ error: "not_found", message: "Request not found." });
    const unknown = await accept(world, d.anna, "00000000-0000-4000-8000-000000000000");
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(otherAccount.body);
    expect((await decline(world, foreign, s.requestId)).status).toBe(404);
    expect((await requestRow(world, s.requestId)).state).toBe("waiting");

    await patchUser(world, d.tenant, d.anna, { maxSessions: 2 });
    const s2 = await ask(world, d.question);
    const s3 = await ask(world, d.question);
    expect((await accept(world, d.anna, s.requestId)).status).toBe(200);
    expect((await accept(world, d.anna, s2.requestId)).status).toBe(200);
    const full = await accept(world, d.anna, s3.requestId);
    expect(full.status).toBe(409);
    expect(full.body).toEqual({
      error: "at_limit",
      message: "You are at your limit of 2 sessions; end one first.",
      params: { limit: 2 },
    });
    expect((await requestRow(world, s3.requestId)).state).toBe("waiting");
    // Ending a session frees a place.
    const end = await call(world.app, d.anna.cookie, "POST", `/api/v1/sessions/${s.requestId}/end`);
    expect(end.status).toBe(204);
    expect((await accept(world, d.anna, s3.requestId)).status).toBe(200);
  });

  it("holds the session limit when one agent accepts several requests at once", async () => {
    const d = await desk("limit-race");
    await patchUser(world, d.tenant, d.anna, { maxSessions: 1 });
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await ask(world, d.question, { name: `L${i}`, question: "q" }));
    const answers = await Promise.all(made.map((m) => accept(world, d.anna, m.requestId)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409]);
    for (const a of answers.filter((x) => x.status === 409)) {
      expect(a.body).toEqual({
        error: "at_limit",
        message: "You are at your limit of 1 session; end one first.",
        params: { limit: 1 },
      });
    }
    const open = await world.app.deps.db.kysely
      .selectFrom("sessions")
      .select("id")
      .where("agent_id", "=", d.anna.user.id)
      .where("ended_at", "is", null)
      .execute();
    expect(open).toHaveLength(1);
    const waiting = await world.app.deps.db.kysely
      .selectFrom("requests")
      .select("id")
      .where(
        "id",
        "in",
        made.map((m) => m.requestId),
      )
      .where("state", "=", "waiting")
      .execute();
    expect(waiting).toHaveLength(4);
  });
});
