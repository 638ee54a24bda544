import type { Kysely } from "kysely";

// Reports whose cost does not grow with history (issue 12): each local day's figures are kept,
// computed once, and recomputed only when something about that day's requests changed.
// - report_versions: a change counter per account, UTC day of the request's creation and shard
//   (one of 16, by request id, so concurrent changes of one busy day rarely wait for each other).
//   Bumped in the transaction of every change a report can see (the `reportVersions` staged
//   reaction). A local day spans one or two UTC days; its figures are current while the sum of
//   their counters is what it was when they were computed.
// - report_days: the figures of one local day in one time zone, for everyone (agent_key '*') and
//   for each agent who took or was asked for a request that day; `versions` is the counter sum
//   they were computed at, `data` the figures as JSON (counts and per-second histograms, so
//   medians and p90 stay exact to the second). A time-zone change simply reads other rows.
// Same for both dialects.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("report_versions")
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
    .addColumn("utc_day", "integer", (c) => c.notNull())
    .addColumn("shard", "integer", (c) => c.notNull())
    .addColumn("version", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("report_versions_pk", ["account_id", "utc_day", "shard"])
    .execute();
  await db.schema
    .createTable("report_days")
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
    .addColumn("time_zone", "text", (c) => c.notNull())
    .addColumn("day", "text", (c) => c.notNull())
    .addColumn("agent_key", "text", (c) => c.notNull())
    .addColumn("versions", "bigint", (c) => c.notNull())
    .addColumn("data", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("report_days_pk", ["account_id", "time_zone", "agent_key", "day"])
    .execute();
}
