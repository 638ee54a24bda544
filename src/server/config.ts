import path from "node:path";
import type { SheddingSettings } from "./http/shedding.js";
import type { SocketLimitSettings } from "./http/socketLimits.js";

/** Everything Helpgate reads from its environment, each with a safe default. */
export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  databaseUrl: string;
  redisUrl: string | null;
  /** Prefix of every Redis key and channel, so installations (or test runs) can share one Redis. */
  redisPrefix: string;
  /** How long a cluster node's agents stay "online" after its last heartbeat (a crashed node's agents drop out after this). */
  presenceTtlMs: number;
  /**
   * How long a node serves a rendered portal page before rendering it afresh (0: never cached).
   * Changes are announced to every node at once; this bounds what no event announces.
   */
  portalPageCacheMs: number;
  /** How long a node may trust a sign-in it looked up without asking the database again (HELPGATE_SIGN_IN_CACHE_MS; 0: off). */
  signInCacheMs: number;
  /** How often the sweeper's reconcile pass re-examines queues with nobody offered (HELPGATE_RECONCILE_MS). */
  reconcileEveryMs: number;
  /**
   * Test-only fault injection (HELPGATE_FAILPOINT=crash-before-reactions:<event type>): the process
   * kills itself after a change committed and before its reactions ran; busy-loop:<ms>/<every ms>:
   * SIGUSR2 starts (and ends) an overload (shedding.ts). Never set in production.
   */
  failpoint: string | null;
  iceServers: RTCIceServerConfig[];
  logLevel: string;
  /** How log lines are written (LOG_FORMAT): JSON lines, or pino-pretty's for a person at a terminal. */
  logFormat: LogFormat;
  dataDir: string;
  adminEmail: string | null;
  adminPassword: string | null;
  demo: boolean;
  /** Abuse limits of the WebSocket (HELPGATE_WS_*): messages per socket and sign-in, sockets per sign-in and address. */
  socketLimits: SocketLimitSettings;
  /** Requests and offline messages one client address may submit to one portal per SUBMIT_WINDOW_MS (0: no limit). */
  submitsPerAddress: number;
  trustProxy: boolean;
  /** The bearer token `/metrics` asks for (HELPGATE_METRICS_TOKEN); null: `/metrics` is not served on the main port. */
  metricsToken: string | null;
  /** A separate address that serves only `/metrics` (HELPGATE_METRICS_LISTEN), e.g. 127.0.0.1:9464. */
  metricsListen: ListenAddress | null;
  /**
   * OpenTelemetry tracing (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME); null: off, and no
   * OpenTelemetry SDK module is loaded at all.
   */
  tracing: TracingConfig | null;
  /** Where email goes out (SMTP_URL, smtp:// or smtps://); null: email is off and the pages say so. */
  smtpUrl: string | null;
  /** The From of every email (MAIL_FROM). */
  mailFrom: string;
  /** The outbox: how often a node looks for due deliveries, how long a claim holds (HELPGATE_OUTBOX_*). */
  outboxPollMs: number;
  outboxLeaseMs: number;
  /** How long a webhook receiver may take to answer (HELPGATE_WEBHOOK_TIMEOUT_MS). */
  webhookTimeoutMs: number;
  /** Webhooks may target loopback, private and link-local addresses (HELPGATE_WEBHOOKS_ALLOW_PRIVATE; tests). */
  webhooksAllowPrivate: boolean;
  /** Requests per minute one API token may make, per node (HELPGATE_API_TOKEN_RATE). */
  apiTokenRate: number;
  /**
   * How long a node may take to drain on SIGTERM/SIGINT (HELPGATE_DRAIN_SECONDS): requests in flight
   * finish, sockets go elsewhere, the outbox and sweeper stop; then it exits anyway (0: at once).
   */
  drainSeconds: number;
  /** When the node sheds load (HELPGATE_SHED_*): event-loop delay and heap limits, 0 each: off. */
  shedding: SheddingSettings;
}

