import { type Kysely, sql } from "kysely";
import type { Database } from "../db/schema.js";

/** What one sign-in attempt found, after it was counted. */
export interface LoginAttempt {
  /**
   * This attempt's place among the failures in a row from its address (1 = the first), counted
   * before the password is checked. While the address is locked it is `max + 1`: the attempt
   * was refused without a check.
   */
  failures: number;
  /** Until when this address is locked out for this user (set by the `max`-th attempt), if it is. */
  lockedUntil: number | null;
}

/**
 * Counts a sign-in attempt for (user, address) in one atomic write, before the password is
 * verified: concurrent attempts each get their own number (1, 2, 3 …), so no more than `max`
 * of them are ever checked, whichever node they reach. The `max`-th attempt sets the lock; a
 * lock that has run out starts the count again at 1. A right password then clears the row.
 */
export async function countLoginAttempt(
  db: Kysely<Database>,
  userId: string,
  address: string,
  now: number,
  max: number,
  lockMs: number,
): Promise<LoginAttempt> {
  const until = now + lockMs;
  const expired = sql<boolean>`login_failures.locked_until is not null and login_failures.locked_until <= ${now}`;
  const locked = sql<boolean>`login_failures.locked_until is not null and login_failures.locked_until > ${now}`;
  const row = await db
    .insertInto("login_failures")
    .values({
      user_id: userId,
      address,
      failures: 1,
      locked_until: max <= 1 ? until : null,
      last_failed_at: now,
    })
    .onConflict((oc) =>
      oc.columns(["user_id", "address"]).doUpdateSet({
        failures: sql<number>`case when ${expired} then 1 when ${locked} then ${max + 1}
          when login_failures.failures >= ${max} then ${max + 1} else login_failures.failures + 1 end`,
        locked_until: sql<
          number | null
        >`case when ${expired} then null when ${locked} then login_failures.locked_until
          when login_failures.failures + 1 >= ${max} then ${until} else null end`,
        last_failed_at: now,
      }),
    )
    .returning(["failures", "locked_until"])
    .executeTakeFirstOrThrow();
  return {
    failures: Number(row.failures),
    lockedUntil: row.locked_until === null ? null : Number(row.locked_until),
  };
}

/** A right password: the address starts from zero again for this user. */
export async function clearLoginAttempts(
  db: Kysely<Database>,
  userId: string,
  address: string,
): Promise<void> {
  await db
    .deleteFrom("login_failures")
    .where("user_id", "=", userId)
    .where("address", "=", address)
    .execute();
}

/**
 * The failures against one user from every address since `since`, each address counting at
 * most `perAddress` (attempts refused while it was locked are not guesses): the measure of a
 * guessing attack spread over many addresses.
 */
export async function recentLoginFailures(
  db: Kysely<Database>,
  userId: string,
  since: number,
  perAddress: number,
): Promise<number> {
  const r = await db
    .selectFrom("login_failures")
    .select(
      sql<number>`coalesce(sum(case when failures > ${perAddress} then ${perAddress} else failures end), 0)`.as(
        "n",
      ),
    )
    .where("user_id", "=", userId)
    .where("last_failed_at", ">", since)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
