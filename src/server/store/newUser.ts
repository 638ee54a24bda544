import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { User } from "../../shared/api.js";
import type { Language, Principal } from "../../shared/model.js";
import { isUniqueViolation } from "../db/database.js";
import type { Database } from "../db/schema.js";
import { fieldError } from "../domain/errors.js";
import { assertPasswordRules, generatePassword, hashPassword } from "../domain/passwords.js";
import { countPortalIdsInAccount } from "./portals.js";
import { findUserByEmail, insertUser, publicUser, setUserPortals, type UserRow } from "./users.js";

/**
 * Inserting a user of any principal, the one way: the API (createUser), a new account's first
 * admin, the CLI and first start all call it inside their own transaction.
 */

export interface NewUser {
  email: string;
  displayName: string;
  role: Principal;
  password?: string;
  avatarUrl?: string | null;
  maxSessions?: number;
  portalIds?: string[];
  language?: Language;
  /** Invited by email: no usable password until they set one with the link. */
  invited?: boolean;
}

export interface CreatedUser {
  user: User;
  /** Set when the password was generated: shown once to whoever created the user. */
  generatedPassword: string | null;
}

export const DEFAULT_MAX_SESSIONS = 3;

export const duplicateEmail = (email: string) =>
  fieldError(409, "email", "duplicate", `A user with the email ${email} already exists.`, { email });

export async function assertPortalsInAccount(
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
  // An invited user gets a random password nobody knows until they set their own with the link.
  const generated = input.password === undefined && input.invited !== true ? generatePassword() : null;
  const password = input.password ?? generated ?? generatePassword();
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
    language: input.language ?? "en",
    invited: input.invited === true,
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
