import { randomUUID } from "node:crypto";
import { type Kysely, type Selectable, sql } from "kysely";
import type { Delivery, DeliveryState } from "../../shared/api.js";
import type { Dialect } from "../db/database.js";
import type { Database, OutboxTable } from "../db/schema.js";

/**
 * The outbox: every email and webhook is a row written in the transaction of the change that
 * causes it, then claimed and delivered by a node. A claim is a lease (lease_until): nobody else
 * takes the row before it runs out, and a node that dies mid-delivery simply lets it run out.
 */

export interface OutboxRecord {
  id: string;
  accountId: string | null;
  kind: "email" | "webhook";
  webhookId: string | null;
  eventType: string;
  recipient: string;
  payload: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
}

/** A row as it is queued: what to deliver, where; the delivery state starts fresh. */
export type NewOutboxRow = Pick<
  OutboxRecord,
  "accountId" | "kind" | "webhookId" | "eventType" | "recipient" | "payload"
> & {
  /** What it is about (a transcript email: its request), to count per subject. */
  ref?: string | null;
};

function toRecord(r: Selectable<OutboxTable>): OutboxRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    kind: r.kind as OutboxRecord["kind"],
    webhookId: r.webhook_id,
    eventType: r.event_type,
    recipient: r.recipient,
    payload: r.payload,
    state: r.state as DeliveryState,
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    createdAt: Number(r.created_at),
  };
}

export function toDelivery(r: Selectable<OutboxTable>): Delivery {
  return {
    id: r.id,
    kind: r.kind as Delivery["kind"],
    webhookId: r.webhook_id,
    eventType: r.event_type,
    recipient: r.recipient,
    state: r.state as DeliveryState,
    attempts: Number(r.attempts),
    nextAttemptAt: r.state === "pending" ? Number(r.next_attempt_at) : null,
    lastError: r.last_error,
    lastStatus: r.last_status,
    createdAt: Number(r.created_at),
    deliveredAt: r.delivered_at === null ? null : Number(r.delivered_at),
  };
}

/** Writes rows to the outbox (in the caller's transaction); their ids are returned in order. */
export async function enqueue(trx: Kysely<Database>, rows: NewOutboxRow[], now: number): Promise<string[]> {
  if (rows.length === 0) return [];
  const ids = rows.map(() => randomUUID());
  await trx
    .insertInto("outbox")
    .values(
      rows.map((r, i) => ({
        id: ids[i] as string,
        account_id: r.accountId,
        kind: r.kind,
        webhook_id: r.webhookId,
        event_type: r.eventType,
        recipient: r.recipient,
        ref: r.ref ?? null,
        payload: r.payload,
        state: "pending",
        attempts: 0,
        next_attempt_at: now,
        lease_until: null,
        leased_by: null,
        last_error: null,
        last_status: null,
        created_at: now,
        delivered_at: null,
      })),
    )
    .execute();
  return ids;
}

/**
 * Claims up to `limit` due rows for `node` until `now + leaseMs`. One statement: on SQLite the
 * writer lock makes it atomic; on PostgreSQL `FOR UPDATE SKIP LOCKED` lets nodes claim side by
 * side without waiting for each other or taking the same row.
 */
export async function claimDue(
  db: Kysely<Database>,
  dialect: Dialect,
  node: string,
  now: number,
  leaseMs: number,
  limit: number,
): Promise<OutboxRecord[]> {
  const due = db
    .selectFrom("outbox")
    .select("id")
    .where("state", "=", "pending")
    .where("next_attempt_at", "<=", now)
    .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<", now)]))
    .orderBy("next_attempt_at")
    .limit(limit);
  const rows = await db
    .updateTable("outbox")
    .set({ lease_until: now + leaseMs, leased_by: node })
    .where("id", "in", dialect === "postgres" ? due.modifyEnd(sql`for update skip locked`) : due)
    .returningAll()
    .execute();
  return rows.map(toRecord);
}

export interface AttemptResult {
  id: string;
  /** Only a row this node still holds is changed (another may have taken over after the lease). */
  node: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: number;
  error: string | null;
  status: number | null;
  at: number;
}

