import os from "node:os";
import type { Redis } from "ioredis";
import { buildApp } from "./app.js";
import type { Bus } from "./bus/bus.js";
import type { Presence } from "./bus/presence.js";
import { closeRedis, consoleLog, type LogSink, openRedis, redactUrl, whenReady } from "./bus/redis.js";
import { RedisBus } from "./bus/redisBus.js";
import { RedisPresence } from "./bus/redisPresence.js";
import { ConfigError, loadConfig } from "./config.js";
import { isUniqueViolation, migrate, openDatabase } from "./db/database.js";
import { DomainError } from "./domain/errors.js";
import { type FirstStartResult, firstStart } from "./firstStart.js";
import { DrainGate } from "./http/drain.js";

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env, process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`helpgate: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  // Tracing (README, "Tracing") only with OTEL_EXPORTER_OTLP_ENDPOINT: without it no OpenTelemetry
  // module is even loaded. Started first, so the migrations' statements are traced too.
  const tracing = config.tracing
    ? (await import("./tracing.js")).startTracing({
        ...config.tracing,
        nodeId: `${os.hostname()}:${config.port}`,
      })
    : undefined;
  const db = openDatabase(config.databaseUrl, tracing ? { tracing } : {});
  // Several nodes may start at once on an empty database: Kysely's migrator holds a lock meanwhile.
  await migrate(db);

  // With REDIS_URL this process is one node of a cluster: events and presence go through Redis.
  let cluster: { bus: RedisBus; presence: RedisPresence; rateLimit: Redis } | null = null;
  let redisLog: LogSink = consoleLog;
  if (config.redisUrl) {
    if (db.dialect === "sqlite") {
      console.warn(
        "helpgate: REDIS_URL is set but DATABASE_URL is SQLite; nodes only share data through PostgreSQL.",
      );
    }
    cluster = {
      // Named by host and port, the same across restarts: the other nodes notice a restart (a new epoch).
      bus: new RedisBus({
        url: config.redisUrl,
        prefix: config.redisPrefix,
        nodeId: `${os.hostname()}:${config.port}`,
        ...(tracing ? { tracing } : {}),
      }),
      presence: new RedisPresence({
        url: config.redisUrl,
        prefix: config.redisPrefix,
        ttlMs: config.presenceTtlMs,
      }),
      // Sign-in attempts counted across nodes; fails fast (and lets requests pass) when Redis is away.
      rateLimit: openRedis(config.redisUrl, `${config.redisPrefix}rate-limit`, () => redisLog, {
        enableOfflineQueue: false,
        commandTimeout: 1000,
      }),
    };
    try {
      await Promise.all([
        cluster.bus.ready(),
        cluster.presence.ready(),
        whenReady(cluster.rateLimit, config.redisUrl, 10_000),
      ]);
    } catch (err) {
      await Promise.all([cluster.bus.close(), cluster.presence.close(), closeRedis(cluster.rateLimit)]);
      await db.close();
      throw err;
    }
  }
  const clusterDeps: { bus?: Bus; presence?: Presence; rateLimitRedis?: Redis } = cluster
    ? { bus: cluster.bus, presence: cluster.presence, rateLimitRedis: cluster.rateLimit }
    : {};
  const { server, deps, readiness } = await buildApp({
    config,
    db,
    ...clusterDeps,
    ...(tracing ? { tracing } : {}),
  });
  if (cluster) {
    // The app's logger: a line the bus or presence writes while a request is handled has its reqId.
    redisLog = deps.log;
    cluster.bus.log = deps.log;
    cluster.presence.log = deps.log;
    // Events lost while Redis was away (or by a node that restarted) make the affected sockets
    // resync from the database: buildApp wires the bus's onMissed to the hub.
    server.log.info(
      { redis: redactUrl(config.redisUrl ?? ""), prefix: config.redisPrefix, node: cluster.presence.nodeId },
      "cluster node: Redis bus and presence",
    );
  } else {
    server.log.info("single node: in-process bus and presence");
  }

  let first: FirstStartResult | null = null;
  try {
    first = await firstStart(deps);
  } catch (err) {
    // Another node of a cluster starting at the same moment created the first operator first:
    // the unique email lets only one node through, the others carry on without a first start.
    const duplicate = err instanceof DomainError && err.status === 409 && err.code === "duplicate";
    if (!duplicate && !isUniqueViolation(err)) throw err;
    server.log.info("first start done by another node");
  }

  // The drain (README, "Draining and rolling restarts"): on SIGTERM/SIGINT /readyz answers 503 at
  // once; whatever still arrives is answered 503 with Retry-After, the listener closes, requests in
  // flight finish, every WebSocket finishes its message and is closed with 4503 (the browser
  // reconnects at once, elsewhere), the outbox and sweeper stop (onClose hooks), then Redis and the
  // database close. Whatever is left after HELPGATE_DRAIN_SECONDS is cut: logged, exit code 1.
  const gate = new DrainGate(server.server);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    // Before anything closes: /readyz answers 503 from now on, so load balancers stop sending traffic.
    readiness.startDraining();
    gate.start();
    server.log.info({ signal, drainSeconds: config.drainSeconds }, "draining");
    const cut = setTimeout(() => {
      void gate.left().then((left) => {
        const webSockets = server.websocketServer.clients.size;
        const cutSomething = left.requests > 0 || left.connections > 0 || webSockets > 0;
        server.log.warn(
          { ...left, webSockets, drainSeconds: config.drainSeconds },
          cutSomething
            ? "drain time is over: exiting with these cut"
            : "drain time is over: nothing was left open",
        );
        process.exit(cutSomething ? 1 : 0);
      });
    }, config.drainSeconds * 1000);
    await server.close();
    // Closing presence removes this node's entries: its agents go offline everywhere now, not after the TTL.
    if (cluster) {
      await Promise.all([cluster.presence.close(), cluster.bus.close(), closeRedis(cluster.rateLimit)]);
    }
    await db.close();
    // The spans of the drain itself go out before the process does.
    await tracing
      ?.shutdown()
      .catch((err: unknown) => server.log.warn({ err }, "tracing: last spans not sent"));
    clearTimeout(cut);
    server.log.info({ ms: Date.now() - started }, "drained");
    process.exit(0);
  };
  const onSignal = (signal: string) => {
    shutdown(signal).catch((err: unknown) => {
      server.log.error({ err }, "drain failed; exiting");
      process.exit(1);
    });
  };
  // A second signal finds no handler: the process ends at once (Ctrl-C twice).
  process.once("SIGINT", () => onSignal("SIGINT"));
  process.once("SIGTERM", () => onSignal("SIGTERM"));

  await server.listen({ port: config.port, host: config.host });
  const base = config.publicUrl;
  const out: string[] = [
    "",
    `Helpgate is running on ${db.dialect === "sqlite" ? `SQLite (${config.databaseUrl.replace(/^sqlite:/, "")})` : "PostgreSQL"}.`,
    cluster
      ? `It runs as a cluster node: events and presence through Redis at ${redactUrl(config.redisUrl ?? "")} (node ${cluster.presence.nodeId}).`
      : "It runs alone: events and presence stay in this process (set REDIS_URL to run several nodes).",
    "",
    `  Admin pages     ${base}/admin`,
    `  Agent console   ${base}/console`,
    `  Code portal     ${base}/join`,
    `  Health          ${base}/healthz`,
    `  Probes          ${base}/livez (live)  ${base}/readyz (ready)`,
    `  API document    ${base}/api/docs/json`,
  ];
  if (first) {
    if (first.portalUrls.length > 0) {
      out.push("", "Demo portals:");
      for (const p of first.portalUrls) out.push(`  ${p.url.padEnd(44)} ${p.name}`);
    }
    out.push("", "First start — sign in with (passwords are shown only now):");
    for (const c of first.credentials) {
      out.push(
        `  ${c.email.padEnd(28)} ${(c.password ?? "(your HELPGATE_ADMIN_PASSWORD)").padEnd(22)} ${c.who}`,
      );
    }
    if (first.credentialsFile) out.push("", `A copy is in ${first.credentialsFile} (readable only by you).`);
  }
  console.log(`${out.join("\n")}\n`);
}

main().catch((err: unknown) => {
  console.error("helpgate: could not start:", err instanceof Error ? err.message : err);
  process.exit(1);
});
