import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildApp } from "../../src/server/app.js";
import type { LogSink } from "../../src/server/bus/redis.js";
import { RedisBus } from "../../src/server/bus/redisBus.js";
import { RedisPresence } from "../../src/server/bus/redisPresence.js";
import { loadConfig } from "../../src/server/config.js";
import { openDatabase } from "../../src/server/db/database.js";
import type { TestApp } from "../support/app.js";
import { createTestDatabase, type TestDatabase } from "../support/databases.js";
import { adminRedis, dropPrefix, eventually, REDIS_URL, uniquePrefix } from "../support/redis.js";
import {
  type AgentSocket,
  ask,
  barrier,
  Clock,
  closedWith,
  createPortal,
  isAlertFor,
  onlineAgent,
  patchUser,
  seedAgent,
  seedTenant,
  type World,
} from "../support/scenario.js";

/**
 * A TCP relay between one node and Redis that the test can shut: new connections are refused
 * while it is, so a connection killed with CLIENT KILL stays down (Redis unreachable for that
 * node alone) until the test opens the relay again.
 */
class RedisRelay {
  private readonly server: net.Server;
  private readonly upstreams = new Set<net.Socket>();
  refusing = false;
  port = 0;

  constructor(private readonly target: URL) {
    this.server = net.createServer((client) => {
      if (this.refusing) {
        client.destroy();
        return;
      }
      const up = net.connect(Number(target.port || 6379), target.hostname);
      this.upstreams.add(up);
      const end = () => {
        this.upstreams.delete(up);
        client.destroy();
        up.destroy();
      };
      client.on("error", end).on("close", end);
      up.on("error", end).on("close", end);
      client.pipe(up);
      up.pipe(client);
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  get url(): string {
    const u = new URL(this.target.toString());
    u.hostname = "127.0.0.1";
    u.port = String(this.port);
    return u.toString();
  }

  /** The local ports of the relay's connections to Redis: how Redis's CLIENT LIST shows this node. */
  upstreamPorts(): Set<number> {
    return new Set([...this.upstreams].map((s) => s.localPort ?? 0));
  }

  async close(): Promise<void> {
    for (const s of this.upstreams) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Kills (CLIENT KILL ID) the connections of this name that came through the relay. */
async function killThroughRelay(redis: Redis, relay: RedisRelay, name: string): Promise<number> {
  const ports = relay.upstreamPorts();
  const list = (await redis.client("LIST")) as string;
  let killed = 0;
  for (const line of list.split("\n")) {
    const fields = new Map(
      line
        .trim()
        .split(" ")
        .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)] as const),
    );
    const port = Number(fields.get("addr")?.split(":").pop());
    const id = fields.get("id");
    if (fields.get("name") === name && ports.has(port) && id) {
      killed += Number(await redis.client("KILL", "ID", id));
    }
  }
  return killed;
}

interface ClusterNode {
  world: World;
  bus: RedisBus;
  logs: string[];
}

describe.skipIf(!inject("postgres") || !inject("redis"))(
  "two nodes on PostgreSQL + Redis: lost events and sign-outs across nodes",
  () => {
    const prefix = uniquePrefix("resync");
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "helpgate-resync-"));
    const relay = new RedisRelay(new URL(REDIS_URL));
    const closers: (() => Promise<void>)[] = [];
    let database: TestDatabase;
    let admin: Redis;
    let node1: ClusterNode;
    let node2: ClusterNode;

    /** One node in this process: its own server, database pool, Redis bus and presence. */
    async function startNode(name: string, redisUrl: string, publishRetries?: number): Promise<ClusterNode> {
      const port = await new Promise<number>((resolve) => {
        const s = net.createServer();
        s.listen(0, "127.0.0.1", () => {
          const p = (s.address() as net.AddressInfo).port;
          s.close(() => resolve(p));
        });
      });
      const baseUrl = `http://127.0.0.1:${port}`;
      const config = loadConfig({
        PUBLIC_URL: baseUrl,
        DATABASE_URL: database.url,
        HELPGATE_DATA_DIR: dataDir,
        HELPGATE_REDIS_PREFIX: prefix,
        REDIS_URL,
        LOG_LEVEL: "silent",
      });
      const logs: string[] = [];
      const log: LogSink = { info: (_o, msg) => logs.push(msg), warn: (_o, msg) => logs.push(msg) };
      const bus = new RedisBus({
        url: redisUrl,
        prefix,
        log,
        nodeId: name,
        ...(publishRetries !== undefined ? { publishRetries } : {}),
      });
      const presence = new RedisPresence({ url: REDIS_URL, prefix, log });
      await Promise.all([bus.ready(), presence.ready()]);
      const db = openDatabase(database.url);
      const clock = new Clock();
      const built = await buildApp({
        config,
        db,
        logger: false,
        bus,
        presence,
        now: clock.now,
        sweepEveryMs: 0,
      });
      await built.server.listen({ port, host: "127.0.0.1" });
      const close = async () => {
        await built.server.close();
        await Promise.all([bus.close(), presence.close()]);
        await db.close();
      };
      closers.push(close);
      const app: TestApp = { ...built, database, config, close };
      const world: World = {
        live: { app, baseUrl, close },
        app,
        clock,
        wsUrl: `ws://127.0.0.1:${port}/ws`,
        origin: baseUrl,
        close,
      };
      return { world, bus, logs };
    }

    const sockets: AgentSocket[] = [];

    beforeAll(async () => {
      admin = adminRedis();
      database = await createTestDatabase("postgres");
      await relay.listen();
      // Node 1 reaches Redis through the relay, and gives a publish up after two failed reconnects
      // (instead of some 15 s), so the test can lose one quickly.
      node1 = await startNode("node-1", relay.url, 2);
      node2 = await startNode("node-2", REDIS_URL);
    });

    afterAll(async () => {
      for (const s of sockets) s.socket.terminate();
      for (const close of closers.reverse()) await close().catch(() => {});
      await relay.close();
      await database.drop();
      await dropPrefix(admin, prefix);
      admin.disconnect();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it("an alert node 1 could not publish reaches node 2's console once node 1's Redis link is back", {
      timeout: 60_000,
    }, async () => {
      const tenant = await seedTenant(node1.world, "lost");
      const agent = await seedAgent(node1.world, tenant, "nadia");
      const portal = await createPortal(node1.world, tenant, "question", [agent]);
      const console2 = await onlineAgent(node2.world, agent);
      sockets.push(console2);

      // The doorbell works: a customer on node 1, the alert on node 2.
      const first = await ask(node1.world, portal.slug, { name: "First", question: "Hello?" });
      await console2.next(isAlertFor(first.requestId), 3000);

      // Node 1's publisher connection is killed and cannot come back for now.
      relay.refusing = true;
      expect(await killThroughRelay(admin, relay, `${prefix}bus-pub`)).toBe(1);
      const lost = await ask(node1.world, portal.slug, { name: "Lost", question: "Anyone?" });
      await eventually(
        () => node1.logs.some((m) => m.startsWith("bus: events are not reaching Redis")),
        // Quick here (two retries); 25 s lets a build without the setting (20 retries) get there too.
        25_000,
        "node 1 to give its publishes up",
      );
      const from = console2.received.length;
      await barrier(console2);
      expect(console2.received.some(isAlertFor(lost.requestId))).toBe(false);

      // Node 1 reaches Redis again: it says which channels lost events, and node 2's console gets
      // a fresh snapshot with the request — no later event needed.
      relay.refusing = false;
      const snapshot = await console2.next(
        (m) => m.type === "snapshot" && m.snapshot.incoming.some((r) => r.id === lost.requestId),
        10_000,
        from,
      );
      expect(snapshot.type).toBe("snapshot");
      expect(node2.logs).toContain("bus: a node lost publishes while Redis was away; resyncing");
      // The alert itself was dropped, not delayed: the snapshot is how it got there.
      await barrier(console2);
      expect(console2.received.some(isAlertFor(lost.requestId))).toBe(false);
    });

    it("disabling an agent on node 1 closes their console on node 2 at once", async () => {
      const tenant = await seedTenant(node1.world, "disable");
      const agent = await seedAgent(node1.world, tenant, "otto");
      const console2 = await onlineAgent(node2.world, agent);
      sockets.push(console2);
      const closed = closedWith(console2);
      await patchUser(node1.world, tenant, agent, { disabled: true });
      expect(await closed).toEqual({ code: 4401, reason: "signed out" });
    });

    it("signing out on node 1 closes that sign-in's console on node 2 at once", async () => {
      const tenant = await seedTenant(node1.world, "logout");
      const agent = await seedAgent(node1.world, tenant, "lena");
      const console2 = await onlineAgent(node2.world, agent);
      sockets.push(console2);
      const closed = closedWith(console2);
      const res = await node1.world.app.server.inject({
        method: "POST",
        url: "/api/v1/auth/logout",
        headers: { cookie: agent.cookie, origin: node1.world.origin },
      });
      expect(res.statusCode).toBe(204);
      expect(await closed).toEqual({ code: 4401, reason: "signed out" });
    });
  },
);
