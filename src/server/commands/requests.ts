import { randomBytes, randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { RequestState, RequestView, SessionView } from "../../shared/protocol.js";
import { channels } from "../bus/bus.js";
import { isUniqueViolation } from "../db/database.js";
import type { Database } from "../db/schema.js";
import { checkOfflineMessage, checkSubmission } from "../domain/contact.js";
import { DomainError, fieldError, notFound } from "../domain/errors.js";
import { alertKindFor, CUSTOMER_GONE_GRACE_MS, deadlineFor, newSessionId } from "../domain/requests.js";
import { findAccount } from "../store/accounts.js";
import { findPublicPortalBySlug, type PublicPortal } from "../store/portals.js";
import {
  findRequest,
  findRequestForCustomer,
  insertRequest,
  listOverdue,
  type NewRequestRow,
  type RequestRecord,
  toView,
  transitionFromWaiting,
} from "../store/requests.js";
import { lockAgent, openSessionCounts } from "../store/sessions.js";
import { agentLoads, anyAgentAvailable, availableAgentIds } from "./agents.js";
import { hashToken } from "./auth.js";
import type { Actor, Deps } from "./context.js";
import { customerPagesChanged } from "./portalPages.js";
import {
  acceptOffer,
  declineOffer,
  dispatchQueue,
  isQueuePortal,
  myPendingOffer,
  requestLeftQueue,
} from "./queue.js";
import { beginSession } from "./sessions.js";

export interface CustomerTicket {
  request: RequestRecord;
  /** The customer's proof of ownership of this request: kept in their browser, stored here hashed. */
  token: string;
}

/** A portal customers may use right now, or a 404 that says nothing about why. */
export async function openPortal(deps: Deps, slug: string): Promise<PublicPortal> {
  const portal = await findPublicPortalBySlug(deps.db.kysely, slug);
  if (!portal?.enabled) throw notFound("Portal");
  return portal;
}

/** Inserts a request with a fresh 9-digit session ID, retrying the rare collision. */
export async function insertWithSessionId(
  db: Kysely<Database>,
  row: Omit<NewRequestRow, "sessionId">,
): Promise<NewRequestRow> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const full = { ...row, sessionId: newSessionId() };
    try {
      await insertRequest(db, full);
      return full;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }
  throw new Error("could not find a free session ID after 8 tries");
}

export interface SubmitInput {
  slug: string;
  values: Record<string, string | undefined>;
  agentId?: string | undefined;
  language: string;
}

/**
 * A customer asks for help (BEHAVIOUR.md §3/§4): pick-agent alerts only the chosen agent,
 * question/button alert every available agent of the portal. Refuses when nobody can answer, so
 * the page can offer the offline message instead.
 */
export async function submitRequest(deps: Deps, input: SubmitInput): Promise<CustomerTicket> {
  const db = deps.db.kysely;
  const portal = await openPortal(deps, input.slug);
  if (portal.type === "code") {
    throw new DomainError(
      409,
      "code_portal",
      "This portal connects with a session code; enter the code instead.",
    );
  }
  const submission = checkSubmission(portal.type, portal.fields, input.values);
  const account = await accountOfPortal(deps, portal);
  const queued = isQueuePortal(account.mode, portal.type);
  const kind = queued ? "queue" : alertKindFor(portal.type);
  let recipients: string[];
  let targetAgentId: string | null = null;
  if (queued) {
    // Queue mode: join the line while anyone of the portal is signed in and set available,
    // busy or not; with nobody there at all, the portal offers the offline message instead.
    recipients = [];
    if (!(await anyAgentAvailable(deps, db, portal.id, "present"))) {
      throw new DomainError(
        409,
        "no_agents",
        "No agent is available right now. Leave a message and we will get back to you.",
      );
    }
  } else if (kind === "targeted") {
    const chosen = input.agentId ? (await agentLoads(deps, db, portal.id, input.agentId))[0] : undefined;
    if (!input.agentId || !chosen) {
      throw fieldError(400, "agentId", "choose_agent", "Choose the agent you want to talk to.");
    }
    if (chosen.status !== "available") {
      throw fieldError(
        409,
        "agentId",
        "agent_unavailable",
        `${chosen.displayName} is not available right now. Choose another agent or leave a message.`,
        { name: chosen.displayName },
      );
    }
    recipients = [chosen.id];
    targetAgentId = chosen.id;
  } else {
    recipients = await availableAgentIds(deps, db, portal.id);
    if (recipients.length === 0) {
      throw new DomainError(
        409,
        "no_agents",
        "No agent is available right now. Leave a message and we will get back to you.",
      );
    }
  }
  const now = deps.now();
  const token = randomBytes(24).toString("base64url");
  const row = await insertWithSessionId(db, {
    id: randomUUID(),
    accountId: portal.accountId,
    portalId: portal.id,
    kind,
    state: "waiting",
    targetAgentId,
    agentId: null,
    customerName: submission.customerName,
    customerEmail: submission.customerEmail,
    contact: submission.contact,
    question: submission.question,
    language: input.language,
    customerTokenHash: hashToken(token),
    codeId: null,
    createdAt: now,
    deadlineAt: queued ? now + portal.maxWaitSeconds * 1000 : deadlineFor(kind, now),
  });
  const request = await findRequest(db, portal.accountId, row.id);
  if (!request) throw new Error("request vanished after insert");
  if (queued) {
    await publishUpdate(deps, request);
    await dispatchQueue(deps, portal.accountId, portal.id);
    return { request, token };
  }
  await deps.bus.publish(channels.account(portal.accountId), {
    type: "alert",
    recipients,
    request: toView(request),
  });
  return { request, token };
}

