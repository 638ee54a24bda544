import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepRequests } from "../../src/server/sweeper.js";
import type { ApiError, Delivery, Me, Portal, User } from "../../src/shared/api.js";
import type { CodeView } from "../../src/shared/protocol.js";
import { type CreatedUserBody, expectError } from "../support/api.js";
import { type Call, call, freshAddress, login, PASSWORD } from "../support/app.js";
import { dialects } from "../support/databases.js";
import { freePort } from "../support/nodes.js";
import {
  type Agent,
  type AgentSocket,
  accept,
  ask,
  createPortal,
  eventually,
  onlineAgent,
  seedAgent,
  seedTenant,
  startWorld,
  type Tenant,
  type World,
} from "../support/scenario.js";
import { linkIn, startSmtp, type TestSmtp, toAddresses } from "../support/smtp.js";

/**
 * A 400 naming `field` (with that problem code when given). Domain checks answer with the problem
 * code as the error; schema checks with "validation".
 */
function expectField(r: Call, field: string, code?: string): ApiError {
  if (r.status !== 400)
    throw new Error(`expected 400 naming ${field}, got ${r.status} ${JSON.stringify(r.body)}`);
  const body = r.body as ApiError;
  expect(Object.keys(body.fields ?? {}), JSON.stringify(body)).toContain(field);
  if (code !== undefined) {
    expect(body.fields?.[field]?.code, JSON.stringify(body)).toBe(code);
    expect([code, "validation"]).toContain(body.error);
  }
  expect(body.message.length).toBeGreaterThan(0);
  return body;
}

/**
 * Issue 14: email through the outbox, received by a real SMTP server (smtp-server) and parsed
 * with mailparser, as a mail client would see it.
 */

const OUTBOX = { HELPGATE_OUTBOX_POLL_MS: "50" };
const NEW_PASSWORD = "a-brand-new-long-password-7";

const sentTo = (address: string) => (m: ParsedMail) => toAddresses(m).includes(address.toLowerCase());
const header = (m: ParsedMail, name: string): string => {
  const v = m.headers.get(name);
  return typeof v === "string" ? v : v === undefined ? "" : JSON.stringify(v);
};

function parse(res: { statusCode: number; body: string }): unknown {
  try {
    return res.body ? JSON.parse(res.body) : null;
  } catch {
    return res.body;
  }
}

/** The customer's JSON call with a browser language (portal form, offline message). */
async function customerPost(
  world: World,
  url: string,
  payload: Record<string, unknown>,
  language = "en",
): Promise<Call> {
  const res = await world.app.server.inject({
    method: "POST",
    url,
    remoteAddress: freshAddress(),
    headers: { origin: world.origin, "accept-language": language },
    payload,
  });
  return { status: res.statusCode, body: parse(res), res };
}

async function deliveries(world: World, t: Tenant, query = ""): Promise<Delivery[]> {
  const r = await call(
    world.app,
    t.adminCookie,
    "GET",
    `/api/v1/accounts/${t.account.id}/deliveries${query}`,
  );
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as Delivery[];
}

/**
 * Waits until no outbox row is being delivered. The server's clock is the test's: skipping it ahead
 * while a send is in flight would let that claim's lease run out (in server time) and the row be
 * claimed and sent again, which says nothing about the server.
 */
async function quiesce(world: World): Promise<void> {
  await eventually(async () => {
    const inFlight = await world.app.deps.db.kysely
      .selectFrom("outbox")
      .select("id")
      .where("state", "=", "pending")
      .where("lease_until", "is not", null)
      .execute();
    return inFlight.length === 0;
  }, 10_000);
}

/** Skips the server's clock ahead once nothing is in flight. */
async function skip(world: World, ms: number): Promise<void> {
  await quiesce(world);
  world.clock.advance(ms);
}

