import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest, FastifyServerOptions } from "fastify";
import pinoPretty from "pino-pretty";
import type { Config } from "../config.js";

/**
 * How Helpgate logs (README "Logs"): pino JSON lines in production, pino-pretty on a terminal;
 * every line of a request carries its id (`reqId`, sent back as `X-Request-Id`); secrets never
 * reach a line.
 */

export const REQUEST_ID_HEADER = "x-request-id";

/** An incoming `X-Request-Id` is kept when it is a sane token; anything else gets a fresh id. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The id of each raw request, for the WebSocket upgrade's answer (which Fastify's reply never sends). */
const idsOfRaw = new WeakMap<IncomingMessage, string>();

/** Fastify's `genReqId`: the caller's `X-Request-Id` when sane (a proxy's or a client's), else 16 random hex digits. */
export function requestId(raw: IncomingMessage): string {
  const given = raw.headers[REQUEST_ID_HEADER];
  const id =
    typeof given === "string" && SANE_REQUEST_ID.test(given) ? given : randomBytes(8).toString("hex");
  idsOfRaw.set(raw, id);
  return id;
}

/** The id given to a raw request (the WebSocket upgrade's `headers` event has only the raw request). */
export function requestIdOfRaw(raw: IncomingMessage): string | undefined {
  return idsOfRaw.get(raw);
}

const REDACTED = "[redacted]";

/** Query parameters whose values are credentials: password links, session codes, signatures. */
const SECRET_PARAMS = /^(token|code|password|secret|key|sig|signature|access_token|api_key)$/i;

/** Paths that carry a credential in a segment: a session code in /join/<code>. */
const SECRET_PATHS: [RegExp, string][] = [[/^\/join\/[^/]+/, `/join/${REDACTED}`]];

/**
 * A URL as it may be logged. A request's path and query (`/password?token=…`, `/join/<code>`)
 * keep their shape with the credentials replaced; an absolute URL (a webhook endpoint, a database
 * or SMTP address) keeps only its scheme, host and port — its user, password, path and query may
 * all be secrets (some webhook receivers put theirs in the path).
 */
export function loggableUrl(url: string): string {
  if (!url.startsWith("/")) {
    try {
      const parsed = new URL(url);
      if (parsed.host === "") return parsed.protocol === "sqlite:" ? url : `${parsed.protocol}${REDACTED}`;
      const hasPath = parsed.pathname !== "" && parsed.pathname !== "/";
      const rest = hasPath || parsed.search !== "" ? "/…" : "";
      return `${parsed.protocol}//${parsed.host}${rest}`;
    } catch {
      return REDACTED;
    }
  }
  const q = url.indexOf("?");
  let path = q === -1 ? url : url.slice(0, q);
  for (const [pattern, replacement] of SECRET_PATHS) path = path.replace(pattern, replacement);
  if (q === -1) return path;
  const query = url
    .slice(q + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      if (eq === -1) return pair;
      let name = pair.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, " "));
      } catch {
        // an undecodable name is judged as written
      }
      return SECRET_PARAMS.test(name) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
    })
    .join("&");
  return `${path}?${query}`;
}

/**
 * Fields never written to a line: request and response headers that carry sign-ins, and any
 * object the code may log with a secret in it (a config, a user, a webhook, a mail transport's
 * options, an error's). `*` is one level deep. Addresses (`*Url`, `url`) are shortened by
 * loggableUrl instead of blanked, so a line still says which host it was about.
 */
const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  "headers.authorization",
  "headers.cookie",
  'headers["set-cookie"]',
  "authorization",
  "cookie",
  "password",
  "*.password",
  "pass",
  "*.pass",
  "*.auth.pass",
  "passwordHash",
  "*.passwordHash",
  "token",
  "*.token",
  "tokenHash",
  "*.tokenHash",
  "secret",
  "*.secret",
  "signingSecret",
  "*.signingSecret",
  "clientSecret",
  "*.clientSecret",
  "credential",
  "*.credential",
  "metricsToken",
  "*.metricsToken",
  "adminPassword",
  "*.adminPassword",
  "iceServers",
  "*.iceServers",
  "url",
  "*.url",
  "smtpUrl",
  "*.smtpUrl",
  "databaseUrl",
  "*.databaseUrl",
  "redisUrl",
  "*.redisUrl",
];