/** Nobody available: the customer leaves a message, listed in the console's offline pane. */
export async function leaveOfflineMessage(
  deps: Deps,
  slug: string,
  values: Record<string, string | undefined>,
  language: string,
): Promise<RequestRecord> {
  const db = deps.db.kysely;
  const portal = await openPortal(deps, slug);
  const submission = checkOfflineMessage(values);
  const now = deps.now();
  const row = await insertWithSessionId(db, {
    id: randomUUID(),
    accountId: portal.accountId,
    portalId: portal.id,
    kind: alertKindFor(portal.type),
    state: "offline",
    targetAgentId: null,
    agentId: null,
    customerName: submission.customerName,
    customerEmail: submission.customerEmail,
    contact: submission.contact,
    question: submission.question,
    language,
    customerTokenHash: hashToken(randomBytes(24).toString("base64url")),
    codeId: null,
    createdAt: now,
    deadlineAt: null,
  });
  const request = await findRequest(db, portal.accountId, row.id);
  if (!request) throw new Error("request vanished after insert");
  await publishUpdate(deps, request);
  return request;
}

export async function publishUpdate(deps: Deps, request: RequestRecord): Promise<void> {
  const view = toView(request);
  await deps.bus.publish(channels.account(request.accountId), { type: "request.updated", request: view });
  await deps.bus.publish(channels.request(request.id), { type: "request.updated", request: view });
}

/**
 * Announces a session just begun (beginSession, committed): the request's new state to everyone,
 * the session to its agent, and fresh portal pages (the agent's load changed). Returns the session
 * as both sides see it; lastSeq counts the greeting if the portal has one.
 */
export async function sessionStarted(
  deps: Deps,
  request: RequestRecord,
  agentId: string,
  agentName: string,
  startedAt: number,
): Promise<SessionView> {
  const row = await deps.db.kysely
    .selectFrom("sessions")
    .select("last_seq")
    .where("id", "=", request.id)
    .executeTakeFirst();
  const session: SessionView = {
    id: request.id,
    request: toView(request),
    agentId,
    agentName,
    startedAt,
    endedAt: null,
    lastSeq: row?.last_seq ?? 0,
  };
  await publishUpdate(deps, request);
  await deps.bus.publish(channels.user(agentId), { type: "session.started", session });
  await customerPagesChanged(deps, request.accountId);
  return session;
}

async function assertCanTake(deps: Deps, actor: Actor, request: RequestRecord): Promise<void> {
  if (!actor.user.portalIds.includes(request.portalId)) {
    throw new DomainError(403, "not_assigned", "You are not assigned to this request's portal.");
  }
  if (request.targetAgentId && request.targetAgentId !== actor.user.id) {
    throw new DomainError(403, "not_target", "The customer chose another agent for this request.");
  }
  await assertBelowLimit(deps.db.kysely, actor);
}

/** The agent's concurrent-session limit (BEHAVIOUR.md §4); inside a transaction after `lockAgent`, it is exact. */
async function assertBelowLimit(db: Kysely<Database>, actor: Actor): Promise<void> {
  const open = (await openSessionCounts(db, [actor.user.id])).get(actor.user.id) ?? 0;
  if (open >= actor.user.maxSessions) {
    throw new DomainError(
      409,
      "at_limit",
      `You are at your limit of ${actor.user.maxSessions} session${actor.user.maxSessions === 1 ? "" : "s"}; end one first.`,
    );
  }
}

function notWaiting(request: RequestRecord): DomainError {
  if (request.state === "accepted" || request.state === "ended") {
    const name = request.agentName ?? "another agent";
    return new DomainError(409, "already_taken", `Already taken by ${name}.`);
  }
  const why: Partial<Record<RequestState, string>> = {
    canceled: "The customer canceled this request.",
    declined: "This request was declined.",
    "no-response": "This request timed out.",
    offline: "This is an offline message, not a live request.",
  };
  return new DomainError(409, "not_waiting", why[request.state] ?? "This request is no longer waiting.");
}

