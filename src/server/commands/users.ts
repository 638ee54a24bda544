import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { User } from "../../shared/api.js";
import type { Principal, Role } from "../../shared/model.js";
import { announceSignOut } from "../bus/signOut.js";
import { isUniqueViolation } from "../db/database.js";
import type { Database } from "../db/schema.js";
import { fieldError, notFound } from "../domain/errors.js";
import { assertPasswordRules, generatePassword, hashPassword } from "../domain/passwords.js";
import { lockAccount } from "../store/accounts.js";
import { deleteAuthSessionsOfUser } from "../store/authSessions.js";
import { countPortalIdsInAccount } from "../store/portals.js";
import {
  countEnabledAdmins,
  findUser,
  findUserByEmail,
  insertUser,
  listUsers,
  publicUser,
  setPasswordHash,
  setUserPortals,
  type UserRow,
  updateUserRow,
} from "../store/users.js";
import { accountFor } from "./access.js";
import { capacityChanged } from "./agents.js";
import type { Actor, Deps } from "./context.js";
import { customerPagesChanged } from "./portalPages.js";

export interface NewUser {
  email: string;
  displayName: string;
  role: Principal;
  password?: string;
  avatarUrl?: string | null;
  maxSessions?: number;
  portalIds?: string[];
}

export interface CreatedUser {
  user: User;
  /** Set when the password was generated: shown once to whoever created the user. */
  generatedPassword: string | null;
}

export const DEFAULT_MAX_SESSIONS = 3;

const duplicateEmail = (email: string) =>
  fieldError(409, "email", "duplicate", `A user with the email ${email} already exists.`, { email });

async function assertPortalsInAccount(
  db: Kysely<Database>,
  accountId: string,
  portalIds: string[],
): Promise<void> {
  const unique = [...new Set(portalIds)];
  if ((await countPortalIdsInAccount(db, accountId, unique)) !== unique.length) {
    throw fieldError(
      400,
      "portalIds",
      "unknown_portal",
      "One of the chosen portals does not exist in this account.",
    );
  }
}

/** Inserts a user (any principal) inside the given transaction; used by the API, the CLI and first start. */
export async function insertNewUser(
  trx: Kysely<Database>,
  accountId: string | null,
  input: NewUser,
  now: number,
): Promise<CreatedUser> {
  const generated = input.password === undefined ? generatePassword() : null;
  const password = input.password ?? (generated as string);
  assertPasswordRules(password);
  const email = input.email.trim().toLowerCase();
  if (await findUserByEmail(trx, email)) throw duplicateEmail(email);
  const portalIds = [...new Set(input.portalIds ?? [])];
  if (accountId !== null) await assertPortalsInAccount(trx, accountId, portalIds);
  const row: UserRow = {
    id: randomUUID(),
    accountId,
    email,
    displayName: input.displayName.trim(),
    avatarUrl: input.avatarUrl ?? null,
    role: input.role,
    maxSessions: input.maxSessions ?? DEFAULT_MAX_SESSIONS,
    disabled: false,
    portalIds,
    createdAt: now,
    passwordHash: await hashPassword(password),
    failedLogins: 0,
    lockedUntil: null,
  };
  try {
    await insertUser(trx, row);
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateEmail(email);
    throw err;
  }
  if (accountId !== null && portalIds.length > 0) await setUserPortals(trx, accountId, row.id, portalIds);
  return { user: publicUser(row), generatedPassword: generated };
}

export async function createUser(
  deps: Deps,
  actor: Actor,
  accountId: string,
  input: NewUser & { role: Role },
): Promise<CreatedUser> {
  await accountFor(deps, actor, accountId, "admin");
  const created = await deps.db.kysely
    .transaction()
    .execute((trx) => insertNewUser(trx, accountId, input, deps.now()));
  // A pick-agent portal lists its agents, offline ones too.
  if (created.user.portalIds.length > 0) await customerPagesChanged(deps, accountId);
  return created;
}

export async function listAccountUsers(deps: Deps, actor: Actor, accountId: string): Promise<User[]> {
  await accountFor(deps, actor, accountId, "manager");
  return (await listUsers(deps.db.kysely, accountId)).map(publicUser);
}

