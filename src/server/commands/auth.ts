import { createHash, randomBytes } from "node:crypto";
import { DomainError } from "../domain/errors.js";
import { hashPassword, verifyPassword } from "../domain/passwords.js";
import { deleteAuthSession, findAuthSession, insertAuthSession } from "../store/authSessions.js";
import {
  clearLoginFailures,
  findUserByEmail,
  findUserById,
  recordLoginFailure,
  type UserRow,
} from "../store/users.js";
import type { Actor, Deps } from "./context.js";

export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MS = 15 * 60_000;
export const AUTH_SESSION_MS = 12 * 60 * 60_000;

const wrongCredentials = () => new DomainError(401, "wrong_credentials", "Email or password is wrong.");

// Verified against when the email is unknown, so both answers take the same time.
let dummyHash: Promise<string> | null = null;

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

function lockedOut(until: number, now: number): DomainError {
  const minutes = Math.max(1, Math.ceil((until - now) / 60_000));
  return new DomainError(
    429,
    "locked",
    `Too many failed sign-ins for this account. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
    {},
    Math.ceil((until - now) / 1000),
  );
}

export interface LoginResult {
  token: string;
  user: UserRow;
  expiresAt: number;
}

/** Checks the password, counts failures and locks the user out after MAX_FAILED_LOGINS in a row. */
export async function login(deps: Deps, email: string, password: string): Promise<LoginResult> {
  const db = deps.db.kysely;
  const now = deps.now();
  const user = await findUserByEmail(db, email.trim());
  if (!user) {
    dummyHash ??= hashPassword("not-a-real-password");
    await verifyPassword(await dummyHash, password);
    throw wrongCredentials();
  }
  if (user.lockedUntil !== null && user.lockedUntil > now) throw lockedOut(user.lockedUntil, now);
  if (!(await verifyPassword(user.passwordHash, password))) {
    const failures = (user.lockedUntil !== null ? 0 : user.failedLogins) + 1;
    const lockedUntil = failures >= MAX_FAILED_LOGINS ? now + LOCKOUT_MS : null;
    await recordLoginFailure(db, user.id, lockedUntil ? 0 : failures, lockedUntil);
    if (lockedUntil) {
      deps.log.warn({ userId: user.id }, "sign-in locked after repeated failures");
      throw lockedOut(lockedUntil, now);
    }
    throw wrongCredentials();
  }
  if (user.disabled)
    throw new DomainError(403, "disabled", "This user is disabled. Ask an admin of your account.");
  if (user.failedLogins > 0 || user.lockedUntil !== null) await clearLoginFailures(db, user.id);
  const token = randomBytes(32).toString("base64url");
  const expiresAt = now + AUTH_SESSION_MS;
  await insertAuthSession(db, hashToken(token), user.id, now, expiresAt);
  return { token, user, expiresAt };
}

export async function logout(deps: Deps, token: string): Promise<void> {
  await deleteAuthSession(deps.db.kysely, hashToken(token));
}

/** The actor behind a session cookie, or null when it is unknown, expired, or the user is disabled. */
export async function actorForToken(deps: Deps, token: string): Promise<Actor | null> {
  const session = await findAuthSession(deps.db.kysely, hashToken(token), deps.now());
  if (!session) return null;
  const user = await findUserById(deps.db.kysely, session.userId);
  if (!user || user.disabled) return null;
  return { user };
}
