import { randomBytes } from "node:crypto";
import fs from "node:fs";
import type { IncomingMessage } from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type App, buildApp } from "../../src/server/app.js";
import { MAX_FAILED_LOGINS } from "../../src/server/commands/auth.js";
import { loadConfig } from "../../src/server/config.js";
import { MAX_SOCKET_MESSAGE_BYTES } from "../../src/server/hub/wire.js";
import type { NewApiToken, Portal, WebhookWithSecret } from "../../src/shared/api.js";
import type { CodeView, CustomerServerMessage } from "../../src/shared/protocol.js";
import { freshAddress, PASSWORD, seedAccount, seedUser, type TestApp } from "../support/app.js";
import { createTestDatabase, dialects, type TestDatabase } from "../support/databases.js";
import { linkIn, startSmtp, type TestSmtp } from "../support/smtp.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhookReceiver.js";
import { SocketClient } from "../support/ws.js";

/**
 * Issue 17, part 6: the log lines of a run that touches every secret Helpgate handles —
 * passwords, session and customer cookies, API tokens, password and invitation links, session
 * codes, the SMTP password, webhook secrets and a secret in a webhook's address, the metrics
 * token — hold none of them, and every line written while a request is handled carries the id
 * its answer sent back as X-Request-Id (WebSocket lines the id of their upgrade).
 */

