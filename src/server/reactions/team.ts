import type { ChatMessage } from "../../shared/protocol.js";
import { channels } from "../bus/bus.js";
import type { Deps } from "../commands/context.js";
import type { ClosedAlert, DomainEvent } from "../events/events.js";
import type { Reaction } from "../events/reactions.js";
import { inviteAlert, sessionView, transferAlert } from "../queries/team.js";
import { toView } from "../store/requests.js";
import type { SessionRecord } from "../store/sessions.js";

/**
 * Who is told what about teamwork in a session (issue 11): the orange and blue alerts and their
 * end, the owner's notices, the session's new shape for everyone in it, and the system lines the
 * command wrote — on the session's agents' channel always, on the customer's only when the line
 * is for everyone. A private note never passes here (commands/chat.ts publishes it to the agents'
 * channel alone).
 */

async function publishLines(deps: Deps, session: SessionRecord, lines: ChatMessage[]): Promise<void> {
  for (const message of lines) {
    const event = {
      type: "message" as const,
      sessionId: session.id,
      requestId: session.requestId,
      agentId: session.agentId,
      message,
    };
    await deps.bus.publish(channels.session(session.id), event);
    if (message.visibility !== "agents") await deps.bus.publish(channels.request(session.requestId), event);
  }
}

/** The session as it is now, to everyone in it (each console reads its own part off it). */
async function sessionUpdated(deps: Deps, session: SessionRecord): Promise<void> {
  const view = await sessionView(deps, session, null);
  if (view) await deps.bus.publish(channels.session(session.id), { type: "session.updated", session: view });
}

async function closeAlerts(
  deps: Deps,
  accountId: string,
  alerts: ClosedAlert[],
  reason: "accepted" | "declined" | "timed-out" | "canceled",
  byName?: string,
): Promise<void> {
  for (const a of alerts) {
    if (a.recipients.length === 0) continue;
    await deps.bus.publish(channels.account(accountId), {
      type: "team.alert.closed",
      recipients: a.recipients,
      alertId: a.id,
      reason,
      ...(byName ? { byName } : {}),
    });
  }
}

