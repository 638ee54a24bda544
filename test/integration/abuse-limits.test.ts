import type { LightMyRequestResponse } from "fastify";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type App, buildApp } from "../../src/server/app.js";
import { insertNewAccount } from "../../src/server/commands/accounts.js";
import { loadConfig } from "../../src/server/config.js";
import { CLOSE_RATE_LIMITED } from "../../src/server/http/socketLimits.js";
import { SUBMIT_WINDOW_MS } from "../../src/server/http/submitLimit.js";
import type { AgentServerMessage } from "../../src/shared/protocol.js";
import { ORIGIN, PASSWORD } from "../support/app.js";
import { createTestDatabase, dialects, type TestDatabase } from "../support/databases.js";
import { dropPrefix, REDIS_URL, uniquePrefix } from "../support/redis.js";
import {
  type Agent,
  accept,
  ask,
  closedWith,
  connectAgent,
  connectCustomer,
  createPortal,
  isStatus,
  onlineAgent,
  seedAgent,
  seedTenant,
  startWorld,
  type Tenant,
  type World,
} from "../support/scenario.js";
import { SocketClient } from "../support/ws.js";

type ErrorFrame = { type: "error"; code: string; message: string; ref?: string; retryAfterMs?: number };
const isError = (m: { type: string }): m is ErrorFrame => m.type === "error";
const limited = (msgs: { type: string }[]) => msgs.filter(isError).filter((m) => m.code === "rate_limited");

