import { randomUUID } from "node:crypto";
import { LIMITS } from "../../shared/model.js";
import type { ChatMessage, SessionView, TransferView } from "../../shared/protocol.js";
import { isUniqueViolation } from "../db/database.js";
import { DomainError, fieldError, notFound, sessionEnded } from "../domain/errors.js";
import { isQueuePortal } from "../domain/queue.js";
import { TARGETED_ALERT_TIMEOUT_MS } from "../domain/requests.js";
import type { ClosedAlert } from "../events/events.js";
import { assertBelowLimit, assertCanReceive, assertOwner, consoleAccount, mayUseConsole } from "../policy.js";
import { sessionView, toTransferView } from "../queries/team.js";
import { findAccount, offerTimeoutMs } from "../store/accounts.js";
import { availableAgentIds, colleaguesOf, idleSinceOf, markIdle } from "../store/agents.js";
import { findPortal } from "../store/portals.js";
import { findRequest } from "../store/requests.js";
import { findSession, lockAgent, openSessionCounts, type SessionRecord } from "../store/sessions.js";
import {
  addTransferDecline,
  decideTransfer,
  findTransfer,
  insertTransfer,
  isAskedNow,
  logSession,
  moveOwnership,
  passTransferOn,
  postSystemLine,
  type TransferRecord,
} from "../store/team.js";
import { sessionAccess } from "./access.js";
import type { Actor, Deps } from "./context.js";

/**
 * Transfers (issue 11): the owner hands a live session to a named colleague or to a portal's
 * agents. The receiver's accept is one conditional write — first accept wins across agents and
 * nodes — and the owner change is in the same transaction; a decline or the alert's timeout
 * leaves the session with its owner, who is told. A queue portal asks one agent at a time,
 * longest idle first, and passes the transfer on as a queue offer would.
 */

export interface TransferTarget {
  toAgentId?: string | undefined;
  toPortalId?: string | undefined;
  note?: string | undefined;
}

function ownerParty(actor: Actor) {
  return { kind: "agent" as const, actor };
}

/** Agents of a queue portal to ask, longest idle first, leaving out who was asked already. */
async function nextQueueAgent(
  deps: Deps,
  portalId: string,
  exclude: ReadonlySet<string>,
): Promise<string | null> {
  const db = deps.db.kysely;
  const ids = (await availableAgentIds(db, deps.presence, portalId)).filter((id) => !exclude.has(id));
  if (ids.length === 0) return null;
  const idle = await idleSinceOf(db, ids);
  ids.sort((a, b) => (idle.get(a) ?? 0) - (idle.get(b) ?? 0) || (a < b ? -1 : 1));
  return ids[0] ?? null;
}

