import type { ExpressionBuilder, Kysely } from "kysely";
import type { Principal } from "../../shared/model.js";
import type { AgentStatus } from "../../shared/protocol.js";
import { channels } from "../bus/bus.js";
import type { Database } from "../db/schema.js";
import { type AgentLoad, availabilityOf } from "../domain/requests.js";
import { openSessionCounts } from "../store/sessions.js";
import type { Actor, Deps } from "./context.js";
import { customerPagesChanged } from "./portalPages.js";
import { dispatchForAgent, withdrawOffersOf } from "./queue.js";

export interface PortalAgent {
  id: string;
  displayName: string;
  avatarUrl: string | null;
  status: AgentStatus;
}

/** The agents assigned to a portal with their live load: who is online, available, at capacity. */
export async function agentLoads(
  deps: Deps,
  db: Kysely<Database>,
  portalId: string,
  onlyAgentId?: string,
): Promise<(AgentLoad & PortalAgent & { role: Principal })[]> {
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
  const online = await deps.presence.onlineAmong(rows.map((r) => r.id));
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
  deps: Deps,
  db: Kysely<Database>,
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
    if (rows.length > 0 && (await deps.presence.onlineAmong(rows.map((r) => r.id))).size > 0) return true;
    if (rows.length < batch) return false;
  }
}

/**
 * Who a broadcast alert goes to: the portal's agents who are available now (signed in, set
 * available, below their limit). Ids only — a submit must not build a full load per agent
 * (agentLoads) of a portal with hundreds of them.
 */
export async function availableAgentIds(
  deps: Deps,
  db: Kysely<Database>,
  portalId: string,
): Promise<string[]> {
  const ids = (await eligibleAgents(db, portalId, "available").execute()).map((r) => r.id);
  if (ids.length === 0) return ids;
  const online = await deps.presence.onlineAmong(ids);
  return ids.filter((id) => online.has(id));
}

export async function setAvailability(deps: Deps, actor: Actor, available: boolean): Promise<boolean> {
  const now = deps.now();
  const result = await deps.db.kysely
    .updateTable("users")
    .set(
      available
        ? { available: 1, available_since: now, idle_since: now }
        : { available: 0, available_since: null },
    )
    .where("id", "=", actor.user.id)
    .where("available", "=", available ? 0 : 1)
    .executeTakeFirst();
  await deps.bus.publish(channels.user(actor.user.id), {
    type: "availability",
    agentId: actor.user.id,
    available,
  });
  const accountId = actor.user.accountId;
  if (accountId && Number(result.numUpdatedRows) === 1) {
    await capacityChanged(deps, accountId, actor.user.id, actor.user.portalIds);
  }
  return available;
}

/**
 * BEHAVIOUR.md §5: the queue is re-examined on every capacity change of an agent — available
 * or not, a session ended, the limit changed, signed in or gone. Pending offers of an agent who
 * can no longer take them pass on.
 */
export async function capacityChanged(
  deps: Deps,
  accountId: string,
  agentId: string,
  portalIds: string[],
): Promise<void> {
  const user = await deps.db.kysely
    .selectFrom("users")
    .select(["available", "max_sessions", "disabled"])
    .where("id", "=", agentId)
    .executeTakeFirst();
  const online = (await deps.presence.onlineAmong([agentId])).has(agentId);
  const open = (await openSessionCounts(deps.db.kysely, [agentId])).get(agentId) ?? 0;
  const canTake = online && user?.available === 1 && user.disabled === 0 && open < user.max_sessions;
  await customerPagesChanged(deps, accountId);
  if (!canTake) await withdrawOffersOf(deps, accountId, agentId);
  await dispatchForAgent(deps, accountId, portalIds);
}

export async function isAvailable(deps: Deps, userId: string): Promise<boolean> {
  const r = await deps.db.kysely
    .selectFrom("users")
    .select("available")
    .where("id", "=", userId)
    .executeTakeFirst();
  return r?.available === 1;
}
