/**
 * The benchmark's idle customers: a helper process (see lib/helper.ts) that opens customer page
 * sockets when asked and keeps them open, answering the server's pings as a browser would.
 */
import type WebSocket from "ws";
import { Fleet, type SocketSpec } from "./lib/fleet.js";
import { serveHelper } from "./lib/helper.js";
import { pool } from "./lib/util.js";

const fleet = new Fleet();
const sockets: WebSocket[] = [];

const answer = () => ({ open: sockets.length, errors: fleet.errors, examples: fleet.errorExamples });

serveHelper(async (message) => {
  switch (message.type) {
    case "open": {
      const specs = message.specs as SocketSpec[];
      // Opened means the server has sent the page its first message (the request's status).
      sockets.push(...(await pool(specs.length, 64, (i) => fleet.open(specs[i] as SocketSpec, () => {}))));
      return answer();
    }
    case "close":
      for (const ws of sockets.splice(0)) ws.terminate();
      return answer();
    default:
      throw new Error(`unknown request ${String(message.type)}`);
  }
});
