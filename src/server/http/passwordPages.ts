import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Type } from "typebox";
import { LIMITS } from "../../shared/model.js";
import type { Deps } from "../commands/context.js";
import { forgotPassword, passwordLink, setPasswordWithToken } from "../commands/passwords.js";
import { DomainError } from "../domain/errors.js";
import { parseForm } from "./customerPages.js";
import { browserLanguage, sendHtml } from "./html.js";
import {
  fillText,
  forgotPasswordPage,
  forgotSentPage,
  linkInvalidPage,
  passwordProblemPage,
  passwordTexts,
  setPasswordPage,
} from "./pages/passwordPage.js";
import { setSessionCookie } from "./session.js";

type Form = Record<string, string>;

const FORM_LIMIT = 16 * 1024;
const hidden = { hide: true };
const FormBody = Type.Record(Type.String(), Type.String());
const TokenQuery = Type.Object({ token: Type.Optional(Type.String()) });

/** The forgot-password form: 5 posts a minute per client address (the API's route counts the same). */
export const FORGOT_RATE = { max: 5, timeWindow: "1 minute" } as const;

/**
 * The page holds a link's token in its address: it must never leave in a Referer header to
 * another site. `same-origin` (not `no-referrer`) keeps the form's own post carrying its Origin,
 * so the CSRF check passes on plain http too, where browsers send no Sec-Fetch-Site.
 */
function noReferrer(reply: FastifyReply): FastifyReply {
  return reply.header("referrer-policy", "same-origin");
}

/** Where a user lands after setting a password: admins and operators on /admin, everyone else the console. */
function landingOf(role: string): string {
  return role === "admin" || role === "operator" ? "/admin" : "/console";
}

/**
 * The server-rendered password pages: /forgot-password (ask for a reset link; one neutral
 * answer whether the address exists or not) and /password?token=… (set a password from an
 * invitation or a reset link, then signed in). Plain HTML forms, the browser's language.
 */
export async function installPasswordPages(app: FastifyInstance, deps: Deps): Promise<void> {
  const emailEnabled = () => deps.config.smtpUrl !== null;

  await app.register(async (scope) => {
    scope.addContentTypeParser(
      "application/x-www-form-urlencoded",
      { parseAs: "string", bodyLimit: FORM_LIMIT },
      (_request, body, done) => done(null, parseForm(String(body))),
    );
    scope.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const lang = browserLanguage(request);
      const t = passwordTexts(lang);
      const onForgot = request.url.startsWith("/forgot-password");
      if (!onForgot) noReferrer(reply);
      const status = err instanceof DomainError ? err.status : (err.statusCode ?? 500);
      if (status === 429) {
        // The rate limit (5 a minute per address) answers before the route runs.
        const page = onForgot
          ? forgotPasswordPage({ lang, emailEnabled: emailEnabled(), general: t.tooMany })
          : passwordProblemPage(lang, t.tooMany);
        return sendHtml(reply, 429, page);
      }
      if (status >= 400 && status < 500) {
        const message = err instanceof DomainError ? err.message : null;
        return sendHtml(reply, status, passwordProblemPage(lang, message));
      }
      request.log.error({ err }, "password page failed");
      return sendHtml(reply, 500, passwordProblemPage(lang, null));
    });

    // ── forgot password ──────────────────────────────────────────────────────
    scope.get("/forgot-password", { schema: hidden }, async (request, reply) =>
      sendHtml(
        reply,
        200,
        forgotPasswordPage({ lang: browserLanguage(request), emailEnabled: emailEnabled() }),
      ),
    );

    scope.post<{ Body: Form }>(
      "/forgot-password",
      { schema: { ...hidden, body: FormBody }, config: { rateLimit: FORGOT_RATE } },
      async (request, reply) => {
        const lang = browserLanguage(request);
        const t = passwordTexts(lang);
        if (!emailEnabled()) return sendHtml(reply, 200, forgotPasswordPage({ lang, emailEnabled: false }));
        const email = (request.body.email ?? "").trim();
        if (email === "") {
          return sendHtml(
            reply,
            400,
            forgotPasswordPage({ lang, emailEnabled: true, value: email, error: t.forgotEmailRequired }),
          );
        }
        try {
          await forgotPassword(deps, email);
        } catch (err) {
          if (!(err instanceof DomainError)) throw err;
          if (err.retryAfterSeconds !== undefined) reply.header("retry-after", String(err.retryAfterSeconds));
          const problem = err.fields.email;
          const model = problem
            ? {
                error:
                  problem.code === "invalid_email" || problem.code === "invalid"
                    ? t.forgotEmailInvalid
                    : problem.message,
              }
            : { general: err.status === 429 ? t.tooMany : err.message };
          return sendHtml(
            reply,
            err.status,
            forgotPasswordPage({ lang, emailEnabled: true, value: email, ...model }),
          );
        }
        return sendHtml(reply, 200, forgotSentPage(lang));
      },
    );

    // ── set a password from a link ───────────────────────────────────────────
    scope.get<{ Querystring: { token?: string } }>(
      "/password",
      { schema: { ...hidden, querystring: TokenQuery } },
      async (request, reply) => {
        noReferrer(reply);
        const lang = browserLanguage(request);
        const token = request.query.token ?? "";
        const link = token === "" ? null : await passwordLink(deps, token);
        if (!link) return sendHtml(reply, 410, linkInvalidPage(lang, emailEnabled()));
        return sendHtml(reply, 200, setPasswordPage({ lang, token, ...link }));
      },
    );

    scope.post<{ Body: Form }>(
      "/password",
      { schema: { ...hidden, body: FormBody } },
      async (request, reply) => {
        noReferrer(reply);
        const lang = browserLanguage(request);
        const t = passwordTexts(lang);
        const token = request.body.token ?? "";
        const password = request.body.password ?? "";
        const repeat = request.body.repeat ?? "";
        const link = token === "" ? null : await passwordLink(deps, token);
        if (!link) return sendHtml(reply, 410, linkInvalidPage(lang, emailEnabled()));
        const again = (
          status: number,
          extra: { errors?: { password?: string; repeat?: string }; general?: string },
        ) => sendHtml(reply, status, setPasswordPage({ lang, token, ...link, ...extra }));
        if (password === "") return again(400, { errors: { password: t.passwordRequired } });
        if (password !== repeat) return again(400, { errors: { repeat: t.mismatch } });
        try {
          const result = await setPasswordWithToken(deps, { token, password, ip: request.ip });
          setSessionCookie(reply, deps, result.token, result.expiresAt);
          return reply.redirect(landingOf(result.user.role), 303);
        } catch (err) {
          if (!(err instanceof DomainError)) throw err;
          if (err.code === "token_invalid")
            return sendHtml(reply, 410, linkInvalidPage(lang, emailEnabled()));
          const problem = err.fields.password;
          if (problem) {
            const text =
              problem.code === "password_length" || problem.code === "too_short"
                ? fillText(t.passwordLength, { min: LIMITS.passwordMin, max: LIMITS.passwordMax })
                : problem.message;
            return again(err.status, { errors: { password: text } });
          }
          return again(err.status, { general: err.message });
        }
      },
    );
  });
}
