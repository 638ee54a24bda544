import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { Redis } from "ioredis";
import pg from "pg";
import { expect } from "vitest";
import { PG_ADMIN_URL } from "./globalSetup.js";
import { adminRedis, dropPrefix, uniquePrefix } from "./redis.js";

/**
 * Helpgate nodes as real child processes (`node --import tsx src/server/main.ts`), for tests
 * that kill one, restart one, or need several: cluster, crash and reconcile suites.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");

export interface ServerNode {
  name: string;
  url: string;
  ws: string;
  child: ChildProcess;
  output: string[];
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

export function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Starts a node with the given environment (on top of this process's) and waits for /healthz. */
export async function startNode(name: string, env: Record<string, string>): Promise<ServerNode> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ["--import", "tsx", "src/server/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      PUBLIC_URL: url,
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  child.stdout?.on("data", (d: Buffer) => output.push(String(d)));
  child.stderr?.on("data", (d: Buffer) => output.push(String(d)));
  const node: ServerNode = { name, url, ws: `ws://127.0.0.1:${port}/ws`, child, output };
  const deadline = Date.now() + 45_000;
  for (;;) {
    if (exited(child)) throw new Error(`${name} exited during start:\n${output.join("")}`);
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) return node;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not answer /healthz:\n${output.join("")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops a node: SIGTERM, then SIGKILL if it does not go within 3 s. */
export async function stopNode(node: ServerNode): Promise<void> {
  if (exited(node.child)) return;
  node.child.kill("SIGTERM");
  if (!(await waitExit(node.child, 3000))) {
    node.child.kill("SIGKILL");
    await waitExit(node.child, 3000);
  }
}

/** The cookie header a browser would send back, from a response's Set-Cookie headers. */
export function cookieOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
}

/** A same-origin JSON call to one node, as that node's own pages would make it. */
export async function nodeApi<T = Record<string, unknown>>(
  node: ServerNode,
  method: string,
  url: string,
  opts: { cookie?: string; body?: unknown } = {},
): Promise<{ status: number; body: T; res: Response }> {
  const headers: Record<string, string> = { origin: node.url };
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${node.url}${url}`, {
    method,
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T, res };
}

export async function nodeLogin(node: ServerNode, email: string, password: string): Promise<string> {
  const r = await nodeApi(node, "POST", "/api/v1/auth/login", { body: { email, password } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return cookieOf(r.res);
}

export interface ClusterStorage {
  databaseUrl: string;
  prefix: string;
  dataDir: string;
  /** An admin connection to the test's Redis (for presence checks, CLIENT KILL …). */
  redis: Redis;
  drop(): Promise<void>;
}

/** A PostgreSQL database, a Redis key prefix and a data directory of a test's own; `drop` removes all three. */
export async function clusterStorage(label: string): Promise<ClusterStorage> {
  const prefix = uniquePrefix(label);
  const dbName = `helpgate_${label.replace(/\W/g, "_")}_${process.pid}_${randomBytes(4).toString("hex")}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `helpgate-${label}-`));
  const redis = adminRedis();
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${dbName}`;
  return {
    databaseUrl: u.toString(),
    prefix,
    dataDir,
    redis,
    async drop() {
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await a.end();
      await dropPrefix(redis, prefix);
      redis.disconnect();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
