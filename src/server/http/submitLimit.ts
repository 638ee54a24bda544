import type { FastifyBaseLogger } from "fastify";
import type { Redis } from "ioredis";
import { fill, textsFor } from "../../shared/i18n/portal.js";
import { DomainError } from "../domain/errors.js";

/**
 * Anonymous submits (requests and offline messages) per client address per portal: at most
 * HELPGATE_SUBMITS_PER_ADDRESS in a fixed window of SUBMIT_WINDOW_MS that starts with the
 * first. Every submit alerts agents (or fills the offline pane), so a flood from one address
 * is refused with a 429 the customer can read in the portal's language; the default leaves a
 * company behind one NAT room for a request every 10 seconds to the same portal.
 *
 * In a cluster the count lives in Redis on the connection and namespace the sign-in rate limit
 * uses (`<prefix>rate-limit:`), so it holds across nodes; when Redis fails, submits pass (as the
 * sign-in limit does), and alone a node counts in its memory.
 */
export const SUBMIT_WINDOW_MS = 10 * 60_000;

/** How many submits the key has made in its window, counting this one, and when the window ends. */
interface Count {
  count: number;
  resetInMs: number;
}

interface Counter {
  hit(key: string, now: number): Promise<Count>;
}

/** Keys expire with their window; at most MAX_KEYS are kept, the oldest windows dropped first. */
class MemoryCounter implements Counter {
  private static readonly MAX_KEYS = 100_000;
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  async hit(key: string, now: number): Promise<Count> {
    let w = this.windows.get(key);
    if (w && w.resetAt <= now) {
      this.windows.delete(key);
      w = undefined;
    }
    if (!w) {
      this.prune(now);
      w = { count: 0, resetAt: now + SUBMIT_WINDOW_MS };
      this.windows.set(key, w);
    }
    w.count += 1;
    return { count: w.count, resetInMs: w.resetAt - now };
  }

  /** Insertion order is window order (every window is as long), so the front expires first. */
  private prune(now: number): void {
    for (const [key, w] of this.windows) {
      if (w.resetAt > now && this.windows.size < MemoryCounter.MAX_KEYS) break;
      this.windows.delete(key);
    }
  }
}

// INCR, with the window's expiry set by the first hit; answers the count and the time left.
const HIT_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}`;

class RedisCounter implements Counter {
  constructor(
    private readonly redis: Redis,
    private readonly namespace: string,
    private readonly log: FastifyBaseLogger,
  ) {}

  async hit(key: string): Promise<Count> {
    try {
      const [count, ttl] = (await this.redis.eval(
        HIT_SCRIPT,
        1,
        `${this.namespace}${key}`,
        SUBMIT_WINDOW_MS,
      )) as [number, number];
      return { count: Number(count), resetInMs: Number(ttl) };
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "submit limit: Redis failed, letting the submit pass");
      return { count: 0, resetInMs: 0 };
    }
  }
}

export class SubmitLimit {
  private readonly counter: Counter | null;

  constructor(
    private readonly max: number,
    private readonly now: () => number,
    options: { redis?: Redis | undefined; namespace: string; log: FastifyBaseLogger },
  ) {
    this.counter =
      max <= 0
        ? null
        : options.redis
          ? new RedisCounter(options.redis, `${options.namespace}submit:`, options.log)
          : new MemoryCounter();
  }

  /** Counts a submit of `address` to the portal, or refuses it (429 with Retry-After, in the portal's language). */
  async check(portal: { id: string; language: string }, address: string): Promise<void> {
    if (!this.counter) return;
    const { count, resetInMs } = await this.counter.hit(`${portal.id}:${address}`, this.now());
    if (count <= this.max) return;
    const minutes = Math.max(1, Math.ceil(resetInMs / 60_000));
    const t = textsFor(portal.language);
    throw new DomainError(
      429,
      "too_many_submits",
      minutes === 1 ? t.errTooManySubmitsOne : fill(t.errTooManySubmits, { minutes }),
      {},
      Math.max(1, Math.ceil(resetInMs / 1000)),
    );
  }
}

declare module "fastify" {
  interface FastifyInstance {
    /** Anonymous submits per address per portal (see submitLimit.ts). */
    submitLimit: SubmitLimit;
  }
}
