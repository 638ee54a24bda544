import type { Principal } from "../shared/model.js";
import type { RequestView, SessionRole } from "../shared/protocol.js";
import type { Actor, Party } from "./commands/context.js";
import { DomainError, notFound } from "./domain/errors.js";

/**
 * Who may do what — the one place routes, commands and socket handlers ask. Pure functions of the
 * person and the thing, no I/O: the callers load what a rule needs and ask here. A refusal is a
 * DomainError (a 403, or a 404 where saying "forbidden" would tell that the thing exists).
 * Unit tests: test/unit/policy.test.ts, one block per rule.
 */

const RANK: Record<Principal, number> = { agent: 1, manager: 2, admin: 3, operator: 4 };

type Person = Actor["user"];

/** At least role `min` (operator > admin > manager > agent). */
export function hasRole(user: Pick<Person, "role">, min: Principal): boolean {
  return RANK[user.role] >= RANK[min];
}

/**
 * Acting in an account with at least role `min`: operators in any account, everyone else in their
 * own. Another account's id answers 404, exactly like one that does not exist, so nothing about
 * other tenants leaks; the right account with too small a role answers 403.
 */
export function assertAccountAccess(
  user: Pick<Person, "role" | "accountId">,
  accountId: string,
  min: Principal,
): void {
  if (user.role !== "operator" && user.accountId !== accountId) throw notFound("Account");
  if (!hasRole(user, min)) {
    throw new DomainError(
      403,
      "forbidden",
      `This needs the ${min} role; you are signed in as ${user.role}.`,
    ).withParams({ role: min });
  }
}

/** Which accounts a person may list: operators every one, everyone else their own (or none). */
export function visibleAccounts(user: Pick<Person, "role" | "accountId">): "all" | string | null {
  if (user.role === "operator") return "all";
  return user.accountId;
}

/** Installation-wide actions (accounts): operators only. */
export function assertOperator(user: Pick<Person, "role">): void {
  if (user.role !== "operator") {
    throw new DomainError(403, "forbidden", "Only an operator of this installation can do this.");
  }
}

/**
 * The console (REST, socket, codes) is for users of an account; operators run the installation and
 * have none. Returns the account the console works in.
 */
export function consoleAccount(user: Pick<Person, "role" | "accountId">): string {
  if (!mayUseConsole(user) || !user.accountId) {
    throw new DomainError(403, "forbidden", "Operators have no console; sign in as a user of an account.");
  }
  return user.accountId;
}

export function mayUseConsole(user: Pick<Person, "role" | "accountId">): boolean {
  return user.role !== "operator" && user.accountId !== null;
}

/** Accepting a waiting request: assigned to its portal, and not one the customer addressed to someone else. */
export function assertCanTake(
  user: Pick<Person, "id" | "portalIds">,
  request: Pick<RequestView, "portalId" | "targetAgentId">,
): void {
  if (!user.portalIds.includes(request.portalId)) {
    throw new DomainError(403, "not_assigned", "You are not assigned to this request's portal.");
  }
  if (request.targetAgentId && request.targetAgentId !== user.id) {
    throw new DomainError(403, "not_target", "The customer chose another agent for this request.");
  }
}

/**
 * The concurrent-session limit (BEHAVIOUR.md §4), for every way into a session an agent chooses:
 * accepting an alert, accepting a queue offer, taking the next customer by hand. (A redeemed code
 * is the customer joining the agent who gave it out, so it is not refused.) Asked inside the
 * transaction that opens the session, after the agent's row is locked, so it is exact.
 */
export function assertBelowLimit(user: Pick<Person, "maxSessions">, openSessions: number): void {
  if (openSessions >= user.maxSessions) {
    const limit = user.maxSessions;
    throw new DomainError(
      409,
      "at_limit",
      `You are at your limit of ${limit} session${limit === 1 ? "" : "s"}; end one first.`,
    ).withParams({ limit });
  }
}

/** Declining: assigned to the portal; a targeted request only by the agent it was addressed to. */
export function assertCanDecline(
  user: Pick<Person, "id" | "portalIds">,
  request: Pick<RequestView, "portalId" | "targetAgentId" | "kind">,
): void {
  if (!user.portalIds.includes(request.portalId)) {
    throw new DomainError(403, "not_assigned", "You are not assigned to this request's portal.");
  }
  if (request.kind === "targeted" && request.targetAgentId !== user.id) {
    throw new DomainError(403, "not_target", "The customer chose another agent for this request.");
  }
}

