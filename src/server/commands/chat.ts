import type { ChatMessage } from "../../shared/protocol.js";
import { channels } from "../bus/bus.js";
import { checkMessageBody } from "../domain/chat.js";
import { notFound, sessionEnded } from "../domain/errors.js";
import type { ClosedAlert } from "../events/events.js";
import { assertMayChat, assertMayNote, assertOwner } from "../policy.js";
import { markIdle } from "../store/agents.js";
import { findRequest, markEnded } from "../store/requests.js";
import { appendMessage, endSessionRow } from "../store/sessions.js";
import { cancelPendingTransfer, endMemberships } from "../store/team.js";
import { sessionAccess } from "./access.js";
import type { Deps, Party } from "./context.js";

/** Written (with the session's next sequence number) before anyone is told, so an ack means durable. */
export async function sendMessage(
  deps: Deps,
  party: Party,
  sessionId: string,
  body: string,
): Promise<ChatMessage> {
  const text = checkMessageBody(body);
  const { session, role } = await sessionAccess(deps, party, sessionId);
  assertMayChat(role);
  if (session.endedAt !== null) throw sessionEnded();
  const sender = party.kind === "agent" ? "agent" : "customer";
  const authorName = party.kind === "agent" ? party.actor.user.displayName : party.name;
  const authorId = party.kind === "agent" ? party.actor.user.id : null;
  const message = await deps.db.kysely
    .transaction()
    .execute((trx) =>
      appendMessage(
        trx,
        session.accountId,
        sessionId,
        { sender, authorName, body: text, at: deps.now() },
        authorId,
      ),
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
  await deps.bus.publish(channels.session(sessionId), event);
  await deps.bus.publish(channels.request(session.requestId), event);
  return message;
}

/**
 * A private note: stored in the chat's sequence with visibility "agents", published only on the
 * session's agents' channel — never on the customer's, and never in what the customer can read.
 */
export async function sendNote(
  deps: Deps,
  party: Party,
  sessionId: string,
  body: string,
): Promise<ChatMessage> {
  const text = checkMessageBody(body);
  const { session, role } = await sessionAccess(deps, party, sessionId);
  assertMayNote(role);
  if (party.kind !== "agent") throw notFound("Session");
  if (session.endedAt !== null) throw sessionEnded();
  const user = party.actor.user;
  const message = await deps.db.kysely
    .transaction()
    .execute((trx) =>
      appendMessage(
        trx,
        session.accountId,
        sessionId,
        { sender: "note", authorName: user.displayName, body: text, at: deps.now(), visibility: "agents" },
        user.id,
      ),
    );
  if (!message) throw notFound("Session");
  await deps.bus.publish(channels.session(sessionId), {
    type: "message",
    sessionId,
    requestId: session.requestId,
    agentId: session.agentId,
    message,
  });
  return message;
}

/**
 * The owner or the customer ends the session; everyone else in it is told. Ending twice is
 * harmless. Colleagues in it and open invitations or a transfer end with it.
 */
export async function endSession(deps: Deps, party: Party, sessionId: string): Promise<void> {
  const { session, role } = await sessionAccess(deps, party, sessionId);
  if (role !== "customer") assertOwner(role, "end it (leave it instead)");
  const now = deps.now();
  const closedAlerts: ClosedAlert[] = [];
  const done = await deps.db.kysely.transaction().execute(async (trx) => {
    const ok = await endSessionRow(trx, session.accountId, sessionId, now, party.kind);
    if (!ok) return null;
    await markEnded(trx, session.accountId, session.requestId, now);
    await markIdle(trx, session.agentId, now);
    const members = await endMemberships(trx, sessionId, now);
    const transfer = await cancelPendingTransfer(trx, sessionId, now);
    if (transfer) closedAlerts.push(transfer);
    for (const m of members)
      if (m.state === "invited") closedAlerts.push({ id: m.id, recipients: [m.userId] });
    const event = {
      type: "session.ended" as const,
      session,
      request: await findRequest(trx, session.accountId, session.requestId),
      endedBy: party.kind,
      endedAt: now,
      closedAlerts,
      members: members.filter((m) => m.state === "joined").map((m) => m.userId),
    };
    await deps.events.stage(trx, event);
    return event;
  });
  if (done) await deps.events.emit(done);
}
