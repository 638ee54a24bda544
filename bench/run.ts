/**
 * `npm run bench [-- --quick] [--agents A] [--customers C] [--sessions S] [--cluster] [--out file.json]`
 * `npm run bench -- --history N[,N…] [--cluster]` (`npm run bench:history [-- --cluster]`): reports,
 * the CSV export and the hot paths against N requests of history
 * `npm run bench -- --overload [--sessions S] [--overload-connections N] [--overload-seconds N]`:
 * one node with S chats open pushed past its limit by a flood of new HTTP requests, load
 * shedding on and off
 * (`--help` lists every flag; the README's Performance section explains what is measured.)
 *
 * Starts a bare `ws` baseline server and then Helpgate (one node, SQLite), each as its own
 * process, and drives each from this process over real HTTP and WebSockets the way browsers do:
 * A agents with their console sockets, C idle customers connected, alerts and accept races, S chat
 * sessions, and the portal page under autocannon; with --cluster also one node and three nodes on
 * PostgreSQL + Redis. Then the outbox's webhooks: the alert phase once more with an endpoint
 * subscribed to every event type (against the same phase without), the throughput of one node's
 * OutboxWorker through a backlog of pending rows (SQLite, and PostgreSQL when it is reachable),
 * and commit → receiver latency of real events. Prints p50/p95/p99/max beside the targets and
 * writes the figures as JSON (and the tables as Markdown next to it).
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { sql } from "kysely";
import pg from "pg";
import type WebSocket from "ws";
import { insertNewPortal } from "../src/server/commands/portals.js";
import { openDatabase } from "../src/server/db/database.js";
import { findAccount } from "../src/server/store/accounts.js";
import { WEBHOOK_EVENT_TYPES } from "../src/shared/api.js";
import { Crowd } from "./lib/crowd.js";
import { BaselineDriver, type Driver, HelpgateDriver } from "./lib/drivers.js";
import { type ExplainedStatement, explainReports, plansText } from "./lib/explain.js";
import { Fleet } from "./lib/fleet.js";
import {
  type ExportRun,
  type HistoryCounts,
  seedHistory,
  submitOnce,
  timeConsoleSnapshots,
  timeExport,
  timeGets,
  timeSubmits,
} from "./lib/history.js";
import { FloodClient, type OverloadResult, overloadPhase, WINDOWS } from "./lib/overload.js";
import {
  type AlertResult,
  alertPhase,
  type ChatResult,
  type CpuUse,
  chatPhase,
  connectAgents,
  cpuMeter,
  type MemoryResult,
  memoryPhase,
  openChats,
  waitForQuiet,
} from "./lib/phases.js";
import { PortalClient, type PortalRun } from "./lib/portal.js";
import { type Child, fileLimits, freePort, rssBytes, spawnNode, waitReady } from "./lib/proc.js";
import { fmt, markdownTable, type Summary, summarize, table } from "./lib/stats.js";
import { log, sleep, withTimeout } from "./lib/util.js";
import {
  type AlertWebhookStats,
  countTypes,
  createWebhook,
  deleteWebhook,
  type LatencyResult,
  latencyPhase,
  type ThroughputResult,
  throughputPhase,
  WebhookReceiver,
} from "./lib/webhooks.js";
import { QUESTION_SLUG, type Seed, seed } from "./seed.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const TARGETS = {
  alertP99Ms: 25,
  alertVsBaseline: 2,
  chatP99Ms: 20,
  kbPerIdleCustomer: 60,
  portalP99Ms: 10,
  portalRate: 1000,
  webhooksPerSecond: 1000,
  webhookP99Ms: 200,
  /** Alert p99 with webhooks on for every event type, at most this much above the same phase without. */
  webhookAlertPercent: 10,
};

