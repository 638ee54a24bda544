import type { Kysely } from "kysely";
import type { Database } from "../db/schema.js";

export type OfferState = "pending" | "accepted" | "declined" | "timed-out" | "withdrawn";

export interface OfferRecord {
  id: string;
  accountId: string;
  portalId: string;
  requestId: string;
  agentId: string;
  round: number;
  state: OfferState;
  createdAt: number;
  expiresAt: number;
}

function toRecord(r: {
  id: string;
  account_id: string;
  portal_id: string;
  request_id: string;
  agent_id: string;
  round: number;
  state: string;
  created_at: number;
  expires_at: number;
}): OfferRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    portalId: r.portal_id,
    requestId: r.request_id,
    agentId: r.agent_id,
    round: r.round,
    state: r.state as OfferState,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
  };
}

/** The single conditional write behind an offer: the partial unique indexes refuse a second pending one. */
export async function insertOffer(db: Kysely<Database>, o: OfferRecord): Promise<void> {
  await db
    .insertInto("offers")
    .values({
      id: o.id,
      account_id: o.accountId,
      portal_id: o.portalId,
      request_id: o.requestId,
      agent_id: o.agentId,
      round: o.round,
      state: "pending",
      created_at: o.createdAt,
      expires_at: o.expiresAt,
      ended_at: null,
    })
    .execute();
}

export async function pendingOffersOfAgents(
  db: Kysely<Database>,
  agentIds: string[],
): Promise<OfferRecord[]> {
  if (agentIds.length === 0) return [];
  const rows = await db
    .selectFrom("offers")
    .selectAll()
    .where("agent_id", "in", agentIds)
    .where("state", "=", "pending")
    .execute();
  return rows.map(toRecord);
}

export async function pendingOffersOfPortal(db: Kysely<Database>, portalId: string): Promise<OfferRecord[]> {
  const rows = await db
    .selectFrom("offers")
    .selectAll()
    .where("portal_id", "=", portalId)
    .where("state", "=", "pending")
    .execute();
  return rows.map(toRecord);
}

export async function findOffer(
  db: Kysely<Database>,
  accountId: string,
  offerId: string,
): Promise<OfferRecord | null> {
  const r = await db
    .selectFrom("offers")
    .selectAll()
    .where("account_id", "=", accountId)
    .where("id", "=", offerId)
    .executeTakeFirst();
  return r ? toRecord(r) : null;
}

/** Agents who refused (declined or let time out) each request in its current round. */
export async function refusalsOf(
  db: Kysely<Database>,
  requests: { id: string; round: number }[],
): Promise<Map<string, Set<string>>> {
  const map = new Map<string, Set<string>>();
  if (requests.length === 0) return map;
  const rows = await db
    .selectFrom("offers")
    .select(["request_id", "agent_id", "round"])
    .where(
      "request_id",
      "in",
      requests.map((r) => r.id),
    )
    .where("state", "in", ["declined", "timed-out"])
    .execute();
  const rounds = new Map(requests.map((r) => [r.id, r.round]));
  for (const r of rows) {
    if (rounds.get(r.request_id) !== r.round) continue;
    const set = map.get(r.request_id) ?? new Set<string>();
    set.add(r.agent_id);
    map.set(r.request_id, set);
  }
  return map;
}

/** Ends a pending offer; true only for the one caller whose write changed it. */
export async function endOffer(
  db: Kysely<Database>,
  offerId: string,
  to: Exclude<OfferState, "pending">,
  at: number,
  agentId?: string,
): Promise<boolean> {
  let q = db
    .updateTable("offers")
    .set({ state: to, ended_at: at })
    .where("id", "=", offerId)
    .where("state", "=", "pending");
  if (agentId) q = q.where("agent_id", "=", agentId);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function expiredOffers(db: Kysely<Database>, now: number): Promise<OfferRecord[]> {
  const rows = await db
    .selectFrom("offers")
    .selectAll()
    .where("state", "=", "pending")
    .where("expires_at", "<=", now)
    .limit(500)
    .execute();
  return rows.map(toRecord);
}

export async function pendingOffersOfRequest(
  db: Kysely<Database>,
  requestId: string,
): Promise<OfferRecord[]> {
  const rows = await db
    .selectFrom("offers")
    .selectAll()
    .where("request_id", "=", requestId)
    .where("state", "=", "pending")
    .execute();
  return rows.map(toRecord);
}
