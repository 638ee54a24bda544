import { randomUUID } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import type { DeliveryAttempt, Webhook, WebhookEventType } from "../../shared/api.js";
import type { Database, WebhookTable } from "../db/schema.js";
import { secretPreview } from "../domain/webhooks.js";

/** Webhook endpoints of an account and the log of their deliveries' tries. */

export interface WebhookRecord {
  id: string;
  accountId: string;
  url: string;
  description: string;
  events: WebhookEventType[];
  secret: string;
  enabled: boolean;
  disabledReason: string | null;
  failingSince: number | null;
  lastDeliveryAt: number | null;
  lastStatus: number | null;
  createdAt: number;
  updatedAt: number;
}

function toRecord(r: Selectable<WebhookTable>): WebhookRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    url: r.url,
    description: r.description,
    events: JSON.parse(r.events) as WebhookEventType[],
    secret: r.secret,
    enabled: r.enabled === 1,
    disabledReason: r.disabled_reason,
    failingSince: r.failing_since === null ? null : Number(r.failing_since),
    lastDeliveryAt: r.last_delivery_at === null ? null : Number(r.last_delivery_at),
    lastStatus: r.last_status,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function toWebhook(w: WebhookRecord, stats: { pending: number; dead: number }): Webhook {
  return {
    id: w.id,
    accountId: w.accountId,
    url: w.url,
    description: w.description,
    events: w.events,
    enabled: w.enabled,
    disabledReason: w.disabledReason,
    failingSince: w.failingSince,
    secretPreview: secretPreview(w.secret),
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
    stats: { ...stats, lastDeliveryAt: w.lastDeliveryAt, lastStatus: w.lastStatus },
  };
}

export async function insertWebhook(
  db: Kysely<Database>,
  w: Omit<WebhookRecord, "id" | "disabledReason" | "failingSince" | "lastDeliveryAt" | "lastStatus">,
): Promise<WebhookRecord> {
  const id = randomUUID();
  await db
    .insertInto("webhooks")
    .values({
      id,
      account_id: w.accountId,
      url: w.url,
      description: w.description,
      events: JSON.stringify(w.events),
      secret: w.secret,
      enabled: w.enabled ? 1 : 0,
      disabled_reason: null,
      failing_since: null,
      last_delivery_at: null,
      last_status: null,
      created_at: w.createdAt,
      updated_at: w.updatedAt,
    })
    .execute();
  return { ...w, id, disabledReason: null, failingSince: null, lastDeliveryAt: null, lastStatus: null };
}

/**
 * Writes only the given fields: a change of the URL does not write back a secret rotated, or an
 * `enabled` the delivering node switched off, since the caller read the row.
 */
export async function updateWebhookRow(
  db: Kysely<Database>,
  accountId: string,
  id: string,
  w: Partial<
    Pick<
      WebhookRecord,
      "url" | "description" | "events" | "secret" | "enabled" | "disabledReason" | "failingSince"
    >
  > & { updatedAt: number },
): Promise<void> {
  await db
    .updateTable("webhooks")
    .set({
      ...(w.url !== undefined ? { url: w.url } : {}),
      ...(w.description !== undefined ? { description: w.description } : {}),
      ...(w.events !== undefined ? { events: JSON.stringify(w.events) } : {}),
      ...(w.secret !== undefined ? { secret: w.secret } : {}),
      ...(w.enabled !== undefined ? { enabled: w.enabled ? 1 : 0 } : {}),
      ...(w.disabledReason !== undefined ? { disabled_reason: w.disabledReason } : {}),
      ...(w.failingSince !== undefined ? { failing_since: w.failingSince } : {}),
      updated_at: w.updatedAt,
    })
    .where("account_id", "=", accountId)
    .where("id", "=", id)
    .execute();
}

export async function deleteWebhookRow(
  db: Kysely<Database>,
  accountId: string,
  id: string,
): Promise<boolean> {
  const res = await db
    .deleteFrom("webhooks")
    .where("account_id", "=", accountId)
    .where("id", "=", id)
    .executeTakeFirst();
  return Number(res.numDeletedRows) === 1;
}

export async function findWebhook(
  db: Kysely<Database>,
  accountId: string,
  id: string,
): Promise<WebhookRecord | null> {
  const r = await db
    .selectFrom("webhooks")
    .selectAll()
    .where("account_id", "=", accountId)
    .where("id", "=", id)
    .executeTakeFirst();
  return r ? toRecord(r) : null;
}

/** The delivering node's read: any account (the outbox row names the endpoint). */
export async function findWebhookById(db: Kysely<Database>, id: string): Promise<WebhookRecord | null> {
  const r = await db.selectFrom("webhooks").selectAll().where("id", "=", id).executeTakeFirst();
  return r ? toRecord(r) : null;
}

export async function listWebhooks(db: Kysely<Database>, accountId: string): Promise<WebhookRecord[]> {
  const rows = await db
    .selectFrom("webhooks")
    .selectAll()
    .where("account_id", "=", accountId)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  return rows.map(toRecord);
}

