import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { CANNED_LIMITS, PLACEHOLDERS } from "../../../shared/canned.js";
import {
  createAccountCanned,
  createPersonalCanned,
  deleteAccountCanned,
  deletePersonalCanned,
  updateAccountCanned,
  updatePersonalCanned,
} from "../../commands/canned.js";
import type { Deps } from "../../commands/context.js";
import { accountCanned, usableCanned } from "../../queries/canned.js";
import { AccountParams, Id, LanguageSchema, SignedInErrors, strict } from "../schemas.js";
import { requireActor, requireConsoleActor } from "../session.js";

/** Canned responses (issue 18): the account's in /admin, each agent's own in the console. */

const placeholders = PLACEHOLDERS.map((p) => `{${p}}`).join(", ");

const CannedSchema = Type.Object({
  id: Type.String(),
  scope: Type.Enum(["account", "personal"], {
    description: "account: shared by the account (managed in /admin); personal: the agent's own",
  }),
  title: Type.String(),
  shortcut: Type.Union([Type.String(), Type.Null()]),
  text: Type.String({ description: `The text with its placeholders: ${placeholders}` }),
  language: Type.Union([LanguageSchema, Type.Null()], { description: "null: any language" }),
  createdAt: Type.Number(),
  updatedAt: Type.Number(),
});

// Lengths and types here; the rules with a clearer message (shortcut format, blank title,
// unknown placeholders) are the command's (domain/canned.ts), each a 400 naming its field.
const CannedBody = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: CANNED_LIMITS.title }),
    shortcut: Type.Optional(
      Type.Union([Type.String({ maxLength: CANNED_LIMITS.shortcut }), Type.Null()], {
        description:
          "Lowercase letters, digits and dashes (e.g. greet); unique per scope; null or absent: none",
      }),
    ),
    text: Type.String({
      minLength: 1,
      maxLength: CANNED_LIMITS.text,
      description: `Placeholders: ${placeholders}; any other {name} is refused`,
    }),
    language: Type.Optional(
      Type.Union([LanguageSchema, Type.Null()], { description: "null or absent: any" }),
    ),
  },
  strict,
);

const CannedParams = Type.Object({ accountId: Id, cannedId: Id });
const PersonalParams = Type.Object({ cannedId: Id });
const UsableQuery = Type.Object({
  sessionId: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description: "A session of yours: responses in its customer's language come first",
    }),
  ),
});
const NoContent = { 204: Type.Null() };

export const cannedRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const tags = ["canned responses"];

  app.get(
    "/accounts/:accountId/canned-responses",
    {
      schema: {
        tags,
        summary: "The account's canned responses (every user of the account may read them)",
        params: AccountParams,
        response: { 200: Type.Array(CannedSchema), ...SignedInErrors },
      },
    },
    async (request) => accountCanned(deps, requireActor(request), request.params.accountId),
  );
  app.post(
    "/accounts/:accountId/canned-responses",
    {
      schema: {
        tags,
        summary: "Add a canned response for the whole account (managers, admins)",
        params: AccountParams,
        body: CannedBody,
        response: { 201: CannedSchema, ...SignedInErrors },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await createAccountCanned(deps, requireActor(request), request.params.accountId, request.body)),
  );
  app.put(
    "/accounts/:accountId/canned-responses/:cannedId",
    {
      schema: {
        tags,
        summary: "Replace an account-wide canned response (managers, admins)",
        params: CannedParams,
        body: CannedBody,
        response: { 200: CannedSchema, ...SignedInErrors },
      },
    },
    async (request) =>
      updateAccountCanned(
        deps,
        requireActor(request),
        request.params.accountId,
        request.params.cannedId,
        request.body,
      ),
  );
  app.delete(
    "/accounts/:accountId/canned-responses/:cannedId",
    {
      schema: {
        tags,
        summary: "Delete an account-wide canned response (managers, admins)",
        params: CannedParams,
        response: { ...NoContent, ...SignedInErrors },
      },
    },
    async (request, reply) => {
      await deleteAccountCanned(
        deps,
        requireActor(request),
        request.params.accountId,
        request.params.cannedId,
      );
      return reply.code(204).send(null);
    },
  );

  app.get(
    "/console/canned-responses",
    {
      schema: {
        tags,
        summary: "The responses you may use: the account's and your own, each with its scope",
        querystring: UsableQuery,
        response: { 200: Type.Array(CannedSchema), ...SignedInErrors },
      },
    },
    async (request) => usableCanned(deps, requireConsoleActor(request), request.query.sessionId),
  );
  app.post(
    "/console/canned-responses",
    {
      schema: {
        tags,
        summary: "Add a personal canned response (only you see it)",
        body: CannedBody,
        response: { 201: CannedSchema, ...SignedInErrors },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createPersonalCanned(deps, requireConsoleActor(request), request.body)),
  );
  app.put(
    "/console/canned-responses/:cannedId",
    {
      schema: {
        tags,
        summary: "Replace one of your personal canned responses",
        params: PersonalParams,
        body: CannedBody,
        response: { 200: CannedSchema, ...SignedInErrors },
      },
    },
    async (request) =>
      updatePersonalCanned(deps, requireConsoleActor(request), request.params.cannedId, request.body),
  );
  app.delete(
    "/console/canned-responses/:cannedId",
    {
      schema: {
        tags,
        summary: "Delete one of your personal canned responses",
        params: PersonalParams,
        response: { ...NoContent, ...SignedInErrors },
      },
    },
    async (request, reply) => {
      await deletePersonalCanned(deps, requireConsoleActor(request), request.params.cannedId);
      return reply.code(204).send(null);
    },
  );
};
