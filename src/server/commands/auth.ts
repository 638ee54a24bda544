import { createHash, randomBytes } from "node:crypto";
import { DomainError } from "../domain/errors.js";
import { hashPassword, verifyPassword } from "../domain/passwords.js";
import { deleteAuthSession, findAuthSession, insertAuthSession } from "../store/authSessions.js";
import { clearLoginAttempts, countLoginAttempt, recentLoginFailures } from "../store/loginFailures.js";
import { findUserByEmail, findUserById, type UserRow } from "../store/users.js";
import type { Actor, Deps } from "./context.js";

/** Wrong passwords in a row from one address before that address is locked out for that user. */
export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MS = 15 * 60_000;
/**
 * Failures against one user from all addresses together within LOCKOUT_MS (each address counts
 * at most MAX_FAILED_LOGINS) that lock the user out everywhere, until they age out: only a
 * guessing attack spread over at least 20 addresses reaches it; one address locks out only itself.
 */
export const MAX_FAILED_LOGINS_PER_USER = 100;
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

/**
 * Checks the password. Failures are counted per user *and* client address: after
 * MAX_FAILED_LOGINS wrong passwords in a row from one address, that address is locked out for
 * that user for LOCKOUT_MS, while the right password from any other address still signs in (an
 * outsider who knows an email cannot lock its owner out). Each attempt is counted in one atomic
 * write before the password is verified, so concurrent attempts cannot outrun the count.
 */
export async function login(
  deps: Deps,
  email: string,
  password: string,
  address: string,
): Promise<LoginResult> {
  const db = deps.db.kysely;
  const now = deps.now();
  const user = await findUserByEmail(db, email.trim());
  if (!user) {
    dummyHash ??= hashPassword("not-a-real-password");
    await verifyPassword(await dummyHash, password);
    throw wrongCredentials();
  }
  const attempt = await countLoginAttempt(db, user.id, address, now, MAX_FAILED_LOGINS, LOCKOUT_MS);
  if (attempt.failures > MAX_FAILED_LOGINS) throw lockedOut(attempt.lockedUntil ?? now + LOCKOUT_MS, now);
  // The failures before this attempt, from every address (this one added exactly one).
  const before = (await recentLoginFailures(db, user.id, now - LOCKOUT_MS, MAX_FAILED_LOGINS)) - 1;
  // The many-address lock spares an address with no failures of its own (this attempt is its
  // first): the owner's right password from a clean address still signs in, and a guesser gets one
  // try per fresh address instead of five.
  if (before >= MAX_FAILED_LOGINS_PER_USER && attempt.failures > 1) {
    deps.log.warn({ userId: user.id, failures: before }, "sign-in locked: failures from many addresses");
    throw lockedOut(now + LOCKOUT_MS, now);
  }
  if (!(await verifyPassword(user.passwordHash, password))) {
    if (attempt.lockedUntil !== null) {
      deps.log.warn({ userId: user.id }, "sign-in locked for one address after repeated failures");
      throw lockedOut(attempt.lockedUntil, now);
    }
    throw wrongCredentials();
  }
  await clearLoginAttempts(db, user.id, address);
  if (user.disabled)
    throw new DomainError(403, "disabled", "This user is disabled. Ask an admin of your account.");
  const token = randomBytes(32).toString("base64url");
  const expiresAt = now + AUTH_SESSION_MS;
  await insertAuthSession(db, hashToken(token), user.id, now, expiresAt);
  return { token, user, expiresAt };
}

export async function logout(deps: Deps, token: string): Promise<void> {
  const authSession = hashToken(token);
  const userId = await deleteAuthSession(deps.db.kysely, authSession);
  if (userId) await deps.events.emit({ type: "user.signedOut", userId, authSession });
}

/**
 * The actor behind a sign-in's stored token hash, and until when the sign-in holds; null when it
 * is unknown, expired, or the user is disabled. (Each node caches the answer: http/signInCache.ts.)
 */
export async function actorForSignIn(
  deps: Deps,
  authSession: string,
): Promise<{ actor: Actor; expiresAt: number } | null> {
  const session = await findAuthSession(deps.db.kysely, authSession, deps.now());
  if (!session) return null;
  const user = await findUserById(deps.db.kysely, session.userId);
  if (!user || user.disabled) return null;
  return { actor: { user }, expiresAt: session.expiresAt };
}
