import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import SQLite from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentServerMessage, CustomerServerMessage } from "../../src/shared/protocol.js";
import { cookieOf, nodeApi, nodeLogin, type ServerNode, startNode, stopNode } from "../support/nodes.js";
import { isStatus } from "../support/scenario.js";
import { SocketClient } from "../support/ws.js";

/**
 * Issue 17, backups: `helpgate backup` copies a busy SQLite database while customer and agent
 * chat, the copy holds every message acknowledged before it began, and `helpgate restore` brings
 * it back after the server stopped. Bad input gets exit code 1 (refused) or 2 (usage).
 */

const run = promisify(execFile);
const BIN = path.resolve("bin/helpgate.js");
const OPERATOR = { email: "ops@backup.example", password: "backup-operator-pass" };
const PASSWORD = "backup-agent-password";

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(databaseUrl: string, ...args: string[]): Promise<CliResult> {
  try {
    const r = await run(process.execPath, [BIN, ...args], {
      env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: "silent" },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function messagesIn(file: string, sessionId: string): Map<number, string> {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare("select seq, body from messages where session_id = ? order by seq")
      .all(sessionId) as { seq: number; body: string }[];
    return new Map(rows.map((r) => [r.seq, r.body]));
  } finally {
    db.close();
  }
}

describe("backup and restore of a live SQLite database", () => {
  let dataDir = "";
  let dbFile = "";
  let databaseUrl = "";
  const env = (): Record<string, string> => ({
    HELPGATE_DATA_DIR: dataDir,
    HELPGATE_DEMO: "0",
    HELPGATE_ADMIN_EMAIL: OPERATOR.email,
    HELPGATE_ADMIN_PASSWORD: OPERATOR.password,
    // The chat below sends as fast as acks come back: no per-socket or per-sign-in limits.
    HELPGATE_WS_MESSAGES_PER_SECOND: "0",
    HELPGATE_WS_SIGNIN_MESSAGES_PER_SECOND: "0",
  });
  let node: ServerNode | null = null;
  const sockets: { socket: { terminate(): void }; close(): Promise<void> }[] = [];

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "helpgate-backup-"));
    // The default database of the data directory, as an installation without DATABASE_URL has it.
    dbFile = path.join(dataDir, "helpgate.sqlite");
    databaseUrl = `sqlite:${dbFile}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.socket.terminate();
    if (node) await stopNode(node);
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("copies the database while chat runs, then restores it after the server stopped", async () => {
    const server = await startNode("backup node", env());
    node = server;
    const operator = await nodeLogin(server, OPERATOR.email, OPERATOR.password);
    const created = await nodeApi<{ account: { id: string } }>(server, "POST", "/api/v1/accounts", {
      cookie: operator,
      body: {
        name: "Backup Co",
        mode: "web",
        admin: { email: "admin@backup.example", displayName: "Admin", password: PASSWORD },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const accountId = created.body.account.id;
    const user = await nodeApi<{ user: { id: string } }>(
      server,
      "POST",
      `/api/v1/accounts/${accountId}/users`,
      {
        cookie: operator,
        body: { email: "agent@backup.example", displayName: "Agent", role: "agent", password: PASSWORD },
      },
    );
    expect(user.status, JSON.stringify(user.body)).toBe(201);
    const portal = await nodeApi(server, "POST", `/api/v1/accounts/${accountId}/portals`, {
      cookie: operator,
      body: { slug: "backup-chat", type: "question", name: "Backup chat", agentIds: [user.body.user.id] },
    });
    expect(portal.status, JSON.stringify(portal.body)).toBe(201);

    const agentCookie = await nodeLogin(server, "agent@backup.example", PASSWORD);
    const agent = await SocketClient.connect<AgentServerMessage>(server.ws, {
      cookie: agentCookie,
      origin: server.url,
    });
    sockets.push(agent);
    await agent.next((m) => m.type === "snapshot");
    const available = await nodeApi(server, "PUT", "/api/v1/console/availability", {
      cookie: agentCookie,
      body: { available: true },
    });
    expect(available.status).toBe(200);

    const submitted = await nodeApi<{ requestId: string }>(
      server,
      "POST",
      "/api/v1/portals/backup-chat/requests",
      {
        body: { values: { name: "Bea", question: "Is my data safe?" } },
      },
    );
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    const requestId = submitted.body.requestId;
    const customer = await SocketClient.connect<CustomerServerMessage>(
      `${server.ws}?request=${requestId}&since=0`,
      {
        cookie: cookieOf(submitted.res),
        origin: server.url,
      },
    );
    sockets.push(customer);
    await agent.next((m) => m.type === "alert" && m.request.id === requestId);
    const accepted = await nodeApi(server, "POST", `/api/v1/requests/${requestId}/accept`, {
      cookie: agentCookie,
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    await customer.next(isStatus("accepted"));

    // Both sides chat, each message waiting for its ack: `acked` is what the server confirmed, when.
    const acked: { seq: number; body: string; at: number }[] = [];
    let n = 0;
    let stop = false;
    const say = async (from: "customer" | "agent"): Promise<void> => {
      n += 1;
      const ref = `m${n}`;
      const body = `${from} line ${n}`;
      const isAck = (m: { type: string; ref?: string }) =>
        (m.type === "ack" || m.type === "error") && m.ref === ref;
      let ack: AgentServerMessage | CustomerServerMessage;
      if (from === "agent") {
        agent.send({ type: "send", sessionId: requestId, body, ref });
        ack = await agent.next(isAck, 10_000);
      } else {
        customer.send({ type: "send", body, ref });
        ack = await customer.next(isAck, 10_000);
      }
      if (ack.type !== "ack" || ack.seq === undefined)
        throw new Error(`not acknowledged: ${JSON.stringify(ack)}`);
      acked.push({ seq: ack.seq, body, at: Date.now() });
    };
    const chat = (async () => {
      while (!stop) await say(n % 2 === 0 ? "customer" : "agent");
    })();
    // Some history first, so there is something to copy.
    while (acked.length < 40) await new Promise((r) => setTimeout(r, 20));

    const backupFile = path.join(dataDir, "backup-1.sqlite");
    const began = Date.now();
    const ackedBefore = acked.filter((a) => a.at < began);
    const made = await cli(databaseUrl, "backup", backupFile);
    const ended = Date.now();
    // The chat went on while the backup ran.
    expect(acked.some((a) => a.at > began && a.at < ended)).toBe(true);
    stop = true;
    await chat;
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toContain(`to ${backupFile}`);
    expect(made.stdout).toMatch(/KiB|MiB/);
    expect(made.stdout).toMatch(/1 account, 1 request, in \d+ ms/);
    // Nothing half-written beside it.
    expect(fs.readdirSync(dataDir).filter((f) => f.includes(".tmp"))).toEqual([]);

    const copy = new SQLite(backupFile, { readonly: true, fileMustExist: true });
    expect(copy.pragma("integrity_check", { simple: true })).toBe("ok");
    copy.close();
    const inBackup = messagesIn(backupFile, requestId);
    for (const a of ackedBefore) expect(inBackup.get(a.seq), `message ${a.seq}`).toBe(a.body);
    expect(inBackup.size).toBeGreaterThanOrEqual(ackedBefore.length);

    // Bad input while the server runs.
    const again = await cli(databaseUrl, "backup", backupFile);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists.*--force/);
    const whileRunning = await cli(databaseUrl, "restore", backupFile);
    expect(whileRunning.code).toBe(1);
    expect(whileRunning.stderr).toMatch(/in use .*stop it first/);

    // A line after the backup: the restore must take it away again.
    stop = false;
    await say("customer");
    const lastSeq = acked[acked.length - 1]?.seq ?? 0;
    expect(inBackup.has(lastSeq)).toBe(false);

    for (const s of sockets.splice(0)) await s.close();
    await stopNode(server);
    node = null;

    const restored = await cli(databaseUrl, "restore", backupFile);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`to ${dbFile}`);
    expect(restored.stdout).toContain(`1 account, 1 request, ${inBackup.size} messages`);
    expect(fs.existsSync(`${dbFile}-wal`)).toBe(false);

    const back = await startNode("restored node", env());
    node = back;
    // The data is back: the agent signs in, the session's messages are those of the backup.
    await nodeLogin(back, "agent@backup.example", PASSWORD);
    const opCookie = await nodeLogin(back, OPERATOR.email, OPERATOR.password);
    const accounts = await nodeApi<{ id: string; name: string }[]>(back, "GET", "/api/v1/accounts", {
      cookie: opCookie,
    });
    expect(accounts.status).toBe(200);
    expect(accounts.body.map((a) => a.name)).toContain("Backup Co");
    expect(messagesIn(dbFile, requestId)).toEqual(inBackup);
    // The backup file itself was not touched by the restore.
    expect(messagesIn(backupFile, requestId)).toEqual(inBackup);

    // With --force the running server's database is replaced anyway (and the operator told to restart).
    const forced = await cli(databaseUrl, "restore", backupFile, "--force");
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/restart Helpgate now/);
  }, 120_000);

  it("refuses bad input with exit code 1 or 2 and a clear message", async () => {
    const dir = fs.mkdtempSync(path.join(dataDir, "bad-"));
    const url = `sqlite:${path.join(dir, "helpgate.sqlite")}`;
    // A real database to work with: the CLI migrates it on its first command.
    expect((await cli(url, "account", "list")).code).toBe(0);
    const good = path.join(dir, "good.sqlite");
    expect((await cli(url, "backup", good)).code).toBe(0);

    const exists = await cli(url, "backup", good);
    expect(exists.code).toBe(1);
    expect(exists.stderr).toContain("already exists");
    const overwritten = await cli(url, "backup", good, "--force");
    expect(overwritten.code, overwritten.stderr).toBe(0);

    const text = path.join(dir, "notes.txt");
    fs.writeFileSync(text, "this is not a database\n".repeat(10));
    const notDb = await cli(url, "restore", text);
    expect(notDb.code).toBe(1);
    expect(notDb.stderr).toContain("is not a SQLite database");

    const foreign = path.join(dir, "foreign.sqlite");
    const f = new SQLite(foreign);
    f.exec("create table things (id integer primary key)");
    f.close();
    const notOurs = await cli(url, "restore", foreign);
    expect(notOurs.code).toBe(1);
    expect(notOurs.stderr).toContain("not Helpgate's");

    const newer = path.join(dir, "newer.sqlite");
    fs.copyFileSync(good, newer);
    const nd = new SQLite(newer);
    nd.prepare("insert into kysely_migration (name, timestamp) values (?, ?)").run(
      "999_from_the_future",
      new Date().toISOString(),
    );
    nd.close();
    const fromFuture = await cli(url, "restore", newer);
    expect(fromFuture.code).toBe(1);
    expect(fromFuture.stderr).toMatch(/made by a newer Helpgate .*999_from_the_future.*upgrade first/);

    const missing = await cli(url, "restore");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("restore needs a file");
    const missingBackup = await cli(url, "backup");
    expect(missingBackup.code).toBe(2);
    const unknownFlag = await cli(url, "backup", good, "--fast");
    expect(unknownFlag.code).toBe(2);
    const noFile = await cli(url, "restore", path.join(dir, "nope.sqlite"));
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toContain("there is no file");

    const pg = await cli(
      "postgres://postgres@127.0.0.1:5432/helpgate",
      "backup",
      path.join(dir, "pg.sqlite"),
    );
    expect(pg.code).toBe(1);
    expect(pg.stderr).toContain("pg_dump -Fc");
    const pgRestore = await cli("postgres://postgres@127.0.0.1:5432/helpgate", "restore", good);
    expect(pgRestore.code).toBe(1);
    expect(pgRestore.stderr).toContain("pg_restore --clean");

    // None of the refused restores touched the database.
    const after = await cli(url, "account", "list");
    expect(after.code).toBe(0);
    expect(after.stdout).toContain("No accounts yet.");
  }, 60_000);
});
