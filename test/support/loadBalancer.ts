import http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";

/**
 * A tiny real load balancer for cluster tests, behaving like the README's nginx and HAProxy
 * examples: round robin over the nodes whose `/readyz` answered 200 at the last poll (every
 * `pollMs`), no sticky sessions, WebSocket upgrades tunnelled. Like nginx's
 * `proxy_next_upstream error timeout http_503` it tries the next node when a node refuses the
 * connection (any method: nothing was sent), resets a reused keep-alive connection (the node
 * closed it idle, so it never read the request), or answers an idempotent request (GET, HEAD, a
 * WebSocket upgrade) with 503; a 503 to a POST goes back to the client as it is. A node that
 * refuses is taken out at once, until its next poll says ready. Request bodies are buffered (as
 * nginx does) so they can be sent again. Every answer given to a client is recorded.
 */

export interface Answer {
  method: string;
  path: string;
  status: number;
  retryAfter: string | null;
  /** The node that answered, or null when the balancer answered itself (no node ready: 502). */
  node: string | null;
}

interface Backend {
  url: string;
  host: string;
  port: number;
  ready: boolean;
}

interface Tunnel {
  /** The `hgtest` query parameter of the upgrade (test clients name themselves with it), if any. */
  label: string | null;
  node: string;
}

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
]);

function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
  return out;
}