describe.each(dialects())("email on %s", (dialect) => {
  let smtp: TestSmtp;
  let world: World;
  const sockets: AgentSocket[] = [];

  beforeAll(async () => {
    smtp = await startSmtp();
    world = await startWorld(dialect, { ...OUTBOX, SMTP_URL: smtp.url });
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world?.close();
    await smtp?.close();
  });

  interface Desk {
    tenant: Tenant;
    agent: Agent;
    portal: Portal;
    notify: string;
  }
  async function desk(prefix: string, online = true): Promise<Desk> {
    const tenant = await seedTenant(world, prefix);
    const agent = await seedAgent(world, tenant, "dana");
    const notify = `desk@${tenant.tag}.example`;
    const portal = await createPortal(world, tenant, "question", [agent], { notifyEmails: [notify] });
    expect(portal.notifyEmails).toEqual([notify]);
    if (online) sockets.push(await onlineAgent(world, agent));
    return { tenant, agent, portal, notify };
  }

  it("says email is on (GET /auth/options, Me.emailEnabled)", async () => {
    const opts = await call(world.app, null, "GET", "/api/v1/auth/options");
    expect(opts.status).toBe(200);
    expect(opts.body).toEqual({ emailEnabled: true });
    const t = await seedTenant(world, "mail-on");
    const me = await call(world.app, t.adminCookie, "GET", "/api/v1/auth/me");
    expect((me.body as Me).emailEnabled).toBe(true);
  });

  it("emails an offline message to the portal's notifyEmails, reply-to the customer, each in its reader's language", async () => {
    const tenant = await seedTenant(world, "mail-offline");
    const agent = await seedAgent(world, tenant, "dana");
    const desk = `desk@${tenant.tag}.example`;
    // A user of the account among the addresses reads in their own language (English here).
    const patched = await call(
      world.app,
      tenant.adminCookie,
      "PATCH",
      `/api/v1/accounts/${tenant.account.id}/users/${agent.user.id}`,
      {
        language: "en",
      },
    );
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const portal = await createPortal(world, tenant, "question", [agent], {
      notifyEmails: [desk, agent.user.email],
      language: "de",
    });
    expect(portal.notifyEmails).toEqual([desk, agent.user.email]);
    const left = await customerPost(
      world,
      `/api/v1/portals/${portal.slug}/offline`,
      { values: { name: "Jürgen", email: "juergen@kunde.example", question: "Bitte rufen Sie mich an" } },
      "de-DE,de;q=0.9",
    );
    expect(left.status, JSON.stringify(left.body)).toBe(201);
    const m = await smtp.waitFor(sentTo(desk));
    expect(toAddresses(m)).toEqual([desk]);
    expect(m.subject).toBe(`Nachricht von Jürgen (${portal.name})`);
    expect(header(m, "content-language")).toBe("de");
    expect(m.replyTo?.value.map((a) => a.address)).toEqual(["juergen@kunde.example"]);
    expect(m.text).toContain("Bitte rufen Sie mich an");
    expect(m.text).toContain((left.body as { sessionNumber: string }).sessionNumber.slice(0, 3));
    expect(typeof m.html === "string" && m.html.includes("Bitte rufen Sie mich an")).toBe(true);
    expect(m.from?.text).toContain("helpgate@");
    const mine = await smtp.waitFor(sentTo(agent.user.email));
    expect(mine.subject).toBe(`Message from Jürgen (${portal.name})`);
    expect(header(mine, "content-language")).toBe("en");
    expect(mine.replyTo?.value.map((a) => a.address)).toEqual(["juergen@kunde.example"]);
    // Message-ID is the delivery's id; the deliveries list has it delivered.
    const id = /^<([^@>]+)@helpgate>$/.exec(m.messageId ?? "")?.[1];
    expect(id, m.messageId).toBeDefined();
    await eventually(async () =>
      (await deliveries(world, tenant, "?kind=email")).some((x) => x.id === id && x.state === "delivered"),
    );
    const row = (await deliveries(world, tenant)).find((x) => x.id === id);
    expect(row).toMatchObject({
      kind: "email",
      eventType: "offline-message",
      recipient: desk,
      webhookId: null,
    });
  });

  it("emails a notice when nobody answered a request", async () => {
    const d = await desk("mail-unanswered");
    const s = await ask(world, d.portal.slug, { name: "Nadia", question: "Anyone?" });
    await skip(world, 11 * 60_000);
    await sweepRequests(world.app.deps);
    const m = await smtp.waitFor((x) => sentTo(d.notify)(x) && (x.subject ?? "").includes("Nadia"));
    expect(m.subject).toMatch(/Nobody answered Nadia/);
    expect(m.text).toContain("Anyone?");
    expect(m.text).toContain(s.sessionNumber.slice(0, 3));
    const kinds = (await deliveries(world, d.tenant, "?kind=email")).map((x) => x.eventType);
    expect(kinds).toContain("unanswered-request");
  });

  it("emails a session code from the console; the link in the mail opens the join page with the code", async () => {
    const tenant = await seedTenant(world, "mail-code", "phone");
    const agent = await seedAgent(world, tenant, "phoebe");
    const portal = await createPortal(world, tenant, "code", [agent]);
    const created = await call(world.app, agent.cookie, "POST", "/api/v1/codes", {
      portalId: portal.id,
      name: "Mr. Jones",
    });
    expect(created.status).toBe(201);
    const code = created.body as CodeView;
    const to = `jones@${tenant.tag}.example`;
    const bad = await call(world.app, agent.cookie, "POST", `/api/v1/codes/${code.id}/email`, {
      email: "not-an-email",
    });
    expectField(bad, "email");
    const other = await seedAgent(world, tenant, "otto");
    const foreign = await call(world.app, other.cookie, "POST", `/api/v1/codes/${code.id}/email`, {
      email: to,
    });
    // Another agent's code is not theirs to send (answered like a code that is gone).
    expect([404, 409]).toContain(foreign.status);
    const sent = await call(world.app, agent.cookie, "POST", `/api/v1/codes/${code.id}/email`, {
      email: to,
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    expect(sent.body).toEqual({ to });
    const m = await smtp.waitFor(sentTo(to));
    expect(m.subject).toContain(code.code.replace(/^(\d{3})(\d{3})(\d{3})$/, "$1 $2 $3"));
    const link = linkIn(m, `${world.origin}/`);
    expect(link).toBe(code.joinUrl);
    const page = await fetch(link ?? "");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(
      new RegExp(`${code.code}|${code.code.slice(0, 3)} ${code.code.slice(3, 6)} ${code.code.slice(6)}`),
    );
    // Opening the link does not use the code up (previews and prefetchers open links too).
    const live = await call(world.app, agent.cookie, "GET", "/api/v1/codes");
    expect((live.body as CodeView[]).map((c) => c.id)).toContain(code.id);
    // A canceled code cannot be emailed.
    expect((await call(world.app, agent.cookie, "DELETE", `/api/v1/codes/${code.id}`)).status).toBe(204);
    const gone = await call(world.app, agent.cookie, "POST", `/api/v1/codes/${code.id}/email`, { email: to });
    expect([404, 409]).toContain(gone.status);
  });

  it("takes the customer's name with a code email (contract: {email, name?})", async () => {
    const tenant = await seedTenant(world, "mail-code-name", "phone");
    const agent = await seedAgent(world, tenant, "phoebe");
    const portal = await createPortal(world, tenant, "code", [agent]);
    const created = await call(world.app, agent.cookie, "POST", "/api/v1/codes", {
      portalId: portal.id,
      name: "Caller",
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const code = created.body as CodeView;
    const to = `named@${tenant.tag}.example`;
    const sent = await call(world.app, agent.cookie, "POST", `/api/v1/codes/${code.id}/email`, {
      email: to,
      name: "Mrs. Named",
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    const m = await smtp.waitFor(sentTo(to));
    // The email greets the customer by the name given.
    expect(m.text).toContain("Mrs. Named");
  });

  it("emails the transcript to the customer after the end (≤3, then 429) and to the agent", async () => {
    const d = await desk("mail-transcript");
    const s = await ask(world, d.portal.slug, { name: "Tara", question: "Where is my invoice?" });
    const tUrl = `/api/v1/customer/requests/${s.requestId}/transcript-email`;
    const early = await call(world.app, s.cookie, "POST", tUrl, { email: "tara@customer.example" });
    expect(early.status, JSON.stringify(early.body)).toBe(409);
    expect((await accept(world, d.agent, s.requestId)).status).toBe(200);
    const said = await call(
      world.app,
      s.cookie,
      "POST",
      `/api/v1/customer/requests/${s.requestId}/messages`,
      {
        body: "Invoice 4711 never arrived",
      },
    );
    expect(said.status).toBe(201);
    const open = await call(world.app, s.cookie, "POST", tUrl, { email: "tara@customer.example" });
    expect(open.status).toBe(409);
    expect(
      (await call(world.app, d.agent.cookie, "POST", `/api/v1/sessions/${s.requestId}/end`)).status,
    ).toBe(204);

    const bad = await call(world.app, s.cookie, "POST", tUrl, { email: "nope" });
    expectField(bad, "email");
    const addresses = [
      `tara@${d.tenant.tag}.example`,
      `tara2@${d.tenant.tag}.example`,
      `tara3@${d.tenant.tag}.example`,
    ];
    for (const email of addresses) {
      const r = await call(world.app, s.cookie, "POST", tUrl, { email });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      expect(r.body).toEqual({ to: email });
    }
    const fourth = await call(world.app, s.cookie, "POST", tUrl, { email: `tara4@${d.tenant.tag}.example` });
    expectError(fourth, 429, "too_many");
    // Without the customer's cookie: not theirs.
    const stranger = await call(world.app, null, "POST", tUrl, { email: "x@y.example" });
    expect([401, 403, 404]).toContain(stranger.status);
    for (const email of addresses) {
      const m = await smtp.waitFor(sentTo(email));
      expect(m.subject).toContain(d.portal.name);
      expect(m.text).toContain("Invoice 4711 never arrived");
    }
    expect(smtp.messages.some(sentTo(`tara4@${d.tenant.tag}.example`))).toBe(false);

    // The agent's copy goes to the agent's own address.
    const mine = await call(
      world.app,
      d.agent.cookie,
      "POST",
      `/api/v1/sessions/${s.requestId}/transcript-email`,
    );
    expect(mine.status, JSON.stringify(mine.body)).toBe(202);
    expect(mine.body).toEqual({ to: d.agent.user.email });
    const am = await smtp.waitFor(sentTo(d.agent.user.email));
    expect(am.text).toContain("Invoice 4711 never arrived");
    // Another agent cannot have it sent.
    const other = await seedAgent(world, d.tenant, "eli");
    const foreign = await call(
      world.app,
      other.cookie,
      "POST",
      `/api/v1/sessions/${s.requestId}/transcript-email`,
    );
    expect([403, 404]).toContain(foreign.status);
  });

  it("the no-JS transcript form emails the customer and comes back with ?emailed=1; a German customer gets German", async () => {
    const d = await desk("mail-form");
    const asked = await world.app.server.inject({
      method: "POST",
      url: `/api/v1/portals/${d.portal.slug}/requests`,
      remoteAddress: freshAddress(),
      headers: { origin: world.origin, "accept-language": "de" },
      payload: { values: { name: "Greta", question: "Wo ist meine Rechnung?" } },
    });
    expect(asked.statusCode, asked.body).toBe(201);
    const requestId = (JSON.parse(asked.body) as { requestId: string }).requestId;
    const cookie = asked.cookies
      .filter((c) => c.name.startsWith("hgc_"))
      .map((c) => `${c.name}=${c.value}`)
      .join("; ");
    expect((await accept(world, d.agent, requestId)).status).toBe(200);
    expect((await call(world.app, d.agent.cookie, "POST", `/api/v1/sessions/${requestId}/end`)).status).toBe(
      204,
    );
    const to = `greta@${d.tenant.tag}.example`;
    const form = await world.app.server.inject({
      method: "POST",
      url: `/r/${requestId}/transcript-email`,
      headers: { origin: world.origin, cookie, "content-type": "application/x-www-form-urlencoded" },
      payload: `email=${encodeURIComponent(to)}`,
    });
    expect(form.statusCode, form.body).toBe(303);
    expect(form.headers.location).toBe(`/r/${requestId}?emailed=1`);
    const m = await smtp.waitFor(sentTo(to));
    expect(header(m, "content-language")).toBe("de");
    expect(m.subject).toMatch(/^Verlauf Ihrer Sitzung/);
    // An empty address is refused on the page itself.
    const empty = await world.app.server.inject({
      method: "POST",
      url: `/r/${requestId}/transcript-email`,
      headers: { origin: world.origin, cookie, "content-type": "application/x-www-form-urlencoded" },
      payload: "email=",
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.headers["content-type"]).toContain("text/html");
  });

  it("emails the agent in the language they chose (PATCH /auth/me)", async () => {
    const d = await desk("mail-lang");
    const me = await call(world.app, d.agent.cookie, "PATCH", "/api/v1/auth/me", { language: "de" });
    expect(me.status, JSON.stringify(me.body)).toBe(200);
    expect((me.body as Me).user.language).toBe("de");
    expectField(
      await call(world.app, d.agent.cookie, "PATCH", "/api/v1/auth/me", { language: "fr" }),
      "language",
    );
    const s = await ask(world, d.portal.slug, { name: "Hans", question: "Hallo" });
    expect((await accept(world, d.agent, s.requestId)).status).toBe(200);
    expect(
      (await call(world.app, d.agent.cookie, "POST", `/api/v1/sessions/${s.requestId}/end`)).status,
    ).toBe(204);
    const sent = await call(
      world.app,
      d.agent.cookie,
      "POST",
      `/api/v1/sessions/${s.requestId}/transcript-email`,
    );
    expect(sent.status).toBe(202);
    const m = await smtp.waitFor(sentTo(d.agent.user.email));
    expect(header(m, "content-language")).toBe("de");
    expect(m.subject).toMatch(/^Verlauf/);
  });

  it("sends the code email when a CRM creates a code with an address (POST /accounts/:id/codes)", async () => {
    const tenant = await seedTenant(world, "mail-crm", "phone");
    const agent = await seedAgent(world, tenant, "phoebe");
    await createPortal(world, tenant, "code", [agent]);
    const tokenRes = await call(
      world.app,
      tenant.adminCookie,
      "POST",
      `/api/v1/accounts/${tenant.account.id}/api-tokens`,
      {
        name: "CRM",
        scopes: ["codes:create"],
      },
    );
    expect(tokenRes.status).toBe(201);
    const secret = (tokenRes.body as { secret: string }).secret;
    const to = `caller@${tenant.tag}.example`;
    const res = await world.app.server.inject({
      method: "POST",
      url: `/api/v1/accounts/${tenant.account.id}/codes`,
      headers: { authorization: `Bearer ${secret}` },
      payload: { agentId: agent.user.id, name: "Caller", email: to },
    });
    expect(res.statusCode, res.body).toBe(201);
    const code = JSON.parse(res.body) as { code: string; joinUrl: string; emailed: boolean };
    expect(code.emailed).toBe(true);
    const m = await smtp.waitFor(sentTo(to));
    expect(linkIn(m, `${world.origin}/`)).toBe(code.joinUrl);
    const bad = await world.app.server.inject({
      method: "POST",
      url: `/api/v1/accounts/${tenant.account.id}/codes`,
      headers: { authorization: `Bearer ${secret}` },
      payload: { agentId: agent.user.id, email: "not-an-address" },
    });
    expect(bad.statusCode).toBe(400);
    expect(Object.keys((JSON.parse(bad.body) as ApiError).fields ?? {})).toContain("email");
  });

  it("holds the transcript limit under concurrent requests (3 per request)", async () => {
    const d = await desk("mail-race");
    const s = await ask(world, d.portal.slug, { name: "Rita", question: "Race?" });
    expect((await accept(world, d.agent, s.requestId)).status).toBe(200);
    expect(
      (await call(world.app, d.agent.cookie, "POST", `/api/v1/sessions/${s.requestId}/end`)).status,
    ).toBe(204);
    const tUrl = `/api/v1/customer/requests/${s.requestId}/transcript-email`;
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call(world.app, s.cookie, "POST", tUrl, { email: `rita${i}@${d.tenant.tag}.example` }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([202, 202, 202, 429, 429, 429, 429, 429]);
  });

  it("holds the reset-link limit under concurrent requests (3 per hour)", async () => {
    const t = await seedTenant(world, "mail-race-reset");
    const user = (await seedAgent(world, t, "rudi")).user;
    const forgot = await Promise.all(
      Array.from({ length: 8 }, () =>
        world.app.server.inject({
          method: "POST",
          url: "/api/v1/auth/forgot-password",
          remoteAddress: freshAddress(),
          headers: { origin: world.origin },
          payload: { email: user.email },
        }),
      ),
    );
    expect(forgot.every((r) => r.statusCode === 202)).toBe(true);
    await eventually(async () => smtp.messages.filter(sentTo(user.email)).length >= 3, 10_000);
    await quiesce(world);
    const resets = await world.app.deps.db.kysely
      .selectFrom("outbox")
      .select("id")
      .where("event_type", "=", "password-reset")
      .where("recipient", "=", user.email)
      .execute();
    expect(resets).toHaveLength(3);
  });

  it("invites a user: the email's link sets the password once", async () => {
    const t = await seedTenant(world, "mail-invite");
    const email = `ines@${t.tag}.example`;
    const created = await call(world.app, t.adminCookie, "POST", `/api/v1/accounts/${t.account.id}/users`, {
      email,
      displayName: "Ines",
      role: "agent",
      invite: true,
      language: "de",
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const body = created.body as CreatedUserBody;
    expect(body.generatedPassword).toBeNull();
    expect(body.user.invited).toBe(true);
    expect(body.user.language).toBe("de");
    const m = await smtp.waitFor(sentTo(email));
    expect(m.subject).toContain(t.account.name);
    expect(header(m, "content-language")).toBe("de");
    const link = linkIn(m, `${world.origin}/password?token=`);
    expect(link, m.text).not.toBeNull();
    const token = new URL(link ?? "").searchParams.get("token") ?? "";
    expect(token.length).toBeGreaterThan(20);
    // The page behind the link is the set-password form.
    const page = await fetch(link ?? "");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");

    // Before the password is set, no password signs in.
    const noLogin = await world.app.server.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      remoteAddress: freshAddress(),
      headers: { origin: world.origin },
      payload: { email, password: PASSWORD },
    });
    expect(noLogin.statusCode).toBe(401);

    const weak = await call(world.app, null, "POST", "/api/v1/auth/password", { token, password: "short" });
    expect(weak.status).toBe(400);
    expect(Object.keys((weak.body as { fields?: object }).fields ?? {})).toContain("password");
    const set = await call(world.app, null, "POST", "/api/v1/auth/password", {
      token,
      password: NEW_PASSWORD,
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect((set.body as Me).user.email).toBe(email);
    expect((set.body as Me).user.invited).toBe(false);
    const cookie = set.res.cookies.find((c) => c.name === "hg_session");
    expect(cookie).toBeDefined();
    const me = await call(world.app, `hg_session=${cookie?.value ?? ""}`, "GET", "/api/v1/auth/me");
    expect(me.status).toBe(200);
    const again = await call(world.app, null, "POST", "/api/v1/auth/password", {
      token,
      password: `${NEW_PASSWORD}-2`,
    });
    expectError(again, 400, "token_invalid");
    await login(world.app, email, NEW_PASSWORD);
    // Sending the invitation again: refused now that the password is set.
    const resend = await call(
      world.app,
      t.adminCookie,
      "POST",
      `/api/v1/accounts/${t.account.id}/users/${body.user.id}/invitation`,
    );
    expectError(resend, 409, "not_invited");
  });

  it("sends an invitation again on request (a new link; both work only until one is used)", async () => {
    const t = await seedTenant(world, "mail-reinvite");
    const email = `ria@${t.tag}.example`;
    const created = await call(world.app, t.adminCookie, "POST", `/api/v1/accounts/${t.account.id}/users`, {
      email,
      displayName: "Ria",
      role: "manager",
      invite: true,
    });
    expect(created.status).toBe(201);
    const user = (created.body as CreatedUserBody).user;
    await smtp.waitFor(sentTo(email));
    const resend = await call(
      world.app,
      t.adminCookie,
      "POST",
      `/api/v1/accounts/${t.account.id}/users/${user.id}/invitation`,
    );
    expect(resend.status, JSON.stringify(resend.body)).toBe(202);
    await eventually(async () => smtp.messages.filter(sentTo(email)).length >= 2, 10_000);
    const mails = smtp.messages.filter(sentTo(email));
    const links = mails.map((m) => linkIn(m, `${world.origin}/password?token=`));
    expect(links[0]).not.toBeNull();
    expect(links[1]).not.toBeNull();
    expect(header(mails[0] as ParsedMail, "content-language")).toBe("en");
    const tokenOf = (l: string | null | undefined) => new URL(l ?? "").searchParams.get("token") ?? "";
    const set = await call(world.app, null, "POST", "/api/v1/auth/password", {
      token: tokenOf(links[1]),
      password: NEW_PASSWORD,
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(
      (
        await call(world.app, null, "POST", "/api/v1/auth/password", {
          token: tokenOf(links[1]),
          password: NEW_PASSWORD,
        })
      ).status,
    ).toBe(400);
  });

  it("forgot password: the same 202 for known and unknown addresses; the link lives 30 minutes and works once", async () => {
    const t = await seedTenant(world, "mail-forgot");
    const fritz = await seedAgent(world, t, "fritz");
    const user: User = fritz.user;
    const oldCookie = fritz.cookie;
    // Each from an address of its own: the route is rate limited per client address.
    const ask = async (email: string): Promise<Call> => {
      const res = await world.app.server.inject({
        method: "POST",
        url: "/api/v1/auth/forgot-password",
        remoteAddress: freshAddress(),
        headers: { origin: world.origin },
        payload: { email },
      });
      return { status: res.statusCode, body: parse(res), res };
    };
    const known = await ask(user.email);
    const unknown = await ask(`nobody@${t.tag}.example`);
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(known.body).toEqual(unknown.body);
    expect(typeof (known.body as { message?: unknown }).message).toBe("string");
    const m1 = await smtp.waitFor(sentTo(user.email));
    expect(m1.subject).toBe("Reset your Helpgate password");
    const link1 = linkIn(m1, `${world.origin}/password?token=`);
    expect(link1).not.toBeNull();
    const token1 = new URL(link1 ?? "").searchParams.get("token") ?? "";

    // 31 minutes later the first link no longer works.
    await skip(world, 31 * 60_000);
    expectError(
      await call(world.app, null, "POST", "/api/v1/auth/password", { token: token1, password: NEW_PASSWORD }),
      400,
      "token_invalid",
    );
    // Upper case and spaces find the same user.
    expect((await ask(`  ${user.email.toUpperCase()} `)).status).toBe(202);
    await eventually(async () => smtp.messages.filter(sentTo(user.email)).length >= 2, 10_000);
    const mine = smtp.messages.filter(sentTo(user.email));
    expect(mine.map((m) => m.messageId)).toHaveLength(2);
    expect(mine[0]?.messageId, "one email per link, each sent once").not.toBe(mine[1]?.messageId);
    const m2 = mine[1] as ParsedMail;
    const token2 =
      new URL(linkIn(m2, `${world.origin}/password?token=`) ?? "").searchParams.get("token") ?? "";
    expect(token2).not.toBe(token1);
    await skip(world, 29 * 60_000);
    const set = await call(world.app, null, "POST", "/api/v1/auth/password", {
      token: token2,
      password: NEW_PASSWORD,
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expectError(
      await call(world.app, null, "POST", "/api/v1/auth/password", {
        token: token2,
        password: `${NEW_PASSWORD}x`,
      }),
      400,
      "token_invalid",
    );
    // Setting the password ended the sign-ins made with the old one.
    expect((await call(world.app, oldCookie, "GET", "/api/v1/auth/me")).status).toBe(401);
    await login(world.app, user.email, NEW_PASSWORD);
    const old = await world.app.server.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      remoteAddress: freshAddress(),
      headers: { origin: world.origin },
      payload: { email: user.email, password: PASSWORD },
    });
    expect(old.statusCode).toBe(401);
    // No email ever went to the unknown address.
    expect(smtp.messages.some(sentTo(`nobody@${t.tag}.example`))).toBe(false);
  });

  it("rate limits forgot-password per client address (429 after 5 a minute)", async () => {
    const from = freshAddress();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await world.app.server.inject({
        method: "POST",
        url: "/api/v1/auth/forgot-password",
        remoteAddress: from,
        headers: { origin: world.origin },
        payload: { email: `limit-${i}@nowhere.example` },
      });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
    // Another address is not held back.
    const other = await world.app.server.inject({
      method: "POST",
      url: "/api/v1/auth/forgot-password",
      remoteAddress: freshAddress(),
      headers: { origin: world.origin },
      payload: { email: "limit-x@nowhere.example" },
    });
    expect(other.statusCode).toBe(202);
  });

  it("sends at most 3 reset links an hour to one user, answering the same", async () => {
    const t = await seedTenant(world, "mail-forgot-cap");
    const user = (await seedAgent(world, t, "greta")).user;
    const answers: unknown[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await world.app.server.inject({
        method: "POST",
        url: "/api/v1/auth/forgot-password",
        remoteAddress: freshAddress(),
        headers: { origin: world.origin },
        payload: { email: user.email },
      });
      expect(res.statusCode).toBe(202);
      answers.push(parse(res));
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    await eventually(async () => smtp.messages.filter(sentTo(user.email)).length >= 3, 10_000);
    await quiesce(world);
    expect(smtp.messages.filter(sentTo(user.email))).toHaveLength(3);
  });

  // Last in this block: it skips the server's clock a whole day ahead.
  it("lets an invitation link live 24 hours; a disabled user's link and reset request do nothing", async () => {
    const t = await seedTenant(world, "mail-invite-expiry");
    const users = `/api/v1/accounts/${t.account.id}/users`;
    const invite = async (name: string) => {
      const email = `${name}@${t.tag}.example`;
      const r = await call(world.app, t.adminCookie, "POST", users, {
        email,
        displayName: name,
        role: "agent",
        invite: true,
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      const m = await smtp.waitFor(sentTo(email));
      const token =
        new URL(linkIn(m, `${world.origin}/password?token=`) ?? "").searchParams.get("token") ?? "";
      return { user: (r.body as CreatedUserBody).user, email, token };
    };
    const late = await invite("late");
    const off = await invite("off");
    const disabled = await call(world.app, t.adminCookie, "PATCH", `${users}/${off.user.id}`, {
      disabled: true,
    });
    expect(disabled.status, JSON.stringify(disabled.body)).toBe(200);
    expectError(
      await call(world.app, null, "POST", "/api/v1/auth/password", {
        token: off.token,
        password: NEW_PASSWORD,
      }),
      400,
      "token_invalid",
    );
    const before = smtp.messages.length;
    const forgot = await world.app.server.inject({
      method: "POST",
      url: "/api/v1/auth/forgot-password",
      remoteAddress: freshAddress(),
      headers: { origin: world.origin },
      payload: { email: off.email },
    });
    expect(forgot.statusCode).toBe(202);
    await quiesce(world);
    expect(smtp.messages.slice(before).some(sentTo(off.email))).toBe(false);

    await skip(world, 24 * 3_600_000 + 60_000);
    expectError(
      await call(world.app, null, "POST", "/api/v1/auth/password", {
        token: late.token,
        password: NEW_PASSWORD,
      }),
      400,
      "token_invalid",
    );
    // The admin sends it again; the new link works.
    const admin = await login(world.app, t.admin.email);
    const resend = await call(world.app, admin, "POST", `${users}/${late.user.id}/invitation`);
    expect(resend.status, JSON.stringify(resend.body)).toBe(202);
    await eventually(async () => smtp.messages.filter(sentTo(late.email)).length >= 2, 10_000);
    const fresh = smtp.messages.filter(sentTo(late.email))[1] as ParsedMail;
    const token =
      new URL(linkIn(fresh, `${world.origin}/password?token=`) ?? "").searchParams.get("token") ?? "";
    const set = await call(world.app, null, "POST", "/api/v1/auth/password", {
      token,
      password: NEW_PASSWORD,
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
  });
});

describe.each(dialects())("email while the SMTP server is down on %s", (dialect) => {
  let port: number;
  let world: World;
  let smtp: TestSmtp | null = null;
  beforeAll(async () => {
    port = await freePort();
    world = await startWorld(dialect, { ...OUTBOX, SMTP_URL: `smtp://127.0.0.1:${port}` });
  });
  afterAll(async () => {
    await world?.close();
    await smtp?.close();
  });

  it("keeps the email pending with the error, and sends it once the server is up", async () => {
    const tenant = await seedTenant(world, "mail-down");
    const agent = await seedAgent(world, tenant, "dana");
    const notify = `desk@${tenant.tag}.example`;
    const portal = await createPortal(world, tenant, "question", [agent], { notifyEmails: [notify] });
    const left = await customerPost(world, `/api/v1/portals/${portal.slug}/offline`, {
      values: { name: "Paula", email: "paula@customer.example", question: "Is the mail server up?" },
    });
    expect(left.status).toBe(201);
    let pending: Delivery | undefined;
    await eventually(async () => {
      pending = (await deliveries(world, tenant, "?kind=email")).find(
        (x) => x.eventType === "offline-message" && x.attempts >= 1,
      );
      return pending !== undefined;
    }, 15_000);
    expect(pending?.state).toBe("pending");
    expect(pending?.lastError ?? "").not.toBe("");
    expect(pending?.nextAttemptAt).not.toBeNull();
    expect((await deliveries(world, tenant, "?state=pending")).map((x) => x.id)).toContain(pending?.id);

    smtp = await startSmtp({ port });
    await skip(world, 6_000);
    const m = await smtp.waitFor(sentTo(notify), 20_000);
    expect(m.subject).toContain("Paula");
    expect(m.messageId).toBe(`<${pending?.id}@helpgate>`);
    await eventually(async () =>
      (await deliveries(world, tenant, "?kind=email")).some(
        (x) => x.id === pending?.id && x.state === "delivered",
      ),
    );
    expect(smtp.messages.filter(sentTo(notify))).toHaveLength(1);
  });
});

describe.each(dialects())("email switched off (no SMTP_URL) on %s", (dialect) => {
  let world: World;
  const sockets: AgentSocket[] = [];
  beforeAll(async () => {
    world = await startWorld(dialect, OUTBOX);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world?.close();
  });

  it("answers 409 email_off on every email feature and says emailEnabled false", async () => {
    expect((await call(world.app, null, "GET", "/api/v1/auth/options")).body).toEqual({
      emailEnabled: false,
    });
    const t = await seedTenant(world, "mail-off");
    expect(((await call(world.app, t.adminCookie, "GET", "/api/v1/auth/me")).body as Me).emailEnabled).toBe(
      false,
    );
    const invite = await call(world.app, t.adminCookie, "POST", `/api/v1/accounts/${t.account.id}/users`, {
      email: `ivo@${t.tag}.example`,
      displayName: "Ivo",
      role: "agent",
      invite: true,
    });
    expectError(invite, 409, "email_off");
    const users = (await call(world.app, t.adminCookie, "GET", `/api/v1/accounts/${t.account.id}/users`))
      .body as User[];
    expect(users.some((u) => u.email === `ivo@${t.tag}.example`)).toBe(false);

    const agent = await seedAgent(world, t, "dana");
    const portal = await createPortal(world, t, "question", [agent]);
    sockets.push(await onlineAgent(world, agent));
    const s = await ask(world, portal.slug);
    expect((await accept(world, agent, s.requestId)).status).toBe(200);
    expect((await call(world.app, agent.cookie, "POST", `/api/v1/sessions/${s.requestId}/end`)).status).toBe(
      204,
    );
    expectError(
      await call(world.app, agent.cookie, "POST", `/api/v1/sessions/${s.requestId}/transcript-email`),
      409,
      "email_off",
    );
    expectError(
      await call(world.app, s.cookie, "POST", `/api/v1/customer/requests/${s.requestId}/transcript-email`, {
        email: "c@customer.example",
      }),
      409,
      "email_off",
    );

    const phone = await seedTenant(world, "mail-off-phone", "phone");
    const phoebe = await seedAgent(world, phone, "phoebe");
    const codePortal = await createPortal(world, phone, "code", [phoebe]);
    const madeCode = await call(world.app, phoebe.cookie, "POST", "/api/v1/codes", {
      portalId: codePortal.id,
      name: "Caller",
    });
    expect(madeCode.status, JSON.stringify(madeCode.body)).toBe(201);
    const code = madeCode.body as CodeView;
    expectError(
      await call(world.app, phoebe.cookie, "POST", `/api/v1/codes/${code.id}/email`, {
        email: "c@customer.example",
      }),
      409,
      "email_off",
    );
    // The account API's code with an address, too; without one the code is made.
    expectError(
      await call(world.app, phone.adminCookie, "POST", `/api/v1/accounts/${phone.account.id}/codes`, {
        agentId: phoebe.user.id,
        email: "c@customer.example",
      }),
      409,
      "email_off",
    );
    const plain = await call(
      world.app,
      phone.adminCookie,
      "POST",
      `/api/v1/accounts/${phone.account.id}/codes`,
      {
        agentId: phoebe.user.id,
      },
    );
    expect(plain.status, JSON.stringify(plain.body)).toBe(201);
    expect((plain.body as { emailed: boolean }).emailed).toBe(false);
    // Forgot password says so too (there is no way to send the link).
    const forgot = await call(world.app, null, "POST", "/api/v1/auth/forgot-password", {
      email: t.admin.email,
    });
    expectError(forgot, 409, "email_off");
    // The plain features go on: an offline message is stored, just not emailed.
    const left = await customerPost(world, `/api/v1/portals/${portal.slug}/offline`, {
      values: { name: "Olaf", email: "olaf@customer.example", question: "Hello?" },
    });
    expect(left.status).toBe(201);
    expect(await deliveries(world, t, "?kind=email")).toEqual([]);
  });
});