async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(dialects())("WebSocket abuse limits (defaults) on %s", (dialect) => {
  let world: World;
  let tenant: Tenant;
  let agent: Agent;
  let portalSlug: string;
  const sockets: { close(): Promise<void> }[] = [];
  const track = <S extends { close(): Promise<void> }>(s: S): S => {
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    world = await startWorld(dialect);
    tenant = await seedTenant(world, "abuse");
    agent = await seedAgent(world, tenant, "ada");
    portalSlug = (await createPortal(world, tenant, "question", [agent])).slug;
    track(await onlineAgent(world, agent));
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world.close();
  });

  it("a chat flood: the burst goes through, each further message gets rate_limited with its ref, and going on closes the socket with 4429", async () => {
    const s = await ask(world, portalSlug, { name: "Flo", question: "Flood?" });
    const cws = track(await connectCustomer(world, s.requestId, s.cookie));
    expect((await accept(world, agent, s.requestId)).status).toBe(200);
    await cws.next(isStatus("accepted"));

    const from = cws.received.length;
    const N = 90;
    for (let i = 0; i < N; i++) cws.send({ type: "send", body: `flood ${i}`, ref: `f${i}` });
    const answered = () =>
      cws.received
        .slice(from)
        .filter((m) => (m.type === "ack" || m.type === "error") && "ref" in m && `${m.ref}`.startsWith("f"))
        .length;
    await eventually(() => answered() === N, "every flood message answered");
    const got = cws.received.slice(from);
    const acks = got.filter((m) => m.type === "ack");
    const refused = limited(got);
    // 60 at once, then 10 a second: the flood took well under a second.
    expect(acks.length).toBeGreaterThanOrEqual(60);
    expect(acks.length).toBeLessThanOrEqual(70);
    expect(refused.length).toBe(N - acks.length);
    for (const e of refused) {
      expect(e.ref).toMatch(/^f\d+$/);
      expect(e.retryAfterMs).toBeGreaterThan(0);
      expect(e.retryAfterMs).toBeLessThanOrEqual(100);
      expect(e.message).toMatch(
        /^Too many messages: this one was not handled\. Send it again in [\d.]+ s\.$/,
      );
    }
    // Only what was acknowledged was stored and delivered.
    const history = await world.app.server.inject({
      method: "GET",
      url: `/api/v1/customer/requests/${s.requestId}/messages?since=0`,
      headers: { cookie: s.cookie, origin: world.origin },
    });
    const stored = historyBodies(history).filter((b) => b.startsWith("flood "));
    expect(stored.length).toBe(acks.length);

    // Going on regardless: after 100 refusals within 10 s the socket is closed.
    for (let i = 0; i < 150; i++) cws.send({ type: "send", body: `more ${i}`, ref: `m${i}` });
    const closed = await closedWith(cws);
    expect(closed).toEqual({ code: CLOSE_RATE_LIMITED, reason: "Too many messages" });
    const last = cws.received.at(-1);
    expect(last).toMatchObject({ type: "error", code: "rate_limited" });
    expect((last as ErrorFrame).message).toContain("this connection is closed");
  });

  it("the allowance refills: after retryAfterMs one more message is handled", async () => {
    const ws = track(await connectAgent(world, await seedAgent(world, tenant, "refill")));
    const from = ws.received.length;
    for (let i = 0; i < 70; i++) ws.send({ type: "nope", ref: `r${i}` });
    await eventually(() => ws.received.length - from >= 70, "70 answers");
    const refused = limited(ws.received.slice(from));
    expect(refused.length).toBeGreaterThanOrEqual(1);
    const wait = refused.at(-1)?.retryAfterMs ?? 0;
    await new Promise((r) => setTimeout(r, wait + 20));
    const before = ws.received.length;
    ws.send({ type: "nope", ref: "again" });
    const answer = (await ws.next(isError, 5000, before)) as ErrorFrame;
    expect(answer.code).toBe("bad_message");
    await ws.close();
  });

  it("all sockets of one sign-in share one allowance (120 at once), each socket its own 60", async () => {
    const shared = await seedAgent(world, tenant, "shared");
    const consoles = await Promise.all([1, 2, 3].map(() => connectAgent(world, shared).then(track)));
    const from = consoles.map((c) => c.received.length);
    for (const c of consoles) for (let i = 0; i < 60; i++) c.send({ type: "nope", ref: `s${i}` });
    await eventually(
      () => consoles.every((c, k) => c.received.length - (from[k] ?? 0) >= 60),
      "every message answered",
    );
    const handled = consoles.map(
      (c, k) =>
        c.received
          .slice(from[k])
          .filter(isError)
          .filter((m) => m.code === "bad_message").length,
    );
    const total = handled.reduce((a, b) => a + b, 0);
    // Before the limits each socket handled all 60 (180); now the sign-in's 120, plus what
    // refilled (20 a second) while the three floods ran.
    expect(total).toBeGreaterThanOrEqual(120);
    expect(total).toBeLessThanOrEqual(135);
    for (const h of handled) expect(h).toBeLessThanOrEqual(60);
    await Promise.all(consoles.map((c) => c.close()));
  });

  it("normal use is far from the limits: a reconnect's resync and history for 3 chats, typing, receipts and a paste", async () => {
    const ws = track(await connectAgent(world, await seedAgent(world, tenant, "normal")));
    const from = ws.received.length;
    const burst: unknown[] = [{ type: "resync" }];
    for (let i = 0; i < 3; i++) {
      const sessionId = `00000000-0000-4000-8000-00000000000${i}`;
      burst.push({ type: "history", sessionId, since: 0 });
      burst.push({ type: "receipt", sessionId, delivered: 1, read: 1 });
      burst.push({ type: "typing", sessionId });
    }
    burst.push({ type: "nope", ref: "paste", body: "x".repeat(5000) });
    for (const m of burst) ws.send(m);
    await ws.next((m) => isError(m) && m.code === "bad_message", 5000, from);
    await new Promise((r) => setTimeout(r, 200));
    expect(ws.received.length - from).toBeGreaterThan(1);
    expect(limited(ws.received.slice(from))).toEqual([]);
    await ws.close();
  });

  it("caps the sockets of one sign-in at 20: the 21st is told and closed with 4429, a freed place can be taken", async () => {
    const other = await seedAgent(world, tenant, "many");
    const open = await Promise.all(Array.from({ length: 20 }, () => connectAgent(world, other).then(track)));
    const extra = track(
      await SocketClient.connect<AgentServerMessage>(world.wsUrl, {
        cookie: other.cookie,
        origin: world.origin,
      }),
    );
    expect(await closedWith(extra)).toEqual({ code: CLOSE_RATE_LIMITED, reason: "Too many connections" });
    expect(extra.received).toEqual([
      {
        type: "error",
        code: "too_many_sockets",
        message: "Too many connections for this sign-in. Close some Helpgate tabs, then reload.",
      },
    ]);
    // Another sign-in of the same user is another allowance.
    expect(
      (
        await connectAgent(world, { ...other, cookie: (await seedAgentCookie(world, other)).cookie }).then(
          track,
        )
      ).received[0]?.type,
    ).toBe("snapshot");
    await open[0]?.close();
    let again: SocketClient<AgentServerMessage> | null = null;
    for (let i = 0; i < 50 && !again; i++) {
      const tryOne = track(
        await SocketClient.connect<AgentServerMessage>(world.wsUrl, {
          cookie: other.cookie,
          origin: world.origin,
        }),
      );
      const first = await tryOne.next(() => true, 5000);
      if (first.type === "snapshot") again = tryOne;
      else await new Promise((r) => setTimeout(r, 20));
    }
    expect(again).not.toBeNull();
    await Promise.all(open.map((s) => s.close()));
  });
});

