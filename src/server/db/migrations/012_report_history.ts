import { type Kysely, sql } from "kysely";

// Reports that do not grow with history, and what they still lacked (issue 12).
// - requests by account and creation time: a report reads the requests created in its period
//   (and the CSV export walks them in that order) instead of every request the account ever had.
//   The console's waiting list no longer asks the database to sort by creation time (it sorts the
//   few waiting rows itself), so this index cannot tempt SQLite into walking the whole history
//   to skip a sort — the trap migration 005 describes.
// - sessions by start: a report's sessions (of requests created in the period, so started after
//   its start) are found from either side, the planner's choice, and both are bounded. Not by
//   (account_id, started_at): SQLite would take that for an agent's open sessions and read the
//   account's every session.
// - agent_intervals: when each agent was signed in (one row per console connection, kept alive by
//   `seen_at`) and available (one row per Available spell), for "time available vs signed in".
//   Read by the end of the interval, so a report of the last 30 days reads the last 30 days.
// - portals.deleted_at: a deleted portal disappears from every page but keeps its history, so
//   reports still add up.
// - accounts.demo_history_until: the demo installation's generated history ends here (reports say
//   so).
// Same for both dialects.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex("requests_account_created")
    .on("requests")
    .columns(["account_id", "created_at"])
    .execute();

  await db.schema.createIndex("sessions_started").on("sessions").column("started_at").execute();

  await db.schema
    .createTable("agent_intervals")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("started_at", "bigint", (c) => c.notNull())
    .addColumn("ended_at", "bigint")
    .addColumn("seen_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("agent_intervals_account_end")
    .on("agent_intervals")
    .columns(["account_id", "kind", "ended_at"])
    .execute();
  // The sweeper's "connections of nodes that died": open rows not seen for a while.
  await db.schema
    .createIndex("agent_intervals_open_seen")
    .on("agent_intervals")
    .columns(["kind", "ended_at", "seen_at"])
    .execute();
  await db.schema
    .createIndex("agent_intervals_user_open")
    .on("agent_intervals")
    .columns(["user_id", "kind", "ended_at"])
    .execute();
  // Agents who are Available now have been since available_since (or, unknown, since now).
  const now = Date.now();
  await sql`insert into agent_intervals (id, account_id, user_id, kind, started_at, ended_at, seen_at)
    select 'available-' || id, account_id, id, 'available', coalesce(available_since, ${now}), null, ${now}
    from users where available = 1 and account_id is not null`.execute(db);

  await db.schema.alterTable("portals").addColumn("deleted_at", "bigint").execute();
  await db.schema.alterTable("accounts").addColumn("demo_history_until", "bigint").execute();
}