export async function getUser(deps: Deps, actor: Actor, accountId: string, userId: string): Promise<User> {
  await accountFor(deps, actor, accountId, "manager");
  const u = await findUser(deps.db.kysely, accountId, userId);
  if (!u) throw notFound("User");
  return publicUser(u);
}

export interface UserPatch {
  email?: string;
  displayName?: string;
  avatarUrl?: string | null;
  role?: Role;
  maxSessions?: number;
  disabled?: boolean;
  portalIds?: string[];
}

export async function updateUser(
  deps: Deps,
  actor: Actor,
  accountId: string,
  userId: string,
  patch: UserPatch,
): Promise<User> {
  await accountFor(deps, actor, accountId, "admin");
  const updated = await deps.db.kysely.transaction().execute(async (trx) => {
    await lockAccount(trx, accountId);
    const current = await findUser(trx, accountId, userId);
    if (!current) throw notFound("User");
    const next: UserRow = {
      ...current,
      email: patch.email !== undefined ? patch.email.trim().toLowerCase() : current.email,
      displayName: patch.displayName !== undefined ? patch.displayName.trim() : current.displayName,
      avatarUrl: patch.avatarUrl !== undefined ? patch.avatarUrl : current.avatarUrl,
      role: patch.role ?? current.role,
      maxSessions: patch.maxSessions ?? current.maxSessions,
      disabled: patch.disabled ?? current.disabled,
    };
    const losesAdmin =
      current.role === "admin" && !current.disabled && (next.role !== "admin" || next.disabled);
    if (losesAdmin && (await countEnabledAdmins(trx, accountId)) <= 1) {
      const field = next.disabled ? "disabled" : "role";
      throw fieldError(
        409,
        field,
        "last_admin",
        "An account needs at least one enabled admin; make someone else admin first.",
      );
    }
    if (next.email !== current.email) {
      const other = await findUserByEmail(trx, next.email);
      if (other && other.id !== userId) throw duplicateEmail(next.email);
    }
    try {
      await updateUserRow(trx, next);
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicateEmail(next.email);
      throw err;
    }
    if (patch.portalIds !== undefined) {
      const portalIds = [...new Set(patch.portalIds)];
      await assertPortalsInAccount(trx, accountId, portalIds);
      await setUserPortals(trx, accountId, userId, portalIds);
      next.portalIds = portalIds.sort();
    }
    if (next.disabled && !current.disabled) await deleteAuthSessionsOfUser(trx, userId);
    return publicUser(next);
  });
  if (patch.disabled === true) await announceSignOut(deps.bus, userId);
  // A changed limit, portal list or disabled flag changes what this agent can take.
  if (patch.maxSessions !== undefined || patch.portalIds !== undefined || patch.disabled !== undefined) {
    await capacityChanged(deps, accountId, updated.id, updated.portalIds);
  } else {
    // Name and picture show on pick-agent portals.
    await customerPagesChanged(deps, accountId);
  }
  return updated;
}

export interface PasswordReset {
  /** Set when the password was generated: shown once to the admin, who passes it on. */
  generatedPassword: string | null;
}

export async function resetPassword(
  deps: Deps,
  actor: Actor,
  accountId: string,
  userId: string,
  password: string | undefined,
): Promise<PasswordReset> {
  await accountFor(deps, actor, accountId, "admin");
  const user = await findUser(deps.db.kysely, accountId, userId);
  if (!user) throw notFound("User");
  return setPassword(deps, user.id, password);
}

/** Sets (or generates) a password and signs the user out everywhere. Used by the API and the CLI. */
export async function setPassword(
  deps: Deps,
  userId: string,
  password: string | undefined,
): Promise<PasswordReset> {
  const generated = password === undefined ? generatePassword() : null;
  const next = password ?? (generated as string);
  assertPasswordRules(next);
  const hash = await hashPassword(next);
  await deps.db.kysely.transaction().execute(async (trx) => {
    await setPasswordHash(trx, userId, hash);
    await deleteAuthSessionsOfUser(trx, userId);
  });
  await announceSignOut(deps.bus, userId);
  return { generatedPassword: generated };
}
