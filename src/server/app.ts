import fastifyCookie from "@fastify/cookie";
import fastifyRateLimit from "@fastify/rate-limit";
import fastifySwagger from "@fastify/swagger";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyInstance } from "fastify";
import helmet from "helmet";
import type { Redis } from "ioredis";
import type { Bus } from "./bus/bus.js";
import { InProcessBus } from "./bus/inProcessBus.js";
import { InProcessPresence, type Presence } from "./bus/presence.js";
import { sweepCodes } from "./commands/codes.js";
import type { Deps } from "./commands/context.js";
import { sweepOffers } from "./commands/queue.js";
import { sweep } from "./commands/requests.js";
import type { Config } from "./config.js";
import type { Db } from "./db/database.js";
import { accountRoutes } from "./http/api/accounts.js";
import { authRoutes } from "./http/api/auth.js";
import { consoleRoutes } from "./http/api/console.js";
import { customerRoutes } from "./http/api/customer.js";
import { portalRoutes } from "./http/api/portals.js";
import { userRoutes } from "./http/api/users.js";
import { installErrorHandling } from "./http/errors.js";
import { createMetrics, installHealth } from "./http/health.js";
import { installRealtime } from "./http/realtime.js";
import { installSession } from "./http/session.js";
import { installTextGuard } from "./http/textGuard.js";
import { frameworkErrorHandler, installWeb } from "./http/web.js";
import { Hub } from "./hub/hub.js";

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
}

export interface App {
  server: FastifyInstance;
  deps: Deps;
  hub: Hub;
}

/** Time passing for requests and codes: a periodic, idempotent sweep (safe on every node at once). */
function startSweeper(server: FastifyInstance, deps: Deps, everyMs: number): void {
  if (everyMs <= 0) return;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    Promise.all([sweep(deps), sweepCodes(deps), sweepOffers(deps)])
      .catch((err: unknown) => deps.log.warn({ err }, "sweep failed; will retry"))
      .finally(() => {
        running = false;
      });
  }, everyMs);
  timer.unref();
  server.addHook("onClose", async () => clearInterval(timer));
}

export async function buildApp(options: AppOptions): Promise<App> {
  const { config, db } = options;
  const server = Fastify({
    logger:
      options.logger === false
        ? false
        : { level: config.logLevel, ...(options.logStream ? { stream: options.logStream } : {}) },
    trustProxy: config.trustProxy,
    bodyLimit: 256 * 1024,
    frameworkErrors: frameworkErrorHandler,
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const deps: Deps = {
    db,
    config,
    now: options.now ?? Date.now,
    log: server.log,
    bus: options.bus ?? new InProcessBus(),
    presence: options.presence ?? new InProcessPresence(),
  };
  const hub = new Hub(deps.bus);
  // A cluster's bus may lose events (Redis away, a node restarted): the affected sockets catch up.
  deps.bus.onMissed?.((channels) => void hub.resyncChannels(channels));
  const metrics = createMetrics();

  installErrorHandling(server);
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
  installSession(server, deps);
  installTextGuard(server);

  await server.register(fastifySwagger, {
    openapi: {
      info: { title: "Helpgate API", version: "1" },
      servers: [{ url: config.publicUrl }],
    },
    transform: ({ schema, url }) =>
      url.startsWith("/api/v1") ? { schema, url } : { schema: { ...schema, hide: true }, url },
  });

  await server.register(
    async (api) => {
      await api.register(authRoutes, { deps });
      await api.register(accountRoutes, { deps });
      await api.register(userRoutes, { deps });
      await api.register(portalRoutes, { deps });
      await api.register(consoleRoutes, { deps });
      await api.register(customerRoutes, { deps });
    },
    { prefix: "/api/v1" },
  );
  server.get("/api/docs/json", { schema: { hide: true } }, async () => server.swagger());

  installHealth(server, deps, metrics);
  await installRealtime(server, deps, hub);
  await installWeb(server, deps);
  startSweeper(server, deps, options.sweepEveryMs ?? 1000);
  return { server, deps, hub };
}