async function announceTeam(deps: Deps, e: DomainEvent): Promise<void> {
  switch (e.type) {
    case "transfer.requested": {
      const alert = await transferAlert(deps, e.transfer);
      await publishLines(deps, e.session, e.lines);
      if (alert) {
        await deps.bus.publish(channels.account(e.transfer.accountId), {
          type: "team.alert",
          recipients: e.transfer.recipients,
          alert,
        });
      }
      return sessionUpdated(deps, e.session);
    }
    case "transfer.declinedBy":
      return closeAlerts(
        deps,
        e.transfer.accountId,
        [{ id: e.transfer.id, recipients: [e.userId] }],
        "declined",
      );
    case "transfer.passed": {
      await closeAlerts(
        deps,
        e.transfer.accountId,
        [{ id: e.transfer.id, recipients: [e.previous] }],
        "timed-out",
      );
      const alert = await transferAlert(deps, e.transfer);
      if (alert && e.transfer.toAgentId) {
        await deps.bus.publish(channels.account(e.transfer.accountId), {
          type: "team.alert",
          recipients: [e.transfer.toAgentId],
          alert,
        });
      }
      return sessionUpdated(deps, e.session);
    }
    case "transfer.closed": {
      const reason = e.reason === "canceled" ? "canceled" : e.reason;
      await closeAlerts(
        deps,
        e.transfer.accountId,
        [{ id: e.transfer.id, recipients: e.transfer.recipients }],
        reason,
      );
      await publishLines(deps, e.session, e.lines);
      if (e.reason !== "canceled") {
        await deps.bus.publish(channels.user(e.transfer.fromAgentId), {
          type: "team.notice",
          userId: e.transfer.fromAgentId,
          sessionId: e.session.id,
          kind: e.reason === "declined" ? "transfer.declined" : "transfer.timed-out",
          name: e.transfer.toPortalName ?? e.transfer.toAgentName ?? "",
        });
      }
      return sessionUpdated(deps, e.session);
    }
    case "session.ownerChanged": {
      const s = e.session;
      await closeAlerts(
        deps,
        s.accountId,
        e.closedAlerts,
        e.how === "transfer" ? "accepted" : "canceled",
        e.how === "transfer" ? e.toName : undefined,
      );
      if (e.shareStopped) {
        const stopped = {
          type: "share" as const,
          requestId: s.requestId,
          agentId: s.agentId,
          from: "agent" as const,
          state: "stopped" as const,
          reason: "transfer",
        };
        await deps.bus.publish(channels.session(s.id), stopped);
        await deps.bus.publish(channels.request(s.requestId), stopped);
      }
      await publishLines(deps, s, e.lines);
      const view = await sessionView(deps, s, s.agentId);
      if (e.how !== "hand-over") {
        await deps.bus.publish(channels.user(e.previousAgentId), {
          type: "session.left",
          userId: e.previousAgentId,
          sessionId: s.id,
          reason: "transferred",
          toName: e.toName,
        });
      }
      if (view) {
        await deps.bus.publish(channels.user(s.agentId), { type: "session.started", session: view });
        await deps.bus.publish(channels.session(s.id), { type: "session.updated", session: view });
      }
      // The customer's status names their new agent; agents' lists show who has the request now.
      const request = toView(e.request);
      await deps.bus.publish(channels.account(s.accountId), { type: "request.updated", request });
      await deps.bus.publish(channels.request(s.requestId), { type: "request.updated", request });
      return;
    }
    case "members.invited": {
      const inviter = e.session.agentName;
      for (const m of e.invites) {
        const alert = await inviteAlert(deps, m, inviter);
        if (alert) {
          await deps.bus.publish(channels.account(m.accountId), {
            type: "team.alert",
            recipients: [m.userId],
            alert,
          });
        }
      }
      await publishLines(deps, e.session, e.lines);
      return sessionUpdated(deps, e.session);
    }
    case "member.changed": {
      const m = e.member;
      const s = e.session;
      await publishLines(deps, s, e.lines);
      switch (e.change) {
        case "joined": {
          const view = await sessionView(deps, s, m.userId);
          if (view)
            await deps.bus.publish(channels.user(m.userId), { type: "session.started", session: view });
          break;
        }
        case "declined":
        case "expired":
          await closeAlerts(
            deps,
            s.accountId,
            [{ id: m.id, recipients: [m.userId] }],
            e.change === "declined" ? "declined" : "timed-out",
          );
          await deps.bus.publish(channels.user(s.agentId), {
            type: "team.notice",
            userId: s.agentId,
            sessionId: s.id,
            kind: e.change === "declined" ? "invite.declined" : "invite.expired",
            name: m.name,
          });
          break;
        case "canceled":
          await closeAlerts(deps, s.accountId, [{ id: m.id, recipients: [m.userId] }], "canceled");
          break;
        case "left":
        case "removed":
          await deps.bus.publish(channels.user(m.userId), {
            type: "session.left",
            userId: m.userId,
            sessionId: s.id,
            reason: e.change,
          });
          break;
        case "promoted":
          break;
      }
      return sessionUpdated(deps, s);
    }
    case "session.ended":
      if (e.closedAlerts?.length) await closeAlerts(deps, e.session.accountId, e.closedAlerts, "canceled");
      return;
    case "session.rated":
      return deps.bus.publish(channels.user(e.session.agentId), {
        type: "session.rated",
        userId: e.session.agentId,
        sessionId: e.session.id,
        rating: e.rating,
        comment: e.comment,
      });
    default:
      return;
  }
}

export const teamReaction: Reaction = {
  name: "team",
  on: [
    "transfer.requested",
    "transfer.declinedBy",
    "transfer.passed",
    "transfer.closed",
    "session.ownerChanged",
    "members.invited",
    "member.changed",
    "session.ended",
    "session.rated",
  ],
  async run(deps, events) {
    for (const e of events) await announceTeam(deps, e);
  },
};

/** Types of event that change what the supervisor view lists. */
const SUPERVISED = new Set<DomainEvent["type"]>([
  "request.submitted",
  "request.closed",
  "session.started",
  "session.ended",
  "transfer.requested",
  "transfer.closed",
  "session.ownerChanged",
  "member.changed",
]);

function accountOf(e: DomainEvent): string | null {
  switch (e.type) {
    case "request.submitted":
    case "request.closed":
      return e.request.accountId;
    case "session.started":
      return e.request.accountId;
    case "session.ended":
    case "transfer.requested":
    case "transfer.closed":
    case "session.ownerChanged":
    case "member.changed":
      return e.session.accountId;
    default:
      return null;
  }
}

/** Managers' and admins' supervisor view refetches once per batch and account (it is read from the database). */
export const supervisorReaction: Reaction = {
  name: "supervisor",
  on: [...SUPERVISED],
  async run(deps, events) {
    const accounts = new Set<string>();
    for (const e of events) {
      const id = accountOf(e);
      if (id) accounts.add(id);
    }
    for (const accountId of accounts) {
      await deps.bus.publish(channels.account(accountId), { type: "supervisor.changed", accountId });
    }
  },
};
