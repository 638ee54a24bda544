import { WebSocket } from "ws";
import { DomainError } from "../domain/errors.js";
import { findForbiddenText, forbiddenTextMessage } from "../domain/text.js";

export const MAX_SOCKET_MESSAGE_BYTES = 64 * 1024;

export function socketSend(socket: WebSocket, msg: unknown): void {
  if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(msg));
}

/** Sends a message already serialized (a shared frame). */
export function socketSendText(socket: WebSocket, text: string): void {
  if (socket.readyState === WebSocket.OPEN) socket.send(text);
}

/**
 * What one bus event becomes on the wire when every socket that gets it gets the same message:
 * serialized once per event, not once per socket. An alert of a portal with 500 agents goes to
 * 500 console sockets; building and stringifying it 500 times was a third of the fan-out's cost.
 * Entries go with their event (a WeakMap), so nothing here outlives the delivery.
 */
export class SharedFrames<E extends object> {
  private readonly frames = new WeakMap<E, string>();

  constructor(private readonly message: (event: E) => unknown) {}

  of(event: E): string {
    let frame = this.frames.get(event);
    if (frame === undefined) {
      frame = JSON.stringify(this.message(event));
      this.frames.set(event, frame);
    }
    return frame;
  }
}

/**
 * The error a socket command's failure sends back (with the message's ref, if it had one): a
 * domain error as it is; anything else is reported through `unexpected` and answered vaguely.
 */
export function commandError(
  err: unknown,
  msg: object,
  unexpected: (err: unknown) => void,
): { type: "error"; code: string; message: string; ref?: string; params?: Record<string, string | number> } {
  const ref = "ref" in msg && typeof msg.ref === "string" ? msg.ref : undefined;
  if (err instanceof DomainError) {
    return {
      type: "error",
      code: err.code,
      message: err.message,
      ...(ref ? { ref } : {}),
      ...(err.params ? { params: err.params } : {}),
    };
  }
  unexpected(err);
  return {
    type: "error",
    code: "internal",
    message: "That did not work; please try again.",
    ...(ref ? { ref } : {}),
  };
}

/** The error frame a refused client message gets back. */
export interface BadMessageReply {
  type: "error";
  code: string;
  message: string;
  ref?: string;
}

function badMessage(
  message: string,
  code = "bad_message",
  ref?: string,
): { error: string; reply: BadMessageReply } {
  return { error: message, reply: { type: "error", code, message, ...(ref ? { ref } : {}) } };
}

/**
 * Parses a client message: JSON, an object, with one of the allowed types, and no control
 * characters in any of its text (the rule of `domain/text.ts`, as for HTTP bodies; answered as
 * a `validation` error naming the field, with the message's ref). Never throws.
 */
export function parseClientMessage<T extends { type: string }>(
  raw: string,
  types: readonly string[],
): { message: T } | { error: string; reply: BadMessageReply } {
  if (raw.length > MAX_SOCKET_MESSAGE_BYTES) return badMessage("Message too large.");
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return badMessage("Messages must be JSON.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return badMessage("Messages must be JSON objects with a type.");
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== "string" || !types.includes(type)) {
    return badMessage(`Unknown message type; expected one of: ${types.join(", ")}.`);
  }
  const problem = findForbiddenText(value);
  if (problem) {
    const ref = (value as { ref?: unknown }).ref;
    return badMessage(
      `${forbiddenTextMessage(problem)}.`,
      "validation",
      typeof ref === "string" && findForbiddenText(ref) === null ? ref : undefined,
    );
  }
  return { message: value as T };
}
