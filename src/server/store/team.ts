import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { ChatMessage, SessionMember, SystemEvent } from "../../shared/protocol.js";
import type { Database } from "../db/schema.js";
import { appendMessage } from "./sessions.js";

/**
 * Teamwork in a session, as stored: colleagues invited into it and supervisors watching it
 * (session_members), transfers to a colleague or a portal (session_transfers), and the story of
 * who did what when (session_log). Every change of state is a conditional write, so two nodes or
 * two clicks decide once.
 */

export type MemberRole = "participant" | "monitor";
export type MemberState =
  | "invited"
  | "joined"
  | "declined"
  | "expired"
  | "canceled"
  | "left"
  | "removed"
  | "ended"
  | "owner";

export interface MemberRecord {
  id: string;
  accountId: string;
  sessionId: string;
  userId: string;
  name: string;
  role: MemberRole;
  state: MemberState;
  invitedBy: string | null;
  createdAt: number;
  expiresAt: number | null;
  joinedAt: number | null;
}

function memberQuery(db: Kysely<Database>) {
  return db
    .selectFrom("session_members as m")
    .innerJoin("users as u", "u.id", "m.user_id")
    .select([
      "m.id",
      "m.account_id",
      "m.session_id",
      "m.user_id",
      "u.display_name",
      "m.role",
      "m.state",
      "m.invited_by",
      "m.created_at",
      "m.expires_at",
      "m.joined_at",
    ]);
}

type MemberRow = Awaited<ReturnType<ReturnType<typeof memberQuery>["executeTakeFirstOrThrow"]>>;

function toMember(r: MemberRow): MemberRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    sessionId: r.session_id,
    userId: r.user_id,
    name: r.display_name,
    role: r.role as MemberRole,
    state: r.state as MemberState,
    invitedBy: r.invited_by,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    joinedAt: r.joined_at,
  };
}

export function toMemberView(m: MemberRecord): SessionMember {
  return {
    id: m.id,
    userId: m.userId,
    name: m.name,
    role: m.role,
    state: m.state === "invited" ? "invited" : "joined",
    since: m.joinedAt ?? m.createdAt,
  };
}

/** The live (invited or joined) members of each session. */
export async function liveMembersOf(
  db: Kysely<Database>,
  sessionIds: string[],
): Promise<Map<string, MemberRecord[]>> {
  const map = new Map<string, MemberRecord[]>();
  if (sessionIds.length === 0) return map;
  const rows = await memberQuery(db)
    .where("m.session_id", "in", sessionIds)
    .where("m.state", "in", ["invited", "joined"])
    .orderBy("m.created_at")
    .execute();
  for (const r of rows) {
    const list = map.get(r.session_id) ?? [];
    list.push(toMember(r));
    map.set(r.session_id, list);
  }
  return map;
}

/** This user's live membership of the session (invited or joined), if any. */
export async function liveMembership(
  db: Kysely<Database>,
  sessionId: string,
  userId: string,
): Promise<MemberRecord | null> {
  const r = await memberQuery(db)
    .where("m.session_id", "=", sessionId)
    .where("m.user_id", "=", userId)
    .where("m.state", "in", ["invited", "joined"])
    .executeTakeFirst();
  return r ? toMember(r) : null;
}

export async function findMember(
  db: Kysely<Database>,
  accountId: string,
  memberId: string,
): Promise<MemberRecord | null> {
  const r = await memberQuery(db)
    .where("m.account_id", "=", accountId)
    .where("m.id", "=", memberId)
    .executeTakeFirst();
  return r ? toMember(r) : null;
}

/** The open sessions this user is a joined member of (participant or monitor), with their role. */
export async function joinedSessionsOf(
  db: Kysely<Database>,
  userId: string,
): Promise<{ sessionId: string; role: MemberRole }[]> {
  const rows = await db
    .selectFrom("session_members as m")
    .innerJoin("sessions as s", "s.id", "m.session_id")
    .select(["m.session_id", "m.role"])
    .where("m.user_id", "=", userId)
    .where("m.state", "=", "joined")
    .where("s.ended_at", "is", null)
    .execute();
  return rows.map((r) => ({ sessionId: r.session_id, role: r.role as MemberRole }));
}

