import type { LightMyRequestResponse } from "fastify";
import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Portal } from "../../src/shared/api.js";
import { call, freshAddress, PASSWORD, type TestApp } from "../support/app.js";
import { type LiveServer, startLiveServer } from "../support/browser.js";
import { dialects } from "../support/databases.js";
import {
  type Agent,
  type AgentSocket,
  accept,
  ask,
  Clock,
  type CustomerSocket,
  connectCustomer,
  createPortal,
  isStatus,
  onlineAgent,
  seedAgent,
  seedTenant,
  type Tenant,
  type World,
} from "../support/scenario.js";
import { linkIn, startSmtp, type TestSmtp, toAddresses } from "../support/smtp.js";

const FORM = { "content-type": "application/x-www-form-urlencoded" };
const NEUTRAL = "If an account with that address exists, we have sent a link";

/** A friendly HTML page, not JSON and not a stack trace. */
function expectHtml(res: LightMyRequestResponse, status: number): void {
  expect(res.statusCode, res.body.slice(0, 400)).toBe(status);
  expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
  expect(res.body.startsWith("<!doctype html>")).toBe(true);
  expect(res.body).not.toMatch(/"error"\s*:/);
  expect(res.body).not.toMatch(/\bat .+\.(ts|js):\d+/);
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/** The text of a page without its markup (entities of the texts we look for decoded). */
function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, " ")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");
}

const sentTo = (address: string) => (m: ParsedMail) => toAddresses(m).includes(address.toLowerCase());

