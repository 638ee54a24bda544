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
// - requests by (account_id, created_at, id) instead of (account_id, created_at): the CSV export
//   pages through a period in (created_at, id) order, and with the id in the index each page is
//   the next 1,000 index entries — without it PostgreSQL sorted the rest of the period for every
//   page (a top-N sort of up to the whole period, ~40 ms a page at 100,000 requests).
// Same for both dialects.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex("requests_account_created_id")
    .on("requests")
    .columns(["account_id", "created_at", "id"])
    .execute();
  await db.schema.dropIndex("requests_account_created").execute();
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
    // Which definition of the figures computed them (FIGURES_VERSION in queries/reportDays.ts):
    // a release that counts differently recomputes every day it reads.
    .addColumn("definition", "integer", (c) => c.notNull())
    .addColumn("data", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("report_days_pk", ["account_id", "time_zone", "agent_key", "day"])
    .execute();
}
