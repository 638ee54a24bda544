import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Presence } from "./presence.js";
import { closeRedis, consoleLog, DEFAULT_REDIS_PREFIX, type LogSink, openRedis, whenReady } from "./redis.js";

export interface RedisPresenceOptions {
  url: string;
  /** Key prefix (default "helpgate:"). */
  prefix?: string;
  /** This node's id in Redis (default: a random UUID per process start). */
  nodeId?: string;
  /** How long a node's entries outlive its last heartbeat (default 10 s). */
  ttlMs?: number;
  /** How often the node renews its heartbeat (default a third of the TTL). */
  heartbeatMs?: number;
  log?: LogSink;
}

/** Milliseconds on Redis' own clock, so nodes with skewed clocks still agree on who is alive. */
const NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS: nodes zset, this node's hash. ARGV: node id, ttl ms. Returns 1 while the node's hash exists. */
const HEARTBEAT = `${NOW_MS}
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('PEXPIRE', KEYS[2], ARGV[2])`;

/** KEYS: nodes zset. ARGV: prefix of the node hashes, then the user ids. Returns those online on a live node. */
const ONLINE_AMONG = `${NOW_MS}
local nodes = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
local found = {}
local out = {}
for _, node in ipairs(nodes) do
  local key = ARGV[1] .. node
  for i = 2, #ARGV do
    if not found[i] and redis.call('HEXISTS', key, ARGV[i]) == 1 then
      found[i] = true
      out[#out + 1] = ARGV[i]
    end
  end
end
return out`;

/**
 * Who has a socket open, shared by every node through Redis, with expiry.
 *
 * The choice: **one hash per node plus a registry of live nodes**, rather than one key per user
 * and node. Each node keeps its own socket counts in memory (the truth for this node) and mirrors
 * them into the hash `<prefix>presence:node:<nodeId>` (user id → sockets here). Every
 * `heartbeatMs` the node renews its heartbeat: its score in the sorted set `<prefix>presence:nodes`
 * becomes "alive until now + TTL" (on Redis' clock) and its hash gets the same TTL. `onlineAmong`
 * asks, in one script, which of the given users appear in the hash of a node whose heartbeat is
 * still alive. So a node that crashes (no disconnects, no cleanup) drops all its users at once,
 * within one TTL; a heartbeat renews one key per node, not one per user, whatever the number of
 * sockets; and dead nodes' entries clean themselves up (the hash expires, the registry entry is
 * removed by the next heartbeat of any node).
 *
 * When Redis is unreachable, writes are remembered as "dirty" and the node's whole hash is
 * rewritten from memory at the next successful heartbeat (also after a Redis restart that lost
 * everything). `onlineAmong` then answers from this node's own sockets only: a node cut off from
 * Redis still sees its own agents and nobody else's.
 */
export class RedisPresence implements Presence {
  /** The logger; main.ts points it at the server's once the server exists. */
  log: LogSink;
  readonly nodeId: string;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly ttlMs: number;
  private readonly nodesKey: string;
  private readonly hashKey: string;
  private readonly sockets = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private lastBeat: Promise<void>;
  private dirty = true;
  private beating = false;
  private closed = false;
  private degraded = false;

  constructor(private readonly options: RedisPresenceOptions) {
    this.log = options.log ?? consoleLog;
    this.prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
    this.nodeId = options.nodeId ?? randomUUID();
    this.ttlMs = options.ttlMs ?? 10_000;
    this.nodesKey = `${this.prefix}presence:nodes`;
    this.hashKey = `${this.prefix}presence:node:${this.nodeId}`;
    // Presence must answer now or not at all: no offline queue, a short command timeout, and the
    // fallback to this node's own sockets when Redis cannot answer.
    this.redis = openRedis(options.url, `${this.prefix}presence`, () => this.log, {
      enableOfflineQueue: false,
      commandTimeout: 2000,
    });
    this.redis.on("ready", () => {
      this.dirty = true;
      void this.heartbeat();
    });
    this.lastBeat = Promise.resolve();
    const every = options.heartbeatMs ?? Math.max(100, Math.floor(this.ttlMs / 3));
    this.timer = setInterval(() => void this.heartbeat(), every);
    this.timer.unref();
  }

  /** Resolves once connected and registered as a live node. */
  async ready(timeoutMs = 10_000): Promise<void> {
    await whenReady(this.redis, this.options.url, timeoutMs);
    await this.heartbeat();
  }

