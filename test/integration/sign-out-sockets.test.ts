import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { channels } from "../../src/server/bus/bus.js";
import { hashToken } from "../../src/server/commands/auth.js";
import { SIGN_IN_RECHECK_MS } from "../../src/server/hub/agentConnection.js";
import { call, login } from "../support/app.js";
import { dialects } from "../support/databases.js";
import {
  type Agent,
  type AgentSocket,
  accept,
  ask,
  barrier,
  type CustomerSocket,
  closedWith,
  connectAgent,
  connectCustomer,
  createPortal,
  isStatus,
  onlineAgent,
  patchUser,
  seedAgent,
  seedTenant,
  startWorld,
  type Tenant,
  type World,
} from "../support/scenario.js";

const bodiesTo = (ws: CustomerSocket | AgentSocket): string[] =>
  ws.received.flatMap((m) => (m.type === "message" ? [m.message.body] : []));

describe.each(dialects())("a sign-in that ends closes its console sockets at once, on %s", (dialect) => {
  let world: World;
  let tenant: Tenant;
  const sockets: (AgentSocket | CustomerSocket)[] = [];

  beforeAll(async () => {
    world = await startWorld(dialect);
    tenant = await seedTenant(world, "signout");
  });
  afterAll(async () => {
    for (const s of sockets) s.socket.terminate();
    await world.close();
  });

  /** An agent of their own portal, console open, in a chat session with a customer. */
  async function inSession(name: string) {
    const agent = await seedAgent(world, tenant, name);
    const portal = await createPortal(world, tenant, "question", [agent]);
    const agentWs = await onlineAgent(world, agent);
    sockets.push(agentWs);
    const s = await ask(world, portal.slug, { name: "Carla", question: "Help" });
    const cws = await connectCustomer(world, s.requestId, s.cookie);
    sockets.push(cws);
    expect((await accept(world, agent, s.requestId)).status).toBe(200);
    await cws.next(isStatus("accepted"));
    // Before: chat flows both ways.
    agentWs.send({ type: "send", sessionId: s.requestId, body: "before", ref: "b" });
    await cws.next((m) => m.type === "message" && m.message.body === "before");
    return { agent, agentWs, sessionId: s.requestId, cws };
  }

  /**
   * Sends a chat message over the agent's socket in the very instant the sign-out is announced:
   * from a listener on the same bus, right after the hub's own, so the socket is still open on the
   * client's side and the message reaches the server after it learnt of the sign-out.
   */
  async function sendAtTheSignOut(agent: Agent, agentWs: AgentSocket, sessionId: string) {
    let sent = false;
    const unsubscribe = await world.app.deps.bus.subscribe(channels.user(agent.user.id), (event) => {
      if (event.type !== "signed-out" || sent) return;
      sent = true;
      agentWs.send({ type: "send", sessionId, body: "after the sign-out", ref: "late" });
    });
    return {
      done: async () => {
        await unsubscribe();
        expect(sent).toBe(true);
      },
    };
  }

  /** The late message was neither stored nor delivered, and the customer's reply goes nowhere. */
  async function nothingGotThrough(x: Awaited<ReturnType<typeof inSession>>) {
    x.cws.send({ type: "send", body: "are you there?", ref: "reply" });
    await x.cws.next((m) => m.type === "ack" && m.ref === "reply");
    await barrier(x.cws);
    expect(bodiesTo(x.cws)).not.toContain("after the sign-out");
    expect(bodiesTo(x.agentWs)).not.toContain("are you there?");
    expect(x.agentWs.received.some((m) => m.type === "ack" && m.ref === "late")).toBe(false);
    const stored = await world.app.deps.db.kysely
      .selectFrom("messages")
      .select("body")
      .where("session_id", "=", x.sessionId)
      .orderBy("seq")
      .execute();
    expect(stored.map((r) => r.body)).toEqual(["before", "are you there?"]);
  }

  it("disabling an agent closes their console (4401) and a chat sent in that instant reaches nobody", async () => {
    const x = await inSession("dora");
    const late = await sendAtTheSignOut(x.agent, x.agentWs, x.sessionId);
    await patchUser(world, tenant, x.agent, { disabled: true });
    expect(await closedWith(x.agentWs)).toEqual({ code: 4401, reason: "signed out" });
    await late.done();
    await nothingGotThrough(x);
  });

  it("resetting an agent's password closes their console (4401) and a chat sent in that instant reaches nobody", async () => {
    const x = await inSession("pia");
    const late = await sendAtTheSignOut(x.agent, x.agentWs, x.sessionId);
    const res = await call(
      world.app,
      tenant.adminCookie,
      "POST",
      `/api/v1/accounts/${tenant.account.id}/users/${x.agent.user.id}/password`,
      { password: "a-brand-new-password" },
    );
    expect(res.status).toBe(200);
    expect(await closedWith(x.agentWs)).toEqual({ code: 4401, reason: "signed out" });
    await late.done();
    await nothingGotThrough(x);
  });

  it("signing out closes the sockets of that sign-in only; another sign-in of the agent keeps working", async () => {
    const x = await inSession("sam");
    const other: Agent = { user: x.agent.user, cookie: await login(world.app, x.agent.user.email) };
    const otherWs = await connectAgent(world, other);
    sockets.push(otherWs);
    const late = await sendAtTheSignOut(x.agent, x.agentWs, x.sessionId);
    const res = await call(world.app, x.agent.cookie, "POST", "/api/v1/auth/logout");
    expect(res.status).toBe(204);
    expect(await closedWith(x.agentWs)).toEqual({ code: 4401, reason: "signed out" });
    await late.done();
    // The other sign-in's socket is open and still acts for the agent.
    otherWs.send({ type: "send", sessionId: x.sessionId, body: "from my other window", ref: "o" });
    await otherWs.next((m) => m.type === "ack" && m.ref === "o");
    await x.cws.next((m) => m.type === "message" && m.message.body === "from my other window");
    expect(otherWs.closed).toBeNull();
    expect(bodiesTo(x.cws)).not.toContain("after the sign-out");
  });

  it("without the event (a sign-in ended by another process), the socket acts for nobody once it re-checks", async () => {
    const x = await inSession("cli");
    // What `helpgate user reset-password` in another process does: the rows go, no event here.
    const token = x.agent.cookie.replace(/^hg_session=/, "");
    await world.app.deps.db.kysely
      .deleteFrom("auth_sessions")
      .where("token_hash", "=", hashToken(token))
      .execute();
    world.clock.advance(SIGN_IN_RECHECK_MS);
    x.agentWs.send({ type: "send", sessionId: x.sessionId, body: "after the sign-out", ref: "late" });
    expect(await closedWith(x.agentWs)).toEqual({ code: 4401, reason: "signed out" });
    await nothingGotThrough(x);
  });

  it("a resync finds a sign-in that ended without an event, at once", async () => {
    const agent = await seedAgent(world, tenant, "resync");
    const ws = await connectAgent(world, agent);
    sockets.push(ws);
    const token = agent.cookie.replace(/^hg_session=/, "");
    await world.app.deps.db.kysely
      .deleteFrom("auth_sessions")
      .where("token_hash", "=", hashToken(token))
      .execute();
    ws.send({ type: "resync" });
    expect(await closedWith(ws)).toEqual({ code: 4401, reason: "signed out" });
  });
});
