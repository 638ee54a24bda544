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

/**
 * Something about these requests changed: their days' figures are no longer current. One
 * statement per request (the day comes from its row), in a fixed order so that two transactions
 * bumping the same rows cannot deadlock; and it must stay the last write of its transaction
 * (staged reactions run at the end), so a transaction never waits for a lock while holding one of
 * these hot rows.
 */
export async function bumpReportVersions(
  db: Kysely<Database>,
  requests: readonly { accountId: string; requestId: string }[],
): Promise<void> {
  const unique = new Map(requests.map((r) => [`${r.accountId}|${r.requestId}`, r]));
  const ordered = [...unique.values()].sort((a, b) =>
    a.accountId !== b.accountId
      ? a.accountId < b.accountId
        ? -1
        : 1
      : shardOf(a.requestId) - shardOf(b.requestId) || (a.requestId < b.requestId ? -1 : 1),
  );
  for (const r of ordered) {
    await sql`insert into report_versions (account_id, utc_day, shard, version)
      select account_id, created_at / ${sql.lit(DAY_MS)}, ${sql.lit(shardOf(r.requestId))}, 1
      from requests where id = ${r.requestId} and account_id = ${r.accountId}
      on conflict (account_id, utc_day, shard) do update set version = report_versions.version + 1`.execute(
      db,
    );
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
  definition: number;
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
    .select(["day", "agent_key", "versions", "definition", "data"])
    .where("account_id", "=", accountId)
    .where("time_zone", "=", timeZone)
    .where("agent_key", "=", agentKey)
    .where("day", ">=", fromDay)
    .where("day", "<=", toDay)
    .execute();
  return rows.map((r) => ({
    day: r.day,
    agentKey: r.agent_key,
    versions: Number(r.versions),
    definition: Number(r.definition),
    data: r.data,
  }));
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
  // In the primary key's order: two nodes writing the same days lock their rows in the same
  // order and cannot deadlock.
  const values = [...rows]
    .sort((a, b) =>
      a.agentKey !== b.agentKey
        ? a.agentKey < b.agentKey
          ? -1
          : 1
        : a.day < b.day
          ? -1
          : a.day > b.day
            ? 1
            : 0,
    )
    .map((r) => ({
      account_id: accountId,
      time_zone: timeZone,
      day: r.day,
      agent_key: r.agentKey,
      versions: r.versions,
      definition: r.definition,
      data: r.data,
    }));
  for (let i = 0; i < values.length; i += 200) {
    await db
      .insertInto("report_days")
      .values(values.slice(i, i + 200))
      .onConflict((oc) =>
        oc.columns(["account_id", "time_zone", "agent_key", "day"]).doUpdateSet((eb) => ({
          versions: eb.ref("excluded.versions"),
          definition: eb.ref("excluded.definition"),
          data: eb.ref("excluded.data"),
        })),
      )
      .execute();
  }
}
