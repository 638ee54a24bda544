import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { API_TOKEN_SCOPES, WEBHOOK_EVENT_TYPES } from "../../../shared/api.js";
import { LIMITS } from "../../../shared/model.js";
import { createApiToken, listAccountTokens, revokeToken } from "../../commands/apiTokens.js";
import { createCodeForAgent } from "../../commands/codes.js";
import type { Deps } from "../../commands/context.js";
import {
  accountDeliveries,
  createWebhook,
  deleteWebhook,
  getWebhook,
  integrationsOf,
  listAccountWebhooks,
  redeliver,
  rotateWebhookSecret,
  sendTestEvent,
  updateWebhook,
  webhookAttempts,
} from "../../commands/integrations.js";
import { accountSessions, accountTranscript } from "../../queries/sessions.js";
import { RateLimited, TranscriptResponse } from "../responses.js";
import { AccountParams, Id, SignedInErrors, strict, TranscriptQuery } from "../schemas.js";
import { requireActor } from "../session.js";
import { sendTranscript } from "../transcript.js";

/** Integrations of an account (issue 14): webhooks, deliveries, API tokens, and the API scripts use. */

const Errors = { ...SignedInErrors, 429: RateLimited };
const Stamp = Type.Union([Type.Number(), Type.Null()]);
const EventType = Type.String();
const WebhookStats = Type.Object({
  pending: Type.Integer(),
  dead: Type.Integer(),
  lastDeliveryAt: Stamp,
  lastStatus: Type.Union([Type.Integer(), Type.Null()]),
});
const webhookFields = {
  id: Type.String(),
  accountId: Type.String(),
  url: Type.String(),
  description: Type.String(),
  events: Type.Array(EventType),
  enabled: Type.Boolean(),
  disabledReason: Type.Union([Type.String(), Type.Null()]),
  failingSince: Stamp,
  secretPreview: Type.String(),
  createdAt: Type.Number(),
  updatedAt: Type.Number(),
  stats: WebhookStats,
};
const WebhookSchema = Type.Object(webhookFields);
const WebhookWithSecretSchema = Type.Object({
  ...webhookFields,
  secret: Type.String({
    description: "Shown only now (and when rotated); the receiver verifies signatures with it",
  }),
});
const DeliverySchema = Type.Object({
  id: Type.String({ description: "The webhook-id header (the idempotency key), or the email's Message-ID" }),
  kind: Type.Enum(["email", "webhook"]),
  webhookId: Type.Union([Type.String(), Type.Null()]),
  eventType: Type.String(),
  recipient: Type.String(),
  state: Type.Enum(["pending", "delivered", "dead"]),
  attempts: Type.Integer(),
  nextAttemptAt: Stamp,
  lastError: Type.Union([Type.String(), Type.Null()]),
  lastStatus: Type.Union([Type.Integer(), Type.Null()]),
  createdAt: Type.Number(),
  deliveredAt: Stamp,
});
const AttemptSchema = Type.Object({
  id: Type.String(),
  deliveryId: Type.String(),
  eventType: Type.String(),
  attempt: Type.Integer(),
  at: Type.Number(),
  durationMs: Type.Integer(),
  status: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  nextAttemptAt: Stamp,
});
const ApiTokenSchema = Type.Object({
  id: Type.String(),
  accountId: Type.String(),
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  prefix: Type.String(),
  createdBy: Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]),
  createdAt: Type.Number(),
  expiresAt: Stamp,
  lastUsedAt: Stamp,
  revokedAt: Stamp,
});
const IntegrationsSchema = Type.Object({
  email: Type.Object({ configured: Type.Boolean(), from: Type.Union([Type.String(), Type.Null()]) }),
  webhookEvents: Type.Array(Type.String()),
  tokenScopes: Type.Array(Type.String()),
  allowPrivateTargets: Type.Boolean(),
});
const AccountSessionSchema = Type.Object({
  id: Type.String(),
  sessionNumber: Type.String(),
  requestId: Type.String(),
  portal: Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String() }),
  agent: Type.Object({ id: Type.String(), name: Type.String() }),
  customer: Type.Object({ name: Type.String(), email: Type.String() }),
  startedAt: Type.Number(),
  endedAt: Stamp,
  outcome: Type.Union([Type.String(), Type.Null()]),
  ticket: Type.Union([Type.String(), Type.Null()]),
  rating: Type.Union([Type.Integer(), Type.Null()]),
});

const WebhookParams = Type.Object({ accountId: Id, webhookId: Id });
const DeliveryParams = Type.Object({ accountId: Id, deliveryId: Id });
const TokenParams = Type.Object({ accountId: Id, tokenId: Id });
const SessionParams = Type.Object({ accountId: Id, sessionId: Id });
// Strings, checked by the commands so that a bad one is named with the field and the list of valid ones.
const Events = Type.Array(Type.String({ maxLength: 64 }), { maxItems: WEBHOOK_EVENT_TYPES.length * 2 });
const Millis = Type.String({ pattern: "^[0-9]{1,15}$" });
const Limit = (max: number) => Type.String({ pattern: "^[0-9]{1,4}$", description: `1–${max}` });

