import type { FastifyInstance, FastifyRequest } from "fastify";
import type { WebSocket } from "ws";

/** How many protocol faults of clients one node writes to its log per minute; the rest are counted. */
const WARNINGS_PER_MINUTE = 10;

export type SocketErrorHandler = (
  this: FastifyInstance,
  error: Error,
  socket: WebSocket,
  request: FastifyRequest,
) => void;

/**
 * What happens to an error on an open socket. A frame over the size limit, bad UTF-8, a bad
 * opcode (ws's `WS_ERR_*` codes) are the client's fault and anyone can send them: one warning
 * line without a stack (ws emits one error per socket and closes it with the matching code,
 * 1009 for an oversize frame), at most 10 a minute per node, with the count of those left out
 * on the next line. Anything else is ours: logged as an error, the socket terminated, as
 * @fastify/websocket's default does.
 */
export function socketErrorHandler(now: () => number = Date.now): SocketErrorHandler {
  let windowStart = Number.NEGATIVE_INFINITY;
  let logged = 0;
  let suppressed = 0;
  return function handle(this: FastifyInstance, error, socket, request) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("WS_ERR_")) {
      const t = now();
      if (t - windowStart >= 60_000) {
        windowStart = t;
        logged = 0;
      }
      if (logged >= WARNINGS_PER_MINUTE) {
        suppressed += 1;
        return;
      }
      logged += 1;
      request.log.warn(
        { wsError: code, reason: error.message, ...(suppressed > 0 ? { suppressedBefore: suppressed } : {}) },
        "websocket closed: the client broke the protocol",
      );
      suppressed = 0;
      return;
    }
    request.log.error({ err: error }, "websocket failed");
    socket.terminate();
  };
}