interface Options {
  agents: number;
  customers: number;
  sessions: number;
  rounds: number;
  roundGapMs: number;
  chatSeconds: number;
  chatIntervalMs: number;
  portalSeconds: number;
  portalConnections: number;
  memorySteps: number;
  quick: boolean;
  baseline: boolean;
  cluster: boolean;
  profile: boolean;
  nodeArgs: string[];
  /** HELPGATE_PORTAL_PAGE_CACHE_MS for the servers; null: their default. */
  portalCacheMs: number | null;
  /** --history: sizes of the account's history to time the console snapshot against (empty: the usual run). */
  history: number[];
  historyCalls: number;
  /** --history: calls of each 30-day report (after 5 unmeasured), exports of requests.csv, node starts. */
  historyReportCalls: number;
  historyExports: number;
  historyStarts: number;
  /** --overload: instead of the phases, one node pushed past its limit, shedding on and off. */
  overload: boolean;
  overloadConnections: number;
  overloadSeconds: number;
  /** The event-loop delay limits (HELPGATE_SHED_EVENT_LOOP_DELAY_MS) of the runs with shedding on. */
  overloadDelayMs: number[];
  /** The webhook phases (--no-webhooks: none of them). */
  webhooks: boolean;
  webhookDeliveries: number;
  webhookRate: number;
  webhookSeconds: number;
  out: string;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      agents: { type: "string" },
      customers: { type: "string" },
      sessions: { type: "string" },
      rounds: { type: "string" },
      "round-gap-ms": { type: "string" },
      "chat-seconds": { type: "string" },
      "chat-interval-ms": { type: "string" },
      "portal-seconds": { type: "string" },
      "portal-connections": { type: "string" },
      quick: { type: "boolean", default: false },
      cluster: { type: "boolean", default: false },
      "no-baseline": { type: "boolean", default: false },
      profile: { type: "boolean", default: false },
      "node-arg": { type: "string", multiple: true },
      "portal-cache-ms": { type: "string" },
      history: { type: "string" },
      "history-calls": { type: "string" },
      "history-report-calls": { type: "string" },
      "history-exports": { type: "string" },
      "history-starts": { type: "string" },
      overload: { type: "boolean", default: false },
      "overload-connections": { type: "string" },
      "overload-seconds": { type: "string" },
      "overload-delay-ms": { type: "string" },
      "no-webhooks": { type: "boolean", default: false },
      "webhook-deliveries": { type: "string" },
      "webhook-rate": { type: "string" },
      "webhook-seconds": { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(
      [
        "npm run bench -- [--quick] [--agents A] [--customers C] [--sessions S] [--out results.json]",
        "  --rounds N             alert/accept rounds (default 100; quick 20)",
        "  --round-gap-ms N       pause after each round (default 100; quick 50)",
        "  --chat-seconds N       chat phase length (default 30; quick 6)",
        "  --chat-interval-ms N   one message per session every N ms, alternating sides (default 3000; quick 2000)",
        "  --portal-seconds N     each autocannon run (default 10; quick 3)",
        "  --portal-connections N autocannon connections (default 10)",
        "  --no-baseline          skip the bare ws baseline",
        "  --cluster              also run one node on PostgreSQL and 3 nodes on PostgreSQL + Redis\n" +
          "                         (HELPGATE_BENCH_PG_URL, HELPGATE_BENCH_REDIS_URL)",
        "  --profile              run Helpgate with --cpu-prof (profile in the run's temp directory)",
        "  --node-arg ARG         an extra node option for the Helpgate server, e.g. --node-arg=--trace-gc",
        "  --portal-cache-ms N    HELPGATE_PORTAL_PAGE_CACHE_MS of the servers (default: theirs, 1000;\n" +
          "                         0 measures every portal view rendered afresh)",
        "  --history N[,N…]       instead of the phases above: for each N, seed N requests of history\n" +
          "                         (transitions, sessions with outcomes and ratings, messages, offers; 10\n" +
          "                         portals, 2,500 a day as 1M over 400 days, 200 of them today: a smaller N\n" +
          "                         is the same account younger) into the bench account and\n" +
          "                         time: the console snapshot, the 30-day summary/agents/days reports, the\n" +
          "                         requests.csv export of ~100,000 requests (rows/s, server RSS growth), a\n" +
          "                         portal page without cache, a chat message, a submit and server start —\n" +
          "                         on SQLite (with --cluster also one PostgreSQL node); A defaults to 20\n" +
          "                         agents here (npm run bench:history: 10k/100k/1M, A = 50)",
        "  --history-calls N      console snapshots, portal pages, chat messages, submits timed per size\n" +
          "                         (default 200, after 10 unmeasured)",
        "  --history-report-calls N  calls of each report per size (default 50, after 5 unmeasured)",
        "  --history-exports N    requests.csv downloads per size (default 3)",
        "  --history-starts N     node starts timed per size (default 5)",
        "  --overload             instead of the phases above: one node (SQLite) with S chat sessions\n" +
          "                         (default 100 over A = 20 agents, one message per session every\n" +
          "                         --chat-interval-ms, default 1000) pushed past its limit by autocannon\n" +
          "                         against the uncached portal page; chat before/during/after the flood,\n" +
          "                         requests served/shed/failed, recovery — load shedding on (each\n" +
          "                         --overload-delay-ms) and off",
        "  --overload-connections N  the flood's autocannon connections (default 2000)",
        "  --overload-seconds N   how long the flood lasts (default 20; quick 8)",
        "  --overload-delay-ms N[,N…]  one run with shedding on per event-loop delay limit\n" +
          "                         (HELPGATE_SHED_EVENT_LOOP_DELAY_MS; default 1000,250), then one off",
        "  --no-webhooks          skip the webhook phases (alerts with webhooks on, outbox throughput, latency)",
        "  --webhook-deliveries N pending webhook rows one node's outbox worker delivers (default 20000; quick 2000)",
        "  --webhook-rate N       events per second for the commit → receiver latency (default 20)",
        "  --webhook-seconds N    length of the latency phase (default 30; quick 5)",
        "",
      ].join("\n"),
    );
    process.exit(0);
  }
  const q = values.quick;
  const int = (v: string | undefined, fallback: number, name: string) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number ≥ 0`);
    return n;
  };
  const date = new Date().toISOString().replace(/[:]/g, "-").replace(/\..+$/, "");
  const history = (values.history ?? "")
    .split(",")
    .filter((v) => v.trim() !== "")
    .map((v) => {
      const n = Number(v.replace(/_/g, ""));
      if (!Number.isInteger(n) || n < 1)
        throw new Error("--history takes whole numbers ≥ 1, e.g. 10000,100000");
      return n;
    });
  return {
    agents: Math.max(
      1,
      int(values.agents, history.length > 0 || values.overload ? 20 : q ? 50 : 500, "agents"),
    ),
    customers: int(values.customers, values.overload ? 0 : q ? 500 : 10_000, "customers"),
    sessions: int(values.sessions, q || values.overload ? 100 : 2000, "sessions"),
    rounds: int(values.rounds, q ? 20 : 100, "rounds"),
    roundGapMs: int(values["round-gap-ms"], q ? 50 : 100, "round-gap-ms"),
    chatSeconds: int(values["chat-seconds"], q ? 6 : 30, "chat-seconds"),
    chatIntervalMs: Math.max(
      100,
      int(values["chat-interval-ms"], values.overload ? 1000 : q ? 2000 : 3000, "chat-interval-ms"),
    ),
    portalSeconds: Math.max(1, int(values["portal-seconds"], q ? 3 : 10, "portal-seconds")),
    portalConnections: Math.max(1, int(values["portal-connections"], 10, "portal-connections")),
    memorySteps: q ? 2 : 5,
    quick: q,
    baseline: !values["no-baseline"],
    cluster: values.cluster,
    profile: values.profile,
    nodeArgs: values["node-arg"] ?? [],
    portalCacheMs:
      values["portal-cache-ms"] === undefined
        ? null
        : int(values["portal-cache-ms"], 1000, "portal-cache-ms"),
    history,
    historyCalls: Math.max(1, int(values["history-calls"], 200, "history-calls")),
    historyReportCalls: Math.max(1, int(values["history-report-calls"], 50, "history-report-calls")),
    historyExports: Math.max(1, int(values["history-exports"], 3, "history-exports")),
    historyStarts: Math.max(1, int(values["history-starts"], 5, "history-starts")),
    overload: values.overload,
    overloadConnections: Math.max(1, int(values["overload-connections"], 2000, "overload-connections")),
    overloadDelayMs: (values["overload-delay-ms"] ?? "1000,250")
      .split(",")
      .filter((v) => v.trim() !== "")
      .map((v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 60_000)
          throw new Error("--overload-delay-ms takes whole milliseconds from 1 to 60000, e.g. 1000,250");
        return n;
      }),
    overloadSeconds: Math.max(1, int(values["overload-seconds"], q ? 8 : 20, "overload-seconds")),
    webhooks: !values["no-webhooks"],
    webhookDeliveries: Math.max(
      1,
      int(values["webhook-deliveries"], q ? 2000 : 20_000, "webhook-deliveries"),
    ),
    webhookRate: Math.max(1, int(values["webhook-rate"], 20, "webhook-rate")),
    webhookSeconds: Math.max(1, int(values["webhook-seconds"], q ? 5 : 30, "webhook-seconds")),
    out: path.resolve(values.out ?? path.join(ROOT, "bench/results", `${date}.json`)),
  };
}

/**
 * This process holds one socket per agent and chat customer, plus the agents' HTTP connections;
 * the idle customers' process one per idle customer; the server all of them. Node raises its soft
 * open-file limit to the hard one when it starts; should the soft limit still be short, re-run
 * under `ulimit -n <hard>`, and when even the hard limit is too low, say so plainly instead of
 * failing halfway with EMFILE.
 */
function ensureFileLimit(o: Options): void {
  const need = 2 * o.agents + o.customers + 2 * o.sessions + 512;
  const { soft, hard } = fileLimits();
  if (!Number.isFinite(soft) || soft >= need) return;
  if (hard >= need && process.env.HELPGATE_BENCH_FD_RAISED !== "1") {
    log(`raising the open-file limit from ${soft} to ${hard} (need about ${need})`);
    const r = spawnSync(
      "/bin/sh",
      [
        "-c",
        'ulimit -n "$(ulimit -Hn)" && exec "$0" "$@"',
        process.execPath,
        ...process.execArgv,
        ...process.argv.slice(1),
      ],
      { stdio: "inherit", env: { ...process.env, HELPGATE_BENCH_FD_RAISED: "1" } },
    );
    process.exit(r.status ?? 1);
  }
  throw new Error(
    `this run needs about ${need} open files but the limit is ${soft} (hard ${hard}); ` +
      "raise it (ulimit -n) or choose smaller --agents/--customers/--sessions",
  );
}

interface TargetResult {
  name: TargetName;
  startupMs: number;
  memory: MemoryResult;
  alerts: AlertResult;
  /** The alert phase again with an endpoint subscribed to every webhook event type (helpgate only). */
  alertsWebhooks?: AlertResult;
  /** And once more without, after it: how far the p99 moves between two runs of the same phase. */
  alertsOffAgain?: AlertResult;
  alertWebhookStats?: AlertWebhookStats;
  chatSetupMs: number;
  chat: ChatResult;
  portal?: { fixed: PortalRun; paced: PortalRun; max: PortalRun };
  socketErrors: number;
  socketErrorExamples: string[];
  finalRssBytes: number;
}

type TargetName = "helpgate" | "baseline" | "postgres" | "cluster";

async function runTarget(
  o: Options,
  name: TargetName,
  children: Child[],
  driver: Driver,
  startupMs: number,
  portalUrl: string | null,
  webhooks: { base: string; seeded: Seed; receiver: WebhookReceiver } | null = null,
): Promise<TargetResult> {
  const fleet = new Fleet();
  const crowd = Crowd.start(ROOT);
  // CPU is summed over every server process; RSS is the first's (where the customers connect).
  const pids = children.map((c) => c.pid);
  try {
    log(`${name}: ${o.agents} agents sign in (console socket, snapshot, available)`);
    await connectAgents(driver, fleet);
    log(`${name}: memory — 0 → ${o.customers} idle customer sockets (held by a process of their own)`);
    const memory = await memoryPhase(driver, crowd, pids, o.customers, o.memorySteps, o.quick ? 1000 : 2000);
    await waitForQuiet(pids, o.quick ? 2000 : 30_000);
    log(`${name}: ${o.rounds} alert rounds, each followed by an accept race of all ${o.agents} agents`);
    const alerts = await alertPhase(driver, fleet, pids, o.rounds, o.roundGapMs);
    let alertsWebhooks: AlertResult | undefined;
    let alertWebhookStats: AlertWebhookStats | undefined;
    let alertsOffAgain: AlertResult | undefined;
    if (webhooks) {
      // The same phase with an endpoint for every event type: each round queues request.submitted,
      // request.ended, session.started and session.ended in the commands' transactions.
      const hook = await createWebhook(
        webhooks.base,
        webhooks.seeded,
        webhooks.receiver.url,
        WEBHOOK_EVENT_TYPES,
        "bench: alerts",
      );
      webhooks.receiver.reset(hook.secret);
      const stats = countTypes(webhooks.receiver);
      await waitForQuiet(pids, o.quick ? 2000 : 30_000);
      log(`${name}: ${o.rounds} alert rounds again, webhooks on for every event type`);
      alertsWebhooks = await alertPhase(driver, fleet, pids, o.rounds, o.roundGapMs);
      await sleep(500);
      alertWebhookStats = stats();
      await deleteWebhook(webhooks.base, webhooks.seeded, hook.id);
      await waitForQuiet(pids, o.quick ? 2000 : 30_000);
      log(`${name}: ${o.rounds} alert rounds once more without webhooks (the run-to-run spread)`);
      alertsOffAgain = await alertPhase(driver, fleet, pids, o.rounds, o.roundGapMs);
      log(
        `${name}: alert p99 ${fmt(alerts.alertAll.p99)} ms without webhooks, ${fmt(alertsWebhooks.alertAll.p99)} ms with (${alertWebhookStats.received} deliveries received), ${fmt(alertsOffAgain.alertAll.p99)} ms without again`,
      );
    }
    log(`${name}: opening ${o.sessions} chat sessions`);
    const t0 = performance.now();
    const chats = await openChats(driver, fleet, o.sessions);
    const chatSetupMs = Math.round(performance.now() - t0);
    await waitForQuiet(pids, o.quick ? 2000 : 30_000);
    log(`${name}: chat for ${o.chatSeconds} s, one message per session every ${o.chatIntervalMs} ms`);
    const chat = await chatPhase(fleet, chats, pids, o.chatSeconds, o.chatIntervalMs);
    let portal: TargetResult["portal"];
    if (portalUrl) {
      log(
        `${name}: portal page from a client process of its own, warm-up, then ${TARGETS.portalRate} req/s and flat out (${o.portalSeconds} s each)`,
      );
      const client = PortalClient.start(ROOT);
      try {
        await client.autocannon(portalUrl, pids, 1, TARGETS.portalRate, o.portalConnections);
        await waitForQuiet(pids, o.quick ? 2000 : 30_000);
        const fixed = await client.autocannon(
          portalUrl,
          pids,
          o.portalSeconds,
          TARGETS.portalRate,
          o.portalConnections,
        );
        const paced = await client.paced(portalUrl, pids, o.portalSeconds, TARGETS.portalRate);
        const max = await client.autocannon(portalUrl, pids, o.portalSeconds, null, o.portalConnections);
        portal = { fixed, paced, max };
      } finally {
        await client.stop();
      }
    }
    const finalRssBytes = rssBytes(pids[0] ?? 0);
    for (const c of chats) c.customer.terminate();
    await crowd.stop();
    return {
      name,
      startupMs,
      memory,
      alerts,
      ...(alertsWebhooks ? { alertsWebhooks } : {}),
      ...(alertWebhookStats ? { alertWebhookStats } : {}),
      ...(alertsOffAgain ? { alertsOffAgain } : {}),
      chatSetupMs,
      chat,
      ...(portal ? { portal } : {}),
      socketErrors: fleet.errors + crowd.errorCount,
      socketErrorExamples: [...fleet.errorExamples, ...crowd.errorExamples],
      finalRssBytes,
    };
  } finally {
    fleet.closeAll();
    await crowd.stop();
  }
}

async function runBaseline(o: Options, dir: string): Promise<TargetResult> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const child = spawnNode(
    "baseline",
    ["--import", "tsx", path.join(ROOT, "bench/baseline.ts")],
    { ...process.env, PORT: String(port), NODE_ENV: "production" },
    path.join(dir, "baseline.log"),
    ROOT,
  );
  try {
    await waitReady(child, `${base}/healthz`, 30_000);
    const startupMs = Math.round(performance.now() - t0);
    return await runTarget(o, "baseline", [child], new BaselineDriver(base, o.agents), startupMs, null);
  } finally {
    await child.stop();
  }
}

function maxSessionsFor(o: Options): number {
  const maxSessions = Math.ceil(o.sessions / o.agents) + 2;
  if (maxSessions > 20) {
    throw new Error(
      `${o.sessions} sessions over ${o.agents} agents is more than the 20 sessions an agent may hold`,
    );
  }
  return maxSessions;
}

/** A Helpgate node as its own process, logging warnings to <dir>/<name>.log. */
async function startNode(
  o: Options,
  dir: string,
  name: string,
  port: number,
  env: Record<string, string>,
): Promise<{ child: Child; startupMs: number }> {
  const nodeArgs = [...o.nodeArgs, "--import", "tsx"];
  if (o.profile) nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${path.join(dir, "profile")}`);
  nodeArgs.push(path.join(ROOT, "src/server/main.ts"));
  const t0 = performance.now();
  const child = spawnNode(
    name,
    nodeArgs,
    {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      HELPGATE_DATA_DIR: dir,
      HELPGATE_DEMO: "0",
      LOG_LEVEL: "warn",
      // Every simulated customer and agent comes from 127.0.0.1: lift the per-address caps (the
      // counters still run, so their cost is measured), keep the per-socket message limits.
      HELPGATE_WS_SOCKETS_PER_ADDRESS: process.env.HELPGATE_WS_SOCKETS_PER_ADDRESS ?? "10000000",
      HELPGATE_SUBMITS_PER_ADDRESS: process.env.HELPGATE_SUBMITS_PER_ADDRESS ?? "1000000",
      ...(o.portalCacheMs === null ? {} : { HELPGATE_PORTAL_PAGE_CACHE_MS: String(o.portalCacheMs) }),
      ...env,
    },
    path.join(dir, `${name}.log`),
    ROOT,
  );
  try {
    await waitReady(child, `http://127.0.0.1:${port}/healthz`, 60_000);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { child, startupMs: Math.round(performance.now() - t0) };
}

