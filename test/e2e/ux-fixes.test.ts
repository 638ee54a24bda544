import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import type { Portal } from "../../src/shared/api.js";
import { call, PASSWORD } from "../support/app.js";
import { launchBrowser, newPerson, type Person, SCREENSHOTS, screenshot } from "../support/browser.js";
import {
  type Agent,
  type AgentSocket,
  createPortal,
  onlineAgent,
  patchUser,
  seedAgent,
  seedTenant,
  startWorld,
  type Tenant,
  type World,
} from "../support/scenario.js";

const WAIT = { timeout: 10_000 };
/** A session number as the console's customer label holds it together: no-break spaces. */
const held = (number: string) => number.replaceAll(" ", "\u00a0");
/** Playwright matches a pattern against accessible names with their spaces made plain. */
const spaced = (label: string) => new RegExp(label.replace(/[\u00a0 ]/g, "\\s"));

type Lang = "en" | "de";
const LOCALE: Record<Lang, string> = { en: "en-US", de: "de-DE" };
const CONSOLE_WORDS = {
  en: { email: "Email", password: "Password", signIn: "Sign in", available: "Available" },
  de: { email: "E-Mail", password: "Passwort", signIn: "Anmelden", available: "Verfügbar" },
};

/**
 * Issue 18, part 5, in real Chromium: what a new user noticed. Nameless customers are told apart
 * by their session number; the customer's page and the console show a message's time alike; the
 * German console and customer page give the same Enter hint; Incoming's time columns say
 * different things; the waiting page's tiles keep their values on one line; the account's
 * screen-sharing switch reaches an open console at once; a refused admin save shows what is
 * stored; the slug hint previews only a valid address.
 */
