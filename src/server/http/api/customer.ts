import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import { Type } from "typebox";
import { LIMITS } from "../../../shared/model.js";
import { customerParty, openPortal, requestForCustomer } from "../../commands/access.js";
import { endSession, sendMessage } from "../../commands/chat.js";
import { redeemCode } from "../../commands/codes.js";
import type { Deps } from "../../commands/context.js";
import { emailTranscriptToCustomer } from "../../commands/mail.js";
import {
  type CustomerTicket,
  cancelRequest,
  leaveOfflineMessage,
  submitRequest,
} from "../../commands/requests.js";
import { answerSurvey } from "../../commands/sessions.js";
import { portalAvailability } from "../../queries/portalAvailability.js";
import { customerStatusOf, messagesSince, transcript } from "../../queries/sessions.js";
import { browserLanguage } from "../html.js";
import {
  ChatMessageSchema,
  CustomerStatusSchema,
  OfflineReceiptSchema,
  PortalAgentsSchema,
  RateLimited,
  TicketSchema,
  TranscriptResponse,
} from "../responses.js";
import { ErrorSchema, Id, SinceQuery, strict, TranscriptQuery } from "../schemas.js";
import { customerCookieName, customerToken } from "../session.js";
import { sendTranscript } from "../transcript.js";

const errors = { 400: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema };
/** Submits and code redemptions are limited per client address: 429 with Retry-After. */
const limited = { ...errors, 429: RateLimited };
const Values = Type.Record(
  Type.String({ maxLength: 40 }),
  Type.String({ maxLength: LIMITS.question + 1000 }),
);
const Slug = Type.Object({ slug: Type.String({ minLength: 1, maxLength: 64 }) });
const RequestParams = Type.Object({ requestId: Id });

/** The customer's proof of their request lives in an HttpOnly cookie scoped to that request. */
export function setCustomerCookie(reply: FastifyReply, deps: Deps, ticket: CustomerTicket): void {
  reply.setCookie(customerCookieName(ticket.request.id), ticket.token, {
    httpOnly: true,
    sameSite: "lax",
    secure: deps.config.publicUrl.startsWith("https:"),
    path: "/",
    maxAge: 24 * 60 * 60,
  });
}

export function clientAddress(request: FastifyRequest): string {
  return request.ip;
}

export function requestUrl(requestId: string): string {
  return `/r/${requestId}`;
}