  /** Renews this node's heartbeat; rewrites its hash from memory when Redis lost it or missed writes. */
  private heartbeat(): Promise<void> {
    if (this.closed || this.beating || this.redis.status !== "ready") return this.lastBeat;
    this.beating = true;
    this.lastBeat = (async () => {
      try {
        const wasDirty = this.dirty;
        this.dirty = false;
        const exists = await this.redis.eval(
          HEARTBEAT,
          2,
          this.nodesKey,
          this.hashKey,
          this.nodeId,
          this.ttlMs,
        );
        if (wasDirty || (exists === 0 && this.sockets.size > 0)) await this.rewrite();
        this.recovered();
      } catch (err) {
        this.dirty = true;
        this.failed(err);
      } finally {
        this.beating = false;
      }
    })();
    return this.lastBeat;
  }

  private async rewrite(): Promise<void> {
    const tx = this.redis.multi().del(this.hashKey);
    if (this.sockets.size > 0) {
      tx.hset(this.hashKey, Object.fromEntries(this.sockets)).pexpire(this.hashKey, this.ttlMs);
    }
    const results = await tx.exec();
    const error = results?.find(([err]) => err)?.[0];
    if (error) throw error;
  }

  /**
   * Mirrors this node's count for one user into Redis and waits for it (at most the command
   * timeout), so once connect() resolves every node sees the user. Never throws: a failure marks
   * the hash for a rewrite at the next heartbeat.
   */
  private async write(userId: string, count: number): Promise<void> {
    if (this.closed) return;
    if (this.redis.status !== "ready") {
      this.dirty = true;
      return;
    }
    const tx = this.redis.multi();
    if (count > 0) tx.hset(this.hashKey, userId, count).pexpire(this.hashKey, this.ttlMs);
    else tx.hdel(this.hashKey, userId);
    try {
      const results = await tx.exec();
      if (!results || results.some(([err]) => err)) this.dirty = true;
    } catch (err) {
      this.dirty = true;
      this.failed(err);
    }
  }

  async connect(userId: string): Promise<void> {
    const n = (this.sockets.get(userId) ?? 0) + 1;
    this.sockets.set(userId, n);
    await this.write(userId, n);
  }

  async disconnect(userId: string): Promise<void> {
    const n = (this.sockets.get(userId) ?? 0) - 1;
    if (n <= 0) this.sockets.delete(userId);
    else this.sockets.set(userId, n);
    await this.write(userId, Math.max(0, n));
  }

  async onlineAmong(userIds: string[]): Promise<Set<string>> {
    const online = new Set(userIds.filter((id) => this.sockets.has(id)));
    if (userIds.length === 0 || this.closed) return online;
    try {
      const found = (await this.redis.eval(
        ONLINE_AMONG,
        1,
        this.nodesKey,
        `${this.prefix}presence:node:`,
        ...userIds,
      )) as string[];
      for (const id of found) online.add(id);
      this.recovered();
    } catch (err) {
      this.failed(err);
    }
    return online;
  }

  /** A PING on the presence connection (`/readyz`): fails at once while it is down (no offline queue). */
  async ping(timeoutMs: number): Promise<void> {
    if (this.closed) throw new Error("presence closed");
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.redis.ping(),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(
            () => reject(new Error(`Redis did not answer PING within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private failed(err: unknown): void {
    if (this.degraded || this.closed) return;
    this.degraded = true;
    this.log.warn(
      { err: err instanceof Error ? err.message : String(err) },
      "presence: Redis unreachable; this node sees only its own agents until it is back",
    );
  }

  private recovered(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.log.info({}, "presence: Redis reachable again; presence shared across nodes");
  }

  /** Stops the heartbeat and removes this node's entries, so its users go offline everywhere at once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.sockets.clear();
    if (this.redis.status === "ready") {
      await this.redis
        .multi()
        .del(this.hashKey)
        .zrem(this.nodesKey, this.nodeId)
        .exec()
        .catch(() => {});
    }
    await closeRedis(this.redis);
  }

  /**
   * What a crash looks like to the other nodes: the heartbeat stops and the connection drops,
   * but nothing is removed. For tests (the entries must expire by themselves within the TTL).
   */
  halt(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.redis.disconnect();
  }
}
