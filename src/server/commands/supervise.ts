import type { ChatMessage, SessionView } from "../../shared/protocol.js";
import { isUniqueViolation } from "../db/database.js";
import { DomainError, notFound, sessionEnded } from "../domain/errors.js";
import type { ClosedAlert } from "../events/events.js";
import { assertRoomFor, assertSupervisor, consoleAccount } from "../policy.js";
import { sessionView } from "../queries/team.js";
import { tellsCustomerMonitored } from "../store/accounts.js";
import { markIdle } from "../store/agents.js";
import { findRequest } from "../store/requests.js";
import { findSession, type SessionRecord } from "../store/sessions.js";
import {
  cancelPendingTransfer,
  insertMember,
  liveMembership,
  liveParticipantCount,
  logSession,
  type MemberRecord,
  moveOwnership,
  postSystemLine,
  promoteMonitor,
} from "../store/team.js";
import type { Actor, Deps } from "./context.js";

/**
 * Supervisors (managers and admins, issue 11): watch any live session of their account read-only
 * (chat, notes, the shared screen), join it as a participant, or take it over (a transfer to
 * themselves that needs nobody's accept). Whether the customer is told that a supervisor watches
 * is the account's setting; every step is stored with its time (session_log) and is a line in
 * the chat. Taking over is not refused by the supervisor's session limit: stepping in is the point.
 */

async function liveSessionOf(deps: Deps, actor: Actor, sessionId: string): Promise<SessionRecord> {
  assertSupervisor(actor.user);
  const accountId = consoleAccount(actor.user);
  const session = await findSession(deps.db.kysely, accountId, sessionId);
  if (!session) throw notFound("Session");
  if (session.endedAt !== null) throw sessionEnded();
  return session;
}

async function viewFor(deps: Deps, session: SessionRecord, actor: Actor): Promise<SessionView> {
  const fresh = await findSession(deps.db.kysely, session.accountId, session.id);
  const view = fresh ? await sessionView(deps, fresh, actor.user.id) : null;
  if (!view) throw notFound("Session");
  return view;
}

/** Watch the session read-only. Watching again is no change. */
export async function monitorSession(deps: Deps, actor: Actor, sessionId: string): Promise<SessionView> {
  const session = await liveSessionOf(deps, actor, sessionId);
  const me = actor.user;
  if (session.agentId === me.id) throw new DomainError(409, "already_owner", "This is your own session.");
  const db = deps.db.kysely;
  const existing = await liveMembership(db, sessionId, me.id);
  if (existing?.state === "joined") return viewFor(deps, session, actor);
  if (existing) {
    throw new DomainError(409, "already_member", "You are invited to this session: accept the invitation.");
  }
  const now = deps.now();
  const tell = await tellsCustomerMonitored(deps.db.kysely, session.accountId);
  const lines: ChatMessage[] = [];
  let memberId: string;
  try {
    memberId = await db.transaction().execute(async (trx) => {
      const id = await insertMember(trx, {
        accountId: session.accountId,
        sessionId,
        userId: me.id,
        role: "monitor",
        state: "joined",
        invitedBy: null,
        at: now,
        expiresAt: null,
      });
      await logSession(trx, session.accountId, sessionId, {
        at: now,
        kind: "monitor.started",
        actorId: me.id,
        subjectId: null,
        detail: tell ? "customer told" : "customer not told",
      });
      const line = await postSystemLine(trx, session.accountId, sessionId, {
        body: `${me.displayName} (supervisor) is following the conversation.`,
        event: { kind: "monitor.started", name: me.displayName },
        agentsOnly: !tell,
        at: now,
      });
      if (line) lines.push(line);
      return id;
    });
  } catch (err) {
    if (isUniqueViolation(err)) return viewFor(deps, session, actor);
    throw err;
  }
  const member: MemberRecord = {
    id: memberId,
    accountId: session.accountId,
    sessionId,
    userId: me.id,
    name: me.displayName,
    role: "monitor",
    state: "joined",
    invitedBy: null,
    createdAt: now,
    expiresAt: null,
    joinedAt: now,
  };
  await deps.events.emit({ type: "member.changed", session, member, change: "joined", lines });
  return viewFor(deps, session, actor);
}

