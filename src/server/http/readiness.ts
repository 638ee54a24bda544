import type { Db } from "../db/database.js";
import { migratorOf, ping } from "../db/database.js";

/** What `/readyz` reports, check by check. */
export interface ReadinessChecks {
  database: "ok" | "unreachable";
  /** "off": this node runs alone (no REDIS_URL), so there is no Redis to reach. */
  redis: "ok" | "unreachable" | "off";
  /** "unknown": the database could not be asked yet; "pending": it lacks migrations this release knows. */
  migrations: "ok" | "pending" | "unknown";
  draining: boolean;
  /** The node sheds load (shedding.ts): new requests get 503 until the event loop or heap recovers. */
  overloaded: boolean;
}

export interface ReadinessReport {
  ok: boolean;
  checks: ReadinessChecks;
  /** The names of the checks that keep the node from being ready (empty when ready). */
  failing: (keyof ReadinessChecks)[];
}

export interface ReadinessOptions {
  db: Db;
  /**
   * A PING on a Redis connection the node already holds (the presence connection), or null when
   * the node runs without Redis. Rejects when Redis does not answer.
   */
  redisPing: ((timeoutMs: number) => Promise<void>) | null;
  /** How long one check may take before it counts as failed (default 1 s). */
  timeoutMs?: number;
  /** Whether the node sheds load now (the load monitor); without it, never. */
  overloaded?: () => boolean;
}

/** How long a probe's database or Redis check may take: a hung dependency must not hang the probe. */
export const PROBE_TIMEOUT_MS = 1000;

/**
 * Whether this node should get traffic (`/readyz`): its database answers, its Redis answers when it
 * has one, every migration this release knows has run, it is not draining, and it is not shedding
 * load (overloaded: a load balancer sends new traffic elsewhere until it recovers). Draining is set by
 * the shutdown path (main.ts) before anything else closes, so load balancers stop sending new
 * requests at once. A check still in flight is shared by the probes that arrive meanwhile, so a
 * hung database holds at most one query of the probes, however often they ask.
 */
export class Readiness {
  private draining = false;
  /** Set once every known migration is recorded as run; migrations are never undone, so it stays set. */
  private migrated = false;
  private readonly timeoutMs: number;
  private databaseCheck: Promise<{ reachable: boolean; migrated: boolean }> | null = null;
  private redisCheck: Promise<boolean> | null = null;

  constructor(private readonly options: ReadinessOptions) {
    this.timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  }

  /** From now on the node reports not ready (SIGTERM/SIGINT); there is no way back for this process. */
  startDraining(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  async check(): Promise<ReadinessReport> {
    const [database, redis] = await Promise.all([this.checkDatabase(), this.checkRedis()]);
    const checks: ReadinessChecks = {
      database: database.reachable ? "ok" : "unreachable",
      redis,
      migrations: this.migrated ? "ok" : database.reachable ? "pending" : "unknown",
      draining: this.draining,
      overloaded: this.options.overloaded?.() ?? false,
    };
    const failing: (keyof ReadinessChecks)[] = [];
    if (checks.database !== "ok") failing.push("database");
    if (checks.redis === "unreachable") failing.push("redis");
    if (checks.migrations !== "ok") failing.push("migrations");
    if (checks.draining) failing.push("draining");
    if (checks.overloaded) failing.push("overloaded");
    return { ok: failing.length === 0, checks, failing };
  }

  private async checkDatabase(): Promise<{ reachable: boolean; migrated: boolean }> {
    if (!this.databaseCheck) {
      const run = async () => {
        const reachable = await ping(this.options.db);
        if (reachable && !this.migrated) {
          const known = await migratorOf(this.options.db).getMigrations();
          this.migrated = known.every((m) => m.executedAt !== undefined);
        }
        return { reachable, migrated: this.migrated };
      };
      const started = run().catch(() => ({ reachable: false, migrated: this.migrated }));
      this.databaseCheck = started;
      void started.finally(() => {
        if (this.databaseCheck === started) this.databaseCheck = null;
      });
    }
    const late = { reachable: false, migrated: this.migrated };
    return withTimeout(this.databaseCheck, this.timeoutMs, late);
  }

  private async checkRedis(): Promise<ReadinessChecks["redis"]> {
    const redisPing = this.options.redisPing;
    if (!redisPing) return "off";
    if (!this.redisCheck) {
      const started = redisPing(this.timeoutMs).then(
        () => true,
        () => false,
      );
      this.redisCheck = started;
      void started.finally(() => {
        if (this.redisCheck === started) this.redisCheck = null;
      });
    }
    return (await withTimeout(this.redisCheck, this.timeoutMs, false)) ? "ok" : "unreachable";
  }
}

/** The promise's value, or `late` when it takes longer than `ms` (the promise itself runs on). */
function withTimeout<T>(promise: Promise<T>, ms: number, late: T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(late), ms);
    void promise.then((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}