async function runHelpgate(o: Options, dir: string, receiver: WebhookReceiver | null): Promise<TargetResult> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const databaseUrl = `sqlite:${path.join(dir, "helpgate.sqlite")}`;
  log(`helpgate: seeding ${o.agents} agents and ${o.customers} served customers into ${databaseUrl}`);
  const seeded = await seed({
    databaseUrl,
    publicUrl: base,
    agents: o.agents,
    idleCustomers: o.customers,
    maxSessions: maxSessionsFor(o),
  });
  const { child, startupMs } = await startNode(o, dir, "helpgate", port, {
    PUBLIC_URL: base,
    DATABASE_URL: databaseUrl,
    // The webhook receiver listens on 127.0.0.1 (this changes nothing until an endpoint exists).
    HELPGATE_WEBHOOKS_ALLOW_PRIVATE: "1",
  });
  try {
    const driver = new HelpgateDriver("helpgate", base, [base], seeded);
    return await runTarget(
      o,
      "helpgate",
      [child],
      driver,
      startupMs,
      `${base}/p/bench-question`,
      receiver ? { base, seeded, receiver } : null,
    );
  } finally {
    await child.stop();
    if (o.profile) log(`helpgate: CPU profile in ${path.join(dir, "profile")}`);
  }
}

const PG_ADMIN_URL = process.env.HELPGATE_BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.HELPGATE_BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";

/**
 * Helpgate on PostgreSQL (a database of this run's own, dropped afterwards). nodes = 3: a cluster
 * with Redis (a key prefix of its own, deleted afterwards), customers on node 1 and agents on
 * nodes 2 and 3, so every alert, accept and chat message crosses nodes. nodes = 1: one node on
 * the same PostgreSQL without Redis, to tell the cost of the database from the cost of crossing nodes.
 */
async function runPostgres(o: Options, dir: string, nodes: 1 | 3): Promise<TargetResult> {
  const name: TargetName = nodes === 3 ? "cluster" : "postgres";
  const suffix = `${process.pid}_${randomBytes(4).toString("hex")}`;
  const dbName = `helpgate_bench_${suffix}`;
  const prefix = `helpgate-bench:${suffix}:`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${dbName}`;
  const databaseUrl = url.toString();
  const children: Child[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < nodes; i++) ports.push(await freePort());
    const bases = ports.map((p) => `http://127.0.0.1:${p}`);
    const lb = bases[0] as string;
    log(`${name}: seeding ${o.agents} agents and ${o.customers} served customers into PostgreSQL ${dbName}`);
    const seeded = await seed({
      databaseUrl,
      publicUrl: lb,
      agents: o.agents,
      idleCustomers: o.customers,
      maxSessions: maxSessionsFor(o),
    });
    let startupMs = 0;
    for (const [i, port] of ports.entries()) {
      const node = await startNode(o, dir, `${name}${i + 1}`, port, {
        PUBLIC_URL: lb,
        DATABASE_URL: databaseUrl,
        ...(nodes > 1 ? { REDIS_URL, HELPGATE_REDIS_PREFIX: prefix } : {}),
      });
      children.push(node.child);
      startupMs = Math.max(startupMs, node.startupMs);
    }
    const driver = new HelpgateDriver(name, lb, nodes > 1 ? bases.slice(1) : bases, seeded);
    return await runTarget(o, name, children, driver, startupMs, null);
  } finally {
    for (const c of children) await c.stop();
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await c.end();
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
    redis.disconnect();
  }
}

// ── webhooks: outbox throughput, commit → receiver latency ─────────────────────

interface WebhookResults {
  throughput: ThroughputResult[];
  /** Why PostgreSQL's throughput was not measured, when it was not. */
  postgresSkipped: string | null;
  latency: LatencyResult;
}

/** A PostgreSQL database of this run's own (dropped by `drop`), or why there is none. */
async function pgDatabase(): Promise<{ url: string; drop: () => Promise<void> } | { error: string }> {
  const dbName = `helpgate_bench_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
  } catch (err) {
    return { error: `${PG_ADMIN_URL}: ${(err as Error).message}` };
  } finally {
    await admin.end().catch(() => {});
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${dbName}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** One node (its own fresh database) delivering a backlog of N pending webhook rows to the receiver. */
async function runWebhookThroughput(
  o: Options,
  dir: string,
  receiver: WebhookReceiver,
  database: "sqlite" | "postgres",
  databaseUrl: string,
): Promise<ThroughputResult> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const name = `webhooks-${database}`;
  log(
    `${name}: ${o.webhookDeliveries} pending webhook rows, one node's outbox worker, receiver on 127.0.0.1`,
  );
  const seeded = await seed({ databaseUrl, publicUrl: base, agents: 2, idleCustomers: 0, maxSessions: 3 });
  const { child } = await startNode(o, dir, name, port, {
    PUBLIC_URL: base,
    DATABASE_URL: databaseUrl,
    HELPGATE_WEBHOOKS_ALLOW_PRIVATE: "1",
  });
  try {
    await waitForQuiet([child.pid], o.quick ? 2000 : 10_000);
    const r = await throughputPhase({
      database,
      databaseUrl,
      base,
      seeded,
      receiver,
      pid: [child.pid],
      count: o.webhookDeliveries,
    });
    log(
      `${name}: ${r.received}/${r.deliveries} received (${r.duplicates} twice), ${fmt(r.perSecond, 0)} deliveries/s`,
    );
    return r;
  } finally {
    await child.stop();
  }
}

/** Real events through the API at a steady rate; commit → receiver, on one SQLite node. */
async function runWebhookLatency(o: Options, dir: string, receiver: WebhookReceiver): Promise<LatencyResult> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const databaseUrl = `sqlite:${path.join(dir, "webhooks-latency.sqlite")}`;
  const agents = 5;
  const seeded = await seed({ databaseUrl, publicUrl: base, agents, idleCustomers: 0, maxSessions: 3 });
  const { child } = await startNode(o, dir, "webhooks-latency", port, {
    PUBLIC_URL: base,
    DATABASE_URL: databaseUrl,
    HELPGATE_WEBHOOKS_ALLOW_PRIVATE: "1",
  });
  const fleet = new Fleet();
  try {
    const driver = new HelpgateDriver("webhooks-latency", base, [base], seeded);
    // Agents online, so the question portal takes requests (and alerts them).
    await connectAgents(driver, fleet);
    await waitForQuiet([child.pid], o.quick ? 2000 : 10_000);
    log(
      `webhooks-latency: ${o.webhookRate} events/s for ${o.webhookSeconds} s (requests and offline messages, in turn), endpoint for every event type`,
    );
    const r = await latencyPhase({
      base,
      seeded,
      receiver,
      pid: [child.pid],
      rate: o.webhookRate,
      seconds: o.webhookSeconds,
      submit: (customerName) => driver.submit(customerName),
    });
    log(
      `webhooks-latency: ${r.events} events, p99 ${fmt(r.latency.p99)} ms commit → receiver, ${r.missing} missing`,
    );
    return r;
  } finally {
    fleet.closeAll();
    await child.stop();
  }
}

async function runWebhooks(o: Options, dir: string, receiver: WebhookReceiver): Promise<WebhookResults> {
  const throughput = [
    await runWebhookThroughput(
      o,
      dir,
      receiver,
      "sqlite",
      `sqlite:${path.join(dir, "webhooks-throughput.sqlite")}`,
    ),
  ];
  let postgresSkipped: string | null = null;
  const pgDb = await pgDatabase();
  if ("error" in pgDb) {
    postgresSkipped = pgDb.error;
    log(`webhooks-postgres: not measured (${postgresSkipped})`);
  } else {
    try {
      throughput.push(await runWebhookThroughput(o, dir, receiver, "postgres", pgDb.url));
    } finally {
      await pgDb.drop();
    }
  }
  const latency = await runWebhookLatency(o, dir, receiver);
  return { throughput, postgresSkipped, latency };
}

// ── --history: reports and the hot paths against a long history ─────────────────

