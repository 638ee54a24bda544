import type { Kysely } from "kysely";
import type { Principal } from "../../shared/model.js";
import type { AgentStatus } from "../../shared/protocol.js";
import { channels } from "../bus/bus.js";
import type { Database } from "../db/schema.js";
import { type AgentLoad, availabilityOf } from "../domain/requests.js";
import { openSessionCounts } from "../store/sessions.js";
import type { Actor, Deps } from "./context.js";

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
  await deps.db.kysely
    .updateTable("users")
    .set({ available: available ? 1 : 0, available_since: available ? deps.now() : null })
    .where("id", "=", actor.user.id)
    .execute();
  await deps.bus.publish(channels.user(actor.user.id), {
    type: "availability",
    agentId: actor.user.id,
    available,
  });
  return available;
}

export async function isAvailable(deps: Deps, userId: string): Promise<boolean> {
  const r = await deps.db.kysely
    .selectFrom("users")
    .select("available")
    .where("id", "=", userId)
    .executeTakeFirst();
  return r?.available === 1;
}
