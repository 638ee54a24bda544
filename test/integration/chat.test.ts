import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiError } from "../../src/shared/api.js";
import type { AgentServerMessage, ChatMessage, CustomerServerMessage } from "../../src/shared/protocol.js";
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
  eventsOf,
  isStatus,
  onlineAgent,
  patchUser,
  seedAgent,
  seedTenant,
  startWorld,
  type World,
} from "../support/scenario.js";

const customerMessages = (ws: CustomerSocket, from = 0): ChatMessage[] =>
  eventsOf(ws, from).flatMap((m: CustomerServerMessage) => (m.type === "message" ? [m.message] : []));
const agentMessages = (ws: AgentSocket, sessionId: string, from = 0): ChatMessage[] =>
  eventsOf(ws, from).flatMap((m: AgentServerMessage) =>
    m.type === "message" && m.sessionId === sessionId ? [m.message] : [],
  );

describe.each(dialects())("web chat on %s", (dialect) => {
  let world: World;
  let agent: Agent;
  let agentWs: AgentSocket;
  let portalSlug: string;
  const sockets: (AgentSocket | CustomerSocket)[] = [];
  beforeAll(async () => {
    world = await startWorld(dialect);
    const tenant = await seedTenant(world, "chat");
    agent = await seedAgent(world, tenant, "chloe");
    await patchUser(world, tenant, agent, { maxSessions: 20 });
    portalSlug = (await createPortal(world, tenant, "question", [agent])).slug;
    agentWs = await onlineAgent(world, agent);
    sockets.push(agentWs);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world.close();
  });

  /** A customer and the agent in a session, both sockets open. */
  async function session(name = "Nora") {
    const s = await ask(world, portalSlug, { name, question: "Chat please" });
    const cws = await connectCustomer(world, s.requestId, s.cookie);
    sockets.push(cws);
    expect((await accept(world, agent, s.requestId)).status).toBe(200);
    await cws.next(isStatus("accepted"));
    return { ...s, cws };
  }
  async function customerSays(cws: CustomerSocket, body: string, ref: string) {
    cws.send({ type: "send", body, ref });
    return cws.next((m) => (m.type === "ack" || m.type === "error") && m.ref === ref);
  }
  async function agentSays(sessionId: string, body: string, ref: string) {
    agentWs.send({ type: "send", sessionId, body, ref });
    return agentWs.next((m) => (m.type === "ack" || m.type === "error") && m.ref === ref);
  }

  it("numbers messages 1, 2, 3 … in order, and both sides get each one once, in order", async () => {
    const s = await session();
    const agentFrom = agentWs.received.length;
    const said: [string, string][] = [];
    for (let i = 1; i <= 6; i++) {
      const body = `message ${i}`;
      const ack =
        i % 2 === 1 ? await customerSays(s.cws, body, `r${i}`) : await agentSays(s.requestId, body, `r${i}`);
      expect(ack).toEqual({ type: "ack", ref: `r${i}`, seq: i });
      said.push([i % 2 === 1 ? "customer" : "agent", body]);
    }
    await barrier(s.cws);
    await barrier(agentWs);
    const expected = said.map(([sender, body], i) => ({ seq: i + 1, sender, body }));
    const pick = (m: ChatMessage) => ({ seq: m.seq, sender: m.sender, body: m.body });
    expect(customerMessages(s.cws).map(pick)).toEqual(expected);
    expect(agentMessages(agentWs, s.requestId, agentFrom).map(pick)).toEqual(expected);
    const names = customerMessages(s.cws).map((m) => m.authorName);
    expect(names).toEqual(["Nora", "chloe", "Nora", "chloe", "Nora", "chloe"]);

    const stored = await world.app.deps.db.kysely
      .selectFrom("messages")
      .select(["seq", "sender", "body"])
      .where("session_id", "=", s.requestId)
      .orderBy("seq")
      .execute();
    expect(stored).toEqual(expected);
  });

  it("`history` since N returns exactly the messages after N, on every way in", async () => {
    const s = await session("Omar");
    for (let i = 1; i <= 5; i++) await customerSays(s.cws, `m${i}`, `h${i}`);
    const bodies = (list: ChatMessage[]) => list.map((m) => `${m.seq}:${m.body}`);

    // The customer's socket.
    const from = await barrier(s.cws);
    s.cws.send({ type: "history", since: 3 });
    await s.cws.next((m) => m.type === "message" && m.message.seq === 5, 5000, from);
    expect(bodies(customerMessages(s.cws, from))).toEqual(["4:m4", "5:m5"]);

    // The agent's socket.
    const aFrom = await barrier(agentWs);
    agentWs.send({ type: "history", sessionId: s.requestId, since: 1 });
    await agentWs.next(
      (m) => m.type === "message" && m.sessionId === s.requestId && m.message.seq === 5,
      5000,
      aFrom,
    );
    expect(bodies(agentMessages(agentWs, s.requestId, aFrom))).toEqual(["2:m2", "3:m3", "4:m4", "5:m5"]);

    // REST, both sides.
    const cRest = await call(
      world.app,
      s.cookie,
      "GET",
      `/api/v1/customer/requests/${s.requestId}/messages?since=2`,
    );
    expect(cRest.status).toBe(200);
    expect(bodies(cRest.body as ChatMessage[])).toEqual(["3:m3", "4:m4", "5:m5"]);
    const aRest = await call(
      world.app,
      agent.cookie,
      "GET",
      `/api/v1/sessions/${s.requestId}/messages?since=5`,
    );
    expect(aRest.body).toEqual([]);
    const all = await call(world.app, agent.cookie, "GET", `/api/v1/sessions/${s.requestId}/messages`);
    expect(bodies(all.body as ChatMessage[])).toEqual(["1:m1", "2:m2", "3:m3", "4:m4", "5:m5"]);
    for (const since of ["-1", "abc", "1.5"]) {
      const bad = await call(
        world.app,
        agent.cookie,
        "GET",
        `/api/v1/sessions/${s.requestId}/messages?since=${since}`,
      );
      expect(bad.status, since).toBe(400);
      expect((bad.body as ApiError).fields?.since?.code, since).toBe("invalid");
    }

    // A reconnecting page says what it has; it gets the rest, nothing doubled.
    await s.cws.close();
    const again = await connectCustomerSince(s.requestId, s.cookie, 4);
    await barrier(again);
    expect(bodies(customerMessages(again))).toEqual(["5:m5"]);
  });

  async function connectCustomerSince(requestId: string, cookie: string, since: number) {
    const { SocketClient } = await import("../support/ws.js");
    const ws = await SocketClient.connect<CustomerServerMessage>(
      `${world.wsUrl}?request=${requestId}&since=${since}`,
      {
        cookie,
        origin: world.origin,
      },
    );
    sockets.push(ws);
    await ws.next((m) => m.type === "status");
    return ws;
  }

  it("gives concurrent senders distinct sequence numbers without gaps", async () => {
    const s = await session("Pia");
    const N = 15;
    const acks = await Promise.all([
      ...Array.from({ length: N }, (_, i) => customerSays(s.cws, `c${i}`, `cc${i}`)),
      ...Array.from({ length: N }, (_, i) => agentSays(s.requestId, `a${i}`, `aa${i}`)),
      ...Array.from({ length: N }, (_, i) =>
        call(world.app, agent.cookie, "POST", `/api/v1/sessions/${s.requestId}/messages`, {
          body: `r${i}`,
        }).then((r) => ({ type: "ack" as const, ref: `rr${i}`, seq: (r.body as ChatMessage).seq })),
      ),
    ]);
    const seqs = acks.map((a) => (a.type === "ack" ? a.seq : -1)).sort((x, y) => (x ?? 0) - (y ?? 0));
    expect(seqs).toEqual(Array.from({ length: 3 * N }, (_, i) => i + 1));
    const history = await call(
      world.app,
      s.cookie,
      "GET",
      `/api/v1/customer/requests/${s.requestId}/messages`,
    );
    expect((history.body as ChatMessage[]).map((m) => m.seq)).toEqual(seqs);
    // The customer's socket got every one of them exactly once.
    await barrier(s.cws);
    const got = customerMessages(s.cws)
      .map((m) => m.seq)
      .sort((x, y) => x - y);
    expect(got).toEqual(seqs);
  });

  it("refuses a message over 5,000 characters and an empty one, with the limit in words", async () => {
    const s = await session("Quinn");
    const tooLong = "x".repeat(5001);
    expect(await customerSays(s.cws, tooLong, "long")).toEqual({
      type: "error",
      code: "too_long",
      message: "A message can have at most 5000 characters; this one has 5001.",
      ref: "long",
    });
    expect(await agentSays(s.requestId, tooLong, "along")).toEqual({
      type: "error",
      code: "too_long",
      message: "A message can have at most 5000 characters; this one has 5001.",
      ref: "along",
    });
    for (const empty of ["", "   ", "\n\t"]) {
      expect(await customerSays(s.cws, empty, "empty")).toEqual({
        type: "error",
        code: "required",
        message: "Type a message first.",
        ref: "empty",
      });
    }
    const rest = await call(
      world.app,
      s.cookie,
      "POST",
      `/api/v1/customer/requests/${s.requestId}/messages`,
      {
        body: tooLong,
      },
    );
    expect(rest.status).toBe(400);
    expect((rest.body as ApiError).fields?.body).toEqual({
      code: "too_long",
      message: "must be at most 5000 characters",
      params: { limit: 5000 },
    });
    const restEmpty = await call(
      world.app,
      agent.cookie,
      "POST",
      `/api/v1/sessions/${s.requestId}/messages`,
      {
        body: " ",
      },
    );
    expect(restEmpty.status).toBe(400);
    expect((restEmpty.body as ApiError).fields?.body?.code).toBe("required");

    // Exactly 5,000 is fine, and nothing refused was stored.
    expect(await customerSays(s.cws, "y".repeat(5000), "max")).toEqual({ type: "ack", ref: "max", seq: 1 });
    const stored = await call(
      world.app,
      s.cookie,
      "GET",
      `/api/v1/customer/requests/${s.requestId}/messages`,
    );
    expect((stored.body as ChatMessage[]).map((m) => m.body.length)).toEqual([5000]);
  });

  it("keeps text as typed (no HTML) and refuses to chat in an ended session", async () => {
    const s = await session("Rosa");
    const html = '<img src=x onerror="alert(1)"> & <b>bold</b>';
    expect(await customerSays(s.cws, html, "h")).toEqual({ type: "ack", ref: "h", seq: 1 });
    const got = await agentWs.next((m) => m.type === "message" && m.sessionId === s.requestId);
    expect(got.type === "message" && got.message.body).toBe(html);

    const end = await call(world.app, s.cookie, "POST", `/api/v1/customer/requests/${s.requestId}/end`);
    expect(end.status).toBe(204);
    const ended = await s.cws.next((m) => m.type === "session.ended");
    expect(ended.type === "session.ended" && ended.endedBy).toBe("customer");
    await agentWs.next((m) => m.type === "session.ended" && m.sessionId === s.requestId);
    expect(await customerSays(s.cws, "hello?", "late")).toEqual({
      type: "error",
      code: "session_ended",
      message: "This session has ended.",
      ref: "late",
    });
    expect(await agentSays(s.requestId, "bye", "alate")).toMatchObject({
      type: "error",
      code: "session_ended",
    });
    // Ending twice is harmless.
    expect((await call(world.app, agent.cookie, "POST", `/api/v1/sessions/${s.requestId}/end`)).status).toBe(
      204,
    );
  });
});