/** Of the N requests of history, how many ended today (the rest spread over the days before). */
const HISTORY_TODAY = 200;
/** The history spans this many local days at its largest size, today included (the longest custom report period). */
const HISTORY_DAYS = 400;
/**
 * Requests a day before today at every size: the 1,000,000 requests over 400 days of the issue's
 * account. A smaller size is the same account younger (10,000 requests: 4 days of history), not a
 * quieter one: the paths that must stay flat read today's and the last days' requests (the
 * console's lists), and those must be the same traffic at every size for the comparison to be
 * about history.
 */
const HISTORY_PER_DAY = (1_000_000 - HISTORY_TODAY) / (HISTORY_DAYS - 1);

/** The days before today a size of history spans (at least one, at most HISTORY_DAYS - 1). */
function historyDaysOf(count: number): number {
  const older = count - Math.min(count, HISTORY_TODAY);
  return Math.min(HISTORY_DAYS - 1, Math.max(1, Math.round(older / HISTORY_PER_DAY)));
}
/** Portals of the bench account during --history: the seed's two and eight more. */
const HISTORY_PORTALS = 10;
/** Of the eight more, this many take their requests as a queue (offered to one agent at a time). */
const HISTORY_QUEUE_PORTALS = 3;
/** The raw export is timed over a period holding about this many requests (or all of them). */
const HISTORY_EXPORT_ROWS = 100_000;
const HISTORY_TARGETS = {
  reportP95Ms: 300,
  exportRowsPerSecond: 50_000,
  exportRssGrowthMB: 50,
  flatP99Ratio: 1.2,
};
const REPORTS = ["summary", "agents", "days"] as const;
type ReportName = (typeof REPORTS)[number];
/** The paths that must not grow with history: p99 compared with the smallest size's. */
const FLAT = ["console", "submit", "portal", "chat", "start"] as const;
type FlatName = (typeof FLAT)[number];
const FLAT_LABELS: Record<FlatName, string> = {
  console: "console snapshot",
  submit: "customer submit",
  portal: "portal page (no cache)",
  chat: "chat send → ack",
  start: "server start",
};

interface HistoryResult {
  database: "sqlite" | "postgres";
  count: number;
  rows: HistoryCounts;
  seedSeconds: number;
  snapshotBytes: number;
  /** Requests created in the last 30 days (the reports' period). */
  last30Requests: number;
  /** The first 30-day summary after seeding: every day's figures computed and kept. */
  firstReportMs: number;
  /** Nothing changed between calls (every day's figures kept). */
  reports: Record<ReportName, Summary>;
  /** A customer submit before each call: today's figures recomputed each time. */
  reportsChanging: Record<ReportName, Summary>;
  export: { fromDay: string; toDay: string; runs: ExportRun[] };
  /** One export of the whole history (at 1M: a year and more), after the runs above. */
  wholeExport: { fromDay: string; toDay: string; run: ExportRun };
  flat: Record<FlatName, Summary>;
  cpu: CpuUse;
  /** The report statements and their plans (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE). */
  plans: ExplainedStatement[];
}

/** YYYY-MM-DD of a local day (the bench account has no time zone of its own: the server's). */
function localDay(t: number): string {
  const d = new Date(t);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** Chat messages from the customer's side, one at a time: send → the ack (stored). */
async function timeChatAcks(fleet: Fleet, ws: WebSocket, calls: number, warmup: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < warmup + calls; i++) {
    const ref = `h${i}`;
    const acked = new Promise<void>((resolve) => {
      const on = (data: WebSocket.RawData) => {
        const text = Buffer.isBuffer(data) ? data.toString("utf8") : String(data);
        const msg = JSON.parse(text) as { type?: unknown; ref?: unknown };
        if (msg.type === "ack" && msg.ref === ref) {
          ws.off("message", on);
          resolve();
        }
      };
      ws.on("message", on);
    });
    fleet.sendChat(ws, "customer", ref, {});
    await withTimeout(acked, 30_000, `chat ack ${ref}`);
    const rec = fleet.chat.get(ref);
    if (i >= warmup && rec?.ackAt !== undefined) samples.push(rec.ackAt - rec.sentAt);
  }
  return samples;
}

/**
 * One size of history on one database: a fresh database seeded with the bench account, A agents,
 * 10 portals and N requests of history, 2,500 a day (PostgreSQL vacuumed and analyzed after, as
 * autovacuum would); then the node started `historyStarts` times (spawn → /healthz 200), the portal page
 * cache off, and on the last one: console snapshots of agent 0, the 30-day reports, the raw
 * export of ~100,000 requests, portal pages, chat messages and submits, each one call at a time.
 */
async function runHistory(
  o: Options,
  dir: string,
  database: "sqlite" | "postgres",
  count: number,
): Promise<HistoryResult> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const name = `history-${database}-${count}`;
  let databaseUrl = `sqlite:${path.join(dir, `${name}.sqlite`)}`;
  let drop = async () => {
    for (const suffix of ["", "-wal", "-shm"])
      fs.rmSync(`${databaseUrl.slice("sqlite:".length)}${suffix}`, { force: true });
  };
  if (database === "postgres") {
    const dbName = `helpgate_bench_${process.pid}_${randomBytes(4).toString("hex")}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${dbName}`;
    databaseUrl = url.toString();
    drop = async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await c.end();
    };
  }
  try {
    log(`${name}: seeding ${o.agents} agents and ${count.toLocaleString("en")} requests of history`);
    const t0 = performance.now();
    const now = Date.now();
    const seeded = await seed({
      databaseUrl,
      publicUrl: base,
      agents: o.agents,
      idleCustomers: 0,
      maxSessions: 3,
    });
    const db = openDatabase(databaseUrl);
    let rows: HistoryCounts;
    try {
      const account = await findAccount(db.kysely, seeded.accountId);
      if (!account) throw new Error("the bench account is missing");
      const agentIds = seeded.agents.map((a) => a.id);
      await db.kysely.transaction().execute(async (trx) => {
        for (let k = 0; k < HISTORY_PORTALS - 2; k++) {
          const slug = `history-${k}`;
          await insertNewPortal(
            trx,
            account,
            { slug, type: "question", name: `History ${k}`, agentIds },
            now,
          );
        }
      });
      const portals = await db.kysely
        .selectFrom("portals")
        .select(["id", "slug"])
        .where("account_id", "=", seeded.accountId)
        .orderBy("slug")
        .execute();
      // The account is a web account; a queue account's requests (kind queue, offers) are written
      // for three of its portals all the same: reports count them whatever the account's mode.
      const queueSlugs = new Set(Array.from({ length: HISTORY_QUEUE_PORTALS }, (_, k) => `history-${k}`));
      rows = await seedHistory(db.kysely, db.dialect, {
        accountId: seeded.accountId,
        portalIds: portals.map((p) => p.id),
        queuePortalIds: portals.filter((p) => queueSlugs.has(p.slug)).map((p) => p.id),
        agentIds,
        count,
        today: Math.min(count, HISTORY_TODAY),
        days: historyDaysOf(count),
        now,
      });
      // As autovacuum leaves a settled database: vacuumed (its visibility map set, so index-only
      // reads need not visit the table) and analyzed; left to autovacuum, its first pass over a
      // million fresh rows would run during the timings.
      if (db.dialect === "postgres") await sql`vacuum analyze`.execute(db.kysely);
    } finally {
      await db.close();
    }
    const seedSeconds = (performance.now() - t0) / 1000;
    log(`${name}: seeded in ${fmt(seedSeconds)} s (${JSON.stringify(rows)})`);
    // The portal page rendered afresh on every view; chat messages back to back from one socket
    // (the per-socket and per-sign-in limits, 10 and 20 a second, would refuse them; 0 lifts them).
    const env = {
      PUBLIC_URL: base,
      DATABASE_URL: databaseUrl,
      HELPGATE_PORTAL_PAGE_CACHE_MS: "0",
      HELPGATE_WS_MESSAGES_PER_SECOND: "0",
      HELPGATE_WS_SIGNIN_MESSAGES_PER_SECOND: "0",
    };
    const starts: number[] = [];
    let child: Child | null = null;
    for (let k = 0; k < o.historyStarts; k++) {
      const started = await startNode(o, dir, name, port, env);
      starts.push(started.startupMs);
      if (k < o.historyStarts - 1) await started.child.stop();
      else child = started.child;
    }
    if (!child) throw new Error("no node");
    const node = child;
    log(`${name}: server start ${starts.join(", ")} ms`);
    const fleet = new Fleet();
    let customerSocket: WebSocket | null = null;
    try {
      await waitForQuiet([node.pid], 30_000);
      const agent = seeded.agents[0] as (typeof seeded.agents)[number];
      const calls = o.historyCalls;
      const warmup = 10;
      log(`${name}: ${calls} console snapshots of ${agent.name}, one at a time`);
      const meter = cpuMeter([node.pid]);
      const snapshots = await timeConsoleSnapshots(base, `hg_session=${agent.token}`, calls, warmup);
      const cpu = meter();

      const admin = { cookie: `hg_session=${seeded.adminToken}` };
      const reportsBase = `${base}/api/v1/accounts/${seeded.accountId}/reports`;
      const reports = {} as Record<ReportName, Summary>;
      const reportsChanging = {} as Record<ReportName, Summary>;
      let last30Requests = 0;
      // The very first report of the period after seeding computes and keeps its 30 days' figures.
      log(`${name}: the first reports/summary?period=last30 (nothing kept yet)`);
      const first = await timeGets(`${reportsBase}/summary?period=last30`, admin, 1, 0, "first report");
      const firstReportMs = first.samples[0] ?? Number.NaN;
      for (const report of REPORTS) {
        log(`${name}: ${o.historyReportCalls} × reports/${report}?period=last30`);
        const r = await timeGets(
          `${reportsBase}/${report}?period=last30`,
          admin,
          o.historyReportCalls,
          5,
          `reports/${report}`,
        );
        reports[report] = summarize(r.samples);
        if (report === "summary") {
          const body = JSON.parse(r.body) as { submitted: number; offline: number; codeSessions: number };
          last30Requests = body.submitted + body.offline + body.codeSessions;
        }
      }

      // A period holding about 100,000 requests, ending today (the whole history when it is shorter).
      const exportDays = Math.min(
        historyDaysOf(count) + 1,
        Math.max(1, Math.ceil(HISTORY_EXPORT_ROWS / HISTORY_PER_DAY)),
      );
      const toDay = localDay(now);
      const fromDate = new Date(now);
      fromDate.setDate(fromDate.getDate() - (exportDays - 1));
      const fromDay = localDay(fromDate.getTime());
      const runs: ExportRun[] = [];
      for (let k = 0; k < o.historyExports; k++) {
        const run = await timeExport(
          `${reportsBase}/requests.csv?period=custom&from=${fromDay}&to=${toDay}`,
          admin.cookie,
          node.pid,
        );
        log(
          `${name}: requests.csv ${fromDay} … ${toDay}: ${run.rows.toLocaleString("en")} rows in ` +
            `${fmt(run.ms)} ms (${Math.round(run.rowsPerSecond).toLocaleString("en")}/s), RSS ` +
            `${fmt(run.rssBeforeBytes / 2 ** 20)} → ${fmt(run.rssPeakBytes / 2 ** 20)} MiB`,
        );
        runs.push(run);
      }
      // The whole history at once (400 days at 1M): memory must not grow with the download.
      const wholeFrom = new Date(now);
      wholeFrom.setDate(wholeFrom.getDate() - historyDaysOf(count));
      const wholeFromDay = localDay(wholeFrom.getTime());
      const whole = await timeExport(
        `${reportsBase}/requests.csv?period=custom&from=${wholeFromDay}&to=${toDay}`,
        admin.cookie,
        node.pid,
      );
      log(
        `${name}: requests.csv of the whole history ${wholeFromDay} … ${toDay}: ${whole.rows.toLocaleString("en")} rows in ` +
          `${fmt(whole.ms)} ms (${Math.round(whole.rowsPerSecond).toLocaleString("en")}/s), RSS ` +
          `${fmt(whole.rssBeforeBytes / 2 ** 20)} → ${fmt(whole.rssPeakBytes / 2 ** 20)} MiB`,
      );

      log(`${name}: ${calls} portal pages (no page cache), ${calls} chat messages, ${calls} submits`);
      const portal = await timeGets(
        `${base}/p/${QUESTION_SLUG}`,
        { "accept-language": "en" },
        calls,
        warmup,
        "portal page",
      );
      const driver = new HelpgateDriver(name, base, [base], seeded);
      await fleet.openAgent(0, driver.agentSocket(0));
      await driver.prepareAgent(0);
      const chat = await driver.openChat(0, 0);
      customerSocket = await fleet.openCustomer(chat.customer);
      const chatAcks = await timeChatAcks(fleet, customerSocket, calls, warmup);
      const submits = await timeSubmits(base, QUESTION_SLUG, calls, warmup);
      // As on a working day (agent 0 is online now): a customer asks before each call, so today's
      // figures are recomputed.
      for (const report of REPORTS) {
        log(`${name}: ${o.historyReportCalls} × reports/${report}?period=last30, a submit before each`);
        const r = await timeGets(
          `${reportsBase}/${report}?period=last30`,
          admin,
          o.historyReportCalls,
          5,
          `reports/${report}`,
          (i) => submitOnce(base, QUESTION_SLUG, i),
        );
        reportsChanging[report] = summarize(r.samples);
      }
      // After the timings (the node idle): each report statement shown to the planner.
      const plans = await explainReports(databaseUrl, seeded.accountId, {
        period: "custom",
        from: fromDay,
        to: toDay,
      });
      const slowest = [...plans].sort((x, y) => y.ms - x.ms)[0];
      if (slowest) log(`${name}: slowest report statement ${fmt(slowest.ms)} ms (${slowest.report})`);
      return {
        plans,
        database,
        count,
        rows,
        seedSeconds,
        snapshotBytes: snapshots.bytes,
        last30Requests,
        firstReportMs,
        reports,
        reportsChanging,
        export: { fromDay, toDay, runs },
        wholeExport: { fromDay: wholeFromDay, toDay, run: whole },
        flat: {
          console: summarize(snapshots.samples),
          submit: summarize(submits),
          portal: summarize(portal.samples),
          chat: summarize(chatAcks),
          start: summarize(starts),
        },
        cpu,
      };
    } finally {
      customerSocket?.terminate();
      fleet.closeAll();
      await node.stop();
    }
  } finally {
    await drop();
  }
}

