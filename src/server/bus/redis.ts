import { Redis, type RedisOptions } from "ioredis";

/** Where the Redis bus and presence report trouble: the server's logger (pino), or the console before it exists. */
export interface LogSink {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export const consoleLog: LogSink = {
  info: () => {},
  warn: (obj, msg) => console.warn(`helpgate: ${msg}`, obj),
};

export const silentLog: LogSink = { info: () => {}, warn: () => {} };

/** Every key and channel Helpgate uses starts with this, so several installations can share one Redis. */
export const DEFAULT_REDIS_PREFIX = "helpgate:";

/**
 * One ioredis connection with Helpgate's defaults: reconnect forever, quickly (at most a second
 * apart), and say once — not on every retry — when the connection is lost and when it is back.
 */
export function openRedis(url: string, name: string, log: () => LogSink, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    connectTimeout: 5000,
    retryStrategy: (times) => Math.min(times * 100, 1000),
    ...options,
  });
  let down = false;
  redis.on("error", (err: Error) => {
    if (down) return;
    down = true;
    log().warn({ err: err.message, connection: name }, "Redis connection lost; retrying");
  });
  redis.on("ready", () => {
    if (!down) return;
    down = false;
    log().info({ connection: name }, "Redis connection back");
  });
  return redis;
}

/** Resolves when the connection is ready, or rejects with a clear message after the timeout. */
export function whenReady(redis: Redis, url: string, timeoutMs: number): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off("ready", onReady);
      reject(new Error(`Redis at ${redactUrl(url)} did not answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once("ready", onReady);
  });
}

/** The URL without its password, fit for logs and the start banner. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "(unparseable URL)";
  }
}

/** Closes politely when Redis answers, at once when it does not. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === "end") return;
  if (redis.status !== "ready") {
    redis.disconnect();
    return;
  }
  const timer = setTimeout(() => redis.disconnect(), 1000);
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  } finally {
    clearTimeout(timer);
  }
}
