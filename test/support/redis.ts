import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { REDIS_URL } from "./globalSetup.js";

export { REDIS_URL };

/** A key and channel prefix of this run's own, so concurrent runs sharing one Redis never meet. */
export function uniquePrefix(label: string): string {
  return `hgtest:${label}:${process.pid}:${randomBytes(4).toString("hex")}:`;
}

/** A plain connection for the test's own look into Redis (CLIENT LIST/KILL, keys). */
export function adminRedis(): Redis {
  const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  r.on("error", () => {});
  return r;
}

/** Deletes every key under the prefix (the test's own; others' runs are untouched). */
export async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
}

/** Kills the server side of every connection with this client name (CLIENT KILL ID), as a network fault would. */
export async function killConnectionsNamed(redis: Redis, name: string): Promise<number> {
  const list = (await redis.client("LIST")) as string;
  let killed = 0;
  for (const line of list.split("\n")) {
    const fields = new Map(
      line
        .trim()
        .split(" ")
        .map((kv) => {
          const i = kv.indexOf("=");
          return [kv.slice(0, i), kv.slice(i + 1)] as const;
        }),
    );
    if (fields.get("name") === name) {
      const id = fields.get("id");
      if (id) killed += Number(await redis.client("KILL", "ID", id));
    }
  }
  return killed;
}

/** Polls until the check passes or the deadline ends; returns how long it took. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
  everyMs = 50,
): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
