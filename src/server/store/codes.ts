import type { Kysely } from "kysely";
import type { Database } from "../db/schema.js";

export interface CodeRecord {
  id: string;
  accountId: string;
  portalId: string;
  portalName: string;
  portalSlug: string;
  agentId: string;
  code: string;
  name: string;
  state: string;
  createdAt: number;
  expiresAt: number;
}

function codeQuery(db: Kysely<Database>) {
  return db
    .selectFrom("codes as c")
    .innerJoin("portals as p", "p.id", "c.portal_id")
    .select([
      "c.id",
      "c.account_id",
      "c.portal_id",
      "p.name as portal_name",
      "p.slug as portal_slug",
      "c.agent_id",
      "c.code",
      "c.name",
      "c.state",
      "c.created_at",
      "c.expires_at",
    ]);
}

type Row = Awaited<ReturnType<ReturnType<typeof codeQuery>["executeTakeFirstOrThrow"]>>;

function toRecord(r: Row): CodeRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    portalId: r.portal_id,
    portalName: r.portal_name,
    portalSlug: r.portal_slug,
    agentId: r.agent_id,
    code: r.code,
    name: r.name,
    state: r.state,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
  };
}

/** Marks live codes past their time as expired, so their numbers can be used again. */
export async function expireCodes(
  db: Kysely<Database>,
  now: number,
): Promise<{ agentId: string; accountId: string }[]> {
  const due = await db
    .selectFrom("codes")
    .select(["id", "agent_id", "account_id"])
    .where("state", "=", "live")
    .where("expires_at", "<=", now)
    .execute();
  if (due.length === 0) return [];
  await db
    .updateTable("codes")
    .set({ state: "expired" })
    .where(
      "id",
      "in",
      due.map((d) => d.id),
    )
    .where("state", "=", "live")
    .execute();
  return due.map((d) => ({ agentId: d.agent_id, accountId: d.account_id }));
}

export async function insertCode(
  db: Kysely<Database>,
  c: {
    id: string;
    accountId: string;
    portalId: string;
    agentId: string;
    code: string;
    name: string;
    createdAt: number;
    expiresAt: number;
  },
): Promise<void> {
  await db
    .insertInto("codes")
    .values({
      id: c.id,
      account_id: c.accountId,
      portal_id: c.portalId,
      agent_id: c.agentId,
      code: c.code,
      name: c.name,
      state: "live",
      created_at: c.createdAt,
      expires_at: c.expiresAt,
      redeemed_at: null,
      request_id: null,
    })
    .execute();
}

export async function listLiveCodes(
  db: Kysely<Database>,
  accountId: string,
  agentId: string,
  now: number,
): Promise<CodeRecord[]> {
  const rows = await codeQuery(db)
    .where("c.account_id", "=", accountId)
    .where("c.agent_id", "=", agentId)
    .where("c.state", "=", "live")
    .where("c.expires_at", ">", now)
    .orderBy("c.created_at")
    .execute();
  return rows.map(toRecord);
}

export async function findLiveCode(
  db: Kysely<Database>,
  code: string,
  now: number,
): Promise<CodeRecord | null> {
  const r = await codeQuery(db)
    .where("c.code", "=", code)
    .where("c.state", "=", "live")
    .where("c.expires_at", ">", now)
    .executeTakeFirst();
  return r ? toRecord(r) : null;
}

/** Single use: exactly one redemption wins this conditional write. */
export async function redeemCodeRow(
  db: Kysely<Database>,
  codeId: string,
  requestId: string,
  now: number,
): Promise<boolean> {
  const r = await db
    .updateTable("codes")
    .set({ state: "redeemed", redeemed_at: now, request_id: requestId })
    .where("id", "=", codeId)
    .where("state", "=", "live")
    .where("expires_at", ">", now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function cancelCodeRow(
  db: Kysely<Database>,
  accountId: string,
  agentId: string,
  codeId: string,
): Promise<boolean> {
  const r = await db
    .updateTable("codes")
    .set({ state: "canceled" })
    .where("account_id", "=", accountId)
    .where("agent_id", "=", agentId)
    .where("id", "=", codeId)
    .where("state", "=", "live")
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** A deleted portal's live codes are canceled with it; returns the agents whose codes these were. */
export async function cancelPortalCodes(
  db: Kysely<Database>,
  accountId: string,
  portalId: string,
): Promise<string[]> {
  const rows = await db
    .updateTable("codes")
    .set({ state: "canceled" })
    .where("account_id", "=", accountId)
    .where("portal_id", "=", portalId)
    .where("state", "=", "live")
    .returning("agent_id")
    .execute();
  return [...new Set(rows.map((r) => r.agent_id))];
}

export async function recordRedeemFailure(
  db: Kysely<Database>,
  id: string,
  client: string,
  at: number,
): Promise<void> {
  await db.insertInto("redeem_failures").values({ id, client, at }).execute();
}

export async function countRedeemFailures(
  db: Kysely<Database>,
  since: number,
  client?: string,
): Promise<{ count: number; oldest: number | null }> {
  let q = db
    .selectFrom("redeem_failures")
    .select((eb) => [eb.fn.countAll<number>().as("n"), eb.fn.min("at").as("oldest")])
    .where("at", ">", since);
  if (client !== undefined) q = q.where("client", "=", client);
  const r = await q.executeTakeFirstOrThrow();
  return { count: Number(r.n), oldest: r.oldest === null ? null : Number(r.oldest) };
}

export async function pruneRedeemFailures(db: Kysely<Database>, before: number): Promise<void> {
  await db.deleteFrom("redeem_failures").where("at", "<=", before).execute();
}
