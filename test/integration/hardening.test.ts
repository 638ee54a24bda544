import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type App, buildApp } from "../../src/server/app.js";
import { loadConfig } from "../../src/server/config.js";
import { migrate, openDatabase } from "../../src/server/db/database.js";
import { MAX_SOCKET_MESSAGE_BYTES } from "../../src/server/hub/wire.js";
import { call, login, seedAccount, seedUser, startTestApp, type TestApp } from "../support/app.js";
import { createTestDatabase, dialects, type TestDatabase } from "../support/databases.js";

const TOKEN = "metrics-token-0123456789abcdef";

function modeOf(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe("the SQLite database is private to its owner", () => {
  const dirs: string[] = [];
  const umask = process.umask();
  afterEach(() => {
    process.umask(umask);
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it("creates its directory 0700 and the file, -wal and -shm 0600 (under the usual umask 022)", async () => {
    process.umask(0o022);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "helpgate-perm-"));
    dirs.push(root);
    const dir = path.join(root, "data", "db");
    const file = path.join(dir, "helpgate.sqlite");
    const db = openDatabase(`sqlite:${file}`);
    try {
      await migrate(db); // writes, so SQLite opens its -wal and -shm files
      expect(modeOf(dir)).toBe(0o700);
      expect(modeOf(path.join(root, "data"))).toBe(0o700);
      expect(modeOf(file)).toBe(0o600);
      // WAL mode: both side files exist while the database is open.
      expect(fs.existsSync(`${file}-wal`)).toBe(true);
      expect(fs.existsSync(`${file}-shm`)).toBe(true);
      expect(modeOf(`${file}-wal`)).toBe(0o600);
      expect(modeOf(`${file}-shm`)).toBe(0o600);
    } finally {
      await db.close();
    }
  });

  it("leaves the mode of an existing directory and database file alone", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "helpgate-perm-"));
    dirs.push(root);
    fs.chmodSync(root, 0o750);
    const file = path.join(root, "kept.sqlite");
    fs.writeFileSync(file, "");
    fs.chmodSync(file, 0o640);
    const db = openDatabase(`sqlite:${file}`);
    await migrate(db);
    await db.close();
    expect(modeOf(root)).toBe(0o750);
    expect(modeOf(file)).toBe(0o640);
  });
});

