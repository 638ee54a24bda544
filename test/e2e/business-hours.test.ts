import axe from "axe-core";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Portal } from "../../src/shared/api.js";
import { call, login, PASSWORD } from "../support/app.js";
import { launchBrowser, newPerson, screenshot } from "../support/browser.js";
import {
  type Agent,
  type AgentSocket,
  createPortal,
  onlineAgent,
  seedAgent,
  seedTenant,
  startWorld,
  type Tenant,
  type World,
} from "../support/scenario.js";

/**
 * Business hours in real Chromium (issue 16): an admin sets a portal's hours in its form — the
 * server's refusal of an overlap shows at the row, by keyboard — and outside them the customer's
 * portal says it is closed, when it opens next, and takes an offline message instead.
 */
describe.skipIf(!inject("chromium"))("business hours (/admin/portals/<id>, /p/<slug>)", () => {
  let world: World;
  let browser: Browser;
  let tenant: Tenant;
  let ada: Agent;
  let portal: Portal;
  const sockets: AgentSocket[] = [];

  beforeAll(async () => {
    world = await startWorld("sqlite", { HELPGATE_PORTAL_PAGE_CACHE_MS: "0" });
    browser = await launchBrowser();
    tenant = await seedTenant(world, "hours-e2e");
    ada = await seedAgent(world, tenant, "ada");
    sockets.push(await onlineAgent(world, ada));
    portal = await createPortal(world, tenant, "question", [ada], { name: "Opening hours desk" });
  });

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await browser?.close();
    await world?.close();
  });

  function watch(page: Page): string[] {
    const problems: string[] = [];
    page.on("console", (m) => {
      // A refused save (400) is logged by the browser as a failed load: that one is expected.
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));
    return problems;
  }

  async function axeViolations(page: Page): Promise<string[]> {
    await page.addScriptTag({ content: axe.source });
    return page.evaluate(async () => {
      const w = window as unknown as {
        axe: {
          run: (ctx: Document) => Promise<{ violations: { id: string; nodes: { target: unknown[] }[] }[] }>;
        };
      };
      const result = await w.axe.run(document);
      return result.violations.map((v) => `${v.id} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
    });
  }

  it("an admin sets the hours and a closure; an overlap is refused at its row", async () => {
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto(`${world.live.baseUrl}/admin`);
    await page.getByLabel("Email").fill(tenant.admin.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { level: 1, name: "Portals" }).waitFor();
    await page.goto(`${world.live.baseUrl}/admin/portals/${portal.id}`);
    await page.getByRole("heading", { level: 1, name: "Opening hours desk" }).waitFor();

    await page.getByRole("radio", { name: "Open at set hours" }).check();
    await page.getByLabel("Time zone").fill("Europe/Berlin");
    // Monday to Friday 09:00–17:00 to start with; Monday gets a second interval that overlaps.
    await page.getByRole("button", { name: "Add hours on Monday" }).click();
    await page.getByLabel("Monday From").nth(1).fill("16:00");
    await page.getByLabel("Monday until").nth(1).fill("18:00");
    await page.getByRole("button", { name: "Add a closure" }).click();
    await page.locator("#hours-closure-0-from").fill("2026-12-24");
    await page.locator("#hours-closure-0-to").fill("2026-12-26");
    await page.getByLabel("Message for customers").fill("Closed for Christmas.");
    await page.getByRole("button", { name: "Save" }).click();

    const rowError = page.locator("#hours-mon-1-error");
    await rowError.waitFor();
    await expect(rowError.textContent()).resolves.toContain("Overlaps another interval of the same day.");
    // Focus moves to the refused row's input.
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe("hours-mon-1-start");
    await screenshot(page, "admin-business-hours-refused-en-1280");
    expect(await axeViolations(page)).toEqual([]);

    await page.getByRole("button", { name: "Remove Monday 16:00–18:00" }).click();
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("heading", { level: 1, name: "Portals" }).waitFor();
    const saved = await call(
      world.app,
      tenant.adminCookie,
      "GET",
      `/api/v1/accounts/${tenant.account.id}/portals/${portal.id}`,
    );
    expect((saved.body as Portal).businessHours).toEqual({
      timeZone: "Europe/Berlin",
      weekly: {
        mon: [{ start: "09:00", end: "17:00" }],
        tue: [{ start: "09:00", end: "17:00" }],
        wed: [{ start: "09:00", end: "17:00" }],
        thu: [{ start: "09:00", end: "17:00" }],
        fri: [{ start: "09:00", end: "17:00" }],
        sat: [],
        sun: [],
      },
      closures: [{ from: "2026-12-24", to: "2026-12-26", message: "Closed for Christmas." }],
    });
    expect(problems).toEqual([]);
    await context.close();
  });

  it("looks right in German and at 390 px", async () => {
    for (const [locale, width] of [
      ["de-DE", 1280],
      ["en-US", 390],
    ] as const) {
      const de = locale === "de-DE";
      const { context, page } = await newPerson(browser, { locale, width });
      await page.goto(`${world.live.baseUrl}/admin`);
      await page.getByLabel(de ? "E-Mail" : "Email").fill(tenant.admin.email);
      await page.getByLabel(de ? "Passwort" : "Password").fill(PASSWORD);
      await page.getByRole("button", { name: de ? "Anmelden" : "Sign in" }).click();
      await page.getByRole("heading", { level: 1, name: de ? "Portale" : "Portals" }).waitFor();
      await page.goto(`${world.live.baseUrl}/admin/portals/${portal.id}`);
      const panel = page.locator("section", { has: page.locator("#hours-title") });
      await panel
        .getByText(de ? "Ganztägig geschlossen" : "Closed all day")
        .first()
        .waitFor();
      await panel.screenshot({
        path: `test-results/screenshots/admin-business-hours-${de ? "de" : "en"}-${width}.png`,
      });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await context.close();
    }
  });

  it("outside hours the customer is told when the portal opens and leaves a message", async () => {
    // Saturday 2026-12-05, 13:00 in Berlin.
    world.clock.advance(Date.parse("2026-12-05T12:00:00Z") - world.clock.now());
    for (const [lang, width] of [
      ["en", 1280],
      ["de", 390],
    ] as const) {
      if (lang === "de") {
        const patched = await call(
          world.app,
          await login(world.app, tenant.admin.email),
          "PATCH",
          `/api/v1/accounts/${tenant.account.id}/portals/${portal.id}`,
          { language: "de" },
        );
        expect(patched.status).toBe(200);
      }
      const { context, page } = await newPerson(browser, {
        locale: lang === "de" ? "de-DE" : "en-US",
        width,
      });
      const problems = watch(page);
      await page.goto(`${world.live.baseUrl}/p/${portal.slug}`);
      await page
        .getByRole("heading", {
          name: lang === "de" ? "Wir haben gerade geschlossen" : "We are closed right now",
        })
        .waitFor();
      await expect(page.locator(".offline .notice").textContent()).resolves.toContain(
        lang === "de"
          ? "Montag, 7. Dezember um 09:00 (Zeitzone Europe/Berlin)"
          : "Monday, December 7 at 09:00 AM (Europe/Berlin time)",
      );
      await screenshot(page, `portal-closed-${lang}-${width}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      if (lang === "en") {
        await page.getByLabel("Name").fill("Weekend customer");
        await page.getByLabel("Email").fill("weekend@example.com");
        await page.getByLabel("Your message").fill("Please call me on Monday.");
        await page.getByRole("button", { name: "Send message" }).click();
        await page.getByRole("heading", { name: "Thank you — your message has been sent" }).waitFor();
        const row = await world.app.deps.db.kysely
          .selectFrom("requests")
          .select(["state", "outside_hours"])
          .where("customer_name", "=", "Weekend customer")
          .executeTakeFirstOrThrow();
        expect(row).toEqual({ state: "offline", outside_hours: 1 });
      }
      expect(problems).toEqual([]);
      await context.close();
    }
  });
});
