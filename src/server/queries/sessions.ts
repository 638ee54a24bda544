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
import type { Deps, Party } from "../commands/context.js";
import type { Database } from "../db/schema.js";
import { notFound } from "../domain/errors.js";
import { customerReason } from "../domain/requests.js";
import { findRequest, type RequestRecord, toView } from "../store/requests.js";
import { type Audience, listMessages } from "../store/sessions.js";

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
export async function transcript(
  deps: Deps,
  party: Party,
  sessionId: string,
): Promise<{ request: RequestView; messages: ChatMessage[]; text: string }> {
  const { session } = await sessionAccess(deps, party, sessionId);
  const request = await findRequest(deps.db.kysely, session.accountId, session.requestId);
  if (!request) throw notFound("Session");
  const messages = await listMessages(deps.db.kysely, session.accountId, sessionId, 0, audienceOf(party));
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
  return { request: toView(request), messages, text: lines.join("\n") };
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
