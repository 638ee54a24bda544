import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { LightMyRequestResponse } from "fastify";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type App, buildApp } from "../../src/server/app.js";
import type { Presence } from "../../src/server/bus/presence.js";
import { silentLog } from "../../src/server/bus/redis.js";
import { RedisPresence } from "../../src/server/bus/redisPresence.js";
import { loadConfig } from "../../src/server/config.js";
import { type Dialect, openDatabase } from "../../src/server/db/database.js";
import { call, startTestApp, type TestApp } from "../support/app.js";
import { createTestDatabase, dialects, type TestDatabase } from "../support/databases.js";
import { PG_ADMIN_URL } from "../support/globalSetup.js";
import { freePort, type ServerNode, startNode, stopNode, waitExit } from "../support/nodes.js";
import { adminRedis, dropPrefix, eventually, REDIS_URL, uniquePrefix } from "../support/redis.js";

interface ReadyBody {
  ok: boolean;
  checks: { database: string; redis: string; migrations: string; draining: boolean; overloaded: boolean };
  failing?: string[];
}

const READY = { database: "ok", redis: "off", migrations: "ok", draining: false, overloaded: false };

async function readyz(
  app: App,
): Promise<{ status: number; body: ReadyBody; headers: LightMyRequestResponse["headers"] }> {
  const res = await app.server.inject({ method: "GET", url: "/readyz" });
  return { status: res.statusCode, body: res.json<ReadyBody>(), headers: res.headers };
}

/** The real app on a test database of its own, with the presence the test gives (Redis or not). */
async function appWith(
  dialect: Dialect,
  presence?: Presence,
): Promise<{ app: App; database: TestDatabase; close(): Promise<void> }> {
  const database = await createTestDatabase(dialect);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "helpgate-probes-"));
  const config = loadConfig({ DATABASE_URL: database.url, HELPGATE_DATA_DIR: dataDir, LOG_LEVEL: "silent" });
  const app = await buildApp({
    config,
    db: database.db,
    logger: false,
    sweepEveryMs: 0,
    outboxOff: true,
    ...(presence ? { presence } : {}),
  });
  await app.server.ready();
  return {
    app,
    database,
    close: async () => {
      await app.server.close();
      await presence?.close();
      await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A redis-server of the test's own (so it can be stopped and started again without touching anyone else's). */
async function ownRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: "ignore",
    },
  );
  await eventually(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect(port, "127.0.0.1");
        socket.once("connect", () => {
          socket.destroy();
          resolve(true);
        });
        socket.once("error", () => resolve(false));
      }),
    10_000,
    `redis-server on port ${port}`,
  );
  return child;
}

