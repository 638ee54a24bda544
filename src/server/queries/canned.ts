import { type CannedResponse, orderForLanguage } from "../../shared/canned.js";
import { sessionAccess } from "../commands/access.js";
import type { Actor, Deps } from "../commands/context.js";
import { notFound } from "../domain/errors.js";
import { assertMayReadAccountCanned, consoleAccount } from "../policy.js";
import { findAccount } from "../store/accounts.js";
import { listCanned, listUsableCanned, toCannedResponse } from "../store/canned.js";
import { findRequestLanguage } from "../store/requests.js";

/** The account's canned responses, as /admin lists them (by title). */
export async function accountCanned(deps: Deps, actor: Actor, accountId: string): Promise<CannedResponse[]> {
  assertMayReadAccountCanned(actor.user, accountId);
  if (!(await findAccount(deps.db.kysely, accountId))) throw notFound("Account");
  return (await listCanned(deps.db.kysely, accountId, null)).map(toCannedResponse);
}

/**
 * What an agent may use in the chat box: the account's responses and their own, each marked with
 * its scope. For a session (one the agent is in, else 404), those in the customer's language come
 * first, then those for any language, then the rest; without one, by title.
 */
export async function usableCanned(
  deps: Deps,
  actor: Actor,
  sessionId: string | undefined,
): Promise<CannedResponse[]> {
  const accountId = consoleAccount(actor.user);
  let language: string | null = null;
  if (sessionId !== undefined) {
    const { session } = await sessionAccess(deps, { kind: "agent", actor }, sessionId);
    language = await findRequestLanguage(deps.db.kysely, accountId, session.requestId);
  }
  const rows = await listUsableCanned(deps.db.kysely, accountId, actor.user.id);
  return orderForLanguage(rows.map(toCannedResponse), language);
}
