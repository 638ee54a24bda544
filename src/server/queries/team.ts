import type {
  ColleagueView,
  LiveSessionRow,
  PortalTargetView,
  SessionRole,
  SessionView,
  ShareState,
  SupervisorView,
  TeamAlert,
  TransferView,
} from "../../shared/protocol.js";
import type { Actor, Deps } from "../commands/context.js";
import { isQueuePortal } from "../domain/queue.js";
import { assertSupervisor, consoleAccount, mayUseConsole } from "../policy.js";
import { findAccount, tellsCustomerMonitored } from "../store/accounts.js";
import { availableAgentIds, colleaguesOf } from "../store/agents.js";
import { listPortals } from "../store/portals.js";
import { findRequest, listWaiting, type RequestRecord, toView } from "../store/requests.js";
import { listMessages, type SessionRecord } from "../store/sessions.js";
import {
  liveMembersOf,
  type MemberRecord,
  pendingInvitesOf,
  pendingTransfersFor,
  pendingTransfersOf,
  type TransferRecord,
  toMemberView,
} from "../store/team.js";

/** Read models of teamwork: sessions with their members, team alerts, colleagues, the supervisor view. */

export function toTransferView(t: TransferRecord): TransferView {
  return {
    id: t.id,
    sessionId: t.sessionId,
    fromAgentId: t.fromAgentId,
    fromName: t.fromName,
    toAgentId: t.toAgentId,
    toAgentName: t.toAgentName,
    toPortalId: t.toPortalId,
    toPortalName: t.toPortalName,
    note: t.note,
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
  };
}

/** The viewer's part, read off the view itself (the owner, or a joined member). */
export function roleIn(view: Pick<SessionView, "agentId" | "members">, userId: string): SessionRole | null {
  if (view.agentId === userId) return "owner";
  const m = view.members.find((x) => x.userId === userId && x.state === "joined");
  return m ? m.role : null;
}

function shareOf(s: SessionRecord): ShareState | null {
  return (s.shareState as ShareState | null) ?? null;
}

/** Sessions as their agents see them: the request, members, a pending transfer; `role` for `viewerId`. */
export async function sessionViews(
  deps: Deps,
  accountId: string,
  sessions: SessionRecord[],
  viewerId: string | null,
): Promise<SessionView[]> {
  const db = deps.db.kysely;
  const ids = sessions.map((s) => s.id);
  const [members, transfers] = await Promise.all([liveMembersOf(db, ids), pendingTransfersOf(db, ids)]);
  const out: SessionView[] = [];
  for (const s of sessions) {
    const request = await findRequest(db, accountId, s.requestId);
    if (!request) continue;
    const view: SessionView = {
      id: s.id,
      request: toView(request),
      agentId: s.agentId,
      agentName: s.agentName,
      startedAt: s.startedAt,
      endedAt: s.endedAt,
      lastSeq: s.lastSeq,
      role: "owner",
      members: (members.get(s.id) ?? []).map(toMemberView),
      transfer: transfers.has(s.id) ? toTransferView(transfers.get(s.id) as TransferRecord) : null,
      share: shareOf(s),
    };
    view.role = (viewerId && roleIn(view, viewerId)) || "owner";
    out.push(view);
  }
  return out;
}

export async function sessionView(
  deps: Deps,
  session: SessionRecord,
  viewerId: string | null,
): Promise<SessionView | null> {
  return (await sessionViews(deps, session.accountId, [session], viewerId))[0] ?? null;
}

const ALERT_MESSAGES = 100;

async function alertBase(deps: Deps, accountId: string, sessionId: string) {
  const db = deps.db.kysely;
  const [request, messages] = await Promise.all([
    findRequest(db, accountId, sessionId),
    listMessages(db, accountId, sessionId, 0, "agents", ALERT_MESSAGES),
  ]);
  return request ? { request: toView(request), messages } : null;
}

/** The orange alert of a transfer, with the conversation so far. */
export async function transferAlert(deps: Deps, t: TransferRecord): Promise<TeamAlert | null> {
  const base = await alertBase(deps, t.accountId, t.sessionId);
  if (!base) return null;
  return {
    id: t.id,
    kind: "transfer",
    sessionId: t.sessionId,
    request: base.request,
    fromName: t.fromName,
    note: t.note,
    portalName: t.toPortalId ? t.toPortalName : null,
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
    messages: base.messages,
  };
}

/** The blue alert of an invitation, with the conversation so far. */
export async function inviteAlert(deps: Deps, m: MemberRecord, fromName: string): Promise<TeamAlert | null> {
  const base = await alertBase(deps, m.accountId, m.sessionId);
  if (!base) return null;
  return {
    id: m.id,
    kind: "invite",
    sessionId: m.sessionId,
    request: base.request,
    fromName,
    note: "",
    portalName: null,
    createdAt: m.createdAt,
    expiresAt: m.expiresAt ?? m.createdAt,
    messages: base.messages,
  };
}

