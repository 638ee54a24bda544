import { describe, expect, it } from "vitest";
import type { Party } from "../../src/server/commands/context.js";
import { DomainError } from "../../src/server/domain/errors.js";
import {
  agentSeesRequest,
  assertAccountAccess,
  assertAssignedTo,
  assertBelowLimit,
  assertCanBeInvited,
  assertCanDecline,
  assertCanReceive,
  assertCanTake,
  assertMayChat,
  assertMayNote,
  assertOperator,
  assertOwner,
  assertRoomFor,
  assertSide,
  assertSupervisor,
  consoleAccount,
  hasRole,
  MAX_PARTICIPANTS,
  maySeeSession,
  maySupervise,
  mayUseConsole,
  sessionRoleOf,
  visibleAccounts,
} from "../../src/server/policy.js";
import type { UserRow } from "../../src/server/store/users.js";
import type { Principal } from "../../src/shared/model.js";

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

function user(role: Principal, extra: Partial<UserRow> = {}): UserRow {
  return {
    id: `${role}-1`,
    accountId: role === "operator" ? null : "acc-1",
    email: `${role}@example.com`,
    displayName: role,
    avatarUrl: null,
    role,
    maxSessions: 3,
    disabled: false,
    portalIds: ["p-1", "p-2"],
    createdAt: 0,
    passwordHash: "",
    failedLogins: 0,
    lockedUntil: null,
    ...extra,
  } as UserRow;
}

describe("policy: roles and accounts", () => {
  it("ranks operator > admin > manager > agent", () => {
    expect(hasRole(user("admin"), "manager")).toBe(true);
    expect(hasRole(user("manager"), "admin")).toBe(false);
    expect(hasRole(user("operator"), "admin")).toBe(true);
    expect(hasRole(user("agent"), "agent")).toBe(true);
  });

  it("another account answers 404 (nothing leaks), a too small role 403 naming the role", () => {
    expect(refusal(() => assertAccountAccess(user("admin"), "acc-2", "agent")).status).toBe(404);
    const small = refusal(() => assertAccountAccess(user("agent"), "acc-1", "admin"));
    expect([small.status, small.code, small.params]).toEqual([403, "forbidden", { role: "admin" }]);
    expect(() => assertAccountAccess(user("manager"), "acc-1", "manager")).not.toThrow();
    expect(() => assertAccountAccess(user("operator"), "acc-9", "admin")).not.toThrow();
  });

  it("lists every account for operators, their own for the others", () => {
    expect(visibleAccounts(user("operator"))).toBe("all");
    expect(visibleAccounts(user("agent"))).toBe("acc-1");
  });

  it("installation-wide actions are for operators only", () => {
    expect(refusal(() => assertOperator(user("admin"))).status).toBe(403);
    expect(() => assertOperator(user("operator"))).not.toThrow();
  });

  it("the console is for users of an account, never operators", () => {
    expect(mayUseConsole(user("operator"))).toBe(false);
    expect(refusal(() => consoleAccount(user("operator"))).status).toBe(403);
    expect(consoleAccount(user("manager"))).toBe("acc-1");
  });
});

describe("policy: taking, declining, the session limit", () => {
  const request = { portalId: "p-1", targetAgentId: null, kind: "broadcast" as const };

  it("takes only requests of assigned portals, and a targeted one only as its target", () => {
    expect(() => assertCanTake(user("agent"), request)).not.toThrow();
    expect(refusal(() => assertCanTake(user("agent"), { ...request, portalId: "p-9" })).code).toBe(
      "not_assigned",
    );
    expect(refusal(() => assertCanTake(user("agent"), { ...request, targetAgentId: "someone" })).code).toBe(
      "not_target",
    );
    expect(() => assertCanTake(user("agent"), { ...request, targetAgentId: "agent-1" })).not.toThrow();
  });

  it("refuses at the limit with the limit as a parameter (no text to parse)", () => {
    expect(() => assertBelowLimit(user("agent", { maxSessions: 2 }), 1)).not.toThrow();
    const at = refusal(() => assertBelowLimit(user("agent", { maxSessions: 2 }), 2));
    expect([at.status, at.code, at.params]).toEqual([409, "at_limit", { limit: 2 }]);
    expect(refusal(() => assertBelowLimit(user("agent", { maxSessions: 1 }), 5)).message).toMatch(
      /1 session;/,
    );
  });

  it("declines: assigned portal; a targeted request only by its target; a broadcast by anyone assigned", () => {
    expect(() => assertCanDecline(user("agent"), request)).not.toThrow();
    expect(refusal(() => assertCanDecline(user("agent"), { ...request, portalId: "p-9" })).code).toBe(
      "not_assigned",
    );
    const targeted = { ...request, kind: "targeted" as const, targetAgentId: "other" };
    expect(refusal(() => assertCanDecline(user("agent"), targeted)).code).toBe("not_target");
    expect(() => assertCanDecline(user("agent"), { ...targeted, targetAgentId: "agent-1" })).not.toThrow();
  });
});

