import type { CustomerDetails } from "../domain/email.js";
import { renderEmail } from "../domain/email.js";
import type { StagedReaction } from "../events/reactions.js";
import { asLanguage, emailRow, languagesOf } from "../outbox/emails.js";
import { enqueue, type NewOutboxRow } from "../store/outbox.js";
import { findPortal } from "../store/portals.js";
import type { RequestRecord } from "../store/requests.js";

/**
 * When a customer leaves an offline message, or a request ends with nobody having answered, the
 * portal's notification addresses get an email (each in its reader's language), queued in the
 * change's transaction. Without SMTP_URL nothing is queued; the admin pages say email is off.
 */
export const notificationsReaction: StagedReaction = {
  name: "notifications",
  on: ["request.offline", "request.closed"],
  async stage(trx, deps, events) {
    if (deps.config.smtpUrl === null) return;
    const rows: NewOutboxRow[] = [];
    for (const e of events) {
      if (e.type !== "request.offline" && !(e.type === "request.closed" && e.reason === "no-response"))
        continue;
      const r: RequestRecord = e.request;
      const portal = await findPortal(trx, r.accountId, r.portalId, { includeDeleted: true });
      if (!portal || portal.notifyEmails.length === 0) continue;
      const details: CustomerDetails = {
        portalName: portal.name,
        sessionNumber: r.sessionNumber,
        customerName: r.customerName,
        customerEmail: r.customerEmail,
        contact: r.contact,
        question: r.question,
        at: r.createdAt,
        consoleUrl: `${deps.config.publicUrl}/console`,
      };
      const languages = await languagesOf(trx, r.accountId, portal.notifyEmails, asLanguage(portal.language));
      for (const address of portal.notifyEmails) {
        const language = languages.get(address) ?? "en";
        const email =
          e.type === "request.offline"
            ? renderEmail(
                { kind: "offline-message", request: details },
                [address],
                language,
                r.customerEmail || undefined,
              )
            : renderEmail(
                {
                  kind: "unanswered-request",
                  request: details,
                  waitedSeconds: Math.max(0, (r.stateAt - r.createdAt) / 1000),
                },
                [address],
                language,
              );
        rows.push(emailRow(r.accountId, email));
      }
    }
    await enqueue(trx, rows, deps.now());
  },
};
