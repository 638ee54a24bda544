import type { FastifyInstance } from "fastify";
import client from "prom-client";
import type { Deps } from "../commands/context.js";
import { ping } from "../db/database.js";

export interface Metrics {
  registry: client.Registry;
  httpDuration: client.Histogram<"method" | "route" | "status">;
}

export function createMetrics(): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: "helpgate_" });
  const httpDuration = new client.Histogram({
    name: "helpgate_http_request_duration_seconds",
    help: "HTTP request duration by route",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return { registry, httpDuration };
}

export function installHealth(app: FastifyInstance, deps: Deps, metrics: Metrics): void {
  app.addHook("onResponse", async (request, reply) => {
    metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? "unmatched",
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
  app.get("/healthz", { schema: { hide: true } }, async (_request, reply) => {
    const ok = await ping(deps.db);
    return reply.code(ok ? 200 : 503).send(ok ? { ok: true } : { ok: false, error: "database unreachable" });
  });
  app.get("/metrics", { schema: { hide: true } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}
