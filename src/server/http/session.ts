import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { actorForToken } from "../commands/auth.js";
import type { Actor, Deps } from "../commands/context.js";
import { DomainError } from "../domain/errors.js";

export const SESSION_COOKIE = "hg_session";

declare module "fastify" {
  interface FastifyRequest {
    actor: Actor | null;
  }
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function originOf(value: string | undefined): string | null {
  if (!value) return null;
  try {
    return new URL(value).origin;
  } catch {
    return null;
  }
}

/**
 * Resolves the session cookie to an actor, and refuses cookie-authenticated writes that do not
 * come from Helpgate's own pages (CSRF): the Origin (or Referer) must be this server's.
 */
export function installSession(app: FastifyInstance, deps: Deps): void {
  const publicOrigin = new URL(deps.config.publicUrl).origin;
  app.decorateRequest("actor", null);
  app.addHook("onRequest", async (request: FastifyRequest) => {
    const token = request.cookies[SESSION_COOKIE];
    if (!token) return;
    if (!SAFE_METHODS.has(request.method)) {
      const origin = originOf(request.headers.origin) ?? originOf(request.headers.referer);
      const own = `${request.protocol}://${request.host}`;
      if (origin === null) {
        throw new DomainError(
          403,
          "csrf",
          "This request has no Origin header, so it cannot be checked as coming from Helpgate's own pages.",
        );
      }
      if (origin !== publicOrigin && origin !== own) {
        throw new DomainError(403, "csrf", `Requests from ${origin} may not use a Helpgate sign-in.`);
      }
    }
    request.actor = await actorForToken(deps, token);
  });
}

export function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw new DomainError(401, "signed_out", "Please sign in.");
  return request.actor;
}

export function setSessionCookie(reply: FastifyReply, deps: Deps, token: string, expiresAt: number): void {
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "lax",
    secure: deps.config.publicUrl.startsWith("https:"),
    path: "/",
    expires: new Date(expiresAt),
  });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: "/" });
}
