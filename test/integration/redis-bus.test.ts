import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { BusEvent } from "../../src/server/bus/bus.js";
import { silentLog } from "../../src/server/bus/redis.js";
import { RedisBus } from "../../src/server/bus/redisBus.js";
import { RedisPresence } from "../../src/server/bus/redisPresence.js";
import type { RequestView } from "../../src/shared/protocol.js";
import {
  adminRedis,
  dropPrefix,
  eventually,
  killConnectionsNamed,
  REDIS_URL,
  uniquePrefix,
} from "../support/redis.js";

const request: RequestView = {
  id: "6b0c5a52-5d0c-4f57-9d0e-1d3c5a1f0a01",
  sessionNumber: "123456789",
  sessionId: "123456789",
  portalId: "p1",
  portalName: "Support — “quotes” & ümlauts",
  kind: "broadcast",
  state: "waiting",
  targetAgentId: null,
  customerName: "Carla </script><b>",
  customerEmail: "carla@example.com",
  question: "Line one\nline two \u2028 emoji 🙂",
  contact: { phone: "+49 30 123", company: "" },
  createdAt: 1_700_000_000_000,
  deadlineAt: null,
  agentId: null,
  agentName: null,
  stateAt: 1_700_000_000_000,
};

/** One sample of every event shape; adding a BusEvent type without a sample here does not compile. */
const samples: { [K in BusEvent["type"]]: Extract<BusEvent, { type: K }> } = {
  alert: { type: "alert", recipients: ["a1", "a2"], request },
  "request.updated": { type: "request.updated", request: { ...request, state: "accepted", agentId: "a1" } },
  "session.started": {
    type: "session.started",
    session: {
      id: request.id,
      request,
      agentId: "a1",
      agentName: "Robin",
      startedAt: 1,
      endedAt: null,
      lastSeq: 0,
      role: "owner",
      members: [{ id: "m1", userId: "a2", name: "Sam", role: "participant", state: "joined", since: 1 }],
      transfer: null,
      share: "sharing",
    },
  },
  "session.updated": {
    type: "session.updated",
    session: {
      id: request.id,
      request,
      agentId: "a1",
      agentName: "Robin",
      startedAt: 1,
      endedAt: null,
      lastSeq: 3,
      role: "owner",
      members: [],
      transfer: {
        id: "t1",
        sessionId: request.id,
        fromAgentId: "a1",
        fromName: "Robin",
        toAgentId: null,
        toAgentName: null,
        toPortalId: "p1",
        toPortalName: "Billing",
        note: 'VIP – "urgent"',
        createdAt: 1,
        expiresAt: 30_001,
      },
      share: null,
    },
  },
  "session.left": {
    type: "session.left",
    userId: "a1",
    sessionId: request.id,
    reason: "transferred",
    toName: "Sam",
  },
  "team.alert": {
    type: "team.alert",
    recipients: ["a2"],
    alert: {
      id: "t1",
      kind: "transfer",
      sessionId: request.id,
      request,
      fromName: "Robin",
      note: "",
      portalName: null,
      createdAt: 1,
      expiresAt: 30_001,
      messages: [
        { seq: 2, sender: "note", authorName: "Robin", body: "private", at: 2, visibility: "agents" },
        {
          seq: 3,
          sender: "system",
          authorName: "",
          body: "x",
          at: 3,
          event: { kind: "joined", name: "Sam" },
        },
      ],
    },
  },
  "team.alert.closed": {
    type: "team.alert.closed",
    recipients: ["a2", "a3"],
    alertId: "t1",
    reason: "accepted",
    byName: "Sam",
  },
  "team.notice": {
    type: "team.notice",
    userId: "a1",
    sessionId: request.id,
    kind: "transfer.timed-out",
    name: "Billing",
  },
  "supervisor.changed": { type: "supervisor.changed", accountId: "acc-1" },
  "session.rated": {
    type: "session.rated",
    userId: "a1",
    sessionId: request.id,
    rating: 5,
    comment: "thanks 🙂",
  },
  "share.viewer": { type: "share.viewer", requestId: request.id, peer: "a2", watch: true },
  "session.ended": {
    type: "session.ended",
    sessionId: request.id,
    requestId: request.id,
    agentId: "a1",
    endedAt: 2,
    endedBy: "customer",
  },
  message: {
    type: "message",
    sessionId: request.id,
    requestId: request.id,
    agentId: "a1",
    message: { seq: 7, sender: "customer", authorName: "Carla", body: 'say "hi" \\ <b>', at: 3 },
  },
  "codes.changed": { type: "codes.changed", agentId: "a1" },
  availability: { type: "availability", agentId: "a1", available: false },
  offer: { type: "offer", offer: { id: "o1", request, createdAt: 4, expiresAt: 30_004 } },
  "offer.closed": { type: "offer.closed", offerId: "o1", requestId: request.id, reason: "timed-out" },
  "queue.position": { type: "queue.position", requestId: request.id, position: 3, waitMinutes: null },
  "queue.stat": { type: "queue.stat", stat: { portalId: "p1", length: 0, oldestSince: null } },
  typing: { type: "typing", requestId: request.id, agentId: "a1", from: "customer" },
  receipt: {
    type: "receipt",
    requestId: request.id,
    agentId: "a1",
    from: "agent",
    receipt: { delivered: 5, read: 4 },
  },
  share: {
    type: "share",
    requestId: request.id,
    agentId: "a1",
    from: "customer",
    state: "failed",
    reason: "x",
  },
  rtc: {
    type: "rtc",
    requestId: request.id,
    agentId: "a1",
    from: "agent",
    signal: { kind: "candidate", candidate: "candidate:1 1 udp", sdpMid: null, sdpMLineIndex: 0 },
  },
  pointer: { type: "pointer", requestId: request.id, agentId: "a1", x: 0.25, y: 0.75 },
  "portals.changed": { type: "portals.changed", accountId: "acc-1" },
  "account.settings": { type: "account.settings", accountId: "acc-1", upgradeEnabled: false },
  "signed-out": { type: "signed-out", userId: "a1", authSession: "hash-of-the-token" },
  "sign-ins.changed": { type: "sign-ins.changed", userId: "a1" },
};

