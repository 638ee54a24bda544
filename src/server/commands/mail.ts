import { EMAIL_PATTERN, LIMITS } from "../../shared/model.js";
import { DomainError, fieldError } from "../domain/errors.js";
import { asLanguage, emailRow, sessionCodeEmail, transcriptEmail } from "../outbox/emails.js";
import { assertSide, consoleAccount } from "../policy.js";
import { toCodeView } from "../queries/codes.js";
import { transcriptOf } from "../queries/sessions.js";
import { listLiveCodes } from "../store/codes.js";
import { countByRef, enqueue } from "../store/outbox.js";
import { lockRequest } from "../store/requests.js";
import { findSession } from "../store/sessions.js";
import { requestForCustomer, sessionAccess } from "./access.js";
import type { Actor, Deps } from "./context.js";

/** What agents and customers send by email themselves: a session code, a transcript. */

/** A customer may have the transcript of one request emailed this many times. */
export const TRANSCRIPT_EMAILS_PER_REQUEST = 3;

const emailOff = () =>
  new DomainError(
    409,
    "email_off",
    "Email is off on this server (SMTP_URL is not set), so nothing can be sent by email.",
  );

const pattern = new RegExp(EMAIL_PATTERN);

function checkAddress(raw: string): string {
  const email = raw.trim();
  if (email === "") throw fieldError(400, "email", "required", "Enter an email address.");
  if (email.length > LIMITS.email || !pattern.test(email))
    throw fieldError(400, "email", "invalid_email", "Enter an email address such as name@example.com.");
  return email;
}

/** The agent emails one of their live codes (with its join link) to the customer they talk to. */
export async function emailCode(
  deps: Deps,
  actor: Actor,
  codeId: string,
  input: { email: string; name?: string | undefined; language?: string | undefined },
): Promise<{ to: string }> {
  const accountId = consoleAccount(actor.user);
  const to = checkAddress(input.email);
  if (deps.config.smtpUrl === null) throw emailOff();
  const now = deps.now();
  const code = (await listLiveCodes(deps.db.kysely, accountId, actor.user.id, now)).find(
    (c) => c.id === codeId,
  );
  if (!code)
    throw new DomainError(
      409,
      "code_expired",
      "This code is no longer valid (it expired, was used or canceled); create a new one.",
    );
  const view = toCodeView(deps, code);
  const email = sessionCodeEmail(
    view,
    actor.user.displayName,
    to,
    asLanguage(input.language, actor.user.language),
    now,
    input.name?.trim() || code.name,
  );
  await enqueue(deps.db.kysely, [emailRow(accountId, email)], now);
  deps.outbox.wake();
  return { to };
}

/** The agent emails themselves the transcript of a session they are in (with the private notes, marked). */
export async function emailTranscriptToAgent(
  deps: Deps,
  actor: Actor,
  sessionId: string,
): Promise<{ to: string }> {
  if (deps.config.smtpUrl === null) throw emailOff();
  const { session } = await sessionAccess(deps, { kind: "agent", actor }, sessionId);
  const t = await transcriptOf(deps, session, "agents");
  const email = transcriptEmail(t, actor.user.email, actor.user.language);
  await enqueue(deps.db.kysely, [emailRow(session.accountId, email)], deps.now());
  deps.outbox.wake();
  return { to: actor.user.email };
}

/**
 * The customer has the transcript of their ended session emailed (never the agents' notes), at
 * most TRANSCRIPT_EMAILS_PER_REQUEST times per request.
 */
export async function emailTranscriptToCustomer(
  deps: Deps,
  input: { requestId: string; token: string | undefined; email: string },
): Promise<{ to: string }> {
  const request = await requestForCustomer(deps, input.requestId, input.token);
  const party = {
    kind: "customer" as const,
    accountId: request.accountId,
    requestId: request.id,
    name: request.customerName,
  };
  assertSide(party, "customer", "Only the customer asks for their transcript here.");
  const to = checkAddress(input.email);
  if (deps.config.smtpUrl === null) throw emailOff();
  const session = await findSession(deps.db.kysely, request.accountId, request.id);
  if (!session)
    throw new DomainError(
      409,
      "no_session",
      "There was no conversation to send: no agent took this request.",
    );
  if (session.endedAt === null)
    throw new DomainError(409, "session_open", "The transcript can be emailed when the session has ended.");
  const t = await transcriptOf(deps, session, "customer");
  const email = transcriptEmail(t, to, asLanguage(request.language));
  const now = deps.now();
  const queued = await deps.db.kysely.transaction().execute(async (trx) => {
    // One at a time per request, so concurrent asks cannot all pass the count.
    await lockRequest(trx, request.accountId, request.id);
    if ((await countByRef(trx, request.id, "transcript")) >= TRANSCRIPT_EMAILS_PER_REQUEST) return false;
    await enqueue(trx, [{ ...emailRow(request.accountId, email), ref: request.id }], now);
    return true;
  });
  if (!queued)
    throw new DomainError(
      429,
      "too_many",
      `The transcript of this session was emailed ${TRANSCRIPT_EMAILS_PER_REQUEST} times already; download it instead.`,
    ).withParams({ limit: TRANSCRIPT_EMAILS_PER_REQUEST });
  deps.outbox.wake();
  return { to };
}
