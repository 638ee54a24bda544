import type { Kysely } from "kysely";

// Business hours (issue 16): a portal's weekly schedule, time zone and closures as JSON
// (src/server/domain/businessHours.ts; null: open around the clock), and, on each request,
// whether it was left while the portal was closed (an offline message "outside hours", which
// reports count apart from the missed ones). Same for both dialects.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("portals").addColumn("business_hours", "text").execute();
  await db.schema
    .alterTable("requests")
    .addColumn("outside_hours", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
}
