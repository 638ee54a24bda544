import { type Kysely, PostgresAdapter } from "kysely";

// One word, one meaning: `session_id` on requests was the 9-digit number people read out as
// "Session ID", while everywhere else (messages.session_id, the API's /sessions/:sessionId, the
// socket protocol) a session id is the session row's UUID. The number is now `session_number`.
// A rename keeps every value and the column's UNIQUE constraint (SQLite ≥ 3.25 rewrites its
// autoindex; PostgreSQL keeps the constraint, renamed here to the name it would get on the new
// column, so a fresh database and an upgraded one are the same).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("requests").renameColumn("session_id", "session_number").execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await db.schema
      .alterTable("requests")
      .renameConstraint("requests_session_id_key", "requests_session_number_key")
      .execute();
  }
}
