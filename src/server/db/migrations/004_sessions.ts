import type { Kysely } from "kysely";

// Sessions in depth: the portal's greeting, receipts (delivered/read) per side, the end form, the survey.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("portals")
    .addColumn("greeting", "text", (c) => c.notNull().defaultTo(""))
    .execute();
  const sessionColumns: [string, "text" | "integer"][] = [
    ["ended_by", "text"],
    ["outcome", "text"],
    ["notes", "text"],
    ["ticket", "text"],
    ["rating", "integer"],
    ["comment", "text"],
  ];
  for (const [name, type] of sessionColumns) {
    await db.schema.alterTable("sessions").addColumn(name, type).execute();
  }
  for (const name of [
    "agent_delivered_seq",
    "agent_read_seq",
    "customer_delivered_seq",
    "customer_read_seq",
  ]) {
    await db.schema
      .alterTable("sessions")
      .addColumn(name, "integer", (c) => c.notNull().defaultTo(0))
      .execute();
  }
}
