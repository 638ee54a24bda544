import type { Kysely } from "kysely";

// Written once for both dialects: only types both SQLite and PostgreSQL know the same way.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("accounts")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("mode", "text", (c) => c.notNull())
    .addColumn("web_chat_enabled", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("upgrade_enabled", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("users")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.references("accounts.id"))
    .addColumn("email", "text", (c) => c.notNull().unique())
    .addColumn("display_name", "text", (c) => c.notNull())
    .addColumn("avatar_url", "text")
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("max_sessions", "integer", (c) => c.notNull().defaultTo(3))
    .addColumn("disabled", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("password_hash", "text", (c) => c.notNull())
    .addColumn("failed_logins", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("locked_until", "bigint")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("users_account").on("users").column("account_id").execute();

  await db.schema
    .createTable("portals")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
    .addColumn("slug", "text", (c) => c.notNull().unique())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("welcome_text", "text", (c) => c.notNull())
    .addColumn("language", "text", (c) => c.notNull())
    .addColumn("primary_color", "text", (c) => c.notNull())
    .addColumn("logo_url", "text")
    .addColumn("fields", "text", (c) => c.notNull())
    .addColumn("connection_mode", "text", (c) => c.notNull())
    .addColumn("enabled", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("portals_account").on("portals").column("account_id").execute();

  await db.schema
    .createTable("portal_agents")
    .addColumn("portal_id", "text", (c) => c.notNull().references("portals.id"))
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
    .addPrimaryKeyConstraint("portal_agents_pk", ["portal_id", "user_id"])
    .execute();
  await db.schema.createIndex("portal_agents_user").on("portal_agents").column("user_id").execute();

  await db.schema
    .createTable("auth_sessions")
    .addColumn("token_hash", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("auth_sessions_user").on("auth_sessions").column("user_id").execute();
}
