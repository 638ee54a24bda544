import type { Account } from "../../shared/api.js";
import type { Principal } from "../../shared/model.js";
import type { SessionRole } from "../../shared/protocol.js";
import { notFound } from "../domain/errors.js";
import { assertAccountAccess, assertOperator, partyAccount, sessionRoleOf } from "../policy.js";
import { findAccount } from "../store/accounts.js";
import { findPublicPortalBySlug, type PublicPortal } from "../store/portals.js";
import { findRequestForCustomer, type RequestRecord } from "../store/requests.js";
import { findSession, type SessionRecord } from "../store/sessions.js";
import { liveMembership, type MemberRecord } from "../store/team.js";
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

/** A session as one party reaches it: the session, their part in it, their membership (if not the owner). */
export interface SessionAccess {
  session: SessionRecord;
  role: SessionRole | "customer";
  membership: MemberRecord | null;
}

/**
 * The session, if this party belongs in it — its owner, a colleague in it, a supervisor watching
 * it, or the customer whose request it is — with their part (policy: sessionRoleOf); else 404.
 */
export async function sessionAccess(deps: Deps, party: Party, sessionId: string): Promise<SessionAccess> {
  const session = await findSession(deps.db.kysely, partyAccount(party), sessionId);
  if (!session) throw notFound("Session");
  if (party.kind === "customer") {
    if (session.requestId !== party.requestId) throw notFound("Session");
    return { session, role: "customer", membership: null };
  }
  const user = party.actor.user;
  // The owner needs no second read (the hot path: the owner's chat messages).
  const membership =
    session.agentId === user.id ? null : await liveMembership(deps.db.kysely, sessionId, user.id);
  const role = sessionRoleOf(user, session, membership);
  if (!role) throw notFound("Session");
  return { session, role, membership };
}

/** The session, if this party belongs in it (see sessionAccess). */
export async function sessionFor(deps: Deps, party: Party, sessionId: string): Promise<SessionRecord> {
  return (await sessionAccess(deps, party, sessionId)).session;
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