/** Join the conversation as a participant (from watching it, or straight away). */
export async function joinSession(deps: Deps, actor: Actor, sessionId: string): Promise<SessionView> {
  const session = await liveSessionOf(deps, actor, sessionId);
  const me = actor.user;
  if (session.agentId === me.id) throw new DomainError(409, "already_owner", "This is your own session.");
  const db = deps.db.kysely;
  const existing = await liveMembership(db, sessionId, me.id);
  if (existing?.state === "joined" && existing.role === "participant") return viewFor(deps, session, actor);
  const now = deps.now();
  const lines: ChatMessage[] = [];
  const memberId = await db.transaction().execute(async (trx) => {
    assertRoomFor(await liveParticipantCount(trx, sessionId), 1);
    let id: string;
    if (existing?.state === "joined") {
      if (!(await promoteMonitor(trx, existing.id))) throw notFound("Session");
      id = existing.id;
    } else {
      if (existing) {
        // An open invitation becomes the membership.
        await trx
          .updateTable("session_members")
          .set({ state: "joined", joined_at: now, expires_at: null })
          .where("id", "=", existing.id)
          .execute();
        id = existing.id;
      } else {
        id = await insertMember(trx, {
          accountId: session.accountId,
          sessionId,
          userId: me.id,
          role: "participant",
          state: "joined",
          invitedBy: null,
          at: now,
          expiresAt: null,
        });
      }
    }
    await logSession(trx, session.accountId, sessionId, {
      at: now,
      kind: "supervisor.joined",
      actorId: me.id,
      subjectId: null,
      detail: "",
    });
    const line = await postSystemLine(trx, session.accountId, sessionId, {
      body: `${me.displayName} joined the conversation.`,
      event: { kind: "joined", name: me.displayName },
      agentsOnly: false,
      at: now,
    });
    if (line) lines.push(line);
    return id;
  });
  const member: MemberRecord = {
    id: memberId,
    accountId: session.accountId,
    sessionId,
    userId: me.id,
    name: me.displayName,
    role: "participant",
    state: "joined",
    invitedBy: null,
    createdAt: existing?.createdAt ?? now,
    expiresAt: null,
    joinedAt: now,
  };
  await deps.events.emit({
    type: "member.changed",
    session,
    member,
    change: existing?.state === "joined" ? "promoted" : "joined",
    lines,
  });
  return viewFor(deps, session, actor);
}

/** Take the session over: it becomes the supervisor's at once; its owner's tab says so. */
export async function takeOver(deps: Deps, actor: Actor, sessionId: string): Promise<SessionView> {
  const session = await liveSessionOf(deps, actor, sessionId);
  const me = actor.user;
  if (session.agentId === me.id) throw new DomainError(409, "already_owner", "This is your own session.");
  const db = deps.db.kysely;
  const now = deps.now();
  const done = await db.transaction().execute(async (trx) => {
    const canceled = await cancelPendingTransfer(trx, sessionId, now);
    const moved = await moveOwnership(trx, {
      accountId: session.accountId,
      sessionId,
      fromAgentId: session.agentId,
      fromName: session.agentName,
      toAgentId: me.id,
      toName: me.displayName,
      how: "take-over",
      at: now,
    });
    if (!moved) return null;
    await markIdle(trx, session.agentId, now);
    const [fresh, request] = await Promise.all([
      findSession(trx, session.accountId, sessionId),
      findRequest(trx, session.accountId, sessionId),
    ]);
    if (!fresh || !request) throw notFound("Session");
    const closedAlerts: ClosedAlert[] = canceled ? [canceled] : [];
    const event = {
      type: "session.ownerChanged" as const,
      session: fresh,
      request,
      previousAgentId: session.agentId,
      toName: me.displayName,
      how: "take-over" as const,
      closedAlerts,
      shareStopped: moved.shareStopped,
      lines: moved.lines,
    };
    await deps.events.stage(trx, event);
    return event;
  });
  if (!done)
    throw new DomainError(409, "session_changed", "The session changed hands meanwhile; look again.");
  await deps.events.emit(done);
  return viewFor(deps, done.session, actor);
}
