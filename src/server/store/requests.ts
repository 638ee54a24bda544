import { randomUUID } from "node:crypto";
import { type Kysely, type Selectable, sql } from "kysely";
import type { AlertKind, RequestState, RequestView } from "../../shared/protocol.js";
import type { Database } from "../db/schema.js";
import { newSessionNumber } from "../domain/requests.js";
import { lockAgent } from "./sessions.js";

export interface NewRequestRow {
  id: string;
  accountId: string;
  portalId: string;
  sessionNumber: string;
  kind: AlertKind;
  state: RequestState;
  targetAgentId: string | null;
  agentId: string | null;
  customerName: string;
  customerEmail: string;
  contact: Record<string, string>;
  question: string;
  language: string;
  customerTokenHash: string;
  codeId: string | null;
  createdAt: number;
  deadlineAt: number | null;
  /** An offline message left while the portal was closed (its business hours). */
  outsideHours?: boolean;
}

/** Inserts the request; false (nothing written) when its session number is taken already. */
export async function insertRequest(db: Kysely<Database>, r: NewRequestRow): Promise<boolean> {
  const inserted = await db
    .insertInto("requests")
    .values({
      id: r.id,
      account_id: r.accountId,
      portal_id: r.portalId,
      session_number: r.sessionNumber,
      kind: r.kind,
      state: r.state,
      target_agent_id: r.targetAgentId,
      agent_id: r.agentId,
      customer_name: r.customerName,
      customer_email: r.customerEmail,
      contact: JSON.stringify(r.contact),
      question: r.question,
      language: r.language,
      customer_token_hash: r.customerTokenHash,
      code_id: r.codeId,
      created_at: r.createdAt,
      state_at: r.createdAt,
      deadline_at: r.deadlineAt,
      customer_gone_at: null,
      outside_hours: r.outsideHours ? 1 : 0,
    })
    // A taken number is no error: inside a PostgreSQL transaction an error would end the transaction.
    .onConflict((oc) => oc.column("session_number").doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1) return false;
  await recordTransition(db, r.id, r.accountId, r.state, r.agentId, r.createdAt);
  return true;
}

export async function recordTransition(
  db: Kysely<Database>,
  requestId: string,
  accountId: string,
  state: RequestState,
  agentId: string | null,
  at: number,
): Promise<void> {
  await db
    .insertInto("request_events")
    .values({ id: randomUUID(), request_id: requestId, account_id: accountId, state, agent_id: agentId, at })
    .execute();
}

function viewQuery(db: Kysely<Database>) {
  return db
    .selectFrom("requests as r")
    .innerJoin("portals as p", "p.id", "r.portal_id")
    .leftJoin("users as u", "u.id", "r.agent_id")
    .select([
      "r.id",
      "r.account_id",
      "r.session_number",
      "r.portal_id",
      "p.name as portal_name",
      "r.kind",
      "r.state",
      "r.target_agent_id",
      "r.customer_name",
      "r.customer_email",
      "r.question",
      "r.contact",
      "r.created_at",
      "r.deadline_at",
      "r.agent_id",
      "u.display_name as agent_name",
      "r.state_at",
      "r.customer_token_hash",
      "r.customer_gone_at",
      "r.language",
    ]);
}

type ViewRow = Awaited<ReturnType<ReturnType<typeof viewQuery>["executeTakeFirstOrThrow"]>>;

export interface RequestRecord extends RequestView {
  accountId: string;
  /** The language of the pages the customer asked from (their emails are in it). */
  language: string;
  customerTokenHash: string;
  customerGoneAt: number | null;
}

function toRecord(r: ViewRow): RequestRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    sessionNumber: r.session_number,
    sessionId: r.session_number,
    portalId: r.portal_id,
    portalName: r.portal_name,
    kind: r.kind as AlertKind,
    state: r.state as RequestState,
    targetAgentId: r.target_agent_id,
    customerName: r.customer_name,
    customerEmail: r.customer_email,
    question: r.question,
    contact: JSON.parse(r.contact) as Record<string, string>,
    createdAt: r.created_at,
    deadlineAt: r.deadline_at,
    agentId: r.agent_id,
    agentName: r.agent_name,
    stateAt: r.state_at,
    customerTokenHash: r.customer_token_hash,
    customerGoneAt: r.customer_gone_at,
    language: r.language,
  };
}

