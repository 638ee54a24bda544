import { channels } from "../bus/bus.js";
import type { Deps } from "./context.js";

/**
 * Something customers see at the account's portals changed (settings, an agent's name, who can
 * take requests): every node drops the account's cached portal pages (http/portalPageCache.ts).
 */
export async function customerPagesChanged(deps: Deps, accountId: string): Promise<void> {
  await deps.bus.publish(channels.portalPages, { type: "portals.changed", accountId });
}
