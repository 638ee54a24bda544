import { createHash, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { FastifyInstance } from "fastify";
import client from "prom-client";
import type { Deps } from "../commands/context.js";
import type { ListenAddress } from "../config.js";
import { ping } from "../db/database.js";
import { DomainError } from "../domain/errors.js";
import type { Metrics } from "./metrics.js";
import type { Readiness } from "./readiness.js";

export { createMetrics, type Metrics } from "./metrics.js";

/** The route whose 409 "already taken" is an accept race lost (helpgate_accept_races_lost_total). */
const ACCEPT_ROUTE = "/api/v1/requests/:requestId/accept";

/** How long a load balancer should wait before it asks a node that is not ready again. */
const READY_RETRY_AFTER_SECONDS = 5;

export function installHealth(
  app: FastifyInstance,
  deps: Deps,
  metrics: Metrics,
  readiness: Readiness,
): void {
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
  // An accept that lost the race: another agent was first (the winner's name is in the answer).
  app.addHook("onError", async (request, _reply, error) => {
    if (
      error instanceof DomainError &&
      error.code === "already_taken" &&
      request.routeOptions.url === ACCEPT_ROUTE
    )
      metrics.acceptRacesLost.inc();
  });
  // What /readyz would answer now, for the alert "a node is not ready" (1 ready, 0 not).
  new client.Gauge({
    name: "helpgate_ready",
    help: "Whether this node is ready for traffic, as GET /readyz answers (1 ready, 0 not: draining, database, Redis, migrations)",
    registers: [metrics.registry],
    async collect() {
      this.set((await readiness.check()).ok ? 1 : 0);
    },
  });
  app.get("/healthz", { schema: { hide: true } }, async (_request, reply) => {
    const ok = await ping(deps.db);
    return reply.code(ok ? 200 : 503).send(ok ? { ok: true } : { ok: false, error: "database unreachable" });
  });
  // Liveness: the event loop serves. No I/O, so a database or Redis outage never gets the process
  // restarted (that is what /readyz is for: it takes the node out of the load balancer instead).
  app.get("/livez", { schema: { hide: true } }, async (_request, reply) =>
    reply.header("cache-control", "no-store").send({ ok: true }),
  );
  // Readiness: database (ping, ~1 s at most), Redis when the node has it, migrations done, not
  // draining. 503 names the failing checks; Retry-After tells a client when to look again.
  app.get("/readyz", { schema: { hide: true } }, async (_request, reply) => {
    const report = await readiness.check();
    reply.header("cache-control", "no-store");
    if (report.ok) return reply.code(200).send({ ok: true, checks: report.checks });
    return reply
      .code(503)
      .header("retry-after", String(READY_RETRY_AFTER_SECONDS))
      .send({ ok: false, checks: report.checks, failing: report.failing });
  });
  const token = deps.config.metricsToken;
  // Without a token the main port has no /metrics at all (a 404 like any unknown page): it faces
  // the customers, and the metrics tell them how busy the support is. See the README's Security.
  if (token !== null) {
    app.get("/metrics", { schema: { hide: true } }, async (request, reply) => {
      const refusal = metricsRefusal(request.headers.authorization, token);
      if (refusal) {
        if (refusal.status === 401) reply.header("www-authenticate", 'Bearer realm="metrics"');
        return reply.code(refusal.status).type("application/json; charset=utf-8").send(refusal.body);
      }
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  }
  const listen = deps.config.metricsListen;
  if (listen !== null) installMetricsListener(app, metrics, listen, token);
}

interface Refusal {
  status: 401 | 403;
  body: { error: string; message: string };
}

/** Why a scrape is refused (no bearer token, or the wrong one), or null when it may have the metrics. */
export function metricsRefusal(authorization: string | undefined, token: string): Refusal | null {
  const given = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
  if (given === undefined) {
    return {
      status: 401,
      body: { error: "signed_out", message: "Send the metrics token as Authorization: Bearer <token>." },
    };
  }
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(token).digest();
  if (!timingSafeEqual(a, b)) {
    return { status: 403, body: { error: "forbidden", message: "That is not the metrics token." } };
  }
  return null;
}

/**
 * HELPGATE_METRICS_LISTEN: a listener of its own that serves only `GET /metrics`, on an address
 * the operator keeps private (127.0.0.1, a cluster-internal interface); the token is asked for
 * there too when one is set. Bound when the app gets ready (a taken port fails the start) and
 * closed with it.
 */
function installMetricsListener(
  app: FastifyInstance,
  metrics: Metrics,
  listen: ListenAddress,
  token: string | null,
): void {
  const server = http.createServer((req, res) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    const path = (req.url ?? "").split("?")[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      return send(404, "text/plain; charset=utf-8", "Only GET /metrics is served here.\n");
    }
    const refusal = token === null ? null : metricsRefusal(req.headers.authorization, token);
    if (refusal) {
      if (refusal.status === 401) res.setHeader("www-authenticate", 'Bearer realm="metrics"');
      return send(refusal.status, "application/json; charset=utf-8", JSON.stringify(refusal.body));
    }
    metrics.registry.metrics().then(
      (text) => send(200, metrics.registry.contentType, text),
      (err: unknown) => {
        app.log.error({ err }, "metrics failed");
        send(500, "text/plain; charset=utf-8", "The metrics could not be collected.\n");
      },
    );
  });
  app.addHook("onReady", async () => {
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err) =>
        reject(new Error(`HELPGATE_METRICS_LISTEN ${listen.host}:${listen.port}: ${err.message}`)),
      );
      server.listen(listen.port, listen.host, () => resolve());
    });
    app.log.info({ address: `${listen.host}:${listen.port}` }, "metrics served on their own address");
  });
  app.addHook("onClose", async () => {
    if (!server.listening) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
}
