import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Account } from "../../src/shared/api.js";
import { accountOf, bodyOf, expectError } from "../support/api.js";
import {
  type Call,
  call,
  login,
  ORIGIN,
  type SeededAccount,
  seedAccount,
  startTestApp,
  type TestApp,
} from "../support/app.js";
import { dialects } from "../support/databases.js";

interface OpenApiDocument {
  openapi: string;
  info: { title: string };
  paths: Record<string, Record<string, unknown>>;
}

function expectSecurityHeaders(res: LightMyRequestResponse): void {
  const csp = String(res.headers["content-security-policy"]);
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toContain("unsafe-inline");
  expect(csp).not.toContain("unsafe-eval");
  expect(csp).toContain("object-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(res.headers["x-content-type-options"]).toBe("nosniff");
  expect(res.headers["referrer-policy"]).toBe("no-referrer");
  expect(res.headers["x-powered-by"]).toBeUndefined();
}

describe.each(dialects())("security on %s", (dialect) => {
  let app: TestApp;
  let acme: SeededAccount;
  let admin: string;
  let accountUrl: string;

  /** A cookie-authenticated request with exactly the given headers (no helper-added Origin). */
  async function send(
    method: "GET" | "POST" | "PATCH",
    url: string,
    headers: Record<string, string>,
    payload?: Record<string, unknown>,
  ): Promise<Call> {
    const res = await app.server.inject({
      method,
      url,
      headers: { cookie: admin, ...headers },
      ...(payload ? { payload } : {}),
    });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null, res };
  }

  beforeAll(async () => {
    app = await startTestApp(dialect);
    acme = await seedAccount(app, "acme");
    admin = await login(app, acme.admin.email);
    accountUrl = `/api/v1/accounts/${acme.account.id}`;
  });
  afterAll(async () => {
    await app.close();
  });

  describe("security headers", () => {
    it("are set on API answers, errors, pages and the 404 page", async () => {
      expectSecurityHeaders((await call(app, admin, "GET", accountUrl)).res);
      expectSecurityHeaders((await call(app, null, "GET", accountUrl)).res);
      expectSecurityHeaders(await app.server.inject({ method: "GET", url: "/" }));
      expectSecurityHeaders(await app.server.inject({ method: "GET", url: "/p/nothing" }));
      expectSecurityHeaders(await app.server.inject({ method: "GET", url: "/healthz" }));
    });

    it("do not claim HSTS on plain http", async () => {
      const res = await app.server.inject({ method: "GET", url: "/" });
      expect(res.headers["strict-transport-security"]).toBeUndefined();
    });
  });

  describe("CSRF: cookie-authenticated writes must come from Helpgate's own pages", () => {
    it("a POST or PATCH with a foreign Origin is refused with 403 and does nothing", async () => {
      const patch = await send("PATCH", accountUrl, { origin: "https://evil.example" }, { name: "Pwned" });
      const body = expectError(patch, 403, "csrf");
      expect(body.message).toContain("https://evil.example");
      const post = await send(
        "POST",
        `${accountUrl}/users`,
        { origin: "https://evil.example" },
        { email: "evil@evil.example", displayName: "Evil", role: "admin" },
      );
      expectError(post, 403, "csrf");
      // A look-alike origin (other port, other scheme) is foreign too.
      expectError(
        await send("PATCH", accountUrl, { origin: "http://localhost:3001" }, { name: "Pwned" }),
        403,
        "csrf",
      );
      expectError(
        await send("PATCH", accountUrl, { origin: "https://localhost:3000" }, { name: "Pwned" }),
        403,
        "csrf",
      );
      expect(accountOf(await call(app, admin, "GET", accountUrl)).name).toBe(acme.account.name);
      const users = await call(app, admin, "GET", `${accountUrl}/users`);
      expect(bodyOf<{ email: string }[]>(users).some((u) => u.email === "evil@evil.example")).toBe(false);
    });

    it("a write with neither Origin nor Referer is refused with 403", async () => {
      const r = await send("PATCH", accountUrl, {}, { name: "Pwned" });
      expect(expectError(r, 403, "csrf").message).toContain("no Origin");
      expectError(await send("POST", "/api/v1/auth/logout", {}), 403, "csrf");
      expectError(await send("PATCH", accountUrl, { origin: "null" }, { name: "Pwned" }), 403, "csrf");
      // The session survived the refused logout.
      expect((await call(app, admin, "GET", "/api/v1/auth/me")).status).toBe(200);
      expect(accountOf(await call(app, admin, "GET", accountUrl)).name).toBe(acme.account.name);
    });

    it("a foreign Referer without Origin is refused; Helpgate's own Referer is accepted", async () => {
      expectError(
        await send("PATCH", accountUrl, { referer: "https://evil.example/page" }, { name: "Pwned" }),
        403,
        "csrf",
      );
      const ok = await send(
        "PATCH",
        accountUrl,
        { referer: `${ORIGIN}/admin/account` },
        { name: "Via referer" },
      );
      expect(ok.status).toBe(200);
      expect(accountOf(ok).name).toBe("Via referer");
    });

    it("the server's own Origin is accepted", async () => {
      const ok = await send("PATCH", accountUrl, { origin: ORIGIN }, { name: acme.account.name });
      expect(ok.status).toBe(200);
    });

    it("reads need no Origin", async () => {
      const r = await send("GET", accountUrl, {});
      expect(r.status).toBe(200);
      expect(bodyOf<Account>(r).id).toBe(acme.account.id);
    });
  });

  describe("request bodies and addresses", () => {
    it("a body over the size limit is refused with a clear message", async () => {
      const res = await app.server.inject({
        method: "PATCH",
        url: accountUrl,
        headers: { cookie: admin, origin: ORIGIN, "content-type": "application/json" },
        payload: JSON.stringify({ name: "x".repeat(300 * 1024) }),
      });
      expect(res.statusCode).toBe(413);
      expect(JSON.parse(res.body)).toEqual({ error: "bad_request", message: "The body is too large." });
    });

    it("an unsupported content type is refused with 415", async () => {
      const res = await app.server.inject({
        method: "PATCH",
        url: accountUrl,
        headers: { cookie: admin, origin: ORIGIN, "content-type": "application/xml" },
        payload: "<name>x</name>",
      });
      expect(res.statusCode).toBe(415);
      expect(JSON.parse(res.body)).toEqual({
        error: "bad_request",
        message: "Send the body as application/json.",
      });
    });

    it("over-long or malformed ids in the address answer 400 JSON, never a 500", async () => {
      const long = await call(app, admin, "GET", `/api/v1/accounts/${"x".repeat(65)}`);
      const body = expectError(long, 400, "validation", "accountId", "too_long");
      expect(body.fields?.accountId?.params).toEqual({ limit: 64 });
      const huge = await call(app, admin, "GET", `/api/v1/accounts/${"x".repeat(5000)}/users`);
      expectError(huge, 400, "bad_request");
      const bad = await call(app, admin, "GET", "/api/v1/accounts/%E0%A4%A");
      expectError(bad, 400, "bad_request");
      const quote = await call(app, admin, "GET", `/api/v1/accounts/${encodeURIComponent("' OR 1=1 --")}`);
      expectError(quote, 404, "not_found");
    });

    it("prototype-pollution keys in a body are refused, not merged", async () => {
      const res = await app.server.inject({
        method: "PATCH",
        url: accountUrl,
        headers: { cookie: admin, origin: ORIGIN, "content-type": "application/json" },
        payload: '{"__proto__": {"admin": true}, "name": "Proto"}',
      });
      expect(res.statusCode).toBe(400);
      expect(JSON.parse(res.body).error).toBe("bad_request");
      expect(accountOf(await call(app, admin, "GET", accountUrl)).name).toBe(acme.account.name);
    });
  });

  describe("OpenAPI document", () => {
    it("GET /api/docs/json is OpenAPI 3 and lists the /api/v1 routes only", async () => {
      const r = await call(app, null, "GET", "/api/docs/json");
      expect(r.status).toBe(200);
      const doc = bodyOf<OpenApiDocument>(r);
      expect(doc.openapi).toMatch(/^3\./);
      expect(doc.info.title).toBe("Helpgate API");
      const paths = Object.keys(doc.paths);
      for (const path of [
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/auth/me",
        "/api/v1/accounts",
        "/api/v1/accounts/{accountId}",
        "/api/v1/accounts/{accountId}/users",
        "/api/v1/accounts/{accountId}/users/{userId}",
        "/api/v1/accounts/{accountId}/users/{userId}/password",
        "/api/v1/accounts/{accountId}/portals",
        "/api/v1/accounts/{accountId}/portals/{portalId}",
      ]) {
        expect(paths).toContain(path);
      }
      expect(paths.every((p) => p.startsWith("/api/v1/"))).toBe(true);
      expect(paths.some((p) => p.startsWith("/p/") || p.startsWith("/admin") || p === "/healthz")).toBe(
        false,
      );
      expect(Object.keys(doc.paths["/api/v1/accounts/{accountId}/portals/{portalId}"] ?? {})).toEqual(
        expect.arrayContaining(["get", "patch"]),
      );
    });
  });
});