describe.each(dialects())("password pages and the transcript form on %s", (dialect) => {
  let smtp: TestSmtp;
  let live: LiveServer;
  let world: World;
  let app: TestApp;
  let tenant: Tenant;
  let agent: Agent;
  let agentWs: AgentSocket;
  let portal: Portal;
  const sockets: { close(): Promise<void> | void }[] = [];

  const get = (url: string, headers: Record<string, string> = {}) =>
    app.server.inject({ method: "GET", url, headers });
  const post = (url: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    app.server.inject({
      method: "POST",
      url,
      headers: { ...FORM, origin: world.origin, ...headers },
      remoteAddress: freshAddress(),
      payload: form(fields),
    });
  /** The set-password link of the newest email to `address` (after `from` messages). */
  const linkFor = async (address: string, from: number): Promise<string> => {
    const mail = await smtp.waitFor((m) => smtp.messages.indexOf(m) >= from && sentTo(address)(m), 15_000);
    const link = linkIn(mail, `${world.origin}/password?token=`);
    expect(link, mail.text).not.toBeNull();
    return (link ?? "").slice(world.origin.length);
  };

  beforeAll(async () => {
    smtp = await startSmtp();
    live = await startLiveServer(dialect, { SMTP_URL: smtp.url, HELPGATE_OUTBOX_POLL_MS: "50" });
    world = {
      live,
      app: live.app,
      clock: new Clock(),
      wsUrl: `${live.baseUrl.replace(/^http/, "ws")}/ws`,
      origin: live.baseUrl,
      close: () => live.close(),
    };
    app = live.app;
    tenant = await seedTenant(world, "pwpages");
    agent = await seedAgent(world, tenant, "dana");
    portal = await createPortal(world, tenant, "question", [agent]);
    agentWs = await onlineAgent(world, agent);
    sockets.push(agentWs);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await live?.close();
    await smtp?.close();
  });

  it("GET /forgot-password is a form in the browser's language", async () => {
    const en = await get("/forgot-password", { "accept-language": "en-US,en;q=0.9" });
    expectHtml(en, 200);
    expect(en.body).toContain('<html lang="en">');
    expect(en.body).toContain('<form method="post" action="/forgot-password"');
    expect(en.body).toContain('name="email"');
    expect(en.body).toContain("/static/page.css");
    const de = await get("/forgot-password", { "accept-language": "de-DE,de;q=0.9" });
    expectHtml(de, 200);
    expect(de.body).toContain('<html lang="de">');
    expect(de.body).toContain("Passwort vergessen?");
  });

  it("answers a known and an unknown address with the identical page; only the known one gets a link", async () => {
    const from = smtp.messages.length;
    const known = await post("/forgot-password", { email: agent.user.email });
    const unknown = await post("/forgot-password", { email: `nobody-${Date.now()}@nowhere.example` });
    expectHtml(known, 200);
    expectHtml(unknown, 200);
    expect(textOf(known.body)).toContain(NEUTRAL);
    expect(unknown.body).toBe(known.body);
    const link = await linkFor(agent.user.email, from);
    expect(link).toMatch(/^\/password\?token=/);
    // The unknown address got nothing (the known one's email has long arrived by now).
    expect(smtp.messages.slice(from).filter((m) => !sentTo(agent.user.email)(m))).toHaveLength(0);
  });

  it("an empty address is asked for again, not sent", async () => {
    const res = await post("/forgot-password", { email: "  " });
    expectHtml(res, 400);
    expect(textOf(res.body)).toContain("Enter your email address.");
    expect(res.body).toContain('aria-invalid="true"');
  });

  it("the link opens the set-password form; mismatch and a weak password show errors; a good one signs in, once", async () => {
    const from = smtp.messages.length;
    expectHtml(await post("/forgot-password", { email: agent.user.email }), 200);
    const link = await linkFor(agent.user.email, from);
    const token = new URL(link, world.origin).searchParams.get("token") ?? "";

    const page = await get(link);
    expectHtml(page, 200);
    expect(page.headers["referrer-policy"]).toBe("same-origin");
    expect(textOf(page.body)).toContain("Set your password");
    expect(textOf(page.body)).toContain(agent.user.email);
    expect(page.body).toContain('<form method="post" action="/password"');
    expect(page.body).toContain(`name="token" value="${token}"`);

    const mismatch = await post("/password", {
      token,
      password: "a-long-new-password",
      repeat: "something-else",
    });
    expectHtml(mismatch, 400);
    expect(textOf(mismatch.body)).toContain("The two passwords are not the same.");
    expect(mismatch.headers["referrer-policy"]).toBe("same-origin");
    // What was typed is never echoed back into the page.
    expect(mismatch.body).not.toContain("a-long-new-password");

    const weak = await post("/password", { token, password: "short", repeat: "short" });
    expectHtml(weak, 400);
    expect(textOf(weak.body)).toMatch(/A password needs 8 to 128 characters/);
    expect(weak.body).toContain('id="f-password" name="password" type="password"');

    const good = await post("/password", {
      token,
      password: "the-new-password-1",
      repeat: "the-new-password-1",
    });
    expect(good.statusCode, good.body).toBe(303);
    expect(good.headers.location).toBe("/console");
    const session = good.cookies.find((c) => c.name === "hg_session");
    expect(session?.value).toBeTruthy();
    const me = await call(app, `hg_session=${session?.value}`, "GET", "/api/v1/auth/me");
    expect(me.status).toBe(200);
    expect((me.body as { user: { email: string } }).user.email).toBe(agent.user.email);

    // The new password works at the sign-in; the old one does not.
    const login = (password: string) =>
      app.server.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        remoteAddress: freshAddress(),
        headers: { origin: world.origin },
        payload: { email: agent.user.email, password },
      });
    expect((await login("the-new-password-1")).statusCode).toBe(200);
    expect((await login(PASSWORD)).statusCode).toBe(401);

    // The link works once.
    const again = await get(link);
    expectHtml(again, 410);
    expect(textOf(again.body)).toContain("This link is no longer valid");
    expect(again.body).toContain('href="/forgot-password"');
    const reused = await post("/password", {
      token,
      password: "another-password-2",
      repeat: "another-password-2",
    });
    expectHtml(reused, 410);
    expect(reused.cookies.find((c) => c.name === "hg_session")).toBeUndefined();
    expect((await login("another-password-2")).statusCode).toBe(401);
    // Keep the agent's cookie-based helpers working for the later tests.
    agent.cookie = `hg_session=${session?.value}`;
  });

  it("a made-up token is refused on GET and POST", async () => {
    expectHtml(await get("/password?token=hg-not-a-real-token"), 410);
    expectHtml(await get("/password"), 410);
    expectHtml(
      await post("/password", { token: "nope", password: "whatever-123", repeat: "whatever-123" }),
      410,
    );
  });

  it("an admin who sets a password lands on /admin; a signed-in same-origin form passes the CSRF check", async () => {
    const from = smtp.messages.length;
    expectHtml(await post("/forgot-password", { email: tenant.admin.email }), 200);
    const link = await linkFor(tenant.admin.email, from);
    const token = new URL(link, world.origin).searchParams.get("token") ?? "";
    // The page's Referrer-Policy is same-origin, so the browser's form post carries this server's Origin.
    const res = await post(
      "/password",
      { token, password: "admins-new-password", repeat: "admins-new-password" },
      { cookie: tenant.adminCookie, origin: world.origin },
    );
    expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
    expect(res.headers.location).toBe("/admin");
    // Setting a password ends every other sign-in: the admin's new one is the cookie from now on.
    const fresh = res.cookies.find((c) => c.name === "hg_session");
    expect(fresh?.value).toBeTruthy();
    tenant.adminCookie = `hg_session=${fresh?.value}`;
  });

  it("a foreign site cannot post the form with a signed-in browser's cookie", async () => {
    const res = await post(
      "/password",
      { token: "x", password: "whatever-123", repeat: "whatever-123" },
      { cookie: tenant.adminCookie, origin: "https://evil.example" },
    );
    expectHtml(res, 403);
  });

  it("an invitation link welcomes the user by name", async () => {
    const from = smtp.messages.length;
    const email = `ines@${tenant.tag}.example`;
    const created = await call(
      app,
      tenant.adminCookie,
      "POST",
      `/api/v1/accounts/${tenant.account.id}/users`,
      {
        email,
        displayName: "Ines Invited",
        role: "agent",
        invite: true,
      },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const link = await linkFor(email, from);
    const page = await get(link, { "accept-language": "en" });
    expectHtml(page, 200);
    expect(textOf(page.body)).toContain(`Welcome, Ines Invited — choose a password for ${email}`);
    const de = await get(link, { "accept-language": "de" });
    expect(textOf(de.body)).toContain(`Willkommen, Ines Invited — wählen Sie ein Passwort für ${email}`);
  });

  it("the forgot-password form is rate limited per client address, with a friendly page", async () => {
    const remoteAddress = freshAddress();
    const once = () =>
      app.server.inject({
        method: "POST",
        url: "/forgot-password",
        headers: { ...FORM, origin: world.origin },
        remoteAddress,
        payload: form({ email: `limit-${Date.now()}@nowhere.example` }),
      });
    for (let i = 0; i < 5; i++) expect((await once()).statusCode).toBe(200);
    const refused = await once();
    expectHtml(refused, 429);
    expect(textOf(refused.body)).toContain("Too many attempts");
  });

  describe("the transcript by email after a session", () => {
    let requestId = "";
    let cookie = "";
    const customerEmail = "carla.customer@example.com";

    beforeAll(async () => {
      // The password change above signed Dana out everywhere: her console comes back with the new sign-in.
      agentWs = await onlineAgent(world, agent);
      sockets.push(agentWs);
      const s = await ask(world, portal.slug, {
        name: "Carla",
        email: customerEmail,
        question: "My printer is on fire",
      });
      requestId = s.requestId;
      cookie = s.cookie;
      const cws: CustomerSocket = await connectCustomer(world, requestId, cookie);
      sockets.push(cws);
      const accepted = await accept(world, agent, requestId);
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
      await cws.next(isStatus("accepted"));
      const said = await call(app, agent.cookie, "POST", `/api/v1/sessions/${requestId}/messages`, {
        body: "Have you tried turning it off and on again?",
      });
      expect(said.status).toBe(201);
      const reply = await app.server.inject({
        method: "POST",
        url: `/r/${requestId}/messages`,
        headers: { ...FORM, origin: world.origin, cookie },
        payload: form({ body: "Yes, and now it is only smoking a little." }),
      });
      expect(reply.statusCode).toBe(303);
      const ended = await call(app, agent.cookie, "POST", `/api/v1/sessions/${requestId}/end`);
      expect(ended.status).toBe(204);
      await cws.next(isStatus("ended"));
    });

    it("the ended page offers the form, prefilled with the email the customer gave", async () => {
      const page = await get(`/r/${requestId}`, { cookie });
      expectHtml(page, 200);
      expect(page.body).toContain(`<form method="post" action="/r/${requestId}/transcript-email"`);
      expect(page.body).toContain(`value="${customerEmail}"`);
      expect(textOf(page.body)).toContain("Get the transcript by email");
    });

    it("a bad address re-renders the page with the error, never a 500", async () => {
      const res = await post(`/r/${requestId}/transcript-email`, { email: "not-an-address" }, { cookie });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expectHtml(res, res.statusCode);
      expect(res.body).toContain('value="not-an-address"');
      expect(res.body).toMatch(/class="transcript-email-status is-error"[^>]*>[^<]+</);
      const empty = await post(`/r/${requestId}/transcript-email`, { email: "" }, { cookie });
      expectHtml(empty, 400);
      expect(textOf(empty.body)).toContain("Enter your email address.");
    });

    it("without the customer's cookie the form is refused", async () => {
      const res = await post(`/r/${requestId}/transcript-email`, { email: customerEmail });
      expectHtml(res, res.statusCode);
      expect([401, 403, 404]).toContain(res.statusCode);
      expect(res.headers.location).toBeUndefined();
    });

    it("the no-JS form sends the transcript and the page says where it went", async () => {
      const from = smtp.messages.length;
      const address = "carla.other@example.com";
      const res = await post(`/r/${requestId}/transcript-email`, { email: address }, { cookie });
      expect(res.statusCode, res.body.slice(0, 400)).toBe(303);
      expect(res.headers.location).toBe(`/r/${requestId}?emailed=1`);
      const flash = res.cookies.find((c) => c.name === "hg_emailed");
      expect(flash?.value).toBe(address);

      const back = await get(`/r/${requestId}?emailed=1`, {
        cookie: `${cookie}; hg_emailed=${flash?.value}`,
      });
      expectHtml(back, 200);
      expect(textOf(back.body)).toContain(`The transcript is on its way to ${address}.`);

      const mail = await smtp.waitFor((m) => smtp.messages.indexOf(m) >= from && sentTo(address)(m), 15_000);
      expect(mail.subject ?? "").not.toBe("");
      expect(mail.subject ?? "").toMatch(/transcript|conversation/i);
      const text = mail.text ?? "";
      expect(text).toContain("Have you tried turning it off and on again?");
      expect(text).toContain("Yes, and now it is only smoking a little.");
    });
  });
});

