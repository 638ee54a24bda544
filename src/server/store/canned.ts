import { randomUUID } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import type { CannedResponse } from "../../shared/canned.js";
import type { Language } from "../../shared/model.js";
import type { CannedResponseTable, Database } from "../db/schema.js";
import type { CannedFields } from "../domain/canned.js";

/** Canned responses of an account: its shared ones (owner null) and each agent's personal ones. */

export interface CannedRecord extends CannedFields {
  id: string;
  accountId: string;
  /** null: account-wide. */
  ownerId: string | null;
  createdBy: string | null;
  createdAt: number;
  updatedAt: number;
}

function toRecord(r: Selectable<CannedResponseTable>): CannedRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    ownerId: r.owner_id,
    title: r.title,
    shortcut: r.shortcut,
    text: r.body,
    language: r.language === null ? null : (r.language as Language),
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function toCannedResponse(r: CannedRecord): CannedResponse {
  return {
    id: r.id,
    scope: r.ownerId === null ? "account" : "personal",
    title: r.title,
    shortcut: r.shortcut,
    text: r.text,
    language: r.language,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

export async function insertCanned(
  db: Kysely<Database>,
  c: Omit<CannedRecord, "id" | "updatedAt">,
): Promise<CannedRecord> {
  const id = randomUUID();
  await db
    .insertInto("canned_responses")
    .values({
      id,
      account_id: c.accountId,
      owner_id: c.ownerId,
      title: c.title,
      shortcut: c.shortcut,
      body: c.text,
      language: c.language,
      created_by: c.createdBy,
      created_at: c.createdAt,
      updated_at: c.createdAt,
    })
    .execute();
  return { ...c, id, updatedAt: c.createdAt };
}

/** The account-wide responses of an account (ownerId null), or one agent's personal ones. */
export async function listCanned(
  db: Kysely<Database>,
  accountId: string,
  ownerId: string | null,
): Promise<CannedRecord[]> {
  const rows = await db
    .selectFrom("canned_responses")
    .selectAll()
    .where("account_id", "=", accountId)
    .where("owner_id", ownerId === null ? "is" : "=", ownerId)
    .orderBy("title")
    .orderBy("id")
    .execute();
  return rows.map(toRecord);
}

/** What one agent may use: the account's responses and their own (two index lookups). */
export async function listUsableCanned(
  db: Kysely<Database>,
  accountId: string,
  userId: string,
): Promise<CannedRecord[]> {
  const [shared, own] = await Promise.all([
    listCanned(db, accountId, null),
    listCanned(db, accountId, userId),
  ]);
  return [...shared, ...own];
}

export async function countCanned(
  db: Kysely<Database>,
  accountId: string,
  ownerId: string | null,
): Promise<number> {
  const row = await db
    .selectFrom("canned_responses")
    .select((eb) => eb.fn.countAll<number | string>().as("n"))
    .where("account_id", "=", accountId)
    .where("owner_id", ownerId === null ? "is" : "=", ownerId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function findCanned(
  db: Kysely<Database>,
  accountId: string,
  id: string,
): Promise<CannedRecord | null> {
  const row = await db
    .selectFrom("canned_responses")
    .selectAll()
    .where("account_id", "=", accountId)
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toRecord(row) : null;
}

/** Replaces a response's fields; the owner is part of the condition, so a row of another scope is never changed. */
export async function updateCannedRow(
  db: Kysely<Database>,
  accountId: string,
  id: string,
  ownerId: string | null,
  fields: CannedFields,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable("canned_responses")
    .set({
      title: fields.title,
      shortcut: fields.shortcut,
      body: fields.text,
      language: fields.language,
      updated_at: now,
    })
    .where("account_id", "=", accountId)
    .where("id", "=", id)
    .where("owner_id", ownerId === null ? "is" : "=", ownerId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function deleteCannedRow(
  db: Kysely<Database>,
  accountId: string,
  id: string,
  ownerId: string | null,
): Promise<boolean> {
  const result = await db
    .deleteFrom("canned_responses")
    .where("account_id", "=", accountId)
    .where("id", "=", id)
    .where("owner_id", ownerId === null ? "is" : "=", ownerId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
