import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ApiTokenScope } from "../../shared/api.js";
import { actorForApiToken } from "../commands/apiTokens.js";
import { actorForSignIn, hashToken } from "../commands/auth.js";
import type { Actor, Deps } from "../commands/context.js";
import { DomainError } from "../domain/errors.js";
import { assertTokenMay, consoleAccount } from "../policy.js";
import type { ApiTokenRecord } from "../store/apiTokens.js";
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
    /** The API token the request came with (`Authorization: Bearer`), else null. */
    apiToken: ApiTokenRecord | null;
  }
  interface FastifyContextConfig {
    /** The scope an API token needs for this route; a route without one is not for tokens. */
    tokenScope?: ApiTokenScope;
  }
}

/**
 * Requests per token per minute on this node: a fixed window, so a script that loops is slowed
 * before it floods the node (429 with Retry-After).
 */
class TokenRate {
  private readonly windows = new Map<string, { start: number; count: number }>();
  constructor(
    private readonly perMinute: number,
    private readonly now: () => number,
  ) {}

  /** Seconds to wait, or 0 when this request may go ahead. */
  take(tokenId: string): number {
    const now = this.now();
    let w = this.windows.get(tokenId);
    if (!w || now - w.start >= 60_000) {
      if (this.windows.size > 10_000) this.windows.clear();
      w = { start: now, count: 0 };
      this.windows.set(tokenId, w);
    }
    w.count += 1;
    return w.count > this.perMinute ? Math.max(1, Math.ceil((w.start + 60_000 - now) / 1000)) : 0;
  }
}

function bearerOf(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  // Another scheme (a reverse proxy's Basic sign-in the browser repeats on every request) is not
  // ours: the request goes on with its cookies as if the header were not there.
  if (header === undefined || !/^Bearer(\s|$)/i.test(header)) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw new DomainError(401, "token_invalid", 'Send the token as "Authorization: Bearer <token>".');
  return m[1] as string;
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
  app.decorateRequest("apiToken", null);
  const tokenRate = new TokenRate(deps.config.apiTokenRate, deps.now);
  app.addHook("onRequest", async (request: FastifyRequest) => {
    // A script with an API token: no cookies are looked at, so no CSRF check is needed either.
    const bearer = request.url.startsWith("/api/v1/") ? bearerOf(request) : null;
    if (bearer !== null) {
      const { actor, token } = await actorForApiToken(deps, bearer);
      const params = request.params as { accountId?: string } | undefined;
      assertTokenMay(token, request.routeOptions.config.tokenScope, params?.accountId);
      const wait = tokenRate.take(token.id);
      if (wait > 0)
        throw new DomainError(
          429,
          "rate_limited",
          `This API token made more than ${deps.config.apiTokenRate} requests in a minute. Try again in ${wait} seconds.`,
          undefined,
          wait,
        );
      request.actor = actor;
      request.apiToken = token;
      return;
    }
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
