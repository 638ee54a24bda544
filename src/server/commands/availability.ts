import { consoleAccount } from "../policy.js";
import { setAvailableRow } from "../store/agents.js";
import type { Actor, Deps } from "./context.js";

/** The agent's Available / Unavailable toggle; a real change is a capacity change (the queue moves). */
export async function setAvailability(deps: Deps, actor: Actor, available: boolean): Promise<boolean> {
  const accountId = consoleAccount(actor.user);
  const changed = await setAvailableRow(deps.db.kysely, accountId, actor.user.id, available, deps.now());
  await deps.events.emit(
    { type: "agent.availability", agentId: actor.user.id, available },
    ...(changed
      ? [
          {
            type: "agent.capacityChanged" as const,
            accountId,
            agentId: actor.user.id,
            portalIds: actor.user.portalIds,
          },
        ]
      : []),
  );
  return available;
}
