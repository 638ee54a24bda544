import { LIMITS } from "../../shared/model.js";
import type { Outcome, SessionSummary } from "../../shared/protocol.js";
import { DomainError, fieldError, notFound } from "../domain/errors.js";
import { assertOwner, assertSide } from "../policy.js";
import { summaryOf } from "../queries/sessions.js";
import { findRequest } from "../store/requests.js";
import { setOutcome, setSurvey } from "../store/sessions.js";
import { sessionAccess, sessionFor } from "./access.js";
import type { Deps, Party } from "./context.js";

/** After a session: the agent's end-of-session form and the customer's survey. */

export interface EndForm {
  outcome: Outcome;
  notes?: string | undefined;
  ticket?: string | undefined;
}

/** The agent's end-of-session form: outcome, notes, optional ticket number. */
export async function recordOutcome(
  deps: Deps,
  party: Party,
  sessionId: string,
  form: EndForm,
): Promise<SessionSummary> {
  assertSide(party, "agent", "Only the agent records the outcome.");
  const { session, role } = await sessionAccess(deps, party, sessionId);
  assertOwner(role, "record its outcome");
  if (session.endedAt === null)
    throw new DomainError(409, "session_open", "End the session first, then record its outcome.");
  const recorded = await deps.db.kysely.transaction().execute(async (trx) => {
    await setOutcome(trx, session.accountId, sessionId, {
      outcome: form.outcome,
      notes: form.notes?.trim() || null,
      ticket: form.ticket?.trim() || null,
    });
    const event = {
      type: "session.outcome" as const,
      session,
      request: await findRequest(trx, session.accountId, session.requestId),
    };
    await deps.events.stage(trx, event);
    return event;
  });
  await deps.events.emit(recorded);
  const summary = await summaryOf(deps, session.accountId, sessionId);
  if (!summary) throw notFound("Session");
  return summary;
}

/** The customer's optional survey after the session: a 1–5 rating and a comment. Once. */
export async function answerSurvey(
  deps: Deps,
  party: Party,
  sessionId: string,
  rating: number,
  comment: string | undefined,
): Promise<void> {
  assertSide(party, "customer", "The survey is the customer's.");
  if (!Number.isInteger(rating) || rating < 1 || rating > 5) {
    throw fieldError(400, "rating", "invalid", "Choose a rating from 1 to 5.");
  }
  if (comment !== undefined && comment.length > LIMITS.surveyComment) {
    throw fieldError(400, "comment", "too_long", `At most ${LIMITS.surveyComment} characters.`, {
      limit: LIMITS.surveyComment,
    });
  }
  const session = await sessionFor(deps, party, sessionId);
  if (session.endedAt === null)
    throw new DomainError(409, "session_open", "The survey opens when the session has ended.");
  const text = comment?.trim() || null;
  const rated = await deps.db.kysely.transaction().execute(async (trx) => {
    if (!(await setSurvey(trx, session.accountId, sessionId, rating, text)))
      throw new DomainError(409, "already_answered", "Thank you — you have already answered.");
    const event = { type: "session.rated" as const, session, rating, comment: text };
    await deps.events.stage(trx, event);
    return event;
  });
  await deps.events.emit(rated);
}
