import { type Kysely, sql } from "kysely";
import type { ChatMessage } from "../../shared/protocol.js";
import type { Database } from "../db/schema.js";

export interface SessionRecord {
  id: string;
  accountId: string;
  requestId: string;
  agentId: string;
  agentName: string;
  startedAt: number;
  endedAt: number | null;
  lastSeq: number;
  /** The screen share's last state, null until the agent first asks. */
  shareState: string | null;
}

/** A session row without a greeting (the benchmark's seeding; the product opens sessions with openSession). */
export async function insertSession(
  db: Kysely<Database>,
  s: { id: string; accountId: string; requestId: string; agentId: string; startedAt: number },
): Promise<void> {
  await db
    .insertInto("sessions")
    .values({
      id: s.id,
      account_id: s.accountId,
      request_id: s.requestId,
      agent_id: s.agentId,
      started_at: s.startedAt,
      ended_at: null,
    })
    .execute();
}

function sessionQuery(db: Kysely<Database>) {
  return db
    .selectFrom("sessions as s")
    .innerJoin("users as u", "u.id", "s.agent_id")
    .select([
      "s.id",
      "s.account_id",
      "s.request_id",
      "s.agent_id",
      "u.display_name as agent_name",
      "s.started_at",
      "s.ended_at",
      "s.last_seq",
      "s.share_state",
    ]);
}

type Row = Awaited<ReturnType<ReturnType<typeof sessionQuery>["executeTakeFirstOrThrow"]>>;

function toRecord(r: Row): SessionRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    requestId: r.request_id,
    agentId: r.agent_id,
    agentName: r.agent_name,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    lastSeq: r.last_seq,
    shareState: r.share_state,
  };
}

export async function findSession(
  db: Kysely<Database>,
  accountId: string,
  sessionId: string,
): Promise<SessionRecord | null> {
  const r = await sessionQuery(db)
    .where("s.account_id", "=", accountId)
    .where("s.id", "=", sessionId)
    .executeTakeFirst();
  return r ? toRecord(r) : null;
}

export async function listOpenSessionsOf(
  db: Kysely<Database>,
  accountId: string,
  agentId: string,
): Promise<SessionRecord[]> {
  // Sorted here, not by the database: an ORDER BY started_at lets SQLite walk the agent's whole
  // history in index order (sessions_agent_started) instead of their few open ones (sessions_agent_open).
  const rows = await sessionQuery(db)
    .where("s.account_id", "=", accountId)
    .where("s.agent_id", "=", agentId)
    .where("s.ended_at", "is", null)
    .execute();
  return rows.sort((a, b) => a.started_at - b.started_at || (a.id < b.id ? -1 : 1)).map(toRecord);
}

/**
 * Locks the agent's row until the transaction ends (a no-op write, as `lockAccount` does), so
 * checks of their open sessions and the session that follows happen one at a time per agent.
 */
export async function lockAgent(db: Kysely<Database>, agentId: string): Promise<number> {
  const r = await db
    .updateTable("users")
    .set((eb) => ({ max_sessions: eb.ref("max_sessions") }))
    .where("id", "=", agentId)
    .returning("max_sessions")
    .executeTakeFirst();
  return r?.max_sessions ?? 0;
}

/** Open sessions per agent, for the capacity check (BEHAVIOUR.md §4: at the limit counts as busy). */
export async function openSessionCounts(
  db: Kysely<Database>,
  agentIds: string[],
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (agentIds.length === 0) return counts;
  const rows = await db
    .selectFrom("sessions")
    .select(["agent_id", (eb) => eb.fn.countAll<number>().as("n")])
    .where("agent_id", "in", agentIds)
    .where("ended_at", "is", null)
    .groupBy("agent_id")
    .execute();
  for (const r of rows) counts.set(r.agent_id, Number(r.n));
  return counts;
}

