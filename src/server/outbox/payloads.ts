import type { Kysely } from "kysely";
import type { WebhookEventType } from "../../shared/api.js";
import type { Database } from "../db/schema.js";
import type { RequestRecord } from "../store/requests.js";
import type { SessionRecord } from "../store/sessions.js";

/**
 * The data of webhook events (README › Webhooks has the catalogue with examples). Read inside
 * the change's transaction, so what is sent is what was committed with it.
 */

export interface PortalRef {
  id: string;
  slug: string;
  name: string;
}

export interface RequestData {
  id: string;
  sessionNumber: string;
  kind: string;
  state: string;
  portal: PortalRef;
  customer: { name: string; email: string; contact: Record<string, string> };
  question: string;
  language: string;
  createdAt: string;
  endedAt: string | null;
  outcome: "accepted" | "declined" | "canceled" | "no_response" | null;
}

export interface SessionData {
  id: string;
  sessionNumber: string;
  requestId: string;
  portal: PortalRef;
  agent: { id: string; name: string };
  customer: { name: string; email: string };
  startedAt: string;
  endedAt: string | null;
  endedBy: string | null;
  outcome: string | null;
  ticket: string | null;
  transcriptUrl: string;
}

const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());

export async function portalRef(trx: Kysely<Database>, portalId: string): Promise<PortalRef> {
  const p = await trx
    .selectFrom("portals")
    .select(["id", "slug", "name"])
    .where("id", "=", portalId)
    .executeTakeFirst();
  return p ?? { id: portalId, slug: "", name: "" };
}

const OUTCOME: Record<string, RequestData["outcome"]> = {
  accepted: "accepted",
  ended: "accepted",
  declined: "declined",
  canceled: "canceled",
  "no-response": "no_response",
};

export function requestData(r: RequestRecord, portal: PortalRef, endedAt: number | null): RequestData {
  return {
    id: r.id,
    sessionNumber: r.sessionNumber,
    kind: r.kind,
    state: r.state,
    portal,
    customer: { name: r.customerName, email: r.customerEmail, contact: r.contact },
    question: r.question,
    language: r.language,
    createdAt: new Date(r.createdAt).toISOString(),
    endedAt: iso(endedAt),
    outcome: OUTCOME[r.state] ?? null,
  };
}

/** A session as its row says now (outcome, ticket, who ended it), with the request it answers. */
export async function sessionData(
  trx: Kysely<Database>,
  publicUrl: string,
  session: Pick<SessionRecord, "id" | "accountId" | "requestId" | "agentId" | "agentName">,
): Promise<SessionData | null> {
  const row = await trx
    .selectFrom("sessions as s")
    .innerJoin("requests as r", "r.id", "s.request_id")
    .innerJoin("portals as p", "p.id", "r.portal_id")
    .select([
      "s.id",
      "s.started_at",
      "s.ended_at",
      "s.ended_by",
      "s.outcome",
      "s.ticket",
      "r.session_number",
      "r.customer_name",
      "r.customer_email",
      "p.id as portal_id",
      "p.slug",
      "p.name as portal_name",
    ])
    .where("s.account_id", "=", session.accountId)
    .where("s.id", "=", session.id)
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    sessionNumber: row.session_number,
    requestId: session.requestId,
    portal: { id: row.portal_id, slug: row.slug, name: row.portal_name },
    agent: { id: session.agentId, name: session.agentName },
    customer: { name: row.customer_name, email: row.customer_email },
    startedAt: new Date(Number(row.started_at)).toISOString(),
    endedAt: iso(row.ended_at === null ? null : Number(row.ended_at)),
    endedBy: row.ended_by,
    outcome: row.outcome,
    ticket: row.ticket,
    transcriptUrl: `${publicUrl}/api/v1/accounts/${session.accountId}/sessions/${session.id}/transcript`,
  };
}

/** The body of a webhook delivery (Standard Webhooks: type, timestamp, data). */
export function webhookBody(type: WebhookEventType | "webhook.test", at: number, data: unknown): string {
  return JSON.stringify({ type, timestamp: new Date(at).toISOString(), data });
}
