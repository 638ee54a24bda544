import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { LIMITS } from "../../../shared/model.js";
import { sendNote } from "../../commands/chat.js";
import type { Deps } from "../../commands/context.js";
import {
  acceptInvitation,
  declineInvitation,
  handOwnership,
  inviteColleagues,
  leaveSession,
  removeMember,
} from "../../commands/participants.js";
import { joinSession, monitorSession, takeOver } from "../../commands/supervise.js";
import { acceptTransfer, cancelTransfer, declineTransfer, requestTransfer } from "../../commands/transfer.js";
import { colleagues, supervisorView } from "../../queries/team.js";
import {
  ChatMessageSchema,
  ColleagueViewSchema,
  PortalTargetViewSchema,
  SessionMemberSchema,
  SessionViewSchema,
  SupervisorViewSchema,
  TransferViewSchema,
} from "../responses.js";
import { Id, SignedInErrors, strict } from "../schemas.js";
import { requireConsoleActor } from "../session.js";

/**
 * Teamwork in a session (issue 11): transfers, invitations, private notes, the supervisor view.
 * Who may do what is the policy's (src/server/policy.ts), asked by the commands.
 */
export const teamRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const agent = requireConsoleActor;
  const SessionParams = Type.Object({ sessionId: Id });
  const noContent = { 204: Type.Null(), ...SignedInErrors };

  app.get(
    "/console/colleagues",
    {
      schema: {
        tags: ["teamwork"],
        summary: "Colleagues (live availability and load) and portals to transfer to or invite",
        response: {
          200: Type.Object({
            agents: Type.Array(ColleagueViewSchema),
            portals: Type.Array(PortalTargetViewSchema),
          }),
          ...SignedInErrors,
        },
      },
    },
    async (request) => colleagues(deps, agent(request)),
  );

  app.post(
    "/sessions/:sessionId/transfer",
    {
      schema: {
        tags: ["teamwork"],
        summary: "Transfer your session to a colleague or a portal's agents (first accept wins)",
        params: SessionParams,
        body: Type.Object(
          {
            toAgentId: Type.Optional(Id),
            toPortalId: Type.Optional(Id),
            note: Type.Optional(Type.String({ maxLength: LIMITS.transferNote })),
          },
          strict,
        ),
        response: { 201: TransferViewSchema, ...SignedInErrors },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await requestTransfer(deps, agent(request), request.params.sessionId, request.body)),
  );
  app.delete(
    "/sessions/:sessionId/transfer",
    {
      schema: {
        tags: ["teamwork"],
        summary: "Take back a transfer nobody has accepted yet",
        params: SessionParams,
        response: noContent,
      },
    },
    async (request, reply) => {
      await cancelTransfer(deps, agent(request), request.params.sessionId);
      return reply.code(204).send(null);
    },
  );

  const TransferParams = Type.Object({ transferId: Id });
  app.post(
    "/transfers/:transferId/accept",
    {
      schema: {
        tags: ["teamwork"],
        summary: "Accept a transfer: the session becomes yours (first accept wins)",
        params: TransferParams,
        response: { 200: SessionViewSchema, ...SignedInErrors },
      },
    },
    async (request) => acceptTransfer(deps, agent(request), request.params.transferId),
  );
  app.post(
    "/transfers/:transferId/decline",
    {
      schema: {
        tags: ["teamwork"],
        summary: "Decline a transfer",
        params: TransferParams,
        response: noContent,
      },
    },
    async (request, reply) => {
      await declineTransfer(deps, agent(request), request.params.transferId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/sessions/:sessionId/invitations",
    {
      schema: {
        tags: ["teamwork"],
        summary: "Invite up to 7 colleagues into your session",
        params: SessionParams,
        body: Type.Object(
          { agentIds: Type.Array(Id, { minItems: 1, maxItems: LIMITS.invitations }) },
          strict,
        ),
        response: { 201: Type.Array(SessionMemberSchema), ...SignedInErrors },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await inviteColleagues(deps, agent(request), request.params.sessionId, request.body.agentIds)),
  );
  const MemberParams = Type.Object({ memberId: Id });
  app.post(
    "/invitations/:memberId/accept",
    {
      schema: {
        tags: ["teamwork"],
        summary: "Accept an invitation: you join the session as a participant",
        params: MemberParams,
        response: { 200: SessionViewSchema, ...SignedInErrors },
      },
    },
    async (request) => acceptInvitation(deps, agent(request), request.params.memberId),
  );
  app.post(
    "/invitations/:memberId/decline",
    {
      schema: {
        tags: ["teamwork"],
        summary: "Decline an invitation",
        params: MemberParams,
        response: noContent,
      },
    },
    async (request, reply) => {
      await declineInvitation(deps, agent(request), request.params.memberId);
      return reply.code(204).send(null);
    },
  );
  app.delete(
    "/sessions/:sessionId/members/:userId",
    {
      schema: {
        tags: ["teamwork"],
        summary: "Remove a participant from your session (or take back their invitation)",
        params: Type.Object({ sessionId: Id, userId: Id }),
        response: noContent,
      },
    },
    async (request, reply) => {
      await removeMember(deps, agent(request), request.params.sessionId, request.params.userId);
      return reply.code(204).send(null);
    },
  );
  app.post(
    "/sessions/:sessionId/leave",
    {
      schema: {
        tags: ["teamwork"],
        summary: "Leave a session you joined or watch",
        params: SessionParams,
        response: noContent,
      },
    },
    async (request, reply) => {
      await leaveSession(deps, agent(request), request.params.sessionId);
      return reply.code(204).send(null);
    },
  );
  app.post(
    "/sessions/:sessionId/owner",
    {
      schema: {
        tags: ["teamwork"],
        summary: "Hand your session to a participant; you stay in it as a participant",
        params: SessionParams,
        body: Type.Object({ userId: Id }, strict),
        response: { 200: SessionViewSchema, ...SignedInErrors },
      },
    },
    async (request) => handOwnership(deps, agent(request), request.params.sessionId, request.body.userId),
  );
  app.post(
    "/sessions/:sessionId/notes",
    {
      schema: {
        tags: ["teamwork"],
        summary: "A private note: only agents of the session (and supervisors watching) see it",
        params: SessionParams,
        body: Type.Object({ body: Type.String({ maxLength: LIMITS.chatMessage }) }, strict),
        response: { 201: ChatMessageSchema, ...SignedInErrors },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await sendNote(
            deps,
            { kind: "agent", actor: agent(request) },
            request.params.sessionId,
            request.body.body,
          ),
        ),
  );

  app.get(
    "/supervisor",
    {
      schema: {
        tags: ["teamwork"],
        summary: "Every live session and waiting request of your account (managers and admins)",
        response: { 200: SupervisorViewSchema, ...SignedInErrors },
      },
    },
    async (request) => supervisorView(deps, agent(request)),
  );
  for (const [path, summary, run] of [
    ["monitor", "Watch a live session read-only (managers and admins)", monitorSession],
    ["join", "Join a live session as a participant (managers and admins)", joinSession],
    ["take-over", "Take a live session over: it becomes yours (managers and admins)", takeOver],
  ] as const) {
    app.post(
      `/sessions/:sessionId/${path}`,
      {
        schema: {
          tags: ["teamwork"],
          summary,
          params: SessionParams,
          response: { 200: SessionViewSchema, ...SignedInErrors },
        },
      },
      async (request) => run(deps, agent(request), request.params.sessionId),
    );
  }
};