export interface TracingConfig {
  /** Where spans are POSTed (OTLP/HTTP JSON): OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces. */
  tracesUrl: string;
  serviceName: string;
}

export interface ListenAddress {
  host: string;
  port: number;
}

export interface RTCIceServerConfig {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export class ConfigError extends Error {}

/** A whole number from the environment within [min, max], or the default when unset. */
function parseWhole(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

/** The WebSocket's limits; see socketLimits.ts and the README's Security paragraph for why these numbers. */
function parseSocketLimits(env: NodeJS.ProcessEnv): SocketLimitSettings {
  return {
    messagesPerSecond: parseWhole(env, "HELPGATE_WS_MESSAGES_PER_SECOND", 10, 0, 100_000),
    messageBurst: parseWhole(env, "HELPGATE_WS_MESSAGE_BURST", 60, 1, 1_000_000),
    signInMessagesPerSecond: parseWhole(env, "HELPGATE_WS_SIGNIN_MESSAGES_PER_SECOND", 20, 0, 100_000),
    signInMessageBurst: parseWhole(env, "HELPGATE_WS_SIGNIN_MESSAGE_BURST", 120, 1, 1_000_000),
    refusalsBeforeClose: parseWhole(env, "HELPGATE_WS_REFUSALS_BEFORE_CLOSE", 100, 0, 1_000_000),
    socketsPerSignIn: parseWhole(env, "HELPGATE_WS_SOCKETS_PER_SIGNIN", 20, 0, 1_000_000),
    socketsPerAddress: parseWhole(env, "HELPGATE_WS_SOCKETS_PER_ADDRESS", 1000, 0, 10_000_000),
  };
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export type LogFormat = "json" | "pretty";

/** LOG_FORMAT: `json` or `pretty`; unset, pretty when stdout is a terminal (`npm run dev`), else JSON. */
export function parseLogFormat(raw: string | undefined, stdoutIsTerminal: boolean): LogFormat {
  if (raw === undefined || raw.trim() === "") return stdoutIsTerminal ? "pretty" : "json";
  const value = raw.trim().toLowerCase();
  if (value !== "json" && value !== "pretty")
    throw new ConfigError(`LOG_FORMAT must be json or pretty, got "${raw}"`);
  return value;
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 3000;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new ConfigError(`PORT must be a number 0–65535, got "${raw}"`);
  return n;
}

function parseIceServers(raw: string | undefined): RTCIceServerConfig[] {
  if (raw === undefined || raw.trim() === "") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('ICE_SERVERS must be JSON, e.g. [{"urls":"stun:stun.example.org:3478"}]');
  }
  if (!Array.isArray(parsed))
    throw new ConfigError("ICE_SERVERS must be a JSON array of {urls, username?, credential?}");
  for (const s of parsed) {
    const urls = (s as { urls?: unknown } | null)?.urls;
    const ok = typeof urls === "string" || (Array.isArray(urls) && urls.every((u) => typeof u === "string"));
    if (!ok) throw new ConfigError("every ICE_SERVERS entry needs urls: a string or an array of strings");
  }
  return parsed as RTCIceServerConfig[];
}

/** `host:port`, with an IPv6 host in brackets: `127.0.0.1:9464`, `[::1]:9464`, `0.0.0.0:9464`. */
function parseListen(raw: string | undefined): ListenAddress | null {
  if (raw === undefined || raw.trim() === "") return null;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([\w.-]+)):(\d{1,5})$/.exec(raw.trim());
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(
      `HELPGATE_METRICS_LISTEN must be host:port such as 127.0.0.1:9464 or [::1]:9464, got "${raw}"`,
    );
  }
  return { host: m[1] ?? m[2] ?? "", port };
}

