import fastifyWebsocket from "@fastify/websocket";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { WebSocket } from "ws";
import { requestForCustomer } from "../commands/access.js";
import { hashToken } from "../commands/auth.js";
import type { Deps } from "../commands/context.js";
import { DomainError } from "../domain/errors.js";
import { AgentConnection } from "../hub/agentConnection.js";
import { CustomerConnection } from "../hub/customerConnection.js";
import type { Hub } from "../hub/hub.js";
import { MAX_SOCKET_MESSAGE_BYTES, socketSend } from "../hub/wire.js";
import { mayUseConsole } from "../policy.js";
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
 */
export async function installRealtime(app: FastifyInstance, deps: Deps, hub: Hub): Promise<void> {
  await app.register(fastifyWebsocket, {
    options: { maxPayload: MAX_SOCKET_MESSAGE_BYTES },
    // An oversize frame is logged once at warn, without a stack (see socketErrors.ts).
    errorHandler: socketErrorHandler(),
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
      let live: Live | null = null;
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
        const raw = isBinary ? "" : data.toString("utf8");
        if (!admitMessage(ticket, socket, raw, deps.now())) return;
        if (live) handle(live, raw);
        else pending.push(raw);
      });
      socket.on("close", () => {
        ticket.release();
        clearInterval(beat);
        if (live) void live.close().catch(() => {});
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
            record = await requestForCustomer(deps, requestId, token);
          } catch (err) {
            if (err instanceof DomainError) return refuse(4404, "Request not found.");
            throw err;
          }
          const conn = new CustomerConnection(deps, hub, socket, record, token as string);
          const since = Number(request.query.since ?? "0");
          await conn.open(Number.isFinite(since) && since >= 0 ? since : 0);
          live = conn;
        } else {
          if (!request.actor || !mayUseConsole(request.actor.user)) {
            return refuse(4401, "Please sign in to the console.");
          }
          const conn = new AgentConnection(deps, hub, socket, request.actor, request.authSession);
          await conn.open();
          live = conn;
        }
        if (socket.readyState !== socket.OPEN) {
          await live.close();
          return;
        }
        for (const raw of pending.splice(0)) handle(live, raw);
        await turn;
      };
      start().catch((err: unknown) => {
        deps.log.error({ err }, "socket start failed");
        refuse(1011, "Something went wrong; reconnecting may help.");
      });
    },
  );
}
