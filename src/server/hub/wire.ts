import { WebSocket } from "ws";

export const MAX_SOCKET_MESSAGE_BYTES = 64 * 1024;

export function socketSend(socket: WebSocket, msg: unknown): void {
  if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(msg));
}

/** Parses a client message: JSON, an object, with one of the allowed types. Never throws. */
export function parseClientMessage<T extends { type: string }>(
  raw: string,
  types: readonly string[],
): { message: T } | { error: string } {
  if (raw.length > MAX_SOCKET_MESSAGE_BYTES) return { error: "Message too large." };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { error: "Messages must be JSON." };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { error: "Messages must be JSON objects with a type." };
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== "string" || !types.includes(type)) {
    return { error: `Unknown message type; expected one of: ${types.join(", ")}.` };
  }
  return { message: value as T };
}
