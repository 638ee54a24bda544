import { randomBytes } from "node:crypto";
import { EMAIL_PATTERN, LIMITS } from "../../shared/model.js";
import { DomainError, fieldError } from "../domain/errors.js";
import { assertPasswordRules, hashPassword } from "../domain/passwords.js";
import { hashLinkToken, queuePasswordLink } from "../outbox/passwordMail.js";
import { deleteAuthSessionsOfUser, insertAuthSession } from "../store/authSessions.js";
import {
  consumePasswordToken,
  countRecentPasswordTokens,
  findUsablePasswordToken,
  retirePasswordTokens,
} from "../store/passwordTokens.js";
import {
  findUser,
  findUserByEmail,
  findUserById,
  lockUser,
  setPasswordHash,
  type UserRow,
} from "../store/users.js";
import { accountFor } from "./access.js";
import { AUTH_SESSION_MS, hashToken } from "./auth.js";
import type { Actor, Deps } from "./context.js";

/** Set-password links by email: forgotten passwords, invitations and their resending. */

/** At most this many reset links per user per hour; more requests get the same answer and no email. */
const RESETS_PER_HOUR = 3;

export const emailOff = () =>
  new DomainError(
    409,
    "email_off",
    "Email is off on this server (SMTP_URL is not set), so nothing can be sent by email.",
  );

/**
 * "Forgot password?": a reset link (30 min, once) to the address if it belongs to an enabled user.
 * The caller answers the same whether or not it does; nothing here says which.
 */
export async function forgotPassword(deps: Deps, email: string): Promise<void> {
  if (deps.config.smtpUrl === null) throw emailOff();
  const address = email.trim().toLowerCase();
  if (address === "") throw fieldError(400, "email", "required", "Enter the email address you sign in with.");
  if (address.length > LIMITS.email || !new RegExp(EMAIL_PATTERN).test(address))
    throw fieldError(400, "email", "invalid_email", "Enter an email address such as name@example.com.");
  const db = deps.db.kysely;
  const user = await findUserByEmail(db, address);
  if (!user || user.disabled) return;
  // The link is made after the answer, so a known address takes no longer to answer than an
  // unknown one (the timing would tell which addresses have accounts).
  void queueReset(deps, user).catch((err: unknown) =>
    deps.log.error({ err, userId: user.id }, "password reset: queueing the link failed"),
  );
}

async function queueReset(deps: Deps, user: UserRow): Promise<void> {
  const now = deps.now();
  const queued = await deps.db.kysely.transaction().execute(async (trx) => {
    // One at a time per user, so concurrent requests cannot all pass the count.
    await lockUser(trx, user.id);
    if ((await countRecentPasswordTokens(trx, user.id, "reset", now - 60 * 60_000)) >= RESETS_PER_HOUR) {
      deps.log.warn({ userId: user.id }, "password reset: limit of links per hour reached; no email sent");
      return false;
    }
    await queuePasswordLink(trx, { publicUrl: deps.config.publicUrl, now }, user, { purpose: "reset" });
    return true;
  });
  if (queued) deps.outbox.wake();
}

/** Whether a link can be used now, and whose it is (the page greets them); null when it cannot. */
export async function passwordLink(
  deps: Deps,
  token: string,
): Promise<{ purpose: "invitation" | "reset"; email: string; displayName: string } | null> {
  if (token === "" || token.length > 200) return null;
  const found = await findUsablePasswordToken(deps.db.kysely, hashLinkToken(token), deps.now());
  if (!found) return null;
  const user = await findUserById(deps.db.kysely, found.userId);
  if (!user || user.disabled) return null;
  return { purpose: found.purpose, email: user.email, displayName: user.displayName };
}

const linkInvalid = () =>
  new DomainError(
    400,
    "token_invalid",
    "This link is no longer valid: it was used already or has expired. Ask for a new one.",
  );

/**
 * Sets a password with a link: the link is used up in the same transaction, every other sign-in
 * of the user ends, and the person is signed in here.
 */
export async function setPasswordWithToken(
  deps: Deps,
  input: { token: string; password: string; ip?: string },
): Promise<{ token: string; expiresAt: number; user: UserRow }> {
  assertPasswordRules(input.password);
  const hash = await hashPassword(input.password);
  const now = deps.now();
  const db = deps.db.kysely;
  const signIn = randomBytes(32).toString("base64url");
  const expiresAt = now + AUTH_SESSION_MS;
  const userId = await db.transaction().execute(async (trx) => {
    const used = await consumePasswordToken(trx, hashLinkToken(input.token), now);
    if (!used) throw linkInvalid();
    const user = await findUserById(trx, used.userId);
    if (!user || user.disabled) throw linkInvalid();
    await setPasswordHash(trx, user.id, hash);
    // Every other link of this user stops working, and so does every other sign-in.
    await retirePasswordTokens(trx, user.id, now);
    await deleteAuthSessionsOfUser(trx, user.id);
    await insertAuthSession(trx, hashToken(signIn), user.id, now, expiresAt);
    return user.id;
  });
  await deps.events.emit({ type: "user.signedOut", userId });
  const user = await findUserById(db, userId);
  if (!user) throw linkInvalid();
  return { token: signIn, expiresAt, user };
}

/** An admin sends an invited user a fresh invitation (the earlier links stop working). */
export async function resendInvitation(
  deps: Deps,
  actor: Actor,
  accountId: string,
  userId: string,
): Promise<{ to: string }> {
  const account = await accountFor(deps, actor, accountId, "admin");
  if (deps.config.smtpUrl === null) throw emailOff();
  const db = deps.db.kysely;
  const user = await findUser(db, accountId, userId);
  if (!user) throw new DomainError(404, "not_found", "User not found.");
  if (!user.invited)
    throw new DomainError(
      409,
      "not_invited",
      `${user.displayName} has set a password already; there is nothing to resend.`,
    );
  const now = deps.now();
  await db.transaction().execute(async (trx) => {
    await retirePasswordTokens(trx, user.id, now);
    await queuePasswordLink(trx, { publicUrl: deps.config.publicUrl, now }, user, {
      purpose: "invitation",
      accountName: account.name,
      inviterName: actor.user.displayName,
      role: user.role,
    });
  });
  deps.outbox.wake();
  return { to: user.email };
}
