import type { Kysely, Selectable } from "kysely";
import type { User } from "../../shared/api.js";
import type { Language, Principal } from "../../shared/model.js";
import type { Database, UserTable } from "../db/schema.js";

export interface UserRow extends User {
  passwordHash: string;
  failedLogins: number;
  lockedUntil: number | null;
}

function toUserRow(r: Selectable<UserTable>, portalIds: string[]): UserRow {
  return {
    id: r.id,
    accountId: r.account_id,
    email: r.email,
    displayName: r.display_name,
    avatarUrl: r.avatar_url,
    role: r.role as Principal,
    maxSessions: r.max_sessions,
    disabled: r.disabled === 1,
    portalIds,
    language: r.language as Language,
    invited: r.invited === 1,
    createdAt: r.created_at,
    passwordHash: r.password_hash,
    failedLogins: r.failed_logins,
    lockedUntil: r.locked_until,
  };
}

/** The public face of a user: never the password hash or lockout counters. */
export function publicUser(u: UserRow): User {
  const { passwordHash: _h, failedLogins: _f, lockedUntil: _l, ...user } = u;
  return user;
}

async function portalIdsOf(db: Kysely<Database>, userIds: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  if (userIds.length === 0) return map;
  const rows = await db
    .selectFrom("portal_agents")
    .select(["user_id", "portal_id"])
    .where("user_id", "in", userIds)
    .orderBy("portal_id")
    .execute();
  for (const r of rows) {
    const list = map.get(r.user_id) ?? [];
    list.push(r.portal_id);
    map.set(r.user_id, list);
  }
  return map;
}

export async function insertUser(db: Kysely<Database>, u: UserRow): Promise<void> {
  await db
    .insertInto("users")
    .values({
      id: u.id,
      account_id: u.accountId,
      email: u.email,
      display_name: u.displayName,
      avatar_url: u.avatarUrl,
      role: u.role,
      max_sessions: u.maxSessions,
      disabled: u.disabled ? 1 : 0,
      password_hash: u.passwordHash,
      failed_logins: 0,
      locked_until: null,
      language: u.language,
      invited: u.invited ? 1 : 0,
      created_at: u.createdAt,
    })
    .execute();
}

export async function findUserByEmail(db: Kysely<Database>, email: string): Promise<UserRow | null> {
  const r = await db
    .selectFrom("users")
    .selectAll()
    .where("email", "=", email.toLowerCase())
    .executeTakeFirst();
  if (!r) return null;
  return toUserRow(r, (await portalIdsOf(db, [r.id])).get(r.id) ?? []);
}

/** Any user by id, for the signed-in principal only (sessions); tenant reads go through findUser. */
export async function findUserById(db: Kysely<Database>, userId: string): Promise<UserRow | null> {
  const r = await db.selectFrom("users").selectAll().where("id", "=", userId).executeTakeFirst();
  if (!r) return null;
  return toUserRow(r, (await portalIdsOf(db, [r.id])).get(r.id) ?? []);
}

export async function findUser(
  db: Kysely<Database>,
  accountId: string,
  userId: string,
): Promise<UserRow | null> {
  const r = await db
    .selectFrom("users")
    .selectAll()
    .where("account_id", "=", accountId)
    .where("id", "=", userId)
    .executeTakeFirst();
  if (!r) return null;
  return toUserRow(r, (await portalIdsOf(db, [r.id])).get(r.id) ?? []);
}

export async function listUsers(db: Kysely<Database>, accountId: string): Promise<UserRow[]> {
  const rows = await db
    .selectFrom("users")
    .selectAll()
    .where("account_id", "=", accountId)
    .orderBy("display_name")
    .orderBy("email")
    .execute();
  const portals = await portalIdsOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toUserRow(r, portals.get(r.id) ?? []));
}

/** How many of the given (distinct) user ids belong to the account. */
export async function countUserIdsInAccount(
  db: Kysely<Database>,
  accountId: string,
  userIds: string[],
): Promise<number> {
  if (userIds.length === 0) return 0;
  const rows = await db
    .selectFrom("users")
    .select("id")
    .where("account_id", "=", accountId)
    .where("id", "in", userIds)
    .execute();
  return rows.length;
}

export async function countEnabledAdmins(db: Kysely<Database>, accountId: string): Promise<number> {
  const r = await db
    .selectFrom("users")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("account_id", "=", accountId)
    .where("role", "=", "admin")
    .where("disabled", "=", 0)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function countUsers(db: Kysely<Database>): Promise<number> {
  const r = await db
    .selectFrom("users")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function updateUserRow(db: Kysely<Database>, u: UserRow): Promise<void> {
  await db
    .updateTable("users")
    .set({
      email: u.email,
      display_name: u.displayName,
      avatar_url: u.avatarUrl,
      role: u.role,
      max_sessions: u.maxSessions,
      disabled: u.disabled ? 1 : 0,
      language: u.language,
    })
    .where("id", "=", u.id)
    .execute();
}

export async function setPasswordHash(
  db: Kysely<Database>,
  userId: string,
  passwordHash: string,
): Promise<void> {
  await db
    .updateTable("users")
    .set({ password_hash: passwordHash, failed_logins: 0, locked_until: null, invited: 0 })
    .where("id", "=", userId)
    .execute();
  // A new password starts every address's sign-in failures from zero (an admin's reset unlocks).
  await db.deleteFrom("login_failures").where("user_id", "=", userId).execute();
}

/** Replaces the portals a user is assigned to; the caller has checked they belong to the account. */
export async function setUserPortals(
  db: Kysely<Database>,
  accountId: string,
  userId: string,
  portalIds: string[],
): Promise<void> {
  await db
    .deleteFrom("portal_agents")
    .where("account_id", "=", accountId)
    .where("user_id", "=", userId)
    .execute();
  if (portalIds.length > 0) {
    await db
      .insertInto("portal_agents")
      .values(portalIds.map((portal_id) => ({ portal_id, user_id: userId, account_id: accountId })))
      .execute();
  }
}

/**
 * Locks a user's row until the transaction ends (a no-op update: a row lock on PostgreSQL, the
 * writer lock on SQLite), so a count-then-insert per user (reset links, live codes) holds under
 * concurrent requests.
 */
export async function lockUser(db: Kysely<Database>, userId: string): Promise<void> {
  await db
    .updateTable("users")
    .set((eb) => ({ language: eb.ref("language") }))
    .where("id", "=", userId)
    .execute();
}