/** Invitations addressed to this user that still wait for an answer. */
export async function pendingInvitesOf(
  db: Kysely<Database>,
  userId: string,
  now: number,
): Promise<MemberRecord[]> {
  const rows = await memberQuery(db)
    .where("m.user_id", "=", userId)
    .where("m.state", "=", "invited")
    .where("m.expires_at", ">", now)
    .execute();
  return rows.map(toMember);
}

export async function insertMember(
  db: Kysely<Database>,
  m: {
    accountId: string;
    sessionId: string;
    userId: string;
    role: MemberRole;
    state: "invited" | "joined";
    invitedBy: string | null;
    at: number;
    expiresAt: number | null;
  },
): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto("session_members")
    .values({
      id,
      account_id: m.accountId,
      session_id: m.sessionId,
      user_id: m.userId,
      role: m.role,
      state: m.state,
      invited_by: m.invitedBy,
      created_at: m.at,
      expires_at: m.expiresAt,
      joined_at: m.state === "joined" ? m.at : null,
      ended_at: null,
    })
    .execute();
  return id;
}

/** Moves a membership from one of `from` to `to`; false when it was not in one of them (someone else decided). */
export async function moveMember(
  db: Kysely<Database>,
  memberId: string,
  from: MemberState[],
  to: MemberState,
  at: number,
  role?: MemberRole,
): Promise<boolean> {
  const r = await db
    .updateTable("session_members")
    .set({
      state: to,
      ...(to === "joined" ? { joined_at: at, expires_at: null } : { ended_at: at }),
      ...(role ? { role } : {}),
    })
    .where("id", "=", memberId)
    .where("state", "in", from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * Participants invited or joined (monitors do not count toward the seven), counted with the
 * session's row locked until the transaction ends (a no-op write), so two invitations or joins at
 * once are counted one after the other and never put an eighth colleague in.
 */
export async function liveParticipantCount(db: Kysely<Database>, sessionId: string): Promise<number> {
  await db
    .updateTable("sessions")
    .set((eb) => ({ last_seq: eb.ref("last_seq") }))
    .where("id", "=", sessionId)
    .execute();
  const r = await db
    .selectFrom("session_members")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("session_id", "=", sessionId)
    .where("role", "=", "participant")
    .where("state", "in", ["invited", "joined"])
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** A session that ended ends every membership and invitation in it. */
export async function endMemberships(
  db: Kysely<Database>,
  sessionId: string,
  at: number,
): Promise<{ id: string; userId: string; state: "invited" | "joined" }[]> {
  const live = await db
    .selectFrom("session_members")
    .select(["id", "user_id", "state"])
    .where("session_id", "=", sessionId)
    .where("state", "in", ["invited", "joined"])
    .execute();
  if (live.length === 0) return [];
  await db
    .updateTable("session_members")
    .set({ state: "ended", ended_at: at })
    .where("session_id", "=", sessionId)
    .where("state", "in", ["invited", "joined"])
    .execute();
  return live.map((r) => ({ id: r.id, userId: r.user_id, state: r.state as "invited" | "joined" }));
}

export async function expiredInvites(db: Kysely<Database>, now: number): Promise<MemberRecord[]> {
  const rows = await memberQuery(db)
    .where("m.state", "=", "invited")
    .where("m.expires_at", "<=", now)
    .limit(500)
    .execute();
  return rows.map(toMember);
}

// ── transfers ────────────────────────────────────────────────────────────────

export type TransferState = "pending" | "accepted" | "declined" | "timed-out" | "canceled";

export interface TransferRecord {
  id: string;
  accountId: string;
  sessionId: string;
  fromAgentId: string;
  fromName: string;
  toAgentId: string | null;
  toAgentName: string | null;
  toPortalId: string | null;
  toPortalName: string | null;
  note: string;
  recipients: string[];
  declined: string[];
  state: TransferState;
  createdAt: number;
  expiresAt: number;
  decidedBy: string | null;
}

function transferQuery(db: Kysely<Database>) {
  return db
    .selectFrom("session_transfers as t")
    .innerJoin("users as f", "f.id", "t.from_agent_id")
    .leftJoin("users as a", "a.id", "t.to_agent_id")
    .leftJoin("portals as p", "p.id", "t.to_portal_id")
    .select([
      "t.id",
      "t.account_id",
      "t.session_id",
      "t.from_agent_id",
      "f.display_name as from_name",
      "t.to_agent_id",
      "a.display_name as to_agent_name",
      "t.to_portal_id",
      "p.name as to_portal_name",
      "t.note",
      "t.recipients",
      "t.declined",
      "t.state",
      "t.created_at",
      "t.expires_at",
      "t.decided_by",
    ]);
}

type TransferRow = Awaited<ReturnType<ReturnType<typeof transferQuery>["executeTakeFirstOrThrow"]>>;

function toTransfer(r: TransferRow): TransferRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    sessionId: r.session_id,
    fromAgentId: r.from_agent_id,
    fromName: r.from_name,
    toAgentId: r.to_agent_id,
    toAgentName: r.to_agent_name,
    toPortalId: r.to_portal_id,
    toPortalName: r.to_portal_name,
    note: r.note,
    recipients: JSON.parse(r.recipients) as string[],
    declined: JSON.parse(r.declined) as string[],
    state: r.state as TransferState,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    decidedBy: r.decided_by,
  };
}

export async function insertTransfer(
  db: Kysely<Database>,
  t: {
    id: string;
    accountId: string;
    sessionId: string;
    fromAgentId: string;
    toAgentId: string | null;
    toPortalId: string | null;
    note: string;
    recipients: string[];
    at: number;
    expiresAt: number;
  },
): Promise<void> {
  await db
    .insertInto("session_transfers")
    .values({
      id: t.id,
      account_id: t.accountId,
      session_id: t.sessionId,
      from_agent_id: t.fromAgentId,
      to_agent_id: t.toAgentId,
      to_portal_id: t.toPortalId,
      note: t.note,
      recipients: JSON.stringify(t.recipients),
      declined: "[]",
      state: "pending",
      created_at: t.at,
      expires_at: t.expiresAt,
      decided_at: null,
      decided_by: null,
    })
    .execute();
}

export async function findTransfer(
  db: Kysely<Database>,
  accountId: string,
  transferId: string,
): Promise<TransferRecord | null> {
  const r = await transferQuery(db)
    .where("t.account_id", "=", accountId)
    .where("t.id", "=", transferId)
    .executeTakeFirst();
  return r ? toTransfer(r) : null;
}

/** The pending transfer of each session, if any. */
export async function pendingTransfersOf(
  db: Kysely<Database>,
  sessionIds: string[],
): Promise<Map<string, TransferRecord>> {
  const map = new Map<string, TransferRecord>();
  if (sessionIds.length === 0) return map;
  const rows = await transferQuery(db)
    .where("t.session_id", "in", sessionIds)
    .where("t.state", "=", "pending")
    .execute();
  for (const r of rows) map.set(r.session_id, toTransfer(r));
  return map;
}

/** Pending transfers this user was alerted to and has not declined. */
export async function pendingTransfersFor(
  db: Kysely<Database>,
  accountId: string,
  userId: string,
  now: number,
): Promise<TransferRecord[]> {
  const rows = await transferQuery(db)
    .where("t.account_id", "=", accountId)
    .where("t.state", "=", "pending")
    .where("t.expires_at", ">", now)
    .execute();
  return rows.map(toTransfer).filter((t) => isAskedNow(t, userId));
}

/**
 * Whether the transfer is waiting for this user's answer: a receiver who has not declined, and
 * for a queue portal's transfer (asked of one agent at a time) the one asked now.
 */
export function isAskedNow(t: TransferRecord, userId: string): boolean {
  if (!t.recipients.includes(userId) || t.declined.includes(userId)) return false;
  return t.toPortalId === null || t.toAgentId === null || t.toAgentId === userId;
}

/**
 * Decides a pending transfer: the one conditional write of an accept (first accept wins) or the
 * end of one (declined, timed out, canceled). False when it was no longer pending.
 */
export async function decideTransfer(
  db: Kysely<Database>,
  transferId: string,
  to: Exclude<TransferState, "pending">,
  by: string | null,
  at: number,
  notAfter?: number,
): Promise<boolean> {
  let q = db
    .updateTable("session_transfers")
    .set({ state: to, decided_at: at, decided_by: by })
    .where("id", "=", transferId)
    .where("state", "=", "pending");
  if (notAfter !== undefined) q = q.where("expires_at", ">", notAfter);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * One receiver declines: added to the list (the row locked by the update). Returns the lists as
 * they are now, or null when the transfer was no longer pending.
 */
export async function addTransferDecline(
  db: Kysely<Database>,
  transferId: string,
  userId: string,
): Promise<{ recipients: string[]; declined: string[] } | null> {
  await db
    .updateTable("session_transfers")
    .set((eb) => ({ declined: eb.ref("declined") }))
    .where("id", "=", transferId)
    .execute();
  const row = await db
    .selectFrom("session_transfers")
    .select(["recipients", "declined", "state"])
    .where("id", "=", transferId)
    .executeTakeFirst();
  if (row?.state !== "pending") return null;
  const recipients = JSON.parse(row.recipients) as string[];
  const declined = JSON.parse(row.declined) as string[];
  if (!declined.includes(userId)) declined.push(userId);
  await db
    .updateTable("session_transfers")
    .set({ declined: JSON.stringify(declined) })
    .where("id", "=", transferId)
    .execute();
  return { recipients, declined };
}

/** A transfer passed on to the next receiver (a queue portal asks one agent at a time). */
export async function passTransferOn(
  db: Kysely<Database>,
  transferId: string,
  toAgentId: string,
  recipients: string[],
  expiresAt: number,
): Promise<boolean> {
  const r = await db
    .updateTable("session_transfers")
    .set({ to_agent_id: toAgentId, recipients: JSON.stringify(recipients), expires_at: expiresAt })
    .where("id", "=", transferId)
    .where("state", "=", "pending")
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function expiredTransfers(db: Kysely<Database>, now: number): Promise<TransferRecord[]> {
  const rows = await transferQuery(db)
    .where("t.state", "=", "pending")
    .where("t.expires_at", "<=", now)
    .limit(500)
    .execute();
  return rows.map(toTransfer);
}

// ── the session's new owner ──────────────────────────────────────────────────

/** The session and its request go to `toAgentId`, only while `fromAgentId` still has it open. */
export async function changeOwner(
  db: Kysely<Database>,
  sessionId: string,
  fromAgentId: string,
  toAgentId: string,
): Promise<boolean> {
  const r = await db
    .updateTable("sessions")
    .set({ agent_id: toAgentId })
    .where("id", "=", sessionId)
    .where("agent_id", "=", fromAgentId)
    .where("ended_at", "is", null)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) return false;
  await db.updateTable("requests").set({ agent_id: toAgentId }).where("id", "=", sessionId).execute();
  return true;
}

export async function setShareState(db: Kysely<Database>, sessionId: string, state: string): Promise<void> {
  await db.updateTable("sessions").set({ share_state: state }).where("id", "=", sessionId).execute();
}

// ── the story ────────────────────────────────────────────────────────────────

export type LogKind =
  | "transfer.requested"
  | "transfer.accepted"
  | "transfer.declined"
  | "transfer.timed-out"
  | "transfer.canceled"
  | "invite.sent"
  | "invite.accepted"
  | "invite.declined"
  | "invite.expired"
  | "invite.canceled"
  | "left"
  | "removed"
  | "owner.handed"
  | "monitor.started"
  | "monitor.stopped"
  | "supervisor.joined"
  | "take-over";

export interface LogEntry {
  at: number;
  kind: LogKind;
  actorId: string | null;
  subjectId: string | null;
  detail: string;
}

export async function logSession(
  db: Kysely<Database>,
  accountId: string,
  sessionId: string,
  e: LogEntry,
): Promise<void> {
  await db
    .insertInto("session_log")
    .values({
      id: randomUUID(),
      account_id: accountId,
      session_id: sessionId,
      at: e.at,
      kind: e.kind,
      actor_id: e.actorId,
      subject_id: e.subjectId,
      detail: e.detail,
    })
    .execute();
}

export async function sessionLog(
  db: Kysely<Database>,
  accountId: string,
  sessionId: string,
): Promise<LogEntry[]> {
  const rows = await db
    .selectFrom("session_log")
    .select(["at", "kind", "actor_id", "subject_id", "detail"])
    .where("account_id", "=", accountId)
    .where("session_id", "=", sessionId)
    .orderBy("at")
    .execute();
  return rows.map((r) => ({
    at: r.at,
    kind: r.kind as LogKind,
    actorId: r.actor_id,
    subjectId: r.subject_id,
    detail: r.detail,
  }));
}

/** A system line in the chat: for everyone, or (`agentsOnly`) never for the customer. */
export function postSystemLine(
  db: Kysely<Database>,
  accountId: string,
  sessionId: string,
  line: { body: string; event: SystemEvent; agentsOnly: boolean; at: number },
): Promise<ChatMessage | null> {
  return appendMessage(db, accountId, sessionId, {
    sender: "system",
    authorName: "",
    body: line.body,
    at: line.at,
    event: line.event,
    ...(line.agentsOnly ? { visibility: "agents" as const } : {}),
  });
}

/**
 * The session changes hands, in the caller's transaction: the owner changes (only while
 * `fromAgentId` still has it open), the new owner's own membership ends (they own it now), the
 * previous owner stays as a participant after a hand-over (not after a transfer or take-over), a
 * screen share stops (the new owner can ask again), and the chat says so. Null when the session
 * was no longer the previous owner's to give.
 */
export async function moveOwnership(
  db: Kysely<Database>,
  p: {
    accountId: string;
    sessionId: string;
    fromAgentId: string;
    fromName: string;
    toAgentId: string;
    toName: string;
    how: "transfer" | "hand-over" | "take-over";
    at: number;
  },
): Promise<{ lines: ChatMessage[]; shareStopped: boolean } | null> {
  if (!(await changeOwner(db, p.sessionId, p.fromAgentId, p.toAgentId))) return null;
  await db
    .updateTable("session_members")
    .set({ state: "owner", ended_at: p.at })
    .where("session_id", "=", p.sessionId)
    .where("user_id", "=", p.toAgentId)
    .where("state", "in", ["invited", "joined"])
    .execute();
  if (p.how === "hand-over") {
    await insertMember(db, {
      accountId: p.accountId,
      sessionId: p.sessionId,
      userId: p.fromAgentId,
      role: "participant",
      state: "joined",
      invitedBy: p.toAgentId,
      at: p.at,
      expiresAt: null,
    });
  }
  const lines: ChatMessage[] = [];
  const share = await db
    .selectFrom("sessions")
    .select("share_state")
    .where("id", "=", p.sessionId)
    .executeTakeFirst();
  const shareStopped = share?.share_state === "sharing" || share?.share_state === "requested";
  if (shareStopped) {
    await setShareState(db, p.sessionId, "stopped");
    const stopped = await postSystemLine(db, p.accountId, p.sessionId, {
      body: "Screen sharing stopped: the conversation moved to another agent.",
      event: { kind: "share.stopped", name: p.toName },
      agentsOnly: false,
      at: p.at,
    });
    if (stopped) lines.push(stopped);
  }
  const body =
    p.how === "take-over"
      ? `${p.toName} took over the conversation from ${p.fromName}.`
      : `${p.fromName} handed the conversation to ${p.toName}.`;
  const line = await postSystemLine(db, p.accountId, p.sessionId, {
    body,
    event: {
      kind: "owner.changed",
      name: p.toName,
      by: p.how === "take-over" ? p.toName : p.fromName,
      from: p.fromName,
    },
    agentsOnly: false,
    at: p.at,
  });
  if (line) lines.push(line);
  await logSession(db, p.accountId, p.sessionId, {
    at: p.at,
    kind: p.how === "transfer" ? "transfer.accepted" : p.how === "hand-over" ? "owner.handed" : "take-over",
    actorId: p.how === "hand-over" ? p.fromAgentId : p.toAgentId,
    subjectId: p.how === "hand-over" ? p.toAgentId : p.fromAgentId,
    detail: "",
  });
  return { lines, shareStopped };
}

/** A watching supervisor joins the conversation: the same membership, now a participant. */
export async function promoteMonitor(db: Kysely<Database>, memberId: string): Promise<boolean> {
  const r = await db
    .updateTable("session_members")
    .set({ role: "participant" })
    .where("id", "=", memberId)
    .where("state", "=", "joined")
    .where("role", "=", "monitor")
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Ends a session's pending transfer (the session ended or was taken over): its id and who was alerted. */
export async function cancelPendingTransfer(
  db: Kysely<Database>,
  sessionId: string,
  at: number,
): Promise<{ id: string; recipients: string[] } | null> {
  const rows = await db
    .updateTable("session_transfers")
    .set({ state: "canceled", decided_at: at })
    .where("session_id", "=", sessionId)
    .where("state", "=", "pending")
    .returning(["id", "recipients"])
    .execute();
  const r = rows[0];
  return r ? { id: r.id, recipients: JSON.parse(r.recipients) as string[] } : null;
}
