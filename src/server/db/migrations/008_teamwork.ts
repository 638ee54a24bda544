import { type Kysely, sql } from "kysely";

// Teamwork in a session (issue 11): private notes and agents-only system lines share the chat's
// sequence (messages.visibility), colleagues invited into a session and supervisors watching it
// (session_members), transfers with their receivers (session_transfers), and the story of who
// did what when (session_log). A setting says whether a customer is told a supervisor watches.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("messages")
    .addColumn("visibility", "text", (c) => c.notNull().defaultTo("all"))
    .execute();
  await db.schema.alterTable("messages").addColumn("author_id", "text").execute();
  await db.schema.alterTable("messages").addColumn("event", "text").execute();
  await db.schema.alterTable("sessions").addColumn("share_state", "text").execute();
  await db.schema
    .alterTable("accounts")
    .addColumn("tell_customer_monitored", "integer", (c) => c.notNull().defaultTo(1))
    .execute();

  await db.schema
    .createTable("session_members")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("session_id", "text", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.notNull())
    // participant (invited or joined by a supervisor) or monitor (a supervisor watching)
    .addColumn("role", "text", (c) => c.notNull())
    // invited → joined | declined | expired | canceled; joined → left | removed | ended | owner
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("invited_by", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint")
    .addColumn("joined_at", "bigint")
    .addColumn("ended_at", "bigint")
    .execute();
  await db.schema
    .createIndex("session_members_session_state")
    .on("session_members")
    .columns(["session_id", "state"])
    .execute();
  await db.schema
    .createIndex("session_members_user_state")
    .on("session_members")
    .columns(["user_id", "state"])
    .execute();
  // One live membership (invited or joined) per person and session.
  await db.schema
    .createIndex("session_members_one_live")
    .on("session_members")
    .columns(["session_id", "user_id"])
    .unique()
    .where(sql.ref("state"), "in", sql`('invited', 'joined')`)
    .execute();
  await db.schema
    .createIndex("session_members_invites_due")
    .on("session_members")
    .columns(["expires_at"])
    .where(sql.ref("state"), "=", "invited")
    .execute();

  await db.schema
    .createTable("session_transfers")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("session_id", "text", (c) => c.notNull())
    .addColumn("from_agent_id", "text", (c) => c.notNull())
    .addColumn("to_agent_id", "text")
    .addColumn("to_portal_id", "text")
    .addColumn("note", "text", (c) => c.notNull().defaultTo(""))
    // JSON arrays of user ids: who got the alert, and who of them declined.
    .addColumn("recipients", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("declined", "text", (c) => c.notNull().defaultTo("[]"))
    // pending → accepted | declined | timed-out | canceled
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("decided_at", "bigint")
    .addColumn("decided_by", "text")
    .execute();
  // At most one pending transfer per session: the second one is refused by the database too.
  await db.schema
    .createIndex("session_transfers_one_pending")
    .on("session_transfers")
    .column("session_id")
    .unique()
    .where(sql.ref("state"), "=", "pending")
    .execute();
  await db.schema
    .createIndex("session_transfers_due")
    .on("session_transfers")
    .columns(["expires_at"])
    .where(sql.ref("state"), "=", "pending")
    .execute();

  await db.schema
    .createTable("session_log")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("session_id", "text", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("actor_id", "text")
    .addColumn("subject_id", "text")
    .addColumn("detail", "text", (c) => c.notNull().defaultTo(""))
    .execute();
  await db.schema
    .createIndex("session_log_session_at")
    .on("session_log")
    .columns(["session_id", "at"])
    .execute();
}
