import type http from "node:http";
import type { Duplex } from "node:stream";

/** What a client is told to wait before it asks again, while this node drains (a load balancer has moved on by then). */
export const DRAIN_RETRY_AFTER_SECONDS = 1;

const REFUSAL = JSON.stringify({
  error: "unavailable",
  message: "This server is restarting. Please try again in a moment.",
});

/** What the drain left unfinished when its time ran out (logged by main.ts before it exits anyway). */
export interface DrainLeft {
  /** HTTP requests still being answered. */
  requests: number;
  /** TCP connections still open (keep-alive HTTP and WebSockets). */
  connections: number;
}

/**
 * The HTTP side of a drain (SIGTERM/SIGINT, main.ts): from `start()` on, every request that still
 * reaches this node — on a keep-alive connection opened before, or a new connection in the moment
 * before the listener closes — is answered `503` with `Retry-After` and `Connection: close`
 * without being handled, and so is a WebSocket upgrade; requests already being handled finish,
 * each on a connection that closes after its answer. Counts the requests in flight from the
 * start, so a drain cut short can say what it cut.
 */
export class DrainGate {
  private readonly inFlight = new Set<http.ServerResponse>();
  private draining = false;
  private idleSweep: NodeJS.Timeout | null = null;

  constructor(private readonly server: http.Server) {
    // First of the request listeners: counted before Fastify sees the request.
    server.prependListener("request", (_req: http.IncomingMessage, res: http.ServerResponse) => {
      if (this.draining) return;
      this.inFlight.add(res);
      res.once("close", () => this.inFlight.delete(res));
    });
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** From now on nothing new is handled; call before the server closes (there is no way back). */
  start(): void {
    if (this.draining) return;
    this.draining = true;
    // Fastify's own listeners are taken off: what arrives now is refused, never half handled.
    this.server.removeAllListeners("request");
    this.server.on("request", refuse);
    this.server.removeAllListeners("upgrade");
    this.server.on("upgrade", refuseUpgrade);
    // The answers still to come end their connections; connections that are idle now or become
    // idle later are closed (Node closes the idle ones once, when the server closes).
    for (const res of this.inFlight) {
      if (!res.headersSent) res.setHeader("connection", "close");
    }
    // No new connections from now on: a load balancer retries a refused connection elsewhere for
    // any method, which it does not do for a POST answered 503. (Fastify's close later finds the
    // listener closed, which it expects.)
    this.server.close(() => {});
    this.server.closeIdleConnections();
    this.idleSweep = setInterval(() => this.server.closeIdleConnections(), 100);
    this.idleSweep.unref();
    this.server.once("close", () => this.stop());
  }

  private stop(): void {
    if (this.idleSweep) clearInterval(this.idleSweep);
    this.idleSweep = null;
  }

  /** What is still open. */
  left(): Promise<DrainLeft> {
    return new Promise((resolve) => {
      this.server.getConnections((err, count) => {
        resolve({ requests: this.inFlight.size, connections: err ? -1 : count });
      });
    });
  }
}

/** While draining, the probes still say what is true: alive, and not ready (draining). */
const DRAINING_READY = JSON.stringify({ ok: false, checks: { draining: true }, failing: ["draining"] });

function refuse(req: http.IncomingMessage, res: http.ServerResponse): void {
  const path = (req.url ?? "").split("?")[0];
  if (path === "/livez") {
    const body = JSON.stringify({ ok: true });
    res.writeHead(200, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(body),
      "cache-control": "no-store",
      connection: "close",
    });
    res.end(body);
    return;
  }
  const body = path === "/readyz" ? DRAINING_READY : REFUSAL;
  res.writeHead(503, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "retry-after": String(DRAIN_RETRY_AFTER_SECONDS),
    "cache-control": "no-store",
    connection: "close",
  });
  res.end(body);
}

function refuseUpgrade(_req: http.IncomingMessage, socket: Duplex): void {
  socket.on("error", () => socket.destroy());
  socket.end(
    [
      "HTTP/1.1 503 Service Unavailable",
      "Content-Type: application/json; charset=utf-8",
      `Content-Length: ${Buffer.byteLength(REFUSAL)}`,
      `Retry-After: ${DRAIN_RETRY_AFTER_SECONDS}`,
      "Cache-Control: no-store",
      "Connection: close",
      "",
      REFUSAL,
    ].join("\r\n"),
  );
}
