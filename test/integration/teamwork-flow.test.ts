import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentServerMessage, CustomerServerMessage, TeamAlert } from "../../src/shared/protocol.js";
import { call, login, seedUser } from "../support/app.js";
import { dialects } from "../support/databases.js";
import {
  type Agent,
  type AgentSocket,
  accept,
  ask,
  type CustomerSocket,
  connectCustomer,
  createPortal,
  eventsOf,
  isStatus,
  onlineAgent,
  seedAgent,
  seedTenant,
  startWorld,
  type Tenant,
  type World,
} from "../support/scenario.js";

/**
 * One session's whole teamwork story over real sockets: a transfer, an invitation, a private
 * note, a supervisor who watches and takes over — and what the customer saw of it.
 */
describe.each(dialects())("a session's teamwork on %s", (dialect) => {
  let world: World;
  let tenant: Tenant;
  let anna: Agent;
  let ben: Agent;
  let cleo: Agent;
  let mia: Agent;
  const sockets: (AgentSocket | CustomerSocket)[] = [];
  let slug: string;
  beforeAll(async () => {
    world = await startWorld(dialect);
    tenant = await seedTenant(world, "team");
    anna = await seedAgent(world, tenant, "anna");
    ben = await seedAgent(world, tenant, "ben");
    cleo = await seedAgent(world, tenant, "cleo");
    const manager = await seedUser(world.app, tenant.account.id, `mia@${tenant.tag}.example`, "manager");
    mia = { user: manager, cookie: await login(world.app, manager.email) };
    slug = (await createPortal(world, tenant, "question", [anna, ben, cleo])).slug;
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world.close();
  });

  it("transfer, invite, note, monitor, take over — the customer sees only what concerns them", async () => {
    const aWs = await onlineAgent(world, anna);
    const bWs = await onlineAgent(world, ben);
    const cWs = await onlineAgent(world, cleo);
    const mWs = await onlineAgent(world, mia);
    sockets.push(aWs, bWs, cWs, mWs);
    const s = await ask(world, slug, { name: "Carla", question: "Help" });
    const cust = await connectCustomer(world, s.requestId, s.cookie);
    sockets.push(cust);
    expect((await accept(world, anna, s.requestId)).status).toBe(200);
    await cust.next(isStatus("accepted"));

    const t = await call(world.app, anna.cookie, "POST", `/api/v1/sessions/${s.requestId}/transfer`, {
      toAgentId: ben.user.id,
      note: "Billing question",
    });
    expect(t.status, JSON.stringify(t.body)).toBe(201);
    const alert = await bWs.next(
      (m): m is Extract<AgentServerMessage, { type: "team.alert" }> => m.type === "team.alert",
    );
    const a = (alert as { alert: TeamAlert }).alert;
    expect(a.kind).toBe("transfer");
    expect(a.note).toBe("Billing question");
    const acc = await call(world.app, ben.cookie, "POST", `/api/v1/transfers/${a.id}/accept`);
    expect(acc.status, JSON.stringify(acc.body)).toBe(200);
    await aWs.next((m) => m.type === "session.left" && m.reason === "transferred");
    await bWs.next((m) => m.type === "session.started" && m.session.id === s.requestId);
    await cust.next((m) => m.type === "status" && m.status.agentName === ben.user.displayName);
    await cust.next((m) => m.type === "message" && m.message.event?.kind === "owner.changed");

    const inv = await call(world.app, ben.cookie, "POST", `/api/v1/sessions/${s.requestId}/invitations`, {
      agentIds: [cleo.user.id],
    });
    expect(inv.status, JSON.stringify(inv.body)).toBe(201);
    const blue = await cWs.next((m) => m.type === "team.alert");
    const invite = (blue as { alert: TeamAlert }).alert;
    expect(
      (await call(world.app, cleo.cookie, "POST", `/api/v1/invitations/${invite.id}/accept`)).status,
    ).toBe(200);
    await cWs.next((m) => m.type === "session.started" && m.session.role === "participant");
    cust.send({ type: "send", body: "hello both", ref: "c1" });
    await cWs.next((m) => m.type === "message" && m.message.body === "hello both");

    cWs.send(JSON.stringify({ type: "note", sessionId: s.requestId, body: "secret note", ref: "n1" }));
    await cWs.next((m) => m.type === "ack" && m.ref === "n1");
    await bWs.next((m) => m.type === "message" && m.message.sender === "note");

    const mon = await call(world.app, mia.cookie, "POST", `/api/v1/sessions/${s.requestId}/monitor`);
    expect(mon.status, JSON.stringify(mon.body)).toBe(200);
    await mWs.next((m) => m.type === "session.started" && m.session.role === "monitor");
    const sup = await call(world.app, mia.cookie, "GET", "/api/v1/supervisor");
    expect(sup.status).toBe(200);
    const take = await call(world.app, mia.cookie, "POST", `/api/v1/sessions/${s.requestId}/take-over`);
    expect(take.status, JSON.stringify(take.body)).toBe(200);
    await bWs.next((m) => m.type === "session.left");
    await cust.next((m) => m.type === "status" && m.status.agentName === mia.user.displayName);

    const seen = eventsOf(cust).flatMap((m: CustomerServerMessage) =>
      m.type === "message" ? [m.message] : [],
    );
    expect(seen.some((m) => m.sender === "note" || m.visibility === "agents")).toBe(false);
    expect(seen.map((m) => m.event?.kind).filter(Boolean)).toEqual([
      "owner.changed",
      "joined",
      "monitor.started",
      "owner.changed",
    ]);
  });
});