export async function countWebhooks(db: Kysely<Database>, accountId: string): Promise<number> {
  const r = await db
    .selectFrom("webhooks")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("account_id", "=", accountId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** The account's enabled endpoints that want any of `types` (the staged reaction's read, in the transaction). */
export async function subscribedWebhooks(db: Kysely<Database>, accountId: string): Promise<WebhookRecord[]> {
  const rows = await db
    .selectFrom("webhooks")
    .selectAll()
    .where("account_id", "=", accountId)
    .where("enabled", "=", 1)
    .execute();
  return rows.map(toRecord);
}

/** Pending and dead deliveries per endpoint of an account. */
export async function webhookStats(
  db: Kysely<Database>,
  accountId: string,
): Promise<Map<string, { pending: number; dead: number }>> {
  const rows = await db
    .selectFrom("outbox")
    .select(["webhook_id", "state", (eb) => eb.fn.countAll<number>().as("n")])
    .where("account_id", "=", accountId)
    .where("kind", "=", "webhook")
    .where("state", "in", ["pending", "dead"])
    .groupBy(["webhook_id", "state"])
    .execute();
  const map = new Map<string, { pending: number; dead: number }>();
  for (const r of rows) {
    if (!r.webhook_id) continue;
    const s = map.get(r.webhook_id) ?? { pending: 0, dead: 0 };
    if (r.state === "pending") s.pending = Number(r.n);
    else s.dead = Number(r.n);
    map.set(r.webhook_id, s);
  }
  return map;
}

export interface NewAttempt {
  accountId: string;
  webhookId: string;
  deliveryId: string;
  eventType: string;
  attempt: number;
  at: number;
  durationMs: number;
  status: number | null;
  error: string | null;
  nextAttemptAt: number | null;
}

export async function insertAttempts(db: Kysely<Database>, attempts: NewAttempt[]): Promise<void> {
  if (attempts.length === 0) return;
  await db
    .insertInto("webhook_attempts")
    .values(
      attempts.map((a) => ({
        id: randomUUID(),
        account_id: a.accountId,
        webhook_id: a.webhookId,
        delivery_id: a.deliveryId,
        event_type: a.eventType,
        attempt: a.attempt,
        at: a.at,
        duration_ms: a.durationMs,
        status: a.status,
        error: a.error,
        next_attempt_at: a.nextAttemptAt,
      })),
    )
    .execute();
}

export async function listAttempts(
  db: Kysely<Database>,
  accountId: string,
  webhookId: string,
  limit: number,
  before: number | undefined,
): Promise<DeliveryAttempt[]> {
  let q = db
    .selectFrom("webhook_attempts")
    .selectAll()
    .where("account_id", "=", accountId)
    .where("webhook_id", "=", webhookId);
  if (before !== undefined) q = q.where("at", "<", before);
  const rows = await q.orderBy("at", "desc").orderBy("attempt", "desc").limit(limit).execute();
  return rows.map((r) => ({
    id: r.id,
    deliveryId: r.delivery_id,
    eventType: r.event_type,
    attempt: r.attempt,
    at: Number(r.at),
    durationMs: r.duration_ms,
    status: r.status,
    error: r.error,
    nextAttemptAt: r.next_attempt_at === null ? null : Number(r.next_attempt_at),
  }));
}

/** After a try: the endpoint's last status, and since when it fails (null again on success). */
export async function markWebhookTried(
  db: Kysely<Database>,
  id: string,
  ok: boolean,
  status: number | null,
  at: number,
): Promise<void> {
  await db
    .updateTable("webhooks")
    .set((eb) => ({
      last_delivery_at: at,
      last_status: status,
      failing_since: ok ? null : eb.fn.coalesce("failing_since", eb.val(at)),
    }))
    .where("id", "=", id)
    .execute();
}

/** Switches an endpoint off (failing for days); true if this call did it. */
export async function disableWebhook(
  db: Kysely<Database>,
  id: string,
  reason: string,
  at: number,
): Promise<boolean> {
  const res = await db
    .updateTable("webhooks")
    .set({ enabled: 0, disabled_reason: reason, updated_at: at })
    .where("id", "=", id)
    .where("enabled", "=", 1)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** The endpoints a batch of deliveries goes to (the delivering node's read, any account). */
export async function findWebhooksByIds(
  db: Kysely<Database>,
  ids: readonly string[],
): Promise<Map<string, WebhookRecord>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom("webhooks")
    .selectAll()
    .where("id", "in", [...ids])
    .execute();
  return new Map(rows.map((r) => [r.id, toRecord(r)]));
}

/** The enabled admins of an account (who hear that an endpoint was switched off). */
export async function adminAddresses(
  db: Kysely<Database>,
  accountId: string,
): Promise<{ email: string; language: string }[]> {
  return db
    .selectFrom("users")
    .select(["email", "language"])
    .where("account_id", "=", accountId)
    .where("role", "=", "admin")
    .where("disabled", "=", 0)
    .execute();
}
