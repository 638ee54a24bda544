import { randomBytes } from "node:crypto";
import os from "node:os";
import type { Redis } from "ioredis";
import type { Tracing } from "../tracing.js";
import type { Bus, BusEvent, Handler, MissedListener } from "./bus.js";
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
  /**
   * This node's name in the stamp of every message it publishes (default: the host name). Keep it
   * the same across restarts of one node (main.ts uses host:port), so the others notice a restart
   * as a new epoch of a node they know.
   */
  nodeId?: string;
  /**
   * How many failed reconnects a publish waits through before it is dropped (default 20, about
   * 15 s while Redis refuses connections). A dropped publish is announced once Redis is back.
   */
  publishRetries?: number;
  /** OpenTelemetry (OTEL_EXPORTER_OTLP_ENDPOINT): a span per publish, until Redis took it (or it was dropped). */
  tracing?: Tracing;
}

/** The channel every node listens to for the bus's own notices (start, recovery after lost publishes). */
const CONTROL_CHANNEL = "bus:control";
/** Above this many channels with lost publishes, the recovery notice asks for every socket to resync. */
const MAX_LOST_CHANNELS = 200;
/** A channel unused for this long (up to twice it) is forgotten by the publisher: its next message starts a new chain. */
const CHAIN_MEMORY_MS = 10 * 60_000;
/** Epochs remembered per node: a restart is noticed once, even if two processes wrongly share a node id. */
const EPOCHS_REMEMBERED = 4;

/** What a notice on the control channel says. */
interface ControlNotice {
  /** A node (re)started. */
  hello?: true;
  /** A node's publishes to these channels (null: too many to list) were dropped while Redis was away. */
  recovered?: string[] | null;
}

/**
 * The stamp in front of each message: `<node>|<epoch>|<seq>|<prev>|<json>`. `seq` counts every
 * message the node published since it started (its epoch, random per start); `prev` is the `seq`
 * of the node's previous message on the same channel (0: none, or forgotten). A receiver keeps,
 * per channel it listens to, the last `seq` it got from each node and epoch: a `prev` above it
 * means a message on this channel never arrived. So one counter per node serves every channel,
 * and a node listening to only some channels sees no false gaps.
 */
interface Stamp {
  node: string;
  epoch: string;
  /** `<node>|<epoch>`: the key of one run of one node. */
  origin: string;
  seq: number;
  prev: number;
  json: string;
}

