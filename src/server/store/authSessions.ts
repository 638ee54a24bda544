import type { Kysely } from "kysely";
import type { Database } from "../db/schema.js";

export async function insertAuthSession(
  db: Kysely<Database>,
  tokenHash: string,
  userId: string,
  now: number,
  expiresAt: number,
): Promise<void> {
  await db
    .insertInto("auth_sessions")
    .values({ token_hash: tokenHash, user_id: userId, created_at: now, expires_at: expiresAt })
    .execute();
}

export async function findAuthSession(
  db: Kysely<Database>,
  tokenHash: string,
  now: number,
): Promise<{ userId: string; expiresAt: number } | null> {
  const r = await db
    .selectFrom("auth_sessions")
    .select(["user_id", "expires_at"])
    .where("token_hash", "=", tokenHash)
    .where("expires_at", ">", now)
    .executeTakeFirst();
  return r ? { userId: r.user_id, expiresAt: r.expires_at } : null;
}

/** Ends one sign-in; returns whose it was (null when there was none). */
export async function deleteAuthSession(db: Kysely<Database>, tokenHash: string): Promise<string | null> {
  const r = await db
    .deleteFrom("auth_sessions")
    .where("token_hash", "=", tokenHash)
    .returning("user_id")
    .executeTakeFirst();
  return r?.user_id ?? null;
}

export async function deleteAuthSessionsOfUser(db: Kysely<Database>, userId: string): Promise<void> {
  await db.deleteFrom("auth_sessions").where("user_id", "=", userId).execute();
}

export async function deleteExpiredAuthSessions(db: Kysely<Database>, now: number): Promise<void> {
  await db.deleteFrom("auth_sessions").where("expires_at", "<=", now).execute();
}
