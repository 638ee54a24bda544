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
  const db = openDatabase(config.databaseUrl);
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
  const { server, deps, readiness } = await buildApp({ config, db, ...clusterDeps });
  if (cluster) {
    redisLog = server.log;
    cluster.bus.log = server.log;
    cluster.presence.log = server.log;
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

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Before anything closes: /readyz answers 503 from now on, so load balancers stop sending traffic.
    readiness.startDraining();
    server.log.info({ signal }, "shutting down");
    await server.close();
    // Closing presence removes this node's entries: its agents go offline everywhere now, not after the TTL.
    if (cluster) {
      await Promise.all([cluster.presence.close(), cluster.bus.close(), closeRedis(cluster.rateLimit)]);
    }
    await db.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));

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
