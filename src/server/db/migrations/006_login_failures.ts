import type { Kysely } from "kysely";

// Sign-in failures per user *and* client address: one address that guesses wrong is locked out
// for that user, while the same user's right password from anywhere else still signs in. The
// counter is one atomic upsert (INSERT … ON CONFLICT DO UPDATE … RETURNING) on both dialects.
// The old per-user columns (users.failed_logins, users.locked_until) are left in place, unused.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("login_failures")
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("address", "text", (c) => c.notNull())
    .addColumn("failures", "integer", (c) => c.notNull())
    .addColumn("locked_until", "bigint")
    .addColumn("last_failed_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("login_failures_pk", ["user_id", "address"])
    .execute();
  await db.schema
    .createIndex("login_failures_user_recent")
    .on("login_failures")
    .columns(["user_id", "last_failed_at"])
    .execute();
}