/** The account a party's session lookups are confined to. */
export function partyAccount(party: Party): string {
  if (party.kind === "customer") return party.accountId;
  if (!party.actor.user.accountId) throw notFound("Session");
  return party.actor.user.accountId;
}

/**
 * An agent's part in a session: its owner, a colleague who joined it, a supervisor watching it —
 * or none (null), and then the session does not exist for them (404). An invitation not yet
 * accepted is no part: the alert shows the conversation, the session opens on accept.
 */
export function sessionRoleOf(
  user: Pick<Person, "id">,
  session: { agentId: string },
  membership: { role: "participant" | "monitor"; state: string } | null,
): SessionRole | null {
  if (session.agentId === user.id) return "owner";
  if (membership?.state === "joined") return membership.role;
  return null;
}

/**
 * A session is seen by its owner, the colleagues in it and the supervisors watching it, and by
 * the customer whose request it is; by nobody else.
 */
export function maySeeSession(
  party: Party,
  session: { agentId: string; requestId: string },
  membership: { role: "participant" | "monitor"; state: string } | null = null,
): boolean {
  if (party.kind === "agent") return sessionRoleOf(party.actor.user, session, membership) !== null;
  return session.requestId === party.requestId;
}

/** What only the session's owner does: transfer, invite, remove, hand over, end, screen share, outcome. */
export function assertOwner(role: SessionRole | "customer", what: string): void {
  if (role !== "owner") {
    throw new DomainError(403, "not_owner", `Only the agent who owns the session can ${what}.`);
  }
}

/** Chatting with the customer: the owner and participants; a supervisor watching writes notes only. */
export function assertMayChat(role: SessionRole | "customer"): void {
  if (role === "monitor") {
    throw new DomainError(
      403,
      "monitor_read_only",
      "You are watching this session: write a private note, or join it to chat.",
    );
  }
}

/** Private notes: every agent of the session (owner, participants, supervisors watching); never the customer. */
export function assertMayNote(role: SessionRole | "customer"): void {
  if (role === "customer") throw notFound("Session");
}

/** Supervising (the supervisor view, monitor, join, take over): managers and admins of the account. */
export function maySupervise(user: Pick<Person, "role" | "accountId">): boolean {
  return mayUseConsole(user) && hasRole(user, "manager");
}

export function assertSupervisor(user: Pick<Person, "role" | "accountId">): void {
  if (!maySupervise(user)) {
    throw new DomainError(403, "forbidden", "Only managers and admins supervise sessions.").withParams({
      role: "manager",
    });
  }
}

/** At most this many colleagues in a session besides its owner (invited or joined). */
export const MAX_PARTICIPANTS = 7;

export function assertRoomFor(participants: number, adding: number): void {
  if (participants + adding > MAX_PARTICIPANTS) {
    throw new DomainError(
      409,
      "too_many_participants",
      `At most ${MAX_PARTICIPANTS} colleagues can be in a session at once.`,
    ).withParams({ limit: MAX_PARTICIPANTS });
  }
}

/**
 * Who can receive a transfer now: signed in, set available, enabled, below their session limit
 * (a transfer makes them its owner). Someone who cannot is refused with the reason.
 */
export function assertCanReceive(
  receiver: { name: string; online: boolean; available: boolean; disabled: boolean },
  openSessions: number,
  maxSessions: number,
): void {
  if (receiver.disabled || !receiver.online || !receiver.available) {
    throw new DomainError(409, "unavailable", `${receiver.name} is not available right now.`).withParams({
      name: receiver.name,
    });
  }
  if (openSessions >= maxSessions) {
    throw new DomainError(
      409,
      "at_limit",
      `${receiver.name} is at their limit of ${maxSessions} session${maxSessions === 1 ? "" : "s"}.`,
    ).withParams({ limit: maxSessions, name: receiver.name });
  }
}

