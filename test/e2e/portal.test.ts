import axe from "axe-core";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Portal } from "../../src/shared/api.js";
import type { ChatMessage, CodeView } from "../../src/shared/protocol.js";
import { call } from "../support/app.js";
import { launchBrowser, newPerson, type Person } from "../support/browser.js";
import {
  type Agent,
  type AgentSocket,
  accept,
  createPortal,
  onlineAgent,
  patchUser,
  seedAgent,
  seedTenant,
  startWorld,
  type World,
} from "../support/scenario.js";

/**
 * The customer pages in real Chromium: accessibility (axe-core) of every portal type, /join and
 * the waiting page; no CSP violations; and the JavaScript path — inline errors without a reload,
 * the waiting page turning into the chat in place, messages shown as text.
 */
describe.skipIf(!inject("chromium"))("customer portal pages in Chromium", () => {
  let world: World;
  let browser: Browser;
  let base: string;
  let robin: Agent;
  let pat: Agent;
  let sockets: AgentSocket[] = [];
  const portals: Record<string, Portal> = {};
  const cspViolations: string[] = [];

  beforeAll(async () => {
    world = await startWorld("sqlite");
    base = world.origin;
    browser = await launchBrowser();
    const web = await seedTenant(world, "e2e-portal", "web");
    robin = await seedAgent(world, web, "robin");
    const sam = await seedAgent(world, web, "sam");
    await patchUser(world, web, robin, { displayName: "Robin Berger" });
    await patchUser(world, web, sam, { displayName: "Sam Novak" });
    portals.pick = await createPortal(world, web, "pick-agent", [robin, sam], { title: "Pick someone" });
    portals.question = await createPortal(world, web, "question", [robin], {
      title: "How can we help?",
      welcomeText: "Ask us anything.",
      fields: [
        { kind: "name", required: true },
        { kind: "email", required: false },
        { kind: "select", label: "Product", required: false, options: ["Router", "Modem"] },
      ],
    });
    portals.button = await createPortal(world, web, "button", [robin], {
      language: "de",
      primaryColor: "#b45309",
    });
    portals.lonely = await createPortal(world, web, "question", [sam], { title: "Nobody here" });
    const phone = await seedTenant(world, "e2e-phone", "phone");
    pat = await seedAgent(world, phone, "pat");
    portals.code = await createPortal(world, phone, "code", [pat], { primaryColor: "#6d28d9" });
    sockets = [await onlineAgent(world, robin)];
  });

  afterAll(async () => {
    for (const s of sockets) await s.close();
    await browser?.close();
    await world?.close();
  });

  async function customer(opts: { locale?: string; width?: number } = {}): Promise<Person> {
    const p = await newPerson(browser, opts);
    p.page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(`${p.page.url()}: ${m.text()}`);
    });
    await p.page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) => {
        console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    return p;
  }

  /** axe-core on the page as it is now. Evaluated over the DevTools protocol: the page's CSP stays on. */
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

  const slug = (key: string) => portals[key]?.slug ?? "";

  it("every portal type, the offline form and /join pass axe-core at 390 and 1280 px, without CSP violations", async () => {
    for (const width of [390, 1280]) {
      const { context, page } = await customer({ width });
      for (const url of [
        `/p/${slug("pick")}`,
        `/p/${slug("question")}`,
        `/p/${slug("button")}`,
        `/p/${slug("code")}`,
        `/p/${slug("lonely")}`,
        "/join",
        "/join/123456789",
      ]) {
        await page.goto(`${base}${url}`);
        await page.waitForLoadState("networkidle");
        expect(await page.locator("h1").count(), url).toBe(1);
        expect(await axeViolations(page), `${url} at ${width}px`).toEqual([]);
      }
      await context.close();
    }
    expect(cspViolations).toEqual([]);
  });

  it("shows field errors inline without a reload, then waits and chats in the same page", async () => {
    const { context, page } = await customer();
    let navigations = 0;
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) navigations++;
    });
    await page.goto(`${base}/p/${slug("question")}`);
    await page.waitForLoadState("networkidle");
    const before = navigations;
    await page.getByLabel("Email (optional)").fill("carla@");
    await page.getByRole("button", { name: "Send question" }).click();
    const emailError = page.locator("#f-email-error");
    await expect
      .poll(() => emailError.textContent())
      .toBe("Enter an email address such as name@example.com.");
    expect(await page.locator("#f-name-error").textContent()).toBe("Please fill this in.");
    expect(await page.getByLabel("Your name").getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByLabel("Your name").getAttribute("aria-describedby")).toContain("f-name-error");
    expect(await page.locator("#error-summary").isVisible()).toBe(true);
    expect(await page.locator("#error-summary a").count()).toBe(3);
    expect(navigations).toBe(before);
    expect(await axeViolations(page)).toEqual([]);

    // The counter follows what is typed.
    await page.getByLabel("Your question").fill("x".repeat(2001));
    expect(await page.locator("#f-question-counter").textContent()).toBe(
      "2001 of 2000 characters — 1 too many",
    );

    await page.getByLabel("Your name").fill("Carla");
    await page.getByLabel("Email (optional)").fill("carla@example.com");
    await page.getByLabel("Product (optional)").selectOption("Modem");
    await page.getByLabel("Your question").fill("My router blinks red.");
    await page.getByRole("button", { name: "Send question" }).click();
    await page.waitForURL(/\/r\/[^/]+$/);
    await page.getByRole("heading", { name: "Please wait a moment" }).waitFor();
    expect(await page.locator(".session-id").textContent()).toMatch(/^\d{3} \d{3} \d{3}$/);
    const waited = page.locator("[data-waited]");
    const first = await waited.textContent();
    await expect.poll(() => waited.textContent(), { timeout: 4000 }).not.toBe(first);
    expect(await axeViolations(page)).toEqual([]);

    // Accepted: the page becomes the chat in place (no reload), and messages are text.
    const requestId = new URL(page.url()).pathname.split("/")[2] ?? "";
    await page.evaluate(() => {
      (window as unknown as { stayed: boolean }).stayed = true;
    });
    expect((await accept(world, robin, requestId)).status).toBe(200);
    await page.getByRole("heading", { name: "Robin Berger is with you" }).waitFor();
    expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);

    const box = page.getByLabel("Your message");
    await box.fill("first line");
    await box.press("Shift+Enter");
    await box.pressSequentially("second line");
    await box.press("Enter");
    await page.locator(".msg-customer").waitFor();
    expect(await box.inputValue()).toBe("");
    const got = await call(world.app, robin.cookie, "GET", `/api/v1/sessions/${requestId}/messages`);
    expect((got.body as ChatMessage[]).map((m) => m.body)).toEqual(["first line\nsecond line"]);

    const sent = await call(world.app, robin.cookie, "POST", `/api/v1/sessions/${requestId}/messages`, {
      body: `<img src=x onerror="document.title='owned'"> see https://example.com/help`,
    });
    expect(sent.status).toBe(201);
    const agentMessage = page.locator(".msg-agent .msg-body");
    await agentMessage.waitFor();
    expect(await agentMessage.textContent()).toBe(
      `<img src=x onerror="document.title='owned'"> see https://example.com/help`,
    );
    expect(await page.locator(".msg-agent img").count()).toBe(0);
    expect(await agentMessage.locator("a").getAttribute("href")).toBe("https://example.com/help");
    expect(await page.locator(".msg-agent .msg-author").textContent()).toBe("Robin Berger");
    expect(await page.locator("li[data-seq]").count()).toBe(2);
    expect(await axeViolations(page)).toEqual([]);

    // A reload shows the same conversation, nothing doubled.
    await page.reload();
    await page.locator("li[data-seq]").nth(1).waitFor();
    await page.waitForTimeout(300);
    expect(await page.locator("li[data-seq]").count()).toBe(2);

    await page.getByRole("button", { name: "End session" }).click();
    await page.getByRole("heading", { name: "The session has ended" }).waitFor();
    expect(await page.locator(".transcript li[data-seq]").count()).toBe(2);
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
    expect(cspViolations).toEqual([]);
  });

  it("a wrong code shows its precise message next to the field without a reload; a good one connects", async () => {
    const { context, page } = await customer({ locale: "de-DE", width: 390 });
    await page.goto(`${base}/join`);
    await page.waitForLoadState("networkidle");
    expect(await page.locator("html").getAttribute("lang")).toBe("de");
    await page.evaluate(() => {
      (window as unknown as { stayed: boolean }).stayed = true;
    });
    const code = page.getByLabel("Sitzungscode");
    expect(await code.getAttribute("inputmode")).toBe("numeric");
    await code.fill("12-34");
    await page.getByRole("button", { name: "Verbinden" }).click();
    await expect
      .poll(() => page.locator("#f-code-error").textContent())
      .toBe("Der Code hat 9 Ziffern; Sie haben 4 eingegeben.");
    expect(await code.getAttribute("aria-invalid")).toBe("true");
    expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);

    const created = await call(world.app, pat.cookie, "POST", "/api/v1/codes", {
      portalId: portals.code?.id,
      name: "Dana",
    });
    const { code: digits } = created.body as CodeView;
    await code.fill(`${digits.slice(0, 3)}.${digits.slice(3, 6)} ${digits.slice(6)}`);
    await page.getByRole("button", { name: "Verbinden" }).click();
    await page.waitForURL(/\/r\/[^/]+$/);
    await page.getByRole("heading", { name: /ist für Sie da$/ }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
  });

  it("works without JavaScript: form errors, submit, the self-refreshing waiting page, cancel", async () => {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 390, height: 860 },
    });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    await page.goto(`${base}/p/${slug("question")}`);
    await page.getByRole("button", { name: "Send question" }).click();
    await page.waitForLoadState();
    expect(await page.locator("#f-name-error").textContent()).toBe("Please fill this in.");
    expect(await page.getByLabel("Your name").getAttribute("aria-invalid")).toBe("true");
    await page.getByLabel("Your name").fill("Nora");
    await page.getByLabel("Your question").fill("No scripts here.");
    await page.getByRole("button", { name: "Send question" }).click();
    await page.waitForURL(/\/r\/[^/]+$/);
    await page.getByRole("heading", { name: "Please wait a moment" }).waitFor();
    expect(await page.locator("noscript").first().innerHTML()).toContain('http-equiv="refresh"');
    // The cancel form carries the request's cookie: the browser's own form post must pass the CSRF check.
    await page.getByRole("button", { name: "Cancel request" }).click();
    await page.getByRole("heading", { name: "Your request was canceled" }).waitFor();
    await context.close();
  });

  it("a dropped connection shows 'reconnecting', then catches up by sequence number with nothing doubled", async () => {
    const { context, page } = await customer();
    await page.goto(`${base}/p/${slug("button")}`);
    await page.waitForLoadState("networkidle");
    await page.getByRole("button", { name: "Einen Mitarbeiter kontaktieren" }).click();
    await page.waitForURL(/\/r\/[^/]+$/);
    const requestId = new URL(page.url()).pathname.split("/")[2] ?? "";
    expect((await accept(world, robin, requestId)).status).toBe(200);
    await page.getByLabel("Ihre Nachricht").waitFor();
    const say = (body: string) =>
      call(world.app, robin.cookie, "POST", `/api/v1/sessions/${requestId}/messages`, { body });
    await say("eins");
    await page.locator("li[data-seq='1']").waitFor();

    // Every socket of the server drops (as on a restart); the agent's console reconnects too.
    const wss = (world.app.server as unknown as { websocketServer: { clients: Set<{ terminate(): void }> } })
      .websocketServer;
    for (const client of wss.clients) client.terminate();
    await expect.poll(() => page.locator("[data-conn]").textContent()).toContain("Verbindung unterbrochen");
    await say("zwei");
    await say("drei");
    for (const s of sockets) await s.close();
    sockets = [await onlineAgent(world, robin)];
    await page.locator("li[data-seq='3']").waitFor({ timeout: 20_000 });
    await expect.poll(() => page.locator("[data-conn]").textContent(), { timeout: 20_000 }).toBe("");
    expect(await page.locator("li[data-seq] .msg-body").allTextContents()).toEqual(["eins", "zwei", "drei"]);

    // And sending works again.
    await page.getByLabel("Ihre Nachricht").fill("vier");
    await page.getByLabel("Ihre Nachricht").press("Enter");
    await page.locator("li[data-seq='4']").waitFor();
    expect(await page.locator("li[data-seq]").count()).toBe(4);
    await context.close();
  });

  it("the waiting page can be canceled, and an unavailable agent cannot be picked", async () => {
    const { context, page } = await customer({ width: 390 });
    await page.goto(`${base}/p/${slug("pick")}`);
    await page.waitForLoadState("networkidle");
    expect(await page.getByRole("radio", { name: /Sam Novak/ }).isDisabled()).toBe(true);
    await page.getByRole("radio", { name: /Robin Berger/ }).check();
    await page.getByLabel("Your name").fill("Carla");
    await page.getByRole("button", { name: "Start chat" }).click();
    await page.waitForURL(/\/r\/[^/]+$/);
    await page.getByRole("button", { name: "Cancel request" }).click();
    await page.getByRole("heading", { name: "Your request was canceled" }).waitFor();
    await context.close();
    expect(cspViolations).toEqual([]);
  });
});
