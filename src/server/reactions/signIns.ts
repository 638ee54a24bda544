import { channels } from "../bus/bus.js";
import type { Reaction } from "../events/reactions.js";

/**
 * A sign-in ended (sign-out, a disabled user, a password reset) or what a user's sign-ins stand
 * for changed (role, portals, limit): every node forgets what it cached for that user
 * (http/signInCache.ts), and every console socket of an ended sign-in closes itself with 4401 on
 * whichever node it is (hub/agentConnection.ts). A socket whose event is lost still finds out
 * from the database within seconds (AgentConnection re-checks its sign-in).
 */
export const signInsReaction: Reaction = {
  name: "signIns",
  on: ["user.changed", "user.signedOut"],
  async run(deps, events) {
    const users = new Set<string>();
    for (const e of events) {
      if (e.type !== "user.changed" && e.type !== "user.signedOut") continue;
      users.add(e.userId);
      if (e.type === "user.signedOut") {
        await deps.bus.publish(channels.user(e.userId), {
          type: "signed-out",
          userId: e.userId,
          ...(e.authSession !== undefined ? { authSession: e.authSession } : {}),
        });
      }
    }
    for (const userId of users) {
      // This node at once (its own bus message may come back late, or not while Redis is away) …
      deps.signIns.forgetUser(userId);
      // … and every other node.
      await deps.bus.publish(channels.signIns, { type: "sign-ins.changed", userId });
    }
  },
};
