import { createHash, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../db/schema.js";
import { renderEmail } from "../domain/email.js";
import { enqueue } from "../store/outbox.js";
import { insertPasswordToken, type PasswordTokenPurpose } from "../store/passwordTokens.js";
import { asLanguage, emailRow } from "./emails.js";

/** An invitation's link holds 24 hours, a reset's 30 minutes; each works once. */
export const LINK_LIFETIME_MS: Record<PasswordTokenPurpose, number> = {
  invitation: 24 * 60 * 60_000,
  reset: 30 * 60_000,
};

export function hashLinkToken(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

/**
 * A single-use set-password link for `user`, and its email, written in one transaction: the
 * token is stored hashed, the email (with the only copy of the token) goes to the outbox.
 */
export async function queuePasswordLink(
  trx: Kysely<Database>,
  settings: { publicUrl: string; now: number },
  user: { id: string; accountId: string | null; email: string; language: string },
  link:
    | { purpose: "invitation"; accountName: string; inviterName: string; role: string }
    | { purpose: "reset" },
): Promise<void> {
  const token = randomBytes(32).toString("base64url");
  await insertPasswordToken(trx, {
    tokenHash: hashLinkToken(token),
    userId: user.id,
    purpose: link.purpose,
    createdAt: settings.now,
    expiresAt: settings.now + LINK_LIFETIME_MS[link.purpose],
  });
  const url = `${settings.publicUrl}/password?token=${token}`;
  const language = asLanguage(user.language);
  const email =
    link.purpose === "invitation"
      ? renderEmail(
          {
            kind: "invitation",
            accountName: link.accountName,
            inviterName: link.inviterName,
            link: url,
            role: link.role,
          },
          [user.email],
          language,
        )
      : renderEmail({ kind: "password-reset", link: url }, [user.email], language);
  await enqueue(trx, [emailRow(user.accountId, email)], settings.now);
}
