import type { Kysely } from "kysely";
import type { Principal } from "../../shared/model.js";
import type { AgentStatus } from "../../shared/protocol.js";
import { channels } from "../bus/bus.js";
import type { Database } from "../db/schema.js";
import { type AgentLoad, availabilityOf } from "../domain/requests.js";
import { openSessionCounts } from "../store/sessions.js";
import type { Actor, Deps } from "./context.js";
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
): Promise<(AgentLoad & PortalAgent & { role: Principal })[]> {
  const rows = await db
    .selectFrom("portal_agents as pa")
    .innerJoin("users as u", "u.id", "pa.user_id")
    .select([
      "u.id",
      "u.display_name",
      "u.avatar_url",
      "u.available",
      "u.disabled",
      "u.max_sessions",
      "u.role",
    ])
    .where("pa.portal_id", "=", portalId)
    .orderBy("u.display_name")
    .execute();
  const ids = rows.map((r) => r.id);
  const [online, open] = await Promise.all([deps.presence.onlineAmong(ids), openSessionCounts(db, ids)]);
  return rows.map((r) => {
    const load: AgentLoad = {
      id: r.id,
      online: online.has(r.id),
      available: r.available === 1,
      disabled: r.disabled === 1,
      activeSessions: open.get(r.id) ?? 0,
      maxSessions: r.max_sessions,
    };
    return {
      ...load,
      displayName: r.display_name,
      avatarUrl: r.avatar_url,
      role: r.role as Principal,
      status: availabilityOf(load),
    };
  });
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
