import type { Reaction } from "../events/reactions.js";
import { notificationsReaction } from "./notifications.js";
import { webhooksReaction } from "./webhooks.js";

/** What the staged reactions queue leaves at once: after the commit, this node's outbox looks now. */
export const outboxWakeReaction: Reaction = {
  name: "outboxWake",
  on: [...new Set([...webhooksReaction.on, ...notificationsReaction.on])],
  async run(deps) {
    deps.outbox.wake();
  },
};
