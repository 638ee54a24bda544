import type { ConsoleSnapshot, SessionView } from "../../shared/protocol.js";
import type { Actor, Deps } from "../commands/context.js";
import { agentSeesRequest } from "../policy.js";
import { isAvailable } from "../store/agents.js";
import { listRecent, listWaiting, toView } from "../store/requests.js";
import { agentStatsSince, findSession, listOpenSessionsOf, type SessionRecord } from "../store/sessions.js";
import { joinedSessionsOf } from "../store/team.js";
import { listCodes } from "./codes.js";
import { myPendingOffer, queueStats } from "./queue.js";
import { endedSessionsOf } from "./sessions.js";
import { sessionViews, teamAlertsFor } from "./team.js";

const DAY_MS = 24 * 60 * 60_000;

function startOfToday(now: number): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/**
 * Everything the console shows, read fresh from the database: after a reconnect the lists are
 * exactly right, whatever events were missed.
 */
export async function consoleSnapshot(deps: Deps, actor: Actor): Promise<ConsoleSnapshot> {
  const db = deps.db.kysely;
  const accountId = actor.user.accountId;
  const now = deps.now();
  if (!accountId) {
    return {
      available: false,
      incoming: [],
      sessions: [],
      history: [],
      offline: [],
      codes: [],
      stats: { sessionsToday: 0, acceptedToday: 0, averageWaitSeconds: null, averageSessionSeconds: null },
      offer: null,
      queues: [],
      ended: [],
      teamAlerts: [],
      upgradeEnabled: false,
      iceServers: deps.config.iceServers,
      serverTime: now,
    };
  }
  const portals = actor.user.portalIds;
  const today = startOfToday(now);
  const [
    available,
    waiting,
    open,
    history,
    offline,
    codes,
    stats,
    offer,
    queues,
    ended,
    account,
    joined,
    teamAlerts,
  ] = await Promise.all([
    isAvailable(db, actor.user.id),
    listWaiting(db, accountId, portals),
    listOpenSessionsOf(db, accountId, actor.user.id),
    listRecent(
      db,
      accountId,
      portals,
      ["accepted", "ended", "canceled", "declined", "no-response"],
      today,
      100,
    ),
    listRecent(db, accountId, portals, ["offline"], now - 7 * DAY_MS, 100),
    listCodes(deps, actor),
    agentStatsSince(db, accountId, actor.user.id, today),
    myPendingOffer(deps, actor),
    queueStats(deps, accountId, portals),
    endedSessionsOf(deps, accountId, actor.user.id, today),
    db.selectFrom("accounts").select("upgrade_enabled").where("id", "=", accountId).executeTakeFirst(),
    joinedSessionsOf(db, actor.user.id),
    teamAlertsFor(deps, actor),
  ]);
  const viewer = { id: actor.user.id, portals: new Set(portals) };
  const incoming = waiting.filter((r) => agentSeesRequest(viewer, r)).map(toView);
  // The sessions this agent owns, then those they are in as a colleague or watch as a supervisor.
  const records: SessionRecord[] = [...open];
  for (const j of joined) {
    const s = await findSession(db, accountId, j.sessionId);
    if (s && s.endedAt === null && s.agentId !== actor.user.id) records.push(s);
  }
  const sessions: SessionView[] = await sessionViews(deps, accountId, records, actor.user.id);
  return {
    available,
    incoming,
    sessions,
    history: history
      .filter((r) => agentSeesRequest(viewer, r))
      // Another agent's live session is theirs; what ended, timed out or was canceled is everyone's history.
      .filter((r) => r.agentId === actor.user.id || r.state !== "accepted")
      .map(toView),
    offline: offline.map(toView),
    codes,
    stats: {
      sessionsToday: stats.sessions,
      acceptedToday: stats.sessions,
      averageWaitSeconds: stats.avgWaitMs === null ? null : Math.round(stats.avgWaitMs / 1000),
      averageSessionSeconds: stats.avgDurationMs === null ? null : Math.round(stats.avgDurationMs / 1000),
    },
    offer,
    queues,
    ended,
    teamAlerts,
    upgradeEnabled: account?.upgrade_enabled === 1,
    iceServers: deps.config.iceServers,
    serverTime: now,
  };
}
