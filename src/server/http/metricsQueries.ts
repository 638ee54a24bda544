import type { Kysely } from "kysely";
import type { Presence } from "../bus/presence.js";
import type { Database } from "../db/schema.js";

/**
 * The reads behind the scrape-time gauges (http/metrics.ts). They go across accounts on purpose
 * (an operator's view of the whole installation, never shown to a tenant), so they live here
 * beside the metrics rather than in the store, whose tenant queries all take an account id.
 */

export interface WaitingRow {
  accountId: string;
  waiting: number;
  /** When the longest-waiting customer of the account asked (the app's clock, ms). */
  oldestAt: number;
}

/**
 * Customers waiting per account, with the oldest one's time: one grouped read of the waiting rows
 * (the index requests_state_deadline starts with the state, so only waiting rows are visited).
 * One row per account with someone waiting; accounts with none are absent.
 */
export async function waitingByAccount(db: Kysely<Database>): Promise<WaitingRow[]> {
  const rows = await db
    .selectFrom("requests")
    .select((eb) => [
      "account_id",
      eb.fn.countAll<number | string>().as("waiting"),
      eb.fn.min<number | string>("created_at").as("oldest_at"),
    ])
    .where("state", "=", "waiting")
    .groupBy("account_id")
    .execute();
  return rows.map((r) => ({
    accountId: r.account_id,
    waiting: Number(r.waiting),
    oldestAt: Number(r.oldest_at),
  }));
}

/** How many user ids one presence question carries (a Redis EVAL with this many arguments). */
const PRESENCE_BATCH = 1000;

/**
 * Per account: the users set available (the console's toggle) and not disabled who are signed in
 * now — a console open on any node, as presence says. Busy agents count: they are there.
 * Every account asked for is in the answer (0 when nobody is available).
 */
export async function availableAgentsOf(
  db: Kysely<Database>,
  presence: Presence,
  accountIds: readonly string[],
): Promise<Map<string, number>> {
  const counts = new Map<string, number>(accountIds.map((id) => [id, 0]));
  if (accountIds.length === 0) return counts;
  const rows = await db
    .selectFrom("users")
    .select(["id", "account_id"])
    .where("account_id", "in", [...accountIds])
    .where("available", "=", 1)
    .where("disabled", "=", 0)
    .execute();
  for (let i = 0; i < rows.length; i += PRESENCE_BATCH) {
    const batch = rows.slice(i, i + PRESENCE_BATCH);
    const online = await presence.onlineAmong(batch.map((r) => r.id));
    for (const r of batch) {
      if (r.account_id !== null && online.has(r.id))
        counts.set(r.account_id, (counts.get(r.account_id) ?? 0) + 1);
    }
  }
  return counts;
}