function parseMetricsToken(raw: string | undefined): string | null {
  if (raw === undefined || raw === "") return null;
  if (!/^[\x21-\x7e]{16,256}$/.test(raw)) {
    throw new ConfigError(
      "HELPGATE_METRICS_TOKEN must be 16–256 printable characters without spaces (e.g. from `openssl rand -hex 32`)",
    );
  }
  return raw;
}

function parseSmtpUrl(raw: string | undefined): string | null {
  if (raw === undefined || raw.trim() === "") return null;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError(
      `SMTP_URL must be a URL such as smtp://user:password@mail.example.com:587, got "${raw}"`,
    );
  }
  if (url.protocol !== "smtp:" && url.protocol !== "smtps:")
    throw new ConfigError(`SMTP_URL must start with smtp:// or smtps://, got "${url.protocol}//"`);
  return raw.trim();
}

function parseMailFrom(raw: string | undefined, publicUrl: string): string {
  if (raw === undefined || raw.trim() === "") return `Helpgate <helpgate@${new URL(publicUrl).hostname}>`;
  const value = raw.trim();
  if (!/^[^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>$|^[^\s@<>]+@[^\s@<>]+$/.test(value))
    throw new ConfigError(`MAIL_FROM must be an address or "Name <address>", got "${raw}"`);
  return value;
}

/** An OTLP/HTTP endpoint: an http(s) URL. The value is not echoed: it may carry credentials. */
function parseOtlpUrl(name: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an http:// or https:// URL, e.g. http://otel-collector:4318`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(
      `${name} must start with http:// or https:// (OTLP over HTTP), got "${url.protocol}//"`,
    );
  }
  return url;
}

/**
 * Tracing is on when OTEL_EXPORTER_OTLP_ENDPOINT (or the traces-only OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
 * is set, unless OTEL_SDK_DISABLED=true. The other OTEL_* variables are read by the SDK itself.
 */