/** The public view an agent gets: no token hash, no internal bookkeeping. */
export function toView(r: RequestRecord): RequestView {
  const { accountId: _a, customerTokenHash: _t, customerGoneAt: _g, language: _l, ...view } = r;
  return view;
}

export async function findRequest(
  db: Kysely<Database>,
  accountId: string,
  requestId: string,
): Promise<RequestRecord | null> {
  const r = await viewQuery(db)
    .where("r.account_id", "=", accountId)
    .where("r.id", "=", requestId)
    .executeTakeFirst();
  return r ? toRecord(r) : null;
}

/** For the customer's own page: found by id, then the caller checks the token against the hash. */
export async function findRequestForCustomer(
  db: Kysely<Database>,
  requestId: string,
): Promise<RequestRecord | null> {
  const r = await viewQuery(db).where("r.id", "=", requestId).executeTakeFirst();
  return r ? toRecord(r) : null;
}

/** Waiting requests of the given portals, oldest first. */
export async function listWaiting(
  db: Kysely<Database>,
  accountId: string,
  portalIds: string[],
): Promise<RequestRecord[]> {
  if (portalIds.length === 0) return [];
  const rows = await viewQuery(db)
    .where("r.account_id", "=", accountId)
    .where("r.state", "=", "waiting")
    .where("r.portal_id", "in", portalIds)
    .execute();
  // Arrival order, ties by id: the queue's order (domain/queue.ts), the same on every read. Sorted
  // here, not by the database: asked to, SQLite may walk the account's whole history by
  // requests_account_created_id to avoid sorting the few waiting rows.
  return rows
    .map(toRecord)
    .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export async function listRecent(
  db: Kysely<Database>,
  accountId: string,
  portalIds: string[],
  states: RequestState[],
  since: number,
  limit: number,
): Promise<RequestRecord[]> {
  if (portalIds.length === 0) return [];
  const rows = await viewQuery(db)
    .where("r.account_id", "=", accountId)
    .where("r.portal_id", "in", portalIds)
    .where("r.state", "in", states)
    .where("r.state_at", ">=", since)
    .orderBy("r.state_at", "desc")
    .limit(limit)
    .execute();
  return rows.map(toRecord);
}

/**
 * The one conditional write behind every transition out of `waiting`: it succeeds for exactly
 * one caller, whatever the number of nodes and racing agents.
 */
export async function transitionFromWaiting(
  db: Kysely<Database>,
  accountId: string,
  requestId: string,
  to: RequestState,
  at: number,
  opts: { agentId?: string; onlyTarget?: string } = {},
): Promise<boolean> {
  let q = db
    .updateTable("requests")
    .set({ state: to, state_at: at, ...(opts.agentId ? { agent_id: opts.agentId } : {}) })
    .where("account_id", "=", accountId)
    .where("id", "=", requestId)
    .where("state", "=", "waiting");
  if (opts.onlyTarget) {
    const target = opts.onlyTarget;
    q = q.where((eb) => eb.or([eb("target_agent_id", "is", null), eb("target_agent_id", "=", target)]));
  }
  const result = await q.executeTakeFirst();
  const changed = Number(result.numUpdatedRows) === 1;
  if (changed) await recordTransition(db, requestId, accountId, to, opts.agentId ?? null, at);
  return changed;
}

export async function markEnded(
  db: Kysely<Database>,
  accountId: string,
  requestId: string,
  at: number,
): Promise<boolean> {
  const result = await db
    .updateTable("requests")
    .set({ state: "ended", state_at: at })
    .where("account_id", "=", accountId)
    .where("id", "=", requestId)
    .where("state", "=", "accepted")
    .executeTakeFirst();
  const changed = Number(result.numUpdatedRows) === 1;
  if (changed) await recordTransition(db, requestId, accountId, "ended", null, at);
  return changed;
}

export async function setCustomerGone(
  db: Kysely<Database>,
  requestId: string,
  at: number | null,
): Promise<void> {
  await db
    .updateTable("requests")
    .set({ customer_gone_at: at })
    .where("id", "=", requestId)
    .where("state", "=", "waiting")
    .execute();
}

/** Waiting requests past their deadline, or whose customer left longer ago than the grace period. */
export async function listOverdue(
  db: Kysely<Database>,
  now: number,
  goneBefore: number,
): Promise<{ id: string; accountId: string; reason: "deadline" | "gone" }[]> {
  const rows = await db
    .selectFrom("requests")
    .select(["id", "account_id", "deadline_at", "customer_gone_at"])
    .where("state", "=", "waiting")
    .where((eb) => eb.or([eb("deadline_at", "<=", now), eb("customer_gone_at", "<=", goneBefore)]))
    .limit(500)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    accountId: r.account_id,
    reason: r.deadline_at !== null && r.deadline_at <= now ? "deadline" : "gone",
  }));
}