describe.each(dialects())("probes on %s", (dialect) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(dialect);
  });
  afterAll(async () => {
    await app.close();
  });

  it("GET /livez answers 200 {ok:true}, not cached", async () => {
    const r = await call(app, null, "GET", "/livez");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ok: true });
    expect(r.res.headers["cache-control"]).toBe("no-store");
  });

  it("GET /readyz answers 200 with every check named, not cached", async () => {
    const r = await readyz(app);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ok: true, checks: READY });
    expect(r.headers["cache-control"]).toBe("no-store");
  });

  it("GET /healthz keeps its contract", async () => {
    const r = await call(app, null, "GET", "/healthz");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ok: true });
  });

  it("draining: /readyz turns 503 with Retry-After and draining:true; /livez stays 200", async () => {
    const own = await appWith(dialect);
    try {
      expect((await readyz(own.app)).status).toBe(200);
      own.app.readiness.startDraining();
      const r = await readyz(own.app);
      expect(r.status).toBe(503);
      expect(r.headers["retry-after"]).toBe("5");
      expect(r.headers["cache-control"]).toBe("no-store");
      expect(r.body).toEqual({ ok: false, checks: { ...READY, draining: true }, failing: ["draining"] });
      expect((await own.app.server.inject({ method: "GET", url: "/livez" })).statusCode).toBe(200);
    } finally {
      await own.close();
    }
  });

  it("database unreachable: /readyz 503 naming the database, /livez still 200", async () => {
    const own = await appWith(dialect);
    try {
      expect((await readyz(own.app)).status).toBe(200);
      if (dialect === "sqlite") {
        // A closed handle: every query fails.
        await own.database.db.close();
        const r = await readyz(own.app);
        expect(r.status).toBe(503);
        expect(r.headers["retry-after"]).toBe("5");
        expect(r.body.failing).toEqual(["database"]);
        expect(r.body.checks).toEqual({ ...READY, database: "unreachable" });
      } else {
        // The database goes away under the node (connections cut, then renamed), and comes back.
        const name = new URL(own.database.url).pathname.slice(1);
        const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
        await admin.connect();
        try {
          await eventually(
            async () => {
              await admin.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                [name],
              );
              return admin.query(`ALTER DATABASE ${name} RENAME TO ${name}_away`).then(
                () => true,
                () => false,
              );
            },
            10_000,
            "the database renamed away",
          );
          const r = await readyz(own.app);
          expect(r.status).toBe(503);
          expect(r.headers["retry-after"]).toBe("5");
          expect(r.body.failing).toEqual(["database"]);
          // Migrations were confirmed before: they stay confirmed.
          expect(r.body.checks).toEqual({ ...READY, database: "unreachable" });
          expect((await own.app.server.inject({ method: "GET", url: "/livez" })).statusCode).toBe(200);
          await admin.query(`ALTER DATABASE ${name}_away RENAME TO ${name}`);
          await eventually(async () => (await readyz(own.app)).status === 200, 10_000, "/readyz 200 again");
        } finally {
          await admin.query(`ALTER DATABASE IF EXISTS ${name}_away RENAME TO ${name}`).catch(() => {});
          await admin.end();
        }
      }
    } finally {
      await own.close().catch(() => {});
    }
  });

  describe.skipIf(!inject("redis"))("with Redis", () => {
    it('REDIS_URL at a reachable Redis: redis "ok"', async () => {
      const prefix = uniquePrefix("probes");
      const presence = new RedisPresence({ url: REDIS_URL, prefix });
      await presence.ready();
      const own = await appWith(dialect, presence);
      try {
        const r = await readyz(own.app);
        expect(r.status).toBe(200);
        expect(r.body).toEqual({ ok: true, checks: { ...READY, redis: "ok" } });
      } finally {
        await own.close();
        const redis = adminRedis();
        await dropPrefix(redis, prefix);
        redis.disconnect();
      }
    });
  });

  it("REDIS_URL at a port nothing listens on: 503 naming redis, within the probe's timeout", async () => {
    const port = await freePort();
    const presence = new RedisPresence({
      url: `redis://127.0.0.1:${port}`,
      prefix: uniquePrefix("probes"),
      log: silentLog,
    });
    const own = await appWith(dialect, presence);
    try {
      const started = Date.now();
      const r = await readyz(own.app);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(r.status).toBe(503);
      expect(r.headers["retry-after"]).toBe("5");
      expect(r.body.failing).toEqual(["redis"]);
      expect(r.body.checks).toEqual({ ...READY, redis: "unreachable" });
    } finally {
      await own.close();
    }
  });

  it("Redis stopped: 503 naming redis; started again: 200", async () => {
    const port = await freePort();
    let server = await ownRedis(port);
    const presence = new RedisPresence({
      url: `redis://127.0.0.1:${port}`,
      prefix: uniquePrefix("probes"),
      log: silentLog,
    });
    await presence.ready();
    const own = await appWith(dialect, presence);
    try {
      expect((await readyz(own.app)).body.checks.redis).toBe("ok");
      server.kill("SIGTERM");
      expect(await waitExit(server, 5000)).toBe(true);
      await eventually(async () => (await readyz(own.app)).status === 503, 5000, "/readyz 503");
      const down = await readyz(own.app);
      expect(down.body.failing).toEqual(["redis"]);
      expect(down.headers["retry-after"]).toBe("5");
      server = await ownRedis(port);
      // ioredis reconnects at most a second apart.
      await eventually(async () => (await readyz(own.app)).status === 200, 10_000, "/readyz 200 again");
      expect((await readyz(own.app)).body.checks.redis).toBe("ok");
    } finally {
      await own.close();
      server.kill("SIGKILL");
      await waitExit(server, 5000);
    }
  });
});

