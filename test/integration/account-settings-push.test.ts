import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildApp } from "../../src/server/app.js";
import { RedisBus } from "../../src/server/bus/redisBus.js";
import { RedisPresence } from "../../src/server/bus/redisPresence.js";
import { loadConfig } from "../../src/server/config.js";
import { openDatabase } from "../../src/server/db/database.js";
import type { Account } from "../../src/shared/api.js";
import type { AgentServerMessage } from "../../src/shared/protocol.js";
import { accountOf, expectError } from "../support/api.js";
import { call, type TestApp } from "../support/app.js";
import { createTestDatabase, dialects, type TestDatabase } from "../support/databases.js";
import { adminRedis, dropPrefix, REDIS_URL, uniquePrefix } from "../support/redis.js";
import {
  type Agent,
  type AgentSocket,
  accept,
  ask,
  barrier,
  Clock,
  connectAgent,
  createPortal,
  eventsOf,
  isAlertFor,
  onlineAgent,
  seedAgent,
  seedTenant,
  sessionOf,
  startWorld,
  type Tenant,
  type World,
} from "../support/scenario.js";

type SettingsMessage = Extract<AgentServerMessage, { type: "account.settings" }>;
const isSettings = (m: AgentServerMessage): m is SettingsMessage => m.type === "account.settings";
const settingsOf = (socket: AgentSocket, from = 0) => eventsOf(socket, from).filter(isSettings);

function patchAccount(
  world: World,
  tenant: Tenant,
  body: Record<string, unknown>,
  cookie = tenant.adminCookie,
) {
  return call(world.app, cookie, "PATCH", `/api/v1/accounts/${tenant.account.id}`, body);
}

/**
 * The account's screen-sharing switch (issue 18, part 5): an admin turning it off or on reaches
 * every open console of the account at once, as an `account.settings` message, through the bus —
 * so on every node — and no console of another account. A refused save pushes nothing.
 */
describe.each(dialects())("screen-sharing switch pushed to open consoles on %s", (dialect) => {
  let world: World;
  let tenant: Tenant;
  let other: Tenant;
  let ada: Agent;
  let bea: Agent;
  let otto: Agent;
  const sockets: AgentSocket[] = [];

  beforeAll(async () => {
    world = await startWorld(dialect);
    tenant = await seedTenant(world, "push");
    other = await seedTenant(world, "push-other");
    ada = await seedAgent(world, tenant, "ada");
    bea = await seedAgent(world, tenant, "bea");
    otto = await seedAgent(world, other, "otto");
    // A chat-first portal: switching web chat off is refused (409) while it exists.
    await createPortal(world, tenant, "question", [ada, bea]);
  });

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world.close();
  });

  async function open(agent: Agent, online = false): Promise<AgentSocket> {
    const socket = online ? await onlineAgent(world, agent) : await connectAgent(world, agent);
    sockets.push(socket);
    return socket;
  }

  it("every open console of the account hears the switch at once, in a session too; other accounts hear nothing", async () => {
    const adaWs = await open(ada, true);
    const adaSecondTab = await open(ada);
    const beaWs = await open(bea);
    const ottoWs = await open(otto);
    const first = adaWs.received.find((m) => m.type === "snapshot");
    expect(first?.type === "snapshot" && first.snapshot.upgradeEnabled).toBe(true);

    // Ada is in a session with a customer when the admin switches screen sharing off.
    const portal = await createPortal(world, tenant, "question", [ada], { connectionMode: "direct" });
    const asked = await ask(world, portal.slug, { name: "Carla", question: "My screen?" });
    await adaWs.next(isAlertFor(asked.requestId));
    expect((await accept(world, ada, asked.requestId)).status).toBe(200);
    const session = sessionOf(await adaWs.next((m) => m.type === "session.started"));

    const marks = await Promise.all([adaWs, adaSecondTab, beaWs, ottoWs].map((s) => barrier(s)));
    const off = await patchAccount(world, tenant, { upgradeEnabled: false });
    expect(off.status).toBe(200);
    expect(accountOf(off).upgradeEnabled).toBe(false);
    for (const [i, socket] of [adaWs, adaSecondTab, beaWs].entries()) {
      const got = await socket.next(isSettings, 5000, marks[i]);
      expect(got).toEqual({ type: "account.settings", upgradeEnabled: false });
    }
    // The server refuses what the console no longer offers.
    const from = adaWs.received.length;
    adaWs.send({ type: "share.request", sessionId: session.id });
    const refused = await adaWs.next((m) => m.type === "error", 5000, from);
    expect(refused).toMatchObject({ type: "error", code: "upgrade_disabled" });

    // On again: the same consoles hear it, and "Request screen sharing" works again.
    const on = await patchAccount(world, tenant, { upgradeEnabled: true });
    expect(on.status).toBe(200);
    await expect.poll(() => settingsOf(adaWs, marks[0]).map((m) => m.upgradeEnabled)).toEqual([false, true]);
    await expect.poll(() => settingsOf(beaWs, marks[2]).map((m) => m.upgradeEnabled)).toEqual([false, true]);
    const shareFrom = adaWs.received.length;
    adaWs.send({ type: "share.request", sessionId: session.id });
    await adaWs.next((m) => m.type === "share" && m.state === "requested", 5000, shareFrom);

    // Another account's console heard none of it.
    await barrier(ottoWs);
    expect(settingsOf(ottoWs)).toEqual([]);
  });

  it("pushes only a change of the switch: a rename, a save with the same value or a refused save push nothing", async () => {
    const beaWs = await open(bea);
    const mark = await barrier(beaWs);

    expect((await patchAccount(world, tenant, { name: "Renamed account" })).status).toBe(200);
    expect((await patchAccount(world, tenant, { upgradeEnabled: true })).status).toBe(200);
    // Refused as a whole (the chat-first portal needs web chat): the switch stays on, nothing is pushed.
    expectError(
      await patchAccount(world, tenant, { webChatEnabled: false, upgradeEnabled: false }),
      409,
      "chat_first_portals",
      "webChatEnabled",
      "chat_first_portals",
    );
    const stored = await call(world.app, tenant.adminCookie, "GET", `/api/v1/accounts/${tenant.account.id}`);
    expect((stored.body as Account).upgradeEnabled).toBe(true);
    expect((stored.body as Account).webChatEnabled).toBe(true);
    await barrier(beaWs);
    expect(settingsOf(beaWs, mark)).toEqual([]);

    // A console opened after a change reads it from its snapshot.
    expect((await patchAccount(world, tenant, { upgradeEnabled: false })).status).toBe(200);
    await beaWs.next(isSettings, 5000, mark);
    const late = await open(ada);
    const snap = late.received.find((m) => m.type === "snapshot");
    expect(snap?.type === "snapshot" && snap.snapshot.upgradeEnabled).toBe(false);
    expect((await patchAccount(world, tenant, { upgradeEnabled: true })).status).toBe(200);
    await late.next(isSettings);
  });

  it("bad input, another account's id and a non-admin get a clear 4xx and push nothing", async () => {
    const beaWs = await open(bea);
    const mark = await barrier(beaWs);
    expectError(
      await patchAccount(world, tenant, { upgradeEnabled: "no" }),
      400,
      "validation",
      "upgradeEnabled",
      "wrong_type",
    );
    expectError(
      await patchAccount(world, tenant, { upgradeEnabled: null }),
      400,
      "validation",
      "upgradeEnabled",
    );
    // Another account's admin: that account does not exist for them.
    expectError(
      await patchAccount(world, tenant, { upgradeEnabled: false }, other.adminCookie),
      404,
      "not_found",
    );
    // An agent of the account may not change it.
    expectError(await patchAccount(world, tenant, { upgradeEnabled: false }, bea.cookie), 403, "forbidden");
    await barrier(beaWs);
    expect(settingsOf(beaWs, mark)).toEqual([]);
    const stored = await call(world.app, tenant.adminCookie, "GET", `/api/v1/accounts/${tenant.account.id}`);
    expect((stored.body as Account).upgradeEnabled).toBe(true);
  });
});

