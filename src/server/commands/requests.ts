import { randomBytes, randomUUID } from "node:crypto";
import type { BusinessHours } from "../../shared/businessHours.js";
import { hoursNow } from "../domain/businessHours.js";
import { checkOfflineMessage, checkSubmission } from "../domain/contact.js";
import { DomainError, fieldError } from "../domain/errors.js";
import { isQueuePortal } from "../domain/queue.js";
import { alertKindFor, deadlineFor } from "../domain/requests.js";
import { agentLoads, anyAgentAvailable, availableAgentIds } from "../store/agents.js";
import {
  findRequest,
  insertWithSessionNumber,
  type RequestRecord,
  transitionFromWaiting,
} from "../store/requests.js";
import { accountOfPortal, openPortal, requestForCustomer } from "./access.js";
import { hashToken } from "./auth.js";
import type { Deps } from "./context.js";

/** A customer's side of a request: asking, leaving a message, canceling. */

export interface CustomerTicket {
  request: RequestRecord;
  /** The customer's proof of ownership of this request: kept in their browser, stored here hashed. */
  token: string;
}

export interface SubmitInput {
  slug: string;
  values: Record<string, string | undefined>;
  agentId?: string | undefined;
  language: string;
}

const noAgents = () =>
  new DomainError(
    409,
    "no_agents",
    "No agent is available right now. Leave a message and we will get back to you.",
  );

/**
 * Outside the portal's business hours nobody is asked: the customer is told when it opens next
 * (`opensAt`, epoch ms, null when it does not within a year) and offered the offline message.
 */
function assertOpen(portal: { businessHours: BusinessHours | null; type: string }, now: number): void {
  const hours = hoursNow(portal, now);
  if (!hours.closed) return;
  throw new DomainError(
    409,
    "closed",
    hours.closure?.message ||
      "We are closed right now. Leave a message and we will get back to you when we are open again.",
  ).withParams({ opensAt: hours.opensAt ?? "", timeZone: hours.timeZone });
}

/**
 * A customer asks for help (BEHAVIOUR.md §3/§4): pick-agent alerts only the chosen agent,
 * question/button alert every available agent of the portal, a queue portal puts them in line.
 * Refuses when nobody can answer, so the page can offer the offline message instead.
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
  assertOpen(portal, deps.now());
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
    if (!(await anyAgentAvailable(db, deps.presence, portal.id, "present"))) throw noAgents();
  } else if (kind === "targeted") {
    const chosen = input.agentId
      ? (await agentLoads(db, deps.presence, portal.id, input.agentId))[0]
      : undefined;
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
    recipients = await availableAgentIds(db, deps.presence, portal.id);
    if (recipients.length === 0) throw noAgents();
  }
  const now = deps.now();
  const token = randomBytes(24).toString("base64url");
  const submitted = await db.transaction().execute(async (trx) => {
    const row = await insertWithSessionNumber(trx, {
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
    const request = await findRequest(trx, portal.accountId, row.id);
    if (!request) throw new Error("request vanished after insert");
    const event = { type: "request.submitted" as const, request, recipients };
    await deps.events.stage(trx, event);
    return event;
  });
  await deps.events.emit(submitted);
  return { request: submitted.request, token };
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
  const left = await db.transaction().execute(async (trx) => {
    const row = await insertWithSessionNumber(trx, {
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
      outsideHours: hoursNow(portal, now).closed,
    });
    const request = await findRequest(trx, portal.accountId, row.id);
    if (!request) throw new Error("request vanished after insert");
    const event = { type: "request.offline" as const, request };
    await deps.events.stage(trx, event);
    return event;
  });
  await deps.events.emit(left);
  return left.request;
}

/** The customer gives up waiting; a request already taken or over stays as it is. */
export async function cancelRequest(
  deps: Deps,
  requestId: string,
  token: string | undefined,
): Promise<RequestRecord> {
  const request = await requestForCustomer(deps, requestId, token);
  if (request.state !== "waiting") return request;
  const db = deps.db.kysely;
  const closed = await db.transaction().execute(async (trx) => {
    const ok = await transitionFromWaiting(trx, request.accountId, request.id, "canceled", deps.now());
    const after = (await findRequest(trx, request.accountId, request.id)) ?? request;
    if (!ok) return { after, event: null };
    const event = { type: "request.closed" as const, request: after, reason: "canceled" as const };
    await deps.events.stage(trx, event);
    return { after, event };
  });
  if (closed.event) await deps.events.emit(closed.event);
  return closed.after;
}
