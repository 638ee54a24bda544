import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentServerMessage, CustomerServerMessage } from "../../src/shared/protocol.js";
import { expectError } from "../support/api.js";
import { type Call, call } from "../support/app.js";
import { dialects } from "../support/databases.js";
import {
  type Agent,
  type AgentSocket,
  accept,
  ask,
  type CustomerSocket,
  connectCustomer,
  createPortal,
  isStatus,
  onlineAgent,
  patchUser,
  seedAgent,
  seedTenant,
  startWorld,
  submit,
  type Tenant,
  type World,
} from "../support/scenario.js";

const NUL = "\u0000";

/** Expects the 400 that names `field` as holding a control character. */
function expectRefused(r: Call, field: string, character = "U+0000"): void {
  const body = expectError(r, 400, "validation", field, "control_character");
  expect(body.fields?.[field]?.params).toEqual({ character });
  expect(body.message).toContain(field);
  expect(body.message).toContain(character);
}

describe.each(dialects())("control characters in text on %s", (dialect) => {
  let world: World;
  let tenant: Tenant;
  let agent: Agent;
  let agentWs: AgentSocket;
  let questionSlug: string;
  let portalId: string;
  const sockets: (AgentSocket | CustomerSocket)[] = [];

  beforeAll(async () => {
    world = await startWorld(dialect);
    tenant = await seedTenant(world, "ctl");
    agent = await seedAgent(world, tenant, "cora");
    await patchUser(world, tenant, agent, { maxSessions: 20 });
    const portal = await createPortal(world, tenant, "question", [agent]);
    questionSlug = portal.slug;
    portalId = portal.id;
    agentWs = await onlineAgent(world, agent);
    sockets.push(agentWs);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world.close();
  });

  async function requestCount(): Promise<number> {
    const row = await world.app.deps.db.kysely
      .selectFrom("requests")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async function session() {
    const s = await ask(world, questionSlug, { name: "Nia", question: "Chat please" });
    const cws = await connectCustomer(world, s.requestId, s.cookie);
    sockets.push(cws);
    expect((await accept(world, agent, s.requestId)).status).toBe(200);
    await cws.next(isStatus("accepted"));
    return { ...s, cws };
  }

  async function storedBodies(requestId: string): Promise<string[]> {
    const rows = await world.app.deps.db.kysely
      .selectFrom("messages")
      .select("body")
      .where("session_id", "=", requestId)
      .execute();
    return rows.map((r) => r.body);
  }

  it("a customer request (JSON) with NUL in a value is a 400 naming values.<field>, nothing stored", async () => {
    const before = await requestCount();
    const s = await submit(world, questionSlug, { name: "Carla", question: `printer${NUL}fire` });
    expectRefused(s.res, "values.question");
    const named = await submit(world, questionSlug, { name: `Car${NUL}la`, question: "fine" });
    expectRefused(named.res, "values.name");
    expect(await requestCount()).toBe(before);
  });

  it("other C0 controls, DEL and lone surrogates are refused; tab, newline and CR are text", async () => {
    for (const [text, character] of [
      ["a\u0001b", "U+0001"],
      ["a\u001bb", "U+001B"],
      ["a\u007fb", "U+007F"],
      ["a\ud800b", "U+D800"],
      ["a\udc00", "U+DC00"],
    ] as const) {
      const s = await submit(world, questionSlug, { name: "Carla", question: text });
      expectRefused(s.res, "values.question", character);
    }
    const ok = await submit(world, questionSlug, {
      name: "Carla",
      question: "line one\nline two\r\n\tindented — ünïcödé 😀",
    });
    expect(ok.res.status).toBe(201);
  });

  it("a key with a control character is named (escaped) too", async () => {
    const s = await submit(world, questionSlug, { name: "Carla", question: "q", [`x${NUL}`]: "v" });
    expectRefused(s.res, "values.x\\u0000");
  });

  it("the portal form post (no JavaScript) answers 400 with the field named on the page", async () => {
    const before = await requestCount();
    const res = await world.app.server.inject({
      method: "POST",
      url: `/p/${questionSlug}`,
      headers: { "content-type": "application/x-www-form-urlencoded", origin: world.origin },
      payload: `name=Carla&question=${encodeURIComponent(`bad${NUL}text`)}`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers["content-type"]).toContain("text/html");
    expect(res.body).toContain("question must not contain control characters (found U+0000)");
    expect(await requestCount()).toBe(before);
  });

  it("the offline message, as JSON and as a form, is refused the same way", async () => {
    const before = await requestCount();
    const r = await call(world.app, null, "POST", `/api/v1/portals/${questionSlug}/offline`, {
      values: { name: "Otto", email: "otto@example.com", question: `call me${NUL}` },
    });
    expectRefused(r, "values.question");
    const form = await world.app.server.inject({
      method: "POST",
      url: `/p/${questionSlug}/offline`,
      headers: { "content-type": "application/x-www-form-urlencoded", origin: world.origin },
      payload: `name=${encodeURIComponent(`Ot${NUL}to`)}&email=otto%40example.com&question=hi`,
    });
    expect(form.statusCode).toBe(400);
    expect(form.body).toContain("name must not contain control characters");
    expect(await requestCount()).toBe(before);
  });

  it("chat over the REST API, agent and customer, is refused naming body; nothing stored", async () => {
    const s = await session();
    const before = await storedBodies(s.requestId);
    const byAgent = await call(world.app, agent.cookie, "POST", `/api/v1/sessions/${s.requestId}/messages`, {
      body: `hello${NUL}`,
    });
    expectRefused(byAgent, "body");
    const byCustomer = await call(
      world.app,
      null,
      "POST",
      `/api/v1/customer/requests/${s.requestId}/messages`,
      { body: `hi${NUL}there` },
    );
    // The customer's cookie is not even needed to be refused: validation comes first.
    expectRefused(byCustomer, "body");
    const withCookie = await world.app.server.inject({
      method: "POST",
      url: `/api/v1/customer/requests/${s.requestId}/messages`,
      headers: { cookie: s.cookie, origin: world.origin },
      payload: { body: `hi${NUL}there` },
    });
    expect(withCookie.statusCode).toBe(400);
    expect(await storedBodies(s.requestId)).toEqual(before);
  });

  it("chat over the WebSocket, agent and customer: an error frame naming body with the ref; nothing stored", async () => {
    const s = await session();
    const before = await storedBodies(s.requestId);
    agentWs.send({ type: "send", sessionId: s.requestId, body: `x${NUL}y`, ref: "a-nul" });
    const agentAnswer = (await agentWs.next(
      (m) => (m.type === "error" || m.type === "ack") && m.ref === "a-nul",
    )) as Extract<AgentServerMessage, { type: "error" }>;
    expect(agentAnswer.type).toBe("error");
    expect(agentAnswer.code).toBe("validation");
    expect(agentAnswer.message).toBe("body must not contain control characters (found U+0000).");

    s.cws.send({ type: "send", body: `x\u0007y`, ref: "c-bel" });
    const customerAnswer = (await s.cws.next(
      (m) => (m.type === "error" || m.type === "ack") && m.ref === "c-bel",
    )) as Extract<CustomerServerMessage, { type: "error" }>;
    expect(customerAnswer.code).toBe("validation");
    expect(customerAnswer.message).toContain("body");
    expect(customerAnswer.message).toContain("U+0007");

    // A nested field is named by its path; the socket stays usable afterwards.
    s.cws.send({ type: "share", state: "failed", reason: `no${NUL}` });
    const nested = await s.cws.next((m) => m.type === "error" && m.message.startsWith("reason "));
    expect(nested.type).toBe("error");
    s.cws.send({ type: "send", body: "clean", ref: "c-ok" });
    expect(await s.cws.next((m) => m.type === "ack" && m.ref === "c-ok")).toMatchObject({ type: "ack" });
    expect(await storedBodies(s.requestId)).toEqual([...before, "clean"]);
  });

  it("admin renames of an account, a user and a portal are refused naming the field", async () => {
    const base = `/api/v1/accounts/${tenant.account.id}`;
    expectRefused(await call(world.app, tenant.adminCookie, "PATCH", base, { name: `Acme${NUL}` }), "name");
    expectRefused(
      await call(world.app, tenant.adminCookie, "PATCH", `${base}/users/${agent.user.id}`, {
        displayName: `Cora${NUL}`,
      }),
      "displayName",
    );
    expectRefused(
      await call(world.app, tenant.adminCookie, "PATCH", `${base}/portals/${portalId}`, {
        name: `Desk${NUL}`,
        welcomeText: "fine",
      }),
      "name",
    );
    expectRefused(
      await call(world.app, tenant.adminCookie, "PATCH", `${base}/portals/${portalId}`, {
        fields: [{ kind: "text", label: `Order${NUL}` }],
      }),
      "fields.0.label",
    );
    expectRefused(
      await call(world.app, tenant.adminCookie, "POST", `${base}/users`, {
        email: "new@ctl.example",
        displayName: `New${NUL}`,
        role: "agent",
      }),
      "displayName",
    );
    const account = await call(world.app, tenant.adminCookie, "GET", base);
    expect((account.body as { name: string }).name).toBe(tenant.account.name);
  });

  it("a NUL in the address (path or query) is a 400, never a 500", async () => {
    const path = await call(world.app, tenant.adminCookie, "GET", "/api/v1/accounts/%00");
    expectRefused(path, "accountId");
    const query = await call(world.app, agent.cookie, "GET", "/api/v1/sessions/x/messages?since=%00");
    expect(query.status).toBe(400);
    const page = await world.app.server.inject({ method: "GET", url: `/p/${questionSlug}?code=%00` });
    expect(page.statusCode).toBe(400);
    const request = await world.app.server.inject({ method: "GET", url: "/r/%00" });
    expect(request.statusCode).toBeLessThan(500);
  });
});