function censor(value: unknown, path: string[]): unknown {
  const key = path[path.length - 1] ?? "";
  if (typeof value === "string" && /url$/i.test(key)) return loggableUrl(value);
  return REDACTED;
}

/** What Fastify's own request serializer writes, with the URL made loggable. */
interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number } | null;
}

function serializeRequest(request: LoggedRequest) {
  return {
    method: request.method,
    url: loggableUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

interface PrettyLine {
  reqId?: unknown;
  req?: { method?: unknown; url?: unknown };
  res?: { statusCode?: unknown };
  responseTime?: unknown;
  [key: string]: unknown;
}

/** One line a person reads: `[reqId] message`, a request's method and URL, an answer's status and time. */
function prettyMessage(log: PrettyLine, messageKey: string): string {
  const id = typeof log.reqId === "string" ? `[${log.reqId}] ` : "";
  let text = String(log[messageKey] ?? "");
  if (log.req && typeof log.req.method === "string") text += ` ${log.req.method} ${String(log.req.url)}`;
  if (log.res && typeof log.res.statusCode === "number") {
    text += ` ${log.res.statusCode}`;
    if (typeof log.responseTime === "number") text += ` in ${log.responseTime.toFixed(1)} ms`;
  }
  return `${id}${text}`;
}

type LoggerOptions = Exclude<FastifyServerOptions["logger"], boolean | undefined>;

/**
 * The logger options of the server: the level, redaction and request serializer always; JSON
 * lines to `stream` (a test's capture) or stdout, or pino-pretty on stdout when LOG_FORMAT is
 * pretty (its default on a terminal). Pretty lines are written synchronously: a line logged just
 * before the process exits is not lost.
 */
export function loggerOptions(
  config: Pick<Config, "logLevel" | "logFormat">,
  stream?: { write(line: string): void },
): LoggerOptions {
  const destination =
    stream ??
    (config.logFormat === "pretty"
      ? pinoPretty({
          sync: true,
          translateTime: "SYS:HH:MM:ss.l",
          ignore: "pid,hostname,reqId,req,res,responseTime",
          messageFormat: prettyMessage,
        })
      : undefined);
  return {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor },
    serializers: { req: serializeRequest },
    ...(destination ? { stream: destination } : {}),
  };
}

/** The logger of the request being handled where a line is logged (none: outside any request). */
const current = new AsyncLocalStorage<{ log: FastifyBaseLogger | null }>();
const scopes = new WeakMap<FastifyRequest, { log: FastifyBaseLogger | null }>();

/**
 * Every answer carries its request's id as `X-Request-Id` (the WebSocket upgrade's too), and
 * code that logs through `requestScopedLog` while a request is handled — commands, reactions
 * run on its behalf — writes the request's id on its lines (Fastify runs the handler in the
 * async context of the request's hooks also when the body came later, in the socket's own).
 * Once the answer has gone the scope logs nothing more for it (a timer started meanwhile, such as
 * the outbox's next poll, is not that request's work).
 */
export function installRequestIds(app: FastifyInstance): void {
  app.addHook("onRequest", (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    const scope = { log: request.log };
    scopes.set(request, scope);
    current.run(scope, done);
  });
  const leave = (request: FastifyRequest, done: () => void) => {
    const scope = scopes.get(request);
    if (scope) scope.log = null;
    done();
  };
  app.addHook("onResponse", (request, _reply, done) => leave(request, done));
  app.addHook("onRequestAbort", (request, done) => leave(request, done));
}

/**
 * Ends a request's scope by hand: a WebSocket upgrade has no response, so neither hook above runs
 * for it, and what its socket sets off (a queue dispatch, a loop that later runs for others)
 * would log with its id for good. The socket logs through its own `request.log` instead.
 */
export function leaveRequestScope(request: FastifyRequest): void {
  const scope = scopes.get(request);
  if (scope) scope.log = null;
}

/**
 * A logger that writes through the logger of the request being handled (with its reqId), and
 * through `base` outside any request. For Deps.log and other long-lived helpers whose lines
 * may come from a request.
 */
export function requestScopedLog(base: FastifyBaseLogger): FastifyBaseLogger {
  return new Proxy(base, {
    get(target, property) {
      const log = current.getStore()?.log ?? target;
      const value: unknown = Reflect.get(log, property, log);
      return typeof value === "function" ? value.bind(log) : value;
    },
  });
}
