import fastifyCookie from "@fastify/cookie";
import fastifyRateLimit from "@fastify/rate-limit";
import fastifySwagger from "@fastify/swagger";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyInstance } from "fastify";
import helmet from "helmet";
import type { Redis } from "ioredis";
import client from "prom-client";
import { type Bus, channels } from "./bus/bus.js";
import { InProcessBus } from "./bus/inProcessBus.js";
import { InProcessPresence, type Presence } from "./bus/presence.js";
import { RedisBus } from "./bus/redisBus.js";
import { RequestOutcomes } from "./bus/requestOutcomes.js";
import type { Deps } from "./commands/context.js";
import type { Config } from "./config.js";
import type { Db } from "./db/database.js";
import { Reactions } from "./events/reactions.js";
import { accountRoutes } from "./http/api/accounts.js";
import { authRoutes } from "./http/api/auth.js";
import { cannedRoutes } from "./http/api/canned.js";
import { consoleRoutes } from "./http/api/console.js";
import { customerRoutes } from "./http/api/customer.js";
import { integrationRoutes } from "./http/api/integrations.js";
import { portalRoutes } from "./http/api/portals.js";
import { reportRoutes } from "./http/api/reports.js";
import { teamRoutes } from "./http/api/team.js";
import { userRoutes } from "./http/api/users.js";
import { installErrorHandling } from "./http/errors.js";
import { createMetrics, installHealth } from "./http/health.js";
import { installRequestIds, loggerOptions, requestId, requestScopedLog } from "./http/logging.js";
import { SOCKET_KINDS, watchWaiting } from "./http/metrics.js";
import { installPasswordPages } from "./http/passwordPages.js";
import { Readiness } from "./http/readiness.js";
import { installRealtime } from "./http/realtime.js";
import { documentCommonResponses } from "./http/responses.js";
import { installSession } from "./http/session.js";
import { installBusyLoopFailpoint, installShedding, LoadMonitor } from "./http/shedding.js";
import { SignInCache } from "./http/signInCache.js";
import { SubmitLimit } from "./http/submitLimit.js";
import { installTextGuard } from "./http/textGuard.js";
import { frameworkErrorHandler, installWeb } from "./http/web.js";
import { Hub } from "./hub/hub.js";
import { Mailer } from "./outbox/mailer.js";
import { WebhookSender } from "./outbox/webhookSender.js";
import { OutboxWorker } from "./outbox/worker.js";
import { reactions, stagedReactions } from "./reactions/index.js";
import { outboxCounts } from "./store/outbox.js";
import { startSweeper } from "./sweeper.js";
import type { Tracing } from "./tracing.js";

export interface AppOptions {
  config: Config;
  db: Db;
  now?: () => number;
  logger?: boolean;
  /** Where the log lines go instead of stdout (tests read what was logged). */
  logStream?: { write(line: string): void };
  /** Defaults to the in-process bus and presence (one node). */
  bus?: Bus;
  presence?: Presence;
  /**
   * A cluster's Redis connection for the sign-in rate limit, so the limit counts attempts across
   * all nodes; without it each node counts its own. When Redis fails, requests pass (the per-user
   * lockout in the database still holds).
   */
  rateLimitRedis?: Redis;
  /** How often overdue requests and codes are swept (ms); 0 switches the sweeper off (tests drive it). */
  sweepEveryMs?: number;
  /** How often the sweeper's reconcile pass re-examines queues nobody was offered from (ms; default 5 s). */
  reconcileEveryMs?: number;
  /** The outbox worker stays off (a test or bench drives delivery itself). */
  outboxOff?: boolean;
  /** OpenTelemetry (main.ts starts it when OTEL_EXPORTER_OTLP_ENDPOINT is set): a span per request. */
  tracing?: Tracing;
}

export interface App {
  server: FastifyInstance;
  deps: Deps;
  hub: Hub;
  outbox: OutboxWorker;
  /** What /readyz reports; main.ts calls `startDraining()` first thing on SIGTERM/SIGINT. */
  readiness: Readiness;
}