/** A second sign-in of the same user (another cookie). */
async function seedAgentCookie(world: World, agent: Agent): Promise<Agent> {
  const res = await world.app.server.inject({
    method: "POST",
    url: "/api/v1/auth/login",
    remoteAddress: "10.200.0.1",
    headers: { origin: world.origin },
    payload: { email: agent.user.email, password: PASSWORD },
  });
  const cookie = res.cookies.find((c) => c.name === "hg_session");
  if (!cookie) throw new Error(`no second sign-in: ${res.statusCode} ${res.body}`);
  return { ...agent, cookie: `hg_session=${cookie.value}` };
}

function historyBodies(res: LightMyRequestResponse): string[] {
  const body = JSON.parse(res.body) as { messages?: { body: string }[] } | { body: string }[];
  const list = Array.isArray(body) ? body : (body.messages ?? []);
  return list.map((m) => m.body);
}

describe.each(dialects())("per-address limits (small settings, behind a proxy) on %s", (dialect) => {
  let world: World;
  let tenant: Tenant;
  let agent: Agent;
  let question: string;
  let other: string;
  let german: string;
  const sockets: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    world = await startWorld(dialect, {
      TRUST_PROXY: "1",
      HELPGATE_WS_SOCKETS_PER_ADDRESS: "3",
      HELPGATE_SUBMITS_PER_ADDRESS: "5",
    });
    tenant = await seedTenant(world, "nat");
    agent = await seedAgent(world, tenant, "nat-agent");
    question = (await createPortal(world, tenant, "question", [agent])).slug;
    other = (await createPortal(world, tenant, "question", [agent])).slug;
    german = (await createPortal(world, tenant, "question", [agent], { language: "de" })).slug;
    sockets.push(await onlineAgent(world, agent));
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world.close();
  });

  const submit = (slug: string, address: string, kind: "requests" | "offline" = "requests") =>
    world.app.server.inject({
      method: "POST",
      url: `/api/v1/portals/${slug}/${kind}`,
      headers: { origin: world.origin, "x-forwarded-for": address },
      payload: { values: { name: "Nat", email: "nat@example.com", question: "Help from behind a NAT" } },
    });

  it("caps the sockets of one client address; other addresses are not affected", async () => {
    const open = (address: string) =>
      SocketClient.connect<AgentServerMessage>(world.wsUrl, {
        cookie: agent.cookie,
        origin: world.origin,
        "x-forwarded-for": address,
      }).then((s) => {
        sockets.push(s);
        return s;
      });
    const three = await Promise.all([1, 2, 3].map(() => open("203.0.113.50")));
    for (const s of three) await s.next((m) => m.type === "snapshot");
    const fourth = await open("203.0.113.50");
    expect(await closedWith(fourth)).toEqual({ code: CLOSE_RATE_LIMITED, reason: "Too many connections" });
    expect(fourth.received[0]).toMatchObject({
      type: "error",
      code: "too_many_sockets",
      message: "Too many connections from your network address. Try again in a minute.",
    });
    const elsewhere = await open("203.0.113.51");
    expect((await elsewhere.next(() => true)).type).toBe("snapshot");
  });

  it("limits requests per address per portal: the 6th in 10 minutes gets 429 with Retry-After; other addresses and portals go on", async () => {
    const address = "198.51.100.10";
    for (let i = 0; i < 5; i++) expect((await submit(question, address)).statusCode).toBe(201);
    const refused = await submit(question, address);
    expect(refused.statusCode).toBe(429);
    expect(JSON.parse(refused.body)).toEqual({
      error: "too_many_submits",
      message:
        "Too many requests from your network to this page in a short time. Please try again in 10 minutes.",
    });
    const retry = Number(refused.headers["retry-after"]);
    expect(retry).toBeGreaterThan(SUBMIT_WINDOW_MS / 1000 - 60);
    expect(retry).toBeLessThanOrEqual(SUBMIT_WINDOW_MS / 1000);
    // Offline messages count together with requests (they fill the console's offline pane).
    expect((await submit(question, address, "offline")).statusCode).toBe(429);
    // Another address, another portal: their own counts.
    expect((await submit(question, "198.51.100.11")).statusCode).toBe(201);
    expect((await submit(other, address)).statusCode).toBe(201);
  });

  it("the portal form without JavaScript answers 429 in the portal's language, keeping what was typed", async () => {
    const address = "198.51.100.30";
    const post = () =>
      world.app.server.inject({
        method: "POST",
        url: `/p/${german}`,
        headers: {
          origin: world.origin,
          "x-forwarded-for": address,
          "content-type": "application/x-www-form-urlencoded",
        },
        payload: "name=Nat&question=Drucker+brennt",
      });
    for (let i = 0; i < 5; i++) expect((await post()).statusCode).toBe(303);
    const refused = await post();
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    expect(refused.headers["content-type"]).toMatch(/^text\/html/);
    expect(refused.body).toContain(
      "Zu viele Anfragen aus Ihrem Netzwerk an diese Seite in kurzer Zeit. Bitte versuchen Sie es in 10 Minuten noch einmal.",
    );
    expect(refused.body).toContain("Drucker brennt");
    // The offline form too.
    const offline = await world.app.server.inject({
      method: "POST",
      url: `/p/${german}/offline`,
      headers: {
        origin: world.origin,
        "x-forwarded-for": address,
        "content-type": "application/x-www-form-urlencoded",
      },
      payload: "name=Nat&email=nat%40example.com&question=Bitte+melden",
    });
    expect(offline.statusCode).toBe(429);
    expect(offline.body).toContain("Zu viele Anfragen aus Ihrem Netzwerk");
  });

  it("offline messages alone are limited the same way", async () => {
    const address = "198.51.100.20";
    for (let i = 0; i < 5; i++) expect((await submit(other, address, "offline")).statusCode).toBe(201);
    const refused = await submit(other, address, "offline");
    expect(refused.statusCode).toBe(429);
    expect(JSON.parse(refused.body)).toMatchObject({ error: "too_many_submits" });
    // The window ends 10 minutes after the first submit (last in this file: the clock moves on).
    world.clock.advance(SUBMIT_WINDOW_MS);
    expect((await submit(other, address, "offline")).statusCode).toBe(201);
  });
});

