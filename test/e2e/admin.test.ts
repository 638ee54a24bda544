import axe from "axe-core";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { insertNewPortal } from "../../src/server/commands/portals.js";
import { PASSWORD, type SeededAccount, seedAccount, seedUser } from "../support/app.js";
import {
  type LiveServer,
  launchBrowser,
  newPerson,
  screenshot,
  startLiveServer,
} from "../support/browser.js";

/**
 * The admin pages in real Chromium against the real server: sign in, create a portal with a
 * mistake, see the message next to the field, fix it, find the portal listed with its address.
 * Also: no CSP violations, no axe violations, and a friendly refusal for agents.
 */
describe.skipIf(!inject("chromium"))("admin pages (/admin)", () => {
  let live: LiveServer;
  let browser: Browser;
  let seeded: SeededAccount;

  beforeAll(async () => {
    live = await startLiveServer();
    browser = await launchBrowser();
    seeded = await seedAccount(live.app, "admin-e2e", "web");
    await live.app.deps.db.kysely
      .transaction()
      .execute((trx) =>
        insertNewPortal(
          trx,
          seeded.account,
          { slug: "taken-slug", type: "question", name: "Existing portal" },
          Date.now(),
        ),
      );
    await seedUser(live.app, seeded.account.id, "agent@admin-e2e.test.example", "agent");
  });

  afterAll(async () => {
    await browser?.close();
    await live?.close();
  });

  /** Collects what the browser reports about the CSP and uncaught errors on a page. */
  function watch(page: Page): { csp: string[]; errors: string[] } {
    const seen = { csp: [] as string[], errors: [] as string[] };
    page.on("console", (m) => {
      if (m.text().includes("Content Security Policy")) seen.csp.push(m.text());
    });
    page.on("pageerror", (e) => seen.errors.push(e.message));
    return seen;
  }

  async function signIn(page: Page, email: string): Promise<void> {
    await page.goto(`${live.baseUrl}/admin`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
  }

  /**
   * The error shown for a control: it must be marked invalid, name the message in its
   * aria-describedby, and the message must sit right below the control.
   */
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
      // …and overlaps it horizontally (a prefix such as "/p/" may stand left of the input).
      expect(messageBox.x).toBeLessThan(box.x + box.width);
      expect(messageBox.x + messageBox.width).toBeGreaterThan(box.x);
    }
    return (await message.textContent()) ?? "";
  }

  async function axeViolations(page: Page): Promise<string[]> {
    await page.addScriptTag({ content: axe.source });
    const violations = await page.evaluate(async () => {
      const w = window as unknown as {
        axe: {
          run: (ctx: Document) => Promise<{
            violations: { id: string; help: string; nodes: { target: unknown[] }[] }[];
          }>;
        };
      };
      const result = await w.axe.run(document);
      return result.violations.map(
        (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`,
      );
    });
    return violations;
  }

  it("creates a portal: a mistake shows next to its field, the fixed portal is listed with its URL", async () => {
    const { context, page } = await newPerson(browser);
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: live.baseUrl });
    const seen = watch(page);

    await signIn(page, seeded.admin.email);
    await page.getByRole("heading", { level: 1, name: "Portals" }).waitFor();
    expect(await page.getByRole("navigation").getByRole("link", { name: "Users" }).count()).toBe(1);

    await page.getByRole("link", { name: "New portal" }).click();
    await page.getByRole("heading", { level: 1, name: "New portal" }).waitFor();
    // The type list offers only what a web-mode account allows.
    const types = await page.getByLabel("Type", { exact: true }).locator("option").allInnerTexts();
    expect(types).toEqual(["Pick an agent", "Question", "Button"]);

    const name = page.getByLabel("Name", { exact: true });
    const slug = page.getByLabel("Slug (address)");
    const create = page.getByRole("button", { name: "Create portal" });

    // 1. A name that is too long is caught in the browser, next to the name.
    await name.fill("x".repeat(101));
    await slug.fill("taken-slug");
    await create.click();
    expect(await errorNextTo(name)).toContain("At most 100 characters.");
    expect(await page.getByRole("alert").first().textContent()).toContain(
      "Please correct the marked fields.",
    );

    // 2. With a good name the server answers: the slug is taken — shown next to the slug.
    await name.fill("Returns desk");
    await create.click();
    expect(await errorNextTo(slug)).toContain("/p/taken-slug is taken");
    expect(await name.getAttribute("aria-invalid")).toBeNull();
    await screenshot(page, "e2e-admin-portal-slug-taken");

    // 3. Fixed, saved, listed with its address, which copies to the clipboard.
    await slug.fill("returns-desk");
    await create.click();
    await page.getByRole("heading", { level: 1, name: "Portals" }).waitFor();
    const url = `${live.baseUrl}/p/returns-desk`;
    const row = page.getByRole("row").filter({ hasText: "Returns desk" });
    expect(await row.textContent()).toContain(url);
    expect(await row.getByRole("link", { name: /^Open Returns desk/ }).getAttribute("href")).toBe(url);
    await row.getByRole("button", { name: "Copy the address of Returns desk" }).click();
    await row.getByRole("button", { name: "Copied" }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);
    await screenshot(page, "e2e-admin-portals");

    // The other pages load without CSP complaints or script errors.
    for (const [link, heading] of [
      ["Users", "Users"],
      ["Account settings", "Account settings"],
      ["Portals", "Portals"],
    ] as const) {
      await page.getByRole("navigation").getByRole("link", { name: link }).click();
      await page.getByRole("heading", { level: 1, name: heading }).waitFor();
    }
    await page.getByRole("link", { name: "Returns desk", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "Returns desk" }).waitFor();
    expect(seen.csp).toEqual([]);
    expect(seen.errors).toEqual([]);
    await context.close();
  });

  it("has no axe violations on the portals list and the portal form with an error", async () => {
    // axe is injected as an inline script, which the CSP rightly forbids: this context bypasses it.
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 860 } });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    await signIn(page, seeded.admin.email);
    await page.getByRole("heading", { level: 1, name: "Portals" }).waitFor();
    await page.getByRole("row").filter({ hasText: "Existing portal" }).waitFor();
    expect(await axeViolations(page)).toEqual([]);

    await page.goto(`${live.baseUrl}/admin/portals/new`);
    await page.getByLabel("Name", { exact: true }).fill("Another");
    await page.getByLabel("Slug (address)").fill("taken-slug");
    await page.getByRole("button", { name: "Create portal" }).click();
    await page.getByText("/p/taken-slug is taken").waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
  });

  it("tells an agent, in their language, that the admin pages are not for them", async () => {
    const { context, page } = await newPerson(browser, { locale: "de-DE" });
    const seen = watch(page);
    await page.goto(`${live.baseUrl}/admin`);
    await page.getByLabel("E-Mail").fill("agent@admin-e2e.test.example");
    await page.getByLabel("Passwort").fill(PASSWORD);
    await page.getByRole("button", { name: "Anmelden" }).click();
    await page
      .getByRole("heading", { level: 1, name: "Die Verwaltung ist Administratoren vorbehalten" })
      .waitFor();
    expect(await page.getByRole("link", { name: "Agenten-Konsole öffnen" }).getAttribute("href")).toBe(
      "/console",
    );
    // The language switch changes the page at once and is remembered.
    await page.getByRole("button", { name: "English" }).click();
    await page.getByRole("heading", { level: 1, name: "The admin pages are for admins" }).waitFor();
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "The admin pages are for admins" }).waitFor();
    expect(seen.csp).toEqual([]);
    await context.close();
  });
});
