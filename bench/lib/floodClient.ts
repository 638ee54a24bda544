/**
 * The `--overload` flood's HTTP client: a helper process (see helper.ts) that runs autocannon flat
 * out against one URL when asked and answers with what came back (served, shed, failed).
 */
import { serveHelper } from "./helper.js";
import { floodRun } from "./overload.js";

serveHelper(async (message) => {
  if (message.type !== "flood") throw new Error(`unknown request ${String(message.type)}`);
  return floodRun(String(message.url), Number(message.connections), Number(message.seconds));
});
