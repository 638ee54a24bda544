import { channels } from "../bus/bus.js";
import type { DomainEvent } from "../events/events.js";
import type { Reaction } from "../events/reactions.js";

/**
 * Something customers see at an account's portals changed — settings, an agent's name or picture,
 * who can take requests (availability, limits, sign-ins, sessions starting and ending): every node
 * drops the account's cached portal pages (http/portalPageCache.ts). Once per account per batch.
 */
function accountOf(e: DomainEvent): string | null {
  switch (e.type) {
    case "portals.changed":
    case "agent.capacityChanged":
      return e.accountId;
    case "session.started":
      return e.request.accountId;
    case "session.ended":
      return e.session.accountId;
    default:
      return null;
  }
}

export const portalPagesReaction: Reaction = {
  name: "portalPages",
  on: ["portals.changed", "agent.capacityChanged", "session.started", "session.ended"],
  async run(deps, events) {
    const accounts = new Set<string>();
    for (const e of events) {
      const accountId = accountOf(e);
      if (accountId) accounts.add(accountId);
    }
    for (const accountId of accounts) {
      await deps.bus.publish(channels.portalPages, { type: "portals.changed", accountId });
    }
  },
};
