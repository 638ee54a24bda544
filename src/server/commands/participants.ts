import type { ChatMessage, SessionMember, SessionView } from "../../shared/protocol.js";
import { isUniqueViolation } from "../db/database.js";
import { DomainError, notFound, sessionEnded } from "../domain/errors.js";
import { TARGETED_ALERT_TIMEOUT_MS } from "../domain/requests.js";
import { assertCanBeInvited, assertOwner, assertRoomFor, consoleAccount, mayUseConsole } from "../policy.js";
import { sessionView } from "../queries/team.js";
import { tellsCustomerMonitored } from "../store/accounts.js";
import { colleaguesOf } from "../store/agents.js";
import { findRequest } from "../store/requests.js";
import { findSession, type SessionRecord } from "../store/sessions.js";
import {
  findMember,
  insertMember,
  liveMembership,
  liveParticipantCount,
  logSession,
  type MemberRecord,
  moveMember,
  moveOwnership,
  postSystemLine,
  toMemberView,
} from "../store/team.js";
import { sessionAccess } from "./access.js";
import type { Actor, Deps } from "./context.js";

/**
 * Colleagues in a session (issue 11, BEHAVIOUR.md §4 blue): the owner invites up to seven at
 * once, each accepts or declines their blue alert; a participant chats (the customer sees who
 * speaks), writes notes, sees the shared screen, and can leave; the owner can remove one or hand
 * the session to one. Participation does not count toward an agent's session limit: it is help
 * given in someone else's session, and counting it would block exactly the colleague asked for.
 */

function party(actor: Actor) {
  return { kind: "agent" as const, actor };
}

async function lineIn(
  trx: Parameters<typeof postSystemLine>[0],
  session: SessionRecord,
  at: number,
  body: string,
  event: ChatMessage["event"] & object,
  agentsOnly: boolean,
  out: ChatMessage[],
): Promise<void> {
  const line = await postSystemLine(trx, session.accountId, session.id, { body, event, agentsOnly, at });
  if (line) out.push(line);
}

