import type { Kysely } from "kysely";

// Integrations (issue 14): the outbox (every email and webhook, written in the transaction of its
// cause and delivered by whichever node claims it), webhook endpoints and the log of their tries,
// API tokens, single-use password links (invitations, resets), the language a user's emails are in,
// and the addresses a portal's offline messages go to.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("users")
    .addColumn("language", "text", (c) => c.notNull().defaultTo("en"))
    .execute();
  await db.schema
    .alterTable("users")
    .addColumn("invited", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable("portals")
    .addColumn("notify_emails", "text", (c) => c.notNull().defaultTo("[]"))
    .execute();

  await db.schema
    .createTable("outbox")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text")
    // email | webhook
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("webhook_id", "text")
    // the webhook event type, or the email's kind
    .addColumn("event_type", "text", (c) => c.notNull())
    .addColumn("recipient", "text", (c) => c.notNull())
    // what it is about (a transcript email: its request), to count per subject
    .addColumn("ref", "text")
    // JSON: the webhook body, or the rendered email
    .addColumn("payload", "text", (c) => c.notNull())
    // pending → delivered | dead (and back to pending on redeliver)
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
    // a node's claim: nobody else delivers the row before lease_until
    .addColumn("lease_until", "bigint")
    .addColumn("leased_by", "text")
    .addColumn("last_error", "text")
    .addColumn("last_status", "integer")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("delivered_at", "bigint")
    .execute();
  // What a node claims next: pending rows by due time.
  await db.schema.createIndex("outbox_due").on("outbox").columns(["state", "next_attempt_at"]).execute();
  await db.schema
    .createIndex("outbox_account_created")
    .on("outbox")
    .columns(["account_id", "created_at"])
    .execute();
  await db.schema.createIndex("outbox_webhook_state").on("outbox").columns(["webhook_id", "state"]).execute();

  await db.schema
    .createTable("webhooks")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull().defaultTo(""))
    // JSON array of event types
    .addColumn("events", "text", (c) => c.notNull())
    .addColumn("secret", "text", (c) => c.notNull())
    .addColumn("enabled", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("disabled_reason", "text")
    .addColumn("failing_since", "bigint")
    .addColumn("last_delivery_at", "bigint")
    .addColumn("last_status", "integer")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("webhooks_account").on("webhooks").columns(["account_id"]).execute();

  await db.schema
    .createTable("webhook_attempts")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("webhook_id", "text", (c) => c.notNull())
    .addColumn("delivery_id", "text", (c) => c.notNull())
    .addColumn("event_type", "text", (c) => c.notNull())
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .addColumn("duration_ms", "integer", (c) => c.notNull())
    .addColumn("status", "integer")
    .addColumn("error", "text")
    .addColumn("next_attempt_at", "bigint")
    .execute();
  await db.schema
    .createIndex("webhook_attempts_webhook_at")
    .on("webhook_attempts")
    .columns(["webhook_id", "at"])
    .execute();

  await db.schema
    .createTable("api_tokens")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("prefix", "text", (c) => c.notNull())
    // JSON array of scopes
    .addColumn("scopes", "text", (c) => c.notNull())
    .addColumn("created_by", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint")
    .addColumn("last_used_at", "bigint")
    .addColumn("revoked_at", "bigint")
    .execute();
  await db.schema.createIndex("api_tokens_account").on("api_tokens").columns(["account_id"]).execute();

  await db.schema
    .createTable("password_tokens")
    .addColumn("token_hash", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull())
    // invitation | reset
    .addColumn("purpose", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("used_at", "bigint")
    .execute();
  await db.schema
    .createIndex("password_tokens_user")
    .on("password_tokens")
    .columns(["user_id", "created_at"])
    .execute();
}