function limitOf(raw: string | undefined, fallback: number, max: number): number {
  const n = raw === undefined ? fallback : Number(raw);
  return Math.max(1, Math.min(max, n));
}

export const integrationRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const hooks = { tags: ["webhooks"] };
  const webhookScope = { tokenScope: "webhooks:manage" as const };

  app.get(
    "/accounts/:accountId/integrations",
    {
      config: webhookScope,
      schema: {
        tags: ["webhooks"],
        summary: "Email settings, the webhook event types and the API token scopes",
        params: AccountParams,
        response: { 200: IntegrationsSchema, ...Errors },
      },
    },
    async (request) => integrationsOf(deps, requireActor(request), request.params.accountId),
  );

  app.get(
    "/accounts/:accountId/webhooks",
    {
      config: webhookScope,
      schema: { ...hooks, params: AccountParams, response: { 200: Type.Array(WebhookSchema), ...Errors } },
    },
    async (request) => listAccountWebhooks(deps, requireActor(request), request.params.accountId),
  );
  app.post(
    "/accounts/:accountId/webhooks",
    {
      config: webhookScope,
      schema: {
        ...hooks,
        summary: "Add an endpoint; its secret is in this answer only",
        params: AccountParams,
        body: Type.Object(
          {
            url: Type.String({ maxLength: 4000 }),
            events: Events,
            description: Type.Optional(Type.String({ maxLength: 1000 })),
            secret: Type.Optional(Type.String({ maxLength: 1000 })),
          },
          strict,
        ),
        response: { 201: WebhookWithSecretSchema, ...Errors },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await createWebhook(deps, requireActor(request), request.params.accountId, request.body)),
  );
  app.get(
    "/accounts/:accountId/webhooks/:webhookId",
    {
      config: webhookScope,
      schema: { ...hooks, params: WebhookParams, response: { 200: WebhookSchema, ...Errors } },
    },
    async (request) =>
      getWebhook(deps, requireActor(request), request.params.accountId, request.params.webhookId),
  );
  app.patch(
    "/accounts/:accountId/webhooks/:webhookId",
    {
      config: webhookScope,
      schema: {
        ...hooks,
        summary:
          "Change the URL, events or description; switch off or on (on again starts its failure count afresh)",
        params: WebhookParams,
        body: Type.Object(
          {
            url: Type.Optional(Type.String({ maxLength: 4000 })),
            events: Type.Optional(Events),
            description: Type.Optional(Type.String({ maxLength: 1000 })),
            enabled: Type.Optional(Type.Boolean()),
          },
          strict,
        ),
        response: { 200: WebhookSchema, ...Errors },
      },
    },
    async (request) =>
      updateWebhook(
        deps,
        requireActor(request),
        request.params.accountId,
        request.params.webhookId,
        request.body,
      ),
  );
  app.delete(
    "/accounts/:accountId/webhooks/:webhookId",
    {
      config: webhookScope,
      schema: {
        ...hooks,
        summary: "Delete an endpoint; its waiting deliveries are given up",
        params: WebhookParams,
        response: { 204: Type.Null(), ...Errors },
      },
    },
    async (request, reply) => {
      await deleteWebhook(deps, requireActor(request), request.params.accountId, request.params.webhookId);
      return reply.code(204).send(null);
    },
  );
  app.post(
    "/accounts/:accountId/webhooks/:webhookId/rotate-secret",
    {
      config: webhookScope,
      schema: {
        ...hooks,
        summary: "A new secret, in this answer only; the old one stops at once",
        params: WebhookParams,
        response: { 200: WebhookWithSecretSchema, ...Errors },
      },
    },
    async (request) =>
      rotateWebhookSecret(deps, requireActor(request), request.params.accountId, request.params.webhookId),
  );
  app.post(
    "/accounts/:accountId/webhooks/:webhookId/test",
    {
      config: webhookScope,
      schema: {
        ...hooks,
        summary: 'Send a "webhook.test" event through the outbox',
        params: WebhookParams,
        response: { 202: DeliverySchema, ...Errors },
      },
    },
    async (request, reply) =>
      reply
        .code(202)
        .send(
          await sendTestEvent(
            deps,
            requireActor(request),
            request.params.accountId,
            request.params.webhookId,
          ),
        ),
  );
  app.get(
    "/accounts/:accountId/webhooks/:webhookId/attempts",
    {
      config: webhookScope,
      schema: {
        ...hooks,
        summary: "The endpoint's delivery log, newest first",
        params: WebhookParams,
        querystring: Type.Object({ limit: Type.Optional(Limit(200)), before: Type.Optional(Millis) }, strict),
        response: { 200: Type.Array(AttemptSchema), ...Errors },
      },
    },
    async (request) =>
      webhookAttempts(deps, requireActor(request), request.params.accountId, request.params.webhookId, {
        limit: limitOf(request.query.limit, 50, 200),
        before: request.query.before === undefined ? undefined : Number(request.query.before),
      }),
  );
  app.get(
    "/accounts/:accountId/deliveries",
    {
      config: webhookScope,
      schema: {
        ...hooks,
        summary: "The outbox: emails and webhook deliveries, newest first",
        params: AccountParams,
        querystring: Type.Object(
          {
            state: Type.Optional(Type.Enum(["pending", "delivered", "dead"])),
            kind: Type.Optional(Type.Enum(["email", "webhook"])),
            webhookId: Type.Optional(Id),
            limit: Type.Optional(Limit(500)),
          },
          strict,
        ),
        response: { 200: Type.Array(DeliverySchema), ...Errors },
      },
    },
    async (request) =>
      accountDeliveries(deps, requireActor(request), request.params.accountId, {
        state: request.query.state,
        kind: request.query.kind,
        webhookId: request.query.webhookId,
        limit: limitOf(request.query.limit, 100, 500),
      }),
  );
  app.post(
    "/accounts/:accountId/deliveries/:deliveryId/redeliver",
    {
      config: webhookScope,
      schema: {
        ...hooks,
        summary: "Try a delivery again now, with the same id",
        params: DeliveryParams,
        response: { 202: DeliverySchema, ...Errors },
      },
    },
    async (request, reply) =>
      reply
        .code(202)
        .send(
          await redeliver(deps, requireActor(request), request.params.accountId, request.params.deliveryId),
        ),
  );

  // API tokens: managed by admins with their sign-in only (a token cannot make tokens).
  const tokens = { tags: ["api-tokens"] };
  app.get(
    "/accounts/:accountId/api-tokens",
    {
      schema: { ...tokens, params: AccountParams, response: { 200: Type.Array(ApiTokenSchema), ...Errors } },
    },
    async (request) => listAccountTokens(deps, requireActor(request), request.params.accountId),
  );
  app.post(
    "/accounts/:accountId/api-tokens",
    {
      schema: {
        ...tokens,
        summary: "Create a token; its secret is in this answer only",
        params: AccountParams,
        body: Type.Object(
          {
            name: Type.String({ maxLength: 1000 }),
            scopes: Type.Array(Type.String({ maxLength: 64 }), { maxItems: API_TOKEN_SCOPES.length * 2 }),
            expiresInDays: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
          },
          strict,
        ),
        response: { 201: Type.Object({ token: ApiTokenSchema, secret: Type.String() }), ...Errors },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await createApiToken(deps, requireActor(request), request.params.accountId, request.body)),
  );
  app.delete(
    "/accounts/:accountId/api-tokens/:tokenId",
    {
      schema: {
        ...tokens,
        summary: "Revoke a token (at once, on every node)",
        params: TokenParams,
        response: { 204: Type.Null(), ...Errors },
      },
    },
    async (request, reply) => {
      await revokeToken(deps, requireActor(request), request.params.accountId, request.params.tokenId);
      return reply.code(204).send(null);
    },
  );

  // What scripts and other systems read and do.
  app.get(
    "/accounts/:accountId/sessions",
    {
      config: { tokenScope: "sessions:read" },
      schema: {
        tags: ["sessions"],
        summary: "The account's sessions, newest first",
        params: AccountParams,
        querystring: Type.Object(
          { since: Type.Optional(Millis), before: Type.Optional(Millis), limit: Type.Optional(Limit(500)) },
          strict,
        ),
        response: { 200: Type.Array(AccountSessionSchema), ...Errors },
      },
    },
    async (request) =>
      accountSessions(deps, requireActor(request), request.params.accountId, {
        since: request.query.since === undefined ? undefined : Number(request.query.since),
        before: request.query.before === undefined ? undefined : Number(request.query.before),
        limit: limitOf(request.query.limit, 100, 500),
      }),
  );
  app.get(
    "/accounts/:accountId/sessions/:sessionId/transcript",
    {
      config: { tokenScope: "sessions:read" },
      schema: {
        tags: ["sessions"],
        summary: "A session's conversation with the private notes (marked): plain text or JSON",
        params: SessionParams,
        querystring: TranscriptQuery,
        response: { 200: TranscriptResponse, ...Errors },
      },
    },
    async (request, reply) =>
      sendTranscript(
        reply,
        await accountTranscript(
          deps,
          requireActor(request),
          request.params.accountId,
          request.params.sessionId,
        ),
        request.query.format,
      ),
  );
  app.post(
    "/accounts/:accountId/codes",
    {
      config: { tokenScope: "codes:create" },
      schema: {
        tags: ["codes"],
        summary: "Create a session code for an agent (and email it to the customer)",
        params: AccountParams,
        body: Type.Object(
          {
            agentId: Id,
            portalId: Type.Optional(Id),
            name: Type.Optional(Type.String({ maxLength: LIMITS.userName })),
            email: Type.Optional(Type.String({ maxLength: 1000 })),
          },
          strict,
        ),
        response: {
          201: Type.Object({
            code: Type.String(),
            joinUrl: Type.String(),
            expiresAt: Type.Number(),
            emailed: Type.Boolean(),
          }),
          ...Errors,
        },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await createCodeForAgent(deps, requireActor(request), request.params.accountId, request.body)),
  );
};
