import { type Kysely, sql } from "kysely";
import { LIMITS } from "../../shared/model.js";
import type {
  ChatMessage,
  CustomerStatus,
  Outcome,
  Receipt,
  RequestView,
  RtcSignal,
  SessionSummary,
  ShareState,
} from "../../shared/protocol.js";
import { channels, type Side } from "../bus/bus.js";
import type { Database } from "../db/schema.js";
import { DomainError, fieldError, notFound } from "../domain/errors.js";
import { customerReason } from "../domain/requests.js";
import { findRequest, type RequestRecord, toView } from "../store/requests.js";
import { appendMessage, insertSession, listMessages } from "../store/sessions.js";
import { type Party, sessionFor } from "./chat.js";
import type { Deps } from "./context.js";

/**
 * Opens the session of an accepted request and posts the portal's greeting as its first message,
 * in the caller's transaction (so a session never exists without its greeting).
 */
export async function beginSession(
  trx: Kysely<Database>,
  s: {
    accountId: string;
    requestId: string;
    portalId: string;
    agentId: string;
    agentName: string;
    startedAt: number;
  },
): Promise<void> {
  await insertSession(trx, {
    id: s.requestId,
    accountId: s.accountId,
    requestId: s.requestId,
    agentId: s.agentId,
    startedAt: s.startedAt,
  });
  const portal = await trx
    .selectFrom("portals")
    .select("greeting")
    .where("id", "=", s.portalId)
    .executeTakeFirst();
  const greeting = portal?.greeting.trim() ?? "";
  if (greeting !== "") {
    await appendMessage(trx, s.accountId, s.requestId, {
      sender: "agent",
      authorName: s.agentName,
      body: greeting,
      at: s.startedAt,
    });
  }
}

function sideOf(party: Party): Side {
  return party.kind;
}

/** Says "typing…" to the other side; nothing is stored. */
export async function typing(deps: Deps, party: Party, sessionId: string): Promise<void> {
  const session = await sessionFor(deps, party, sessionId);
  if (session.endedAt !== null) return;
  await publishToOther(deps, sideOf(party), session.requestId, session.agentId, {
    type: "typing",
    requestId: session.requestId,
    agentId: session.agentId,
    from: sideOf(party),
  });
}

/** Stores how far this side's device got (delivered) and read, and tells the other side. */
export async function receipt(
  deps: Deps,
  party: Party,
  sessionId: string,
  delivered: number,
  read: number,
): Promise<Receipt> {
  if (!Number.isInteger(delivered) || !Number.isInteger(read) || delivered < 0 || read < 0) {
    throw fieldError(
      400,
      "receipt",
      "invalid",
      "delivered and read are sequence numbers (whole numbers ≥ 0).",
    );
  }
  const session = await sessionFor(deps, party, sessionId);
  const side = sideOf(party);
  const d = Math.min(Math.max(delivered, read), session.lastSeq);
  const r = Math.min(read, session.lastSeq);
  const db = deps.db.kysely;
  // Marks only move forward: CASE instead of GREATEST/max, which differ between the dialects.
  const ahead = (
    col: "agent_delivered_seq" | "agent_read_seq" | "customer_delivered_seq" | "customer_read_seq",
    v: number,
  ) => sql<number>`case when ${sql.ref(col)} < ${v} then ${v} else ${sql.ref(col)} end`;
  await db
    .updateTable("sessions")
    .set(
      side === "agent"
        ? { agent_delivered_seq: ahead("agent_delivered_seq", d), agent_read_seq: ahead("agent_read_seq", r) }
        : {
            customer_delivered_seq: ahead("customer_delivered_seq", d),
            customer_read_seq: ahead("customer_read_seq", r),
          },
    )
    .where("id", "=", sessionId)
    .where("account_id", "=", session.accountId)
    .execute();
  const marks = await receiptsOf(db, session.accountId, sessionId);
  const mine = side === "agent" ? marks.agent : marks.customer;
  await publishToOther(deps, side, session.requestId, session.agentId, {
    type: "receipt",
    requestId: session.requestId,
    agentId: session.agentId,
    from: side,
    receipt: mine,
  });
  return mine;
}

