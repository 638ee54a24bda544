import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { actorForSignIn, hashToken } from "../commands/auth.js";
import type { Actor, Deps } from "../commands/context.js";
import { DomainError } from "../domain/errors.js";
import { consoleAccount } from "../policy.js";
import type { SignInCache } from "./signInCache.js";

export const SESSION_COOKIE = "hg_session";
/** A customer's proof of their request: the cookie `hgc_<requestId>`. */
const CUSTOMER_COOKIE_PREFIX = "hgc_";

export function customerCookieName(requestId: string): string {
  return `${CUSTOMER_COOKIE_PREFIX}${requestId}`;
}

/** The proof of a request its customer's browser sent (its cookie), if any. */
export function customerToken(request: FastifyRequest, requestId: string): string | undefined {
  return request.cookies[customerCookieName(requestId)];
}

declare module "fastify" {
  interface FastifyRequest {
    actor: Actor | null;
    /** The sign-in behind `actor`: its stored token hash (what a sign-out names), else null. */
    authSession: string | null;
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

const publicOrigins = new WeakMap<Deps["config"], string>();

/** PUBLIC_URL's origin, parsed once per configuration rather than on every request. */
function publicOrigin(deps: Deps): string {
  let origin = publicOrigins.get(deps.config);
  if (origin === undefined) {
    origin = new URL(deps.config.publicUrl).origin;
    publicOrigins.set(deps.config, origin);
  }
  return origin;
}

/** True when the request comes from a page of this server (Origin, else Referer). */
export function isOwnOrigin(request: FastifyRequest, deps: Deps): boolean {
  // Under "Referrer-Policy: no-referrer" browsers send `Origin: null` even on same-origin form
  // posts; their Sec-Fetch-Site header (which pages cannot set) still says where the request began.
  if (request.headers["sec-fetch-site"] === "same-origin") return true;
  const origin = originOf(request.headers.origin) ?? originOf(request.headers.referer);
  return (
    origin !== null && (origin === publicOrigin(deps) || origin === `${request.protocol}://${request.host}`)
  );
}

/** Cookies that prove who someone is: the agent's sign-in, and a customer's request token. */
function carriesCredentials(request: FastifyRequest): boolean {
  return Object.keys(request.cookies).some(
    (name) => name === SESSION_COOKIE || name.startsWith(CUSTOMER_COOKIE_PREFIX),
  );
}

/**
 * Resolves the session cookie to an actor, and refuses cookie-authenticated writes that do not
 * come from Helpgate's own pages (CSRF): the Origin (or Referer) must be this server's.
 */
export function installSession(app: FastifyInstance, deps: Deps, signIns: SignInCache): void {
  app.decorateRequest("actor", null);
  app.decorateRequest("authSession", null);
  app.addHook("onRequest", async (request: FastifyRequest) => {
    if (!carriesCredentials(request)) return;
    if (!SAFE_METHODS.has(request.method) && !isOwnOrigin(request, deps)) {
      const origin = originOf(request.headers.origin) ?? originOf(request.headers.referer);
      if (origin === null) {
        throw new DomainError(
          403,
          "csrf",
          "This request has no Origin header, so it cannot be checked as coming from Helpgate's own pages.",
        );
      }
      throw new DomainError(403, "csrf", `Requests from ${origin} may not use a Helpgate sign-in.`);
    }
    const token = request.cookies[SESSION_COOKIE];
    if (token) {
      const authSession = hashToken(token);
      let actor = signIns.get(authSession) ?? null;
      if (!actor) {
        const epoch = signIns.epoch;
        const found = await actorForSignIn(deps, authSession);
        if (found) signIns.set(authSession, found.actor, found.expiresAt, epoch);
        actor = found?.actor ?? null;
      }
      request.actor = actor;
      if (actor) request.authSession = authSession;
    }
  });
}

export function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw new DomainError(401, "signed_out", "Please sign in.");
  return request.actor;
}

/** The signed-in user of an account, for the console's routes (policy: operators have no console). */
export function requireConsoleActor(request: FastifyRequest): Actor {
  const actor = requireActor(request);
  consoleAccount(actor.user);
  return actor;
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
