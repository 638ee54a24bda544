import type { Kysely } from "kysely";
import {
  type ChatMessage,
  type CustomerStatus,
  formatSessionNumber,
  type Outcome,
  type RequestView,
  type SessionSummary,
  type SessionView,
} from "../../shared/protocol.js";
import { sessionAccess } from "../commands/access.js";
import type { Actor, Deps, Party } from "../commands/context.js";
import type { Database } from "../db/schema.js";
import { notFound } from "../domain/errors.js";
import { customerReason } from "../domain/requests.js";
import { assertAccountAccess } from "../policy.js";
import { findRequest, type RequestRecord, toView } from "../store/requests.js";
import { type Audience, findSession, listMessages, type SessionRecord } from "../store/sessions.js";

/** Read models of sessions: what each side sees of one, the day's ended ones, transcripts. */

/**
 * A session just begun, as both sides see it, from what its transaction wrote (no read after the
 * commit: the announcement goes out at once). `lastSeq` counts the greeting if the portal has one.
 */
export function startedSession(
  request: RequestRecord,
  agent: { id: string; name: string },
  startedAt: number,
  lastSeq: number,
): { session: SessionView; request: RequestRecord } {
  const after: RequestRecord = {
    ...request,
    state: "accepted",
    agentId: agent.id,
    agentName: agent.name,
    stateAt: startedAt,
  };
  return {
    request: after,
    session: {
      id: request.id,
      request: toView(after),
      agentId: agent.id,
      agentName: agent.name,
      startedAt,
      endedAt: null,
      lastSeq,
      role: "owner",
      members: [],
      transfer: null,
      share: null,
    },
  };
}

export async function messagesSince(
  deps: Deps,
  party: Party,
  sessionId: string,
  since: number,
): Promise<ChatMessage[]> {
  const { session } = await sessionAccess(deps, party, sessionId);
  return listMessages(deps.db.kysely, session.accountId, sessionId, since, audienceOf(party));
}

function summaryQuery(db: Kysely<Database>) {
  return db
    .selectFrom("sessions")
    .select([
      "id",
      "request_id",
      "started_at",
      "ended_at",
      "ended_by",
      "outcome",
      "notes",
      "ticket",
      "rating",
      "comment",
    ]);
}

async function toSummaries(
  db: Kysely<Database>,
  accountId: string,
  rows: Awaited<ReturnType<ReturnType<typeof summaryQuery>["execute"]>>,
): Promise<SessionSummary[]> {
  const out: SessionSummary[] = [];
  for (const r of rows) {
    const request = await findRequest(db, accountId, r.request_id);
    if (!request || r.ended_at === null) continue;
    out.push({
      id: r.id,
      request: toView(request),
      startedAt: r.started_at,
      endedAt: r.ended_at,
      endedBy: r.ended_by as SessionSummary["endedBy"],
      outcome: r.outcome as Outcome | null,
      notes: r.notes,
      ticket: r.ticket,
      rating: r.rating,
      comment: r.comment,
    });
  }
  return out;
}

export async function summaryOf(
  deps: Deps,
  accountId: string,
  sessionId: string,
): Promise<SessionSummary | null> {
  const rows = await summaryQuery(deps.db.kysely)
    .where("account_id", "=", accountId)
    .where("id", "=", sessionId)
    .execute();
  return (await toSummaries(deps.db.kysely, accountId, rows))[0] ?? null;
}

export async function endedSessionsOf(
  deps: Deps,
  accountId: string,
  agentId: string,
  since: number,
): Promise<SessionSummary[]> {
  const rows = await summaryQuery(deps.db.kysely)
    .where("account_id", "=", accountId)
    .where("agent_id", "=", agentId)
    .where("ended_at", ">=", since)
    .orderBy("ended_at", "desc")
    .limit(100)
    .execute();
  return toSummaries(deps.db.kysely, accountId, rows);
}

/** Agents read everything of a session they are in; the customer never a note or an agents-only line. */
function audienceOf(party: Party): Audience {
  return party.kind === "agent" ? "agents" : "customer";
}

/**
 * The whole conversation, for either side to download as plain text or JSON. The agents' one has
 * the private notes (marked) and every system line; the customer's has neither.
 */
export async function transcript(deps: Deps, party: Party, sessionId: string): Promise<Transcript> {
  const { session } = await sessionAccess(deps, party, sessionId);
  return transcriptOf(deps, session, audienceOf(party));
}

export interface Transcript {
  request: RequestView;
  session: SessionRecord;
  messages: ChatMessage[];
  text: string;
}