function parseStamp(raw: string): Stamp | null {
  const a = raw.indexOf("|");
  if (a <= 0) return null;
  const b = raw.indexOf("|", a + 1);
  const c = b < 0 ? -1 : raw.indexOf("|", b + 1);
  const d = c < 0 ? -1 : raw.indexOf("|", c + 1);
  if (d < 0) return null;
  const seq = Number(raw.slice(b + 1, c));
  const prev = Number(raw.slice(c + 1, d));
  if (!Number.isInteger(seq) || !Number.isInteger(prev)) return null;
  return {
    node: raw.slice(0, a),
    epoch: raw.slice(a + 1, b),
    origin: raw.slice(0, b),
    seq,
    prev,
    json: raw.slice(d + 1),
  };
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
  private readonly missedListeners = new Set<MissedListener>();
  private readonly publishFailedListeners = new Set<() => void>();
  /** `<node>|<epoch>`, in front of every message this node publishes. */
  private readonly origin: string;
  private seq = 0;
  /** Per channel, the seq of this node's last message on it (two generations, so idle channels are forgotten). */
  private lastOn = new Map<string, number>();
  private lastOnBefore = new Map<string, number>();
  private lastOnSince = Date.now();
  /** Channels whose publishes were dropped since the last recovery notice (null: too many to list). */
  private lost: Set<string> | null = new Set();
  private anyLost = false;
  private announcing = false;
  /** Per channel listened to: per origin, the seq of the last message heard on it. */
  private readonly heard = new Map<string, Map<string, number>>();
  /** Per node heard from: its epochs, newest last. */
  private readonly epochs = new Map<string, string[]>();

  constructor(private readonly options: RedisBusOptions) {
    this.log = options.log ?? consoleLog;
    this.prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
    this.subscribeWaitMs = options.subscribeWaitMs ?? 2000;
    const log = () => this.log;
    // Publishes wait in ioredis' offline queue through a short outage (about 15 s of retries with
    // the default maxRetriesPerRequest of 20) and are sent when Redis is back; after that they are
    // dropped and reported.
    this.pub = openRedis(options.url, `${this.prefix}bus-pub`, log, {
      maxRetriesPerRequest: options.publishRetries ?? 20,
    });
    const node = (options.nodeId ?? os.hostname()).replace(/[^\w.:-]/g, "_") || "node";
    this.origin = `${node}|${randomBytes(6).toString("base64url")}`;
    // Every start says hello, so the others notice a restart (whatever the last run did not
    // publish before it died is caught up); after lost publishes, the recovery notice goes out.
    let started = false;
    this.pub.on("ready", () => {
      if (!started) {
        started = true;
        this.publishControl({ hello: true }).catch(() => {});
      }
      if (this.anyLost) this.announceRecovery();
    });
    // Subscriptions must never be dropped: they wait for the connection however long it takes.
    this.sub = openRedis(options.url, `${this.prefix}bus-sub`, log, {
      autoResubscribe: true,
      maxRetriesPerRequest: null,
    });
    this.sub.on("message", (channel: string, raw: string) => this.deliver(channel, raw));
    void this.sub.subscribe(this.key(CONTROL_CHANNEL)).catch(() => {});
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

  onMissed(listener: MissedListener): () => void {
    this.missedListeners.add(listener);
    return () => this.missedListeners.delete(listener);
  }

  /** Called for every publish Redis did not take (dropped after its retries): the metrics count them. */
  onPublishFailed(listener: () => void): () => void {
    this.publishFailedListeners.add(listener);
    return () => this.publishFailedListeners.delete(listener);
  }

  private missed(channels: readonly string[] | null): void {
    for (const listener of this.missedListeners) {
      try {
        listener(channels);
      } catch (err) {
        this.log.warn({ err }, "bus missed-events listener failed");
      }
    }
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
    // Whatever was heard before the cut says nothing about what came during it; every socket resyncs.
    this.heard.clear();
    this.log.info({}, "bus reconnected: resyncing this node's sockets from the database");
    this.missed(null);
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
    const span = this.options.tracing?.publish("redis", channel, event.type);
    this.pub.publish(this.key(channel), this.stamped(channel, JSON.stringify(event))).then(
      () => {
        span?.end();
        this.publishFailing = false;
        if (this.anyLost) this.announceRecovery();
      },
      (err: unknown) => {
        span?.end(err);
        if (this.closed) return;
        this.lostOn(channel);
        for (const listener of this.publishFailedListeners) {
          try {
            listener();
          } catch {
            // Counting must not turn a dropped publish into an unhandled rejection.
          }
        }
        if (this.publishFailing) return;
        this.publishFailing = true;
        this.log.warn(
          { err: err instanceof Error ? err.message : String(err), channel },
          "bus: events are not reaching Redis; other nodes resync when it is back",
        );
      },
    );
  }

  /** The message with this node's stamp in front (see Stamp). */
  private stamped(channel: string, json: string): string {
    const seq = ++this.seq;
    const now = Date.now();
    if (now - this.lastOnSince > CHAIN_MEMORY_MS) {
      this.lastOnBefore = this.lastOn;
      this.lastOn = new Map();
      this.lastOnSince = now;
    }
    const prev = this.lastOn.get(channel) ?? this.lastOnBefore.get(channel) ?? 0;
    this.lastOn.set(channel, seq);
    return `${this.origin}|${seq}|${prev}|${json}`;
  }

  private publishControl(notice: ControlNotice): Promise<unknown> {
    return this.pub.publish(this.key(CONTROL_CHANNEL), this.stamped(CONTROL_CHANNEL, JSON.stringify(notice)));
  }

  private lostOn(channel: string): void {
    this.anyLost = true;
    if (this.lost === null) return;
    this.lost.add(channel);
    if (this.lost.size > MAX_LOST_CHANNELS) this.lost = null;
  }

  /**
   * Redis is back after publishes were dropped: tell every node (this one too) which channels
   * lost events, so their sockets catch up from the database now rather than at some later event.
   * The notice is kept until it has gone out.
   */
  private announceRecovery(): void {
    if (this.announcing || this.closed || this.pub.status !== "ready") return;
    const channels = this.lost === null ? null : [...this.lost];
    this.lost = new Set();
    this.anyLost = false;
    this.announcing = true;
    this.publishControl({ recovered: channels }).then(
      () => {
        this.announcing = false;
        this.log.info(
          { channels: channels?.length ?? "all" },
          "bus: Redis is back; announced the events it missed, so every node resyncs those sockets",
        );
        if (this.anyLost) this.announceRecovery();
      },
      () => {
        this.announcing = false;
        if (channels === null) this.lost = null;
        else for (const c of channels) this.lostOn(c);
        this.anyLost = true;
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
        this.heard.delete(channel);
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
    if (channel === CONTROL_CHANNEL) {
      this.onControl(raw);
      return;
    }
    const set = this.handlers.get(channel);
    if (!set) return;
    // Unstamped messages (a node of an older version during a rolling upgrade) are delivered unchecked.
    const stamp = raw.charCodeAt(0) === 123 /* { */ ? null : parseStamp(raw);
    let event: BusEvent;
    try {
      event = JSON.parse(stamp ? stamp.json : raw) as BusEvent;
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
    if (stamp && this.check(channel, stamp)) this.missed([channel]);
  }

  /**
   * Tracks one stamped message; true when an earlier message of its node on this channel never
   * arrived. A node's new epoch (it restarted) makes every socket resync: whatever its last run
   * committed but did not publish before it died is unknown.
   */
  private check(channel: string, stamp: Stamp): boolean {
    const epochs = this.epochs.get(stamp.node);
    if (!epochs) {
      this.epochs.set(stamp.node, [stamp.epoch]);
    } else if (!epochs.includes(stamp.epoch)) {
      epochs.push(stamp.epoch);
      if (epochs.length > EPOCHS_REMEMBERED) epochs.shift();
      const earlier = `${stamp.node}|`;
      for (const perOrigin of this.heard.values()) {
        for (const origin of perOrigin.keys()) if (origin.startsWith(earlier)) perOrigin.delete(origin);
      }
      this.log.info({ node: stamp.node }, "bus: a node restarted; resyncing this node's sockets");
      this.missed(null);
    }
    let perOrigin = this.heard.get(channel);
    if (!perOrigin) {
      perOrigin = new Map();
      this.heard.set(channel, perOrigin);
    }
    const last = perOrigin.get(stamp.origin);
    perOrigin.set(stamp.origin, stamp.seq);
    if (last === undefined || stamp.prev <= last) return false;
    this.log.warn(
      { node: stamp.node, channel, expected: stamp.prev, last },
      "bus: events from another node were lost; resyncing the affected sockets",
    );
    return true;
  }

  private onControl(raw: string): void {
    const stamp = parseStamp(raw);
    if (!stamp) return;
    let notice: ControlNotice;
    try {
      notice = JSON.parse(stamp.json) as ControlNotice;
    } catch {
      return;
    }
    // A lost notice (a gap on the control channel) could have been a recovery: resync everything.
    const gap = this.check(CONTROL_CHANNEL, stamp);
    if (gap) this.missed(null);
    else if (notice.recovered !== undefined) {
      this.log.info({ node: stamp.node }, "bus: a node lost publishes while Redis was away; resyncing");
      this.missed(notice.recovered);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    this.confirming.clear();
    this.reconnectListeners.clear();
    this.missedListeners.clear();
    this.publishFailedListeners.clear();
    await Promise.all([closeRedis(this.pub), closeRedis(this.sub)]);
  }
}