/** Records a try's result; false when the row was no longer this node's (the lease ran out). */
export async function recordResult(db: Kysely<Database>, r: AttemptResult): Promise<boolean> {
  const res = await db
    .updateTable("outbox")
    .set({
      state: r.state,
      attempts: r.attempts,
      next_attempt_at: r.nextAttemptAt,
      lease_until: null,
      leased_by: null,
      last_error: r.error,
      last_status: r.status,
      delivered_at: r.state === "delivered" ? r.at : null,
    })
    .where("id", "=", r.id)
    .where("leased_by", "=", r.node)
    .where("state", "=", "pending")
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function findDelivery(
  db: Kysely<Database>,
  accountId: string,
  id: string,
): Promise<Selectable<OutboxTable> | null> {
  return (
    (await db
      .selectFrom("outbox")
      .selectAll()
      .where("account_id", "=", accountId)
      .where("id", "=", id)
      .executeTakeFirst()) ?? null
  );
}

export async function listDeliveries(
  db: Kysely<Database>,
  accountId: string,
  filter: { states?: DeliveryState[]; kind?: "email" | "webhook"; webhookId?: string; limit: number },
): Promise<Delivery[]> {
  let q = db.selectFrom("outbox").selectAll().where("account_id", "=", accountId);
  if (filter.states && filter.states.length > 0) q = q.where("state", "in", filter.states);
  if (filter.kind) q = q.where("kind", "=", filter.kind);
  if (filter.webhookId) q = q.where("webhook_id", "=", filter.webhookId);
  const rows = await q.orderBy("created_at", "desc").orderBy("id").limit(filter.limit).execute();
  return rows.map(toDelivery);
}

/**
 * Due again at once, with its tries counted afresh (redeliver); the id — the idempotency key — stays.
 * A row a node is delivering right now (pending, leased) is left alone: freeing its lease would let
 * it be claimed and sent a second time while the first try is still under way. False then too.
 */
export async function requeue(
  db: Kysely<Database>,
  accountId: string,
  id: string,
  now: number,
): Promise<boolean> {
  const res = await db
    .updateTable("outbox")
    .set({
      state: "pending",
      attempts: 0,
      next_attempt_at: now,
      created_at: now,
      lease_until: null,
      leased_by: null,
      delivered_at: null,
    })
    .where("account_id", "=", accountId)
    .where("id", "=", id)
    .where((eb) =>
      eb.or([eb("state", "!=", "pending"), eb("lease_until", "is", null), eb("lease_until", "<", now)]),
    )
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** The pending deliveries of a switched-off endpoint are given up. */
export async function killPendingOfWebhook(
  db: Kysely<Database>,
  webhookId: string,
  reason: string,
): Promise<void> {
  await db
    .updateTable("outbox")
    .set({ state: "dead", last_error: reason, lease_until: null, leased_by: null })
    .where("webhook_id", "=", webhookId)
    .where("state", "=", "pending")
    .execute();
}

/** How many deliveries wait, and how many are dead (the metrics, the admin page). */
export async function outboxCounts(
  db: Kysely<Database>,
): Promise<{ pending: number; dead: number; oldestPendingAt: number | null }> {
  const rows = await db
    .selectFrom("outbox")
    .select(["state", (eb) => eb.fn.countAll<number>().as("n"), (eb) => eb.fn.min("created_at").as("oldest")])
    .where("state", "in", ["pending", "dead"])
    .groupBy("state")
    .execute();
  const pending = rows.find((r) => r.state === "pending");
  return {
    pending: Number(pending?.n ?? 0),
    dead: Number(rows.find((r) => r.state === "dead")?.n ?? 0),
    oldestPendingAt: pending?.oldest == null ? null : Number(pending.oldest),
  };
}

/** Emails of one kind queued about one subject (a request's transcript emails). */
export async function countByRef(db: Kysely<Database>, ref: string, eventType: string): Promise<number> {
  const r = await db
    .selectFrom("outbox")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("ref", "=", ref)
    .where("event_type", "=", eventType)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * Extends this node's claim on deliveries still in flight (a slow receiver, emails queued behind
 * a busy SMTP pool), so the lease never runs out under a delivery that is still going on.
 */
export async function renewLeases(
  db: Kysely<Database>,
  node: string,
  ids: readonly string[],
  until: number,
): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    await db
      .updateTable("outbox")
      .set({ lease_until: until })
      .where("leased_by", "=", node)
      .where("state", "=", "pending")
      .where("id", "in", ids.slice(i, i + 500))
      .execute();
  }
}

/** Gives back claims this node will not deliver (it is stopping): due again at once for the others. */
export async function releaseLeases(
  db: Kysely<Database>,
  node: string,
  ids: readonly string[],
): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    await db
      .updateTable("outbox")
      .set({ lease_until: null, leased_by: null })
      .where("leased_by", "=", node)
      .where("state", "=", "pending")
      .where("id", "in", ids.slice(i, i + 500))
      .execute();
  }
}

/**
 * Forgets what is over: delivered and dead deliveries (with their payloads — rendered emails hold
 * transcripts and set-password links) and the tries of the endpoints' logs older than `before`.
 */
export async function pruneOutbox(db: Kysely<Database>, before: number): Promise<number> {
  const res = await db
    .deleteFrom("outbox")
    .where("state", "in", ["delivered", "dead"])
    .where("created_at", "<", before)
    .executeTakeFirst();
  await db.deleteFrom("webhook_attempts").where("at", "<", before).execute();
  return Number(res.numDeletedRows);
}
