import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type App, buildApp } from "../../src/server/app.js";
import { silentLog } from "../../src/server/bus/redis.js";
import { RedisBus } from "../../src/server/bus/redisBus.js";
import { loadConfig } from "../../src/server/config.js";
import {
  createMetrics,
  METRICS_ACCOUNTS,
  OTHER_ACCOUNTS,
  watchWaiting,
} from "../../src/server/http/metrics.js";
import type { AgentServerMessage, OfferView } from "../../src/shared/protocol.js";
import { call } from "../support/app.js";
import { startLiveServer } from "../support/browser.js";
import { createTestDatabase, dialects, type TestDatabase } from "../support/databases.js";
import { parseScrape, type Scrape } from "../support/prometheus.js";
import { adminRedis, dropPrefix, REDIS_URL, uniquePrefix, eventually as until } from "../support/redis.js";
import {
  type Agent,
  type AgentSocket,
  accept,
  ask,
  Clock,
  type CustomerSocket,
  connectCustomer,
  createPortal,
  eventually,
  isAlertFor,
  isStatus,
  onlineAgent,
  seedAgent,
  seedTenant,
  type Tenant,
  type World,
} from "../support/scenario.js";

/**
 * The metrics that matter (README, "Metrics"): the real server on one node (SQLite, PostgreSQL)
 * goes through a request, an accept, a lost accept race, chat, a session end and a queue offer
 * timing out; then `/metrics` is scraped with the token and every figure is checked exactly,
 * and that no label carries a user, request or session id.
 */

const TOKEN = "metrics-test-token-0123456789";
const root = path.resolve(import.meta.dirname, "../..");

type Offer = Extract<AgentServerMessage, { type: "offer" }>;