describe.each(dialects())("the password pages with email off on %s", (dialect) => {
  let live: LiveServer;
  let app: TestApp;
  let world: World;
  const sockets: { close(): Promise<void> | void }[] = [];
  beforeAll(async () => {
    live = await startLiveServer(dialect);
    app = live.app;
    world = {
      live,
      app,
      clock: new Clock(),
      wsUrl: `${live.baseUrl.replace(/^http/, "ws")}/ws`,
      origin: live.baseUrl,
      close: () => live.close(),
    };
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await live?.close();
  });

  it("/forgot-password says reset by email is not available, and the form post changes nothing", async () => {
    const page = await app.server.inject({ method: "GET", url: "/forgot-password" });
    expectHtml(page, 200);
    expect(textOf(page.body)).toContain("Password reset by email is not available");
    expect(page.body).not.toContain('action="/forgot-password"');
    const posted = await app.server.inject({
      method: "POST",
      url: "/forgot-password",
      headers: FORM,
      payload: form({ email: "someone@example.com" }),
    });
    expectHtml(posted, 200);
    expect(textOf(posted.body)).toContain("Password reset by email is not available");
  });

  it("/auth/options says email is off", async () => {
    const res = await call(app, null, "GET", "/api/v1/auth/options");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ emailEnabled: false });
  });

  it("the ended request page shows no transcript form", async () => {
    const tenant = await seedTenant(world, "pwoff");
    const agent = await seedAgent(world, tenant, "otto");
    const portal = await createPortal(world, tenant, "question", [agent]);
    sockets.push(await onlineAgent(world, agent));
    const s = await ask(world, portal.slug, { name: "Carla", email: "c@example.com", question: "Help" });
    expect((await accept(world, agent, s.requestId)).status).toBe(200);
    expect((await call(app, agent.cookie, "POST", `/api/v1/sessions/${s.requestId}/end`)).status).toBe(204);
    const page = await app.server.inject({
      method: "GET",
      url: `/r/${s.requestId}`,
      headers: { cookie: s.cookie },
    });
    expectHtml(page, 200);
    expect(page.body).toContain('data-state="ended"');
    expect(page.body).not.toContain("transcript-email");
  });
});
