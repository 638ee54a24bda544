import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Locator, Page } from "playwright-core";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { insertNewPortal } from "../../src/server/commands/portals.js";
import { PASSWORD, type SeededAccount, seedAccount } from "../support/app.js";
import {
  type LiveServer,
  launchBrowser,
  newPerson,
  screenshot,
  startLiveServer,
} from "../support/browser.js";
import { startSmtp, type TestSmtp } from "../support/smtp.js";

/** One request a webhook endpoint received. */
interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A real HTTP endpoint on 127.0.0.1 that answers 200 and keeps what it was sent. */
async function startReceiver(): Promise<{
  url: string;
  received: Received[];
  waitFor: (n: number, timeoutMs?: number) => Promise<Received[]>;
  close: () => Promise<void>;
}> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const waitFor = async (n: number, timeoutMs = 15_000): Promise<Received[]> => {
    const until = Date.now() + timeoutMs;
    while (received.length < n) {
      if (Date.now() > until) throw new Error(`the receiver got ${received.length} of ${n} requests`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return received;
  };
  return {
    url: `http://127.0.0.1:${port}/hooks/helpgate`,
    received,
    waitFor,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The integrations admin pages in real Chromium against the real server: a webhook to a real
 * local endpoint (secret shown once, test event signed and logged, redelivered), a field error
 * for a bad URL, an API token (shown once with a curl example, usable, then revoked), invitations
 * by email, a portal's notification emails, and every new screen at desktop and 390 px in en/de.
 */
describe.skipIf(!inject("chromium"))("integrations admin pages (/admin/integrations)", () => {
  let live: LiveServer;
  let smtp: TestSmtp;
  let browser: Browser;

  beforeAll(async () => {
    smtp = await startSmtp();
    live = await startLiveServer("sqlite", {
      SMTP_URL: smtp.url,
      MAIL_FROM: "Helpgate Test <helpgate@test.example>",
      HELPGATE_WEBHOOKS_ALLOW_PRIVATE: "1",
      HELPGATE_OUTBOX_POLL_MS: "200",
    });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await live?.close();
    await smtp?.close();
  });

  function watch(page: Page): { csp: string[]; errors: string[] } {
    const seen = { csp: [] as string[], errors: [] as string[] };
    page.on("console", (m) => {
      if (m.text().includes("Content Security Policy")) seen.csp.push(m.text());
    });
    page.on("pageerror", (e) => seen.errors.push(e.message));
    return seen;
  }

  async function signIn(page: Page, baseUrl: string, email: string, de = false): Promise<void> {
    await page.goto(`${baseUrl}/admin`);
    await page.getByLabel(de ? "E-Mail" : "Email").fill(email);
    await page.getByLabel(de ? "Passwort" : "Password").fill(PASSWORD);
    await page.getByRole("button", { name: de ? "Anmelden" : "Sign in" }).click();
    await page.getByRole("heading", { level: 1, name: de ? "Portale" : "Portals" }).waitFor();
  }

  /** The error shown for a control: marked invalid, named by aria-describedby, right below it. */
  async function errorNextTo(control: Locator): Promise<string> {
    const page = control.page();
    await control.and(page.locator('[aria-invalid="true"]')).waitFor();
    const ids = ((await control.getAttribute("aria-describedby")) ?? "").split(/\s+/).filter(Boolean);
    const errorId = ids.find((id) => id.endsWith("-error"));
    expect(errorId, "aria-describedby names the error message").toBeDefined();
    const message = page.locator(`[id="${errorId}"]`);
    const [box, messageBox] = await Promise.all([control.boundingBox(), message.boundingBox()]);
    expect(box && messageBox).toBeTruthy();
    if (box && messageBox) {
      const gap = messageBox.y - (box.y + box.height);
      expect(gap).toBeGreaterThanOrEqual(0);
      expect(gap).toBeLessThan(24);
    }
    return (await message.textContent()) ?? "";
  }

  it("creates a webhook: a bad URL is shown at the field, the secret once, a signed test event is logged and redelivered", async () => {
    const seeded = await seedAccount(live.app, "ig-webhook", "web");
    const receiver = await startReceiver();
    const { context, page } = await newPerson(browser);
    const seen = watch(page);
    try {
      await signIn(page, live.baseUrl, seeded.admin.email);
      await page
        .getByRole("navigation", { name: "Admin sections" })
        .getByRole("link", { name: "Integrations" })
        .click();
      await page.getByRole("heading", { level: 1, name: "Integrations" }).waitFor();
      // Email is configured on this server: it says so, with the From address.
      await page.getByText("Messages are sent from Helpgate Test <helpgate@test.example>.").waitFor();
      await page.getByText("No webhooks yet.").waitFor();

      await page.getByRole("link", { name: "New webhook" }).click();
      await page.getByRole("heading", { level: 1, name: "New webhook" }).waitFor();
      const url = page.getByLabel("Address (URL)");
      const create = page.getByRole("button", { name: "Create webhook" });

      // 1. No scheme: caught in the browser, next to the field.
      await url.fill("crm.example.com/hooks");
      await create.click();
      expect(await errorNextTo(url)).toContain("starting with https://");
      await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("webhook-url");

      // 2. Looks like a URL but is none: the server's 400 names the field, shown at it.
      await url.fill("http://bad host.example/hooks");
      await create.click();
      await page.getByRole("alert").filter({ hasText: "Please correct the marked fields." }).waitFor();
      expect(await errorNextTo(url)).toMatch(/https:\/\/|valid|URL/i);
      await screenshot(page, "e2e-integrations-webhook-url-error");

      // 3. No events: the group says so.
      await url.fill(receiver.url);
      await page.getByLabel("Description (optional)").fill("CRM sync");
      await page.getByRole("button", { name: "Choose none" }).click();
      await create.click();
      await page.locator("#webhook-events-error").getByText("Choose at least one event.").waitFor();
      await page.getByRole("button", { name: "Choose all" }).click();
      expect(await page.getByRole("checkbox", { name: /session\.ended/ }).isChecked()).toBe(true);

      // 4. Created: the secret is shown once, with a copy button.
      await create.click();
      await page.getByRole("heading", { name: "The webhook has been created" }).waitFor();
      const secret = ((await page.locator(".secret-value code").textContent()) ?? "").trim();
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{20,}$/);
      await page.getByRole("button", { name: "Copy the signing secret" }).waitFor();
      await screenshot(page, "e2e-integrations-webhook-secret");
      await page.getByRole("button", { name: "Done, I have stored it" }).click();
      await page.getByRole("heading", { level: 1, name: receiver.url }).waitFor();
      // …and never again: the page shows only its first characters.
      expect(await page.locator("body").textContent()).not.toContain(secret);
      await page.getByText("Nothing delivered yet.", { exact: false }).waitFor();

      // 5. Send a test event: it reaches the receiver, signed with that secret, and shows in the log.
      await page.getByRole("button", { name: "Send test event" }).click();
      await page.getByText("A test event is on its way").waitFor();
      const [first] = await receiver.waitFor(1);
      if (!first) throw new Error("no request");
      const body = JSON.parse(first.body) as { type: string; data: { webhookId: string } };
      expect(body.type).toBe("webhook.test");
      expect(first.headers["user-agent"]).toBe("Helpgate-Webhooks/1");
      const headers = {
        "webhook-id": String(first.headers["webhook-id"]),
        "webhook-timestamp": String(first.headers["webhook-timestamp"]),
        "webhook-signature": String(first.headers["webhook-signature"]),
      };
      expect(() => new StandardWebhook(secret).verify(first.body, headers)).not.toThrow();

      const log = page.getByRole("table", { name: "Delivery attempts of this webhook" });
      const row = log.getByRole("row").filter({ hasText: "webhook.test" });
      await row.first().waitFor({ timeout: 15_000 });
      expect(await row.first().textContent()).toContain("200");
      await screenshot(page, "e2e-integrations-webhook-log");

      // 6. Redeliver: the same delivery id arrives again, and the log shows the second try.
      await row
        .first()
        .getByRole("button", { name: /^Redeliver webhook\.test/ })
        .click();
      await page.getByText("Sent again: webhook.test.").waitFor();
      const again = await receiver.waitFor(2);
      expect(again[1]?.headers["webhook-id"]).toBe(headers["webhook-id"]);
      await expect
        .poll(async () => log.getByRole("row").filter({ hasText: "webhook.test" }).count(), {
          timeout: 15_000,
        })
        .toBeGreaterThanOrEqual(2);

      // 7. The deliveries page lists it, filtered to delivered webhooks.
      await page
        .getByRole("navigation", { name: "Admin sections" })
        .getByRole("link", { name: "Integrations" })
        .click();
      await page
        .getByRole("navigation", { name: "Integrations sections" })
        .getByRole("link", { name: "Deliveries" })
        .click();
      await page.getByLabel("State").selectOption("delivered");
      await page.getByLabel("Kind").selectOption("webhook");
      const delivered = page
        .getByRole("table", { name: "Deliveries" })
        .getByRole("row")
        .filter({ hasText: "webhook.test" });
      await delivered.first().waitFor();
      expect(await delivered.first().textContent()).toContain(receiver.url);
      await page.getByLabel("State").selectOption("dead");
      await page.getByText("No deliveries match.").waitFor();

      // 8. The list shows it enabled with its last status; disable and delete it.
      await page.getByRole("link", { name: "Email & webhooks" }).click();
      const listed = page.getByRole("row").filter({ hasText: receiver.url });
      await listed.waitFor();
      expect(await listed.textContent()).toContain("Enabled");
      expect(await listed.textContent()).toContain("200");
      await listed.getByRole("link", { name: receiver.url, exact: true }).click();
      await page.getByRole("button", { name: "Disable" }).click();
      await page.locator(".side").getByText("Disabled", { exact: true }).waitFor();
      await page.getByRole("button", { name: "Delete webhook" }).click();
      // Asked first, in place; "No" is focused.
      await page.getByRole("group", { name: /Delete this webhook\?/ }).waitFor();
      // Focus moves after the question renders: wait for it rather than read it once.
      await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe("No, keep it");
      await page
        .getByRole("group", { name: /Delete this webhook\?/ })
        .getByRole("button", { name: "Delete webhook" })
        .click();
      await page.getByRole("heading", { level: 1, name: "Integrations" }).waitFor();
      await page.getByText(`The webhook to ${receiver.url} has been deleted.`).waitFor();
      await page.getByText("No webhooks yet.").waitFor();

      expect(seen.csp).toEqual([]);
      expect(seen.errors).toEqual([]);
    } finally {
      await context.close();
      await receiver.close();
    }
  });

  it("creates an API token: shown once with a curl example, it works, and once revoked it does not", async () => {
    const seeded = await seedAccount(live.app, "ig-token", "web");
    const { context, page } = await newPerson(browser);
    const seen = watch(page);
    try {
      await signIn(page, live.baseUrl, seeded.admin.email);
      await page.goto(`${live.baseUrl}/admin/integrations/tokens`);
      await page.getByText("No API tokens yet.").waitFor();
      await page.getByRole("link", { name: "New token" }).click();
      await page.getByRole("heading", { level: 1, name: "New API token" }).waitFor();

      // Nothing chosen: the problems are shown at their fields.
      await page.getByRole("checkbox", { name: /sessions:read/ }).uncheck();
      await page.getByRole("button", { name: "Create token" }).click();
      expect(await errorNextTo(page.getByLabel("Name", { exact: true }))).toContain("Required.");
      await page.locator("#token-scopes-error").getByText("Choose at least one scope.").waitFor();

      await page.getByLabel("Name", { exact: true }).fill("CRM");
      await page.getByRole("checkbox", { name: /sessions:read/ }).check();
      await page.getByRole("checkbox", { name: /codes:create/ }).check();
      await page.getByRole("radio", { name: "In 30 days" }).check();
      await page.getByRole("button", { name: "Create token" }).click();
      await page.getByRole("heading", { name: "The token CRM has been created" }).waitFor();
      const secret = ((await page.locator(".secret-value code").textContent()) ?? "").trim();
      expect(secret).toMatch(/^hg_/);
      const example = (await page.locator(".example pre").textContent()) ?? "";
      expect(example).toBe(
        `curl -H "Authorization: Bearer ${secret}" ${live.baseUrl}/api/v1/accounts/${seeded.account.id}/sessions`,
      );
      await screenshot(page, "e2e-integrations-token-secret");

      // The token works for its scope…
      const sessions = `${live.baseUrl}/api/v1/accounts/${seeded.account.id}/sessions`;
      const auth = { authorization: `Bearer ${secret}` };
      expect((await fetch(sessions, { headers: auth })).status).toBe(200);

      await page.getByRole("button", { name: "Done, I have stored it" }).click();
      const row = page.getByRole("row").filter({ hasText: "CRM" });
      await row.waitFor();
      const text = (await row.textContent()) ?? "";
      expect(text).toContain(secret.slice(0, 6));
      expect(text).not.toContain(secret);
      expect(text).toContain("sessions:read");
      expect(text).toContain("codes:create");
      expect(text).toContain(`Admin ig-token`);
      expect(text).toContain("Active");

      // …until it is revoked (after a confirmation).
      await row.getByRole("button", { name: "Revoke CRM" }).click();
      await row
        .getByRole("group", { name: /Revoke CRM\?/ })
        .getByRole("button", { name: "Revoke CRM" })
        .click();
      await page.getByText("The token CRM has been revoked.").waitFor();
      await page
        .getByRole("row")
        .filter({ hasText: "CRM" })
        .getByText(/^Revoked/)
        .waitFor();
      expect((await fetch(sessions, { headers: auth })).status).toBe(401);

      expect(seen.csp).toEqual([]);
      expect(seen.errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("invites a user by email (shown as Invited, sent again) and saves a portal's notification emails", async () => {
    const seeded = await seedAccount(live.app, "ig-invite", "web");
    const { context, page } = await newPerson(browser);
    const seen = watch(page);
    try {
      // The sign-in page offers "Forgot password?" when email is on.
      await page.goto(`${live.baseUrl}/admin`);
      expect(await page.getByRole("link", { name: "Forgot password?" }).getAttribute("href")).toBe(
        "/forgot-password",
      );
      await signIn(page, live.baseUrl, seeded.admin.email);

      await page.goto(`${live.baseUrl}/admin/users/new`);
      await page.getByRole("heading", { level: 1, name: "New user" }).waitFor();
      expect(await page.getByRole("radio", { name: /Send an invitation email/ }).isChecked()).toBe(true);
      expect(await page.getByLabel("Password", { exact: true }).count()).toBe(0);
      await page.getByLabel("Display name").fill("Ina Vite");
      await page.getByLabel("Email", { exact: true }).fill("ina@ig-invite.test.example");
      await page.getByLabel("Language").selectOption("de");
      await page.getByRole("button", { name: "Create user" }).click();
      await page.getByRole("heading", { level: 1, name: "Users" }).waitFor();
      await page.getByText("Ina Vite has been invited").waitFor();
      const first = await smtp.waitFor((m) =>
        JSON.stringify(m.to ?? "").includes("ina@ig-invite.test.example"),
      );
      expect(first.headers.get("content-language")).toBe("de");

      const row = page.getByRole("row").filter({ hasText: "Ina Vite" });
      expect(await row.textContent()).toContain("Invited");
      await row.getByRole("button", { name: /Send invitation again/ }).click();
      await page.getByText("The invitation to ina@ig-invite.test.example has been sent again.").waitFor();
      await expect
        .poll(
          () =>
            smtp.messages.filter((m) => JSON.stringify(m.to ?? "").includes("ina@ig-invite.test.example"))
              .length,
          { timeout: 15_000 },
        )
        .toBeGreaterThanOrEqual(2);

      // A portal's notification emails: a bad one is shown at the field, good ones are saved.
      await live.app.deps.db.kysely
        .transaction()
        .execute((trx) =>
          insertNewPortal(
            trx,
            seeded.account,
            { slug: "ig-notify", type: "question", name: "Notify desk" },
            Date.now(),
          ),
        );
      await page.goto(`${live.baseUrl}/admin/portals`);
      await page.getByRole("link", { name: "Notify desk", exact: true }).click();
      const notify = page.getByLabel("Notification emails");
      await notify.fill("support@ig-invite.test.example, not-an-address");
      await page.getByRole("button", { name: "Save" }).click();
      expect(await errorNextTo(notify)).toContain("name@example.com");
      await notify.fill("support@ig-invite.test.example, lead@ig-invite.test.example");
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByText("Changes to Notify desk have been saved.").waitFor();
      await page.getByRole("link", { name: "Notify desk", exact: true }).click();
      expect(await page.getByLabel("Notification emails").inputValue()).toBe(
        "support@ig-invite.test.example\nlead@ig-invite.test.example",
      );
      expect(seen.csp).toEqual([]);
      expect(seen.errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("lays out every new screen at desktop width and at 390 px, in English and German (email on and off)", async () => {
    const off = await startLiveServer("sqlite", { HELPGATE_WEBHOOKS_ALLOW_PRIVATE: "1" });
    const receiver = await startReceiver();
    try {
      for (const [server, mail] of [
        [live, "on"],
        [off, "off"],
      ] as const) {
        const seeded: SeededAccount = await seedAccount(server.app, `ig-shots-${mail}`, "web");
        // Some data to show: a webhook with a delivery and a dead one, a token, an invited user.
        const { context: setup, page: p } = await newPerson(browser);
        await signIn(p, server.baseUrl, seeded.admin.email);
        const made = await p.evaluate(
          async ({ accountId, url }) => {
            const post = (path: string, body: unknown) =>
              fetch(`/api/v1/accounts/${accountId}${path}`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify(body),
              }).then((r) => r.json() as Promise<{ id: string }>);
            const hook = await post("/webhooks", {
              url,
              events: ["request.submitted", "session.ended"],
              description: "CRM sync",
            });
            await post(`/webhooks/${hook.id}/test`, {});
            await post("/api-tokens", { name: "Reporting", scopes: ["sessions:read"], expiresInDays: 90 });
            return hook.id;
          },
          { accountId: seeded.account.id, url: receiver.url },
        );
        await setup.close();
        const portal = await server.app.deps.db.kysely
          .transaction()
          .execute((trx) =>
            insertNewPortal(
              trx,
              seeded.account,
              { slug: `shots-${mail}`, type: "question", name: "Help desk" },
              Date.now(),
            ),
          );
        await new Promise((r) => setTimeout(r, 1500));

        for (const locale of ["en-US", "de-DE"] as const) {
          for (const width of [1280, 390]) {
            const { context, page } = await newPerson(browser, { locale, width });
            const seen = watch(page);
            const de = locale === "de-DE";
            await signIn(page, server.baseUrl, seeded.admin.email, de);
            const tag = `${mail}-${locale.slice(0, 2)}-${width}`;
            const screens: [string, string][] = [
              ["/admin/integrations", "overview"],
              ["/admin/integrations/webhooks/new", "webhook-new"],
              [`/admin/integrations/webhooks/${made}`, "webhook"],
              ["/admin/integrations/deliveries", "deliveries"],
              ["/admin/integrations/tokens", "tokens"],
              ["/admin/integrations/tokens/new", "token-new"],
              ["/admin/users/new", "user-new"],
              ["/admin/users", "users"],
              [`/admin/portals/${portal.id}`, "portal"],
            ];
            for (const [path, name] of screens) {
              await page.goto(`${server.baseUrl}${path}`);
              await page.locator("main h1").waitFor();
              await page.locator(".loading").waitFor({ state: "detached" });
              await page.waitForTimeout(150);
              const overflow = await page.evaluate(
                () => document.documentElement.scrollWidth - window.innerWidth,
              );
              expect(overflow, `${path} (${tag}) fits the width`).toBeLessThanOrEqual(0);
              await screenshot(page, `integrations-${name}-${tag}`);
            }
            expect(seen.csp).toEqual([]);
            expect(seen.errors).toEqual([]);
            await context.close();
          }
        }
        // The sign-in page, with and without "Forgot password?".
        const { context, page } = await newPerson(browser, { width: 390 });
        await page.goto(`${server.baseUrl}/admin`);
        await page.getByRole("button", { name: "Sign in" }).waitFor();
        await page.waitForTimeout(300);
        expect(await page.getByRole("link", { name: "Forgot password?" }).count()).toBe(
          mail === "on" ? 1 : 0,
        );
        await screenshot(page, `integrations-signin-${mail}-390`);
        await context.close();
      }
    } finally {
      await off.close();
      await receiver.close();
    }
  });
});