function parseTracing(env: NodeJS.ProcessEnv): TracingConfig | null {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return null;
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || null;
  const tracesEndpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || null;
  if (!endpoint && !tracesEndpoint) return null;
  if (endpoint) parseOtlpUrl("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint);
  const tracesUrl = tracesEndpoint
    ? parseOtlpUrl("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", tracesEndpoint).toString()
    : `${(endpoint ?? "").replace(/\/+$/, "")}/v1/traces`;
  const serviceName = env.OTEL_SERVICE_NAME?.trim() || "helpgate";
  if (serviceName.length > 255 || [...serviceName].some((c) => c.charCodeAt(0) < 32)) {
    throw new ConfigError("OTEL_SERVICE_NAME must be at most 255 characters, with no control characters");
  }
  return { tracesUrl, serviceName };
}

function parseBool(raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === "") return fallback;
  return !["0", "false", "no", "off"].includes(raw.toLowerCase());
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = []): Config {
  const port = parsePort(env.PORT);
  const host = env.HOST || "0.0.0.0";
  const dataDir = path.resolve(env.HELPGATE_DATA_DIR || "data");
  const publicUrl = (env.PUBLIC_URL || `http://localhost:${port}`).replace(/\/+$/, "");
  try {
    new URL(publicUrl);
  } catch {
    throw new ConfigError(
      `PUBLIC_URL must be an absolute URL such as https://help.example.com, got "${publicUrl}"`,
    );
  }
  const databaseUrl = env.DATABASE_URL || `sqlite:${path.join(dataDir, "helpgate.sqlite")}`;
  if (!/^(postgres(ql)?:\/\/|sqlite:)/.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with "postgres://" or "sqlite:" (a file path)');
  }
  const redisUrl = env.REDIS_URL || null;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError('REDIS_URL must start with "redis://" or "rediss://", e.g. redis://127.0.0.1:6379');
  }
  const redisPrefix = env.HELPGATE_REDIS_PREFIX || "helpgate:";
  if (!/^[\w:.-]{1,64}$/.test(redisPrefix)) {
    throw new ConfigError("HELPGATE_REDIS_PREFIX may use letters, digits and _ : . - (at most 64)");
  }
  const ttlRaw = env.HELPGATE_PRESENCE_TTL;
  const presenceTtl = ttlRaw === undefined || ttlRaw === "" ? 10 : Number(ttlRaw);
  if (!Number.isInteger(presenceTtl) || presenceTtl < 1 || presenceTtl > 300) {
    throw new ConfigError(`HELPGATE_PRESENCE_TTL must be whole seconds from 1 to 300, got "${ttlRaw}"`);
  }
  const cacheRaw = env.HELPGATE_PORTAL_PAGE_CACHE_MS;
  const portalPageCacheMs = cacheRaw === undefined || cacheRaw === "" ? 1000 : Number(cacheRaw);
  if (!Number.isInteger(portalPageCacheMs) || portalPageCacheMs < 0 || portalPageCacheMs > 600_000) {
    throw new ConfigError(
      `HELPGATE_PORTAL_PAGE_CACHE_MS must be whole milliseconds from 0 to 600000, got "${cacheRaw}"`,
    );
  }
  const logLevel = env.LOG_LEVEL || "info";
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`);
  return {
    port,
    host,
    publicUrl,
    databaseUrl,
    redisUrl,
    redisPrefix,
    presenceTtlMs: presenceTtl * 1000,
    portalPageCacheMs,
    reconcileEveryMs: parseWhole(env, "HELPGATE_RECONCILE_MS", 5000, 200, 600_000),
    signInCacheMs: parseWhole(env, "HELPGATE_SIGN_IN_CACHE_MS", 5000, 0, 60_000),
    failpoint: env.HELPGATE_FAILPOINT || null,
    iceServers: parseIceServers(env.ICE_SERVERS),
    logLevel,
    logFormat: parseLogFormat(env.LOG_FORMAT, process.stdout.isTTY === true),
    dataDir,
    adminEmail: env.HELPGATE_ADMIN_EMAIL || null,
    adminPassword: env.HELPGATE_ADMIN_PASSWORD || null,
    trustProxy: parseBool(env.TRUST_PROXY, false),
    metricsToken: parseMetricsToken(env.HELPGATE_METRICS_TOKEN),
    metricsListen: parseListen(env.HELPGATE_METRICS_LISTEN),
    tracing: parseTracing(env),
    demo: !argv.includes("--no-demo") && parseBool(env.HELPGATE_DEMO, true),
    socketLimits: parseSocketLimits(env),
    submitsPerAddress: parseWhole(env, "HELPGATE_SUBMITS_PER_ADDRESS", 60, 0, 1_000_000),
    smtpUrl: parseSmtpUrl(env.SMTP_URL),
    mailFrom: parseMailFrom(env.MAIL_FROM, publicUrl),
    outboxPollMs: parseWhole(env, "HELPGATE_OUTBOX_POLL_MS", 1000, 20, 600_000),
    outboxLeaseMs: parseWhole(env, "HELPGATE_OUTBOX_LEASE_MS", 60_000, 500, 3_600_000),
    webhookTimeoutMs: parseWhole(env, "HELPGATE_WEBHOOK_TIMEOUT_MS", 5000, 100, 60_000),
    webhooksAllowPrivate: parseBool(env.HELPGATE_WEBHOOKS_ALLOW_PRIVATE, false),
    apiTokenRate: parseWhole(env, "HELPGATE_API_TOKEN_RATE", 600, 1, 1_000_000),
    drainSeconds: parseWhole(env, "HELPGATE_DRAIN_SECONDS", 10, 0, 3600),
    shedding: {
      eventLoopDelayMs: parseWhole(env, "HELPGATE_SHED_EVENT_LOOP_DELAY_MS", 1000, 0, 60_000),
      heapUsedPercent: parseWhole(env, "HELPGATE_SHED_HEAP_USED_PERCENT", 90, 0, 99),
    },
  };
}
