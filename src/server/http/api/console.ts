import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { LIMITS } from "../../../shared/model.js";
import { acceptOffer, acceptRequest, takeNext } from "../../commands/accept.js";
import { setAvailability } from "../../commands/availability.js";
import { endSession, sendMessage } from "../../commands/chat.js";
import { cancelCode, createCode } from "../../commands/codes.js";
import type { Deps } from "../../commands/context.js";
import { declineOffer, declineRequest } from "../../commands/decline.js";
import { emailCode, emailTranscriptToAgent } from "../../commands/mail.js";
import { recordOutcome } from "../../commands/sessions.js";
import { listCodes } from "../../queries/codes.js";
import { consoleSnapshot } from "../../queries/console.js";
import { messagesSince, transcript } from "../../queries/sessions.js";
import {
  ChatMessageSchema,
  CodeViewSchema,
  ConsoleSnapshotSchema,
  RequestViewSchema,
  SessionSummarySchema,
  SessionViewSchema,
  TranscriptResponse,
} from "../responses.js";
import { Id, LanguageSchema, SignedInErrors, SinceQuery, strict, TranscriptQuery } from "../schemas.js";
import { requireConsoleActor } from "../session.js";
import { sendTranscript } from "../transcript.js";

/** The agent console's commands; its live events come over the WebSocket. */
export const consoleRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const agent = requireConsoleActor;
  const agentParty = (request: Parameters<typeof requireConsoleActor>[0]) => ({
    kind: "agent" as const,
    actor: agent(request),
  });

  app.get(
    "/console",
    {
      schema: {
        tags: ["console"],
        summary: "Everything the console shows, fresh from the database",
        response: { 200: ConsoleSnapshotSchema, ...SignedInErrors },
      },
    },
    async (request) => consoleSnapshot(deps, agent(request)),
  );

  app.put(
    "/console/availability",
    {
      schema: {
        tags: ["console"],
        summary: "Set yourself available or unavailable for alerts",
        body: Type.Object({ available: Type.Boolean() }, strict),
        response: { 200: Type.Object({ available: Type.Boolean() }), ...SignedInErrors },
      },
    },
    async (request) => ({ available: await setAvailability(deps, agent(request), request.body.available) }),
  );

  const RequestParams = Type.Object({ requestId: Id });
  app.post(
    "/requests/:requestId/accept",
    {
      schema: {
        tags: ["console"],
        summary: "Accept a waiting request; the first accept wins, later ones get 409 naming who took it",
        params: RequestParams,
        response: { 200: SessionViewSchema, ...SignedInErrors },
      },
    },
    async (request) => acceptRequest(deps, agent(request), request.params.requestId),
  );
  app.post(
    "/requests/:requestId/decline",
    {
      schema: {
        tags: ["console"],
        summary: "Decline: ends a targeted request; closes a broadcast alert for you only",
        params: RequestParams,
        response: { 200: RequestViewSchema, ...SignedInErrors },
      },
    },
    async (request) => declineRequest(deps, agent(request), request.params.requestId),
  );

  const OfferParams = Type.Object({ offerId: Id });
  app.post(
    "/offers/:offerId/accept",
    {
      schema: {
        tags: ["queue"],
        summary: "Accept the queue offer you hold",
        params: OfferParams,
        response: { 200: SessionViewSchema, ...SignedInErrors },
      },
    },
    async (request) => acceptOffer(deps, agent(request), request.params.offerId),
  );
  app.post(
    "/offers/:offerId/decline",
    {
      schema: {
        tags: ["queue"],
        summary: "Decline the queue offer you hold; it passes to the next agent at once",
        params: OfferParams,
        response: { 204: Type.Null(), ...SignedInErrors },
      },
    },
    async (request, reply) => {
      await declineOffer(deps, agent(request), request.params.offerId);
      return reply.code(204).send(null);
    },
  );
  app.post(
    "/queue/take-next",
    {
      schema: {
        tags: ["queue"],
        summary: "Take the next customer from your queues by hand",
        response: { 200: SessionViewSchema, ...SignedInErrors },
      },
    },
    async (request) => takeNext(deps, agent(request)),
  );

  app.get(
    "/codes",
    { schema: { tags: ["codes"], response: { 200: Type.Array(CodeViewSchema), ...SignedInErrors } } },
    async (request) => listCodes(deps, agent(request)),
  );
  app.post(
    "/codes",
    {
      schema: {
        tags: ["codes"],
        summary: "Create a 9-digit session code (20 minutes, single use, at most 8 live per agent)",
        body: Type.Object(
          { portalId: Id, name: Type.String({ minLength: 1, maxLength: LIMITS.userName }) },
          strict,
        ),
        response: { 201: CodeViewSchema, ...SignedInErrors },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createCode(deps, agent(request), request.body.portalId, request.body.name)),
  );
  app.delete(
    "/codes/:codeId",
    {
      schema: {
        tags: ["codes"],
        params: Type.Object({ codeId: Id }),
        response: { 204: Type.Null(), ...SignedInErrors },
      },
    },
    async (request, reply) => {
      await cancelCode(deps, agent(request), request.params.codeId);
      return reply.code(204).send(null);
    },
  );

  const SessionParams = Type.Object({ sessionId: Id });
  app.get(
    "/sessions/:sessionId/messages",
    {
      schema: {
        tags: ["sessions"],
        params: SessionParams,
        querystring: SinceQuery,
        response: { 200: Type.Array(ChatMessageSchema), ...SignedInErrors },
      },
    },
    async (request) =>
      messagesSince(deps, agentParty(request), request.params.sessionId, Number(request.query.since ?? "0")),
  );
  app.post(
    "/sessions/:sessionId/messages",
    {
      schema: {
        tags: ["sessions"],
        params: SessionParams,
        body: Type.Object({ body: Type.String({ maxLength: LIMITS.chatMessage }) }, strict),
        response: { 201: ChatMessageSchema, ...SignedInErrors },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await sendMessage(deps, agentParty(request), request.params.sessionId, request.body.body)),
  );
  app.post(
    "/sessions/:sessionId/end",
    {
      schema: {
        tags: ["sessions"],
        params: SessionParams,
        response: { 204: Type.Null(), ...SignedInErrors },
      },
    },
    async (request, reply) => {
      await endSession(deps, agentParty(request), request.params.sessionId);
      return reply.code(204).send(null);
    },
  );
  app.post(
    "/sessions/:sessionId/outcome",
    {
      schema: {
        tags: ["sessions"],
        summary: "The end-of-session form: outcome, notes, optional ticket number",
        params: SessionParams,
        body: Type.Object(
          {
            outcome: Type.Enum(["resolved", "unresolved", "unknown"]),
            notes: Type.Optional(Type.String({ maxLength: LIMITS.notes })),
            ticket: Type.Optional(Type.String({ maxLength: LIMITS.ticket })),
          },
          strict,
        ),
        response: { 200: SessionSummarySchema, ...SignedInErrors },
      },
    },
    async (request) => recordOutcome(deps, agentParty(request), request.params.sessionId, request.body),
  );
  app.get(
    "/sessions/:sessionId/transcript",
    {
      schema: {
        tags: ["sessions"],
        summary: "Download the conversation as plain text (default) or JSON",
        params: SessionParams,
        querystring: TranscriptQuery,
        response: { 200: TranscriptResponse, ...SignedInErrors },
      },
    },
    async (request, reply) =>
      sendTranscript(
        reply,
        await transcript(deps, agentParty(request), request.params.sessionId),
        request.query.format,
      ),
  );

  app.post(
    "/sessions/:sessionId/transcript-email",
    {
      schema: {
        tags: ["sessions"],
        summary: "Email the transcript (with the private notes, marked) to yourself",
        params: SessionParams,
        response: { 202: Type.Object({ to: Type.String() }), ...SignedInErrors },
      },
    },
    async (request, reply) =>
      reply
        .code(202)
        .send(await emailTranscriptToAgent(deps, requireConsoleActor(request), request.params.sessionId)),
  );
  app.post(
    "/codes/:codeId/email",
    {
      schema: {
        tags: ["codes"],
        summary: "Email one of your live codes, with its join link, to the customer",
        params: Type.Object({ codeId: Id }),
        body: Type.Object(
          {
            email: Type.String({ maxLength: 1000 }),
            name: Type.Optional(Type.String({ maxLength: LIMITS.userName })),
            language: Type.Optional(LanguageSchema),
          },
          strict,
        ),
        response: { 202: Type.Object({ to: Type.String() }), ...SignedInErrors },
      },
    },
    async (request, reply) =>
      reply
        .code(202)
        .send(await emailCode(deps, requireConsoleActor(request), request.params.codeId, request.body)),
  );
};