export async function endSessionRow(
  db: Kysely<Database>,
  accountId: string,
  sessionId: string,
  at: number,
  endedBy: "agent" | "customer",
): Promise<boolean> {
  const r = await db
    .updateTable("sessions")
    .set({ ended_at: at, ended_by: endedBy })
    .where("account_id", "=", accountId)
    .where("id", "=", sessionId)
    .where("ended_at", "is", null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * Appends a chat message with the session's next sequence number. Run inside a transaction:
 * the increment locks the session row, so concurrent senders get 1, 2, 3 … without gaps.
 */
export async function appendMessage(
  db: Kysely<Database>,
  accountId: string,
  sessionId: string,
  m: Omit<ChatMessage, "seq">,
  authorId: string | null = null,
): Promise<ChatMessage | null> {
  const bumped = await db
    .updateTable("sessions")
    .set((eb) => ({ last_seq: eb("last_seq", "+", 1) }))
    .where("account_id", "=", accountId)
    .where("id", "=", sessionId)
    .returning("last_seq")
    .executeTakeFirst();
  if (!bumped) return null;
  const seq = bumped.last_seq;
  await db
    .insertInto("messages")
    .values({
      session_id: sessionId,
      seq,
      account_id: accountId,
      sender: m.sender,
      author_name: m.authorName,
      body: m.body,
      created_at: m.at,
      visibility: m.visibility ?? "all",
      author_id: authorId,
      event: m.event ? JSON.stringify(m.event) : null,
    })
    .execute();
  return { ...m, seq, ...(authorId ? { authorId } : {}) };
}

/**
 * Who reads: "agents" get everything of the session; "customer" never gets a private note or an
 * agents-only system line — the one filter between the two, in the query itself.
 */
export type Audience = "agents" | "customer";

export async function listMessages(
  db: Kysely<Database>,
  accountId: string,
  sessionId: string,
  sinceSeq: number,
  audience: Audience,
  limit?: number,
): Promise<ChatMessage[]> {
  let q = db
    .selectFrom("messages")
    .select(["seq", "sender", "author_name", "author_id", "body", "created_at", "visibility", "event"])
    .where("account_id", "=", accountId)
    .where("session_id", "=", sessionId)
    .where("seq", ">", sinceSeq);
  if (audience === "customer") q = q.where("visibility", "=", "all");
  const rows =
    limit === undefined
      ? await q.orderBy("seq").execute()
      : (await q.orderBy("seq", "desc").limit(limit).execute()).reverse();
  return rows.map(toChatMessage);
}

function toChatMessage(r: {
  seq: number;
  sender: string;
  author_name: string;
  author_id: string | null;
  body: string;
  created_at: number;
  visibility: string;
  event: string | null;
}): ChatMessage {
  const m: ChatMessage = {
    seq: r.seq,
    sender: r.sender as ChatMessage["sender"],
    authorName: r.author_name,
    body: r.body,
    at: r.created_at,
  };
  if (r.author_id) m.authorId = r.author_id;
  if (r.visibility === "agents") m.visibility = "agents";
  if (r.event) m.event = JSON.parse(r.event) as NonNullable<ChatMessage["event"]>;
  return m;
}

export interface AgentDayStats {
  sessions: number;
  avgWaitMs: number | null;
  avgDurationMs: number | null;
}

export async function agentStatsSince(
  db: Kysely<Database>,
  accountId: string,
  agentId: string,
  since: number,
): Promise<AgentDayStats> {
  const rows = await db
    .selectFrom("sessions as s")
    .innerJoin("requests as r", "r.id", "s.request_id")
    .select(["s.started_at", "s.ended_at", "r.created_at"])
    .where("s.account_id", "=", accountId)
    .where("s.agent_id", "=", agentId)
    .where("s.started_at", ">=", since)
    .execute();
  const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  return {
    sessions: rows.length,
    avgWaitMs: avg(rows.map((r) => r.started_at - r.created_at)),
    avgDurationMs: avg(
      rows.filter((r) => r.ended_at !== null).map((r) => (r.ended_at as number) - r.started_at),
    ),
  };
}

/**
 * Opens the session of an accepted request and posts the portal's greeting as its first message,
 * in the caller's transaction (so a session never exists without its greeting). Returns the
 * session's last sequence number (1 with a greeting, else 0) and the portal's name (for the
 * announcement). Three statements at most: this runs while the request's row is locked by the
 * accept, so every round trip here is one the race's losers wait for.
 */
export async function openSession(
  trx: Kysely<Database>,
  s: {
    accountId: string;
    requestId: string;
    portalId: string;
    agentId: string;
    agentName: string;
    startedAt: number;
  },
): Promise<{ lastSeq: number; portalName: string }> {
  const portal = await trx
    .selectFrom("portals")
    .select(["greeting", "name"])
    .where("id", "=", s.portalId)
    .executeTakeFirst();
  const lastSeq = await insertSessionWithGreeting(trx, { ...s, greeting: portal?.greeting ?? "" });
  return { lastSeq, portalName: portal?.name ?? "" };
}

/** The session row and, when the greeting is not blank, its first message (seq 1); returns the last seq. */
async function insertSessionWithGreeting(
  trx: Kysely<Database>,
  s: {
    accountId: string;
    requestId: string;
    agentId: string;
    agentName: string;
    startedAt: number;
    greeting: string;
  },
): Promise<number> {
  const greeting = s.greeting.trim();
  const lastSeq = greeting === "" ? 0 : 1;
  await trx
    .insertInto("sessions")
    .values({
      id: s.requestId,
      account_id: s.accountId,
      request_id: s.requestId,
      agent_id: s.agentId,
      started_at: s.startedAt,
      ended_at: null,
      last_seq: lastSeq,
    })
    .execute();
  if (greeting !== "") {
    await trx
      .insertInto("messages")
      .values({
        session_id: s.requestId,
        seq: 1,
        account_id: s.accountId,
        sender: "agent",
        author_name: s.agentName,
        body: greeting,
        created_at: s.startedAt,
      })
      .execute();
  }
  return lastSeq;
}

export interface Receipts {
  agent: { delivered: number; read: number };
  customer: { delivered: number; read: number };
}

/** Moves one side's delivered/read marks forward (never back): CASE, since GREATEST/max differ between the dialects. */
export async function advanceReceipts(
  db: Kysely<Database>,
  accountId: string,
  sessionId: string,
  side: "agent" | "customer",
  delivered: number,
  read: number,
): Promise<void> {
  const ahead = (
    col: "agent_delivered_seq" | "agent_read_seq" | "customer_delivered_seq" | "customer_read_seq",
    v: number,
  ) => sql<number>`case when ${sql.ref(col)} < ${v} then ${v} else ${sql.ref(col)} end`;
  await db
    .updateTable("sessions")
    .set(
      side === "agent"
        ? {
            agent_delivered_seq: ahead("agent_delivered_seq", delivered),
            agent_read_seq: ahead("agent_read_seq", read),
          }
        : {
            customer_delivered_seq: ahead("customer_delivered_seq", delivered),
            customer_read_seq: ahead("customer_read_seq", read),
          },
    )
    .where("id", "=", sessionId)
    .where("account_id", "=", accountId)
    .execute();
}

export async function receiptsOf(
  db: Kysely<Database>,
  accountId: string,
  sessionId: string,
): Promise<Receipts> {
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

/** The agent's end-of-session form. */
export async function setOutcome(
  db: Kysely<Database>,
  accountId: string,
  sessionId: string,
  form: { outcome: string; notes: string | null; ticket: string | null },
): Promise<void> {
  await db
    .updateTable("sessions")
    .set({ outcome: form.outcome, notes: form.notes, ticket: form.ticket })
    .where("id", "=", sessionId)
    .where("account_id", "=", accountId)
    .execute();
}

/** The customer's survey, once: false when it was already answered. */
export async function setSurvey(
  db: Kysely<Database>,
  accountId: string,
  sessionId: string,
  rating: number,
  comment: string | null,
): Promise<boolean> {
  const r = await db
    .updateTable("sessions")
    .set({ rating, comment })
    .where("id", "=", sessionId)
    .where("account_id", "=", accountId)
    .where("rating", "is", null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * The accept's second statement: with the agent's row locked by the claim, their open sessions
 * are counted and, if below `maxSessions` (the rule of policy.assertBelowLimit), the session is
 * opened with the greeting as its first message — in one statement on PostgreSQL. Returns whether
 * it opened, the count it saw, and the session's last sequence number.
 */
export async function openSessionWithinLimit(
  trx: Kysely<Database>,
  dialect: "sqlite" | "postgres",
  s: {
    accountId: string;
    requestId: string;
    agentId: string;
    agentName: string;
    startedAt: number;
    greeting: string;
    maxSessions: number;
  },
): Promise<{ opened: boolean; open: number; lastSeq: number }> {
  const greeting = s.greeting.trim();
  const lastSeq = greeting === "" ? 0 : 1;
  if (dialect === "postgres") {
    const r = await sql<{ open: number; opened: number }>`
      with counted as (
        select count(*)::int as n from sessions where agent_id = ${s.agentId} and ended_at is null
      ), opened as (
        insert into sessions (id, account_id, request_id, agent_id, started_at, ended_at, last_seq)
        select ${s.requestId}, ${s.accountId}, ${s.requestId}, ${s.agentId}, ${s.startedAt}, null, ${lastSeq}
        where (select n from counted) < ${s.maxSessions}
        returning id
      ), greeted as (
        insert into messages (session_id, seq, account_id, sender, author_name, body, created_at)
        select id, 1, ${s.accountId}, 'agent', ${s.agentName}, ${greeting}, ${s.startedAt}
        from opened where ${greeting} <> ''
      )
      select (select n from counted) as open, (select count(*)::int from opened) as opened`.execute(trx);
    const row = r.rows[0];
    return { opened: Number(row?.opened ?? 0) === 1, open: Number(row?.open ?? 0), lastSeq };
  }
  const open = (await openSessionCounts(trx, [s.agentId])).get(s.agentId) ?? 0;
  if (open >= s.maxSessions) return { opened: false, open, lastSeq };
  await insertSessionWithGreeting(trx, s);
  return { opened: true, open, lastSeq };
}