export async function receiptsOf(
  db: Kysely<Database>,
  accountId: string,
  sessionId: string,
): Promise<{ agent: Receipt; customer: Receipt }> {
  const s = await db
    .selectFrom("sessions")
    .select(["agent_delivered_seq", "agent_read_seq", "customer_delivered_seq", "customer_read_seq"])
    .where("id", "=", sessionId)
    .where("account_id", "=", accountId)
    .executeTakeFirst();
  return {
    agent: { delivered: s?.agent_delivered_seq ?? 0, read: s?.agent_read_seq ?? 0 },
    customer: { delivered: s?.customer_delivered_seq ?? 0, read: s?.customer_read_seq ?? 0 },
  };
}

async function upgradeEnabled(deps: Deps, accountId: string): Promise<boolean> {
  const a = await deps.db.kysely
    .selectFrom("accounts")
    .select("upgrade_enabled")
    .where("id", "=", accountId)
    .executeTakeFirst();
  return a?.upgrade_enabled === 1;
}

const SHARE_BY: Record<Side, readonly ShareState[]> = {
  agent: ["requested", "stopped"],
  customer: ["declined", "sharing", "stopped", "failed"],
};

/**
 * Screen sharing states, relayed to the other side: the agent requests (only while the account
 * allows upgrades) or stops viewing; the customer declines, shares, stops, or reports a failure.
 */
export async function shareState(
  deps: Deps,
  party: Party,
  sessionId: string,
  state: ShareState,
  reason?: string,
): Promise<void> {
  const side = sideOf(party);
  if (!SHARE_BY[side].includes(state)) {
    throw new DomainError(400, "bad_share_state", `The ${side} cannot set screen sharing to "${state}".`);
  }
  const session = await sessionFor(deps, party, sessionId);
  if (session.endedAt !== null) throw new DomainError(409, "session_ended", "This session has ended.");
  if (state === "requested" && !(await upgradeEnabled(deps, session.accountId))) {
    throw new DomainError(409, "upgrade_disabled", "Screen sharing is switched off for this account.");
  }
  const event = {
    type: "share" as const,
    requestId: session.requestId,
    agentId: session.agentId,
    from: side,
    state,
    ...(reason ? { reason: reason.slice(0, 200) } : {}),
  };
  // Both sides hear it: the other to act on it, the sender's other tabs to stay in step.
  await deps.bus.publish(channels.user(session.agentId), event);
  await deps.bus.publish(channels.request(session.requestId), event);
}

const MAX_SDP = 20_000;

export function checkSignal(signal: unknown): RtcSignal {
  const s = signal as Partial<Record<string, unknown>> | null;
  if (
    s &&
    (s.kind === "offer" || s.kind === "answer") &&
    typeof s.sdp === "string" &&
    s.sdp.length <= MAX_SDP
  ) {
    return { kind: s.kind, sdp: s.sdp };
  }
  if (
    s &&
    s.kind === "candidate" &&
    typeof s.candidate === "string" &&
    s.candidate.length <= 2000 &&
    (s.sdpMid === null || typeof s.sdpMid === "string") &&
    (s.sdpMLineIndex === null || typeof s.sdpMLineIndex === "number")
  ) {
    return {
      kind: "candidate",
      candidate: s.candidate,
      sdpMid: s.sdpMid as string | null,
      sdpMLineIndex: s.sdpMLineIndex as number | null,
    };
  }
  throw new DomainError(
    400,
    "bad_signal",
    "A signal is {kind: offer|answer, sdp} or {kind: candidate, candidate, sdpMid, sdpMLineIndex}.",
  );
}

/** WebRTC offer/answer/candidates between the two sides of a live session. */
export async function relaySignal(
  deps: Deps,
  party: Party,
  sessionId: string,
  signal: unknown,
): Promise<void> {
  const checked = checkSignal(signal);
  const session = await sessionFor(deps, party, sessionId);
  if (session.endedAt !== null) throw new DomainError(409, "session_ended", "This session has ended.");
  await publishToOther(deps, sideOf(party), session.requestId, session.agentId, {
    type: "rtc",
    requestId: session.requestId,
    agentId: session.agentId,
    from: sideOf(party),
    signal: checked,
  });
}

