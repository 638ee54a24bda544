import {
  API_TOKEN_SCOPES,
  type Delivery,
  type DeliveryAttempt,
  type DeliveryState,
  type Integrations,
  WEBHOOK_EVENT_TYPES,
  type Webhook,
  type WebhookWithSecret,
} from "../../shared/api.js";
import { DomainError, fieldError, notFound } from "../domain/errors.js";
import {
  checkEvents,
  checkSecret,
  checkWebhookUrl,
  MAX_WEBHOOKS_PER_ACCOUNT,
  newWebhookSecret,
} from "../domain/webhooks.js";
import { webhookBody } from "../outbox/payloads.js";
import { lockAccount } from "../store/accounts.js";
import {
  enqueue,
  findDelivery,
  killPendingOfWebhook,
  listDeliveries,
  requeue,
  toDelivery,
} from "../store/outbox.js";
import {
  countWebhooks,
  deleteWebhookRow,
  findWebhook,
  insertWebhook,
  listAttempts,
  listWebhooks,
  toWebhook,
  updateWebhookRow,
  type WebhookRecord,
  webhookStats,
} from "../store/webhooks.js";
import { accountFor } from "./access.js";
import type { Actor, Deps } from "./context.js";

/** An account's integrations: webhook endpoints, the outbox's deliveries, the email setting. */

const MAX_DESCRIPTION = 200;

export async function integrationsOf(deps: Deps, actor: Actor, accountId: string): Promise<Integrations> {
  await accountFor(deps, actor, accountId, "admin");
  return {
    email: {
      configured: deps.config.smtpUrl !== null,
      from: deps.config.smtpUrl ? deps.config.mailFrom : null,
    },
    webhookEvents: [...WEBHOOK_EVENT_TYPES],
    tokenScopes: [...API_TOKEN_SCOPES],
    allowPrivateTargets: deps.config.webhooksAllowPrivate,
  };
}

async function withStats(deps: Deps, accountId: string, hooks: WebhookRecord[]): Promise<Webhook[]> {
  const stats = await webhookStats(deps.db.kysely, accountId);
  return hooks.map((h) => toWebhook(h, stats.get(h.id) ?? { pending: 0, dead: 0 }));
}

export async function listAccountWebhooks(deps: Deps, actor: Actor, accountId: string): Promise<Webhook[]> {
  await accountFor(deps, actor, accountId, "admin");
  return withStats(deps, accountId, await listWebhooks(deps.db.kysely, accountId));
}

async function webhookOf(
  deps: Deps,
  actor: Actor,
  accountId: string,
  webhookId: string,
): Promise<WebhookRecord> {
  await accountFor(deps, actor, accountId, "admin");
  const w = await findWebhook(deps.db.kysely, accountId, webhookId);
  if (!w) throw notFound("Webhook");
  return w;
}

export async function getWebhook(
  deps: Deps,
  actor: Actor,
  accountId: string,
  webhookId: string,
): Promise<Webhook> {
  const w = await webhookOf(deps, actor, accountId, webhookId);
  return (await withStats(deps, accountId, [w]))[0] as Webhook;
}

function checkDescription(raw: string | undefined): string {
  const d = (raw ?? "").trim();
  if (d.length > MAX_DESCRIPTION)
    throw fieldError(400, "description", "too_long", `At most ${MAX_DESCRIPTION} characters.`, {
      limit: MAX_DESCRIPTION,
    });
  return d;
}

export interface NewWebhook {
  url: string;
  events: string[];
  description?: string | undefined;
  secret?: string | undefined;
}

export async function createWebhook(
  deps: Deps,
  actor: Actor,
  accountId: string,
  input: NewWebhook,
): Promise<WebhookWithSecret> {
  await accountFor(deps, actor, accountId, "admin");
  const url = checkWebhookUrl(input.url, deps.config.webhooksAllowPrivate);
  const events = checkEvents(input.events);
  const description = checkDescription(input.description);
  const secret =
    input.secret === undefined || input.secret === "" ? newWebhookSecret() : checkSecret(input.secret);
  const now = deps.now();
  const w = await deps.db.kysely.transaction().execute(async (trx) => {
    // The account's row locked: concurrent creates are counted one after the other.
    await lockAccount(trx, accountId);
    if ((await countWebhooks(trx, accountId)) >= MAX_WEBHOOKS_PER_ACCOUNT)
      throw new DomainError(
        409,
        "too_many_webhooks",
        `An account has at most ${MAX_WEBHOOKS_PER_ACCOUNT} webhooks; delete one first.`,
      ).withParams({ limit: MAX_WEBHOOKS_PER_ACCOUNT });
    return insertWebhook(trx, {
      accountId,
      url,
      description,
      events,
      secret,
      enabled: true,
      createdAt: now,
      updatedAt: now,
    });
  });
  return { ...toWebhook(w, { pending: 0, dead: 0 }), secret };
}

export interface WebhookPatch {
  url?: string | undefined;
  events?: string[] | undefined;
  description?: string | undefined;
  enabled?: boolean | undefined;
}

