import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVICE_INSTANCE_ID,
  ATTR_SERVICE_NAME,
  ATTR_URL_SCHEME,
} from "@opentelemetry/semantic-conventions";
import type { FastifyInstance, FastifyRequest } from "fastify";

/**
 * Optional OpenTelemetry tracing (README, "Tracing"): spans of HTTP requests, database statements
 * and bus publishes, sent over OTLP/HTTP. main.ts loads this module with a dynamic import only when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set; everything else imports only its types (erased), so without
 * the variable no OpenTelemetry SDK module is loaded and the request, query and publish paths have
 * no hook at all.
 *
 * Each `startTracing` has its own provider and exporter (tests start several in one process); what
 * is process-wide is only the async context manager and the W3C propagator, set once.
 */

export interface TracingOptions {
  /** Where spans are POSTed: the full OTLP/HTTP traces URL, e.g. http://collector:4318/v1/traces. */
  tracesUrl: string;
  /** `service.name` (OTEL_SERVICE_NAME, default "helpgate"). */
  serviceName: string;
  /** This node's name (host:port, as the Redis bus stamps it): `service.instance.id` and `helpgate.node.id`. */
  nodeId: string;
}

/** A span that is running; `end` closes it (with the error, when the operation failed). */
export interface RunningSpan {
  end(error?: unknown): void;
}

/** The database dialects, as database.ts names them. */
export type TracedDialect = "sqlite" | "postgres";

/** Which bus published: the cluster's Redis pub/sub or the single node's in-process one. */
export type TracedBus = "redis" | "in-process";

export interface Tracing {
  /** Installs the server span hooks; call before any other hook, so the span covers them all. */
  installHttp(server: FastifyInstance): void;
  /** One finished statement: a span child of the active one, `durationMs` long, ending now. */
  query(dialect: TracedDialect, sqlText: string, durationMs: number, error?: unknown): void;
  /** A bus publish starting now, child of the active span; end it when the bus has taken the event. */
  publish(bus: TracedBus, channel: string, eventType: string): RunningSpan;
  /** Sends every span ended so far. */
  forceFlush(): Promise<void>;
  /** Sends what is left and stops; spans started later are dropped. */
  shutdown(): Promise<void>;
}

let processWideSet = false;

/** The async context manager (so a request's span is the parent of its queries) and the W3C propagator, once per process. */
function setProcessWide(): void {
  if (processWideSet) return;
  processWideSet = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

export function startTracing(options: TracingOptions): Tracing {
  setProcessWide();
  // The SDK's telemetry.sdk.*, then OTEL_RESOURCE_ATTRIBUTES; the service name and node id are ours.
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: options.serviceName,
        [ATTR_SERVICE_INSTANCE_ID]: options.nodeId,
        "helpgate.node.id": options.nodeId,
      }),
    );
  // The exporter reads OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION …; the processor
  // OTEL_BSP_*; the provider OTEL_TRACES_SAMPLER(_ARG) and the attribute limits.
  const exporter = new OTLPTraceExporter({ url: options.tracesUrl });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  const tracer = provider.getTracer("helpgate");
  return {
    installHttp: (server) => installHttpSpans(server, tracer),
    query: (dialect, sqlText, durationMs, error) => querySpan(tracer, dialect, sqlText, durationMs, error),
    publish: (bus, channel, eventType) => publishSpan(tracer, bus, channel, eventType),
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/** Milliseconds since the epoch, with the fraction performance.now() gives. */
function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

function failed(span: Span, error: unknown): void {
  // The message and type only: no stack, no driver detail (a constraint's detail names the values).
  const e = error as { code?: unknown; name?: unknown; message?: unknown } | null;
  const type = typeof e?.code === "string" ? e.code : typeof e?.name === "string" ? e.name : "Error";
  span.setAttribute(ATTR_ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: typeof e?.message === "string" ? e.message : type });
}

interface RequestSpan {
  span: Span;
  ctx: Context;
}

/**
 * A SERVER span per request, named `<method> <route template>` (`GET /api/v1/requests/:id`), with
 * the method, route, status and request id. Never the URL itself (a password-reset link carries a
 * token in its path; the query string may carry anything) nor any header. An incoming
 * `traceparent` makes it a child of the caller's span.
 */