describe.skipIf(!inject("chromium"))("UX fixes (issue 18, part 5)", () => {
  let world: World;
  let browser: Browser;
  let base: string;
  let web: Tenant;
  let ada: Agent;
  let buttonEn: Portal;
  let buttonDe: Portal;
  let queue: Tenant;
  let quinn: Agent;
  let quinnSocket: AgentSocket;
  let queueEn: Portal;
  let queueDe: Portal;
  const people: Person[] = [];

  beforeAll(async () => {
    world = await startWorld("sqlite");
    base = world.origin;
    browser = await launchBrowser();
    web = await seedTenant(world, "ux-web");
    ada = await seedAgent(world, web, "ada");
    await patchUser(world, web, ada, { displayName: "Ada Lovelace", maxSessions: 10 });
    buttonEn = await createPortal(world, web, "button", [ada], { name: "Help button" });
    buttonDe = await createPortal(world, web, "button", [ada], { name: "Hilfe-Knopf", language: "de" });
    queue = await seedTenant(world, "ux-queue", "queue");
    quinn = await seedAgent(world, queue, "quinn");
    queueEn = await createPortal(world, queue, "question", [quinn], { name: "Support line" });
    queueDe = await createPortal(world, queue, "question", [quinn], { name: "Hotline", language: "de" });
  });

  afterAll(async () => {
    for (const p of people) await p.context.close().catch(() => undefined);
    await quinnSocket?.close();
    await browser?.close();
    await world?.close();
  });

  afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close().catch(() => undefined);
  });

  async function person(lang: Lang = "en", width = 1280): Promise<Person> {
    const p = await newPerson(browser, { locale: LOCALE[lang], width });
    people.push(p);
    return p;
  }

  async function agentConsole(agent: Agent, lang: Lang = "en", width = 1280): Promise<Page> {
    const { page } = await person(lang, width);
    const w = CONSOLE_WORDS[lang];
    await page.goto(`${base}/console`);
    await page.getByLabel(w.email).fill(agent.user.email);
    await page.getByLabel(w.password).fill(PASSWORD);
    await page.getByRole("button", { name: w.signIn, exact: true }).click();
    const toggle = page.getByRole("switch", { name: w.available });
    await toggle.waitFor(WAIT);
    await toggle.check();
    await page.locator(".availability.is-on").waitFor(WAIT);
    return page;
  }

  /** A customer presses a button portal's one button; returns their page and session number as shown. */
  async function buttonCustomer(portal: Portal, lang: Lang): Promise<{ page: Page; number: string }> {
    const { page } = await person(lang);
    await page.goto(`${base}/p/${portal.slug}`);
    await page
      .getByRole("button", { name: lang === "de" ? "Einen Mitarbeiter kontaktieren" : "Contact an agent" })
      .click();
    await page.waitForURL(/\/r\/[^/]+$/, WAIT);
    const number = ((await page.locator(".session-id").first().textContent(WAIT)) ?? "").trim();
    expect(number).toMatch(/^\d{3} \d{3} \d{3}$/);
    return { page, number };
  }

  /** The time shown with a message, on the customer's page and in the console's chat. */
  async function timesOf(customer: Page, agent: Page, body: string): Promise<[string, string]> {
    const onCustomer = customer.locator("li[data-seq]", { hasText: body }).locator("time").first();
    const inConsole = agent.locator("[role=log] .msg", { hasText: body }).locator("time").first();
    await onCustomer.waitFor(WAIT);
    await inConsole.waitFor(WAIT);
    return [((await onCustomer.textContent()) ?? "").trim(), ((await inConsole.textContent()) ?? "").trim()];
  }

  async function authorIn(agent: Page, body: string): Promise<string> {
    const line = agent.locator("[role=log] .msg", { hasText: body }).first();
    return ((await line.locator(".msg-author").textContent()) ?? "").trim();
  }

  it("numbers nameless customers in alerts, lists and tabs; both sides show a time alike; the sharing switch reaches the console", async () => {
    const console_ = await agentConsole(ada);
    const first = await buttonCustomer(buttonEn, "en");
    const second = await buttonCustomer(buttonEn, "en");
    const label1 = `Customer ${held(first.number)}`;
    const label2 = `Customer ${held(second.number)}`;

    // Alerts and Incoming name each customer by their number; nobody is "(no name)".
    await console_.getByRole("alertdialog", { name: `New request: ${label1}` }).waitFor(WAIT);
    await console_.getByRole("alertdialog", { name: `New request: ${label2}` }).waitFor(WAIT);
    const incoming = console_.locator("#pane-incoming");
    await incoming.getByRole("button", { name: label1, exact: true }).waitFor(WAIT);
    await incoming.getByRole("button", { name: label2, exact: true }).waitFor(WAIT);
    expect(await console_.locator("body").textContent()).not.toContain("(no name)");
    await screenshot(console_, "ux-console-nameless-alerts-en");

    await console_
      .getByRole("alertdialog", { name: `New request: ${label1}` })
      .getByRole("button", { name: "Accept" })
      .click();
    await console_.getByRole("tab", { name: spaced(label1) }).waitFor(WAIT);
    await first.page.getByLabel("Your message").waitFor(WAIT);

    // A message each way: the same clock text on both sides, also after the customer's reload
    // (the server's rendering).
    const box = first.page.getByLabel("Your message");
    await box.fill("hello from the customer");
    await box.press("Enter");
    const [c1, a1] = await timesOf(first.page, console_, "hello from the customer");
    expect(c1).toMatch(/^\d{1,2}:\d{2}\s?(AM|PM)$/);
    expect(c1).toBe(a1);
    // The chat names the customer as the tab does.
    expect(await authorIn(console_, "hello from the customer")).toBe(label1);
    const agentBox = console_.getByLabel(`Message to ${label1}`);
    await agentBox.fill("hello from the agent");
    await agentBox.press("Enter");
    const [c2, a2] = await timesOf(first.page, console_, "hello from the agent");
    expect(c2).toBe(a2);
    await first.page.reload();
    const [c3, a3] = await timesOf(first.page, console_, "hello from the agent");
    expect(c3).toBe(a3);

    // The account's screen-sharing switch: off reaches the open console without a reload.
    const request = console_.getByRole("button", { name: "Request screen sharing" });
    await expect.poll(() => request.isEnabled(), WAIT).toBe(true);
    const url = `/api/v1/accounts/${web.account.id}`;
    expect((await call(world.app, web.adminCookie, "PATCH", url, { upgradeEnabled: false })).status).toBe(
      200,
    );
    await expect.poll(() => request.isDisabled(), WAIT).toBe(true);
    await console_.getByText("Screen sharing is switched off for this account").waitFor(WAIT);
    await screenshot(console_, "ux-console-sharing-off-en");
    expect((await call(world.app, web.adminCookie, "PATCH", url, { upgradeEnabled: true })).status).toBe(200);
    await expect.poll(() => request.isEnabled(), WAIT).toBe(true);
    expect(await console_.getByText("Screen sharing is switched off for this account").count()).toBe(0);
  });

  it("German: one Enter hint, two clear time columns, a natural details hint, numbered customers", async () => {
    const console_ = await agentConsole(ada, "de");
    const details = console_.locator("#pane-details");
    await details.getByText("Wählen Sie eine Zeile aus, um die Details anzuzeigen.").waitFor(WAIT);
    const customer = await buttonCustomer(buttonDe, "de");
    const label = `Kunde ${held(customer.number)}`;

    const incoming = console_.locator("#pane-incoming");
    await incoming.getByRole("button", { name: label, exact: true }).waitFor(WAIT);
    const headers = (await incoming.locator("th").allTextContents()).map((h) => h.trim());
    expect(headers).toContain("Wartezeit");
    expect(headers).toContain("Eingegangen");
    expect(headers).not.toContain("Zeit");
    expect(headers).not.toContain("Uhrzeit");
    expect(await console_.locator("body").textContent()).not.toContain("(ohne Namen)");
    await screenshot(console_, "ux-console-incoming-de");

    await console_
      .getByRole("alertdialog", { name: `Neue Anfrage: ${label}` })
      .getByRole("button", { name: "Annehmen" })
      .click();
    await console_.getByRole("tab", { name: spaced(label) }).waitFor(WAIT);
    await customer.page.getByLabel("Ihre Nachricht").waitFor(WAIT);

    const hint = "Eingabetaste sendet, Umschalt+Eingabetaste beginnt eine neue Zeile.";
    expect(((await customer.page.locator("#chat-hint").textContent()) ?? "").trim()).toBe(hint);
    // The console's hint is the one its message box is described by.
    const agentBox = console_.getByLabel(`Nachricht an ${label}`);
    const hintId = ((await agentBox.getAttribute("aria-describedby")) ?? "")
      .split(/\s+/)
      .find((id) => id.endsWith("-hint"));
    expect(hintId).toBeDefined();
    // (It may go on with more, such as how to pick a canned response.)
    expect(((await console_.locator(`[id="${hintId}"]`).textContent()) ?? "").trim().startsWith(hint)).toBe(
      true,
    );

    const box = customer.page.getByLabel("Ihre Nachricht");
    await box.fill("Hallo aus dem Browser");
    await box.press("Enter");
    const [onCustomer, inConsole] = await timesOf(customer.page, console_, "Hallo aus dem Browser");
    expect(onCustomer).toMatch(/^\d{2}:\d{2}$/);
    expect(onCustomer).toBe(inConsole);
    expect(await authorIn(console_, "Hallo aus dem Browser")).toBe(label);
    await screenshot(console_, "ux-console-session-de");
    await screenshot(customer.page, "ux-customer-chat-de");

    const narrow = await agentConsole(ada, "de", 390);
    await narrow.getByRole("tab", { name: spaced(label) }).waitFor(WAIT);
    // Nothing sticks out sideways at 390 px, even with two nameless customers' tabs.
    const wide = await narrow.evaluate(() =>
      [...document.querySelectorAll("body *")]
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
        // A scrolling tab strip may hold more than it shows; hidden table headers are not seen.
        .filter((el) => !el.closest(".tablist, thead, .visually-hidden") || el.classList.contains("tablist"))
        .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join(".")}`)
        .slice(0, 10),
    );
    expect(wide).toEqual([]);
    expect(
      await narrow.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(0);
    await screenshot(narrow, "ux-console-session-de-390");
  });

  it("the queue's waiting page keeps the session ID and the estimate on one line, on a desktop and at 390 px", async () => {
    quinnSocket = await onlineAgent(world, quinn);
    const cases: [Lang, number, Portal][] = [
      ["en", 1280, queueEn],
      ["de", 1280, queueDe],
      ["en", 390, queueEn],
      ["de", 390, queueDe],
    ];
    for (const [lang, width, portal] of cases) {
      const { page } = await person(lang, width);
      await page.goto(`${base}/p/${portal.slug}`);
      await page.getByLabel(lang === "de" ? "Ihr Name" : "Your name").fill(`Kim ${lang} ${width}`);
      await page.getByLabel(lang === "de" ? "Ihre Frage" : "Your question").fill("Where is my parcel?");
      await page.getByRole("button", { name: lang === "de" ? "Frage senden" : "Send question" }).click();
      await page.waitForURL(/\/r\/[^/]+$/, WAIT);
      await page.locator("[data-queue-wait]").waitFor(WAIT);
      expect(await page.locator("[data-queue-wait]").textContent()).toBe(
        lang === "de" ? "noch unbekannt" : "not known yet",
      );
      const lines = await page.evaluate(() => {
        const count = (el: Element) => {
          const range = document.createRange();
          range.selectNodeContents(el);
          return new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)))
            .size;
        };
        return [...document.querySelectorAll(".facts .fact")].map((fact) => ({
          label: (fact.querySelector("dt")?.textContent ?? "").trim(),
          dt: count(fact.querySelector("dt") as Element),
          dd: count(fact.querySelector("dd") as Element),
        }));
      });
      expect(lines.length, `${lang} ${width}`).toBe(4);
      for (const fact of lines) {
        expect(fact.dd, `${lang} ${width}: the value of "${fact.label}"`).toBe(1);
        if (width > 520) expect(fact.dt, `${lang} ${width}: "${fact.label}"`).toBe(1);
      }
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${lang} ${width}: no sideways scrolling`).toBeLessThanOrEqual(0);
      await screenshot(page, `ux-queue-waiting-${lang}-${width}`);
    }
  });

  it("admin: a refused save shows the stored switches; the slug hint previews only a valid address", async () => {
    const { page } = await person("en");
    await page.goto(`${base}/admin`);
    await page.getByLabel("Email").fill(web.admin.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { level: 1, name: "Portals" }).waitFor(WAIT);

    // A chat-first portal needs web chat: switching web chat (and sharing) off is refused as a whole.
    await createPortal(world, web, "question", [ada], { name: "Chat desk", slug: "ux-chat-desk" });
    await page.getByRole("navigation").getByRole("link", { name: "Account settings" }).click();
    const webChat = page.getByRole("switch", { name: "Web chat enabled" });
    const upgrade = page.getByRole("switch", { name: "Upgrade to screen sharing enabled" });
    await webChat.waitFor(WAIT);
    expect(await webChat.isChecked()).toBe(true);
    expect(await upgrade.isChecked()).toBe(true);
    await webChat.uncheck();
    await upgrade.uncheck();
    await page.getByRole("button", { name: "Save" }).click();
    await page
      .getByRole("alert")
      .filter({ hasText: "Nothing was saved. The form shows the stored settings again." })
      .waitFor(WAIT);
    await expect.poll(() => webChat.isChecked(), WAIT).toBe(true);
    await expect.poll(() => upgrade.isChecked(), WAIT).toBe(true);
    await page
      .getByText(/ux-chat-desk/)
      .first()
      .waitFor(WAIT);
    const stored = await call(world.app, web.adminCookie, "GET", `/api/v1/accounts/${web.account.id}`);
    expect(stored.body).toMatchObject({ webChatEnabled: true, upgradeEnabled: true });
    await screenshot(page, "ux-admin-refused-save-en");

    // The slug hint: an invalid slug is not previewed as an address.
    await page.getByRole("navigation").getByRole("link", { name: "Portals" }).click();
    await page.getByRole("link", { name: "New portal" }).click();
    await page.getByRole("heading", { level: 1, name: "New portal" }).waitFor(WAIT);
    const slug = page.getByLabel("Slug (address)");
    const hint = page.locator("#portal-slug-hint");
    const pending =
      "Use 3–64 lowercase letters, digits and dashes, starting and ending with a letter or digit. The portal's address shows here once the slug is valid.";
    expect(((await hint.textContent()) ?? "").trim()).toBe(pending);
    for (const bad of ["Bad Slug", "ab", "-edge", "edge-", "ümlaut"]) {
      await slug.fill(bad);
      await expect.poll(async () => ((await hint.textContent()) ?? "").trim(), WAIT).toBe(pending);
      expect(await hint.textContent()).not.toContain(`/p/${bad}`);
    }
    await screenshot(page, "ux-admin-slug-invalid-en");
    await slug.fill("returns-desk");
    await expect
      .poll(async () => (await hint.textContent()) ?? "", WAIT)
      .toBe(`The portal's address will be ${base}/p/returns-desk`);

    // The same in German, on a phone.
    const de = await person("de", 390);
    await de.page.goto(`${base}/admin`);
    await de.page.getByLabel("E-Mail").fill(web.admin.email);
    await de.page.getByLabel("Passwort").fill(PASSWORD);
    await de.page.getByRole("button", { name: "Anmelden" }).click();
    await de.page.getByRole("heading", { level: 1, name: "Portale" }).waitFor(WAIT);
    await de.page.goto(`${base}/admin/portals/new`);
    await de.page.getByRole("heading", { level: 1, name: "Neues Portal" }).waitFor(WAIT);
    await de.page.getByLabel("Kürzel (Adresse)").fill("Falsch!");
    await expect
      .poll(async () => (await de.page.locator("#portal-slug-hint").textContent()) ?? "", WAIT)
      .toContain("sobald das Kürzel gültig ist");
    await screenshot(de.page, "ux-admin-slug-invalid-de-390");
    await de.page
      .locator(".field", { has: de.page.locator("#portal-slug") })
      .screenshot({ path: path.join(SCREENSHOTS, "ux-admin-slug-field-de-390.png") });
  });
});
