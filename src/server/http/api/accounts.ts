import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { accountsOf, createAccount, getAccount, updateAccount } from "../../commands/accounts.js";
import type { Deps } from "../../commands/context.js";
import {
  AccountParams,
  AccountPatchBody,
  AccountSchema,
  ErrorSchema,
  NewAccountBody,
  SignedInErrors,
  UserSchema,
} from "../schemas.js";
import { requireActor } from "../session.js";

export const accountRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.get(
    "/accounts",
    {
      schema: {
        tags: ["accounts"],
        summary: "Accounts the signed-in user may see (all of them for an operator)",
        response: { 200: Type.Array(AccountSchema), 401: ErrorSchema },
      },
    },
    async (request) => accountsOf(deps, requireActor(request)),
  );

  app.post(
    "/accounts",
    {
      schema: {
        tags: ["accounts"],
        summary: "Create an account with its first admin (operators only)",
        body: NewAccountBody,
        response: {
          201: Type.Object({
            account: AccountSchema,
            admin: UserSchema,
            generatedPassword: Type.Union([Type.String(), Type.Null()]),
          }),
          ...SignedInErrors,
        },
      },
    },
    async (request, reply) => {
      const created = await createAccount(deps, requireActor(request), request.body);
      return reply.code(201).send(created);
    },
  );

  app.get(
    "/accounts/:accountId",
    {
      schema: {
        tags: ["accounts"],
        params: AccountParams,
        response: { 200: AccountSchema, ...SignedInErrors },
      },
    },
    async (request) => getAccount(deps, requireActor(request), request.params.accountId),
  );

  app.patch(
    "/accounts/:accountId",
    {
      schema: {
        tags: ["accounts"],
        summary: "Change name, mode, web chat or upgrade switches (admins)",
        params: AccountParams,
        body: AccountPatchBody,
        response: { 200: AccountSchema, ...SignedInErrors },
      },
    },
    async (request) => updateAccount(deps, requireActor(request), request.params.accountId, request.body),
  );
};