interface LogLine {
  level: number;
  msg?: string;
  reqId?: string;
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  [key: string]: unknown;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once `check` holds; fails after `ms` (a wait for an event, not a timed assertion). */
async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`waited in vain for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const secretOf = (n: number) => randomBytes(n).toString("hex");
const GENERATED_ID = /^[0-9a-f]{16}$/;

describe.each(dialects())("log lines on %s", (dialect) => {
  const raw: string[] = [];
  const lines: LogLine[] = [];
  /** Every string that must never be in a line. */
  const secrets = new Map<string, string>();
  /** Every id an answer sent back. */
  const answeredIds = new Set<string>();
  const keep = (what: string, value: string) => {
    expect(value.length, what).toBeGreaterThanOrEqual(8);
    secrets.set(value, what);
  };

  const smtpPassword = `smtp-${secretOf(12)}`;
  const metricsToken = secretOf(32);
  const hookUrlKey = `hookkey${secretOf(10)}`;
  let smtp: TestSmtp;
  let receiver: WebhookReceiver;
  let database: TestDatabase;
  let dataDir: string;
  let app: App;
  let testApp: TestApp;
  let origin: string;
  let accountId: string;
  let adminEmail: string;
  let adminCookie: string;

  beforeAll(async () => {
    smtp = await startSmtp();
    receiver = await startWebhookReceiver();
    database = await createTestDatabase(dialect);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "helpgate-logs-"));
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      PUBLIC_URL: origin,
      DATABASE_URL: database.url,
      HELPGATE_DATA_DIR: dataDir,
      // Every line pino can write, so a secret hidden at debug or trace is found too.
      LOG_LEVEL: "trace",
      LOG_FORMAT: "json",
      SMTP_URL: `smtp://mailer:${smtpPassword}@127.0.0.1:${smtp.port}`,
      HELPGATE_METRICS_TOKEN: metricsToken,
      HELPGATE_WEBHOOKS_ALLOW_PRIVATE: "1",
      HELPGATE_OUTBOX_POLL_MS: "50",
    });
    app = await buildApp({
      config,
      db: database.db,
      sweepEveryMs: 0,
      logStream: {
        write(line) {
          raw.push(line);
          lines.push(JSON.parse(line) as LogLine);
        },
      },
    });
    await app.server.listen({ port, host: "127.0.0.1" });
    testApp = {
      ...app,
      database,
      config,
      close: async () => {
        await app.server.close();
      },
    };
    keep("the SMTP password", smtpPassword);
    keep("the metrics token", metricsToken);
    keep("the secret in a webhook's address", hookUrlKey);
    keep("the seeded users' password", PASSWORD);
    const seeded = await seedAccount(testApp, `logs-${dialect}-${process.pid}`, "phone");
    accountId = seeded.account.id;
    adminEmail = seeded.admin.email;
  });
  afterAll(async () => {
    await app?.server.close();
    await database?.drop();
    await smtp?.close();
    await receiver?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /**
   * One request, alone: every line written from its start until its "request completed" line
   * carries the id its answer sent back.
   */
  async function send(what: string, options: InjectOptions): Promise<LightMyRequestResponse> {
    const from = lines.length;
    const res = await app.server.inject({ remoteAddress: freshAddress(), ...options });
    await linesOf(what, from, res.headers["x-request-id"]);
    return res;
  }

  /** The same over a real connection: the body arrives in the socket's own async context. */
  async function sendOverHttp(what: string, url: string, init: RequestInit): Promise<Response> {
    const from = lines.length;
    const res = await fetch(`${origin}${url}`, init);
    await res.arrayBuffer();
    await linesOf(what, from, res.headers.get("x-request-id") ?? undefined);
    return res;
  }

  async function linesOf(what: string, from: number, id: unknown): Promise<void> {
    if (typeof id !== "string") throw new Error(`${what}: no X-Request-Id in the answer`);
    answeredIds.add(id);
    await until(
      () => lines.slice(from).some((l) => l.reqId === id && l.msg === "request completed"),
      `${what}: its "request completed" line`,
    );
    const during = lines.slice(from);
    expect(during.length, what).toBeGreaterThanOrEqual(2);
    for (const line of during) expect(line.reqId, `${what}: ${JSON.stringify(line)}`).toBe(id);
  }

  const json = (res: LightMyRequestResponse): unknown => JSON.parse(res.body);
  const sessionCookie = (res: LightMyRequestResponse, what: string): string => {
    const c = res.cookies.find((k) => k.name === "hg_session");
    if (!c) throw new Error(`${what}: no session cookie`);
    keep(`${what}: the session cookie`, c.value);
    return `hg_session=${c.value}`;
  };
  const signIn = (email: string, password: string) =>
    send(`sign-in of ${email}`, {
      method: "POST",
      url: "/api/v1/auth/login",
      headers: { origin },
      payload: { email, password },
    });
  const asAdmin = (method: "GET" | "POST", url: string, payload?: Record<string, unknown>) =>
    send(`${method} ${url}`, {
      method,
      url,
      headers: { origin, cookie: adminCookie },
      ...(payload ? { payload } : {}),
    });

  it("signs in with a password; a command's line (the lockout) carries the request's id", async () => {
    const ok = await signIn(adminEmail, PASSWORD);
    expect(ok.statusCode).toBe(200);
    adminCookie = sessionCookie(ok, "the admin");
    expect((await asAdmin("GET", "/api/v1/auth/me")).statusCode).toBe(200);

    // Wrong passwords over a real connection, all from 127.0.0.1: the last one locks the user out.
    const victim = await seedUser(testApp, accountId, `victim-${dialect}@logs.example`, "agent");
    let last: Response | null = null;
    for (let i = 1; i <= MAX_FAILED_LOGINS; i++) {
      const wrong = `wrong-${i}-${secretOf(6)}`;
      keep(`wrong password ${i}`, wrong);
      last = await sendOverHttp(`wrong password ${i}`, "/api/v1/auth/login", {
        method: "POST",
        headers: { origin, "content-type": "application/json" },
        body: JSON.stringify({ email: victim.email, password: wrong }),
      });
    }
    expect(last?.status).toBe(429);
    const id = last?.headers.get("x-request-id");
    const locked = lines.find((l) => l.msg === "sign-in locked for one address after repeated failures");
    expect(locked, "the lockout line").toBeDefined();
    expect(locked?.reqId).toBe(id);
  });

  it("keeps a sane X-Request-Id, replaces any other, and sends the id back on every answer", async () => {
    const given = "edge-7f3a.b_C-1";
    const kept = await send("a probe with an id", {
      method: "GET",
      url: "/livez",
      headers: { "x-request-id": given },
    });
    expect(kept.headers["x-request-id"]).toBe(given);
    for (const bad of ["has spaces in it", "x".repeat(65), "semi;colon", ""]) {
      const res = await send(`a probe with id "${bad}"`, {
        method: "GET",
        url: "/livez",
        headers: { "x-request-id": bad },
      });
      expect(res.headers["x-request-id"]).toMatch(GENERATED_ID);
    }
    const a = await send("an unknown page", { method: "GET", url: "/no-such-page" });
    const b = await send("a refused API call", { method: "GET", url: "/api/v1/auth/me" });
    expect(a.statusCode).toBe(404);
    expect(b.statusCode).toBe(401);
    expect(a.headers["x-request-id"]).toMatch(GENERATED_ID);
    expect(b.headers["x-request-id"]).toMatch(GENERATED_ID);
    expect(a.headers["x-request-id"]).not.toBe(b.headers["x-request-id"]);
  });

  it("uses an API token and the metrics token", async () => {
    const created = await asAdmin("POST", `/api/v1/accounts/${accountId}/api-tokens`, {
      name: "CRM",
      scopes: ["sessions:read"],
    });
    expect(created.statusCode, created.body).toBe(201);
    const token = (json(created) as NewApiToken).secret;
    keep("the API token", token);
    const used = await send("a call with the API token", {
      method: "GET",
      url: `/api/v1/accounts/${accountId}/sessions`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(used.statusCode, used.body).toBe(200);
    const wrongToken = `hg_${secretOf(16)}`;
    keep("a wrong API token", wrongToken);
    const refused = await send("a call with a wrong API token", {
      method: "GET",
      url: `/api/v1/accounts/${accountId}/sessions`,
      headers: { authorization: `Bearer ${wrongToken}` },
    });
    expect(refused.statusCode).toBe(401);

    const scrape = await send("a scrape", {
      method: "GET",
      url: "/metrics",
      headers: { authorization: `Bearer ${metricsToken}` },
    });
    expect(scrape.statusCode).toBe(200);
    const wrongMetrics = secretOf(20);
    keep("a wrong metrics token", wrongMetrics);
    const bad = await send("a scrape with a wrong token", {
      method: "GET",
      url: "/metrics",
      headers: { authorization: `Bearer ${wrongMetrics}` },
    });
    expect(bad.statusCode).toBe(403);
  });

  it("makes a webhook with a secret, rotates it and sends a test delivery", async () => {
    const own = `whsec_${randomBytes(24).toString("base64")}`;
    keep("the webhook's own secret", own);
    const created = await asAdmin("POST", `/api/v1/accounts/${accountId}/webhooks`, {
      url: `${receiver.url}?key=${hookUrlKey}`,
      events: ["request.submitted"],
      secret: own,
    });
    expect(created.statusCode, created.body).toBe(201);
    const hook = json(created) as WebhookWithSecret;
    const rotated = await asAdmin("POST", `/api/v1/accounts/${accountId}/webhooks/${hook.id}/rotate-secret`);
    expect(rotated.statusCode, rotated.body).toBe(200);
    const fresh = (json(rotated) as WebhookWithSecret).secret;
    keep("the rotated webhook secret", fresh);
    const test = await asAdmin("POST", `/api/v1/accounts/${accountId}/webhooks/${hook.id}/test`);
    expect(test.statusCode, test.body).toBeLessThan(300);
    const [delivered] = await receiver.waitFor(1);
    expect(delivered?.path).toContain(hookUrlKey);
  });

  it("invites a user and resets a password by emailed links; the links' tokens stay out", async () => {
    const email = `ines-${dialect}@logs.example`;
    const invited = await asAdmin("POST", `/api/v1/accounts/${accountId}/users`, {
      email,
      displayName: "Ines",
      role: "agent",
      invite: true,
    });
    expect(invited.statusCode, invited.body).toBe(201);
    const invitation = await smtp.waitFor((m) => (m.text ?? "").includes("/password?token="));
    const link = linkIn(invitation, `${origin}/password?token=`);
    const token = new URL(link ?? "").searchParams.get("token") ?? "";
    keep("the invitation's token", token);

    const page = await send("the invitation's page", { method: "GET", url: `/password?token=${token}` });
    expect(page.statusCode).toBe(200);
    const logged = lines.find((l) => l.reqId === page.headers["x-request-id"] && l.req?.url);
    expect(logged?.req?.url).toBe("/password?token=[redacted]");

    const chosen = `chosen-${secretOf(8)}`;
    keep("the password chosen from the invitation", chosen);
    const set = await send("setting the password from the invitation", {
      method: "POST",
      url: "/password",
      headers: { origin, "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams({ token, password: chosen, repeat: chosen }).toString(),
    });
    expect(set.statusCode, set.body).toBe(303);
    sessionCookie(set, "the invited user");

    const before = smtp.messages.length;
    const forgot = await send("forgot password", {
      method: "POST",
      url: "/api/v1/auth/forgot-password",
      headers: { origin },
      payload: { email },
    });
    expect(forgot.statusCode).toBe(202);
    await until(() => smtp.messages.length > before, "the reset email");
    const reset = smtp.messages[before];
    if (!reset) throw new Error("no reset email");
    const resetToken = new URL(linkIn(reset, `${origin}/password?token=`) ?? "").searchParams.get("token");
    keep("the reset link's token", resetToken ?? "");
    const resetPage = await send("the reset link's page", {
      method: "GET",
      url: `/password?token=${resetToken}&lang=en`,
    });
    expect(resetPage.statusCode).toBe(200);
    const resetLine = lines.find((l) => l.reqId === resetPage.headers["x-request-id"] && l.req?.url);
    expect(resetLine?.req?.url).toBe("/password?token=[redacted]&lang=en");
  });

  it("joins by a session code; sockets log with the id of their upgrade", async () => {
    const agent = await seedUser(testApp, accountId, `phoebe-${dialect}@logs.example`, "agent");
    const agentCookie = sessionCookie(await signIn(agent.email, PASSWORD), "the agent");
    const portalRes = await asAdmin("POST", `/api/v1/accounts/${accountId}/portals`, {
      slug: `logs-${dialect}-${process.pid}`,
      type: "code",
      name: "Phone support",
      agentIds: [agent.id],
    });
    expect(portalRes.statusCode, portalRes.body).toBe(201);
    const portal = json(portalRes) as Portal;
    const made = await send("a code", {
      method: "POST",
      url: "/api/v1/codes",
      headers: { origin, cookie: agentCookie },
      payload: { portalId: portal.id, name: "Mr. Jones" },
    });
    expect(made.statusCode, made.body).toBe(201);
    const code = (json(made) as CodeView).code;
    keep("the session code", code);
    const byPath = await send("the code's link", { method: "GET", url: `/join/${code}` });
    expect(byPath.statusCode).toBe(200);
    const pathLine = lines.find((l) => l.reqId === byPath.headers["x-request-id"] && l.req?.url);
    expect(pathLine?.req?.url).toBe("/join/[redacted]");
    await send("the code in the join page's address", { method: "GET", url: `/join?code=${code}` });
    await send("the code in the portal's address", { method: "GET", url: `/p/${portal.slug}?code=${code}` });
    const joined = await send("redeeming the code", {
      method: "POST",
      url: "/api/v1/join",
      headers: { origin },
      payload: { code },
    });
    expect(joined.statusCode, joined.body).toBe(201);
    const requestId = (json(joined) as { requestId: string }).requestId;
    const customerCookie = joined.cookies.find((c) => c.name.startsWith("hgc_"));
    if (!customerCookie) throw new Error("no customer cookie");
    keep("the customer's token", customerCookie.value);

    // The customer's socket, with an id of the caller's own.
    const wsUrl = `${origin.replace(/^http/, "ws")}/ws`;
    const customerId = `ws-customer-${dialect}`;
    const customer = await SocketClient.connect<CustomerServerMessage>(`${wsUrl}?request=${requestId}`, {
      cookie: `${customerCookie.name}=${customerCookie.value}`,
      origin,
      "x-request-id": customerId,
    });
    await customer.next((m) => m.type === "status");
    answeredIds.add(customerId);
    expect(lines.some((l) => l.reqId === customerId && l.req?.url === `/ws?request=${requestId}`)).toBe(true);
    customer.socket.close();

    // The agent's console socket: the upgrade's answer names the id; a protocol fault on the open
    // socket is logged with it.
    const socket = new WebSocket(wsUrl, { headers: { cookie: agentCookie, origin } });
    // The snapshot may come in the same packet as the upgrade's answer: listen for it at once.
    const snapshot = new Promise<void>((resolve) => socket.once("message", () => resolve()));
    const upgradeId = await new Promise<string>((resolve, reject) => {
      socket.once("upgrade", (res: IncomingMessage) => resolve(String(res.headers["x-request-id"])));
      socket.once("error", reject);
    });
    expect(upgradeId).toMatch(GENERATED_ID);
    answeredIds.add(upgradeId);
    await snapshot;
    const closed = new Promise<number>((resolve) => socket.once("close", (c: number) => resolve(c)));
    socket.send("x".repeat(MAX_SOCKET_MESSAGE_BYTES + 1024));
    expect(await closed).toBe(1009);
    await until(
      () => lines.some((l) => l.msg === "websocket closed: the client broke the protocol"),
      "the protocol fault's line",
    );
    const fault = lines.find((l) => l.msg === "websocket closed: the client broke the protocol");
    expect(fault?.reqId).toBe(upgradeId);
  });

  it("redacts secrets in objects the code may log (a config, headers, a user, a webhook)", async () => {
    const cookieValue = secretOf(16);
    keep("a logged cookie header", cookieValue);
    app.deps.log.info(
      {
        config: app.deps.config,
        headers: { authorization: `Bearer ${metricsToken}`, cookie: `hg_session=${cookieValue}` },
        user: { id: "u1", password: PASSWORD },
        webhook: { id: "w1", secret: `whsec_${cookieValue}`, url: `${receiver.url}?key=${hookUrlKey}` },
        url: `${receiver.url}?key=${hookUrlKey}`,
      },
      "objects with secrets",
    );
    const line = lines.find((l) => l.msg === "objects with secrets");
    expect(line).toBeDefined();
    // What stays says enough: the SMTP host, the webhook's host.
    const logged = line?.config as { smtpUrl?: string; metricsToken?: string };
    expect(logged.smtpUrl).toBe(`smtp://127.0.0.1:${smtp.port}`);
    expect(logged.metricsToken).toBe("[redacted]");
    expect(line?.url).toBe(`${new URL(receiver.url).origin}/…`);
    expect((line?.webhook as { url?: string } | undefined)?.url).toBe(`${new URL(receiver.url).origin}/…`);
  });

  it("wrote no secret on any line, and no request line without the id its answer carried", () => {
    expect(lines.length).toBeGreaterThan(50);
    for (const [secret, what] of secrets) {
      const found = raw.find((l) => l.includes(secret));
      expect(found, `${what} is in a log line`).toBeUndefined();
    }
    for (const line of lines) {
      if (line.req || line.res) expect(line.reqId, JSON.stringify(line)).toBeDefined();
      if (line.reqId !== undefined) expect(answeredIds.has(line.reqId), JSON.stringify(line)).toBe(true);
    }
  });
});
