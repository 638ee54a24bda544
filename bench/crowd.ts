/**
 * The benchmark's idle customers: a helper process (see lib/helper.ts) that opens customer page
 * sockets when asked and keeps them open, answering the server's pings as a browser would.
 */
import WebSocket from "ws";
import type { SocketSpec } from "./lib/fleet.js";
import { serveHelper } from "./lib/helper.js";
import { pool, withTimeout } from "./lib/util.js";

const sockets: WebSocket[] = [];
let errors = 0;
const examples: string[] = [];

function noteError(text: string): void {
  errors++;
  if (examples.length < 10) examples.push(text);
}

function openIdle(spec: SocketSpec): Promise<WebSocket> {
  return withTimeout(
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(spec.url, {
        headers: spec.headers,
        perMessageDeflate: false,
        handshakeTimeout: 30_000,
      });
      // Connected means the server has sent the page its first message (the request's status).
      ws.once("message", () => resolve(ws));
      ws.on("message", (data: WebSocket.RawData) => {
        const text = String(data);
        if (text.includes('"type":"error"')) noteError(`socket error message: ${text.slice(0, 200)}`);
      });
      ws.on("error", (err) => {
        noteError(`socket error: ${err.message}`);
        reject(err);
      });
      ws.once("close", (code, reason) =>
        reject(new Error(`socket closed before its first message: ${code} ${reason}`)),
      );
    }),
    30_000,
    `socket ${spec.url}`,
  );
}

serveHelper(async (message) => {
  switch (message.type) {
    case "open": {
      const specs = message.specs as SocketSpec[];
      const opened = await pool(specs.length, 64, (i) => openIdle(specs[i] as SocketSpec));
      sockets.push(...opened);
      return { open: sockets.length, errors, examples };
    }
    case "close":
      for (const ws of sockets.splice(0)) ws.terminate();
      return { open: 0, errors, examples };
    default:
      throw new Error(`unknown request ${String(message.type)}`);
  }
});
