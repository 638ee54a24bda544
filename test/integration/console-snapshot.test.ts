import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepRequests } from "../../src/server/sweeper.js";
import type { ConsoleSnapshot } from "../../src/shared/protocol.js";
import { call } from "../support/app.js";
import { dialects } from "../support/databases.js";
import {
  type AgentSocket,
  accept,
  ask,
  type CustomerSocket,
  connectAgent,
  connectCustomer,
  createPortal,
  decline,
  eventually,
  isAlertFor,
  onlineAgent,
  seedAgent,
  seedTenant,
  startWorld,
  type World,
} from "../support/scenario.js";

describe.each(dialects())("the console snapshot after a reconnect on %s", (dialect) => {
  let world: World;
  const sockets: (AgentSocket | CustomerSocket)[] = [];
  beforeAll(async () => {
    world = await startWorld(dialect);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world.close();
  });

  it("counts each queue's line apart (a web account's console has no queues)", async () => {
    const tenant = await seedTenant(world, "queues", "queue");
    const quinn = await seedAgent(world, tenant, "quinn");
    const billing = await createPortal(world, tenant, "question", [quinn]);
    const technical = await createPortal(world, tenant, "question", [quinn]);
    // Quinn is signed in: the requests wait in their lines (one of them offered to Quinn).
    sockets.push(await onlineAgent(world, quinn));
    const first = await ask(world, billing.slug, { name: "First", question: "q" });
    world.clock.advance(1000);
    await ask(world, billing.slug, { name: "Second", question: "q" });
    world.clock.advance(1000);
    const other = await ask(world, technical.slug, { name: "Other", question: "q" });
    const res = await call(world.app, quinn.cookie, "GET", "/api/v1/console");
    expect(res.status).toBe(200);
    const snapshot = res.body as ConsoleSnapshot;
    const byPortal = new Map(snapshot.queues.map((q) => [q.portalId, q]));
    expect([...byPortal.keys()].sort()).toEqual([billing.id, technical.id].sort());
    const requests = new Map(snapshot.incoming.map((r) => [r.id, r]));
    expect(byPortal.get(billing.id)).toEqual({
      portalId: billing.id,
      length: 2,
      oldestSince: requests.get(first.requestId)?.createdAt,
    });
    expect(byPortal.get(technical.id)).toEqual({
      portalId: technical.id,
      length: 1,
      oldestSince: requests.get(other.requestId)?.createdAt,
    });
    const web = await seedTenant(world, "no-queues");
    const wes = await seedAgent(world, web, "wes");
    const question = await createPortal(world, web, "question", [wes]);
    sockets.push(await onlineAgent(world, wes));
    await ask(world, question.slug, { name: "Waits", question: "q" });
    const webSnapshot = await call(world.app, wes.cookie, "GET", "/api/v1/console");
    expect((webSnapshot.body as ConsoleSnapshot).incoming).toHaveLength(1);
    expect((webSnapshot.body as ConsoleSnapshot).queues).toEqual([]);
  });

  it("reflects the database exactly: what was taken or canceled meanwhile is gone, what came is there", async () => {
    const tenant = await seedTenant(world, "resync");
    const xena = await seedAgent(world, tenant, "xena");
    const yuri = await seedAgent(world, tenant, "yuri");
    const question = await createPortal(world, tenant, "question", [xena, yuri]);
    const pick = await createPortal(world, tenant, "pick-agent", [xena, yuri]);
    const yuriWs = await onlineAgent(world, yuri);
    sockets.push(yuriWs);
    let xenaWs = await onlineAgent(world, xena);

    const taken = await ask(world, question.slug, { name: "Taken", question: "q" });
    const canceled = await ask(world, question.slug, { name: "Canceled", question: "q" });
    const stays = await ask(world, question.slug, { name: "Stays", question: "q" });
    const forYuri = await ask(world, pick.slug, { name: "ForYuri" }, yuri.user.id);
    const mine = await ask(world, question.slug, { name: "Mine", question: "q" });
    const timesOut = await ask(world, pick.slug, { name: "TimesOut" }, xena.user.id);
    await xenaWs.next(isAlertFor(timesOut.requestId));
    expect((await accept(world, xena, mine.requestId)).status).toBe(200);
    const mineCustomer = await connectCustomer(world, mine.requestId, mine.cookie);
    sockets.push(mineCustomer);

    // Xena's connection drops.
    await xenaWs.close();
    // Meanwhile: yuri takes one, a customer cancels, a targeted alert for xena times out,
    // xena's customer writes and then ends the session, and new requests come in.
    expect((await accept(world, yuri, taken.requestId)).status).toBe(200);
    expect(
      (
        await call(
          world.app,
          canceled.cookie,
          "POST",
          `/api/v1/customer/requests/${canceled.requestId}/cancel`,
        )
      ).status,
    ).toBe(200);
    expect((await decline(world, yuri, forYuri.requestId)).status).toBe(200);
    world.clock.advance(31_000);
    await sweepRequests(world.app.deps);
    const alsoForYuri = await ask(world, pick.slug, { name: "AlsoForYuri" }, yuri.user.id);
    mineCustomer.send({ type: "send", body: "are you there?", ref: "m" });
    await mineCustomer.next((m) => m.type === "ack");
    // (xena's presence is gone once the server saw the close; new broadcasts only reach yuri)
    await eventually(async () => {
      const r = await call(world.app, null, "GET", `/api/v1/portals/${pick.slug}/agents`);
      const agents = (r.body as { agents: { id: string; status: string }[] }).agents;
      return agents.find((a) => a.id === xena.user.id)?.status === "offline";
    });
    const late = await ask(world, question.slug, { name: "Late", question: "q" });
    const endMine = await call(
      world.app,
      mine.cookie,
      "POST",
      `/api/v1/customer/requests/${mine.requestId}/end`,
    );
    expect(endMine.status).toBe(204);

    xenaWs = await connectAgent(world, xena);
    sockets.push(xenaWs);
    const first = xenaWs.received[0];
    if (first?.type !== "snapshot") throw new Error("the first message is not a snapshot");
    const ws = first.snapshot;
    expect(ws.incoming.map((r) => r.customerName)).toEqual(["Stays", "Late"]);
    expect(ws.incoming.map((r) => r.id)).toEqual([stays.requestId, late.requestId]);
    expect(ws.incoming.every((r) => r.state === "waiting")).toBe(true);
    expect(ws.sessions).toEqual([]);
    expect(ws.available).toBe(true);
    const history = new Map(ws.history.map((r) => [r.customerName, r.state]));
    expect(history.get("Canceled")).toBe("canceled");
    expect(history.get("TimesOut")).toBe("no-response");
    expect(history.get("Mine")).toBe("ended");
    expect(history.has("Taken")).toBe(false); // yuri's session, not xena's business
    expect(history.has("ForYuri")).toBe(false); // a targeted alert for yuri, declined by yuri
    expect(history.has("AlsoForYuri")).toBe(false);
    expect(ws.stats.sessionsToday).toBe(1);

    // The REST snapshot says the same, and both agree with the database.
    const rest = await call(world.app, xena.cookie, "GET", "/api/v1/console");
    expect(rest.status).toBe(200);
    const snap = rest.body as ConsoleSnapshot;
    const { serverTime: _a, ...restLists } = snap;
    const { serverTime: _b, ...wsLists } = ws;
    expect(restLists).toEqual(wsLists);
    const waiting = await world.app.deps.db.kysely
      .selectFrom("requests")
      .select(["id", "target_agent_id"])
      .where("account_id", "=", tenant.account.id)
      .where("state", "=", "waiting")
      .orderBy("created_at")
      .execute();
    expect(waiting.filter((r) => r.target_agent_id !== yuri.user.id).map((r) => r.id)).toEqual(
      snap.incoming.map((r) => r.id),
    );
    expect(waiting.map((r) => r.id)).toContain(alsoForYuri.requestId);

    // Yuri's view: the session they took, the targeted request for them.
    const yuriSnap = (await call(world.app, yuri.cookie, "GET", "/api/v1/console")).body as ConsoleSnapshot;
    expect(yuriSnap.incoming.map((r) => r.customerName)).toEqual(["Stays", "AlsoForYuri", "Late"]);
    expect(yuriSnap.sessions.map((s) => s.id)).toEqual([taken.requestId]);
  });
});