export async function buildApp(options: AppOptions): Promise<App> {
  const { config, db } = options;
  const server = Fastify({
    // JSON or pretty lines, secrets redacted, every request's lines with its id (http/logging.ts).
    logger: options.logger === false ? false : loggerOptions(config, options.logStream),
    genReqId: requestId,
    trustProxy: config.trustProxy,
    bodyLimit: 256 * 1024,
    frameworkErrors: frameworkErrorHandler,
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // First of all hooks, so a request's span covers them all (and is the parent of its queries).
  options.tracing?.installHttp(server);
  installRequestIds(server);
  // Lines logged while a request is handled (commands, reactions, limits) carry its reqId.
  const log = requestScopedLog(server.log);

  const metrics = createMetrics();
  // Load shedding (http/shedding.ts): the first hook after the request ids, so an overloaded node
  // answers 503 before a session lookup or anything else is done for the request.
  const load = new LoadMonitor(config.shedding, {
    changed: (reason, sample) => {
      metrics.overloaded.set(reason === null ? 0 : 1);
      if (reason === null) server.log.info(sample, "load back to normal: serving new requests again");
      else server.log.warn({ reason, ...sample }, "overloaded: new requests are answered 503");
    },
  });
  installShedding(server, load, (reason) => metrics.shedRequests.inc({ reason }));
  const stopBusyLoop = installBusyLoopFailpoint(config.failpoint, server.log);
  if (stopBusyLoop) server.addHook("onClose", async () => stopBusyLoop());
  const reactionFailures = new client.Counter({
    name: "helpgate_reaction_failures_total",
    help: "Reactions (side effects after a committed change) that failed, by reaction",
    labelNames: ["reaction"] as const,
    registers: [metrics.registry],
  });
  const events = new Reactions(reactions, {
    onFailure: (reaction) => reactionFailures.inc({ reaction }),
    failpoint: config.failpoint,
    staged: stagedReactions,
  });
  const now = options.now ?? Date.now;
  let worker: OutboxWorker | null = null;
  // Sign-ins looked up once per few seconds per node, forgotten everywhere on every change that matters.
  const signIns = new SignInCache(config.signInCacheMs, now);
  const deps: Deps = {
    db,
    config,
    now,
    log,
    bus: options.bus ?? new InProcessBus(options.tracing),
    presence: options.presence ?? new InProcessPresence(),
    events,
    outcomes: new RequestOutcomes(),
    signIns,
    outbox: { wake: () => worker?.wake() },
    metrics,
  };
  events.attach(deps);
  const outboxResults = new client.Counter({
    name: "helpgate_outbox_results_total",
    help: "Tries of outbox deliveries by kind (email, webhook) and outcome (delivered, failed, dead)",
    labelNames: ["kind", "outcome"] as const,
    registers: [metrics.registry],
  });
  // The outbox's backlog as the database has it (every node reports the same figure).
  new client.Gauge({
    name: "helpgate_outbox_deliveries",
    help: "Outbox deliveries waiting (pending) and given up (dead), emails and webhooks together",
    labelNames: ["state"] as const,
    registers: [metrics.registry],
    async collect() {
      // A database that cannot be reached leaves the last figures (a scrape never fails for it).
      const counts = await outboxCounts(db.kysely).catch(() => null);
      if (!counts) return;
      this.set({ state: "pending" }, counts.pending);
      this.set({ state: "dead" }, counts.dead);
    },
  });
  new client.Gauge({
    name: "helpgate_outbox_oldest_pending_seconds",
    help: "Age of the oldest delivery still waiting in the outbox (0 when none waits)",
    registers: [metrics.registry],
    async collect() {
      const counts = await outboxCounts(db.kysely).catch(() => null);
      if (!counts) return;
      this.set(
        counts.oldestPendingAt === null ? 0 : Math.max(0, (Date.now() - counts.oldestPendingAt) / 1000),
      );
    },
  });
  const sender = new WebhookSender({
    timeoutMs: config.webhookTimeoutMs,
    allowPrivate: config.webhooksAllowPrivate,
  });
  const mailer = config.smtpUrl ? new Mailer(config.smtpUrl, config.mailFrom, 10_000) : null;
  worker = new OutboxWorker(deps, sender, mailer, (kind, outcome) => outboxResults.inc({ kind, outcome }));
  const hub = new Hub(deps.bus, {
    delivered: (event) => metrics.alertDelivered(event, now()),
    resynced: () => metrics.socketResyncs.inc(),
  });
  // Metrics read at scrape time: customers waiting and agents available per account, open sockets.
  watchWaiting(metrics, { db, presence: deps.presence, now });
  new client.Gauge({
    name: "helpgate_sockets_open",
    help: "WebSockets open on this node, by kind (console: agents' consoles; customer: customer pages)",
    labelNames: ["kind"] as const,
    registers: [metrics.registry],
    collect() {
      const counts = hub.countByKind();
      this.reset();
      for (const kind of SOCKET_KINDS) this.set({ kind }, counts.get(kind) ?? 0);
      const other = counts.get("other");
      if (other !== undefined) this.set({ kind: "other" }, other);
    },
  });
  if (deps.bus instanceof RedisBus) deps.bus.onPublishFailed(() => metrics.busPublishFailures.inc());
  // Requests decided anywhere (this node or another) that this node hears of: a race's late losers
  // are answered from memory. Account channels carry the account's id.
  hub.tap((channel, event) => {
    if (event.type !== "request.updated" || !channel.startsWith("account:")) return;
    const r = event.request;
    deps.outcomes.record(r.id, {
      accountId: channel.slice("account:".length),
      state: r.state,
      agentName: r.agentName,
    });
  });
  // A cluster's bus may lose events (Redis away, a node restarted): the affected sockets catch up.
  deps.bus.onMissed?.((channels) => {
    metrics.busResyncs.inc({ scope: channels === null ? "all" : "channels" });
    void hub.resyncChannels(channels);
  });

  installErrorHandling(server);
  // Anonymous submits per address per portal, counted where the sign-in rate limit counts.
  server.decorate(
    "submitLimit",
    new SubmitLimit(config.submitsPerAddress, deps.now, {
      redis: options.rateLimitRedis,
      namespace: `${config.redisPrefix}rate-limit:`,
      log,
    }),
  );
  await server.register(fastifyCookie);
  // The security headers of every answer, built once: @fastify/helmet builds a new helmet (and
  // parses the CSP again) on every request, which the benchmark's profile showed on each portal view.
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:", "https:"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // The portal pages may show a logo from the company's own site.
    crossOriginEmbedderPolicy: false,
    // HSTS only means something over HTTPS; on plain http://localhost it would be noise.
    strictTransportSecurity: config.publicUrl.startsWith("https:"),
  });
  server.addHook("onRequest", (request, reply, done) => {
    securityHeaders(request.raw, reply.raw, (err?: unknown) => done(err instanceof Error ? err : undefined));
  });
  await server.register(fastifyRateLimit, {
    global: false,
    ...(options.rateLimitRedis
      ? { redis: options.rateLimitRedis, nameSpace: `${config.redisPrefix}rate-limit:`, skipOnError: true }
      : {}),
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      error: "rate_limited",
      message: `Too many attempts from your address. Try again in ${Math.max(1, Math.ceil(context.ttl / 1000))} seconds.`,
    }),
  });
  await deps.bus.subscribe(channels.signIns, (event) => {
    if (event.type === "sign-ins.changed") signIns.forgetUser(event.userId);
  });
  deps.bus.onMissed?.(() => signIns.clear());
  installSession(server, deps, signIns);
  installTextGuard(server);

  await server.register(fastifySwagger, {
    openapi: {
      info: { title: "Helpgate API", version: "1" },
      servers: [{ url: config.publicUrl }],
      components: {
        securitySchemes: {
          cookieAuth: {
            type: "apiKey",
            in: "cookie",
            name: "hg_session",
            description: "The sign-in of the console and admin pages",
          },
          bearerAuth: {
            type: "http",
            scheme: "bearer",
            description: "An API token (hg_…) made by an admin, for the routes that name a scope",
          },
        },
      },
    },
    // Only /api/v1, each route with the refusals every route may give (413, 415, 503).
    transform: documentCommonResponses,
  });

  await server.register(
    async (api) => {
      await api.register(authRoutes, { deps });
      await api.register(accountRoutes, { deps });
      await api.register(userRoutes, { deps });
      await api.register(portalRoutes, { deps });
      await api.register(consoleRoutes, { deps });
      await api.register(cannedRoutes, { deps });
      await api.register(teamRoutes, { deps });
      await api.register(customerRoutes, { deps });
      await api.register(integrationRoutes, { deps });
      await api.register(reportRoutes, { deps });
    },
    { prefix: "/api/v1" },
  );
  server.get("/api/docs/json", { schema: { hide: true } }, async () => server.swagger());

  // Redis is checked on the presence connection the node already holds (none: a single node, "off").
  const readiness = new Readiness({
    db,
    redisPing: deps.presence.ping?.bind(deps.presence) ?? null,
    overloaded: () => load.overloaded,
  });
  installHealth(server, deps, metrics, readiness);
  await installRealtime(server, deps, hub);
  await installPasswordPages(server, deps);
  await installWeb(server, deps);
  const stopSweeper = startSweeper(deps, {
    everyMs: options.sweepEveryMs ?? 1000,
    reconcileEveryMs: options.reconcileEveryMs ?? config.reconcileEveryMs,
  });
  server.addHook("onClose", async () => stopSweeper());
  const outbox = worker;
  if (!options.outboxOff) outbox.start();
  server.addHook("onClose", async () => {
    await outbox.stop();
    sender.close();
    mailer?.close();
  });
  return { server, deps, hub, outbox, readiness };
}
