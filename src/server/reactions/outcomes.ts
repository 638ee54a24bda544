import type { Reaction } from "../events/reactions.js";

/**
 * This node remembers what it just decided about a request (bus/requestOutcomes.ts): the accepts
 * queued behind the winning one on this node are answered "already taken by …" from memory.
 * (Decisions of other nodes arrive through the hub's tap in app.ts.)
 */
export const outcomesReaction: Reaction = {
  name: "outcomes",
  on: ["session.started", "request.closed"],
  async run(deps, events) {
    for (const e of events) {
      if (e.type !== "session.started" && e.type !== "request.closed") continue;
      const r = e.request;
      deps.outcomes.record(r.id, { accountId: r.accountId, state: r.state, agentName: r.agentName });
    }
  },
};
