import type { Kysely } from "kysely";

// Reports (issue 12): the account's time zone, in which reports count days and hours. Null means
// the server's own zone (so an existing account keeps the days it has always had).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("accounts").addColumn("time_zone", "text").execute();
}