/** First accept wins: one conditional write decides, across agents and nodes alike. */
export async function acceptRequest(deps: Deps, actor: Actor, requestId: string): Promise<SessionView> {
  const accountId = actor.user.accountId;
  if (!accountId) throw notFound("Request");
  const db = deps.db.kysely;
  const request = await findRequest(db, accountId, requestId);
  if (!request) throw notFound("Request");
  if (request.state !== "waiting") throw notWaiting(request);
  if (request.kind === "queue") {
    // Queue requests are offered to one agent at a time: accepting means accepting your offer.
    const offer = await myPendingOffer(deps, actor);
    if (offer?.request.id !== requestId) {
      throw new DomainError(
        409,
        "offered_elsewhere",
        "This customer is in the queue and offered to one agent at a time; use Take next.",
      );
    }
    return acceptOffer(deps, actor, offer.id);
  }
  await assertCanTake(deps, actor, request);
  const now = deps.now();
  const won = await db.transaction().execute(async (trx) => {
    // One agent's accepts take turns here, so several at once cannot all pass the limit.
    await lockAgent(trx, actor.user.id);
    await assertBelowLimit(trx, actor);
    const ok = await transitionFromWaiting(trx, accountId, requestId, "accepted", now, {
      agentId: actor.user.id,
      onlyTarget: actor.user.id,
    });
    if (ok)
      await beginSession(trx, {
        accountId,
        requestId,
        agentId: actor.user.id,
        startedAt: now,
        portalId: request.portalId,
        agentName: actor.user.displayName,
      });
    return ok;
  });
  const after = await findRequest(db, accountId, requestId);
  if (!after) throw notFound("Request");
  if (!won) throw notWaiting(after);
  return sessionStarted(deps, after, actor.user.id, actor.user.displayName, now);
}

/** Targeted: the request ends as declined and the customer is told. Broadcast: only this agent's pop-up closes. */
export async function declineRequest(deps: Deps, actor: Actor, requestId: string): Promise<RequestView> {
  const accountId = actor.user.accountId;
  if (!accountId) throw notFound("Request");
  const db = deps.db.kysely;
  const request = await findRequest(db, accountId, requestId);
  if (!request) throw notFound("Request");
  if (!actor.user.portalIds.includes(request.portalId)) {
    throw new DomainError(403, "not_assigned", "You are not assigned to this request's portal.");
  }
  if (request.state !== "waiting") throw notWaiting(request);
  if (request.kind === "queue") {
    const offer = await myPendingOffer(deps, actor);
    if (offer?.request.id === requestId) await declineOffer(deps, actor, offer.id);
    return toView(request);
  }
  if (request.kind !== "targeted") return toView(request);
  if (request.targetAgentId !== actor.user.id) {
    throw new DomainError(403, "not_target", "The customer chose another agent for this request.");
  }
  const ok = await transitionFromWaiting(db, accountId, requestId, "declined", deps.now(), {
    onlyTarget: actor.user.id,
  });
  const after = await findRequest(db, accountId, requestId);
  if (!after) throw notFound("Request");
  if (!ok) throw notWaiting(after);
  await publishUpdate(deps, after);
  return toView(after);
}

/** The customer's own request, proven by the token in their browser; anything else is a 404. */
export async function requestForCustomer(
  deps: Deps,
  requestId: string,
  token: string | undefined,
): Promise<RequestRecord> {
  if (!token) throw notFound("Request");
  const request = await findRequestForCustomer(deps.db.kysely, requestId);
  if (!request || request.customerTokenHash !== hashToken(token)) throw notFound("Request");
  return request;
}

export async function cancelRequest(
  deps: Deps,
  requestId: string,
  token: string | undefined,
): Promise<RequestRecord> {
  const request = await requestForCustomer(deps, requestId, token);
  if (request.state !== "waiting") return request;
  const ok = await transitionFromWaiting(
    deps.db.kysely,
    request.accountId,
    request.id,
    "canceled",
    deps.now(),
  );
  const after = (await findRequest(deps.db.kysely, request.accountId, request.id)) ?? request;
  if (ok) {
    await publishUpdate(deps, after);
    if (after.kind === "queue") await requestLeftQueue(deps, after.accountId, after.portalId, after.id);
  }
  return after;
}

/**
 * The safety net that makes time pass for requests: targeted alerts unanswered for 30 s and
 * broadcasts unanswered for 10 minutes end as no-response; customers gone for longer than the
 * grace period are canceled; expired codes are marked. Idempotent and safe on every node at once.
 */
export async function sweep(deps: Deps): Promise<number> {
  const db = deps.db.kysely;
  const now = deps.now();
  const due = await listOverdue(db, now, now - CUSTOMER_GONE_GRACE_MS);
  let changed = 0;
  for (const d of due) {
    const to: RequestState = d.reason === "deadline" ? "no-response" : "canceled";
    if (await transitionFromWaiting(db, d.accountId, d.id, to, now)) {
      changed++;
      const after = await findRequest(db, d.accountId, d.id);
      if (after) {
        await publishUpdate(deps, after);
        if (after.kind === "queue") await requestLeftQueue(deps, after.accountId, after.portalId, after.id);
      }
    }
  }
  return changed;
}

export async function accountOfPortal(deps: Deps, portal: PublicPortal) {
  const account = await findAccount(deps.db.kysely, portal.accountId);
  if (!account) throw notFound("Portal");
  return account;
}
