/**
 * The floor: a bare `ws` server that does no database work, no permission checks and no
 * per-recipient filtering — it only forwards the same messages Helpgate sends to the same number of
 * sockets. Run as its own process by bench/run.ts (`PORT=… tsx bench/baseline.ts`).
 *
 * - POST /api/v1/portals/:slug/requests → 201 {requestId}; the alert goes to every agent socket.
 * - POST /api/v1/requests/:id/accept (x-bench-agent: <index>) → 200 for the first, 409 after;
 *   request.updated (accepted) goes to every agent socket.
 * - /ws?agent=<index> an agent; /ws?request=<id>[&agent=<index>] a customer (with an agent: a chat
 *   session). {type:"send"} is written to both sides' sockets as {type:"message"}, then acked.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import { type WebSocket, WebSocketServer } from "ws";

interface BaselineRequest {
  view: Record<string, unknown>;
  state: "waiting" | "accepted";
  agentIndex: number | null;
}

interface ChatSession {
  customer: WebSocket;
  agentIndex: number;
  seq: number;
}

interface SendMessage {
  type?: unknown;
  sessionId?: unknown;
  body?: unknown;
  ref?: unknown;
}

/** Agent ids as the load generator knows them for this server (bench/lib/drivers.ts agrees). */
function baselineAgentId(index: number): string {
  return `agent-${index}`;
}

const agents = new Map<number, WebSocket>();
const requests = new Map<string, BaselineRequest>();
const sessions = new Map<string, ChatSession>();
let sessionCounter = 100_000_000;

function toAllAgents(text: string): void {
  for (const ws of agents.values()) if (ws.readyState === ws.OPEN) ws.send(text);
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {});
      } catch (err) {
        reject(err);
      }
    });
    req.on("error", reject);
  });
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const submit = /^\/api\/v1\/portals\/([^/]+)\/requests$/.exec(url.pathname);
  const accept = /^\/api\/v1\/requests\/([^/]+)\/accept$/.exec(url.pathname);
  if (req.method === "GET" && url.pathname === "/healthz") return reply(res, 200, { ok: true });
  if (req.method === "POST" && submit) {
    readJson(req)
      .then((raw) => {
        const values = ((raw as { values?: Record<string, string> }).values ?? {}) as Record<string, string>;
        const now = Date.now();
        const id = randomUUID();
        const sessionNumber = String(sessionCounter++);
        // The same fields as Helpgate's RequestView, so the alert has the same size on the wire.
        const request = {
          id,
          sessionNumber,
          sessionId: sessionNumber,
          portalId: "00000000-0000-4000-8000-000000000001",
          portalName: "Bench — ask a question",
          kind: "broadcast",
          state: "waiting",
          targetAgentId: null,
          customerName: values.name ?? "",
          customerEmail: values.email ?? "",
          question: values.question ?? "",
          contact: {},
          createdAt: now,
          deadlineAt: now + 600_000,
          agentId: null,
          agentName: null,
          stateAt: now,
        };
        requests.set(id, { view: request, state: "waiting", agentIndex: null });
        toAllAgents(JSON.stringify({ type: "alert", request }));
        reply(res, 201, { requestId: id, sessionNumber, sessionId: sessionNumber, url: `/r/${id}` });
      })
      .catch(() => reply(res, 400, { error: "bad_request" }));
    return;
  }
  if (req.method === "POST" && accept) {
    const id = accept[1] ?? "";
    const agentIndex = Number(req.headers["x-bench-agent"]);
    req.resume();
    req.on("end", () => {
      const r = requests.get(id);
      if (!r) return reply(res, 404, { error: "not_found" });
      if (r.state !== "waiting") {
        return reply(res, 409, {
          error: "already_taken",
          message: `Already taken by Agent ${r.agentIndex}.`,
        });
      }
      r.state = "accepted";
      r.agentIndex = agentIndex;
      const now = Date.now();
      const request = {
        ...r.view,
        state: "accepted",
        agentId: baselineAgentId(agentIndex),
        agentName: `Agent ${agentIndex}`,
        stateAt: now,
      };
      toAllAgents(JSON.stringify({ type: "request.updated", request }));
      reply(res, 200, {
        id,
        request,
        agentId: request.agentId,
        agentName: request.agentName,
        startedAt: now,
      });
    });
    return;
  }
  req.resume();
  reply(res, 404, { error: "not_found" });
});

const wss = new WebSocketServer({ server, path: "/ws", maxPayload: 64 * 1024 });
wss.on("connection", (ws, req) => {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const agentParam = url.searchParams.get("agent");
  const requestId = url.searchParams.get("request");
  ws.on("error", () => {});
  if (requestId === null && agentParam !== null) {
    const index = Number(agentParam);
    agents.set(index, ws);
    ws.on("close", () => {
      if (agents.get(index) === ws) agents.delete(index);
    });
    ws.send(JSON.stringify({ type: "snapshot", snapshot: {} }));
  } else if (requestId !== null) {
    if (agentParam !== null) {
      sessions.set(requestId, { customer: ws, agentIndex: Number(agentParam), seq: 0 });
      ws.on("close", () => sessions.delete(requestId));
    }
    ws.send(JSON.stringify({ type: "status", status: { requestId, state: "ended" } }));
  } else {
    ws.close(4404, "unknown");
    return;
  }
  ws.on("message", (data: Buffer) => {
    let msg: SendMessage;
    try {
      msg = JSON.parse(data.toString("utf8")) as SendMessage;
    } catch {
      return;
    }
    if (msg.type !== "send" || typeof msg.body !== "string" || typeof msg.ref !== "string") return;
    const fromAgent = requestId === null;
    const sessionId = fromAgent ? String(msg.sessionId) : requestId;
    const session = sessions.get(sessionId);
    if (!session) return;
    session.seq += 1;
    const message = {
      seq: session.seq,
      sender: fromAgent ? "agent" : "customer",
      authorName: fromAgent ? `Agent ${session.agentIndex}` : "Customer",
      body: msg.body,
      at: Date.now(),
    };
    const agentSocket = agents.get(session.agentIndex);
    if (agentSocket?.readyState === agentSocket?.OPEN)
      agentSocket?.send(JSON.stringify({ type: "message", sessionId, message }));
    if (session.customer.readyState === session.customer.OPEN)
      session.customer.send(JSON.stringify({ type: "message", message }));
    ws.send(JSON.stringify({ type: "ack", ref: msg.ref, seq: session.seq }));
  });
});

const port = Number(process.env.PORT ?? 3999);
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`baseline listening on 127.0.0.1:${port}\n`);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    for (const ws of wss.clients) ws.terminate();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