/** An invited colleague must be signed in and set available (invitations ignore the session limit). */
export function assertCanBeInvited(receiver: {
  name: string;
  online: boolean;
  available: boolean;
  disabled: boolean;
}): void {
  if (receiver.disabled || !receiver.online || !receiver.available) {
    throw new DomainError(409, "unavailable", `${receiver.name} is not available right now.`).withParams({
      name: receiver.name,
    });
  }
}

/** Actions that belong to one side of a session: the agent points and records the outcome, the customer answers the survey. */
export function assertSide(party: Party, side: Party["kind"], message: string): void {
  if (party.kind !== side) throw new DomainError(403, "forbidden", message);
}

/** Session codes are made for portals the agent is assigned to. */
export function assertAssignedTo(
  user: Pick<Person, "id">,
  portal: { name: string; agentIds: readonly string[] },
): void {
  if (!portal.agentIds.includes(user.id)) {
    throw new DomainError(403, "not_assigned", `You are not assigned to ${portal.name}.`).withParams({
      portal: portal.name,
    });
  }
}

/**
 * What of a request an agent's console hears about (alerts aside, which name their recipients):
 * a request of one of their portals that nobody in particular was asked for, or one addressed to
 * them or taken by them. A targeted or code request concerns its one agent only; the portal's
 * other agents never saw its alert and hear nothing of it afterwards either.
 */
export function agentSeesRequest(
  viewer: { id: string; portals: ReadonlySet<string> },
  request: Pick<RequestView, "portalId" | "targetAgentId" | "agentId">,
): boolean {
  if (request.targetAgentId === null && viewer.portals.has(request.portalId)) return true;
  return request.agentId === viewer.id || request.targetAgentId === viewer.id;
}

/**
 * An API token reaches only the routes that name a scope (route config `tokenScope`), only with
 * that scope, and only in its own account; everything else is for people who sign in.
 */
export function assertTokenMay(
  token: { accountId: string; scopes: readonly string[] },
  routeScope: string | undefined,
  accountId: string | undefined,
): void {
  if (routeScope === undefined)
    throw new DomainError(403, "token_route", "API tokens cannot be used for this route; sign in instead.");
  if (!token.scopes.includes(routeScope))
    throw new DomainError(403, "token_scope", `This API token lacks the scope ${routeScope}.`).withParams({
      scope: routeScope,
    });
  if (accountId !== undefined && accountId !== token.accountId)
    throw new DomainError(403, "token_account", "This API token belongs to another account.");
}

/** A token acts as the admin who made it, for as long as they may still act as an admin in its account. */
export function tokenCreatorMayAct(
  creator: Pick<Person, "role" | "accountId" | "disabled">,
  accountId: string,
): boolean {
  return (
    !creator.disabled &&
    hasRole(creator, "admin") &&
    (creator.role === "operator" || creator.accountId === accountId)
  );
}

/** Whether a user is one of a portal's agents. */
export function isAssignedTo(user: Pick<Person, "portalIds">, portalId: string): boolean {
  return user.portalIds.includes(portalId);
}

/**
 * Canned responses of the account (issue 18): every user of the account reads them (the console
 * offers them to agents); managers, admins and the installation's operators write them. Another
 * account's id answers 404, an agent's write 403.
 */
export function assertMayReadAccountCanned(
  user: Pick<Person, "role" | "accountId">,
  accountId: string,
): void {
  assertAccountAccess(user, accountId, "agent");
}

export function assertMayManageAccountCanned(
  user: Pick<Person, "role" | "accountId">,
  accountId: string,
): void {
  assertAccountAccess(user, accountId, "manager");
}

/**
 * A personal canned response is its owner's alone: another agent's answers 404, exactly like one
 * that does not exist; an account-wide one is not changed through the personal routes (403: it is
 * changed in /admin, by managers and admins).
 */
export function assertOwnsPersonalCanned(
  user: Pick<Person, "id">,
  response: { ownerId: string | null },
): void {
  if (response.ownerId === null) {
    throw new DomainError(
      403,
      "not_personal",
      "This is one of the account's canned responses; managers and admins change it in the admin pages.",
    );
  }
  if (response.ownerId !== user.id) throw notFound("Canned response");
}

/** The account-wide routes reach account-wide responses only: a personal one is not there (404). */
export function assertAccountCanned(response: { ownerId: string | null }): void {
  if (response.ownerId !== null) throw notFound("Canned response");
}
