import type { Kysely } from "kysely";
import type { Database } from "../db/schema.js";

/** Single-use links that set a password: an invitation (24 h) or a reset (30 min). Stored hashed. */

export type PasswordTokenPurpose = "invitation" | "reset";

export async function insertPasswordToken(
  db: Kysely<Database>,
  t: {
    tokenHash: string;
    userId: string;
    purpose: PasswordTokenPurpose;
    createdAt: number;
    expiresAt: number;
  },
): Promise<void> {
  await db
    .insertInto("password_tokens")
    .values({
      token_hash: t.tokenHash,
      user_id: t.userId,
      purpose: t.purpose,
      created_at: t.createdAt,
      expires_at: t.expiresAt,
      used_at: null,
    })
    .execute();
}

/**
 * Uses a link once: the conditional update is the check, so two tabs submitting the same link
 * cannot both set a password. Returns the user and purpose, or null (unknown, used or expired).
 */
export async function consumePasswordToken(
  db: Kysely<Database>,
  tokenHash: string,
  now: number,
): Promise<{ userId: string; purpose: PasswordTokenPurpose } | null> {
  const row = await db
    .updateTable("password_tokens")
    .set({ used_at: now })
    .where("token_hash", "=", tokenHash)
    .where("used_at", "is", null)
    .where("expires_at", ">", now)
    .returning(["user_id", "purpose"])
    .executeTakeFirst();
  return row ? { userId: row.user_id, purpose: row.purpose as PasswordTokenPurpose } : null;
}

/** Whether a link is usable right now (the page shows the form or says it is no longer valid). */
export async function passwordTokenUsable(
  db: Kysely<Database>,
  tokenHash: string,
  now: number,
): Promise<boolean> {
  const row = await db
    .selectFrom("password_tokens")
    .select("user_id")
    .where("token_hash", "=", tokenHash)
    .where("used_at", "is", null)
    .where("expires_at", ">", now)
    .executeTakeFirst();
  return row !== undefined;
}

/** Links made for a user since `since` (a reset is limited to a few per hour per user). */
export async function countRecentPasswordTokens(
  db: Kysely<Database>,
  userId: string,
  purpose: PasswordTokenPurpose,
  since: number,
): Promise<number> {
  const r = await db
    .selectFrom("password_tokens")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("user_id", "=", userId)
    .where("purpose", "=", purpose)
    .where("created_at", ">=", since)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** A new link makes the user's older unused links of any purpose useless. */
export async function retirePasswordTokens(db: Kysely<Database>, userId: string, now: number): Promise<void> {
  await db
    .updateTable("password_tokens")
    .set({ used_at: now })
    .where("user_id", "=", userId)
    .where("used_at", "is", null)
    .execute();
}

/** A link that is usable now: whose it is and what for (the page greets the user by name). */
export async function findUsablePasswordToken(
  db: Kysely<Database>,
  tokenHash: string,
  now: number,
): Promise<{ userId: string; purpose: PasswordTokenPurpose } | null> {
  const row = await db
    .selectFrom("password_tokens")
    .select(["user_id", "purpose"])
    .where("token_hash", "=", tokenHash)
    .where("used_at", "is", null)
    .where("expires_at", ">", now)
    .executeTakeFirst();
  return row ? { userId: row.user_id, purpose: row.purpose as PasswordTokenPurpose } : null;
}

/** Links that expired before `before` (used or not) are deleted. */
export async function prunePasswordTokens(db: Kysely<Database>, before: number): Promise<void> {
  await db.deleteFrom("password_tokens").where("expires_at", "<", before).execute();
}
