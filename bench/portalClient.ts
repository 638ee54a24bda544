/**
 * The portal page's HTTP client: a helper process (see lib/helper.ts) that runs autocannon or
 * the paced open-loop client against `GET /p/<slug>` when asked and answers with the figures.
 */
import { serveHelper } from "./lib/helper.js";
import type { Pids } from "./lib/phases.js";
import { portalPaced, portalRun } from "./lib/portal.js";

serveHelper(async (message) => {
  const url = String(message.url);
  const pids = message.pids as Pids;
  const seconds = Number(message.seconds);
  const rate = message.rate === null ? null : Number(message.rate);
  switch (message.type) {
    case "autocannon":
      return portalRun(url, pids, seconds, rate, Number(message.connections));
    case "paced":
      return portalPaced(url, pids, seconds, rate ?? 1000);
    default:
      throw new Error(`unknown request ${String(message.type)}`);
  }
});
