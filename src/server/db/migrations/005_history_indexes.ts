import type { Kysely } from "kysely";

// Reads on the hot paths must not grow with the account's history: the console snapshot is read
// on every console connect, and on SQLite a query blocks the node while it runs.
// - requests by account (or portal), state and time: the console's "today" history (five ended
//   states since midnight) and its offline messages (the last 7 days), newest first. They replace
//   (account_id, state) and (portal_id, state), which they answer too: with those, the planner
//   read every ended request of the account or portal and sorted them.
// - sessions by agent and start: the agent's statistics for today.
// - transitions by account, state and time: the recent waits behind a queue's estimate.
// Same for both dialects.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex("requests_account_state_time")
    .on("requests")
    .columns(["account_id", "state", "state_at"])
    .execute();
  await db.schema
    .createIndex("requests_portal_state_time")
    .on("requests")
    .columns(["portal_id", "state", "state_at"])
    .execute();
  await db.schema.dropIndex("requests_account_state").execute();
  await db.schema.dropIndex("requests_portal_state").execute();
  await db.schema
    .createIndex("sessions_agent_started")
    .on("sessions")
    .columns(["agent_id", "started_at"])
    .execute();
  await db.schema
    .createIndex("request_events_account_state_at")
    .on("request_events")
    .columns(["account_id", "state", "at"])
    .execute();
}