describe.each(dialects())("metrics on %s", (dialect) => {
  let world: World;
  const sockets: { close(): Promise<void> }[] = [];
  const keep = <S extends { close(): Promise<void> }>(s: S): S => {
    sockets.push(s);
    return s;
  };
  /** Every id that must never be a label value: users, requests (= sessions), offers. */
  const secretIds = new Set<string>();

  beforeAll(async () => {
    // A live sweeper (so its passes are timed) on a clock the test moves.
    const clock = new Clock();
    const live = await startLiveServer(
      dialect,
      { HELPGATE_METRICS_TOKEN: TOKEN },
      { now: clock.now, sweepEveryMs: 50 },
    );
    world = {
      live,
      app: live.app,
      clock,
      wsUrl: `${live.baseUrl.replace(/^http/, "ws")}/ws`,
      origin: live.baseUrl,
      close: () => live.close(),
    };
  });
  afterAll(async () => {
    await Promise.allSettled(sockets.map((s) => s.close()));
    await world.close();
  });

  async function scrape(): Promise<Scrape> {
    const res = await world.app.server.inject({
      method: "GET",
      url: "/metrics",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.statusCode).toBe(200);
    return parseScrape(res.body);
  }

  async function agentOf(tenant: Tenant, name: string): Promise<Agent> {
    const agent = await seedAgent(world, tenant, name);
    secretIds.add(agent.user.id);
    return agent;
  }

  /** The agents' consoles open and set available (after their portal exists: a console knows its portals). */
  async function online(...agents: Agent[]): Promise<{ agent: Agent; ws: AgentSocket }[]> {
    const list: { agent: Agent; ws: AgentSocket }[] = [];
    for (const agent of agents) list.push({ agent, ws: keep(await onlineAgent(world, agent)) });
    return list;
  }

  async function customer(slug: string, name: string): Promise<{ requestId: string; ws: CustomerSocket }> {
    const s = await ask(world, slug, { name, question: `Help ${name}` });
    secretIds.add(s.requestId);
    return { requestId: s.requestId, ws: keep(await connectCustomer(world, s.requestId, s.cookie)) };
  }

  let web: Tenant;
  let queue: Tenant;
  let waitingSince = 0;

  it("counts a day's work exactly: alerts, accepts, a lost race, chat, an end, an offer timing out", async () => {
    const before = await scrape();
    expect(before.value("helpgate_ready")).toBe(1);

    // A web-mode account with two agents at a broadcast portal.
    web = await seedTenant(world, "m-web");
    const webAgents = [await agentOf(web, "ann"), await agentOf(web, "ben")];
    const help = await createPortal(world, web, "question", webAgents);
    const [ann, ben] = await online(...webAgents);
    if (!ann || !ben) throw new Error("two consoles expected");

    // A request rings both consoles; Ann accepts, Ben is second: 409, a race lost.
    const c1 = await customer(help.slug, "Carla");
    await ann.ws.next(isAlertFor(c1.requestId));
    await ben.ws.next(isAlertFor(c1.requestId));
    expect((await accept(world, ann.agent, c1.requestId)).status).toBe(200);
    const lost = await accept(world, ben.agent, c1.requestId);
    expect(lost.status).toBe(409);
    expect((lost.body as { error: string }).error).toBe("already_taken");
    await c1.ws.next(isStatus("accepted"));

    // Chat both ways, then Ann ends the session.
    c1.ws.send({ type: "send", body: "It smokes", ref: "c1" });
    expect(await c1.ws.next((m) => m.type === "ack" && m.ref === "c1")).toMatchObject({ seq: 1 });
    ann.ws.send({ type: "send", sessionId: c1.requestId, body: "Unplug it", ref: "a1" });
    expect(await ann.ws.next((m) => m.type === "ack" && m.ref === "a1")).toMatchObject({ seq: 2 });
    expect(
      (await call(world.app, ann.agent.cookie, "POST", `/api/v1/sessions/${c1.requestId}/end`)).status,
    ).toBe(204);
    await c1.ws.next(isStatus("ended"));

    // A second customer rings both again and is left waiting.
    waitingSince = world.clock.now();
    const c2 = await customer(help.slug, "Dora");
    await ann.ws.next(isAlertFor(c2.requestId));
    await ben.ws.next(isAlertFor(c2.requestId));

    // A queue-mode account: an offer times out (clock moved past it) and passes to the other agent.
    queue = await seedTenant(world, "m-queue", "queue");
    const queueAgents = [await agentOf(queue, "cat"), await agentOf(queue, "dan")];
    const patched = await call(
      world.app,
      queue.adminCookie,
      "PATCH",
      `/api/v1/accounts/${queue.account.id}`,
      {
        offerTimeoutSeconds: 5,
      },
    );
    expect(patched.status).toBe(200);
    const line = await createPortal(world, queue, "question", queueAgents);
    const [cat, dan] = await online(...queueAgents);
    if (!cat || !dan) throw new Error("two consoles expected");
    const c3 = await customer(line.slug, "Emil");
    const isOffer = (m: AgentServerMessage) => m.type === "offer" && m.offer.request.id === c3.requestId;
    const first = await Promise.any(
      [cat, dan].map((a, i) => a.ws.next(isOffer).then((m) => ({ i, offer: (m as Offer).offer }))),
    );
    const firstOffer = first.offer;
    secretIds.add(firstOffer.id);
    const [holder, other] = first.i === 0 ? [cat, dan] : [dan, cat];
    world.clock.advance(6000);
    await holder.ws.next(
      (m) => m.type === "offer.closed" && m.offerId === firstOffer.id && m.reason === "timed-out",
    );
    const next: OfferView = ((await other.ws.next(isOffer)) as Offer).offer;
    secretIds.add(next.id);
    expect(
      (await call(world.app, other.agent.cookie, "POST", `/api/v1/offers/${next.id}/accept`)).status,
    ).toBe(200);
    await c3.ws.next(isStatus("accepted"));

    // The sweeper's count is its own (a pass every 50 ms); the offer's time-out is counted by the
    // reaction that runs after the ones that told the agents, so wait for it to have run.
    await eventually(async () => (await scrape()).value("helpgate_offers_timed_out_total") === 1);
    await eventually(async () => (await scrape()).value("helpgate_sweep_duration_seconds_count") > 0);

    const m = await scrape();
    expect(m.value("helpgate_alerts_sent_total")).toBe(4);
    expect(m.value("helpgate_alert_fanout_seconds_count")).toBe(2);
    expect(m.value("helpgate_alert_fanout_seconds_sum")).toBeGreaterThanOrEqual(0);
    expect(m.value("helpgate_accept_races_lost_total")).toBe(1);
    expect(m.value("helpgate_offers_timed_out_total")).toBe(1);
    expect(m.value("helpgate_sessions_started_total", { kind: "broadcast" })).toBe(1);
    expect(m.value("helpgate_sessions_started_total", { kind: "queue" })).toBe(1);
    expect(m.value("helpgate_sessions_started_total", { kind: "targeted" })).toBe(0);
    expect(m.value("helpgate_sessions_started_total", { kind: "code" })).toBe(0);
    expect(m.value("helpgate_sessions_ended_total", { ended_by: "agent" })).toBe(1);
    expect(m.value("helpgate_sessions_ended_total", { ended_by: "customer" })).toBe(0);
    // Four consoles, three customer pages (the first customer's page stays open after the end).
    expect(m.value("helpgate_sockets_open", { kind: "console" })).toBe(4);
    expect(m.value("helpgate_sockets_open", { kind: "customer" })).toBe(3);
    // One node, in-process bus: nothing can fail to publish, nothing is missed.
    expect(m.value("helpgate_bus_publish_failures_total")).toBe(0);
    expect(m.value("helpgate_bus_resyncs_total", { scope: "all" })).toBe(0);
    expect(m.value("helpgate_bus_resyncs_total", { scope: "channels" })).toBe(0);
    expect(m.value("helpgate_socket_resyncs_total")).toBe(0);
    // Dora waits at the web account (since before the clock moved 6 s); the queue account has nobody.
    expect(m.all("helpgate_requests_waiting")).toEqual([
      { name: "helpgate_requests_waiting", labels: { account: web.account.id }, value: 1 },
    ]);
    const longest = m.value("helpgate_requests_waiting_longest_seconds", { account: web.account.id });
    expect(longest).toBeGreaterThanOrEqual(6);
    expect(longest * 1000).toBeLessThanOrEqual(world.clock.now() - waitingSince);
    expect(m.all("helpgate_agents_available")).toEqual([
      { name: "helpgate_agents_available", labels: { account: web.account.id }, value: 2 },
    ]);
    // The outbox (nothing queued: no webhooks, no email set up) and readiness.
    expect(m.value("helpgate_outbox_deliveries", { state: "pending" })).toBe(0);
    expect(m.value("helpgate_outbox_deliveries", { state: "dead" })).toBe(0);
    expect(m.value("helpgate_ready")).toBe(1);
    // HTTP timings by route pattern: the accept route, 200 twice (Ann, and the offer) and 409 once.
    expect(
      m.value("helpgate_http_request_duration_seconds_count", {
        method: "POST",
        route: "/api/v1/requests/:requestId/accept",
        status: "409",
      }),
    ).toBe(1);
    // Event loop and heap, for the dashboard.
    expect(m.families("helpgate_nodejs_eventloop_lag")).toContain(
      "helpgate_nodejs_eventloop_lag_p99_seconds",
    );
    expect(m.value("helpgate_nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
  });

  it("keeps label sets bounded: no user, request, session or offer id in any label", async () => {
    const m = await scrape();
    const ours = m.samples.filter((s) => s.name.startsWith("helpgate_"));
    expect(ours.length).toBeGreaterThan(50);
    const accounts = new Set([web.account.id, queue.account.id, OTHER_ACCOUNTS]);
    const offending: string[] = [];
    for (const s of ours) {
      for (const [label, value] of Object.entries(s.labels)) {
        if ([...secretIds].some((id) => value.includes(id))) offending.push(`${s.name}{${label}="${value}"}`);
        if (label === "account" && !accounts.has(value)) offending.push(`${s.name}{account="${value}"}`);
        if (label === "route" && !(value === "unmatched" || value.startsWith("/")))
          offending.push(`${s.name}{route="${value}"}`);
      }
    }
    expect(offending).toEqual([]);
    // Each of these labels has a fixed set of values.
    const valuesOf = (name: string, label: string) => new Set(m.all(name).map((s) => s.labels[label]));
    expect(valuesOf("helpgate_sockets_open", "kind")).toEqual(new Set(["console", "customer"]));
    expect(valuesOf("helpgate_sessions_started_total", "kind")).toEqual(
      new Set(["broadcast", "targeted", "queue", "code"]),
    );
    expect(valuesOf("helpgate_sessions_ended_total", "ended_by")).toEqual(new Set(["agent", "customer"]));
    expect(valuesOf("helpgate_bus_resyncs_total", "scope")).toEqual(new Set(["all", "channels"]));
    for (const name of [
      "helpgate_requests_waiting",
      "helpgate_requests_waiting_longest_seconds",
      "helpgate_agents_available",
    ]) {
      expect(m.all(name).length).toBeLessThanOrEqual(METRICS_ACCOUNTS + 1);
    }
  });

  it("names at most N accounts: the ones with the most waiting; the rest add up as account=other", async () => {
    // A third account with two customers waiting (one agent there), the web account has one.
    const busy = await seedTenant(world, "m-busy");
    const eve = await agentOf(busy, "eve");
    const portal = await createPortal(world, busy, "question", [eve]);
    await online(eve);
    await customer(portal.slug, "Finn");
    await customer(portal.slug, "Gina");
    // The same gauges on a registry of the test's own, naming one account only.
    const metrics = createMetrics();
    const app = world.app;
    watchWaiting(
      metrics,
      { db: app.deps.db, presence: app.deps.presence, now: app.deps.now },
      { accounts: 1 },
    );
    const m = parseScrape(await metrics.registry.metrics());
    expect(m.all("helpgate_requests_waiting")).toEqual([
      { name: "helpgate_requests_waiting", labels: { account: busy.account.id }, value: 2 },
      { name: "helpgate_requests_waiting", labels: { account: OTHER_ACCOUNTS }, value: 1 },
    ]);
    const other = m.value("helpgate_requests_waiting_longest_seconds", { account: OTHER_ACCOUNTS });
    expect(other * 1000).toBeGreaterThanOrEqual(6000);
    expect(other * 1000).toBeLessThanOrEqual(world.clock.now() - waitingSince);
    // Available agents only for the named accounts (the "other" ones have no single figure).
    expect(m.all("helpgate_agents_available")).toEqual([
      { name: "helpgate_agents_available", labels: { account: busy.account.id }, value: 1 },
    ]);
    // Through /metrics (bound 100) all three accounts with someone waiting are named.
    const full = await scrape();
    expect(new Set(full.all("helpgate_requests_waiting").map((s) => s.labels.account))).toEqual(
      new Set([web.account.id, busy.account.id]),
    );
  });

  it("the dashboard, the alert rules and the README use only metrics the node serves, and list them all", async () => {
    const m = await scrape();
    const served = new Set(m.families("helpgate_"));
    // A histogram's series are its family name plus _bucket, _sum, _count.
    const known = (name: string) =>
      served.has(name) || served.has(name.replace(/_(bucket|sum|count)$/, "")) || served.has(`${name}_total`);
    const named = (text: string) => [...new Set(text.match(/helpgate_[a-z0-9_]+/g) ?? [])];

    const dashboard = JSON.parse(fs.readFileSync(path.join(root, "docs/grafana-dashboard.json"), "utf8")) as {
      panels: { title: string; targets?: { expr: string }[] }[];
      templating: { list: { name: string; type: string }[] };
    };
    expect(dashboard.templating.list.some((v) => v.type === "datasource")).toBe(true);
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(10);
    expect(named(exprs.join("\n")).filter((n) => !known(n))).toEqual([]);

    const alerts = fs.readFileSync(path.join(root, "docs/alerts.yml"), "utf8");
    expect(named(alerts).filter((n) => !known(n))).toEqual([]);
    for (const alert of [
      "HelpgateCustomersWaitingLong",
      "HelpgateNoAgentAvailable",
      "HelpgateBusPublishFailures",
      "HelpgateOutboxDeadDeliveries",
      "HelpgateNodeNotReady",
    ]) {
      expect(alerts).toContain(`alert: ${alert}`);
    }

    // README's "### Metrics" names every family the node serves beyond the process defaults.
    const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
    const start = readme.indexOf("### Metrics");
    const section = readme.slice(start, readme.indexOf("### Backups", start));
    expect(start).toBeGreaterThan(0);
    const own = [...served].filter((n) => !/^helpgate_(process|nodejs)_/.test(n));
    expect(own.filter((n) => !section.includes(n.replace(/_total$/, "")))).toEqual([]);
    expect(named(section).filter((n) => !known(n) && !/^helpgate_(process|nodejs)_/.test(n))).toEqual([]);
  });

  it("says the node is not ready once it drains", async () => {
    world.app.readiness.startDraining();
    expect((await scrape()).value("helpgate_ready")).toBe(0);
  });
});

/** One node on SQLite with the Redis bus the test gives it. */
async function redisNode(
  bus: RedisBus,
): Promise<{ app: App; database: TestDatabase; close(): Promise<void> }> {
  const database = await createTestDatabase("sqlite");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "helpgate-metrics-"));
  const config = loadConfig({
    DATABASE_URL: database.url,
    HELPGATE_DATA_DIR: dataDir,
    HELPGATE_METRICS_TOKEN: TOKEN,
    LOG_LEVEL: "silent",
  });
  const app = await buildApp({
    config,
    db: database.db,
    logger: false,
    bus,
    sweepEveryMs: 0,
    outboxOff: true,
  });
  await app.server.ready();
  return {
    app,
    database,
    close: async () => {
      await app.server.close();
      await bus.close();
      await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function scrapeOf(app: App): Promise<Scrape> {
  const res = await app.server.inject({
    method: "GET",
    url: "/metrics",
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(res.statusCode).toBe(200);
  return parseScrape(res.body);
}

describe.skipIf(!inject("redis"))("metrics of the Redis bus (real Redis)", () => {
  const prefix = uniquePrefix("metrics");
  let admin: Redis;
  beforeAll(() => {
    admin = adminRedis();
  });
  afterAll(async () => {
    await dropPrefix(admin, prefix);
    admin.disconnect();
  });

  it("counts the resyncs a gap and a node's restart cause, and the sockets that caught up", async () => {
    const node = await redisNode(
      new RedisBus({ url: REDIS_URL, prefix, log: silentLog, nodeId: "metrics-a" }),
    );
    try {
      const bus = node.app.deps.bus as RedisBus;
      await bus.ready();
      // A socket of this node on an account's channel (the hub's view of one: its kind and its resync).
      let resynced = 0;
      await node.app.hub.join(
        {
          kind: "console",
          onEvent: () => {},
          resync: async () => {
            resynced += 1;
          },
        },
        "account:metrics",
      );
      const forge = (channel: string, stamp: string, body: unknown) =>
        admin.publish(`${prefix}${channel}`, `${stamp}|${JSON.stringify(body)}`);
      const event = { type: "supervisor.changed", accountId: "metrics" };
      await forge("account:metrics", "other-node|run1|1|0", event);
      await forge("account:metrics", "other-node|run1|5|3", event); // 3 never came: a gap on this channel
      await until(() => resynced === 1, 3000, "the socket's resync after the gap");
      let m = await scrapeOf(node.app);
      expect(m.value("helpgate_bus_resyncs_total", { scope: "channels" })).toBe(1);
      expect(m.value("helpgate_bus_resyncs_total", { scope: "all" })).toBe(0);
      expect(m.value("helpgate_socket_resyncs_total")).toBe(1);
      expect(m.value("helpgate_sockets_open", { kind: "console" })).toBe(1);
      // The other node restarted (a new epoch says hello): every socket here resyncs.
      await forge("bus:control", "other-node|run2|1|0", { hello: true });
      await until(() => resynced === 2, 3000, "the resync after the restart");
      m = await scrapeOf(node.app);
      expect(m.value("helpgate_bus_resyncs_total", { scope: "all" })).toBe(1);
      expect(m.value("helpgate_bus_resyncs_total", { scope: "channels" })).toBe(1);
      expect(m.value("helpgate_socket_resyncs_total")).toBe(2);
      expect(m.value("helpgate_bus_publish_failures_total")).toBe(0);
    } finally {
      await node.close();
    }
  });

  it("counts every publish Redis did not take", async () => {
    // A Redis that is not there (nothing listens on port 1), and no retries: each publish is dropped.
    const bus = new RedisBus({
      url: "redis://127.0.0.1:1",
      prefix,
      log: silentLog,
      publishRetries: 0,
      subscribeWaitMs: 50,
    });
    const node = await redisNode(bus);
    try {
      for (let i = 0; i < 3; i++)
        await bus.publish("account:gone", { type: "portals.changed", accountId: "x" });
      let failures = 0;
      await until(
        async () => {
          failures = (await scrapeOf(node.app)).value("helpgate_bus_publish_failures_total");
          return failures >= 3;
        },
        5000,
        "three failed publishes",
      );
      expect(failures).toBe(3);
    } finally {
      await node.close();
    }
  });
});
