import type { Kysely } from "kysely";
import { LANGUAGES, type Language } from "../../shared/model.js";
import type { Database } from "../db/schema.js";
import { type RenderedEmail, renderEmail } from "../domain/email.js";
import type { NewOutboxRow } from "../store/outbox.js";

/** An email as an outbox row: the rendered message is the payload, so what goes out is what was queued. */
export function emailRow(accountId: string | null, email: RenderedEmail): NewOutboxRow {
  return {
    accountId,
    kind: "email",
    webhookId: null,
    eventType: email.kind,
    recipient: email.to.join(", "),
    payload: JSON.stringify(email),
  };
}

export function asLanguage(raw: string | null | undefined, fallback: Language = "en"): Language {
  const short = (raw ?? "").slice(0, 2).toLowerCase();
  return (LANGUAGES as readonly string[]).includes(short) ? (short as Language) : fallback;
}

/**
 * The language of each staff address: a user of the account with that address gets their own
 * language, anyone else the portal's.
 */
export async function languagesOf(
  trx: Kysely<Database>,
  accountId: string,
  addresses: readonly string[],
  fallback: Language,
): Promise<Map<string, Language>> {
  const out = new Map<string, Language>();
  if (addresses.length === 0) return out;
  const users = await trx
    .selectFrom("users")
    .select(["email", "language"])
    .where("account_id", "=", accountId)
    .where("email", "in", [...addresses])
    .execute();
  const known = new Map(users.map((u) => [u.email.toLowerCase(), asLanguage(u.language, fallback)]));
  for (const a of addresses) out.set(a, known.get(a.toLowerCase()) ?? fallback);
  return out;
}

/** The customer-facing email of a session code: the join link and the code, valid as long as the code. */
export function sessionCodeEmail(
  code: { code: string; joinUrl: string; expiresAt: number },
  agentName: string,
  to: string,
  language: Language,
  now: number,
  customerName = "",
): RenderedEmail {
  return renderEmail(
    {
      kind: "session-code",
      agentName,
      code: code.code,
      joinUrl: code.joinUrl,
      validMinutes: (code.expiresAt - now) / 60_000,
      ...(customerName.trim() ? { customerName: customerName.trim() } : {}),
    },
    [to],
    language,
  );
}

/** A transcript as an email: the lines of one audience (notes only ever in the agents'). */
export function transcriptEmail(
  t: {
    request: { sessionNumber: string; portalName: string };
    session: { agentName: string; startedAt: number };
    messages: { at: number; sender: string; authorName: string; body: string }[];
  },
  to: string,
  language: Language,
): RenderedEmail {
  return renderEmail(
    {
      kind: "transcript",
      portalName: t.request.portalName,
      agentName: t.session.agentName,
      sessionNumber: t.request.sessionNumber,
      startedAt: t.session.startedAt,
      lines: t.messages.map((m) => ({
        at: m.at,
        who: m.sender === "system" ? "—" : m.authorName || m.sender,
        text: m.body,
        note: m.sender === "note",
      })),
    },
    [to],
    language,
  );
}
