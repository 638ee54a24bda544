import type { Kysely } from "kysely";
import type { WebhookEventType } from "../../shared/api.js";
import type { Database } from "../db/schema.js";
import type { DomainEvent } from "../events/events.js";
import type { StagedReaction } from "../events/reactions.js";
import { type PortalRef, portalRef, requestData, sessionData, webhookBody } from "../outbox/payloads.js";
import { enqueue, type NewOutboxRow } from "../store/outbox.js";
import type { RequestRecord } from "../store/requests.js";
import { subscribedWebhooks, type WebhookRecord } from "../store/webhooks.js";

/**
 * When something a company's other systems care about happens, each of the account's enabled
 * webhook endpoints that chose that event gets one delivery, written to the outbox in the
 * change's transaction (README › Webhooks has the catalogue).
 */

interface Outgoing {
  accountId: string;
  type: WebhookEventType;
  data: unknown;
}

function accountOf(e: DomainEvent): string | null {
  switch (e.type) {
    case "request.submitted":
    case "request.closed":
    case "request.offline":
    case "session.started":
      return e.request.accountId;
    case "session.ended":
    case "session.outcome":
    case "session.rated":
      return e.session.accountId;
    default:
      return null;
  }
}

async function outgoing(
  trx: Kysely<Database>,
  publicUrl: string,
  e: DomainEvent,
  portal: (id: string) => Promise<PortalRef>,
  wants: (type: WebhookEventType) => boolean,
): Promise<Outgoing[]> {
  const out: Outgoing[] = [];
  const request = async (r: RequestRecord, endedAt: number | null) =>
    requestData(r, await portal(r.portalId), endedAt);
  switch (e.type) {
    case "request.submitted":
      if (wants("request.submitted"))
        out.push({
          accountId: e.request.accountId,
          type: "request.submitted",
          data: { request: await request(e.request, null) },
        });
      break;
    case "request.closed":
      if (wants("request.ended"))
        out.push({
          accountId: e.request.accountId,
          type: "request.ended",
          data: { request: await request(e.request, e.request.stateAt) },
        });
      break;
    case "request.offline":
      if (wants("offline_message.received"))
        out.push({
          accountId: e.request.accountId,
          type: "offline_message.received",
          data: { request: await request(e.request, null) },
        });
      break;
    case "session.started": {
      const accountId = e.request.accountId;
      if (!wants("session.started") && !wants("request.ended") && !wants("code.redeemed")) break;
      const r = await request(e.request, e.session.startedAt);
      const session = await sessionData(trx, publicUrl, { ...e.session, accountId, requestId: e.request.id });
      // A code redemption was never a waiting request (no request.submitted either).
      if (wants("request.ended") && e.request.kind !== "code")
        out.push({ accountId, type: "request.ended", data: { request: r } });
      if (wants("session.started"))
        out.push({ accountId, type: "session.started", data: { session, request: r } });
      if (e.request.kind === "code" && wants("code.redeemed")) {
        const row = await trx
          .selectFrom("requests as r")
          .leftJoin("codes as c", "c.id", "r.code_id")
          .select(["c.id as code_id", "c.name as code_name", "c.created_at as code_created_at"])
          .where("r.id", "=", e.request.id)
          .executeTakeFirst();
        out.push({
          accountId,
          type: "code.redeemed",
          data: {
            code: {
              id: row?.code_id ?? null,
              name: row?.code_name ?? "",
              createdAt:
                row?.code_created_at == null ? null : new Date(Number(row.code_created_at)).toISOString(),
              agent: { id: e.session.agentId, name: e.session.agentName },
            },
            session,
            request: r,
          },
        });
      }
      break;
    }
    case "session.ended":
      if (wants("session.ended")) {
        const session = await sessionData(trx, publicUrl, e.session);
        out.push({
          accountId: e.session.accountId,
          type: "session.ended",
          data: { session, request: e.request ? await request(e.request, e.request.stateAt) : null },
        });
      }
      break;
    case "session.outcome":
      if (wants("session.outcome"))
        out.push({
          accountId: e.session.accountId,
          type: "session.outcome",
          data: { session: await sessionData(trx, publicUrl, e.session) },
        });
      break;
    case "session.rated":
      if (wants("survey.answered"))
        out.push({
          accountId: e.session.accountId,
          type: "survey.answered",
          data: {
            session: await sessionData(trx, publicUrl, e.session),
            rating: e.rating,
            comment: e.comment,
          },
        });
      break;
    default:
      break;
  }
  return out;
}

export const webhooksReaction: StagedReaction = {
  name: "webhooks",
  on: [
    "request.submitted",
    "request.closed",
    "request.offline",
    "session.started",
    "session.ended",
    "session.outcome",
    "session.rated",
  ],
  async stage(trx, deps, events) {
    const hooksOf = new Map<string, WebhookRecord[]>();
    const portals = new Map<string, PortalRef>();
    const portal = async (id: string) => {
      let p = portals.get(id);
      if (!p) {
        p = await portalRef(trx, id);
        portals.set(id, p);
      }
      return p;
    };
    const rows: NewOutboxRow[] = [];
    const now = deps.now();
    for (const e of events) {
      const accountId = accountOf(e);
      if (!accountId) continue;
      let hooks = hooksOf.get(accountId);
      if (!hooks) {
        hooks = await subscribedWebhooks(trx, accountId);
        hooksOf.set(accountId, hooks);
      }
      if (hooks.length === 0) continue;
      const subscribed = hooks;
      const wants = (type: WebhookEventType) => subscribed.some((h) => h.events.includes(type));
      for (const o of await outgoing(trx, deps.config.publicUrl, e, portal, wants)) {
        const body = webhookBody(o.type, now, o.data);
        for (const h of subscribed) {
          if (!h.events.includes(o.type)) continue;
          rows.push({
            accountId: o.accountId,
            kind: "webhook",
            webhookId: h.id,
            eventType: o.type,
            recipient: h.url,
            payload: body,
          });
        }
      }
    }
    await enqueue(trx, rows, now);
  },
};