const mib = (bytes: number) => bytes / 2 ** 20;
const dbLabel = (r: HistoryResult) => (r.database === "sqlite" ? "SQLite" : "PostgreSQL (one node)");

/** The export figures of a size: the median run's rows/s, the largest RSS growth over the runs. */
function exportFigures(r: HistoryResult): {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  growthMiB: number;
} {
  const sorted = [...r.export.runs].sort((a, b) => a.rowsPerSecond - b.rowsPerSecond);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)];
  const first = r.export.runs[0];
  const peak = Math.max(...r.export.runs.map((x) => x.rssPeakBytes));
  return {
    rows: mid?.rows ?? 0,
    seconds: (mid?.ms ?? 0) / 1000,
    rowsPerSecond: mid?.rowsPerSecond ?? 0,
    growthMiB: first ? mib(peak - first.rssBeforeBytes) : Number.NaN,
  };
}

function historyReport(o: Options, results: HistoryResult[]): { text: string; markdown: string } {
  const parts: { header: string[]; rows: string[][] }[] = [];
  parts.push({
    header: [
      "history (requests)",
      "database",
      "seed s",
      "requests",
      "events",
      "sessions",
      "messages",
      "offers",
      "last 30 days",
    ],
    rows: results.map((r) => [
      r.count.toLocaleString("en"),
      dbLabel(r),
      fmt(r.seedSeconds, 0),
      r.rows.requests.toLocaleString("en"),
      r.rows.requestEvents.toLocaleString("en"),
      r.rows.sessions.toLocaleString("en"),
      r.rows.messages.toLocaleString("en"),
      r.rows.offers.toLocaleString("en"),
      r.last30Requests.toLocaleString("en"),
    ]),
  });
  parts.push({
    header: [
      `reports, period=last30, ${o.historyReportCalls} calls (ms)`,
      "history",
      "p50",
      "p95",
      "p99",
      "max",
      `target p95 ≤ ${HISTORY_TARGETS.reportP95Ms}`,
    ],
    rows: results.flatMap((r) =>
      REPORTS.flatMap((report) =>
        (["reports", "reportsChanging"] as const).map((which) => {
          const s = r[which][report];
          return [
            `${dbLabel(r)}: ${report}${which === "reportsChanging" ? " (today changing)" : ""}`,
            r.count.toLocaleString("en"),
            fmt(s.p50),
            fmt(s.p95),
            fmt(s.p99),
            fmt(s.max),
            s.p95 <= HISTORY_TARGETS.reportP95Ms ? "met" : "MISSED",
          ];
        }),
      ),
    ),
  });
  parts.push({
    header: ["first 30-day summary after seeding (computes every day)", "history", "ms"],
    rows: results.map((r) => [dbLabel(r), r.count.toLocaleString("en"), fmt(r.firstReportMs)]),
  });
  parts.push({
    header: [
      `requests.csv (median of ${o.historyExports} runs)`,
      "history",
      "period",
      "rows",
      "s",
      "rows/s",
      "RSS before MiB",
      "RSS growth MiB",
      `target ≥ ${HISTORY_TARGETS.exportRowsPerSecond.toLocaleString("en")}/s, < ${HISTORY_TARGETS.exportRssGrowthMB} MB`,
    ],
    rows: results.map((r) => {
      const e = exportFigures(r);
      const met =
        e.rowsPerSecond >= HISTORY_TARGETS.exportRowsPerSecond &&
        e.growthMiB * 1.048576 < HISTORY_TARGETS.exportRssGrowthMB;
      return [
        dbLabel(r),
        r.count.toLocaleString("en"),
        `${r.export.fromDay} … ${r.export.toDay}`,
        e.rows.toLocaleString("en"),
        fmt(e.seconds, 2),
        Math.round(e.rowsPerSecond).toLocaleString("en"),
        fmt(mib(r.export.runs[0]?.rssBeforeBytes ?? 0)),
        fmt(e.growthMiB),
        met ? "met" : "MISSED",
      ];
    }),
  });
  parts.push({
    header: [
      "requests.csv of the whole history (one run)",
      "history",
      "period",
      "rows",
      "s",
      "rows/s",
      "RSS before MiB",
      "RSS growth MiB",
    ],
    rows: results.map((r) => {
      const w = r.wholeExport.run;
      return [
        dbLabel(r),
        r.count.toLocaleString("en"),
        `${r.wholeExport.fromDay} … ${r.wholeExport.toDay}`,
        w.rows.toLocaleString("en"),
        fmt(w.ms / 1000, 2),
        Math.round(w.rowsPerSecond).toLocaleString("en"),
        fmt(mib(w.rssBeforeBytes)),
        fmt(mib(w.rssPeakBytes - w.rssBeforeBytes)),
      ];
    }),
  });
  const reference = (r: HistoryResult) =>
    results
      .filter((x) => x.database === r.database)
      .reduce<HistoryResult | undefined>((a, x) => (a === undefined || x.count < a.count ? x : a), undefined);
  parts.push({
    header: [
      `p99 (ms), ${o.historyCalls} calls (start: ${o.historyStarts}); × the smallest size`,
      "history",
      ...FLAT.map((f) => FLAT_LABELS[f]),
      `target ≤ ${HISTORY_TARGETS.flatP99Ratio}×`,
    ],
    rows: results.map((r) => {
      const ref = reference(r);
      let worst = 0;
      const cells = FLAT.map((f) => {
        const p99 = r.flat[f].p99;
        const base = ref?.flat[f].p99 ?? Number.NaN;
        const ratio = p99 / base;
        if (ref !== r) worst = Math.max(worst, ratio);
        return ref === r ? fmt(p99) : `${fmt(p99)} (${fmt(ratio, 2)}×)`;
      });
      return [
        dbLabel(r),
        r.count.toLocaleString("en"),
        ...cells,
        ref === r
          ? "(reference)"
          : worst <= HISTORY_TARGETS.flatP99Ratio
            ? "met"
            : `MISSED (${fmt(worst, 2)}×)`,
      ];
    }),
  });
  parts.push({
    header: ["p50 / p95 (ms)", "history", ...FLAT.map((f) => FLAT_LABELS[f])],
    rows: results.map((r) => [
      dbLabel(r),
      r.count.toLocaleString("en"),
      ...FLAT.map((f) => `${fmt(r.flat[f].p50)} / ${fmt(r.flat[f].p95)}`),
    ]),
  });
  return {
    text: parts.map((p) => table(p.header, p.rows)).join("\n\n"),
    markdown: parts.map((p) => markdownTable(p.header, p.rows)).join("\n\n"),
  };
}

