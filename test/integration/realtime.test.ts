import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentServerMessage, CustomerServerMessage } from "../../src/shared/protocol.js";
import { call } from "../support/app.js";
import { dialects } from "../support/databases.js";
import {
  type Agent,
  type AgentSocket,
  accept,
  ask,
  type CustomerSocket,
  closedWith,
  connectCustomer,
  createPortal,
  isStatus,
  onlineAgent,
  patchUser,
  seedAgent,
  seedTenant,
  startWorld,
  statusOf,
  type World,
} from "../support/scenario.js";
import { SocketClient } from "../support/ws.js";

/** Stands for "Unknown message type; expected one of: …" (the list grows with the protocol). */
const UNKNOWN_TYPE = "Unknown message type; expected one of: ";

function expectBadMessage(err: { type: string }, raw: string, message: string): void {
  expect(err.type, raw).toBe("error");
  const { code, message: got } = err as { code?: string; message?: string };
  expect(code, raw).toBe("bad_message");
  if (message === UNKNOWN_TYPE) {
    expect(got, raw).toMatch(/^Unknown message type; expected one of: [a-z.]+(, [a-z.]+)*\.$/);
    expect(got, raw).toContain("send");
  } else {
    expect(got, raw).toBe(message);
  }
}

describe.each(dialects())("realtime sockets on %s", (dialect) => {
  let world: World;
  const sockets: { close(): Promise<void> }[] = [];
  let agent: Agent;
  let agentWs: AgentSocket;
  let portalSlug: string;
  beforeAll(async () => {
    world = await startWorld(dialect);
    const tenant = await seedTenant(world, "rt");
    agent = await seedAgent(world, tenant, "rita");
    await patchUser(world, tenant, agent, { maxSessions: 20 });
    portalSlug = (await createPortal(world, tenant, "question", [agent])).slug;
    agentWs = await onlineAgent(world, agent);
    sockets.push(agentWs);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world.close();
  });

  /** Opens a socket with the given headers; the server may accept the upgrade and then refuse. */
  async function open(query: string, headers: Record<string, string>) {
    const ws = await SocketClient.connect<AgentServerMessage>(`${world.wsUrl}${query}`, headers);
    sockets.push(ws);
    return ws;
  }
  async function expectRefused(ws: SocketClient<AgentServerMessage>, code: number, message: string) {
    expect(await closedWith(ws)).toEqual({ code, reason: message });
    expect(ws.received).toEqual([{ type: "error", code: "refused", message }]);
  }

  it("closes an agent socket without a valid sign-in with 4401", async () => {
    await expectRefused(await open("", { origin: world.origin }), 4401, "Please sign in to the console.");
    await expectRefused(
      await open("", { origin: world.origin, cookie: "hg_session=not-a-real-session" }),
      4401,
      "Please sign in to the console.",
    );
  });

  it("closes a customer socket with a wrong token, another request's token, or none with 4404", async () => {
    const mine = await ask(world, portalSlug);
    const theirs = await ask(world, portalSlug);
    const myToken = mine.cookie.split("=")[1] ?? "";
    const attempts: [string, Record<string, string>][] = [
      [`?request=${theirs.requestId}`, { origin: world.origin }],
      [
        `?request=${theirs.requestId}`,
        { origin: world.origin, cookie: `hgc_${theirs.requestId}=wrong-token` },
      ],
      // My own valid cookie does not open someone else's request …
      [`?request=${theirs.requestId}`, { origin: world.origin, cookie: mine.cookie }],
      // … not even when presented under their request's name.
      [
        `?request=${theirs.requestId}`,
        { origin: world.origin, cookie: `hgc_${theirs.requestId}=${myToken}` },
      ],
      ["?request=00000000-0000-4000-8000-000000000000", { origin: world.origin, cookie: mine.cookie }],
      ["?request=../../etc", { origin: world.origin }],
    ];
    for (const [query, headers] of attempts) {
      await expectRefused(await open(query, headers), 4404, "Request not found.");
    }
    // The right one opens.
    const ok = await connectCustomer(world, mine.requestId, mine.cookie);
    sockets.push(ok);
    expect(ok.closed).toBeNull();
  });

  it("closes a socket opened from a foreign origin with 4403", async () => {
    const s = await ask(world, portalSlug);
    const message = "This socket must be opened from Helpgate's own pages.";
    await expectRefused(
      await open("", { origin: "https://evil.example", cookie: agent.cookie }),
      4403,
      message,
    );
    await expectRefused(await open("", { cookie: agent.cookie }), 4403, message);
    await expectRefused(
      await open(`?request=${s.requestId}`, { origin: "http://127.0.0.1:1", cookie: s.cookie }),
      4403,
      message,
    );
  });

  it("answers messages it cannot use with an error and keeps the agent socket working", async () => {
    const bad: [string, string][] = [
      ["not json", "Messages must be JSON."],
      ["[1,2]", "Messages must be JSON objects with a type."],
      ["null", "Messages must be JSON objects with a type."],
      ['"send"', "Messages must be JSON objects with a type."],
      ['{"type":"hack"}', UNKNOWN_TYPE],
      ['{"kind":"send"}', UNKNOWN_TYPE],
      ['{"type":"send","body":"x"}', "send needs sessionId, body and ref (strings)."],
      ['{"type":"send","sessionId":1,"body":"x","ref":"r"}', "send needs sessionId, body and ref (strings)."],
      ['{"type":"history","sessionId":"x"}', "history needs sessionId (string) and since (number)."],
      [
        '{"type":"history","sessionId":"x","since":"0"}',
        "history needs sessionId (string) and since (number).",
      ],
    ];
    for (const [raw, message] of bad) {
      const from = agentWs.received.length;
      agentWs.send(raw);
      const err = await agentWs.next((m) => m.type === "error", 5000, from);
      expectBadMessage(err, raw, message);
    }
    // A well-formed message about a session that is not this agent's: a plain not-found.
    const from = agentWs.received.length;
    agentWs.send({ type: "send", sessionId: "00000000-0000-4000-8000-000000000000", body: "hi", ref: "r1" });
    expect(await agentWs.next((m) => m.type === "error", 5000, from)).toEqual({
      type: "error",
      code: "not_found",
      message: "Session not found.",
      ref: "r1",
    });
    expect(agentWs.closed).toBeNull();
    const resync = agentWs.received.length;
    agentWs.send({ type: "resync" });
    await agentWs.next((m) => m.type === "snapshot", 5000, resync);
    // And it still gets alerts.
    const s = await ask(world, portalSlug);
    await agentWs.next((m) => m.type === "alert" && m.request.id === s.requestId);
  });

  it("answers messages it cannot use with an error and keeps the customer socket working", async () => {
    const s = await ask(world, portalSlug);
    const cws: CustomerSocket = await connectCustomer(world, s.requestId, s.cookie);
    sockets.push(cws);
    const bad: [string, string][] = [
      ["{", "Messages must be JSON."],
      ["42", "Messages must be JSON objects with a type."],
      ['{"type":"accept"}', UNKNOWN_TYPE],
      ['{"type":"send","body":"x"}', "send needs body and ref (strings)."],
      ['{"type":"send","ref":"x"}', "send needs body and ref (strings)."],
      ['{"type":"history"}', "history needs since (a number)."],
    ];
    for (const [raw, message] of bad) {
      const from = cws.received.length;
      cws.send(raw);
      const err = await cws.next((m) => m.type === "error", 5000, from);
      expectBadMessage(err, raw, message);
    }
    // Chat before an agent accepted: there is no session yet.
    const from = cws.received.length;
    cws.send({ type: "send", body: "anyone?", ref: "c1" });
    expect(await cws.next((m) => m.type === "error", 5000, from)).toEqual({
      type: "error",
      code: "not_found",
      message: "Session not found.",
      ref: "c1",
    });
    expect(cws.closed).toBeNull();
    expect((await accept(world, agent, s.requestId)).status).toBe(200);
    await cws.next(isStatus("accepted"));
    cws.send({ type: "send", body: "still here", ref: "c2" });
    expect(await cws.next((m) => m.type === "ack" && m.ref === "c2")).toEqual({
      type: "ack",
      ref: "c2",
      seq: 1,
    });
  });

  it("a customer cannot read or write another request's session over REST, even with a valid token of their own", async () => {
    const mine = await ask(world, portalSlug);
    const theirs = await ask(world, portalSlug);
    expect((await accept(world, agent, mine.requestId)).status).toBe(200);
    expect((await accept(world, agent, theirs.requestId)).status).toBe(200);
    const secret = await call(
      world.app,
      theirs.cookie,
      "POST",
      `/api/v1/customer/requests/${theirs.requestId}/messages`,
      {
        body: "my password is hunter2",
      },
    );
    expect(secret.status).toBe(201);

    const myToken = mine.cookie.split("=")[1] ?? "";
    const disguised = `hgc_${theirs.requestId}=${myToken}`;
    const notFound = { error: "not_found", message: "Request not found." };
    for (const cookie of [mine.cookie, disguised, `${mine.cookie}; ${disguised}`]) {
      const base = `/api/v1/customer/requests/${theirs.requestId}`;
      const read = await call(world.app, cookie, "GET", `${base}/messages`);
      expect(read.status).toBe(404);
      expect(read.body).toEqual(notFound);
      const write = await call(world.app, cookie, "POST", `${base}/messages`, { body: "injected" });
      expect(write.status).toBe(404);
      expect(write.body).toEqual(notFound);
      expect((await call(world.app, cookie, "GET", base)).status).toBe(404);
      expect((await call(world.app, cookie, "POST", `${base}/end`)).status).toBe(404);
    }
    const theirMessages = await call(
      world.app,
      theirs.cookie,
      "GET",
      `/api/v1/customer/requests/${theirs.requestId}/messages`,
    );
    expect((theirMessages.body as { body: string }[]).map((m) => m.body)).toEqual(["my password is hunter2"]);
    // Their own session is still theirs and still open.
    const status = await call(
      world.app,
      theirs.cookie,
      "GET",
      `/api/v1/customer/requests/${theirs.requestId}`,
    );
    expect(status.status).toBe(200);
    expect((status.body as { state: string }).state).toBe("accepted");

    // Nor can an agent read a session that is not theirs.
    const tenant2 = await seedTenant(world, "rt-other");
    const otherAgent = await seedAgent(world, tenant2, "otto");
    const peek = await call(
      world.app,
      otherAgent.cookie,
      "GET",
      `/api/v1/sessions/${theirs.requestId}/messages`,
    );
    expect(peek.status).toBe(404);
    expect(peek.body).toEqual({ error: "not_found", message: "Session not found." });
  });

  it("sends the customer their status on connect and every change after", async () => {
    const s = await ask(world, portalSlug, { name: "Uma", question: "Status?" });
    const cws = await connectCustomer(world, s.requestId, s.cookie);
    sockets.push(cws);
    const first = statusOf(cws.received[0] as CustomerServerMessage);
    expect(first).toMatchObject({
      requestId: s.requestId,
      sessionNumber: s.sessionNumber,
      sessionId: s.sessionNumber,
      state: "waiting",
      reason: null,
    });
    expect((await accept(world, agent, s.requestId)).status).toBe(200);
    const accepted = statusOf(await cws.next(isStatus("accepted")));
    expect(accepted.agentName).toBe("rita");
  });
});
