import type { ChatMessage } from "../../shared/protocol.js";
import { channels } from "../bus/bus.js";
import { checkMessageBody } from "../domain/chat.js";
import { DomainError, notFound } from "../domain/errors.js";
import { markIdle } from "../store/agents.js";
import { findRequest, markEnded } from "../store/requests.js";
import { appendMessage, endSessionRow } from "../store/sessions.js";
import { sessionFor } from "./access.js";
import type { Deps, Party } from "./context.js";

/** Written (with the session's next sequence number) before anyone is told, so an ack means durable. */
export async function sendMessage(
  deps: Deps,
  party: Party,
  sessionId: string,
  body: string,
): Promise<ChatMessage> {
  const text = checkMessageBody(body);
  const session = await sessionFor(deps, party, sessionId);
  if (session.endedAt !== null) throw new DomainError(409, "session_ended", "This session has ended.");
  const sender = party.kind === "agent" ? "agent" : "customer";
  const authorName = party.kind === "agent" ? party.actor.user.displayName : party.name;
  const message = await deps.db.kysely
    .transaction()
    .execute((trx) =>
      appendMessage(trx, session.accountId, sessionId, { sender, authorName, body: text, at: deps.now() }),
    );
  if (!message) throw notFound("Session");
  // The chat message itself is the hot path and no one else reacts to it: straight to both sides.
  const event = {
    type: "message" as const,
    sessionId,
    requestId: session.requestId,
    agentId: session.agentId,
    message,
  };
  await deps.bus.publish(channels.user(session.agentId), event);
  await deps.bus.publish(channels.request(session.requestId), event);
  return message;
}

/** Either side ends the session; the other side is told. Ending twice is harmless. */
export async function endSession(deps: Deps, party: Party, sessionId: string): Promise<void> {
  const session = await sessionFor(deps, party, sessionId);
  const now = deps.now();
  const ended = await deps.db.kysely.transaction().execute(async (trx) => {
    const ok = await endSessionRow(trx, session.accountId, sessionId, now, party.kind);
    if (ok) {
      await markEnded(trx, session.accountId, session.requestId, now);
      await markIdle(trx, session.agentId, now);
    }
    return ok;
  });
  if (!ended) return;
  const request = await findRequest(deps.db.kysely, session.accountId, session.requestId);
  await deps.events.emit({ type: "session.ended", session, request, endedBy: party.kind, endedAt: now });
}
