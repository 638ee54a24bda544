import { channels } from "../bus/bus.js";
import type { Deps } from "../commands/context.js";
import type { DomainEvent } from "../events/events.js";
import type { Reaction } from "../events/reactions.js";
import { queueLine, toOfferView } from "../queries/queue.js";
import { type RequestRecord, toView } from "../store/requests.js";

/**
 * Who is told what: every domain event becomes bus messages on the channels of the people it
 * concerns — an account's agents, one agent, one request's customer. Each node's hub then hands
 * each message only to the sockets whose person may see it (hub/agentConnection.ts).
 * The chat message and a live session's relays skip events and publish directly (commands/chat.ts,
 * commands/liveSession.ts): nothing else reacts to them.
 */

async function requestUpdated(deps: Deps, request: RequestRecord): Promise<void> {
  const view = toView(request);
  await deps.bus.publish(channels.account(request.accountId), { type: "request.updated", request: view });
  await deps.bus.publish(channels.request(request.id), { type: "request.updated", request: view });
}

async function announce(deps: Deps, e: DomainEvent): Promise<void> {
  switch (e.type) {
    case "request.submitted":
      // A queue request is offered to one agent at a time (the offer says so); the others see it
      // in their queue bar. Everything else rings the recipients' alert.
      if (e.request.kind === "queue") return requestUpdated(deps, e.request);
      return deps.bus.publish(channels.account(e.request.accountId), {
        type: "alert",
        recipients: e.recipients,
        request: toView(e.request),
      });
    case "request.closed":
    case "request.offline":
      return requestUpdated(deps, e.request);
    case "session.started":
      await requestUpdated(deps, e.request);
      return deps.bus.publish(channels.user(e.session.agentId), {
        type: "session.started",
        session: e.session,
      });
    case "session.ended": {
      const ended = {
        type: "session.ended" as const,
        sessionId: e.session.id,
        requestId: e.session.requestId,
        agentId: e.session.agentId,
        endedAt: e.endedAt,
        endedBy: e.endedBy,
      };
      // The owner on their own channel (always listened to, even in the instant before their
      // console joined the session's channel); colleagues and supervisors on the session's.
      await deps.bus.publish(channels.user(e.session.agentId), ended);
      if (e.members?.length) await deps.bus.publish(channels.session(e.session.id), ended);
      await deps.bus.publish(channels.request(e.session.requestId), ended);
      if (e.request) await requestUpdated(deps, e.request);
      return;
    }
    case "offer.made":
      return deps.bus.publish(channels.user(e.offer.agentId), {
        type: "offer",
        offer: toOfferView(e.offer, e.request),
      });
    case "offer.closed":
      return deps.bus.publish(channels.user(e.offer.agentId), {
        type: "offer.closed",
        offerId: e.offer.id,
        requestId: e.offer.requestId,
        reason: e.reason,
      });
    case "queue.changed": {
      // Every waiting customer hears their place and estimate; agents the line's length and oldest wait.
      const line = await queueLine(deps, e.accountId, e.portalId);
      for (const p of line.places) {
        await deps.bus.publish(channels.request(p.requestId), {
          type: "queue.position",
          requestId: p.requestId,
          position: p.position,
          waitMinutes: p.waitMinutes,
        });
      }
      return deps.bus.publish(channels.account(e.accountId), { type: "queue.stat", stat: line.stat });
    }
    case "agent.availability":
      return deps.bus.publish(channels.user(e.agentId), {
        type: "availability",
        agentId: e.agentId,
        available: e.available,
      });
    case "codes.changed":
      return deps.bus.publish(channels.user(e.agentId), { type: "codes.changed", agentId: e.agentId });
    default:
      return;
  }
}

export const announceReaction: Reaction = {
  name: "announce",
  on: [
    "request.submitted",
    "request.closed",
    "request.offline",
    "session.started",
    "session.ended",
    "offer.made",
    "offer.closed",
    "queue.changed",
    "agent.availability",
    "codes.changed",
  ],
  async run(deps, events) {
    // In the order they happened: an offer closes before the session it became is announced.
    for (const e of events) await announce(deps, e);
  },
};
