import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { accountsOf } from "../../commands/accounts.js";
import { login, logout } from "../../commands/auth.js";
import type { Deps } from "../../commands/context.js";
import { publicUser } from "../../store/users.js";
import { RateLimited } from "../responses.js";
import { AccountSchema, ErrorSchema, LoginBody, UserSchema } from "../schemas.js";
import { clearSessionCookie, requireActor, SESSION_COOKIE, setSessionCookie } from "../session.js";

const MeSchema = Type.Object({ user: UserSchema, accounts: Type.Array(AccountSchema) });

export const LOGIN_RATE = { max: 20, timeWindow: "1 minute" } as const;

export const authRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.post(
    "/auth/login",
    {
      config: { rateLimit: LOGIN_RATE },
      schema: {
        tags: ["auth"],
        summary: "Sign in; sets an HttpOnly session cookie",
        body: LoginBody,
        response: { 200: MeSchema, 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 429: RateLimited },
      },
    },
    async (request, reply) => {
      const result = await login(deps, request.body.email, request.body.password, request.ip);
      setSessionCookie(reply, deps, result.token, result.expiresAt);
      const accounts = await accountsOf(deps, { user: result.user });
      return { user: publicUser(result.user), accounts };
    },
  );

  app.post(
    "/auth/logout",
    { schema: { tags: ["auth"], summary: "Sign out", response: { 204: Type.Null() } } },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) await logout(deps, token);
      clearSessionCookie(reply);
      return reply.code(204).send(null);
    },
  );

  app.get(
    "/auth/me",
    {
      schema: { tags: ["auth"], summary: "Who is signed in", response: { 200: MeSchema, 401: ErrorSchema } },
    },
    async (request) => {
      const actor = requireActor(request);
      return { user: publicUser(actor.user), accounts: await accountsOf(deps, actor) };
    },
  );
};
