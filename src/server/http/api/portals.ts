import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import type { Deps } from "../../commands/context.js";
import {
  createPortal,
  deletePortal,
  getPortal,
  listAccountPortals,
  updatePortal,
} from "../../commands/portals.js";
import {
  AccountParams,
  NewPortalBody,
  PortalParams,
  PortalPatchBody,
  PortalSchema,
  SignedInErrors,
} from "../schemas.js";
import { requireActor } from "../session.js";

export const portalRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.get(
    "/accounts/:accountId/portals",
    {
      config: { tokenScope: "portals:manage" },
      schema: {
        tags: ["portals"],
        params: AccountParams,
        response: { 200: Type.Array(PortalSchema), ...SignedInErrors },
      },
    },
    async (request) => listAccountPortals(deps, requireActor(request), request.params.accountId),
  );

  app.post(
    "/accounts/:accountId/portals",
    {
      config: { tokenScope: "portals:manage" },
      schema: {
        tags: ["portals"],
        summary: "Create a portal; its type must be one the account's mode allows",
        params: AccountParams,
        body: NewPortalBody,
        response: { 201: PortalSchema, ...SignedInErrors },
      },
    },
    async (request, reply) => {
      const portal = await createPortal(deps, requireActor(request), request.params.accountId, request.body);
      return reply.code(201).send(portal);
    },
  );

  app.get(
    "/accounts/:accountId/portals/:portalId",
    {
      config: { tokenScope: "portals:manage" },
      schema: { tags: ["portals"], params: PortalParams, response: { 200: PortalSchema, ...SignedInErrors } },
    },
    async (request) =>
      getPortal(deps, requireActor(request), request.params.accountId, request.params.portalId),
  );

  app.patch(
    "/accounts/:accountId/portals/:portalId",
    {
      config: { tokenScope: "portals:manage" },
      schema: {
        tags: ["portals"],
        summary: "Change a portal, enable or disable it, assign agents",
        params: PortalParams,
        body: PortalPatchBody,
        response: { 200: PortalSchema, ...SignedInErrors },
      },
    },
    async (request) =>
      updatePortal(
        deps,
        requireActor(request),
        request.params.accountId,
        request.params.portalId,
        request.body,
      ),
  );

  app.delete(
    "/accounts/:accountId/portals/:portalId",
    {
      config: { tokenScope: "portals:manage" },
      schema: {
        tags: ["portals"],
        summary: "Delete a portal: its address stops working, its history stays in the reports",
        description:
          "The portal is gone from every list and page and its slug is free for a new portal; its agents are taken off it and its live session codes canceled. 409 portal_busy while a customer waits there, a session of it is open or a session is being transferred to it.",
        params: PortalParams,
        response: { 204: Type.Null(), ...SignedInErrors },
      },
    },
    async (request, reply) => {
      await deletePortal(deps, requireActor(request), request.params.accountId, request.params.portalId);
      return reply.code(204).send(null);
    },
  );
};
