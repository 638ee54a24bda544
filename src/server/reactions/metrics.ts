import type { Reaction } from "../events/reactions.js";

/**
 * Counts what happened, for Prometheus (http/metrics.ts): sessions started (by the request's
 * kind) and ended (by who ended them), queue offers that timed out. Observability only — it
 * changes nothing, and a node without metrics (the CLI) has nothing to count. Reactions run once,
 * on the node that made the change, so the sum over the nodes is the cluster's figure.
 */
export const metricsReaction: Reaction = {
  name: "metrics",
  on: ["session.started", "session.ended", "offer.closed"],
  async run(deps, events) {
    const metrics = deps.metrics;
    if (!metrics) return;
    for (const e of events) {
      if (e.type === "session.started") metrics.sessionsStarted.inc({ kind: e.request.kind });
      else if (e.type === "session.ended") metrics.sessionsEnded.inc({ ended_by: e.endedBy });
      else if (e.type === "offer.closed" && e.reason === "timed-out") metrics.offersTimedOut.inc();
    }
  },
};