async function mainHistory(o: Options, dir: string, command: string, m: ReturnType<typeof machine>) {
  const started = performance.now();
  const results: HistoryResult[] = [];
  for (const n of o.history) results.push(await runHistory(o, dir, "sqlite", n));
  if (o.cluster) for (const n of o.history) results.push(await runHistory(o, dir, "postgres", n));
  const out = historyReport(o, results);
  const totalSeconds = Math.round((performance.now() - started) / 1000);
  const head =
    `Helpgate against a long history — ${m.date.slice(0, 10)}, ${m.nproc} × ${m.cpu}, node ${m.node}\n` +
    `${command}  (A=${o.agents} agents, ${HISTORY_PORTALS} portals, ${Math.round(HISTORY_PER_DAY).toLocaleString("en")} requests a day over up to ${HISTORY_DAYS} days, ${HISTORY_TODAY} of them today; ${totalSeconds} s)`;
  process.stdout.write(`\n${head}\n\n${out.text}\n`);
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  fs.writeFileSync(
    o.out,
    `${JSON.stringify({ command, options: o, machine: m, totalSeconds, targets: HISTORY_TARGETS, history: results }, null, 2)}\n`,
  );
  fs.writeFileSync(`${o.out.replace(/\.json$/, "")}.md`, `${head}\n\n${out.markdown}\n`);
  const plans = results.map((r) =>
    plansText(`${dbLabel(r)}, ${r.count.toLocaleString("en")} requests`, r.plans),
  );
  fs.writeFileSync(`${o.out.replace(/\.json$/, "")}.plans.txt`, `${plans.join("\n")}\n`);
  process.stdout.write(`\nwrote ${o.out} (and .md, .plans.txt)\n`);
}

// ── --overload: one node pushed past its limit, load shedding on and off ─────────

/** Seconds of chat before the flood, and after it (the recovery is looked for in these). */
const OVERLOAD_BEFORE_SECONDS = 5;
const OVERLOAD_AFTER_SECONDS = 10;

/**
 * A fresh SQLite node with A agents and S chat sessions between them and as many customers; the
 * portal page rendered afresh on every view (the flood's requests cost what a page costs). With
 * `limitMs` the node sheds at that event-loop delay (heap limit: its default); with null it runs
 * with HELPGATE_SHED_* set to 0 (no shedding).
 */
async function runOverload(o: Options, dir: string, limitMs: number | null): Promise<OverloadResult> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const shedding = limitMs !== null;
  const name = shedding ? `overload-on-${limitMs}ms` : "overload-off";
  const databaseUrl = `sqlite:${path.join(dir, `${name}.sqlite`)}`;
  log(`${name}: seeding ${o.agents} agents into ${databaseUrl}`);
  const seeded = await seed({
    databaseUrl,
    publicUrl: base,
    agents: o.agents,
    idleCustomers: 0,
    maxSessions: maxSessionsFor(o),
  });
  const { child } = await startNode(o, dir, name, port, {
    PUBLIC_URL: base,
    DATABASE_URL: databaseUrl,
    HELPGATE_PORTAL_PAGE_CACHE_MS: "0",
    ...(shedding
      ? { HELPGATE_SHED_EVENT_LOOP_DELAY_MS: String(limitMs) }
      : { HELPGATE_SHED_EVENT_LOOP_DELAY_MS: "0", HELPGATE_SHED_HEAP_USED_PERCENT: "0" }),
  });
  const fleet = new Fleet();
  const client = FloodClient.start(ROOT);
  try {
    const driver = new HelpgateDriver(name, base, [base], seeded);
    await connectAgents(driver, fleet);
    log(`${name}: opening ${o.sessions} chat sessions`);
    const chats = await openChats(driver, fleet, o.sessions);
    await waitForQuiet([child.pid], o.quick ? 2000 : 10_000);
    log(
      `${name}: chat (one message per session every ${o.chatIntervalMs} ms) ${OVERLOAD_BEFORE_SECONDS} s, then autocannon -c ${o.overloadConnections} for ${o.overloadSeconds} s, then ${OVERLOAD_AFTER_SECONDS} s more`,
    );
    const r = await overloadPhase(fleet, chats, client, `${base}/p/${QUESTION_SLUG}`, {
      limitMs,
      beforeSeconds: OVERLOAD_BEFORE_SECONDS,
      floodSeconds: o.overloadSeconds,
      afterSeconds: OVERLOAD_AFTER_SECONDS,
      connections: o.overloadConnections,
      intervalMs: o.chatIntervalMs,
    });
    const f = r.flood;
    log(
      `${name}: flood ${f.served} served, ${f.shed} shed, ${f.otherStatus + f.errors} failed; chat during: ${fmt(r.chat.during.arrived * 100)} % arrived, p99 ${fmt(r.chat.during.latency.p99)} ms; recovery ${fmt(r.recoveryMs)} ms`,
    );
    for (const c of chats) c.customer.terminate();
    return r;
  } finally {
    fleet.closeAll();
    await client.stop();
    await child.stop();
  }
}

function overloadReport(results: OverloadResult[]): { text: string; markdown: string } {
  const pct = (x: number) => (Number.isNaN(x) ? "–" : `${fmt(x * 100, 1)} %`);
  const lat = (s: Summary) => `${fmt(s.p50, 0)} / ${fmt(s.p99, 0)}`;
  const header = [
    "load shedding",
    "chat arrived: before",
    "during",
    "after",
    "chat p50 / p99 ms: before",
    "during",
    "after",
    "flood: served",
    "shed (503)",
    "failed",
    "served p50 / p99 ms",
    "recovery s",
  ];
  const rows = results.map((r) => {
    const f = r.flood;
    const total = f.served + f.shed + f.otherStatus + f.errors;
    const share = (n: number) => pct(total > 0 ? n / total : Number.NaN);
    return [
      r.limitMs === null ? "off" : `on, ${r.limitMs} ms`,
      ...WINDOWS.map((w) => pct(r.chat[w].arrived)),
      ...WINDOWS.map((w) => lat(r.chat[w].latency)),
      share(f.served),
      share(f.shed),
      share(f.otherStatus + f.errors),
      lat(f.servedLatency),
      Number.isNaN(r.recoveryMs) ? `> ${OVERLOAD_AFTER_SECONDS}` : fmt(r.recoveryMs / 1000, 1),
    ];
  });
  const extra = results.flatMap((r) => {
    const f = r.flood;
    const total = f.served + f.shed + f.otherStatus + f.errors;
    const p = r.probes;
    return [
      `shedding ${r.limitMs === null ? "off" : `on at ${r.limitMs} ms`}: flood of ${total} requests in ${fmt((f.endedAt - f.startedAt) / 1000)} s from ${f.connections} connections (${fmt(f.served / f.seconds, 0)} served/s; ${f.otherStatus} other statuses, ${f.errors} errors of which ${f.timeouts} timeouts); chat messages sent ${WINDOWS.map((w) => `${w} ${r.chat[w].sent}`).join(", ")}, acked ${WINDOWS.map((w) => pct(r.chat[w].acked)).join(" / ")}; probe (one page at a time) p99 ${WINDOWS.map((w) => fmt(p[w].latency.p99, 0)).join(" / ")} ms, during: ${p.during.served} served, ${p.during.shed} shed, ${p.during.failed} failed; recovered = a probe served within ${fmt(r.normalMs, 0)} ms after the last 503`,
    ];
  });
  return {
    text: `${table(header, rows)}\n\n${extra.join("\n")}`,
    markdown: `${markdownTable(header, rows)}\n\n${extra.map((e) => `- ${e}`).join("\n")}`,
  };
}

async function mainOverload(o: Options, dir: string, command: string, m: ReturnType<typeof machine>) {
  const started = performance.now();
  const results: OverloadResult[] = [];
  for (const limitMs of [...o.overloadDelayMs, null]) {
    if (results.length > 0) await sleep(2000);
    results.push(await runOverload(o, dir, limitMs));
  }
  const out = overloadReport(results);
  const totalSeconds = Math.round((performance.now() - started) / 1000);
  const head =
    `Helpgate overloaded — ${m.date.slice(0, 10)}, ${m.nproc} × ${m.cpu}, node ${m.node}\n` +
    `${command}  (A=${o.agents} agents, S=${o.sessions} chat sessions, flood ${o.overloadSeconds} s × ${o.overloadConnections} connections on the uncached portal page; ${totalSeconds} s)`;
  process.stdout.write(`\n${head}\n\n${out.text}\n`);
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  fs.writeFileSync(
    o.out,
    `${JSON.stringify({ command, options: o, machine: m, totalSeconds, overload: results }, null, 2)}\n`,
  );
  fs.writeFileSync(`${o.out.replace(/\.json$/, "")}.md`, `${head}\n\n${out.markdown}\n`);
  process.stdout.write(`\nwrote ${o.out} (and .md)\n`);
}

// ── report ─────────────────────────────────────────────────────────────────────
function machine() {
  const free = spawnSync("free", ["-h"], { encoding: "utf8" }).stdout?.trim() ?? "";
  return {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? "unknown",
    memTotalGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    free,
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    date: new Date().toISOString(),
  };
}

function row(label: string, s: Summary | undefined, base: Summary | undefined, target: string): string[] {
  const ratio = s && base && base.p99 > 0 ? `${fmt(s.p99 / base.p99, 1)}×` : "–";
  return [label, fmt(s?.p50), fmt(s?.p95), fmt(s?.p99), fmt(s?.max), fmt(base?.p99), ratio, target];
}