/** The language of the pages the customer asked from (en, de …), for their status page. */
export async function findRequestLanguage(
  db: Kysely<Database>,
  accountId: string,
  requestId: string,
): Promise<string | null> {
  const r = await db
    .selectFrom("requests")
    .select("language")
    .where("account_id", "=", accountId)
    .where("id", "=", requestId)
    .executeTakeFirst();
  return r?.language ?? null;
}

/** Inserts a request with a fresh 9-digit session number, retrying the rare collision. */
export async function insertWithSessionNumber(
  db: Kysely<Database>,
  row: Omit<NewRequestRow, "sessionNumber">,
): Promise<NewRequestRow> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const full = { ...row, sessionNumber: newSessionNumber() };
    if (await insertRequest(db, full)) return full;
  }
  throw new Error("could not find a free session number after 8 tries");
}

/** The queue round of each request (a new round starts when every eligible agent has refused it). */
export async function requestRounds(
  db: Kysely<Database>,
  requestIds: string[],
): Promise<Map<string, number>> {
  if (requestIds.length === 0) return new Map();
  const rows = await db
    .selectFrom("requests")
    .select(["id", "round"])
    .where("id", "in", requestIds)
    .execute();
  return new Map(rows.map((r) => [r.id, r.round]));
}

/** Starts the request's next queue round, if it is still in the one before. */
export async function advanceRound(db: Kysely<Database>, requestId: string, round: number): Promise<void> {
  await db
    .updateTable("requests")
    .set({ round })
    .where("id", "=", requestId)
    .where("round", "=", round - 1)
    .execute();
}

/**
 * Whether the request is still waiting, read inside the caller's transaction; on PostgreSQL the row
 * stays locked until it ends, so a cancel or take committing meanwhile waits and then sees the offer.
 */
export async function isStillWaiting(
  trx: Kysely<Database>,
  dialect: "sqlite" | "postgres",
  requestId: string,
): Promise<boolean> {
  let check = trx.selectFrom("requests").select("state").where("id", "=", requestId);
  if (dialect === "postgres") check = check.forUpdate();
  return (await check.executeTakeFirst())?.state === "waiting";
}

/** Queue portals with someone waiting and no offer out for them: what the reconcile pass re-examines. */
export async function queuePortalsWithUnofferedWaiting(
  db: Kysely<Database>,
): Promise<{ accountId: string; portalId: string }[]> {
  const rows = await db
    .selectFrom("requests as r")
    .select(["r.account_id", "r.portal_id"])
    .where("r.state", "=", "waiting")
    .where("r.kind", "=", "queue")
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("offers as o")
            .select("o.id")
            .whereRef("o.request_id", "=", "r.id")
            .where("o.state", "=", "pending"),
        ),
      ),
    )
    .groupBy(["r.account_id", "r.portal_id"])
    .limit(500)
    .execute();
  return rows.map((r) => ({ accountId: r.account_id, portalId: r.portal_id }));
}

/** Average wait of the portal's queue requests accepted since `since` (the customers' estimate). */
export async function recentAverageWaitMs(
  db: Kysely<Database>,
  portalId: string,
  since: number,
): Promise<number | null> {
  // The portal's account bounds the transitions read to its accepts since `since` (index
  // request_events_account_state_at), not every transition the portal's requests ever had.
  const rows = await db
    .selectFrom("request_events as e")
    .innerJoin("requests as r", "r.id", "e.request_id")
    .select(["e.at", "r.created_at"])
    .where("e.account_id", "=", (eb) =>
      eb.selectFrom("portals").select("account_id").where("id", "=", portalId),
    )
    .where("r.portal_id", "=", portalId)
    .where("e.state", "=", "accepted")
    .where("e.at", ">=", since)
    .orderBy("e.at", "desc")
    .limit(50)
    .execute();
  if (rows.length === 0) return null;
  return rows.reduce((sum, r) => sum + (r.at - r.created_at), 0) / rows.length;
}

const CLAIMED_COLUMNS = [
  "id",
  "account_id",
  "session_number",
  "portal_id",
  "kind",
  "state",
  "target_agent_id",
  "customer_name",
  "customer_email",
  "question",
  "contact",
  "created_at",
  "deadline_at",
  "state_at",
  "customer_token_hash",
  "customer_gone_at",
  "language",
] as const;

