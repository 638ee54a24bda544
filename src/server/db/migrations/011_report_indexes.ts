import type { Kysely } from "kysely";

// Reports (issue 12) find the sessions of a period's requests by their request. There was no index
// on sessions.request_id, so each join scanned every session of every account (or SQLite built an
// automatic index per statement): with it the history benchmark's 10k-request export went from
// about 20 s to 0.27 s. (Reading the period's requests by an index on their creation time is left
// for later: an (account_id, created_at) index made SQLite answer the console's waiting list by
// walking the account's whole history, the trap migration 005 describes; see README › Reports.)
// Same for both dialects.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex("sessions_request").on("sessions").column("request_id").execute();
}
