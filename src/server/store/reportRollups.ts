import { type Kysely, sql } from "kysely";
import type { Database } from "../db/schema.js";

/**
 * The kept report figures of each local day and the counters that say whether they are current
 * (migration 013; how they are computed and read: src/server/queries/reportDays.ts).
 */

export const DAY_MS = 86_400_000;
export const VERSION_SHARDS = 16;
/** The agent_key of the figures for everyone. */
export const EVERYONE = "*";

export const utcDayOf = (ms: number): number => Math.floor(ms / DAY_MS);

/** A request's shard: changes of different requests of one day mostly touch different rows. */
export function shardOf(requestId: string): number {
  let h = 0;
  for (let i = 0; i < requestId.length; i++) h = (h * 31 + requestId.charCodeAt(i)) >>> 0;
  return h % VERSION_SHARDS;
}

/** Something about these requests changed: their days' figures are no longer current. */
export async function bumpReportVersions(db: Kysely<Database>, requestIds: readonly string[]): Promise<void> {
  const ids = [...new Set(requestIds)];
  if (ids.length === 0) return;
  const rows = await db
    .selectFrom("requests")
    .select(["id", "account_id", "created_at"])
    .where("id", "in", ids)
    .execute();
  const keys = new Map<string, { account_id: string; utc_day: number; shard: number }>();
  for (const r of rows) {
    const k = { account_id: r.account_id, utc_day: utcDayOf(Number(r.created_at)), shard: shardOf(r.id) };
    keys.set(`${k.account_id}|${k.utc_day}|${k.shard}`, k);
  }
  // In a fixed order, so two transactions bumping the same rows cannot deadlock.
  for (const k of [...keys.values()].sort((a, b) =>
    a.account_id !== b.account_id
      ? a.account_id < b.account_id
        ? -1
        : 1
      : a.utc_day !== b.utc_day
        ? a.utc_day - b.utc_day
        : a.shard - b.shard,
  )) {
    await db
      .insertInto("report_versions")
      .values({ ...k, version: 1 })
      .onConflict((oc) =>
        oc
          .columns(["account_id", "utc_day", "shard"])
          .doUpdateSet({ version: sql`report_versions.version + 1` }),
      )
      .execute();
  }
}

/** The change counters of an account's UTC days in [fromUtcDay, toUtcDay], summed over shards (0 if none). */
export async function reportVersions(
  db: Kysely<Database>,
  accountId: string,
  fromUtcDay: number,
  toUtcDay: number,
): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom("report_versions")
    .select(["utc_day", sql<number>`sum(version)`.as("v")])
    .where("account_id", "=", accountId)
    .where("utc_day", ">=", fromUtcDay)
    .where("utc_day", "<=", toUtcDay)
    .groupBy("utc_day")
    .execute();
  return new Map(rows.map((r) => [Number(r.utc_day), Number(r.v)]));
}

export interface KeptDay {
  day: string;
  agentKey: string;
  versions: number;
  data: string;
}

/** The kept figures of the days [fromDay, toDay] of one agent_key. */
export async function keptDays(
  db: Kysely<Database>,
  accountId: string,
  timeZone: string,
  agentKey: string,
  fromDay: string,
  toDay: string,
): Promise<KeptDay[]> {
  const rows = await db
    .selectFrom("report_days")
    .select(["day", "agent_key", "versions", "data"])
    .where("account_id", "=", accountId)
    .where("time_zone", "=", timeZone)
    .where("agent_key", "=", agentKey)
    .where("day", ">=", fromDay)
    .where("day", "<=", toDay)
    .execute();
  return rows.map((r) => ({ day: r.day, agentKey: r.agent_key, versions: Number(r.versions), data: r.data }));
}

/**
 * Keep freshly computed figures. Upserted: two nodes computing the same day at once both succeed,
 * and each row's `versions` belongs to its own `data` (a row left from an older computation is
 * simply found stale later).
 */
export async function keepDays(
  db: Kysely<Database>,
  accountId: string,
  timeZone: string,
  rows: readonly KeptDay[],
): Promise<void> {
  const values = rows.map((r) => ({
    account_id: accountId,
    time_zone: timeZone,
    day: r.day,
    agent_key: r.agentKey,
    versions: r.versions,
    data: r.data,
  }));
  for (let i = 0; i < values.length; i += 200) {
    await db
      .insertInto("report_days")
      .values(values.slice(i, i + 200))
      .onConflict((oc) =>
        oc.columns(["account_id", "time_zone", "agent_key", "day"]).doUpdateSet((eb) => ({
          versions: eb.ref("excluded.versions"),
          data: eb.ref("excluded.data"),
        })),
      )
      .execute();
  }
}