describe("a hung database does not hang the probe", () => {
  it("answers 503 within about a second while the database accepts connections and never answers", async () => {
    const sockets = new Set<net.Socket>();
    const blackhole = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => blackhole.listen(0, "127.0.0.1", () => resolve()));
    const address = blackhole.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const databaseUrl = `postgres://postgres@127.0.0.1:${port}/helpgate`;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "helpgate-probes-"));
    const config = loadConfig({ DATABASE_URL: databaseUrl, HELPGATE_DATA_DIR: dataDir, LOG_LEVEL: "silent" });
    const db = openDatabase(databaseUrl);
    const app = await buildApp({ config, db, logger: false, sweepEveryMs: 0, outboxOff: true });
    try {
      await app.server.ready();
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        const r = await readyz(app);
        expect(Date.now() - started).toBeLessThan(1600);
        expect(r.status).toBe(503);
        expect(r.body.failing).toEqual(["database", "migrations"]);
        expect(r.body.checks).toEqual({ ...READY, database: "unreachable", migrations: "unknown" });
      }
      // The probes shared one database check: one connection attempt, not one per probe.
      expect(sockets.size).toBe(1);
      expect((await app.server.inject({ method: "GET", url: "/livez" })).statusCode).toBe(200);
    } finally {
      for (const s of sockets) s.destroy();
      blackhole.close();
      await app.server.close();
      await db.close().catch(() => {});
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

interface Outcome {
  startedAt: number;
  result: number | string;
}

/** One GET on a connection of its own: the status, or the error's code (ECONNREFUSED, ECONNRESET …). */
function probeOnce(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe.each(dialects())("a real node on %s, SIGTERM", (dialect) => {
  let database: TestDatabase;
  let dataDir: string;
  let node: ServerNode;
  // On PostgreSQL the node is a cluster node (main.ts's own Redis wiring): its /readyz pings Redis.
  const clustered = dialect === "postgres" && inject("redis");
  const prefix = uniquePrefix("probes-node");
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "helpgate-probes-node-"));
    node = await startNode("probes", {
      DATABASE_URL: database.url,
      HELPGATE_DATA_DIR: dataDir,
      REDIS_URL: clustered ? REDIS_URL : "",
      HELPGATE_REDIS_PREFIX: prefix,
      HELPGATE_DEMO: "0",
    });
  }, 60_000);
  afterAll(async () => {
    if (node) await stopNode(node);
    await database.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (clustered) {
      const redis = adminRedis();
      await dropPrefix(redis, prefix);
      redis.disconnect();
    }
  });

  it("is live and ready, prints the probe URLs, and never answers /readyz 200 after the signal", async () => {
    expect(await probeOnce(`${node.url}/livez`)).toBe(200);
    await eventually(async () => (await probeOnce(`${node.url}/readyz`)) === 200, 10_000, "/readyz 200");
    const ready = await fetch(`${node.url}/readyz`);
    expect(await ready.json()).toEqual({ ok: true, checks: { ...READY, redis: clustered ? "ok" : "off" } });
    await eventually(() => node.output.join("").includes("/readyz"), 5000, "the start banner");
    expect(node.output.join("")).toContain(`${node.url}/livez`);

    const outcomes: Outcome[] = [];
    let signalledAt = Number.POSITIVE_INFINITY;
    let exitedAt = Number.POSITIVE_INFINITY;
    const exit = waitExit(node.child, 15_000).then((done) => {
      exitedAt = Date.now();
      return done;
    });
    // Several probers, each on connections of its own, back to back, until a while after the exit.
    const probers = Array.from({ length: 4 }, async () => {
      while (Date.now() < exitedAt + 200) {
        const startedAt = Date.now();
        outcomes.push({ startedAt, result: await probeOnce(`${node.url}/readyz`) });
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    node.child.kill("SIGTERM");
    signalledAt = Date.now();
    expect(await exit).toBe(true);
    await Promise.all(probers);
    expect(node.child.exitCode).toBe(0);

    const before = outcomes.filter((o) => o.startedAt < signalledAt);
    const after = outcomes.filter((o) => o.startedAt > signalledAt);
    expect(before.some((o) => o.result === 200)).toBe(true);
    expect(after.length).toBeGreaterThan(0);
    const wrong = after.filter((o) => o.result === 200 || (typeof o.result === "number" && o.result !== 503));
    expect(wrong, JSON.stringify(after.slice(0, 20))).toEqual([]);
  }, 30_000);
});