describe("policy: sessions and the wall between sides", () => {
  const session = { agentId: "agent-1", requestId: "r-1" };
  const agent: Party = { kind: "agent", actor: { user: user("agent") } };
  const colleague: Party = { kind: "agent", actor: { user: user("agent", { id: "agent-2" }) } };
  const customer: Party = { kind: "customer", accountId: "acc-1", requestId: "r-1", name: "Cy" };
  const otherCustomer: Party = { kind: "customer", accountId: "acc-1", requestId: "r-2", name: "Di" };

  it("a session is seen by its agent and its own customer only", () => {
    expect(maySeeSession(agent, session)).toBe(true);
    expect(maySeeSession(colleague, session)).toBe(false);
    expect(maySeeSession(customer, session)).toBe(true);
    // A customer of the same account holding another request's token does not reach this one.
    expect(maySeeSession(otherCustomer, session)).toBe(false);
  });

  it("side-only actions refuse the other side", () => {
    expect(() => assertSide(agent, "agent", "x")).not.toThrow();
    expect(refusal(() => assertSide(customer, "agent", "Only the agent points.")).message).toBe(
      "Only the agent points.",
    );
  });

  it("codes only for portals one is assigned to", () => {
    expect(() => assertAssignedTo(user("agent"), { name: "Phone", agentIds: ["agent-1"] })).not.toThrow();
    const e = refusal(() => assertAssignedTo(user("agent"), { name: "Phone", agentIds: [] }));
    expect([e.code, e.params]).toEqual(["not_assigned", { portal: "Phone" }]);
  });
});

describe("policy: what of a request an agent's console hears", () => {
  const viewer = { id: "a-1", portals: new Set(["p-1"]) };
  it("requests of their portals nobody was asked for, and those addressed to or taken by them", () => {
    expect(agentSeesRequest(viewer, { portalId: "p-1", targetAgentId: null, agentId: null })).toBe(true);
    expect(agentSeesRequest(viewer, { portalId: "p-2", targetAgentId: null, agentId: null })).toBe(false);
    // A targeted request to a colleague stays theirs, even at a shared portal.
    expect(agentSeesRequest(viewer, { portalId: "p-1", targetAgentId: "a-2", agentId: null })).toBe(false);
    expect(agentSeesRequest(viewer, { portalId: "p-9", targetAgentId: "a-1", agentId: null })).toBe(true);
    expect(agentSeesRequest(viewer, { portalId: "p-9", targetAgentId: null, agentId: "a-1" })).toBe(true);
  });
});

describe("policy: teamwork in a session", () => {
  const session = { agentId: "agent-1", requestId: "r-1" };
  const owner = user("agent", { id: "agent-1" });
  const colleague = user("agent", { id: "agent-2" });
  const joined = { role: "participant" as const, state: "joined" };
  const invited = { role: "participant" as const, state: "invited" };
  const watching = { role: "monitor" as const, state: "joined" };
  const left = { role: "participant" as const, state: "left" };

  it("a session's parts: owner, a colleague who joined, a supervisor watching — an invitation or a past membership is none", () => {
    expect(sessionRoleOf(owner, session, null)).toBe("owner");
    expect(sessionRoleOf(colleague, session, joined)).toBe("participant");
    expect(sessionRoleOf(colleague, session, watching)).toBe("monitor");
    expect(sessionRoleOf(colleague, session, invited)).toBeNull();
    expect(sessionRoleOf(colleague, session, left)).toBeNull();
    expect(sessionRoleOf(colleague, session, null)).toBeNull();
    const party = { kind: "agent" as const, actor: { user: colleague } };
    expect(maySeeSession(party, session, joined)).toBe(true);
    expect(maySeeSession(party, session, invited)).toBe(false);
  });

  it("only the owner transfers, invites, ends; a supervisor watching writes notes but does not chat", () => {
    expect(() => assertOwner("owner", "transfer it")).not.toThrow();
    expect(refusal(() => assertOwner("participant", "transfer it")).code).toBe("not_owner");
    expect(refusal(() => assertOwner("monitor", "transfer it")).status).toBe(403);
    expect(() => assertMayChat("participant")).not.toThrow();
    expect(() => assertMayChat("customer")).not.toThrow();
    expect(refusal(() => assertMayChat("monitor")).code).toBe("monitor_read_only");
    expect(() => assertMayNote("monitor")).not.toThrow();
    // A note is never the customer's: the session does not exist for them as a place for notes.
    expect(refusal(() => assertMayNote("customer")).status).toBe(404);
  });

  it("supervising is for managers and admins of an account", () => {
    expect(maySupervise(user("agent"))).toBe(false);
    expect(maySupervise(user("manager"))).toBe(true);
    expect(maySupervise(user("admin"))).toBe(true);
    expect(maySupervise(user("operator"))).toBe(false);
    expect(refusal(() => assertSupervisor(user("agent"))).status).toBe(403);
  });

  it("at most seven colleagues besides the owner", () => {
    expect(MAX_PARTICIPANTS).toBe(7);
    expect(() => assertRoomFor(6, 1)).not.toThrow();
    const e = refusal(() => assertRoomFor(7, 1));
    expect(e.code).toBe("too_many_participants");
    expect(e.params).toEqual({ limit: 7 });
    expect(refusal(() => assertRoomFor(0, 8)).status).toBe(409);
  });

  it("a transfer's receiver must be available and below their limit; an invitee only available", () => {
    const present = { name: "Ben", online: true, available: true, disabled: false };
    expect(() => assertCanReceive(present, 2, 3)).not.toThrow();
    const full = refusal(() => assertCanReceive(present, 3, 3));
    expect(full.code).toBe("at_limit");
    expect(full.params).toEqual({ limit: 3, name: "Ben" });
    expect(refusal(() => assertCanReceive({ ...present, online: false }, 0, 3)).code).toBe("unavailable");
    expect(refusal(() => assertCanReceive({ ...present, available: false }, 0, 3)).params).toEqual({
      name: "Ben",
    });
    expect(refusal(() => assertCanReceive({ ...present, disabled: true }, 0, 3)).code).toBe("unavailable");
    // Participation does not count toward the limit: an agent at it can still be invited.
    expect(() => assertCanBeInvited(present)).not.toThrow();
    expect(refusal(() => assertCanBeInvited({ ...present, available: false })).code).toBe("unavailable");
  });
});
