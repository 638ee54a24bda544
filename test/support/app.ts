import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { LightMyRequestResponse } from "fastify";
import { type App, buildApp } from "../../src/server/app.js";
import { insertNewAccount } from "../../src/server/commands/accounts.js";
import { type Config, loadConfig } from "../../src/server/config.js";
import type { Dialect, OpenOptions } from "../../src/server/db/database.js";
import { insertNewUser } from "../../src/server/store/newUser.js";
import type { Account, User } from "../../src/shared/api.js";
import type { Mode } from "../../src/shared/model.js";
import { createTestDatabase, type TestDatabase } from "./databases.js";

export const ORIGIN = "http://localhost:3000";
export const PASSWORD = "correct-horse-battery";

export interface TestApp extends App {
  database: TestDatabase;
  config: Config;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** The server's clock (lockouts, session expiry); defaults to Date.now. */
  now?: () => number;
  /** How often the server sweeps overdue requests and codes; 0 switches it off so tests call sweep() themselves. */
  sweepEveryMs?: number;
  /** Called after every statement the server's database runs (see OpenOptions.onQuery). */
  onQuery?: OpenOptions["onQuery"];
}

/** The real server in-process on a real database of its own; requests go through Fastify's inject. */
export async function startTestApp(
  dialect: Dialect,
  env: Record<string, string> = {},
  options: TestAppOptions = {},
): Promise<TestApp> {
  const database = await createTestDatabase(dialect, options.onQuery ? { onQuery: options.onQuery } : {});
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "helpgate-data-"));
  const config = loadConfig({
    PUBLIC_URL: ORIGIN,
    DATABASE_URL: database.url,
    HELPGATE_DATA_DIR: dataDir,
    LOG_LEVEL: "silent",
    ...env,
  });
  const app = await buildApp({
    config,
    db: database.db,
    logger: false,
    ...(options.now ? { now: options.now } : {}),
    ...(options.sweepEveryMs !== undefined ? { sweepEveryMs: options.sweepEveryMs } : {}),
  });
  await app.server.ready();
  return {
    ...app,
    database,
    config,
    close: async () => {
      await app.server.close();
      await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface SeededAccount {
  account: Account;
  admin: User;
}

/** An account with an admin whose password is PASSWORD; emails are made unique by `tag`. */
export async function seedAccount(app: TestApp, tag: string, mode: Mode = "web"): Promise<SeededAccount> {
  const created = await insertNewAccount(app.deps, {
    name: `Account ${tag}`,
    mode,
    admin: { email: `admin@${tag}.test.example`, displayName: `Admin ${tag}`, password: PASSWORD },
  });
  return { account: created.account, admin: created.admin };
}

export async function seedUser(
  app: TestApp,
  accountId: string | null,
  email: string,
  role: User["role"],
): Promise<User> {
  const created = await app.deps.db.kysely
    .transaction()
    .execute((trx) =>
      insertNewUser(
        trx,
        accountId,
        { email, displayName: email.split("@")[0] ?? email, role, password: PASSWORD },
        Date.now(),
      ),
    );
  return created.user;
}

let addressCounter = 0;

/**
 * A client address of its own (10.x.y.z): sign-ins are rate limited per address, so helpers that
 * sign in many times do not trip the limit that the auth tests check on purpose.
 */
export function freshAddress(): string {
  addressCounter += 1;
  return `10.${(addressCounter >> 16) & 255}.${(addressCounter >> 8) & 255}.${addressCounter & 255}`;
}

/** Signs in through the real route and returns the cookie header to send with later requests. */
export async function login(app: TestApp, email: string, password = PASSWORD): Promise<string> {
  const res = await app.server.inject({
    method: "POST",
    url: "/api/v1/auth/login",
    remoteAddress: freshAddress(),
    headers: { origin: new URL(app.config.publicUrl).origin },
    payload: { email, password },
  });
  if (res.statusCode !== 200) throw new Error(`login of ${email} failed: ${res.statusCode} ${res.body}`);
  const cookie = res.cookies.find((c) => c.name === "hg_session");
  if (!cookie) throw new Error("login set no session cookie");
  return `hg_session=${cookie.value}`;
}

export interface Call {
  status: number;
  body: unknown;
  res: LightMyRequestResponse;
}

/** A JSON API call as the admin pages make it: same-origin, with the session cookie. */
export async function call(
  app: TestApp,
  cookie: string | null,
  method: "GET" | "POST" | "PATCH" | "DELETE",
  url: string,
  payload?: unknown,
): Promise<Call> {
  const headers: Record<string, string> = { origin: new URL(app.config.publicUrl).origin };
  if (cookie) headers.cookie = cookie;
  const res = await app.server.inject({
    method,
    url,
    headers,
    ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
  });
  let body: unknown = null;
  try {
    body = res.body ? JSON.parse(res.body) : null;
  } catch {
    body = res.body;
  }
  return { status: res.statusCode, body, res };
}