/** JSON routes behind the customer pages (the forms post to the same commands without JavaScript). */
export const customerRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.get(
    "/portals/:slug/agents",
    {
      schema: {
        tags: ["customer"],
        summary: "The portal's agents and whether each is available, busy or offline",
        params: Slug,
        response: { 200: PortalAgentsSchema, ...errors },
      },
    },
    async (request) => {
      const portal = await openPortal(deps, request.params.slug);
      const { anyAvailable, agents: loads } = await portalAvailability(deps, portal);
      return {
        anyAvailable,
        agents:
          portal.type === "pick-agent"
            ? loads.map((a) => ({
                id: a.id,
                displayName: a.displayName,
                avatarUrl: a.avatarUrl,
                status: a.status,
              }))
            : [],
      };
    },
  );

  app.post(
    "/portals/:slug/requests",
    {
      schema: {
        tags: ["customer"],
        summary: "Ask for help at a portal; sets the request's cookie",
        params: Slug,
        body: Type.Object({ values: Values, agentId: Type.Optional(Id) }, strict),
        response: { 201: TicketSchema, ...limited },
      },
    },
    async (request, reply) => {
      await app.submitLimit.check(await openPortal(deps, request.params.slug), clientAddress(request));
      const ticket = await submitRequest(deps, {
        slug: request.params.slug,
        values: request.body.values,
        agentId: request.body.agentId,
        language: browserLanguage(request),
      });
      setCustomerCookie(reply, deps, ticket);
      return reply.code(201).send({
        requestId: ticket.request.id,
        sessionNumber: ticket.request.sessionNumber,
        sessionId: ticket.request.sessionNumber,
        url: requestUrl(ticket.request.id),
      });
    },
  );

  app.post(
    "/portals/:slug/offline",
    {
      schema: {
        tags: ["customer"],
        summary: "Leave a message when no agent is available",
        params: Slug,
        body: Type.Object({ values: Values }, strict),
        response: { 201: OfflineReceiptSchema, ...limited },
      },
    },
    async (request, reply) => {
      await app.submitLimit.check(await openPortal(deps, request.params.slug), clientAddress(request));
      const r = await leaveOfflineMessage(
        deps,
        request.params.slug,
        request.body.values,
        browserLanguage(request),
      );
      return reply.code(201).send({ sessionNumber: r.sessionNumber, sessionId: r.sessionNumber });
    },
  );

  app.post(
    "/join",
    {
      schema: {
        tags: ["customer"],
        summary: "Redeem a session code (at /join any account's, at a company portal only its own)",
        body: Type.Object(
          { code: Type.String({ maxLength: 64 }), slug: Type.Optional(Type.String({ maxLength: 64 })) },
          strict,
        ),
        response: { 201: TicketSchema, ...limited },
      },
    },
    async (request, reply) => {
      const ticket = await redeemCode(deps, {
        code: request.body.code,
        slug: request.body.slug,
        client: clientAddress(request),
        language: browserLanguage(request),
      });
      setCustomerCookie(reply, deps, ticket);
      return reply.code(201).send({
        requestId: ticket.request.id,
        sessionNumber: ticket.request.sessionNumber,
        sessionId: ticket.request.sessionNumber,
        url: requestUrl(ticket.request.id),
      });
    },
  );

  app.get(
    "/customer/requests/:requestId",
    {
      schema: {
        tags: ["customer"],
        params: RequestParams,
        response: { 200: CustomerStatusSchema, ...errors },
      },
    },
    async (request) =>
      customerStatusOf(
        deps,
        await requestForCustomer(
          deps,
          request.params.requestId,
          customerToken(request, request.params.requestId),
        ),
      ),
  );
  app.post(
    "/customer/requests/:requestId/cancel",
    {
      schema: {
        tags: ["customer"],
        params: RequestParams,
        response: { 200: CustomerStatusSchema, ...errors },
      },
    },
    async (request) =>
      customerStatusOf(
        deps,
        await cancelRequest(deps, request.params.requestId, customerToken(request, request.params.requestId)),
      ),
  );
  const party = async (request: FastifyRequest, requestId: string) =>
    customerParty(await requestForCustomer(deps, requestId, customerToken(request, requestId)));
  app.get(
    "/customer/requests/:requestId/messages",
    {
      schema: {
        tags: ["customer"],
        params: RequestParams,
        querystring: SinceQuery,
        response: { 200: Type.Array(ChatMessageSchema), ...errors },
      },
    },
    async (request) =>
      messagesSince(
        deps,
        await party(request, request.params.requestId),
        request.params.requestId,
        Number(request.query.since ?? "0"),
      ),
  );
  app.post(
    "/customer/requests/:requestId/messages",
    {
      schema: {
        tags: ["customer"],
        params: RequestParams,
        body: Type.Object({ body: Type.String({ maxLength: LIMITS.chatMessage }) }, strict),
        response: { 201: ChatMessageSchema, ...errors },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await sendMessage(
            deps,
            await party(request, request.params.requestId),
            request.params.requestId,
            request.body.body,
          ),
        ),
  );
  app.post(
    "/customer/requests/:requestId/end",
    { schema: { tags: ["customer"], params: RequestParams, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      await endSession(deps, await party(request, request.params.requestId), request.params.requestId);
      return reply.code(204).send(null);
    },
  );
  app.post(
    "/customer/requests/:requestId/survey",
    {
      schema: {
        tags: ["customer"],
        summary: "The optional survey after the session: rating 1–5 and a comment",
        params: RequestParams,
        body: Type.Object(
          {
            rating: Type.Integer({ minimum: 1, maximum: 5 }),
            comment: Type.Optional(Type.String({ maxLength: LIMITS.surveyComment })),
          },
          strict,
        ),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await answerSurvey(
        deps,
        await party(request, request.params.requestId),
        request.params.requestId,
        request.body.rating,
        request.body.comment,
      );
      return reply.code(204).send(null);
    },
  );
  app.get(
    "/customer/requests/:requestId/transcript",
    {
      schema: {
        tags: ["customer"],
        summary: "Download the conversation as plain text (default) or JSON",
        params: RequestParams,
        querystring: TranscriptQuery,
        response: { 200: TranscriptResponse, ...errors },
      },
    },
    async (request, reply) =>
      sendTranscript(
        reply,
        await transcript(deps, await party(request, request.params.requestId), request.params.requestId),
        request.query.format,
      ),
  );
  app.post(
    "/customer/requests/:requestId/transcript-email",
    {
      schema: {
        tags: ["customer"],
        summary: "Email the conversation to the customer after the session (at most 3 times per request)",
        params: RequestParams,
        body: Type.Object({ email: Type.String({ maxLength: 1000 }) }, strict),
        response: { 202: Type.Object({ to: Type.String() }), ...limited },
      },
    },
    async (request, reply) =>
      reply.code(202).send(
        await emailTranscriptToCustomer(deps, {
          requestId: request.params.requestId,
          token: customerToken(request, request.params.requestId),
          email: request.body.email,
        }),
      ),
  );
};
