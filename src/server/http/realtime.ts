import type { IncomingMessage } from "node:http";
import fastifyWebsocket from "@fastify/websocket";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { WebSocket } from "ws";
import { DRAINING_CLOSE } from "../../shared/closeCodes.js";
import { requestForCustomer } from "../commands/access.js";
import { hashToken } from "../commands/auth.js";
import type { Deps } from "../commands/context.js";
import { DomainError } from "../domain/errors.js";
import { AgentConnection } from "../hub/agentConnection.js";
import { CustomerConnection } from "../hub/customerConnection.js";
import type { Hub } from "../hub/hub.js";
import { MAX_SOCKET_MESSAGE_BYTES, socketSend } from "../hub/wire.js";
import { mayUseConsole } from "../policy.js";
import { leaveRequestScope, requestIdOfRaw } from "./logging.js";
import { customerToken, isOwnOrigin, SESSION_COOKIE } from "./session.js";
import { socketErrorHandler } from "./socketErrors.js";
import { admitMessage, admitSocket, SocketLimits } from "./socketLimits.js";

const HEARTBEAT_MS = 25_000;

interface Live {
  onMessage(raw: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * `GET /ws`: one socket per browser. Agents are known by their session cookie; a customer by
 * `?request=<id>` and the token cookie set when they asked for help. Same-origin only.
 *
 * When the server closes (a drain: SIGTERM/SIGINT, main.ts), every socket finishes the message it
 * is handling (its ack goes out), handles nothing that arrives after, and is closed with
 * DRAINING_CLOSE (4503): the browser reconnects at once, through the load balancer, to another
 * node. The server finishes closing only after each socket's own close (presence, time signed
 * in) has run, so nothing of it meets a closed database.
 */
export async function installRealtime(app: FastifyInstance, deps: Deps, hub: Hub): Promise<void> {
  /** Every socket of this node, by what drains it. */
  const open = new Set<() => Promise<void>>();
  /** Connections' close() still running. */
  const closing = new Set<Promise<void>>();
  const closeLive = (conn: Live): Promise<void> => {
    const done = conn.close().catch(() => {});
    closing.add(done);
    void done.finally(() => closing.delete(done));
    return done;
  };
  await app.register(fastifyWebsocket, {
    options: { maxPayload: MAX_SOCKET_MESSAGE_BYTES },
    // An oversize frame is logged once at warn, without a stack (see socketErrors.ts).
    errorHandler: socketErrorHandler(),
    // In place of the plugin's own (a bare close, which the browser answers with backoff).
    preClose: async () => {
      app.websocketServer.close();
      await Promise.all([...open].map((drain) => drain()));
    },
  });
  app.addHook("onClose", async () => {
    await Promise.all([...closing]);
  });
  // The upgrade's answer carries the request's id like every other answer.
  app.websocketServer.on("headers", (headers: string[], raw: IncomingMessage) => {
    const id = requestIdOfRaw(raw);
    if (id !== undefined) headers.push(`X-Request-Id: ${id}`);
  });
  const limits = new SocketLimits(deps.config.socketLimits);

  app.get<{ Querystring: { request?: string; since?: string } }>(
    "/ws",
    { websocket: true, schema: { hide: true } },
    (socket: WebSocket, request: FastifyRequest<{ Querystring: { request?: string; since?: string } }>) => {
      // Abuse limits (socketLimits.ts): sockets per sign-in (a customer's request, an agent's
      // cookie) and per address, then every inbound message through the buckets.
      const cookie = request.cookies[SESSION_COOKIE];
      const signIn =
        request.query.request !== undefined
          ? `request:${request.query.request}`
          : cookie
            ? `sign-in:${hashToken(cookie)}`
            : null;
      const ticket = admitSocket(limits, socket, signIn, request.ip, deps.now());
      if (!ticket) return;
      // Everything the connection logs, its commands' lines too, carries the upgrade's reqId; the
      // upgrade's ambient scope ends now (an upgrade never sees onResponse).
      leaveRequestScope(request);
      const socketDeps: Deps = { ...deps, log: request.log };
      let live: Live | null = null;
      let draining = false;
      const pending: string[] = [];
      let alive = true;
      const beat = setInterval(() => {
        if (!alive) {
          socket.terminate();
          return;
        }
        alive = false;
        socket.ping();
      }, HEARTBEAT_MS);
      socket.on("pong", () => {
        alive = true;
      });
      const refuse = (code: number, message: string) => {
        socketSend(socket, { type: "error", code: "refused", message });
        socket.close(code, message.slice(0, 120));
      };
      // One message at a time, in the order they came: two chat messages sent in quick succession
      // get their sequence numbers in the order they were typed.
      let turn: Promise<void> = Promise.resolve();
      const handle = (conn: Live, raw: string) => {
        turn = turn.then(() => conn.onMessage(raw)).catch(() => {});
      };
      socket.on("message", (data: Buffer, isBinary: boolean) => {
        // Draining: not handled, so not acknowledged; the page keeps it and offers it again.
        if (draining) return;
        const raw = isBinary ? "" : data.toString("utf8");
        if (!admitMessage(ticket, socket, raw, deps.now())) return;
        if (live) handle(live, raw);
        else pending.push(raw);
      });
      // Resolved once the socket has closed and its connection's own close() (presence, time
      // signed in) has run: a drain waits for it, so none of it meets a closed database.
      let finished: () => void = () => {};
      const closedAndCleaned = new Promise<void>((resolve) => {
        finished = resolve;
      });
      let starting: Promise<void> = Promise.resolve();
      const drain = async () => {
        draining = true;
        // A connection still opening finishes opening (or closes itself) first.
        await starting;
        await turn;
        if (socket.readyState === socket.OPEN) socket.close(DRAINING_CLOSE, "draining");
        await closedAndCleaned;
      };
      open.add(drain);
      socket.on("close", () => {
        open.delete(drain);
        ticket.release();
        clearInterval(beat);
        const cleaned = live ? closeLive(live) : Promise.resolve();
        void cleaned.finally(finished);
      });
      socket.on("error", () => {});

      const start = async () => {
        if (!isOwnOrigin(request, deps))
          return refuse(4403, "This socket must be opened from Helpgate's own pages.");
        const requestId = request.query.request;
        if (requestId !== undefined) {
          const token = customerToken(request, requestId);
          let record: Awaited<ReturnType<typeof requestForCustomer>>;
          try {
            record = await requestForCustomer(socketDeps, requestId, token);
          } catch (err) {
            if (err instanceof DomainError) return refuse(4404, "Request not found.");
            throw err;
          }
          const conn = new CustomerConnection(socketDeps, hub, socket, record, token as string);
          const since = Number(request.query.since ?? "0");
          await conn.open(Number.isFinite(since) && since >= 0 ? since : 0);
          live = conn;
        } else {
          if (!request.actor || !mayUseConsole(request.actor.user)) {
            return refuse(4401, "Please sign in to the console.");
          }
          const conn = new AgentConnection(socketDeps, hub, socket, request.actor, request.authSession);
          await conn.open();
          live = conn;
        }
        if (socket.readyState !== socket.OPEN) {
          await closeLive(live);
          return;
        }
        for (const raw of pending.splice(0)) handle(live, raw);
        await turn;
      };
      starting = start().catch((err: unknown) => {
        request.log.error({ err }, "socket start failed");
        refuse(1011, "Something went wrong; reconnecting may help.");
      });
    },
  );
}
