import { type Kysely, sql } from "kysely";

// Queue mode: offers to one agent at a time, the account's offer timeout, the portal's maximum wait.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("accounts")
    .addColumn("offer_timeout_seconds", "integer", (c) => c.notNull().defaultTo(30))
    .execute();
  await db.schema
    .alterTable("portals")
    .addColumn("max_wait_seconds", "integer", (c) => c.notNull().defaultTo(600))
    .execute();
  await db.schema
    .alterTable("requests")
    .addColumn("round", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable("users").addColumn("idle_since", "bigint").execute();

  await db.schema
    .createTable("offers")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
    .addColumn("portal_id", "text", (c) => c.notNull().references("portals.id"))
    .addColumn("request_id", "text", (c) => c.notNull().references("requests.id"))
    .addColumn("agent_id", "text", (c) => c.notNull().references("users.id"))
    .addColumn("round", "integer", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("ended_at", "bigint")
    .execute();
  // The two queue invariants, held by the database itself across nodes: a request has at most
  // one pending offer, an agent holds at most one.
  await db.schema
    .createIndex("offers_one_per_request")
    .on("offers")
    .column("request_id")
    .unique()
    .where(sql.ref("state"), "=", "pending")
    .execute();
  await db.schema
    .createIndex("offers_one_per_agent")
    .on("offers")
    .column("agent_id")
    .unique()
    .where(sql.ref("state"), "=", "pending")
    .execute();
  await db.schema.createIndex("offers_state_expires").on("offers").columns(["state", "expires_at"]).execute();
  await db.schema.createIndex("offers_request").on("offers").column("request_id").execute();
}
