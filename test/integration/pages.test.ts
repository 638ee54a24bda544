import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { portalOf } from "../support/api.js";
import { call, login, type SeededAccount, seedAccount, startTestApp, type TestApp } from "../support/app.js";
import { dialects } from "../support/databases.js";

/** A friendly HTML page, not JSON and not a stack trace. */
function expectFriendlyHtml(res: LightMyRequestResponse, status: number): void {
  expect(res.statusCode).toBe(status);
  expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
  expect(res.body.startsWith("<!doctype html>")).toBe(true);
  expect(res.body).not.toMatch(/"error"\s*:/);
  expect(res.body).not.toMatch(/\bat .+\.(ts|js):\d+/);
  expect(res.body).not.toContain("Error:");
}

describe.each(dialects())("server-rendered pages on %s", (dialect) => {
  let app: TestApp;
  let acme: SeededAccount;
  let admin: string;
  let portals: string;

  const get = (url: string, headers: Record<string, string> = {}) =>
    app.server.inject({ method: "GET", url, headers });

  beforeAll(async () => {
    app = await startTestApp(dialect);
    acme = await seedAccount(app, "acme");
    admin = await login(app, acme.admin.email);
    portals = `/api/v1/accounts/${acme.account.id}/portals`;
  });
  afterAll(async () => {
    await app.close();
  });

  it("GET /p/<slug> of an enabled portal shows its branding as HTML", async () => {
    const r = await call(app, admin, "POST", portals, {
      slug: "acme-page",
      type: "question",
      name: "Acme Support",
      title: "How can we help?",
      welcomeText: "Ask us anything.",
      primaryColor: "#0f766e",
    });
    expect(r.status).toBe(201);
    const res = await get("/p/acme-page");
    expectFriendlyHtml(res, 200);
    expect(res.body).toContain("<title>How can we help?</title>");
    expect(res.body).toContain("Acme Support");
    expect(res.body).toContain("Ask us anything.");
    expect(res.body).toContain('<html lang="en">');
    expect(res.body).toContain('href="/p/acme-page/theme.css"');
    const theme = await get("/p/acme-page/theme.css");
    expect(theme.statusCode).toBe(200);
    expect(theme.headers["content-type"]).toContain("text/css");
    expect(theme.body).toContain("--brand:#0f766e");
  });

  it("renders what an admin typed as text, never as markup", async () => {
    const r = await call(app, admin, "POST", portals, {
      slug: "acme-xss",
      type: "button",
      name: `Evil <img src=x onerror=alert(1)>`,
      title: `<script>alert("t")</script> & more`,
      welcomeText: `</p><script>alert('w')</script>`,
    });
    expect(r.status).toBe(201);
    const res = await get("/p/acme-xss");
    expectFriendlyHtml(res, 200);
    // The only script a portal page carries is its own bundle (src=…); nothing typed becomes one.
    expect(res.body).not.toMatch(/<script(?![^>]*\bsrc="\/assets\/)/);
    expect(res.body).not.toContain("<img src=x");
    expect(res.body).toContain("&lt;script>alert(&quot;t&quot;)&lt;/script> &amp; more");
    expect(res.body).toContain("Evil &lt;img src=x onerror=alert(1)>");
  });

  it("a portal's language sets the page language", async () => {
    const r = await call(app, admin, "POST", portals, {
      slug: "acme-de",
      type: "button",
      name: "Hilfe",
      language: "de",
    });
    expect(r.status).toBe(201);
    const res = await get("/p/acme-de", { "accept-language": "en" });
    expectFriendlyHtml(res, 200);
    expect(res.body).toContain('<html lang="de">');
  });

  it("a disabled portal answers the friendly 404 page, and again once re-enabled it is back", async () => {
    const created = await call(app, admin, "POST", portals, {
      slug: "acme-off",
      type: "question",
      name: "Off",
    });
    const id = portalOf(created).id;
    expect((await call(app, admin, "PATCH", `${portals}/${id}`, { enabled: false })).status).toBe(200);
    const res = await get("/p/acme-off");
    expectFriendlyHtml(res, 404);
    expect(res.body).toContain("404");
    expect(res.body).not.toContain("Off</");
    expect((await call(app, admin, "PATCH", `${portals}/${id}`, { enabled: true })).status).toBe(200);
    expectFriendlyHtml(await get("/p/acme-off"), 200);
  });

  it("an unknown portal answers the friendly 404 page in the browser's language", async () => {
    const en = await get("/p/no-such-portal", { "accept-language": "en-GB,en;q=0.8" });
    expectFriendlyHtml(en, 404);
    expect(en.body).toContain('<html lang="en">');
    const de = await get("/p/no-such-portal", { "accept-language": "de-DE,de;q=0.9" });
    expectFriendlyHtml(de, 404);
    expect(de.body).toContain('<html lang="de">');
    // Odd slugs are just unknown, never an error.
    expectFriendlyHtml(await get(`/p/${encodeURIComponent("<script>")}`), 404);
    expectFriendlyHtml(await get(`/p/${"x".repeat(500)}`), 404);
    expectFriendlyHtml(await get(`/p/${"x".repeat(5000)}`), 404);
    expectFriendlyHtml(await get("/p/%E0%A4%A"), 404);
  });

  it("unknown pages answer the friendly 404 page; unknown API routes answer JSON", async () => {
    expectFriendlyHtml(await get("/no/such/page"), 404);
    const api = await get("/api/v1/nothing-here");
    expect(api.statusCode).toBe(404);
    expect(api.headers["content-type"]).toContain("application/json");
    expect(JSON.parse(api.body)).toEqual({
      error: "not_found",
      message: "No API route GET /api/v1/nothing-here.",
    });
  });

  it("the home page links to the admin pages", async () => {
    const res = await get("/");
    expectFriendlyHtml(res, 200);
    expect(res.body).toContain('href="/admin"');
  });

  it("server-rendered pages satisfy the CSP: no inline scripts, styles or handlers", async () => {
    for (const url of ["/", "/p/acme-page", "/p/no-such-portal"]) {
      const res = await get(url);
      expect(res.headers["content-security-policy"]).toContain("script-src 'self'");
      expect(res.body).not.toMatch(/<script(?![^>]*\bsrc=)/);
      expect(res.body).not.toMatch(/<style/);
      expect(res.body).not.toMatch(/\sstyle=/);
      expect(res.body).not.toMatch(/\son[a-z]+=/);
    }
  });
});
