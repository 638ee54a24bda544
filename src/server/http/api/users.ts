import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import type { Deps } from "../../commands/context.js";
import { resendInvitation } from "../../commands/passwords.js";
import { createUser, getUser, listAccountUsers, resetPassword, updateUser } from "../../commands/users.js";
import {
  AccountParams,
  NewUserBody,
  PasswordResetBody,
  SignedInErrors,
  UserParams,
  UserPatchBody,
  UserSchema,
} from "../schemas.js";
import { requireActor } from "../session.js";

const Generated = Type.Union([Type.String(), Type.Null()]);

export const userRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.get(
    "/accounts/:accountId/users",
    {
      config: { tokenScope: "users:manage" },
      schema: {
        tags: ["users"],
        params: AccountParams,
        response: { 200: Type.Array(UserSchema), ...SignedInErrors },
      },
    },
    async (request) => listAccountUsers(deps, requireActor(request), request.params.accountId),
  );

  app.post(
    "/accounts/:accountId/users",
    {
      config: { tokenScope: "users:manage" },
      schema: {
        tags: ["users"],
        summary: "Create a user; without a password one is generated and returned once",
        params: AccountParams,
        body: NewUserBody,
        response: { 201: Type.Object({ user: UserSchema, generatedPassword: Generated }), ...SignedInErrors },
      },
    },
    async (request, reply) => {
      const created = await createUser(deps, requireActor(request), request.params.accountId, request.body);
      return reply.code(201).send(created);
    },
  );

  app.get(
    "/accounts/:accountId/users/:userId",
    {
      config: { tokenScope: "users:manage" },
      schema: { tags: ["users"], params: UserParams, response: { 200: UserSchema, ...SignedInErrors } },
    },
    async (request) => getUser(deps, requireActor(request), request.params.accountId, request.params.userId),
  );

  app.patch(
    "/accounts/:accountId/users/:userId",
    {
      config: { tokenScope: "users:manage" },
      schema: {
        tags: ["users"],
        summary: "Change role, limits, portals; disable or enable",
        params: UserParams,
        body: UserPatchBody,
        response: { 200: UserSchema, ...SignedInErrors },
      },
    },
    async (request) =>
      updateUser(deps, requireActor(request), request.params.accountId, request.params.userId, request.body),
  );

  app.post(
    "/accounts/:accountId/users/:userId/password",
    {
      config: { tokenScope: "users:manage" },
      schema: {
        tags: ["users"],
        summary: "Reset a password (signs the user out everywhere); without one a password is generated",
        params: UserParams,
        body: PasswordResetBody,
        response: { 200: Type.Object({ generatedPassword: Generated }), ...SignedInErrors },
      },
    },
    async (request) =>
      resetPassword(
        deps,
        requireActor(request),
        request.params.accountId,
        request.params.userId,
        request.body.password,
      ),
  );

  app.post(
    "/accounts/:accountId/users/:userId/invitation",
    {
      config: { tokenScope: "users:manage" },
      schema: {
        tags: ["users"],
        summary: "Send an invited user a new invitation email (earlier links stop working)",
        params: UserParams,
        response: { 202: Type.Object({ to: Type.String() }), ...SignedInErrors },
      },
    },
    async (request, reply) =>
      reply
        .code(202)
        .send(
          await resendInvitation(
            deps,
            requireActor(request),
            request.params.accountId,
            request.params.userId,
          ),
        ),
  );
};