export async function requestTransfer(
  deps: Deps,
  actor: Actor,
  sessionId: string,
  target: TransferTarget,
): Promise<TransferView> {
  const { session, role } = await sessionAccess(deps, ownerParty(actor), sessionId);
  assertOwner(role, "transfer it");
  if (session.endedAt !== null) throw sessionEnded();
  const note = (target.note ?? "").trim();
  if (note.length > LIMITS.transferNote) {
    throw fieldError(400, "note", "too_long", `At most ${LIMITS.transferNote} characters.`, {
      limit: LIMITS.transferNote,
    });
  }
  if ((target.toAgentId === undefined) === (target.toPortalId === undefined)) {
    throw new DomainError(
      400,
      "bad_target",
      "Transfer to one colleague (toAgentId) or one portal (toPortalId).",
    );
  }
  const db = deps.db.kysely;
  const accountId = session.accountId;
  const now = deps.now();
  let recipients: string[];
  let toAgentId: string | null = null;
  let toPortalId: string | null = null;
  let targetName: string;
  let expiresAt = now + TARGETED_ALERT_TIMEOUT_MS;
  if (target.toAgentId !== undefined) {
    if (target.toAgentId === actor.user.id) {
      throw new DomainError(400, "transfer_to_self", "You cannot transfer a session to yourself.");
    }
    const [receiver] = await colleaguesOf(db, deps.presence, accountId, [target.toAgentId]);
    if (!receiver || !mayUseConsole({ role: receiver.role, accountId })) throw notFound("Agent");
    assertCanReceive(
      {
        name: receiver.displayName,
        online: receiver.online,
        available: receiver.available,
        disabled: receiver.disabled,
      },
      receiver.openSessions,
      receiver.maxSessions,
    );
    recipients = [receiver.id];
    toAgentId = receiver.id;
    targetName = receiver.displayName;
  } else {
    const portal = await findPortal(db, accountId, target.toPortalId as string);
    if (!portal?.enabled) throw notFound("Portal");
    toPortalId = portal.id;
    targetName = portal.name;
    const account = await findAccount(db, accountId);
    const exclude = new Set([actor.user.id]);
    if (isQueuePortal(account?.mode ?? "", portal.type)) {
      const next = await nextQueueAgent(deps, portal.id, exclude);
      recipients = next ? [next] : [];
      toAgentId = next;
      expiresAt = now + (await offerTimeoutMs(db, accountId));
    } else {
      recipients = (await availableAgentIds(db, deps.presence, portal.id)).filter((id) => !exclude.has(id));
    }
    if (recipients.length === 0) {
      throw new DomainError(
        409,
        "no_agents",
        `Nobody at ${portal.name} can take the session right now.`,
      ).withParams({ portal: portal.name });
    }
  }
  const id = randomUUID();
  let lines: ChatMessage[];
  try {
    lines = await db.transaction().execute(async (trx) => {
      await insertTransfer(trx, {
        id,
        accountId,
        sessionId,
        fromAgentId: actor.user.id,
        toAgentId,
        toPortalId,
        note,
        recipients,
        at: now,
        expiresAt,
      });
      await logSession(trx, accountId, sessionId, {
        at: now,
        kind: "transfer.requested",
        actorId: actor.user.id,
        subjectId: toAgentId ?? toPortalId,
        detail: note,
      });
      const line = await postSystemLine(trx, accountId, sessionId, {
        body: `${actor.user.displayName} asked ${targetName} to take over the conversation.`,
        event: {
          kind: "transfer.requested",
          name: targetName,
          by: actor.user.displayName,
          ...(toPortalId ? { portal: true } : {}),
        },
        agentsOnly: true,
        at: now,
      });
      return line ? [line] : [];
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new DomainError(
        409,
        "transfer_pending",
        "A transfer of this session is already waiting for an answer.",
      );
    }
    throw err;
  }
  const transfer = await findTransfer(db, accountId, id);
  if (!transfer) throw notFound("Transfer");
  const fresh = (await findSession(db, accountId, sessionId)) ?? session;
  await deps.events.emit({ type: "transfer.requested", transfer, session: fresh, lines });
  return toTransferView(transfer);
}

/** The owner takes back a transfer nobody has accepted yet. */
export async function cancelTransfer(deps: Deps, actor: Actor, sessionId: string): Promise<void> {
  const { session, role } = await sessionAccess(deps, ownerParty(actor), sessionId);
  assertOwner(role, "cancel its transfer");
  const db = deps.db.kysely;
  const pending = await db
    .selectFrom("session_transfers")
    .select("id")
    .where("session_id", "=", sessionId)
    .where("state", "=", "pending")
    .executeTakeFirst();
  if (!pending) throw new DomainError(409, "no_transfer", "No transfer of this session is waiting.");
  await closeTransfer(deps, session, pending.id, "canceled", actor.user.id, actor.user.displayName);
}

/** Ends a pending transfer without a new owner; the owner is told (unless they canceled it). */
async function closeTransfer(
  deps: Deps,
  session: SessionRecord,
  transferId: string,
  reason: "declined" | "timed-out" | "canceled",
  by: string | null,
  byName: string,
): Promise<boolean> {
  const db = deps.db.kysely;
  const now = deps.now();
  const transfer = await findTransfer(db, session.accountId, transferId);
  if (!transfer) return false;
  const target = transfer.toPortalName ?? transfer.toAgentName ?? "";
  const lines = await db.transaction().execute(async (trx) => {
    if (!(await decideTransfer(trx, transferId, reason, by, now))) return null;
    await logSession(trx, session.accountId, session.id, {
      at: now,
      kind: `transfer.${reason}`,
      actorId: by,
      subjectId: transfer.toAgentId ?? transfer.toPortalId,
      detail: "",
    });
    const body =
      reason === "canceled"
        ? `${byName} canceled the transfer to ${target}.`
        : reason === "declined"
          ? `${target} declined the transfer.`
          : `Nobody at ${target} accepted the transfer in time.`;
    const line = await postSystemLine(trx, session.accountId, session.id, {
      body,
      event: {
        kind: `transfer.${reason}`,
        name: target,
        by: byName,
        ...(transfer.toPortalId ? { portal: true } : {}),
      },
      agentsOnly: true,
      at: now,
    });
    return line ? [line] : [];
  });
  if (!lines) return false;
  await deps.events.emit({
    type: "transfer.closed",
    transfer: { ...transfer, state: reason },
    reason,
    session,
    lines,
  });
  return true;
}

/** Why an accept that did not win was refused: taken by whom, or over. */
async function refusedAccept(deps: Deps, accountId: string, transferId: string): Promise<never> {
  const t = await findTransfer(deps.db.kysely, accountId, transferId);
  if (t?.state === "accepted" && t.decidedBy) {
    const [winner] = await colleaguesOf(deps.db.kysely, deps.presence, accountId, [t.decidedBy]);
    const name = winner?.displayName ?? "";
    throw new DomainError(409, "already_taken", `Already taken by ${name}.`).withParams({ name });
  }
  throw new DomainError(409, "transfer_closed", "This transfer is no longer waiting.");
}

function transferFor(t: TransferRecord | null, actor: Actor): TransferRecord {
  // Only its receivers know the transfer exists.
  if (!t?.recipients.includes(actor.user.id)) throw notFound("Transfer");
  return t;
}

/** The receiver accepts: first accept wins, the session changes hands in the same transaction. */
export async function acceptTransfer(deps: Deps, actor: Actor, transferId: string): Promise<SessionView> {
  const accountId = consoleAccount(actor.user);
  const db = deps.db.kysely;
  const transfer = transferFor(await findTransfer(db, accountId, transferId), actor);
  if (transfer.state !== "pending") return refusedAccept(deps, accountId, transferId);
  const me = actor.user;
  // A queue portal's transfer is for the one agent asked now; whoever declined is out.
  if (!isAskedNow(transfer, me.id)) {
    throw new DomainError(409, "transfer_closed", "This transfer is no longer waiting for you.");
  }
  const now = deps.now();
  const moved = await db.transaction().execute(async (trx) => {
    // The decision: one conditional write; the losers find it taken.
    if (!(await decideTransfer(trx, transferId, "accepted", me.id, now, now))) return null;
    const maxSessions = await lockAgent(trx, me.id);
    const open = (await openSessionCounts(trx, [me.id])).get(me.id) ?? 0;
    assertBelowLimit({ maxSessions }, open);
    const result = await moveOwnership(trx, {
      accountId,
      sessionId: transfer.sessionId,
      fromAgentId: transfer.fromAgentId,
      fromName: transfer.fromName,
      toAgentId: me.id,
      toName: me.displayName,
      how: "transfer",
      at: now,
    });
    if (!result) throw new DomainError(409, "transfer_closed", "This session has ended or changed hands.");
    await markIdle(trx, transfer.fromAgentId, now);
    const [session, request] = await Promise.all([
      findSession(trx, accountId, transfer.sessionId),
      findRequest(trx, accountId, transfer.sessionId),
    ]);
    if (!session || !request) throw notFound("Session");
    const others = transfer.recipients.filter((id) => id !== me.id);
    const closedAlerts: ClosedAlert[] = others.length ? [{ id: transfer.id, recipients: others }] : [];
    const event = {
      type: "session.ownerChanged" as const,
      session,
      request,
      previousAgentId: transfer.fromAgentId,
      toName: me.displayName,
      how: "transfer" as const,
      closedAlerts,
      shareStopped: result.shareStopped,
      lines: result.lines,
    };
    await deps.events.stage(trx, event);
    return event;
  });
  if (!moved) return refusedAccept(deps, accountId, transferId);
  await deps.events.emit(moved);
  const view = await sessionView(deps, moved.session, me.id);
  if (!view) throw notFound("Session");
  return view;
}

/**
 * A receiver declines. A named colleague's decline ends the transfer; a portal's ends it when
 * every receiver has declined; a queue portal's passes to the next agent, if there is one.
 */
export async function declineTransfer(deps: Deps, actor: Actor, transferId: string): Promise<void> {
  const accountId = consoleAccount(actor.user);
  const db = deps.db.kysely;
  const transfer = transferFor(await findTransfer(db, accountId, transferId), actor);
  if (transfer.state !== "pending" || !isAskedNow(transfer, actor.user.id)) {
    throw new DomainError(409, "transfer_closed", "This transfer is no longer waiting.");
  }
  const session = await findSession(db, accountId, transfer.sessionId);
  if (!session) throw notFound("Transfer");
  const lists = await db.transaction().execute((trx) => addTransferDecline(trx, transferId, actor.user.id));
  if (!lists) throw new DomainError(409, "transfer_closed", "This transfer is no longer waiting.");
  await passOrClose(
    deps,
    session,
    { ...transfer, ...lists },
    actor.user.id,
    "declined",
    actor.user.displayName,
  );
}

/**
 * After a receiver declined or let the alert time out: a queue portal's transfer goes to the next
 * agent; otherwise, when nobody is left to answer, the transfer ends and the owner is told.
 */
async function passOrClose(
  deps: Deps,
  session: SessionRecord,
  transfer: TransferRecord,
  who: string | null,
  reason: "declined" | "timed-out",
  whoName: string,
): Promise<void> {
  const db = deps.db.kysely;
  if (transfer.toPortalId && transfer.toAgentId !== null) {
    const asked = new Set([...transfer.recipients, transfer.fromAgentId]);
    const next = await nextQueueAgent(deps, transfer.toPortalId, asked);
    if (next) {
      const expiresAt = deps.now() + (await offerTimeoutMs(db, transfer.accountId));
      if (await passTransferOn(db, transfer.id, next, [...transfer.recipients, next], expiresAt)) {
        const passed = await findTransfer(db, transfer.accountId, transfer.id);
        if (passed) {
          await deps.events.emit({
            type: "transfer.passed",
            transfer: passed,
            previous: who ?? transfer.toAgentId,
            session,
          });
        }
      }
      return;
    }
  }
  const open = transfer.recipients.filter((id) => !transfer.declined.includes(id));
  if (reason === "declined" && open.length > 0) {
    // Others still have the alert: only this one closes.
    if (who) await deps.events.emit({ type: "transfer.declinedBy", transfer, userId: who });
    return;
  }
  await closeTransfer(deps, session, transfer.id, reason, who, whoName);
}

/** The sweeper: a transfer whose alert timed out passes on (queue portals) or ends; the owner is told. */
export async function expireTransfer(deps: Deps, transfer: TransferRecord): Promise<void> {
  const session = await findSession(deps.db.kysely, transfer.accountId, transfer.sessionId);
  if (!session) return;
  await passOrClose(deps, session, transfer, null, "timed-out", "");
}