export async function inviteColleagues(
  deps: Deps,
  actor: Actor,
  sessionId: string,
  agentIds: string[],
): Promise<SessionMember[]> {
  const { session, role } = await sessionAccess(deps, party(actor), sessionId);
  assertOwner(role, "invite colleagues");
  if (session.endedAt !== null) throw sessionEnded();
  const ids = [...new Set(agentIds)];
  if (ids.length === 0)
    throw new DomainError(400, "no_colleagues", "Choose at least one colleague to invite.");
  if (ids.includes(actor.user.id))
    throw new DomainError(400, "invite_self", "You are already in this session.");
  assertRoomFor(0, ids.length);
  const db = deps.db.kysely;
  const accountId = session.accountId;
  const found = await colleaguesOf(db, deps.presence, accountId, ids);
  const byId = new Map(found.map((c) => [c.id, c]));
  for (const id of ids) {
    const c = byId.get(id);
    if (!c || !mayUseConsole({ role: c.role, accountId })) throw notFound("Agent");
    if (await liveMembership(db, sessionId, id)) {
      throw new DomainError(409, "already_member", `${c.displayName} is already in this session.`).withParams(
        {
          name: c.displayName,
        },
      );
    }
    assertCanBeInvited({
      name: c.displayName,
      online: c.online,
      available: c.available,
      disabled: c.disabled,
    });
  }
  const now = deps.now();
  const lines: ChatMessage[] = [];
  let memberIds: string[];
  try {
    memberIds = await db.transaction().execute(async (trx) => {
      assertRoomFor(await liveParticipantCount(trx, sessionId), ids.length);
      const out: string[] = [];
      for (const id of ids) {
        out.push(
          await insertMember(trx, {
            accountId,
            sessionId,
            userId: id,
            role: "participant",
            state: "invited",
            invitedBy: actor.user.id,
            at: now,
            expiresAt: now + TARGETED_ALERT_TIMEOUT_MS,
          }),
        );
        const name = byId.get(id)?.displayName ?? "";
        await logSession(trx, accountId, sessionId, {
          at: now,
          kind: "invite.sent",
          actorId: actor.user.id,
          subjectId: id,
          detail: "",
        });
        await lineIn(
          trx,
          session,
          now,
          `${actor.user.displayName} invited ${name}.`,
          { kind: "invited", name, by: actor.user.displayName },
          true,
          lines,
        );
      }
      return out;
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new DomainError(409, "already_member", "One of them is already in this session.");
    }
    throw err;
  }
  const invites: MemberRecord[] = [];
  for (const id of memberIds) {
    const m = await findMember(db, accountId, id);
    if (m) invites.push(m);
  }
  await deps.events.emit({ type: "members.invited", session, invites, lines });
  return invites.map(toMemberView);
}

/** The invitation addressed to this agent; anyone else's answers 404. */
async function myInvitation(deps: Deps, actor: Actor, memberId: string): Promise<MemberRecord> {
  const accountId = consoleAccount(actor.user);
  const m = await findMember(deps.db.kysely, accountId, memberId);
  if (!m || m.userId !== actor.user.id) throw notFound("Invitation");
  return m;
}

function inviteClosed(): DomainError {
  return new DomainError(409, "invite_closed", "This invitation is no longer open.");
}

export async function acceptInvitation(deps: Deps, actor: Actor, memberId: string): Promise<SessionView> {
  const m = await myInvitation(deps, actor, memberId);
  const db = deps.db.kysely;
  const now = deps.now();
  if (m.state !== "invited" || (m.expiresAt !== null && m.expiresAt <= now)) throw inviteClosed();
  const session = await findSession(db, m.accountId, m.sessionId);
  if (!session || session.endedAt !== null) throw inviteClosed();
  const lines: ChatMessage[] = [];
  const ok = await db.transaction().execute(async (trx) => {
    if (!(await moveMember(trx, m.id, ["invited"], "joined", now))) return false;
    await logSession(trx, m.accountId, m.sessionId, {
      at: now,
      kind: "invite.accepted",
      actorId: actor.user.id,
      subjectId: null,
      detail: "",
    });
    await lineIn(
      trx,
      session,
      now,
      `${actor.user.displayName} joined the conversation.`,
      { kind: "joined", name: actor.user.displayName },
      false,
      lines,
    );
    return true;
  });
  if (!ok) throw inviteClosed();
  const joined: MemberRecord = { ...m, state: "joined", joinedAt: now };
  await deps.events.emit({ type: "member.changed", session, member: joined, change: "joined", lines });
  const view = await sessionView(deps, session, actor.user.id);
  if (!view) throw notFound("Session");
  return view;
}

/** Declined, or (the sweeper) unanswered: the owner is told, the session goes on. */
async function closeInvitation(
  deps: Deps,
  m: MemberRecord,
  to: "declined" | "expired",
  now: number,
): Promise<boolean> {
  const db = deps.db.kysely;
  const session = await findSession(db, m.accountId, m.sessionId);
  if (!session) return false;
  const lines: ChatMessage[] = [];
  const ok = await db.transaction().execute(async (trx) => {
    if (!(await moveMember(trx, m.id, ["invited"], to, now))) return false;
    await logSession(trx, m.accountId, m.sessionId, {
      at: now,
      kind: to === "declined" ? "invite.declined" : "invite.expired",
      actorId: to === "declined" ? m.userId : null,
      subjectId: m.userId,
      detail: "",
    });
    await lineIn(
      trx,
      session,
      now,
      to === "declined" ? `${m.name} declined the invitation.` : `${m.name} did not answer the invitation.`,
      { kind: to === "declined" ? "invite.declined" : "invite.expired", name: m.name },
      true,
      lines,
    );
    return true;
  });
  if (!ok) return false;
  await deps.events.emit({ type: "member.changed", session, member: { ...m, state: to }, change: to, lines });
  return true;
}

export async function declineInvitation(deps: Deps, actor: Actor, memberId: string): Promise<void> {
  const m = await myInvitation(deps, actor, memberId);
  if (m.state !== "invited") throw inviteClosed();
  if (!(await closeInvitation(deps, m, "declined", deps.now()))) throw inviteClosed();
}

/** The sweeper: an invitation unanswered within the alert's time ends; the owner is told. */
export async function expireInvitation(deps: Deps, m: MemberRecord): Promise<void> {
  await closeInvitation(deps, m, "expired", deps.now());
}

/** The owner removes a participant (or takes back an invitation). */
export async function removeMember(
  deps: Deps,
  actor: Actor,
  sessionId: string,
  userId: string,
): Promise<void> {
  const { session, role } = await sessionAccess(deps, party(actor), sessionId);
  assertOwner(role, "remove someone from it");
  const db = deps.db.kysely;
  const m = await liveMembership(db, sessionId, userId);
  if (!m) throw notFound("Participant");
  if (m.role === "monitor") {
    throw new DomainError(403, "supervisor", "A supervisor watching the session leaves it on their own.");
  }
  const now = deps.now();
  const to = m.state === "invited" ? "canceled" : "removed";
  const lines: ChatMessage[] = [];
  const ok = await db.transaction().execute(async (trx) => {
    if (!(await moveMember(trx, m.id, [m.state], to, now))) return false;
    await logSession(trx, session.accountId, sessionId, {
      at: now,
      kind: to === "canceled" ? "invite.canceled" : "removed",
      actorId: actor.user.id,
      subjectId: userId,
      detail: "",
    });
    if (to === "removed") {
      await lineIn(
        trx,
        session,
        now,
        `${actor.user.displayName} removed ${m.name} from the conversation.`,
        { kind: "removed", name: m.name, by: actor.user.displayName },
        false,
        lines,
      );
    }
    return true;
  });
  if (!ok) throw notFound("Participant");
  await deps.events.emit({ type: "member.changed", session, member: { ...m, state: to }, change: to, lines });
}

/** A participant or a watching supervisor leaves; the owner cannot (transfer or end instead). */
export async function leaveSession(deps: Deps, actor: Actor, sessionId: string): Promise<void> {
  const { session, role, membership } = await sessionAccess(deps, party(actor), sessionId);
  if (role === "owner" || !membership) {
    throw new DomainError(409, "owner_cannot_leave", "You own this session: transfer it or end it.");
  }
  const db = deps.db.kysely;
  const now = deps.now();
  const lines: ChatMessage[] = [];
  const tell = await tellsCustomerMonitored(db, session.accountId);
  const ok = await db.transaction().execute(async (trx) => {
    if (!(await moveMember(trx, membership.id, ["joined"], "left", now))) return false;
    const monitor = membership.role === "monitor";
    await logSession(trx, session.accountId, sessionId, {
      at: now,
      kind: monitor ? "monitor.stopped" : "left",
      actorId: actor.user.id,
      subjectId: null,
      detail: "",
    });
    await lineIn(
      trx,
      session,
      now,
      monitor
        ? `${actor.user.displayName} stopped watching.`
        : `${actor.user.displayName} left the conversation.`,
      { kind: monitor ? "monitor.stopped" : "left", name: actor.user.displayName },
      monitor && !tell,
      lines,
    );
    return true;
  });
  if (!ok) throw notFound("Session");
  await deps.events.emit({
    type: "member.changed",
    session,
    member: { ...membership, state: "left" },
    change: "left",
    lines,
  });
}

/** The owner hands the session to a participant and stays in it as a participant. */
export async function handOwnership(
  deps: Deps,
  actor: Actor,
  sessionId: string,
  userId: string,
): Promise<SessionView> {
  const { session, role } = await sessionAccess(deps, party(actor), sessionId);
  assertOwner(role, "hand it over");
  if (session.endedAt !== null) throw sessionEnded();
  const db = deps.db.kysely;
  const m = await liveMembership(db, sessionId, userId);
  if (m?.state !== "joined" || m.role !== "participant") {
    throw new DomainError(409, "not_participant", "Hand the session only to a colleague who has joined it.");
  }
  const now = deps.now();
  const moved = await db.transaction().execute(async (trx) => {
    const result = await moveOwnership(trx, {
      accountId: session.accountId,
      sessionId,
      fromAgentId: actor.user.id,
      fromName: actor.user.displayName,
      toAgentId: userId,
      toName: m.name,
      how: "hand-over",
      at: now,
    });
    if (!result) return null;
    const [fresh, request] = await Promise.all([
      findSession(trx, session.accountId, sessionId),
      findRequest(trx, session.accountId, sessionId),
    ]);
    if (!fresh || !request) throw notFound("Session");
    const event = {
      type: "session.ownerChanged" as const,
      session: fresh,
      request,
      previousAgentId: actor.user.id,
      toName: m.name,
      how: "hand-over" as const,
      closedAlerts: [],
      shareStopped: result.shareStopped,
      lines: result.lines,
    };
    await deps.events.stage(trx, event);
    return event;
  });
  if (!moved) throw new DomainError(409, "not_owner", "This session is no longer yours to hand over.");
  await deps.events.emit(moved);
  const view = await sessionView(deps, moved.session, actor.user.id);
  if (!view) throw notFound("Session");
  return view;
}
