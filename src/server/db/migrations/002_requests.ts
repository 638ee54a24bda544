import { type Kysely, sql } from "kysely";

// Requests, their transitions, sessions, chat messages, session codes. Same for both dialects.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("users")
    .addColumn("available", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable("users").addColumn("available_since", "bigint").execute();

  await db.schema
    .createTable("requests")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
    .addColumn("portal_id", "text", (c) => c.notNull().references("portals.id"))
    .addColumn("session_id", "text", (c) => c.notNull().unique())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("target_agent_id", "text")
    .addColumn("agent_id", "text")
    .addColumn("customer_name", "text", (c) => c.notNull())
    .addColumn("customer_email", "text", (c) => c.notNull())
    .addColumn("contact", "text", (c) => c.notNull())
    .addColumn("question", "text", (c) => c.notNull())
    .addColumn("language", "text", (c) => c.notNull())
    .addColumn("customer_token_hash", "text", (c) => c.notNull())
    .addColumn("code_id", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("state_at", "bigint", (c) => c.notNull())
    .addColumn("deadline_at", "bigint")
    .addColumn("customer_gone_at", "bigint")
    .execute();
  await db.schema
    .createIndex("requests_account_state")
    .on("requests")
    .columns(["account_id", "state"])
    .execute();
  await db.schema
    .createIndex("requests_state_deadline")
    .on("requests")
    .columns(["state", "deadline_at"])
    .execute();
  await db.schema
    .createIndex("requests_portal_state")
    .on("requests")
    .columns(["portal_id", "state"])
    .execute();

  await db.schema
    .createTable("request_events")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("request_id", "text", (c) => c.notNull().references("requests.id"))
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("agent_id", "text")
    .addColumn("at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("request_events_request").on("request_events").column("request_id").execute();

  await db.schema
    .createTable("sessions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
    .addColumn("request_id", "text", (c) => c.notNull().references("requests.id"))
    .addColumn("agent_id", "text", (c) => c.notNull().references("users.id"))
    .addColumn("started_at", "bigint", (c) => c.notNull())
    .addColumn("ended_at", "bigint")
    .addColumn("last_seq", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createIndex("sessions_agent_open")
    .on("sessions")
    .columns(["agent_id", "ended_at"])
    .execute();

  await db.schema
    .createTable("messages")
    .addColumn("session_id", "text", (c) => c.notNull().references("sessions.id"))
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("sender", "text", (c) => c.notNull())
    .addColumn("author_name", "text", (c) => c.notNull())
    .addColumn("body", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("messages_pk", ["session_id", "seq"])
    .execute();

  await db.schema
    .createTable("codes")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
    .addColumn("portal_id", "text", (c) => c.notNull().references("portals.id"))
    .addColumn("agent_id", "text", (c) => c.notNull().references("users.id"))
    .addColumn("code", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("redeemed_at", "bigint")
    .addColumn("request_id", "text")
    .execute();
  // A code number is unique among live codes; expired ones are marked before a new code is made.
  await db.schema
    .createIndex("codes_live_code")
    .on("codes")
    .column("code")
    .unique()
    .where(sql.ref("state"), "=", "live")
    .execute();
  await db.schema.createIndex("codes_agent_state").on("codes").columns(["agent_id", "state"]).execute();

  await db.schema
    .createTable("redeem_failures")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("client", "text", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("redeem_failures_client_at")
    .on("redeem_failures")
    .columns(["client", "at"])
    .execute();
  await db.schema.createIndex("redeem_failures_at").on("redeem_failures").column("at").execute();
}