describe.each(dialects())("/metrics on %s", (dialect) => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
  });
  async function start(env: Record<string, string>): Promise<TestApp> {
    const app = await startTestApp(dialect, env);
    apps.push(app);
    return app;
  }

  it("without HELPGATE_METRICS_TOKEN the main port has no /metrics (404); /healthz keeps its contract", async () => {
    const app = await start({});
    const r = await call(app, null, "GET", "/metrics");
    expect(r.status).toBe(404);
    expect(r.res.body).not.toContain("helpgate_");
    const health = await call(app, null, "GET", "/healthz");
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ ok: true });
  });

  it("with a token: 401 without it (WWW-Authenticate), 403 with another, 200 Prometheus text with it", async () => {
    const app = await start({ HELPGATE_METRICS_TOKEN: TOKEN });
    const none = await app.server.inject({ method: "GET", url: "/metrics" });
    expect(none.statusCode).toBe(401);
    expect(none.headers["www-authenticate"]).toBe('Bearer realm="metrics"');
    expect(JSON.parse(none.body)).toMatchObject({ error: "signed_out" });
    expect(none.body).not.toContain("helpgate_");
    for (const authorization of [
      `Bearer ${TOKEN}x`,
      `Basic ${TOKEN}`,
      "Bearer",
      `Bearer ${TOKEN.slice(1)}`,
    ]) {
      const wrong = await app.server.inject({ method: "GET", url: "/metrics", headers: { authorization } });
      expect([401, 403]).toContain(wrong.statusCode);
      expect(wrong.body).not.toContain("helpgate_");
    }
    const other = await app.server.inject({
      method: "GET",
      url: "/metrics",
      headers: { authorization: `Bearer ${"y".repeat(TOKEN.length)}` },
    });
    expect(other.statusCode).toBe(403);
    expect(JSON.parse(other.body)).toMatchObject({ error: "forbidden" });
    await app.server.inject({ method: "GET", url: "/healthz" });
    const ok = await app.server.inject({
      method: "GET",
      url: "/metrics",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers["content-type"]).toContain("text/plain");
    expect(ok.body).toContain("helpgate_http_request_duration_seconds");
    expect(ok.body).toContain("helpgate_process_resident_memory_bytes");
    const health = await call(app, null, "GET", "/healthz");
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ ok: true });
  });

  it("HELPGATE_METRICS_LISTEN serves only /metrics on its own address (no token needed there unless set)", async () => {
    const port = await freePort();
    const app = await start({ HELPGATE_METRICS_LISTEN: `127.0.0.1:${port}` });
    expect((await call(app, null, "GET", "/metrics")).status).toBe(404);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    expect(await res.text()).toContain("helpgate_process_resident_memory_bytes");
    const elsewhere = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(elsewhere.status).toBe(404);
    await elsewhere.text();
  });

  it("with both set, the separate address asks for the token too", async () => {
    const port = await freePort();
    await start({ HELPGATE_METRICS_LISTEN: `127.0.0.1:${port}`, HELPGATE_METRICS_TOKEN: TOKEN });
    const none = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(none.status).toBe(401);
    await none.text();
    const ok = await fetch(`http://127.0.0.1:${port}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("helpgate_");
  });

  it("a taken metrics address fails the start with a clear message", async () => {
    const blocker = net.createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, "127.0.0.1", () => resolve((blocker.address() as net.AddressInfo).port)),
    );
    const database = await createTestDatabase(dialect);
    const config = loadConfig({
      DATABASE_URL: database.url,
      LOG_LEVEL: "silent",
      HELPGATE_METRICS_LISTEN: `127.0.0.1:${port}`,
    });
    const app = await buildApp({ config, db: database.db, logger: false });
    try {
      await expect(app.server.ready()).rejects.toThrow(
        /HELPGATE_METRICS_LISTEN 127\.0\.0\.1:\d+: .*EADDRINUSE/,
      );
    } finally {
      await app.server.close().catch(() => {});
      await database.drop();
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});

interface LogLine {
  level: number;
  msg: string;
  err?: unknown;
  stack?: unknown;
  [key: string]: unknown;
}

describe.each(dialects())("an oversize WebSocket frame on %s", (dialect) => {
  let database: TestDatabase;
  let app: App;
  let origin: string;
  const lines: string[] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "helpgate-data-"));

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      PUBLIC_URL: origin,
      DATABASE_URL: database.url,
      HELPGATE_DATA_DIR: dataDir,
      LOG_LEVEL: "info",
    });
    app = await buildApp({ config, db: database.db, logStream: { write: (line) => lines.push(line) } });
    await app.server.listen({ port, host: "127.0.0.1" });
  });
  afterAll(async () => {
    await app.server.close();
    await database.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("is logged once at warn, without a stack, and the socket is closed with 1009", async () => {
    // The support helpers need only the server, its deps and its config.
    const testApp = { ...app, config: app.deps.config } as unknown as TestApp;
    const seeded = await seedAccount(testApp, "oversize");
    await seedUser(testApp, seeded.account.id, "agent@oversize.example", "agent");
    const cookie = await login(testApp, "agent@oversize.example");

    const socket = new WebSocket(`${origin.replace(/^http/, "ws")}/ws`, { headers: { cookie, origin } });
    const firstMessage = new Promise<void>((resolve) => socket.once("message", () => resolve()));
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    await firstMessage; // the snapshot: the connection is fully open
    const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
    const from = lines.length;
    socket.send("x".repeat(MAX_SOCKET_MESSAGE_BYTES + 1024));
    expect(await closed).toBe(1009);
    await new Promise((r) => setTimeout(r, 100));

    const logged = lines.slice(from).map((l) => JSON.parse(l) as LogLine);
    const aboutIt = logged.filter((l) => JSON.stringify(l).match(/payload|protocol|websocket/i));
    expect(aboutIt).toHaveLength(1);
    const line = aboutIt[0] as LogLine;
    expect(line.level).toBe(40);
    expect(line.wsError).toBe("WS_ERR_UNSUPPORTED_MESSAGE_LENGTH");
    expect(line.err).toBeUndefined();
    expect(JSON.stringify(line)).not.toMatch(/stack|\n\s+at /);
    expect(logged.filter((l) => l.level >= 50)).toEqual([]);
  });
});