/** The agent points at the shared screen; the customer sees a marker there. */
export async function point(
  deps: Deps,
  party: Party,
  sessionId: string,
  x: number,
  y: number,
): Promise<void> {
  if (party.kind !== "agent") throw new DomainError(403, "forbidden", "Only the agent points.");
  if (!Number.isFinite(x) || !Number.isFinite(y) || x < 0 || x > 1 || y < 0 || y > 1) {
    throw fieldError(400, "pointer", "invalid", "x and y are fractions of the shared screen, from 0 to 1.");
  }
  const session = await sessionFor(deps, party, sessionId);
  await deps.bus.publish(channels.request(session.requestId), {
    type: "pointer",
    requestId: session.requestId,
    agentId: session.agentId,
    x,
    y,
  });
}

async function publishToOther(
  deps: Deps,
  from: Side,
  requestId: string,
  agentId: string,
  event: Parameters<Deps["bus"]["publish"]>[1],
): Promise<void> {
  await deps.bus.publish(from === "agent" ? channels.request(requestId) : channels.user(agentId), event);
}

export interface EndForm {
  outcome: Outcome;
  notes?: string | undefined;
  ticket?: string | undefined;
}

/** The agent's end-of-session form: outcome, notes, optional ticket number. */
export async function recordOutcome(
  deps: Deps,
  party: Party,
  sessionId: string,
  form: EndForm,
): Promise<SessionSummary> {
  if (party.kind !== "agent") throw new DomainError(403, "forbidden", "Only the agent records the outcome.");
  const session = await sessionFor(deps, party, sessionId);
  if (session.endedAt === null)
    throw new DomainError(409, "session_open", "End the session first, then record its outcome.");
  await deps.db.kysely
    .updateTable("sessions")
    .set({ outcome: form.outcome, notes: form.notes?.trim() || null, ticket: form.ticket?.trim() || null })
    .where("id", "=", sessionId)
    .where("account_id", "=", session.accountId)
    .execute();
  const summary = await summaryOf(deps, session.accountId, sessionId);
  if (!summary) throw notFound("Session");
  return summary;
}

/** The customer's optional survey after the session: a 1–5 rating and a comment. Once. */
export async function answerSurvey(
  deps: Deps,
  party: Party,
  sessionId: string,
  rating: number,
  comment: string | undefined,
): Promise<void> {
  if (party.kind !== "customer") throw new DomainError(403, "forbidden", "The survey is the customer's.");
  if (!Number.isInteger(rating) || rating < 1 || rating > 5) {
    throw fieldError(400, "rating", "invalid", "Choose a rating from 1 to 5.");
  }
  if (comment !== undefined && comment.length > LIMITS.surveyComment) {
    throw fieldError(400, "comment", "too_long", `At most ${LIMITS.surveyComment} characters.`, {
      limit: LIMITS.surveyComment,
    });
  }
  const session = await sessionFor(deps, party, sessionId);
  if (session.endedAt === null)
    throw new DomainError(409, "session_open", "The survey opens when the session has ended.");
  const r = await deps.db.kysely
    .updateTable("sessions")
    .set({ rating, comment: comment?.trim() || null })
    .where("id", "=", sessionId)
    .where("account_id", "=", session.accountId)
    .where("rating", "is", null)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1)
    throw new DomainError(409, "already_answered", "Thank you — you have already answered.");
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

/** The whole conversation, for either side to download as plain text or JSON. */
export async function transcript(
  deps: Deps,
  party: Party,
  sessionId: string,
): Promise<{ request: RequestView; messages: ChatMessage[]; text: string }> {
  const session = await sessionFor(deps, party, sessionId);
  const request = await findRequest(deps.db.kysely, session.accountId, session.requestId);
  if (!request) throw notFound("Session");
  const messages = await listMessages(deps.db.kysely, session.accountId, sessionId, 0);
  const time = (at: number) => new Date(at).toISOString().replace("T", " ").slice(0, 19);
  const lines = [
    `Helpgate session ${request.sessionId.replace(/^(\d{3})(\d{3})(\d{3})$/, "$1 $2 $3")} — ${request.portalName}`,
    `Customer: ${request.customerName || "—"}   Agent: ${session.agentName}`,
    `Started: ${time(session.startedAt)} UTC${session.endedAt ? `   Ended: ${time(session.endedAt)} UTC` : ""}`,
    "",
    ...messages.map((m) => `[${time(m.at)}] ${m.authorName || m.sender}: ${m.body}`),
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
    sessionId: r.sessionId,
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