/** Every transfer and invitation waiting for this agent's answer (the console's snapshot). */
export async function teamAlertsFor(deps: Deps, actor: Actor): Promise<TeamAlert[]> {
  const accountId = actor.user.accountId;
  if (!accountId) return [];
  const db = deps.db.kysely;
  const now = deps.now();
  const [transfers, invites] = await Promise.all([
    pendingTransfersFor(db, accountId, actor.user.id, now),
    pendingInvitesOf(db, actor.user.id, now),
  ]);
  const out: TeamAlert[] = [];
  for (const t of transfers) {
    const a = await transferAlert(deps, t);
    if (a) out.push(a);
  }
  for (const m of invites) {
    const from = m.invitedBy ? (await colleaguesOf(db, deps.presence, accountId, [m.invitedBy]))[0] : null;
    const a = await inviteAlert(deps, m, from?.displayName ?? "");
    if (a) out.push(a);
  }
  return out.sort((a, b) => a.createdAt - b.createdAt);
}

/** Colleagues (with live availability and load) and portals, for the transfer and invite dialogs. */
export async function colleagues(
  deps: Deps,
  actor: Actor,
): Promise<{ agents: ColleagueView[]; portals: PortalTargetView[] }> {
  const accountId = consoleAccount(actor.user);
  const db = deps.db.kysely;
  const [rows, portals, account] = await Promise.all([
    colleaguesOf(db, deps.presence, accountId),
    listPortals(db, accountId),
    findAccount(db, accountId),
  ]);
  const agents: ColleagueView[] = rows
    .filter((r) => r.id !== actor.user.id && !r.disabled && mayUseConsole({ role: r.role, accountId }))
    .map((r) => {
      const available = r.online && r.available;
      return {
        id: r.id,
        name: r.displayName,
        role: r.role as ColleagueView["role"],
        available,
        sessions: r.openSessions,
        maxSessions: r.maxSessions,
        unavailableReason: !available ? "unavailable" : r.openSessions >= r.maxSessions ? "at_limit" : null,
      };
    });
  const targets: PortalTargetView[] = [];
  for (const p of portals) {
    if (!p.enabled) continue;
    const ids = (await availableAgentIds(db, deps.presence, p.id)).filter((id) => id !== actor.user.id);
    targets.push({
      id: p.id,
      name: p.name,
      queue: isQueuePortal(account?.mode ?? "", p.type),
      availableAgents: ids.length,
    });
  }
  return { agents, portals: targets };
}

/** Every live session and waiting request of the account, for managers and admins. */
export async function supervisorView(deps: Deps, actor: Actor): Promise<SupervisorView> {
  assertSupervisor(actor.user);
  const accountId = consoleAccount(actor.user);
  const db = deps.db.kysely;
  const portalIds = (await listPortals(db, accountId)).map((p) => p.id);
  const [open, waiting, tellCustomerMonitored] = await Promise.all([
    db
      .selectFrom("sessions as s")
      .innerJoin("users as u", "u.id", "s.agent_id")
      .select(["s.id", "s.agent_id", "u.display_name", "s.started_at", "s.share_state"])
      .where("s.account_id", "=", accountId)
      .where("s.ended_at", "is", null)
      .orderBy("s.started_at")
      .limit(1000)
      .execute(),
    listWaiting(db, accountId, portalIds),
    tellsCustomerMonitored(db, accountId),
  ]);
  const ids = open.map((s) => s.id);
  const [members, transfers] = await Promise.all([liveMembersOf(db, ids), pendingTransfersOf(db, ids)]);
  const sessions: LiveSessionRow[] = [];
  for (const s of open) {
    const request: RequestRecord | null = await findRequest(db, accountId, s.id);
    if (!request) continue;
    const joined = (members.get(s.id) ?? []).filter((m) => m.state === "joined");
    sessions.push({
      sessionId: s.id,
      request: toView(request),
      agentId: s.agent_id,
      agentName: s.display_name,
      startedAt: s.started_at,
      waitedMs: Math.max(0, s.started_at - request.createdAt),
      participants: joined
        .filter((m) => m.role === "participant")
        .map((m) => ({ userId: m.userId, name: m.name })),
      monitors: joined.filter((m) => m.role === "monitor").map((m) => ({ userId: m.userId, name: m.name })),
      transferPending: transfers.has(s.id),
      sharing: s.share_state === "sharing",
    });
  }
  return {
    sessions,
    waiting: waiting.map(toView),
    tellCustomerMonitored,
    serverTime: deps.now(),
  };
}