describe.each(inject("redis") ? dialects() : [])("submit limit across a cluster's nodes on %s", (dialect) => {
  let database: TestDatabase;
  let nodes: App[] = [];
  let redis: Redis;
  const prefix = uniquePrefix("submits");
  let slug: string;

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    database = await createTestDatabase(dialect);
    const config = loadConfig({
      PUBLIC_URL: ORIGIN,
      DATABASE_URL: database.url,
      LOG_LEVEL: "silent",
      TRUST_PROXY: "1",
      HELPGATE_REDIS_PREFIX: prefix,
      HELPGATE_SUBMITS_PER_ADDRESS: "4",
    });
    // Two nodes on one database, counting submits in one Redis (the sign-in limit's connection).
    const node = () =>
      buildApp({ config, db: database.db, logger: false, rateLimitRedis: redis, sweepEveryMs: 0 });
    nodes = [await node(), await node()];
    await Promise.all(nodes.map((n) => n.server.ready()));
    const first = nodes[0] as App;
    const created = await insertNewAccount(first.deps, {
      name: "Cluster submits",
      mode: "web",
      admin: { email: `admin@cluster-${process.pid}.test.example`, displayName: "Admin", password: PASSWORD },
    });
    const login = await first.server.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      headers: { origin: ORIGIN },
      payload: { email: created.admin.email, password: PASSWORD },
    });
    const cookie = login.cookies.find((c) => c.name === "hg_session")?.value ?? "";
    const portal = await first.server.inject({
      method: "POST",
      url: `/api/v1/accounts/${created.account.id}/portals`,
      headers: { origin: ORIGIN, cookie: `hg_session=${cookie}` },
      payload: { slug: `cluster-${process.pid}`, type: "question", name: "Cluster", agentIds: [] },
    });
    expect(portal.statusCode).toBe(201);
    slug = (JSON.parse(portal.body) as { slug: string }).slug;
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.server.close()));
    await database?.drop();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it("counts one address's submits on every node together", async () => {
    const offline = (app: App) =>
      app.server.inject({
        method: "POST",
        url: `/api/v1/portals/${slug}/offline`,
        headers: { origin: ORIGIN, "x-forwarded-for": "192.0.2.99" },
        payload: { values: { name: "Nat", email: "nat@example.com", question: "Across nodes" } },
      });
    const [a, b] = nodes as [App, App];
    const statuses: number[] = [];
    for (const app of [a, b, a, b, a, b]) statuses.push((await offline(app)).statusCode);
    expect(statuses).toEqual([201, 201, 201, 201, 429, 429]);
    const row = await database.db.kysely
      .selectFrom("portals")
      .select("id")
      .where("slug", "=", slug)
      .executeTakeFirst();
    expect(await redis.exists(`${prefix}rate-limit:submit:${row?.id}:192.0.2.99`)).toBe(1);
  });
});
