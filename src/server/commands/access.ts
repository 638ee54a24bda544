import type { Account } from "../../shared/api.js";
import type { Principal } from "../../shared/model.js";
import { notFound } from "../domain/errors.js";
import { assertAccountAccess, assertOperator, maySeeSession, partyAccount } from "../policy.js";
import { findAccount } from "../store/accounts.js";
import { findPublicPortalBySlug, type PublicPortal } from "../store/portals.js";
import { findRequestForCustomer, type RequestRecord } from "../store/requests.js";
import { findSession, type SessionRecord } from "../store/sessions.js";
import { hashToken } from "./auth.js";
import type { Actor, Deps, Party } from "./context.js";

/**
 * The lookups several commands start with, each answering with the policy's verdict: the thing,
 * or the same 404 whether it does not exist or is not this person's to see.
 */

/** The account an actor may act in with at least role `min` (policy: assertAccountAccess). */
export async function accountFor(
  deps: Deps,
  actor: Actor,
  accountId: string,
  min: Principal,
): Promise<Account> {
  assertAccountAccess(actor.user, accountId, min);
  const account = await findAccount(deps.db.kysely, accountId);
  if (!account) throw notFound("Account");
  return account;
}

export function requireOperator(actor: Actor): void {
  assertOperator(actor.user);
}

/** The session, if this party belongs in it: its agent, or the customer whose request it is. */
export async function sessionFor(deps: Deps, party: Party, sessionId: string): Promise<SessionRecord> {
  const session = await findSession(deps.db.kysely, partyAccount(party), sessionId);
  if (!session || !maySeeSession(party, session)) throw notFound("Session");
  return session;
}

/** A portal customers may use right now, or a 404 that says nothing about why. */
export async function openPortal(deps: Deps, slug: string): Promise<PublicPortal> {
  const portal = await findPublicPortalBySlug(deps.db.kysely, slug);
  if (!portal?.enabled) throw notFound("Portal");
  return portal;
}

export async function accountOfPortal(deps: Deps, portal: PublicPortal): Promise<Account> {
  const account = await findAccount(deps.db.kysely, portal.accountId);
  if (!account) throw notFound("Portal");
  return account;
}

/** The customer's own request, proven by the token in their browser; anything else is a 404. */
export async function requestForCustomer(
  deps: Deps,
  requestId: string,
  token: string | undefined,
): Promise<RequestRecord> {
  if (!token) throw notFound("Request");
  const request = await findRequestForCustomer(deps.db.kysely, requestId);
  if (!request || request.customerTokenHash !== hashToken(token)) throw notFound("Request");
  return request;
}

/** The customer of a request as a party of its session. */
export function customerParty(request: RequestRecord): Party {
  return {
    kind: "customer",
    accountId: request.accountId,
    requestId: request.id,
    name: request.customerName || "Customer",
  };
}
