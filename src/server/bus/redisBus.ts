import type { Redis } from "ioredis";
import type { Bus, BusEvent, Handler } from "./bus.js";
import { closeRedis, consoleLog, DEFAULT_REDIS_PREFIX, type LogSink, openRedis, whenReady } from "./redis.js";

export interface RedisBusOptions {
  url: string;
  /** Prefix of every channel name (default "helpgate:"); lets installations or test runs share a Redis. */
  prefix?: string;
  log?: LogSink;
  /**
   * How long subscribe() waits for Redis to confirm before going on without it (default 2 s).
   * While Redis answers it confirms in well under a millisecond; when it is down the subscription
   * stays queued and takes effect as soon as the connection is back.
   */
  subscribeWaitMs?: number;
}

/**
 * The cluster's doorbell: Redis pub/sub, one publisher and one subscriber connection per node.
 * Payloads are the events as JSON. Redis hands a message to every connection subscribed to its
 * channel — this node's own subscriber connection included — so an event reaches the
 * subscribers on the publishing node exactly as it reaches those on the others (once each).
 *
 * Pub/sub is at-most-once: a message published while a subscriber is disconnected is gone for
 * it. That is acceptable because the database is the truth — after a reconnect the subscriber
 * connection resubscribes (ioredis autoResubscribe) and the bus tells its listeners
 * (`onReconnect`), so the hub can resync every socket from the database.
 */
export class RedisBus implements Bus {
  /** The logger; main.ts points it at the server's once the server exists. */
  log: LogSink;
  private readonly prefix: string;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly confirming = new Map<string, Promise<void>>();
  private readonly reconnectListeners = new Set<() => void>();
  private readonly subscribeWaitMs: number;
  private everReady = false;
  private closed = false;
  private publishFailing = false;

  constructor(private readonly options: RedisBusOptions) {
    this.log = options.log ?? consoleLog;
    this.prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
    this.subscribeWaitMs = options.subscribeWaitMs ?? 2000;
    const log = () => this.log;
    // Publishes wait in ioredis' offline queue through a short outage (about 15 s of retries with
    // the default maxRetriesPerRequest of 20) and are sent when Redis is back; after that they are
    // dropped and reported.
    this.pub = openRedis(options.url, `${this.prefix}bus-pub`, log, { maxRetriesPerRequest: 20 });
    // Subscriptions must never be dropped: they wait for the connection however long it takes.
    this.sub = openRedis(options.url, `${this.prefix}bus-sub`, log, {
      autoResubscribe: true,
      maxRetriesPerRequest: null,
    });
    this.sub.on("message", (channel: string, raw: string) => this.deliver(channel, raw));
    this.sub.on("ready", () => {
      if (!this.everReady) {
        this.everReady = true;
        return;
      }
      void this.afterReconnect();
    });
  }

  /** Resolves once both connections are up (main.ts waits for it at start, to fail fast). */
  async ready(timeoutMs = 10_000): Promise<void> {
    await Promise.all([
      whenReady(this.pub, this.options.url, timeoutMs),
      whenReady(this.sub, this.options.url, timeoutMs),
    ]);
  }

  /** Called after the subscriber connection came back and is subscribed again: events may have been missed. */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  private async afterReconnect(): Promise<void> {
    // ioredis has already queued the resubscription; subscribing again (a no-op for Redis) and
    // waiting for the answer tells us when it has taken effect.
    const keys = [...this.handlers.keys()].map((c) => this.key(c));
    try {
      if (keys.length > 0) await this.sub.subscribe(...keys);
    } catch {
      return;
    }
    for (const listener of this.reconnectListeners) {
      try {
        listener();
      } catch (err) {
        this.log.warn({ err }, "bus reconnect listener failed");
      }
    }
  }

  private key(channel: string): string {
    return `${this.prefix}${channel}`;
  }

  /**
   * Hands the event to Redis and returns without waiting for its answer: the state change is
   * already in the database, and a slow or absent Redis must not hold up the request that made it.
   * Commands on one connection keep their order, so one node's events arrive in publish order.
   */
  async publish(channel: string, event: BusEvent): Promise<void> {
    if (this.closed) return;
    this.pub.publish(this.key(channel), JSON.stringify(event)).then(
      () => {
        this.publishFailing = false;
      },
      (err: unknown) => {
        if (this.publishFailing || this.closed) return;
        this.publishFailing = true;
        this.log.warn(
          { err: err instanceof Error ? err.message : String(err), channel },
          "bus: events are not reaching Redis; screens update when they reconnect or resync",
        );
      },
    );
  }

  async subscribe(channel: string, handler: Handler): Promise<() => Promise<void>> {
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      this.confirming.set(channel, this.confirm(this.sub.subscribe(this.key(channel)), channel));
    }
    set.add(handler);
    // A second subscriber of the same channel waits for the same confirmation as the first.
    await this.confirming.get(channel);
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      const s = this.handlers.get(channel);
      if (!s) return;
      s.delete(handler);
      if (s.size === 0) {
        this.handlers.delete(channel);
        this.confirming.delete(channel);
        if (!this.closed) await this.confirm(this.sub.unsubscribe(this.key(channel)), channel);
      }
    };
  }

  /** Waits for Redis to confirm a (un)subscription, but not longer than subscribeWaitMs. */
  private async confirm(command: Promise<unknown>, channel: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), this.subscribeWaitMs);
    });
    const outcome = await Promise.race([
      command.then(
        () => "ok" as const,
        () => "failed" as const,
      ),
      waited,
    ]);
    clearTimeout(timer);
    if (outcome !== "ok" && !this.closed) {
      this.log.warn(
        { channel, outcome },
        "bus: Redis has not confirmed a subscription yet; it will when back",
      );
    }
  }

  private deliver(redisChannel: string, raw: string): void {
    if (!redisChannel.startsWith(this.prefix)) return;
    const channel = redisChannel.slice(this.prefix.length);
    const set = this.handlers.get(channel);
    if (!set) return;
    let event: BusEvent;
    try {
      event = JSON.parse(raw) as BusEvent;
    } catch {
      this.log.warn({ channel }, "bus: dropped a message that is not JSON");
      return;
    }
    for (const h of [...set]) {
      try {
        h(event);
      } catch (err) {
        this.log.warn({ err, channel }, "bus handler failed");
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    this.confirming.clear();
    this.reconnectListeners.clear();
    await Promise.all([closeRedis(this.pub), closeRedis(this.sub)]);
  }
}
