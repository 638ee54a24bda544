import { LIMITS } from "../../shared/model.js";
import type { ChatMessage } from "../../shared/protocol.js";
import { channels } from "../bus/bus.js";
import { DomainError, fieldError, notFound } from "../domain/errors.js";
import { findRequest, markEnded } from "../store/requests.js";
import {
  appendMessage,
  endSessionRow,
  findSession,
  listMessages,
  type SessionRecord,
} from "../store/sessions.js";
import { findUserById } from "../store/users.js";
import { capacityChanged } from "./agents.js";
import type { Actor, Deps } from "./context.js";
import { publishUpdate } from "./requests.js";

export type Party = { kind: "agent"; actor: Actor } | { kind: "customer"; accountId: string; name: string };

function accountOf(party: Party): string {
  if (party.kind === "customer") return party.accountId;
  if (!party.actor.user.accountId) throw notFound("Session");
  return party.actor.user.accountId;
}

/** The session, if this party belongs in it: its agent, or the customer whose request it is. */
export async function sessionFor(deps: Deps, party: Party, sessionId: string): Promise<SessionRecord> {
  const session = await findSession(deps.db.kysely, accountOf(party), sessionId);
  if (!session) throw notFound("Session");
  if (party.kind === "agent" && session.agentId !== party.actor.user.id) throw notFound("Session");
  return session;
}

export function checkMessageBody(body: string): string {
  const text = body.trim();
  if (text === "") throw fieldError(400, "body", "required", "Type a message first.");
  if (body.length > LIMITS.chatMessage) {
    throw fieldError(
      400,
      "body",
      "too_long",
      `A message can have at most ${LIMITS.chatMessage} characters; this one has ${body.length}.`,
      {
        limit: LIMITS.chatMessage,
      },
    );
  }
  return body;
}

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

export async function messagesSince(
  deps: Deps,
  party: Party,
  sessionId: string,
  since: number,
): Promise<ChatMessage[]> {
  const session = await sessionFor(deps, party, sessionId);
  return listMessages(deps.db.kysely, session.accountId, sessionId, since);
}

/** Either side ends the session; the other side is told. Ending twice is harmless. */
export async function endSession(deps: Deps, party: Party, sessionId: string): Promise<void> {
  const session = await sessionFor(deps, party, sessionId);
  const now = deps.now();
  const ended = await deps.db.kysely.transaction().execute(async (trx) => {
    const ok = await endSessionRow(trx, session.accountId, sessionId, now, party.kind);
    if (ok) await markEnded(trx, session.accountId, session.requestId, now);
    return ok;
  });
  if (!ended) return;
  await deps.db.kysely
    .updateTable("users")
    .set({ idle_since: now })
    .where("id", "=", session.agentId)
    .execute();
  const event = {
    type: "session.ended" as const,
    sessionId,
    requestId: session.requestId,
    agentId: session.agentId,
    endedAt: now,
    endedBy: party.kind,
  };
  await deps.bus.publish(channels.user(session.agentId), event);
  await deps.bus.publish(channels.request(session.requestId), event);
  const request = await findRequest(deps.db.kysely, session.accountId, session.requestId);
  if (request) await publishUpdate(deps, request);
  const agent = await findUserById(deps.db.kysely, session.agentId);
  if (agent) await capacityChanged(deps, session.accountId, agent.id, agent.portalIds);
}
