import fs from "node:fs";
import path from "node:path";
import axe from "axe-core";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { insertNewPortal } from "../../src/server/commands/portals.js";
import type { Account, User } from "../../src/shared/api.js";
import type { CannedResponse } from "../../src/shared/canned.js";
import { PASSWORD, type SeededAccount, seedAccount, seedUser } from "../support/app.js";
import {
  type LiveServer,
  launchBrowser,
  newPerson,
  type Person,
  screenshot,
  startLiveServer,
} from "../support/browser.js";

/**
 * Issue 18, part 1, in real Chromium: an admin's canned response with placeholders (made in
 * /admin/canned, mistakes shown at their field), and an agent in a session who types `/`, narrows
 * the list by typing, moves with the arrow keys and inserts with Enter — the box then holds the
 * filled text, which the agent edits and sends, and the customer sees. Escape closes without
 * inserting. Screens at desktop and 390 px, English and German, axe-clean.
 */
describe.skipIf(!inject("chromium"))("canned responses (/admin/canned and the console's / picker)", () => {
  let live: LiveServer;
  let browser: Browser;
  let base: string;
  let seeded: SeededAccount;
  let account: Account;
  let ada: User;
  let adminCookie: string;
  const problems: string[] = [];

  async function post(pathname: string, body: unknown, cookie = ""): Promise<Response> {
    return fetch(`${base}${pathname}`, {
      method: "POST",
      headers: { origin: base, "content-type": "application/json", ...(cookie ? { cookie } : {}) },
      body: JSON.stringify(body),
    });
  }

  async function loginCookie(email: string): Promise<string> {
    const res = await post("/api/v1/auth/login", { email, password: PASSWORD });
    expect(res.status).toBe(200);
    return res.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
  }

  beforeAll(async () => {
    live = await startLiveServer();
    base = live.baseUrl;
    browser = await launchBrowser();
    seeded = await seedAccount(live.app, "canned-e2e", "web");
    account = seeded.account;
    ada = await seedUser(live.app, account.id, "ada@canned-e2e.test.example", "agent");
    await live.app.deps.db.kysely.transaction().execute((trx) =>
      insertNewPortal(
        trx,
        account,
        {
          slug: "canned-help",
          type: "question",
          name: "Printer help",
          agentIds: [ada.id],
          fields: [
            { kind: "name", required: true },
            { kind: "email", required: false },
            { kind: "text", label: "Order number", required: false },
          ],
        },
        Date.now(),
      ),
    );
    adminCookie = await loginCookie(seeded.admin.email);
    for (const body of [
      {
        title: "Password reset",
        shortcut: "reset",
        text: "To reset your password, open Settings → Security.",
        language: "en",
      },
      {
        title: "Passwort zurücksetzen",
        shortcut: "reset-de",
        text: "Öffnen Sie Einstellungen → Sicherheit.",
        language: "de",
      },
      {
        title: "Goodbye",
        shortcut: "bye",
        text: "Goodbye {customer.name}, have a nice day!",
        language: null,
      },
    ]) {
      const res = await post(`/api/v1/accounts/${account.id}/canned-responses`, body, adminCookie);
      expect(res.status, await res.clone().text()).toBe(201);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await live?.close();
    expect(problems).toEqual([]);
  });

  async function person(opts: { locale?: string; width?: number } = {}): Promise<Person> {
    const p = await newPerson(browser, opts);
    p.page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) problems.push(m.text());
    });
    p.page.on("pageerror", (e) => problems.push(e.message));
    return p;
  }

  async function axeViolations(page: Page): Promise<string[]> {
    await page.evaluate(axe.source);
    const result = await page.evaluate(async () => {
      const w = window as unknown as { axe: { run: (ctx: Document) => Promise<{ violations: unknown[] }> } };
      return w.axe.run(document);
    });
    return (result.violations as { id: string; nodes: { target: string[] }[] }[]).map(
      (v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
    );
  }

  /**
   * What the person sees (the viewport) under test-results/screenshots, the whole page beside it
   * (`-page`), and, when named and SAVE_DOC_SCREENSHOTS is set, the viewport in docs/screenshots.
   */
  async function shot(page: Page, name: string, docsName?: string): Promise<void> {
    await screenshot(page, `${name}-page`);
    const dir = path.resolve("test-results/screenshots");
    await page.screenshot({ path: path.join(dir, `${name}.png`) });
    // The README's copies only when asked (as test/e2e/queue.test.ts does): a test run leaves docs/ alone.
    if (docsName && process.env.SAVE_DOC_SCREENSHOTS) {
      const dir = path.resolve("docs/screenshots");
      fs.mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: path.join(dir, docsName) });
    }
  }

  async function listOf(cookie: string): Promise<CannedResponse[]> {
    const res = await fetch(`${base}/api/v1/accounts/${account.id}/canned-responses`, {
      headers: { cookie },
    });
    return (await res.json()) as CannedResponse[];
  }

  it("an admin makes a response with placeholders in /admin/canned; mistakes show at their field", async () => {
    const { page, context } = await person();
    await page.goto(`${base}/admin`);
    await page.getByLabel("Email").fill(seeded.admin.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("navigation").getByRole("link", { name: "Canned responses" }).click();
    await page.getByRole("heading", { level: 1, name: "Canned responses" }).waitFor();
    const table = page.getByRole("table", { name: "The account's canned responses" });
    await expect.poll(() => table.getByRole("row").count()).toBe(4);
    // The placeholders are listed as help.
    const help = page.getByRole("region", { name: "Placeholders" });
    expect(await help.textContent()).toContain("{customer.name}");
    expect(await help.textContent()).toContain("{contact.custom10}");

    await page.getByRole("button", { name: "New response" }).click();
    const title = page.getByLabel("Title", { exact: true });
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("canned-title");
    await title.fill("Greeting");
    await page.getByLabel("Shortcut (optional)").fill("Greet!");
    const text = page.getByLabel("Text", { exact: true });
    await text.fill("Hello {customer.nam}, I am ");
    await page.getByRole("button", { name: "Add response" }).click();
    // Both mistakes, each at its field; focus on the first.
    const shortcutError = page.locator("#canned-shortcut-error");
    await shortcutError.waitFor();
    expect(await shortcutError.textContent()).toContain("lowercase letters, digits and dashes");
    const textError = page.locator("#canned-text-error");
    expect(await textError.textContent()).toContain("{customer.nam}");
    expect(await textError.textContent()).toContain("{agent.name}");
    expect(await page.getByRole("alert").first().textContent()).toMatch(/marked fields/);
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("canned-shortcut");
    expect(await axeViolations(page)).toEqual([]);

    // Fixed with the help's insert buttons (at the cursor), saved, listed.
    await page.getByLabel("Shortcut (optional)").fill("greet");
    await text.fill("Hello , I am ");
    await text.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(6, 6));
    await help.getByRole("button", { name: "Insert {customer.name}" }).click();
    await text.press("End");
    await help.getByRole("button", { name: "Insert {agent.name}" }).click();
    await text.press("End");
    await text.pressSequentially(
      " from {portal.name}. Your session ID is {session.number}; order {contact.custom1}.",
    );
    expect(await text.inputValue()).toBe(
      "Hello {customer.name}, I am {agent.name} from {portal.name}. Your session ID is {session.number}; order {contact.custom1}.",
    );
    await page.getByLabel("Language", { exact: true }).selectOption("en");
    await page.getByRole("button", { name: "Add response" }).click();
    await page.getByRole("status").filter({ hasText: "“Greeting” was added." }).waitFor();
    await expect.poll(() => table.getByRole("row").count()).toBe(5);
    expect((await listOf(adminCookie)).find((r) => r.shortcut === "greet")?.language).toBe("en");

    // A duplicate shortcut: the server's 409, shown at the shortcut.
    await page.getByRole("button", { name: "New response" }).click();
    await title.fill("Greeting again");
    await page.getByLabel("Shortcut (optional)").fill("greet");
    await text.fill("Hi!");
    await page.getByRole("button", { name: "Add response" }).click();
    await shortcutError.waitFor();
    expect(await shortcutError.textContent()).toContain("“greet”");
    await page.getByRole("button", { name: "Cancel" }).click();

    // Another one, edited, then deleted (asked first).
    await page.getByRole("button", { name: "New response" }).click();
    await title.fill("Opening hours");
    await text.fill("We are open from 9 to 17 o'clock.");
    await page.getByRole("button", { name: "Add response" }).click();
    const hours = table.getByRole("row").filter({ hasText: "Opening hours" });
    await hours.getByRole("button", { name: "Edit Opening hours" }).click();
    await page.getByRole("heading", { name: "Edit “Opening hours”" }).waitFor();
    await title.fill("Opening hours (summer)");
    await page.getByRole("button", { name: "Save response" }).click();
    await page.getByRole("status").filter({ hasText: "“Opening hours (summer)” was saved." }).waitFor();

    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByRole("button", { name: "New response" }).click();
    await title.fill("Holiday notice");
    await text.fill("Dear {customer.name}, our office is closed until Monday.");
    await shot(page, "e2e-canned-admin-form-en");
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, "e2e-canned-admin-en", "canned-admin.png");
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, "e2e-canned-admin-en-390");
    await page.getByRole("button", { name: "New response" }).click();
    await shot(page, "e2e-canned-admin-form-en-390");
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.setViewportSize({ width: 1280, height: 860 });

    const summer = table.getByRole("row").filter({ hasText: "Opening hours (summer)" });
    await summer.getByRole("button", { name: "Delete Opening hours (summer)" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete this canned response?" });
    await dialog.getByRole("button", { name: "Delete" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("status").filter({ hasText: "“Opening hours (summer)” was deleted." }).waitFor();
    expect((await listOf(adminCookie)).map((r) => r.title).sort()).toEqual([
      "Goodbye",
      "Greeting",
      "Password reset",
      "Passwort zurücksetzen",
    ]);
    await context.close();

    // The same page in German, desktop and 390 px.
    const de = await person({ locale: "de-DE" });
    await de.page.goto(`${base}/admin/canned`);
    await de.page.getByLabel("E-Mail").fill(seeded.admin.email);
    await de.page.getByLabel("Passwort").fill(PASSWORD);
    await de.page.getByRole("button", { name: "Anmelden" }).click();
    await de.page.getByRole("heading", { level: 1, name: "Textbausteine" }).waitFor();
    await de.page.getByRole("button", { name: "Neuer Textbaustein" }).click();
    await shot(de.page, "e2e-canned-admin-de");
    await de.page.setViewportSize({ width: 390, height: 844 });
    await shot(de.page, "e2e-canned-admin-de-390");
    expect(await axeViolations(de.page)).toEqual([]);
    await de.context.close();

    // A manager reaches the page too (managers see the reports and this of /admin).
    const manager = await seedUser(live.app, account.id, "mia@canned-e2e.test.example", "manager");
    const m = await person();
    await m.page.goto(`${base}/admin`);
    await m.page.getByLabel("Email").fill(manager.email);
    await m.page.getByLabel("Password").fill(PASSWORD);
    await m.page.getByRole("button", { name: "Sign in" }).click();
    await m.page.getByRole("navigation").getByRole("link", { name: "Canned responses" }).click();
    await m.page.getByRole("heading", { level: 1, name: "Canned responses" }).waitFor();
    await m.page.getByRole("row").filter({ hasText: "Greeting" }).waitFor();
    expect(await m.page.getByRole("navigation").getByRole("link", { name: "Users" }).count()).toBe(0);
    await m.context.close();
  });

  interface Ticket {
    requestId: string;
    sessionNumber: string;
    cookie: string;
  }

  async function ask(name: string, question: string, language = "en"): Promise<Ticket> {
    const res = await fetch(`${base}/api/v1/portals/canned-help/requests`, {
      method: "POST",
      headers: { origin: base, "content-type": "application/json", "accept-language": language },
      body: JSON.stringify({ values: { name, email: "carla@example.com", question, custom1: "A-1077" } }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const { requestId, sessionNumber } = (await res.json()) as { requestId: string; sessionNumber: string };
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    return { requestId, sessionNumber, cookie };
  }

  async function transcript(t: Ticket): Promise<string[]> {
    const res = await fetch(`${base}/api/v1/customer/requests/${t.requestId}/messages`, {
      headers: { cookie: t.cookie },
    });
    return ((await res.json()) as { body: string }[]).map((m) => m.body);
  }

  async function agentInSession(
    opts: { locale?: string; width?: number },
    customer: string,
    language = "en",
  ) {
    const p = await person(opts);
    const { page } = p;
    await page.goto(`${base}/console`);
    await page.locator("input[type=email]").fill(ada.email);
    await page.locator("input[type=password]").fill(PASSWORD);
    await page.locator("form button[type=submit]").click();
    const toggle = page.getByRole("switch");
    await toggle.waitFor();
    await toggle.check();
    await page.locator(".availability.is-on").waitFor();
    const ticket = await ask(customer, "My printer prints blank pages", language);
    const popup = page.getByRole("alertdialog", { name: new RegExp(customer) });
    await popup.waitFor();
    await popup.locator("button.btn-accept").click();
    await page.getByRole("tab", { name: new RegExp(customer) }).waitFor();
    return { ...p, ticket };
  }

  it("an agent types /, narrows, moves with the arrows, inserts with Enter, edits and sends; Escape closes", async () => {
    const { page, context, ticket } = await agentInSession({}, "Carla");
    const box = page.getByLabel("Message to Carla");
    const combo = page.getByRole("combobox", { name: "Canned responses" });
    expect(await combo.getAttribute("aria-expanded")).toBe("false");
    // Closed, the combobox around the box is as clean as open.
    expect(await axeViolations(page)).toEqual([]);
    await box.focus();
    await box.press("/");
    const list = page.getByRole("listbox", { name: "Canned responses matching what you typed" });
    await list.waitFor();
    expect(await combo.getAttribute("aria-expanded")).toBe("true");
    // All four, the customer's language (English) first, then any language, then German.
    await expect.poll(() => list.getByRole("option").count()).toBe(4);
    await page.getByRole("status").filter({ hasText: "4 canned responses. Arrow keys choose" }).waitFor();
    expect(await list.getByRole("option").allInnerTexts()).toEqual([
      expect.stringContaining("Greeting"),
      expect.stringContaining("Password reset"),
      expect.stringContaining("Goodbye"),
      expect.stringContaining("Passwort zurücksetzen"),
    ]);
    const first = list.getByRole("option").first();
    expect(await first.getAttribute("aria-selected")).toBe("true");
    expect(await box.getAttribute("aria-activedescendant")).toBe(await first.getAttribute("id"));
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, "e2e-canned-picker-en", "canned-picker.png");

    // Narrowed by typing: "res" → the two password resets.
    await box.pressSequentially("res");
    await expect.poll(() => list.getByRole("option").count()).toBe(2);
    await page.getByRole("status").filter({ hasText: "Matches: 2" }).waitFor();
    await box.press("ArrowDown");
    const second = list.getByRole("option").nth(1);
    expect(await second.getAttribute("aria-selected")).toBe("true");
    expect(await box.getAttribute("aria-activedescendant")).toBe(await second.getAttribute("id"));
    await box.press("ArrowDown");
    expect(await list.getByRole("option").first().getAttribute("aria-selected")).toBe("true");
    await box.press("ArrowUp");
    expect(await second.getAttribute("aria-selected")).toBe("true");
    await box.press("ArrowUp");
    await box.press("Backspace");
    await box.press("Backspace");
    await box.press("Backspace");
    await box.pressSequentially("greet");
    await expect.poll(() => list.getByRole("option").count()).toBe(1);
    await box.press("Enter");
    await list.waitFor({ state: "hidden" });
    const formatted = ticket.sessionNumber.replace(/^(\d{3})(\d{3})(\d{3})$/, "$1 $2 $3");
    const filled = `Hello Carla, I am ada from Printer help. Your session ID is ${formatted}; order A-1077.`;
    expect(await box.inputValue()).toBe(filled);
    expect(await combo.getAttribute("aria-expanded")).toBe("false");
    // Announced, not sent.
    await page.getByRole("status").filter({ hasText: "Inserted “Greeting”." }).waitFor();
    expect(await transcript(ticket)).not.toContain(filled);

    // Edited, then sent with Enter: the customer sees the edited text.
    await box.press("End");
    await box.pressSequentially(" How can I help?");
    await box.press("Enter");
    await expect.poll(() => transcript(ticket)).toContain(`${filled} How can I help?`);
    expect(await box.inputValue()).toBe("");

    // Escape closes without inserting; what was typed stays.
    await box.pressSequentially("Thanks /by");
    await list.waitFor();
    await expect.poll(() => list.getByRole("option").count()).toBe(1);
    await box.press("Escape");
    await list.waitFor({ state: "hidden" });
    expect(await box.inputValue()).toBe("Thanks /by");
    expect(await combo.getAttribute("aria-expanded")).toBe("false");
    // Typing on does not bring back a list that was closed for this `/`; Enter sends the text as it is.
    await box.pressSequentially("e");
    expect(await list.isVisible()).toBe(false);
    await box.press("Enter");
    await expect.poll(() => transcript(ticket)).toContain("Thanks /bye");

    // A slash inside a word or a link opens nothing; Tab leaves the box and closes the list.
    await box.pressSequentially("and/or https://example.com/x");
    expect(await list.isVisible()).toBe(false);
    await box.fill("");
    await box.press("/");
    await list.waitFor();
    await box.press("Tab");
    await list.waitFor({ state: "hidden" });
    expect(await box.evaluate((el) => el === document.activeElement)).toBe(false);
    await context.close();
  });

  it("personal responses: made in the console's settings, offered with the account's; German and 390 px", async () => {
    const { page, context } = await agentInSession({ locale: "de-DE", width: 390 }, "Greta", "de");
    await page.getByRole("button", { name: "Einstellungen" }).click();
    await page.getByRole("button", { name: "Meine Textbausteine" }).click();
    const dialog = page.getByRole("dialog", { name: "Meine Textbausteine" });
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Neuer Textbaustein" }).click();
    await dialog.getByLabel("Titel").fill("Mein Gruß");
    await dialog.getByLabel("Kürzel (optional)").fill("hallo");
    await dialog.getByLabel("Text", { exact: true }).fill("Guten Tag {kunde.name}");
    await dialog.getByRole("button", { name: "Anlegen" }).click();
    const textError = dialog.locator("#canned-form-text-error");
    await textError.waitFor();
    expect(await textError.textContent()).toContain("Unbekannter Platzhalter: {kunde.name}");
    await dialog
      .getByLabel("Text", { exact: true })
      .fill("Guten Tag {customer.name}, hier ist {agent.name}.");
    await dialog.getByLabel("Sprache").selectOption("de");
    await dialog.getByRole("button", { name: "Anlegen" }).click();
    await dialog.getByRole("listitem").filter({ hasText: "Mein Gruß" }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, "e2e-canned-manager-de-390");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });

    const box = page.getByLabel("Nachricht an Greta");
    await box.focus();
    await box.press("/");
    const list = page.getByRole("listbox", { name: "Textbausteine, die zu Ihrer Eingabe passen" });
    await list.waitFor();
    // The German ones first (the customer asked in German): the personal one among them, marked.
    await expect.poll(() => list.getByRole("option").count()).toBe(5);
    const texts = await list.getByRole("option").allInnerTexts();
    expect(texts[0]).toContain("Mein Gruß");
    expect(texts[0]).toContain("Eigener");
    expect(texts[1]).toContain("Passwort zurücksetzen");
    expect(texts[1]).toContain("Team");
    await shot(page, "e2e-canned-picker-de-390");
    expect(await axeViolations(page)).toEqual([]);
    await box.pressSequentially("hallo");
    await box.press("Enter");
    expect(await box.inputValue()).toBe("Guten Tag Greta, hier ist ada.");
    await page.setViewportSize({ width: 1280, height: 860 });
    await box.fill("");
    await box.press("/");
    await list.waitFor();
    await shot(page, "e2e-canned-picker-de");
    await box.press("Escape");

    // Changed and deleted again in the manager; the picker follows at the next `/`.
    await page.getByRole("button", { name: "Einstellungen" }).click();
    await page.getByRole("button", { name: "Meine Textbausteine" }).click();
    await dialog.getByRole("button", { name: "Bearbeiten Mein Gruß" }).click();
    await dialog.getByLabel("Titel").fill("Mein Gruß (kurz)");
    await dialog.getByRole("button", { name: "Speichern" }).click();
    await dialog.getByRole("listitem").filter({ hasText: "Mein Gruß (kurz)" }).waitFor();
    await dialog.getByRole("button", { name: "Löschen Mein Gruß (kurz)" }).click();
    await dialog.getByRole("button", { name: "Ja, löschen" }).click();
    await dialog.getByText("Sie haben noch keine eigenen Textbausteine.").waitFor();
    await dialog.getByRole("button", { name: "Dialog schließen" }).click();
    await dialog.waitFor({ state: "detached" });
    await box.fill("");
    await box.press("/");
    await expect.poll(() => list.getByRole("option").count()).toBe(4);
    expect((await list.getByRole("option").allInnerTexts()).join(" ")).not.toContain("Mein Gruß");
    await box.press("Escape");
    await context.close();
  });
});