export class LoadBalancer {
  readonly answers: Answer[] = [];
  private backends: Backend[] = [];
  /** Requests and WebSocket upgrades take turns apart, so sockets spread whatever the calls around them. */
  private readonly turns = { request: 0, upgrade: 0 };
  private readonly tunnels = new Map<Duplex, Tunnel>();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private poller: NodeJS.Timeout | null = null;
  private polling = false;

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    private readonly pollMs: number,
  ) {}

  static async start(pollMs = 100): Promise<LoadBalancer> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const lb = new LoadBalancer(server, `http://127.0.0.1:${port}`, pollMs);
    server.on("request", (req, res) => void lb.onRequest(req, res));
    server.on("upgrade", (req, socket, head) => void lb.onUpgrade(req, socket, head));
    lb.poller = setInterval(() => void lb.poll(), pollMs);
    return lb;
  }

  /** The nodes to balance over (e.g. `http://127.0.0.1:4001`); each starts out of rotation until polled ready. */
  setNodes(urls: string[]): void {
    this.backends = urls.map((url) => {
      const u = new URL(url);
      const known = this.backends.find((b) => b.url === url);
      return { url, host: u.hostname, port: Number(u.port), ready: known?.ready ?? false };
    });
  }

  /** Whether the node is in rotation now. */
  isReady(url: string): boolean {
    return this.backends.find((b) => b.url === url)?.ready ?? false;
  }

  /** The labels of the WebSocket tunnels open to this node now. */
  labelsOn(node: string): string[] {
    return [...this.tunnels.values()].flatMap((t) => (t.node === node && t.label !== null ? [t.label] : []));
  }

  async close(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    for (const socket of this.tunnels.keys()) socket.destroy();
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      await Promise.all(
        this.backends.map(async (b) => {
          b.ready = await probe(b, Math.max(200, this.pollMs * 4));
        }),
      );
    } finally {
      this.polling = false;
    }
  }

  /** The ready nodes, starting at the next one in turn. */
  private candidates(kind: "request" | "upgrade"): Backend[] {
    const ready = this.backends.filter((b) => b.ready);
    if (ready.length === 0) return [];
    const start = this.turns[kind]++ % ready.length;
    return [...ready.slice(start), ...ready.slice(0, start)];
  }

  private record(req: http.IncomingMessage, status: number, retryAfter: string | null, node: string | null) {
    this.answers.push({ method: req.method ?? "", path: req.url ?? "", status, retryAfter, node });
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const idempotent = req.method === "GET" || req.method === "HEAD";
    const nodes = this.candidates("request");
    for (const [i, b] of nodes.entries()) {
      const last = i === nodes.length - 1;
      const outcome = await this.forward(b, req, body);
      if (outcome === "retry") {
        b.ready = false;
        continue;
      }
      if (outcome === "failed") break;
      const answer = outcome.response;
      if (answer.statusCode === 503 && idempotent && !last) {
        answer.resume();
        continue;
      }
      const status = answer.statusCode ?? 502;
      const retryAfter =
        typeof answer.headers["retry-after"] === "string" ? answer.headers["retry-after"] : null;
      this.record(req, status, retryAfter, b.url);
      res.writeHead(status, endToEnd(answer.headers));
      answer.pipe(res);
      return;
    }
    this.record(req, 502, null, null);
    res.writeHead(502, { "content-type": "text/plain" });
    res.end("no node answered");
  }

  private forward(
    b: Backend,
    req: http.IncomingMessage,
    body: Buffer,
  ): Promise<{ response: http.IncomingMessage } | "retry" | "failed"> {
    return new Promise((resolve) => {
      const out = http.request({
        host: b.host,
        port: b.port,
        method: req.method,
        path: req.url,
        headers: { ...endToEnd(req.headers), "content-length": String(body.length) },
        agent: this.agent,
      });
      out.once("response", (response) => resolve({ response }));
      out.once("error", (err: NodeJS.ErrnoException) => {
        // Refused: nothing was sent. Reset on a reused connection: the node closed it idle
        // (a drain does) before it read anything. Anything else would be a 502, as in nginx.
        resolve(
          err.code === "ECONNREFUSED" || (out.reusedSocket && err.code === "ECONNRESET") ? "retry" : "failed",
        );
      });
      out.end(body);
    });
  }

  private async onUpgrade(req: http.IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    client.on("error", () => client.destroy());
    const label = new URL(req.url ?? "/", "http://x").searchParams.get("hgtest");
    for (const b of this.candidates("upgrade")) {
      const tunnel = await openTunnel(b, req, head);
      if (tunnel === "refused") {
        b.ready = false;
        continue;
      }
      if (tunnel.status === 503) {
        tunnel.upstream.destroy();
        continue;
      }
      const retryAfter = /\r\nretry-after:\s*([^\r]*)/i.exec(tunnel.head.toString("latin1"))?.[1] ?? null;
      this.record(req, tunnel.status, retryAfter, b.url);
      client.write(tunnel.head);
      if (tunnel.status !== 101) {
        tunnel.upstream.pipe(client);
        return;
      }
      this.tunnels.set(client, { label, node: b.url });
      const up = tunnel.upstream;
      const done = () => {
        this.tunnels.delete(client);
        up.destroy();
        client.destroy();
      };
      up.on("close", done);
      client.on("close", done);
      up.pipe(client);
      client.pipe(up);
      return;
    }
    this.record(req, 502, null, null);
    client.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  }
}

async function probe(b: Backend, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: b.host, port: b.port, path: "/readyz", agent: false, timeout: timeoutMs },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
  });
}

/** Sends the upgrade request to a node and reads its answer's head (up to the blank line). */
function openTunnel(
  b: Backend,
  req: http.IncomingMessage,
  head: Buffer,
): Promise<"refused" | { status: number; head: Buffer; upstream: net.Socket }> {
  return new Promise((resolve) => {
    const upstream = net.connect(b.port, b.host);
    let got = Buffer.alloc(0);
    let settled = false;
    upstream.once("error", () => {
      if (!settled) {
        settled = true;
        resolve("refused");
      }
    });
    upstream.once("connect", () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
    });
    const onData = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      const end = got.indexOf("\r\n\r\n");
      if (end < 0) return;
      upstream.off("data", onData);
      upstream.pause();
      settled = true;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(got.toString("latin1"))?.[1] ?? 502);
      // Whatever came after the head (a first frame) goes to the client with it.
      resolve({ status, head: got, upstream });
    };
    upstream.on("data", onData);
    upstream.once("close", () => {
      if (!settled) {
        settled = true;
        resolve("refused");
      }
    });
  });
}
