import type { User } from "../../shared/api.js";
import type { Language, Role } from "../../shared/model.js";
import { isUniqueViolation } from "../db/database.js";
import { fieldError, notFound } from "../domain/errors.js";
import { assertPasswordRules, generatePassword, hashPassword } from "../domain/passwords.js";
import { queuePasswordLink } from "../outbox/passwordMail.js";
import { lockAccount } from "../store/accounts.js";
import { deleteAuthSessionsOfUser } from "../store/authSessions.js";
import {
  assertPortalsInAccount,
  type CreatedUser,
  duplicateEmail,
  insertNewUser,
  type NewUser,
} from "../store/newUser.js";
import {
  countEnabledAdmins,
  findUser,
  findUserByEmail,
  findUserById,
  listUsers,
  publicUser,
  setPasswordHash,
  setUserPortals,
  type UserRow,
  updateUserRow,
} from "../store/users.js";
import { accountFor } from "./access.js";
import type { Actor, Deps } from "./context.js";

export async function createUser(
  deps: Deps,
  actor: Actor,
  accountId: string,
  input: NewUser & { role: Role; invite?: boolean | undefined },
): Promise<CreatedUser> {
  const account = await accountFor(deps, actor, accountId, "admin");
  const { invite, ...fields } = input;
  if (invite === true) {
    if (deps.config.smtpUrl === null)
      throw fieldError(
        409,
        "invite",
        "email_off",
        "Email is off on this server (SMTP_URL is not set); set a password instead.",
      );
    if (fields.password !== undefined)
      throw fieldError(
        400,
        "password",
        "not_with_invite",
        "An invited user chooses their own password; leave it out.",
      );
  }
  const now = deps.now();
  const created = await deps.db.kysely.transaction().execute(async (trx) => {
    const made = await insertNewUser(trx, accountId, { ...fields, invited: invite === true }, now);
    // The invitation and its single-use link are written with the user: both or neither.
    if (invite === true)
      await queuePasswordLink(trx, { publicUrl: deps.config.publicUrl, now }, made.user, {
        purpose: "invitation",
        accountName: account.name,
        inviterName: actor.user.displayName,
        role: made.user.role,
      });
    return made;
  });
  if (invite === true) deps.outbox.wake();
  // A pick-agent portal lists its agents, offline ones too.
  if (created.user.portalIds.length > 0) await deps.events.emit({ type: "portals.changed", accountId });
  return created;
}

/** The signed-in person's own language (their emails, and the console's choice kept across devices). */
export async function setOwnLanguage(deps: Deps, actor: Actor, language: Language): Promise<User> {
  const current = await findUserById(deps.db.kysely, actor.user.id);
  if (!current) throw notFound("User");
  const next = { ...current, language };
  await updateUserRow(deps.db.kysely, next);
  await deps.events.emit({ type: "user.changed", userId: actor.user.id });
  return publicUser(next);
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
  language?: Language;
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
      language: patch.language ?? current.language,
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
  await deps.events.emit(
    { type: "user.changed", userId },
    ...(patch.disabled === true ? [{ type: "user.signedOut" as const, userId }] : []),
  );
  // A changed limit, portal list or disabled flag changes what this agent can take.
  if (patch.maxSessions !== undefined || patch.portalIds !== undefined || patch.disabled !== undefined) {
    await deps.events.emit({
      type: "agent.capacityChanged",
      accountId,
      agentId: updated.id,
      portalIds: updated.portalIds,
    });
  } else {
    // Name and picture show on pick-agent portals.
    await deps.events.emit({ type: "portals.changed", accountId });
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
  await deps.events.emit({ type: "user.signedOut", userId });
  return { generatedPassword: generated };
}