interface Verdict {
  target: string;
  measured: string;
  /** null: not measured in this run. */
  met: boolean | null;
}

const verdictText = (met: boolean | null | undefined) =>
  met === true ? "met" : met === false ? "MISSED" : "–";

function report(
  o: Options,
  hg: TargetResult,
  bl: TargetResult | null,
  pgOne: TargetResult | null,
  cl: TargetResult | null,
  wh: WebhookResults | null,
) {
  const header = ["latency (ms)", "p50", "p95", "p99", "max", "baseline p99", "÷ baseline", "target"];
  const A = o.agents;
  const rows = [
    row(
      `alert: submit → all ${A} agents`,
      hg.alerts.alertAll,
      bl?.alerts.alertAll,
      "p99 ≤ 25, ≤ 2× baseline",
    ),
    row("alert: submit → each agent", hg.alerts.alertEach, bl?.alerts.alertEach, ""),
    row("alert: submit → first agent", hg.alerts.alertFirst, bl?.alerts.alertFirst, ""),
    row("submit: POST → 201", hg.alerts.submitResponse, bl?.alerts.submitResponse, ""),
    row("accept race: winner's 200 → all losers told", hg.alerts.acceptRace, bl?.alerts.acceptRace, ""),
    row(`accept race: ${A} accepts sent → all told`, hg.alerts.acceptAllTold, bl?.alerts.acceptAllTold, ""),
    row(`accept race: ${A} accepts sent → winner's 200`, hg.alerts.acceptWinner, bl?.alerts.acceptWinner, ""),
    row(`chat: send → receiver (${o.sessions} sessions)`, hg.chat.latency, bl?.chat.latency, "p99 ≤ 20"),
    row("chat: send → ack (stored)", hg.chat.ack, bl?.chat.ack, ""),
  ];
  if (hg.alertsWebhooks) {
    rows.push(
      row(
        `alert: submit → all ${A} agents, webhooks on (all events)`,
        hg.alertsWebhooks.alertAll,
        bl?.alerts.alertAll,
        `p99 ≤ +${TARGETS.webhookAlertPercent} % of off`,
      ),
      row(
        "alert: submit → first agent, webhooks on",
        hg.alertsWebhooks.alertFirst,
        bl?.alerts.alertFirst,
        "",
      ),
      row("submit: POST → 201, webhooks on", hg.alertsWebhooks.submitResponse, bl?.alerts.submitResponse, ""),
      row(
        `accept race: ${A} accepts sent → all told, webhooks on`,
        hg.alertsWebhooks.acceptAllTold,
        bl?.alerts.acceptAllTold,
        "",
      ),
    );
    if (hg.alertsOffAgain)
      rows.push(
        row(
          `alert: submit → all ${A} agents, webhooks off again`,
          hg.alertsOffAgain.alertAll,
          bl?.alerts.alertAll,
          "",
        ),
      );
  }
  if (wh) {
    const l = wh.latency;
    rows.push(
      row(
        `webhook: commit → receiver (${l.events} events, ${fmt(l.events / l.seconds, 0)}/s)`,
        l.latency,
        undefined,
        `p99 ≤ ${TARGETS.webhookP99Ms}`,
      ),
      row("webhook: request.submitted (POST → 201) → receiver", l.submitted, undefined, ""),
      row("webhook: offline_message.received (POST → 201) → receiver", l.offline, undefined, ""),
    );
  }
  if (hg.portal) {
    rows.push(
      row(
        `portal page, autocannon -c ${o.portalConnections} -R ${TARGETS.portalRate} (got ${fmt(hg.portal.fixed.requestsPerSecond, 0)}/s)`,
        hg.portal.fixed.latency,
        undefined,
        "p99 ≤ 10",
      ),
      row(
        `portal page, paced ${TARGETS.portalRate}/s open loop (got ${fmt(hg.portal.paced.requestsPerSecond, 0)}/s)`,
        hg.portal.paced.latency,
        undefined,
        "",
      ),
      row(
        `portal page, autocannon -c ${o.portalConnections} flat out (${fmt(hg.portal.max.requestsPerSecond, 0)}/s)`,
        hg.portal.max.latency,
        undefined,
        "",
      ),
    );
  }
  const ratio = bl ? hg.alerts.alertAll.p99 / bl.alerts.alertAll.p99 : Number.NaN;
  const verdicts: Verdict[] = [
    {
      target: `alert p99 ≤ ${TARGETS.alertP99Ms} ms`,
      measured: `${fmt(hg.alerts.alertAll.p99)} ms`,
      met: hg.alerts.alertAll.p99 <= TARGETS.alertP99Ms && hg.alerts.problems.missingAlerts === 0,
    },
    {
      target: `alert p99 ≤ ${TARGETS.alertVsBaseline}× baseline`,
      measured: bl ? `${fmt(ratio, 2)}× (baseline ${fmt(bl.alerts.alertAll.p99)} ms)` : "not run",
      met: bl === null ? null : ratio <= TARGETS.alertVsBaseline,
    },
    {
      target: `chat p99 ≤ ${TARGETS.chatP99Ms} ms`,
      measured: `${fmt(hg.chat.latency.p99)} ms (${hg.chat.lost} lost, ${hg.chat.unacked} unacked)`,
      met: hg.chat.latency.p99 <= TARGETS.chatP99Ms && hg.chat.lost === 0 && hg.chat.unacked === 0,
    },
    {
      target: `≤ ${TARGETS.kbPerIdleCustomer} KB RSS per idle customer`,
      measured: `${fmt(hg.memory.kbPerConnection)} KB (baseline ${fmt(bl?.memory.kbPerConnection)} KB)`,
      met: hg.memory.kbPerConnection <= TARGETS.kbPerIdleCustomer,
    },
  ];
  if (hg.portal) {
    verdicts.push({
      target: `portal page p99 ≤ ${TARGETS.portalP99Ms} ms at ${TARGETS.portalRate} req/s`,
      measured: `${fmt(hg.portal.fixed.latency.p99)} ms at ${fmt(hg.portal.fixed.requestsPerSecond, 0)} req/s (paced: ${fmt(hg.portal.paced.latency.p99)} ms)`,
      met:
        hg.portal.fixed.latency.p99 <= TARGETS.portalP99Ms &&
        hg.portal.fixed.requestsPerSecond >= TARGETS.portalRate * 0.95,
    });
  }
  const sqliteThroughput = wh?.throughput.find((t) => t.database === "sqlite");
  if (sqliteThroughput) {
    const t = sqliteThroughput;
    verdicts.push({
      target: `webhook deliveries ≥ ${TARGETS.webhooksPerSecond.toLocaleString("en")}/s`,
      measured: `${fmt(t.perSecond, 0)}/s (${t.received} of ${t.deliveries} received, ${t.duplicates} twice, ${t.deliveries - t.recordedDelivered} not recorded)`,
      met:
        t.perSecond >= TARGETS.webhooksPerSecond &&
        t.received === t.deliveries &&
        t.duplicates === 0 &&
        t.recordedDelivered === t.deliveries,
    });
  }
  if (wh) {
    const l = wh.latency;
    verdicts.push({
      target: `webhook p99 ≤ ${TARGETS.webhookP99Ms} ms from commit`,
      measured: `${fmt(l.latency.p99)} ms (${l.events} events, ${l.missing} missing, ${l.duplicates} twice)`,
      met: l.latency.p99 <= TARGETS.webhookP99Ms && l.missing === 0 && l.duplicates === 0,
    });
  }
  if (hg.alertsWebhooks) {
    const on = hg.alertsWebhooks.alertAll.p99;
    const off = hg.alerts.alertAll.p99;
    const pct = ((on - off) / off) * 100;
    verdicts.push({
      target: `alert p99 with webhooks on ≤ +${TARGETS.webhookAlertPercent} %`,
      measured: `${fmt(on)} ms on vs ${fmt(off)} ms off (${pct >= 0 ? "+" : ""}${fmt(pct)} %; off again: ${fmt(hg.alertsOffAgain?.alertAll.p99)} ms)`,
      met: pct <= TARGETS.webhookAlertPercent && hg.alertsWebhooks.problems.missingAlerts === 0,
    });
  }
  const vHeader = ["target (one node, SQLite)", "measured", ""];
  const vRows = verdicts.map((v) => [v.target, v.measured, verdictText(v.met)]);
  const extra = [
    `memory: RSS ${fmt((hg.memory.points[0]?.rssBytes ?? 0) / 2 ** 20, 0)} → ${fmt((hg.memory.points.at(-1)?.rssBytes ?? 0) / 2 ** 20, 0)} MiB for 0 → ${o.customers} idle customers (${fmt(hg.memory.kbPerConnection)} KB each; slope ${fmt(hg.memory.slopeKbPerConnection)} KB)`,
    `chat: ${hg.chat.sent} messages at ${fmt(hg.chat.rate, 0)}/s; ${hg.chat.lost} lost, ${hg.chat.unacked} unacked, ${hg.chat.seqMismatch} ack/receiver sequence mismatches`,
    `accept races: ${o.rounds} rounds, ${hg.alerts.problems.badWinners} without exactly one winner, ${hg.alerts.problems.unexpectedStatus} answers other than 200/409, ${hg.alerts.problems.missingAlerts} alerts and ${hg.alerts.problems.missingTold} "accepted" updates missing`,
  ];
  const cpuHeader = [
    `CPU, cores busy (of ${os.availableParallelism()})`,
    "server",
    "generator",
    "other programs (with PostgreSQL, Redis)",
  ];
  const cpuRow = (label: string, c: CpuUse) => [
    label,
    fmt(c.serverCores, 2),
    fmt(c.generatorCores, 2),
    fmt(c.otherCores, 2),
  ];
  const cpuRows = [
    cpuRow("helpgate: alerts + accept races", hg.alerts.cpu),
    cpuRow("helpgate: chat", hg.chat.cpu),
    ...(hg.portal
      ? [
          cpuRow(`helpgate: portal @ ${TARGETS.portalRate} req/s`, hg.portal.fixed.cpu),
          cpuRow(`helpgate: portal paced ${TARGETS.portalRate}/s`, hg.portal.paced.cpu),
          cpuRow("helpgate: portal flat out", hg.portal.max.cpu),
        ]
      : []),
    ...(hg.alertsWebhooks
      ? [cpuRow("helpgate: alerts + accept races, webhooks on", hg.alertsWebhooks.cpu)]
      : []),
    ...(wh
      ? [
          ...wh.throughput.map((t) =>
            cpuRow(
              `webhooks: ${t.deliveries} deliveries, ${t.database === "sqlite" ? "SQLite" : "PostgreSQL"}`,
              t.cpu,
            ),
          ),
          cpuRow(`webhooks: ${wh.latency.events} events through the API`, wh.latency.cpu),
        ]
      : []),
    ...(bl
      ? [cpuRow("baseline: alerts + accept races", bl.alerts.cpu), cpuRow("baseline: chat", bl.chat.cpu)]
      : []),
  ];
  let webhookText = "";
  let webhookMarkdown = "";
  if (wh) {
    const wHeader = [
      "webhook throughput, one node",
      "deliveries",
      "received",
      "twice",
      "bad sig.",
      "commit → first (ms)",
      "first → last (s)",
      "last → all recorded (ms)",
      "deliveries/s",
      "connections",
      "target",
    ];
    const wRows = wh.throughput.map((t) => [
      t.database === "sqlite" ? "SQLite" : "PostgreSQL",
      String(t.deliveries),
      String(t.received),
      String(t.duplicates),
      String(t.badSignatures),
      fmt(t.waitForPollMs, 0),
      fmt(t.spanMs / 1000, 2),
      fmt(t.recordTailMs, 0),
      fmt(t.perSecond, 0),
      String(t.connections),
      t.database === "sqlite" ? `≥ ${TARGETS.webhooksPerSecond.toLocaleString("en")}/s` : "",
    ]);
    if (wh.postgresSkipped) wRows.push(["PostgreSQL", "not run", "", "", "", "", "", "", "", "", ""]);
    webhookText = `\n\n${table(wHeader, wRows)}`;
    webhookMarkdown = `\n\n${markdownTable(wHeader, wRows)}`;
    for (const t of wh.throughput) {
      extra.push(
        `webhook throughput (${t.database}): ${t.deliveries} rows enqueued in ${fmt(t.enqueueMs, 0)} ms (one transaction); deliveries/s = recorded ÷ (first arrival → all recorded delivered); "commit → first" is the wait for the worker's next poll (nothing woke it)`,
      );
    }
    if (wh.postgresSkipped) extra.push(`webhook throughput on PostgreSQL not run: ${wh.postgresSkipped}`);
    const l = wh.latency;
    extra.push(
      `webhook latency: ${l.events} events at ${fmt(l.events / l.seconds, 0)}/s, ${l.missing} missing, ${l.duplicates} twice, ${l.badSignatures} bad signatures, ${l.httpErrors} HTTP errors; ${l.received} deliveries received in all (every event type)`,
    );
  }
  if (hg.alertWebhookStats) {
    const st = hg.alertWebhookStats;
    const types = Object.entries(st.byType)
      .sort()
      .map(([t, n]) => `${t} ${n}`)
      .join(", ");
    extra.push(
      `alerts with webhooks on: ${st.received} deliveries received (${types}), ${st.duplicates} twice, ${st.badSignatures} bad signatures`,
    );
  }
  for (const t of [hg, bl, pgOne, cl]) {
    if (t && t.socketErrors > 0)
      extra.push(`${t.name}: ${t.socketErrors} socket error messages, e.g. ${t.socketErrorExamples[0]}`);
  }
  let clusterText = "";
  let clusterMarkdown = "";
  if (cl) {
    const cHeader = [
      "cluster: 3 nodes, PostgreSQL + Redis (ms)",
      "p50",
      "p95",
      "p99",
      "max",
      "one node SQLite p99",
      "one node PostgreSQL p99",
      "+ vs SQLite",
      "+ vs PostgreSQL",
    ];
    const plus = (a: number, b: number | undefined) =>
      b === undefined ? "–" : `${a - b >= 0 ? "+" : ""}${fmt(a - b)}`;
    const cRow = (label: string, pick: (t: TargetResult) => Summary) => {
      const c = pick(cl);
      const one = pick(hg).p99;
      const pgP99 = pgOne ? pick(pgOne).p99 : undefined;
      return [
        label,
        fmt(c.p50),
        fmt(c.p95),
        fmt(c.p99),
        fmt(c.max),
        fmt(one),
        fmt(pgP99),
        plus(c.p99, one),
        plus(c.p99, pgP99),
      ];
    };
    const cRows = [
      cRow(`alert: node 1 → all ${A} agents on nodes 2–3`, (t) => t.alerts.alertAll),
      cRow("alert: submit → first agent", (t) => t.alerts.alertFirst),
      cRow(`accept race: ${A} accepts sent → all told`, (t) => t.alerts.acceptAllTold),
      cRow("chat: send → receiver (across nodes)", (t) => t.chat.latency),
      cRow("chat: send → ack (stored)", (t) => t.chat.ack),
    ];
    const diff = cl.alerts.alertAll.p99 - hg.alerts.alertAll.p99;
    verdicts.push({
      target: "cluster: cross-node alert p99 ≤ one node + 5 ms",
      measured: `${fmt(cl.alerts.alertAll.p99)} ms: ${plus(cl.alerts.alertAll.p99, hg.alerts.alertAll.p99)} vs one node on SQLite, ${pgOne ? plus(cl.alerts.alertAll.p99, pgOne.alerts.alertAll.p99) : "–"} vs one on PostgreSQL`,
      met: diff <= 5 && cl.alerts.problems.missingAlerts === 0,
    });
    vRows.push([
      verdicts.at(-1)?.target ?? "",
      verdicts.at(-1)?.measured ?? "",
      verdictText(verdicts.at(-1)?.met),
    ]);
    if (pgOne) {
      cpuRows.push(
        cpuRow("one node on PostgreSQL: alerts + accept races", pgOne.alerts.cpu),
        cpuRow("one node on PostgreSQL: chat", pgOne.chat.cpu),
      );
    }
    cpuRows.push(
      cpuRow("cluster (3 nodes): alerts + accept races", cl.alerts.cpu),
      cpuRow("cluster: chat", cl.chat.cpu),
    );
    extra.push(
      `cluster: ${cl.chat.sent} chat messages, ${cl.chat.lost} lost, ${cl.chat.unacked} unacked; ${cl.alerts.problems.badWinners} races without exactly one winner; RSS of node 1 with ${o.customers} idle customers ${fmt((cl.memory.points.at(-1)?.rssBytes ?? 0) / 2 ** 20, 0)} MiB (${fmt(cl.memory.kbPerConnection)} KB each)`,
    );
    clusterText = `\n\n${table(cHeader, cRows)}`;
    clusterMarkdown = `\n\n${markdownTable(cHeader, cRows)}`;
  }
  return {
    text: `${table(header, rows)}${clusterText}${webhookText}\n\n${table(vHeader, vRows)}\n\n${table(cpuHeader, cpuRows)}\n\n${extra.join("\n")}`,
    markdown: `${markdownTable(header, rows)}${clusterMarkdown}${webhookMarkdown}\n\n${markdownTable(vHeader, vRows)}\n\n${markdownTable(cpuHeader, cpuRows)}\n\n${extra.map((e) => `- ${e}`).join("\n")}`,
    verdicts,
  };
}