/** A session's conversation for one audience (the agents' has the notes, marked; the customer's has none). */
export async function transcriptOf(
  deps: Deps,
  session: SessionRecord,
  audience: Audience,
): Promise<Transcript> {
  const request = await findRequest(deps.db.kysely, session.accountId, session.requestId);
  if (!request) throw notFound("Session");
  const messages = await listMessages(deps.db.kysely, session.accountId, session.id, 0, audience);
  const time = (at: number) => new Date(at).toISOString().replace("T", " ").slice(0, 19);
  const lines = [
    `Helpgate session ${formatSessionNumber(request.sessionNumber)} — ${request.portalName}`,
    `Customer: ${request.customerName || "—"}   Agent: ${session.agentName}`,
    `Started: ${time(session.startedAt)} UTC${session.endedAt ? `   Ended: ${time(session.endedAt)} UTC` : ""}`,
    "",
    ...messages.map((m) =>
      m.sender === "note"
        ? `[${time(m.at)}] (private note) ${m.authorName}: ${m.body}`
        : m.sender === "system"
          ? `[${time(m.at)}] — ${m.body}`
          : `[${time(m.at)}] ${m.authorName || m.sender}: ${m.body}`,
    ),
    "",
  ];
  return { request: toView(request), session, messages, text: lines.join("\n") };
}

/** A session of the account as its managers, admins and API tokens reach it (the webhooks' transcript link). */
export async function accountTranscript(
  deps: Deps,
  actor: Actor,
  accountId: string,
  sessionId: string,
): Promise<Transcript> {
  assertAccountAccess(actor.user, accountId, "manager");
  const session = await findSession(deps.db.kysely, accountId, sessionId);
  if (!session) throw notFound("Session");
  return transcriptOf(deps, session, "agents");
}

export interface AccountSession {
  id: string;
  sessionNumber: string;
  requestId: string;
  portal: { id: string; slug: string; name: string };
  agent: { id: string; name: string };
  customer: { name: string; email: string };
  startedAt: number;
  endedAt: number | null;
  outcome: string | null;
  ticket: string | null;
  rating: number | null;
}

/** The account's sessions, newest first, started at or after `since` (a CRM's or script's read). */
export async function accountSessions(
  deps: Deps,
  actor: Actor,
  accountId: string,
  filter: { since?: number | undefined; before?: number | undefined; limit: number },
): Promise<AccountSession[]> {
  assertAccountAccess(actor.user, accountId, "manager");
  let q = deps.db.kysely
    .selectFrom("sessions as s")
    .innerJoin("requests as r", "r.id", "s.request_id")
    .innerJoin("portals as p", "p.id", "r.portal_id")
    .innerJoin("users as u", "u.id", "s.agent_id")
    .select([
      "s.id",
      "s.request_id",
      "s.started_at",
      "s.ended_at",
      "s.outcome",
      "s.ticket",
      "s.rating",
      "s.agent_id",
      "u.display_name as agent_name",
      "r.session_number",
      "r.customer_name",
      "r.customer_email",
      "p.id as portal_id",
      "p.slug",
      "p.name as portal_name",
    ])
    .where("s.account_id", "=", accountId);
  if (filter.since !== undefined) q = q.where("s.started_at", ">=", filter.since);
  if (filter.before !== undefined) q = q.where("s.started_at", "<", filter.before);
  const rows = await q.orderBy("s.started_at", "desc").orderBy("s.id").limit(filter.limit).execute();
  return rows.map((r) => ({
    id: r.id,
    sessionNumber: r.session_number,
    requestId: r.request_id,
    portal: { id: r.portal_id, slug: r.slug, name: r.portal_name },
    agent: { id: r.agent_id, name: r.agent_name },
    customer: { name: r.customer_name, email: r.customer_email },
    startedAt: Number(r.started_at),
    endedAt: r.ended_at === null ? null : Number(r.ended_at),
    outcome: r.outcome,
    ticket: r.ticket,
    rating: r.rating,
  }));
}

/** What the customer's page needs beyond the request itself (portal and account settings). */
export async function customerStatusOf(deps: Deps, r: RequestRecord | RequestView): Promise<CustomerStatus> {
  const db = deps.db.kysely;
  const [portal, session] = await Promise.all([
    db
      .selectFrom("portals as p")
      .innerJoin("accounts as a", "a.id", "p.account_id")
      .select(["p.connection_mode", "a.upgrade_enabled"])
      .where("p.id", "=", r.portalId)
      .executeTakeFirst(),
    db.selectFrom("sessions").select(["rating"]).where("id", "=", r.id).executeTakeFirst(),
  ]);
  return {
    requestId: r.id,
    sessionNumber: r.sessionNumber,
    sessionId: r.sessionNumber,
    state: r.state,
    createdAt: r.createdAt,
    agentName: r.agentName,
    reason: customerReason(r.state, r.kind),
    connectionMode: portal?.connection_mode === "direct" ? "direct" : "chat-first",
    upgradeEnabled: portal?.upgrade_enabled === 1,
    iceServers: deps.config.iceServers,
    surveyed: session?.rating !== null && session?.rating !== undefined,
    serverTime: deps.now(),
  };
}
