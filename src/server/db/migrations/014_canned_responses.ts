import { type Kysely, sql } from "kysely";

// Canned responses (issue 18): account-wide ones (owner_id null) and each agent's personal ones.
// A shortcut is unique within its scope — the account's shared ones, or one agent's own — which two
// partial unique indexes hold across nodes (NULL shortcuts never collide). Reading the account's
// list, or one agent's usable list, goes through (account_id, owner_id) and never reads another
// account's rows.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("canned_responses")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull())
    // null: account-wide; else the agent whose personal response it is
    .addColumn("owner_id", "text")
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("shortcut", "text")
    .addColumn("body", "text", (c) => c.notNull())
    // en | de, or null: any language
    .addColumn("language", "text")
    .addColumn("created_by", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("canned_account_owner")
    .on("canned_responses")
    .columns(["account_id", "owner_id"])
    .execute();
  await db.schema
    .createIndex("canned_account_shortcut")
    .on("canned_responses")
    .columns(["account_id", "shortcut"])
    .unique()
    .where(sql.ref("owner_id"), "is", null)
    .execute();
  await db.schema
    .createIndex("canned_owner_shortcut")
    .on("canned_responses")
    .columns(["account_id", "owner_id", "shortcut"])
    .unique()
    .where(sql.ref("owner_id"), "is not", null)
    .execute();
}
