import type { ExpressionBuilder, Kysely } from "kysely";
import type { Principal } from "../../shared/model.js";
import type { AgentStatus } from "../../shared/protocol.js";
import type { Presence } from "../bus/presence.js";
import type { Database } from "../db/schema.js";
import { type AgentLoad, availabilityOf } from "../domain/requests.js";
import { recordAvailable } from "./agentTime.js";

/**
 * Who can take requests: agents' toggles and limits from the database, whether they are signed in
 * from presence. Each read takes `presence`, never the commands' Deps, so the store stays below them.
 */

export interface PortalAgent {
  id: string;
  displayName: string;
  avatarUrl: string | null;
  status: AgentStatus;
}

export type AgentLoadRow = AgentLoad & PortalAgent & { role: Principal };

/** The agents assigned to a portal with their live load: who is online, available, at capacity. */
export async function agentLoads(
  db: Kysely<Database>,
  presence: Presence,
  portalId: string,
  onlyAgentId?: string,
): Promise<AgentLoadRow[]> {
  // One query: each agent's open sessions are counted beside its row (index sessions_agent_open),
  // not by a second query with every agent id in an IN list (costly with hundreds of agents).
  let query = db
    .selectFrom("portal_agents as pa")
    .innerJoin("users as u", "u.id", "pa.user_id")
    .select((eb) => [
      "u.id",
      "u.display_name",
      "u.avatar_url",
      "u.available",
      "u.disabled",
      "u.max_sessions",
      "u.role",
      openSessionsOf(eb).as("open_sessions"),
    ])
    .where("pa.portal_id", "=", portalId)
    .orderBy("u.display_name");
  if (onlyAgentId !== undefined) query = query.where("pa.user_id", "=", onlyAgentId);
  const rows = await query.execute();
  const online = await presence.onlineAmong(rows.map((r) => r.id));
  return rows.map((r) => {
    const load: AgentLoad = {
      id: r.id,
      online: online.has(r.id),
      available: r.available === 1,
      disabled: r.disabled === 1,
      activeSessions: Number(r.open_sessions ?? 0),
      maxSessions: r.max_sessions,
    };
    // Spelled out: `{ ...load, … }` costs about a microsecond per agent in V8 (70× this).
    return {
      id: load.id,
      online: load.online,
      available: load.available,
      disabled: load.disabled,
      activeSessions: load.activeSessions,
      maxSessions: load.maxSessions,
      displayName: r.display_name,
      avatarUrl: r.avatar_url,
      role: r.role as Principal,
      status: availabilityOf(load),
    };
  });
}

/** The number of open sessions of the agent row `u` (a correlated subquery). */
function openSessionsOf(eb: ExpressionBuilder<Database & { u: Database["users"] }, "u">) {
  return eb
    .selectFrom("sessions as s")
    .select(eb.fn.countAll<number>().as("n"))
    .whereRef("s.agent_id", "=", "u.id")
    .where("s.ended_at", "is", null);
}

/**
 * The portal's agents who are set available and not disabled, as a query of their ids;
 * "available" also needs them below their session limit, "present" (the queue rule) does not.
 * Whether they are signed in is presence's answer, asked after.
 */
function eligibleAgents(db: Kysely<Database>, portalId: string, need: "available" | "present") {
  let q = db
    .selectFrom("portal_agents as pa")
    .innerJoin("users as u", "u.id", "pa.user_id")
    .select("u.id")
    .where("pa.portal_id", "=", portalId)
    .where("u.available", "=", 1)
    .where("u.disabled", "=", 0);
  if (need === "available") q = q.where((eb) => eb(openSessionsOf(eb), "<", eb.ref("u.max_sessions")));
  return q;
}

/**
 * Whether anyone assigned to the portal could take a request now — the answer a portal page needs
 * on every view, without loading every agent's load (agentLoads). "available": signed in, set
 * available, below the session limit; "present": signed in and set available, busy or not (the
 * queue rule). Reads agents in small batches and stops at the first one who is online.
 */
export async function anyAgentAvailable(
  db: Kysely<Database>,
  presence: Presence,
  portalId: string,
  need: "available" | "present" = "available",
): Promise<boolean> {
  const batch = 16;
  for (let offset = 0; ; offset += batch) {
    const rows = await eligibleAgents(db, portalId, need)
      .orderBy("pa.user_id")
      .limit(batch)
      .offset(offset)
      .execute();
    if (rows.length > 0 && (await presence.onlineAmong(rows.map((r) => r.id))).size > 0) return true;
    if (rows.length < batch) return false;
  }
}