/**
 * Two nodes in this process on one PostgreSQL database and one Redis: the admin saves on node 1,
 * the console is open on node 2 and hears the switch there.
 */
describe.skipIf(!inject("postgres") || !inject("redis"))("screen-sharing switch across two nodes", () => {
  const prefix = uniquePrefix("settings");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "helpgate-settings-"));
  const closers: (() => Promise<void>)[] = [];
  const sockets: AgentSocket[] = [];
  let database: TestDatabase;
  let admin: Redis;
  let node1: World;
  let node2: World;

  async function startNode(name: string): Promise<World> {
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
    const log = { info: () => {}, warn: () => {} };
    const bus = new RedisBus({ url: REDIS_URL, prefix, log, nodeId: name });
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
    return {
      live: { app, baseUrl, close },
      app,
      clock,
      wsUrl: `ws://127.0.0.1:${port}/ws`,
      origin: baseUrl,
      close,
    };
  }

  beforeAll(async () => {
    admin = adminRedis();
    database = await createTestDatabase("postgres");
    node1 = await startNode("node-1");
    node2 = await startNode("node-2");
  });

  afterAll(async () => {
    for (const s of sockets) s.socket.terminate();
    for (const close of closers.reverse()) await close().catch(() => {});
    await database.drop();
    await dropPrefix(admin, prefix);
    admin.disconnect();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("an admin's save on node 1 reaches the console on node 2", async () => {
    const tenant = await seedTenant(node1, "cluster-push");
    const agent = await seedAgent(node1, tenant, "nia");
    const other = await seedTenant(node1, "cluster-other");
    const stranger = await seedAgent(node1, other, "sam");
    const onNode2 = await connectAgent(node2, agent);
    const strangerOnNode2 = await connectAgent(node2, stranger);
    sockets.push(onNode2, strangerOnNode2);
    const mark = await barrier(onNode2);

    expect((await patchAccount(node1, tenant, { upgradeEnabled: false })).status).toBe(200);
    expect(await onNode2.next(isSettings, 5000, mark)).toEqual({
      type: "account.settings",
      upgradeEnabled: false,
    });
    expect((await patchAccount(node1, tenant, { upgradeEnabled: true })).status).toBe(200);
    await expect.poll(() => settingsOf(onNode2, mark).map((m) => m.upgradeEnabled)).toEqual([false, true]);
    await barrier(strangerOnNode2);
    expect(settingsOf(strangerOnNode2)).toEqual([]);
  });
});