export async function updateWebhook(
  deps: Deps,
  actor: Actor,
  accountId: string,
  webhookId: string,
  patch: WebhookPatch,
): Promise<Webhook> {
  const w = await webhookOf(deps, actor, accountId, webhookId);
  // Only what the patch names is written (what else changed meanwhile stays as it is).
  const next: Parameters<typeof updateWebhookRow>[3] = {
    ...(patch.url === undefined ? {} : { url: checkWebhookUrl(patch.url, deps.config.webhooksAllowPrivate) }),
    ...(patch.events === undefined ? {} : { events: checkEvents(patch.events) }),
    ...(patch.description === undefined ? {} : { description: checkDescription(patch.description) }),
    updatedAt: deps.now(),
  };
  if (patch.enabled !== undefined && patch.enabled !== w.enabled) {
    next.enabled = patch.enabled;
    // Switched on again: a fresh start (its failures so far no longer count towards switching off).
    if (patch.enabled) {
      next.disabledReason = null;
      next.failingSince = null;
    } else next.disabledReason = `Switched off by ${actor.user.displayName}.`;
  }
  await deps.db.kysely.transaction().execute(async (trx) => {
    // Its deliveries first, then the endpoint: the order a node recording results locks them in.
    if (next.enabled === false) await killPendingOfWebhook(trx, w.id, "the webhook was switched off");
    await updateWebhookRow(trx, accountId, w.id, next);
  });
  return getWebhook(deps, actor, accountId, webhookId);
}

export async function deleteWebhook(
  deps: Deps,
  actor: Actor,
  accountId: string,
  webhookId: string,
): Promise<void> {
  const w = await webhookOf(deps, actor, accountId, webhookId);
  await deps.db.kysely.transaction().execute(async (trx) => {
    await killPendingOfWebhook(trx, w.id, "the webhook was deleted");
    await deleteWebhookRow(trx, accountId, w.id);
  });
}

export async function rotateWebhookSecret(
  deps: Deps,
  actor: Actor,
  accountId: string,
  webhookId: string,
): Promise<WebhookWithSecret> {
  const w = await webhookOf(deps, actor, accountId, webhookId);
  const secret = newWebhookSecret();
  await updateWebhookRow(deps.db.kysely, accountId, w.id, { secret, updatedAt: deps.now() });
  return { ...(await getWebhook(deps, actor, accountId, webhookId)), secret };
}

/** A "webhook.test" delivery to one endpoint, through the outbox like every other. */
export async function sendTestEvent(
  deps: Deps,
  actor: Actor,
  accountId: string,
  webhookId: string,
): Promise<Delivery> {
  const w = await webhookOf(deps, actor, accountId, webhookId);
  if (!w.enabled)
    throw new DomainError(
      409,
      "webhook_disabled",
      "This webhook is switched off; switch it on to send a test event.",
    );
  const now = deps.now();
  const body = webhookBody("webhook.test", now, {
    webhookId: w.id,
    message: `A test event sent by ${actor.user.displayName} from Helpgate.`,
  });
  const [id] = await enqueue(
    deps.db.kysely,
    [
      {
        accountId,
        kind: "webhook",
        webhookId: w.id,
        eventType: "webhook.test",
        recipient: w.url,
        payload: body,
      },
    ],
    now,
  );
  deps.outbox.wake();
  const row = await findDelivery(deps.db.kysely, accountId, id as string);
  if (!row) throw notFound("Delivery");
  return toDelivery(row);
}

export async function webhookAttempts(
  deps: Deps,
  actor: Actor,
  accountId: string,
  webhookId: string,
  page: { limit?: number | undefined; before?: number | undefined },
): Promise<DeliveryAttempt[]> {
  const w = await webhookOf(deps, actor, accountId, webhookId);
  return listAttempts(deps.db.kysely, accountId, w.id, page.limit ?? 50, page.before);
}

export async function accountDeliveries(
  deps: Deps,
  actor: Actor,
  accountId: string,
  filter: {
    state?: DeliveryState | undefined;
    kind?: "email" | "webhook" | undefined;
    webhookId?: string | undefined;
    limit?: number | undefined;
  },
): Promise<Delivery[]> {
  await accountFor(deps, actor, accountId, "admin");
  return listDeliveries(deps.db.kysely, accountId, {
    ...(filter.state ? { states: [filter.state] } : {}),
    ...(filter.kind ? { kind: filter.kind } : {}),
    ...(filter.webhookId ? { webhookId: filter.webhookId } : {}),
    limit: filter.limit ?? 100,
  });
}

/** Tries a delivery again now (dead, failing or delivered alike), keeping its id: the receiver can tell a repeat. */
export async function redeliver(
  deps: Deps,
  actor: Actor,
  accountId: string,
  deliveryId: string,
): Promise<Delivery> {
  await accountFor(deps, actor, accountId, "admin");
  const db = deps.db.kysely;
  const row = await findDelivery(db, accountId, deliveryId);
  if (!row) throw notFound("Delivery");
  if (row.kind === "webhook") {
    const w = row.webhook_id ? await findWebhook(db, accountId, row.webhook_id) : null;
    if (!w) throw new DomainError(409, "webhook_gone", "The webhook of this delivery was deleted.");
    if (!w.enabled)
      throw new DomainError(
        409,
        "webhook_disabled",
        "This webhook is switched off; switch it on to redeliver.",
      );
  }
  if (!(await requeue(db, accountId, deliveryId, deps.now())))
    throw new DomainError(
      409,
      "delivery_in_flight",
      "This delivery is being tried right now; wait for its result, then redeliver.",
    );
  deps.outbox.wake();
  const after = await findDelivery(db, accountId, deliveryId);
  if (!after) throw notFound("Delivery");
  return toDelivery(after);
}
