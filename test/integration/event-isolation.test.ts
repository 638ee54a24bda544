import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepCodes, sweepRequests } from "../../src/server/sweeper.js";
import type { CodeView } from "../../src/shared/protocol.js";
import { call, freshAddress } from "../support/app.js";
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
  isAlertFor,
  isStatus,
  onlineAgent,
  seedAgent,
  seedTenant,
  setAvailable,
  startWorld,
  type Tenant,
  type World,
} from "../support/scenario.js";

interface Side {
  web: Tenant;
  phone: Tenant;
  agents: Agent[];
  coder: Agent;
  sockets: AgentSocket[];
  question: string;
  pick: string;
  codePortal: { id: string; slug: string };
}

/**
 * Two companies on one installation. Everything happens in A — requests of every kind, accepts,
 * declines, cancels, timeouts, codes, chat — while B's agents sit connected and available. B's
 * sockets must get nothing but their own snapshot and their own availability.
 */
describe.each(dialects())("tenant isolation of events on %s", (dialect) => {
  let world: World;
  const extra: (AgentSocket | CustomerSocket)[] = [];
  let a: Side;
  let b: Side;
  beforeAll(async () => {
    world = await startWorld(dialect);
    a = await side("iso-a");
    b = await side("iso-b");
  });
  afterAll(async () => {
    await Promise.all([...a.sockets, ...b.sockets, ...extra].map((s) => s.close()));
    await world.close();
  });

  async function side(prefix: string): Promise<Side> {
    const web = await seedTenant(world, `${prefix}-web`, "web");
    const phone = await seedTenant(world, `${prefix}-phone`, "phone");
    const agents = [await seedAgent(world, web, "alice"), await seedAgent(world, web, "bob")];
    const coder = await seedAgent(world, phone, "carol");
    const question = await createPortal(world, web, "question", agents);
    const pick = await createPortal(world, web, "pick-agent", agents);
    const codePortal = await createPortal(world, phone, "code", [coder]);
    const sockets = [];
    for (const agent of [...agents, coder]) sockets.push(await onlineAgent(world, agent));
    return { web, phone, agents, coder, sockets, question: question.slug, pick: pick.slug, codePortal };
  }

  it("an agent of one account receives nothing about another account's requests, sessions, codes or chat", async () => {
    const [alice, bob] = a.agents;
    const [aliceWs] = a.sockets;
    if (!alice || !bob || !aliceWs) throw new Error("side A incomplete");
    const marks: number[] = [];
    for (const ws of b.sockets) marks.push(await barrier(ws));

    // Broadcast: accepted, chatted, ended.
    const r1 = await ask(world, a.question, { name: "Secret Customer", question: "secret question" });
    await aliceWs.next(isAlertFor(r1.requestId));
    const c1 = await connectCustomer(world, r1.requestId, r1.cookie);
    extra.push(c1);
    expect((await accept(world, alice, r1.requestId)).status).toBe(200);
    await c1.next(isStatus("accepted"));
    c1.send({ type: "send", body: "secret message", ref: "1" });
    await c1.next((m) => m.type === "ack");
    aliceWs.send({ type: "send", sessionId: r1.requestId, body: "secret answer", ref: "2" });
    await aliceWs.next((m) => m.type === "ack" && m.ref === "2");
    expect((await call(world.app, alice.cookie, "POST", `/api/v1/sessions/${r1.requestId}/end`)).status).toBe(
      204,
    );
    // Targeted: declined. Broadcast: canceled, and one that times out.
    const r2 = await ask(world, a.pick, { name: "Secret Two" }, bob.user.id);
    expect((await decline(world, bob, r2.requestId)).status).toBe(200);
    const r3 = await ask(world, a.question, { name: "Secret Three", question: "q" });
    expect(
      (await call(world.app, r3.cookie, "POST", `/api/v1/customer/requests/${r3.requestId}/cancel`)).status,
    ).toBe(200);
    const r4 = await ask(world, a.question, { name: "Secret Four", question: "q" });
    world.clock.advance(10 * 60_000);
    await sweepRequests(world.app.deps);
    // An offline message.
    expect(
      (
        await call(world.app, null, "POST", `/api/v1/portals/${a.question}/offline`, {
          values: { name: "Secret Five", email: "five@example.com", question: "call me" },
        })
      ).status,
    ).toBe(201);
    // Codes: created, canceled, redeemed, expired.
    const newCode = async () => {
      const res = await call(world.app, a.coder.cookie, "POST", "/api/v1/codes", {
        portalId: a.codePortal.id,
        name: "Secret Caller",
      });
      expect(res.status).toBe(201);
      return res.body as CodeView;
    };
    const k1 = await newCode();
    expect((await call(world.app, a.coder.cookie, "DELETE", `/api/v1/codes/${k1.id}`)).status).toBe(204);
    const k2 = await newCode();
    const joined = await world.app.server.inject({
      method: "POST",
      url: "/api/v1/join",
      headers: { origin: world.origin },
      remoteAddress: freshAddress(),
      payload: { code: k2.code },
    });
    expect(joined.statusCode).toBe(201);
    await newCode();
    world.clock.advance(20 * 60_000);
    await sweepCodes(world.app.deps);
    // Availability changes in A.
    await setAvailable(world, bob, false);
    await setAvailable(world, bob, true);

    // Make sure side A really saw its events (so silence on B means something).
    const aliceTypes = new Set(eventsOf(aliceWs).map((m) => m.type));
    for (const t of ["alert", "request.updated", "session.started", "message", "session.ended"]) {
      expect(aliceTypes.has(t as never), t).toBe(true);
    }
    await a.sockets[2]?.next((m) => m.type === "session.started");

    for (const [i, ws] of b.sockets.entries()) {
      await barrier(ws);
      expect(eventsOf(ws, marks[i])).toEqual([]);
      const before = eventsOf(ws).slice(0, marks[i]);
      expect(before.map((m) => m.type)).toEqual(["snapshot", "availability"]);
      const everything = JSON.stringify(ws.received);
      for (const leak of [
        a.web.account.id,
        a.phone.account.id,
        r1.requestId,
        r2.requestId,
        "Secret",
        "secret",
        k2.code,
        alice.user.id,
      ]) {
        expect(everything.includes(leak), leak).toBe(false);
      }
    }

    // B's own world still works on the same sockets: the silence was not a dead line.
    const [bAlice] = b.agents;
    const [bAliceWs] = b.sockets;
    if (!bAlice || !bAliceWs) throw new Error("side B incomplete");
    const own = await ask(world, b.question, { name: "Own", question: "mine" });
    const alert = await bAliceWs.next(isAlertFor(own.requestId));
    expect(alert.type === "alert" && alert.request.customerName).toBe("Own");
    const ownFrom = await barrier(aliceWs);
    expect((await accept(world, bAlice, own.requestId)).status).toBe(200);
    await barrier(aliceWs);
    expect(eventsOf(aliceWs, ownFrom)).toEqual([]);

    // The REST snapshot of a B agent lists nothing of A either.
    const snap = await call(world.app, bAlice.cookie, "GET", "/api/v1/console");
    const text = JSON.stringify(snap.body);
    for (const leak of [r1.requestId, r3.requestId, r4.requestId, "Secret", a.web.account.id]) {
      expect(text.includes(leak), leak).toBe(false);
    }
  });
});