/** Collects what a subscription receives and can wait for a count. */
function collector() {
  const got: BusEvent[] = [];
  return {
    got,
    handler: (e: BusEvent) => {
      got.push(e);
    },
    waitFor: (n: number, what: string, ms = 3000) => eventually(() => got.length >= n, ms, what, 5),
  };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!inject("redis"))("Redis bus and presence (real Redis)", () => {
  const prefix = uniquePrefix("bus");
  let admin: Redis;
  const closers: (() => Promise<void> | void)[] = [];
  const bus = () => {
    const b = new RedisBus({ url: REDIS_URL, prefix, log: silentLog });
    closers.push(() => b.close());
    return b;
  };
  const presence = (ttlMs = 10_000, heartbeatMs?: number) => {
    const p = new RedisPresence({
      url: REDIS_URL,
      prefix,
      ttlMs,
      ...(heartbeatMs ? { heartbeatMs } : {}),
      log: silentLog,
    });
    closers.push(() => p.close());
    return p;
  };

  beforeAll(() => {
    admin = adminRedis();
  });
  afterAll(async () => {
    for (const close of closers) await close();
    await dropPrefix(admin, prefix);
    admin.disconnect();
  });

  it("delivers across two nodes, and to the publishing node's own subscribers once", async () => {
    const a = bus();
    const b = bus();
    await Promise.all([a.ready(), b.ready()]);
    const onA = collector();
    const onB = collector();
    await a.subscribe("account:x", onA.handler);
    await b.subscribe("account:x", onB.handler);
    await a.publish("account:x", samples["codes.changed"]);
    await onB.waitFor(1, "node B to get node A's event");
    await onA.waitFor(1, "node A to get its own event");
    await settle(100);
    expect(onA.got).toEqual([samples["codes.changed"]]);
    expect(onB.got).toEqual([samples["codes.changed"]]);
  });

  it("keeps one node's events in publish order", async () => {
    const a = bus();
    const b = bus();
    const onB = collector();
    await b.subscribe("request:order", onB.handler);
    await a.ready();
    for (let i = 1; i <= 200; i++) {
      await a.publish("request:order", { ...samples["queue.position"], position: i });
    }
    await onB.waitFor(200, "200 events");
    expect(onB.got.map((e) => (e.type === "queue.position" ? e.position : -1))).toEqual(
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
  });

  it("stops delivering after unsubscribe, to that handler only", async () => {
    const a = bus();
    const b = bus();
    const first = collector();
    const second = collector();
    const unsubFirst = await b.subscribe("user:u", first.handler);
    await b.subscribe("user:u", second.handler);
    const marker = collector();
    await b.subscribe("user:marker", marker.handler);
    await a.ready();
    await a.publish("user:u", samples.availability);
    await second.waitFor(1, "the first event");
    await unsubFirst();
    await unsubFirst(); // twice is harmless
    await a.publish("user:u", samples.availability);
    await a.publish("user:marker", samples.availability);
    await marker.waitFor(1, "the marker");
    await second.waitFor(2, "the second event");
    expect(first.got).toHaveLength(1);
    expect(second.got).toHaveLength(2);
  });

  it("round-trips every event shape through JSON unchanged", async () => {
    const a = bus();
    const b = bus();
    const onB = collector();
    await b.subscribe("account:shapes", onB.handler);
    await a.ready();
    const all = Object.values(samples);
    for (const e of all) await a.publish("account:shapes", e);
    await onB.waitFor(all.length, "every shape");
    expect(onB.got).toEqual(all);
  });

  it("keeps channels of different prefixes apart", async () => {
    const a = bus();
    const other = new RedisBus({ url: REDIS_URL, prefix: uniquePrefix("other"), log: silentLog });
    closers.push(() => other.close());
    const onOther = collector();
    const onMine = collector();
    await other.subscribe("account:x", onOther.handler);
    await a.subscribe("account:x", onMine.handler);
    await a.publish("account:x", samples["codes.changed"]);
    await onMine.waitFor(1, "own prefix");
    await settle(100);
    expect(onOther.got).toHaveLength(0);
  });

  it("still delivers after Redis kills the subscriber and publisher connections", async () => {
    const a = bus();
    const b = bus();
    const onB = collector();
    await b.subscribe("account:reconnect", onB.handler);
    await a.ready();
    await a.publish("account:reconnect", samples["codes.changed"]);
    await onB.waitFor(1, "before the kill");

    let reconnected = 0;
    b.onReconnect(() => {
      reconnected++;
    });
    // The name is shared by every bus of this test's prefix: all of them lose their connections.
    expect(await killConnectionsNamed(admin, `${prefix}bus-sub`)).toBeGreaterThanOrEqual(2);
    await eventually(() => reconnected === 1, 5000, "the subscriber to come back and resubscribe");
    await a.publish("account:reconnect", samples.availability);
    await onB.waitFor(2, "an event after the subscriber came back");

    // The publisher's connection dies: the publish waits in ioredis' queue and goes out on reconnect.
    expect(await killConnectionsNamed(admin, `${prefix}bus-pub`)).toBeGreaterThanOrEqual(2);
    await a.publish("account:reconnect", samples["queue.stat"]);
    await onB.waitFor(3, "an event published while the publisher reconnected");
    expect(onB.got.map((e) => e.type)).toEqual(["codes.changed", "availability", "queue.stat"]);
  });

  it("shares presence: online on node A is seen from node B, counting sockets", async () => {
    const a = presence();
    const b = presence();
    await Promise.all([a.ready(), b.ready()]);
    expect(await b.onlineAmong([])).toEqual(new Set());
    await a.connect("u1");
    await a.connect("u1");
    await b.connect("u2");
    expect(await b.onlineAmong(["u1", "u2", "u3"])).toEqual(new Set(["u1", "u2"]));
    expect(await a.onlineAmong(["u1", "u2", "u3"])).toEqual(new Set(["u1", "u2"]));
    await a.disconnect("u1");
    expect(await b.onlineAmong(["u1"])).toEqual(new Set(["u1"]));
    await a.disconnect("u1");
    expect(await b.onlineAmong(["u1", "u2"])).toEqual(new Set(["u2"]));

    // The same user on two nodes stays online until the last socket anywhere goes.
    await a.connect("u2");
    await b.disconnect("u2");
    expect(await b.onlineAmong(["u2"])).toEqual(new Set(["u2"]));

    // A node that shuts down cleanly takes its users with it at once.
    await a.close();
    expect(await b.onlineAmong(["u2"])).toEqual(new Set());
  });

  it("drops a crashed node's users within the TTL, by itself", async () => {
    const ttlMs = 1200;
    const a = presence(ttlMs, 200);
    const b = presence(ttlMs, 200);
    await Promise.all([a.ready(), b.ready()]);
    await a.connect("crash-agent");
    await b.connect("survivor");
    // Heartbeats keep the entries alive well past one TTL.
    await settle(ttlMs * 2);
    expect(await b.onlineAmong(["crash-agent", "survivor"])).toEqual(new Set(["crash-agent", "survivor"]));

    const crashedAt = Date.now();
    a.halt(); // no disconnects, no cleanup: what kill -9 looks like
    await eventually(
      async () => !(await b.onlineAmong(["crash-agent"])).has("crash-agent"),
      ttlMs + 1000,
      "the crashed node's agent to drop out",
    );
    expect(Date.now() - crashedAt).toBeLessThanOrEqual(ttlMs + 1000);
    expect(await b.onlineAmong(["crash-agent", "survivor"])).toEqual(new Set(["survivor"]));
    // Nothing of the dead node is left behind.
    const nodes = await admin.zrange(`${prefix}presence:nodes`, "0", "-1");
    expect(nodes).not.toContain(a.nodeId);
    expect(await admin.exists(`${prefix}presence:node:${a.nodeId}`)).toBe(0);
  });

  it("rewrites a node's entries when Redis lost them (restart, flush)", async () => {
    const a = presence(1200, 200);
    const b = presence(1200, 200);
    await Promise.all([a.ready(), b.ready()]);
    await a.connect("lost-and-found");
    await admin.del(`${prefix}presence:node:${a.nodeId}`, `${prefix}presence:nodes`);
    // The node's own view never depends on Redis.
    expect(await a.onlineAmong(["lost-and-found"])).toEqual(new Set(["lost-and-found"]));
    await eventually(
      async () => (await b.onlineAmong(["lost-and-found"])).has("lost-and-found"),
      2000,
      "the next heartbeat to restore the entry",
    );
  });

  it("falls back to the node's own sockets when Redis cannot be reached", async () => {
    const dead = new RedisPresence({
      url: "redis://127.0.0.1:1",
      prefix,
      log: silentLog,
    });
    closers.push(() => dead.close());
    await dead.connect("local-agent");
    expect(await dead.onlineAmong(["local-agent", "elsewhere"])).toEqual(new Set(["local-agent"]));
    await dead.disconnect("local-agent");
    expect(await dead.onlineAmong(["local-agent"])).toEqual(new Set());
    await expect(dead.ready(300)).rejects.toThrow(/did not answer/);
  });
});
