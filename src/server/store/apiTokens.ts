import { randomUUID } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import type { ApiToken, ApiTokenScope } from "../../shared/api.js";
import type { ApiTokenTable, Database } from "../db/schema.js";

/** API tokens of an account: stored hashed, with their scopes, expiry, last use and revocation. */

export interface ApiTokenRecord {
  id: string;
  accountId: string;
  name: string;
  prefix: string;
  scopes: ApiTokenScope[];
  createdBy: string | null;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

function toRecord(r: Selectable<ApiTokenTable>): ApiTokenRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    name: r.name,
    prefix: r.prefix,
    scopes: JSON.parse(r.scopes) as ApiTokenScope[],
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
    expiresAt: r.expires_at === null ? null : Number(r.expires_at),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  };
}

export function toApiToken(t: ApiTokenRecord, creators: Map<string, string>): ApiToken {
  const name = t.createdBy ? creators.get(t.createdBy) : undefined;
  return {
    id: t.id,
    accountId: t.accountId,
    name: t.name,
    scopes: t.scopes,
    prefix: t.prefix,
    createdBy: t.createdBy && name !== undefined ? { id: t.createdBy, name } : null,
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
    lastUsedAt: t.lastUsedAt,
    revokedAt: t.revokedAt,
  };
}

export async function insertApiToken(
  db: Kysely<Database>,
  t: Omit<ApiTokenRecord, "id" | "lastUsedAt" | "revokedAt">,
  tokenHash: string,
): Promise<ApiTokenRecord> {
  const id = randomUUID();
  await db
    .insertInto("api_tokens")
    .values({
      id,
      account_id: t.accountId,
      name: t.name,
      token_hash: tokenHash,
      prefix: t.prefix,
      scopes: JSON.stringify(t.scopes),
      created_by: t.createdBy,
      created_at: t.createdAt,
      expires_at: t.expiresAt,
      last_used_at: null,
      revoked_at: null,
    })
    .execute();
  return { ...t, id, lastUsedAt: null, revokedAt: null };
}

export async function listApiTokens(db: Kysely<Database>, accountId: string): Promise<ApiTokenRecord[]> {
  const rows = await db
    .selectFrom("api_tokens")
    .selectAll()
    .where("account_id", "=", accountId)
    .orderBy("created_at", "desc")
    .orderBy("id")
    .execute();
  return rows.map(toRecord);
}

export async function findApiTokenByHash(
  db: Kysely<Database>,
  tokenHash: string,
): Promise<ApiTokenRecord | null> {
  const r = await db
    .selectFrom("api_tokens")
    .selectAll()
    .where("token_hash", "=", tokenHash)
    .executeTakeFirst();
  return r ? toRecord(r) : null;
}

export async function revokeApiToken(
  db: Kysely<Database>,
  accountId: string,
  id: string,
  now: number,
): Promise<"revoked" | "already" | "missing"> {
  const res = await db
    .updateTable("api_tokens")
    .set({ revoked_at: now })
    .where("account_id", "=", accountId)
    .where("id", "=", id)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 1) return "revoked";
  const exists = await db
    .selectFrom("api_tokens")
    .select("id")
    .where("account_id", "=", accountId)
    .where("id", "=", id)
    .executeTakeFirst();
  return exists ? "already" : "missing";
}

export async function touchApiToken(db: Kysely<Database>, id: string, now: number): Promise<void> {
  await db.updateTable("api_tokens").set({ last_used_at: now }).where("id", "=", id).execute();
}
