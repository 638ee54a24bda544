import { accountOfPortal } from "../commands/access.js";
import type { Deps } from "../commands/context.js";
import { hoursNow } from "../domain/businessHours.js";
import { isQueuePortal } from "../domain/queue.js";
import { type AgentLoadRow, agentLoads, anyAgentAvailable } from "../store/agents.js";
import type { PublicPortal } from "../store/portals.js";

/**
 * Whether a customer can ask at a portal right now — the rule submitRequest applies, so the page
 * can say so before anything is typed: a queue takes requests while anyone of the portal is signed
 * in and set available (busy or not); the other types need an agent who is available now; and
 * outside the portal's business hours nobody is.
 */
export async function portalAvailability(deps: Deps, portal: PublicPortal) {
  const account = await accountOfPortal(deps, portal);
  const queued = isQueuePortal(account.mode, portal.type);
  // Outside business hours nobody can be asked, whoever is signed in.
  if (hoursNow(portal, deps.now()).closed)
    return { anyAvailable: false, queued, agents: [] as AgentLoadRow[] };
  if (portal.type !== "pick-agent") {
    // Only pick-agent pages list the agents; the others need one yes or no on every page view,
    // which must not cost a row per agent of the portal (hundreds, in a big team).
    const need = queued ? "present" : "available";
    const anyAvailable = await anyAgentAvailable(deps.db.kysely, deps.presence, portal.id, need);
    const agents: AgentLoadRow[] = [];
    return { anyAvailable, queued, agents };
  }
  const loads = await agentLoads(deps.db.kysely, deps.presence, portal.id);
  const anyAvailable = queued
    ? loads.some((a) => a.status !== "offline")
    : loads.some((a) => a.status === "available");
  return { anyAvailable, queued, agents: loads };
}