/**
 * Who a broadcast alert goes to: the portal's agents who are available now (signed in, set
 * available, below their limit). Ids only — a submit must not build a full load per agent
 * (agentLoads) of a portal with hundreds of them.
 */
export async function availableAgentIds(
  db: Kysely<Database>,
  presence: Presence,
  portalId: string,
): Promise<string[]> {
  const ids = (await eligibleAgents(db, portalId, "available").execute()).map((r) => r.id);
  if (ids.length === 0) return ids;
  const online = await presence.onlineAmong(ids);
  return ids.filter((id) => online.has(id));
}

/** The agent's own toggle (Available / Unavailable), as stored. */
export async function isAvailable(db: Kysely<Database>, userId: string): Promise<boolean> {
  const r = await db.selectFrom("users").select("available").where("id", "=", userId).executeTakeFirst();
  return r?.available === 1;
}

/** Whether the agent could take one more request now: signed in, set available, enabled, below the limit. */
export async function agentCanTake(
  db: Kysely<Database>,
  presence: Presence,
  agentId: string,
): Promise<boolean> {
  const user = await db
    .selectFrom("users as u")
    .select((eb) => ["u.available", "u.max_sessions", "u.disabled", openSessionsOf(eb).as("open_sessions")])
    .where("u.id", "=", agentId)
    .executeTakeFirst();
  if (user?.available !== 1 || user.disabled !== 0) return false;
  if (Number(user.open_sessions ?? 0) >= user.max_sessions) return false;
  return (await presence.onlineAmong([agentId])).has(agentId);
}

/** Since when each agent has been idle (last session ended, or became available): the queue offers the longest idle first. */
export async function idleSinceOf(db: Kysely<Database>, agentIds: string[]): Promise<Map<string, number>> {
  const map = new Map<string, number>();
  if (agentIds.length === 0) return map;
  const rows = await db
    .selectFrom("users")
    .select(["id", "idle_since", "available_since"])
    .where("id", "in", agentIds)
    .execute();
  for (const r of rows) map.set(r.id, r.idle_since ?? r.available_since ?? 0);
  return map;
}

/** Sets the agent's toggle; true when it changed (a repeated "available" is no capacity change). */
export async function setAvailableRow(
  db: Kysely<Database>,
  accountId: string,
  agentId: string,
  available: boolean,
  now: number,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable("users")
      .set(
        available
          ? { available: 1, available_since: now, idle_since: now }
          : { available: 0, available_since: null },
      )
      .where("id", "=", agentId)
      .where("available", "=", available ? 0 : 1)
      .executeTakeFirst();
    const changed = Number(result.numUpdatedRows) === 1;
    // The spell for reports' "time available" (store/agentTime.ts), in the same transaction.
    if (changed) await recordAvailable(trx, accountId, agentId, available, now);
    return changed;
  });
}

/** The agent just finished a session: they are idle from now (the queue's longest-idle rule). */
export async function markIdle(db: Kysely<Database>, agentId: string, now: number): Promise<void> {
  await db.updateTable("users").set({ idle_since: now }).where("id", "=", agentId).execute();
}

/** The agent's display name, for a session begun on their behalf (a redeemed code). */
export async function agentName(db: Kysely<Database>, agentId: string): Promise<string> {
  const r = await db.selectFrom("users").select("display_name").where("id", "=", agentId).executeTakeFirst();
  return r?.display_name ?? "";
}

export interface ColleagueRow {
  id: string;
  displayName: string;
  role: Principal;
  online: boolean;
  available: boolean;
  disabled: boolean;
  openSessions: number;
  maxSessions: number;
}

/** Users of the account (or the given ones) with their live load: the transfer and invite dialogs, and their checks. */
export async function colleaguesOf(
  db: Kysely<Database>,
  presence: Presence,
  accountId: string,
  onlyIds?: string[],
): Promise<ColleagueRow[]> {
  if (onlyIds?.length === 0) return [];
  let q = db
    .selectFrom("users as u")
    .select((eb) => [
      "u.id",
      "u.display_name",
      "u.role",
      "u.available",
      "u.disabled",
      "u.max_sessions",
      openSessionsOf(eb).as("open_sessions"),
    ])
    .where("u.account_id", "=", accountId)
    .orderBy("u.display_name");
  if (onlyIds) q = q.where("u.id", "in", onlyIds);
  const rows = await q.execute();
  const online = await presence.onlineAmong(rows.map((r) => r.id));
  return rows.map((r) => ({
    id: r.id,
    displayName: r.display_name,
    role: r.role as Principal,
    online: online.has(r.id),
    available: r.available === 1,
    disabled: r.disabled === 1,
    openSessions: Number(r.open_sessions ?? 0),
    maxSessions: r.max_sessions,
  }));
}
