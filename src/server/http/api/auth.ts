import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { accountsOf } from "../../commands/accounts.js";
import { login, logout } from "../../commands/auth.js";
import type { Deps } from "../../commands/context.js";
import { forgotPassword, setPasswordWithToken } from "../../commands/passwords.js";
import { setOwnLanguage } from "../../commands/users.js";
import { publicUser } from "../../store/users.js";
import { RateLimited } from "../responses.js";
import {
  AccountSchema,
  ErrorSchema,
  LanguageSchema,
  LoginBody,
  Password,
  strict,
  UserSchema,
} from "../schemas.js";
import { clearSessionCookie, requireActor, SESSION_COOKIE, setSessionCookie } from "../session.js";

const MeSchema = Type.Object({
  user: UserSchema,
  accounts: Type.Array(AccountSchema),
  emailEnabled: Type.Boolean({ description: "Whether this server sends email (SMTP_URL is set)" }),
});

/** "Forgot password?" is limited per address, on top of the links-per-user limit of the command. */
export const FORGOT_RATE = { max: 5, timeWindow: "1 minute" } as const;

const FORGOT_ANSWER =
  "If an account with that address exists, we have sent it a link to choose a new password. The link is valid for 30 minutes.";

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
      return { user: publicUser(result.user), accounts, emailEnabled: deps.config.smtpUrl !== null };
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
      return {
        user: publicUser(actor.user),
        accounts: await accountsOf(deps, actor),
        emailEnabled: deps.config.smtpUrl !== null,
      };
    },
  );

  app.patch(
    "/auth/me",
    {
      schema: {
        tags: ["auth"],
        summary: "Change your own settings: the language of your emails (and your console)",
        body: Type.Object({ language: LanguageSchema }, strict),
        response: { 200: MeSchema, 400: ErrorSchema, 401: ErrorSchema },
      },
    },
    async (request) => {
      const actor = requireActor(request);
      const user = await setOwnLanguage(deps, actor, request.body.language);
      return { user, accounts: await accountsOf(deps, actor), emailEnabled: deps.config.smtpUrl !== null };
    },
  );

  app.get(
    "/auth/options",
    {
      schema: {
        tags: ["auth"],
        summary: "What the sign-in pages offer (no sign-in needed)",
        response: { 200: Type.Object({ emailEnabled: Type.Boolean() }) },
      },
    },
    async () => ({ emailEnabled: deps.config.smtpUrl !== null }),
  );

  app.post(
    "/auth/forgot-password",
    {
      config: { rateLimit: FORGOT_RATE },
      schema: {
        tags: ["auth"],
        summary:
          "Email a single-use link (30 min) to choose a new password; the same answer whether the address exists or not",
        body: Type.Object({ email: Type.String({ maxLength: 1000 }) }, strict),
        response: {
          202: Type.Object({ message: Type.String() }),
          400: ErrorSchema,
          409: ErrorSchema,
          429: RateLimited,
        },
      },
    },
    async (request, reply) => {
      await forgotPassword(deps, request.body.email);
      return reply.code(202).send({ message: FORGOT_ANSWER });
    },
  );

  app.post(
    "/auth/password",
    {
      config: { rateLimit: LOGIN_RATE },
      schema: {
        tags: ["auth"],
        summary: "Choose a password with an invitation or reset link; signs in (sets the session cookie)",
        body: Type.Object(
          { token: Type.String({ minLength: 1, maxLength: 200 }), password: Password },
          strict,
        ),
        response: { 200: MeSchema, 400: ErrorSchema, 429: RateLimited },
      },
    },
    async (request, reply) => {
      const result = await setPasswordWithToken(deps, { ...request.body, ip: request.ip });
      setSessionCookie(reply, deps, result.token, result.expiresAt);
      const accounts = await accountsOf(deps, { user: result.user });
      return { user: publicUser(result.user), accounts, emailEnabled: deps.config.smtpUrl !== null };
    },
  );
};