function installHttpSpans(server: FastifyInstance, tracer: Tracer): void {
  const running = new WeakMap<FastifyRequest, RequestSpan>();
  const finish = (request: FastifyRequest, status: number | null, error?: unknown) => {
    const r = running.get(request);
    if (!r) return;
    running.delete(request);
    if (status !== null) {
      r.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      if (status >= 500) {
        r.span.setAttribute(ATTR_ERROR_TYPE, String(status));
        r.span.setStatus({ code: SpanStatusCode.ERROR });
      }
    }
    if (error !== undefined) failed(r.span, error);
    r.span.end();
  };
  server.addHook("onRequest", (request, _reply, done) => {
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const route = request.routeOptions.url;
    const attributes: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: request.method,
      [ATTR_URL_SCHEME]: request.protocol,
      [ATTR_NETWORK_PROTOCOL_VERSION]: request.raw.httpVersion,
      "helpgate.request_id": request.id,
    };
    if (route) attributes[ATTR_HTTP_ROUTE] = route;
    const span = tracer.startSpan(
      route ? `${request.method} ${route}` : request.method,
      { kind: SpanKind.SERVER, attributes },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    running.set(request, { span, ctx });
    // The rest of the hooks, and whatever they start, run with this span active.
    context.with(ctx, done);
  });
  server.addHook("preHandler", (request, _reply, done) => {
    const r = running.get(request);
    if (!r) return done();
    if (request.headers.upgrade?.toLowerCase() === "websocket") {
      // The socket outlives the request: the span covers the upgrade's hooks (the sign-in check).
      r.span.setAttribute("helpgate.websocket", true);
      finish(request, null);
      return done();
    }
    // Whatever reading the body did to the async context, the handler (and what it starts) runs
    // with the request's span; the test sends a sign-in's body in two pieces to check it.
    context.with(r.ctx, done);
  });
  server.addHook("onError", (request, _reply, error, done) => {
    const r = running.get(request);
    if (r) failed(r.span, error);
    done();
  });
  server.addHook("onResponse", (request, reply, done) => {
    finish(request, reply.statusCode);
    done();
  });
  server.addHook("onRequestAbort", (request, done) => {
    finish(request, null, Object.assign(new Error("the client closed the request"), { code: "aborted" }));
    done();
  });
}

const SQL_OPERATION = /^\s*(\w+)/;
const SQL_TABLE = /\b(?:from|into|update|join)\s+"?([A-Za-z_][\w]*)"?/i;

/**
 * A CLIENT span per statement: `db.system.name` (and the older `db.system`) sqlite or postgresql,
 * the SQL text as Kysely compiled it — values are bound parameters ($1, ?), and parameters are
 * never recorded.
 */
function querySpan(
  tracer: Tracer,
  dialect: TracedDialect,
  sqlText: string,
  durationMs: number,
  error: unknown,
): void {
  const end = nowMs();
  const system = dialect === "postgres" ? "postgresql" : "sqlite";
  const operation = (SQL_OPERATION.exec(sqlText)?.[1] ?? "query").toUpperCase();
  const table = SQL_TABLE.exec(sqlText)?.[1];
  const attributes: Attributes = {
    [ATTR_DB_SYSTEM_NAME]: system,
    "db.system": system,
    [ATTR_DB_OPERATION_NAME]: operation,
    [ATTR_DB_QUERY_TEXT]: sqlText,
  };
  if (table) attributes[ATTR_DB_COLLECTION_NAME] = table;
  const span = tracer.startSpan(table ? `${operation} ${table}` : operation, {
    kind: SpanKind.CLIENT,
    startTime: end - durationMs,
    attributes,
  });
  if (error !== undefined) failed(span, error);
  span.end(end);
}

/**
 * A PRODUCER span per publish, named by the channel's kind (`publish account`), with the whole
 * channel and the event's type. The event's content is never recorded.
 */
function publishSpan(tracer: Tracer, bus: TracedBus, channel: string, eventType: string): RunningSpan {
  const kind = channel.split(":", 1)[0] ?? channel;
  const span = tracer.startSpan(`publish ${kind}`, {
    kind: SpanKind.PRODUCER,
    attributes: {
      "messaging.system": bus,
      "messaging.operation.type": "send",
      "messaging.operation.name": "publish",
      "messaging.destination.name": channel,
      "messaging.destination.template": kind,
      "helpgate.event.type": eventType,
    },
  });
  let ended = false;
  return {
    end(error?: unknown) {
      if (ended) return;
      ended = true;
      if (error !== undefined) failed(span, error);
      span.end();
    },
  };
}
