import fastifyCookie from "@fastify/cookie";
import fastifyHelmet from "@fastify/helmet";
import fastifyRateLimit from "@fastify/rate-limit";
import fastifySwagger from "@fastify/swagger";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyInstance } from "fastify";
import type { Deps } from "./commands/context.js";
import type { Config } from "./config.js";
import type { Db } from "./db/database.js";
import { accountRoutes } from "./http/api/accounts.js";
import { authRoutes } from "./http/api/auth.js";
import { portalRoutes } from "./http/api/portals.js";
import { userRoutes } from "./http/api/users.js";
import { installErrorHandling } from "./http/errors.js";
import { createMetrics, installHealth } from "./http/health.js";
import { installSession } from "./http/session.js";
import { installWeb } from "./http/web.js";

export interface AppOptions {
  config: Config;
  db: Db;
  now?: () => number;
  logger?: boolean;
}

export interface App {
  server: FastifyInstance;
  deps: Deps;
}

export async function buildApp(options: AppOptions): Promise<App> {
  const { config, db } = options;
  const server = Fastify({
    logger: options.logger === false ? false : { level: config.logLevel },
    trustProxy: config.trustProxy,
    bodyLimit: 256 * 1024,
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const deps: Deps = { db, config, now: options.now ?? Date.now, log: server.log };
  const metrics = createMetrics();

  installErrorHandling(server);
  await server.register(fastifyCookie);
  await server.register(fastifyHelmet, {
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
  await server.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      error: "rate_limited",
      message: `Too many attempts from your address. Try again in ${Math.max(1, Math.ceil(context.ttl / 1000))} seconds.`,
    }),
  });
  installSession(server, deps);

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
    },
    { prefix: "/api/v1" },
  );
  server.get("/api/docs/json", { schema: { hide: true } }, async () => server.swagger());

  installHealth(server, deps, metrics);
  await installWeb(server, deps);
  return { server, deps };
}