type ClaimedRow = Pick<Selectable<Database["requests"]>, (typeof CLAIMED_COLUMNS)[number]>;

export interface Claim {
  /** The request as it now is: accepted by the agent. */
  request: RequestRecord;
  /** The portal's greeting (the session's first message, if not blank). */
  greeting: string;
  /** The agent's session limit, read with their row locked until the transaction ends. */
  maxSessions: number;
}

/**
 * The accept's deciding write, first in its transaction: the request becomes the agent's only if
 * it is still waiting, is not a queue request (those go by offer), belongs to one of the agent's
 * portals and was addressed to nobody or to them. With it, in the same statement on PostgreSQL
 * (data-modifying CTEs; SQLite runs them one after the other, without a round trip each): the
 * transition is recorded, the agent's row is locked until the transaction ends (so their session
 * count, read next, is exact), and the portal's name and greeting are read. Returns null when
 * lost or not theirs to take — the caller reads the request to say which. A loser waits here only
 * until the winner's transaction ends; the winner's whole accept is four round trips.
 */
export async function claimRequest(
  trx: Kysely<Database>,
  dialect: "sqlite" | "postgres",
  accountId: string,
  requestId: string,
  agent: { id: string; name: string; portalIds: string[] },
  at: number,
): Promise<Claim | null> {
  if (agent.portalIds.length === 0) return null;
  let row: (ClaimedRow & { portal_name: string; greeting: string; max_sessions: number }) | undefined;
  if (dialect === "postgres") {
    const result = await sql<ClaimedRow & { portal_name: string; greeting: string; max_sessions: number }>`
      with claim as (
        update requests set state = 'accepted', state_at = ${at}, agent_id = ${agent.id}
        where account_id = ${accountId} and id = ${requestId} and state = 'waiting' and kind <> 'queue'
          and portal_id = any(${agent.portalIds}::text[])
          and (target_agent_id is null or target_agent_id = ${agent.id})
        returning ${sql.join(CLAIMED_COLUMNS.map((c) => sql.ref(c)))}
      ), transition as (
        insert into request_events (id, request_id, account_id, state, agent_id, at)
        select ${randomUUID()}, id, account_id, 'accepted', ${agent.id}, ${at} from claim
      ), agent as (
        update users set max_sessions = max_sessions
        where id = ${agent.id} and exists (select 1 from claim)
        returning max_sessions
      )
      select claim.*, p.name as portal_name, p.greeting, (select max_sessions from agent) as max_sessions
      from claim join portals p on p.id = claim.portal_id`.execute(trx);
    row = result.rows[0];
  } else {
    const claimed = await trx
      .updateTable("requests")
      .set({ state: "accepted", state_at: at, agent_id: agent.id })
      .where("account_id", "=", accountId)
      .where("id", "=", requestId)
      .where("state", "=", "waiting")
      .where("kind", "<>", "queue")
      .where("portal_id", "in", agent.portalIds)
      .where((eb) => eb.or([eb("target_agent_id", "is", null), eb("target_agent_id", "=", agent.id)]))
      .returning(CLAIMED_COLUMNS)
      .executeTakeFirst();
    if (claimed) {
      await recordTransition(trx, requestId, accountId, "accepted", agent.id, at);
      const maxSessions = await lockAgent(trx, agent.id);
      const portal = await trx
        .selectFrom("portals")
        .select(["name", "greeting"])
        .where("id", "=", claimed.portal_id)
        .executeTakeFirst();
      row = {
        ...claimed,
        portal_name: portal?.name ?? "",
        greeting: portal?.greeting ?? "",
        max_sessions: maxSessions,
      };
    }
  }
  if (!row) return null;
  const { greeting, max_sessions, ...view } = row;
  return {
    request: toRecord({ ...view, agent_id: agent.id, agent_name: agent.name }),
    greeting,
    maxSessions: Number(max_sessions),
  };
}

/** Locks a request's row until the transaction ends (a no-op update), for a count-then-insert per request. */
export async function lockRequest(db: Kysely<Database>, accountId: string, requestId: string): Promise<void> {
  await db
    .updateTable("requests")
    .set((eb) => ({ state: eb.ref("state") }))
    .where("account_id", "=", accountId)
    .where("id", "=", requestId)
    .execute();
}