async function main(): Promise<void> {
  const o = options();
  ensureFileLimit(o);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helpgate-bench-"));
  const m = machine();
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
  const sizes =
    o.history.length > 0
      ? `A=${o.agents} agents, history of ${o.history.map((n) => n.toLocaleString("en")).join(" / ")} requests`
      : `A=${o.agents} agents, C=${o.customers} idle customers, S=${o.sessions} chat sessions`;
  log(`${command}: ${sizes}; ${m.nproc} cores, node ${m.node}; work dir ${dir}`);
  if (o.overload) {
    try {
      await mainOverload(o, dir, command, m);
    } finally {
      if (o.profile || o.nodeArgs.length > 0) log(`kept ${dir} (server log, profile)`);
      else fs.rmSync(dir, { recursive: true, force: true });
    }
    return;
  }
  if (o.history.length > 0) {
    try {
      await mainHistory(o, dir, command, m);
    } finally {
      if (o.profile || o.nodeArgs.length > 0) log(`kept ${dir} (server log, profile)`);
      else fs.rmSync(dir, { recursive: true, force: true });
    }
    return;
  }
  const started = performance.now();
  const baseline = o.baseline ? await runBaseline(o, dir) : null;
  if (baseline) await sleep(1000);
  const receiver = o.webhooks ? await WebhookReceiver.start() : null;
  let helpgate: TargetResult;
  let webhooks: WebhookResults | null = null;
  try {
    helpgate = await runHelpgate(o, dir, receiver);
    if (receiver) webhooks = await runWebhooks(o, dir, receiver);
  } finally {
    await receiver?.close();
  }
  const postgres = o.cluster ? await runPostgres(o, dir, 1) : null;
  const cluster = o.cluster ? await runPostgres(o, dir, 3) : null;
  const out = report(o, helpgate, baseline, postgres, cluster, webhooks);
  const totalSeconds = Math.round((performance.now() - started) / 1000);
  process.stdout.write(
    `\nHelpgate benchmark — ${m.date.slice(0, 10)}, ${m.nproc} × ${m.cpu}, ${m.memTotalGiB} GiB, node ${m.node}\n` +
      `${command}  (A=${o.agents}, C=${o.customers}, S=${o.sessions}; ${totalSeconds} s)\n\n${out.text}\n`,
  );
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  const json = {
    command,
    options: o,
    machine: m,
    totalSeconds,
    targets: TARGETS,
    verdicts: out.verdicts,
    helpgate,
    baseline,
    postgres,
    cluster,
    webhooks,
  };
  fs.writeFileSync(o.out, `${JSON.stringify(json, null, 2)}\n`);
  fs.writeFileSync(`${o.out.replace(/\.json$/, "")}.md`, `${out.markdown}\n`);
  process.stdout.write(`\nwrote ${o.out}\n`);
  if (o.profile || o.nodeArgs.length > 0) log(`kept ${dir} (server log, profile)`);
  else fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
