import axe from "axe-core";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { insertNewPortal } from "../../src/server/commands/portals.js";
import type { Account, User } from "../../src/shared/api.js";
import { PASSWORD, seedAccount, seedUser } from "../support/app.js";
import {
  type LiveServer,
  launchBrowser,
  newPerson,
  type Person,
  screenshot,
  startLiveServer,
} from "../support/browser.js";

/**
 * A whole session in two browsers: the customer chats, reloads, shares the screen on request, sees
 * the agent's pointer and stops; the agent sees the live picture. Direct mode opens on the consent.
 */
describe.skipIf(!inject("chromium"))("screen sharing in a session (customer and agent)", () => {
  let live: LiveServer;
  let browser: Browser;
  let base: string;
  let account: Account;
  let ada: User;
  const WAIT = { timeout: 10_000 };

  async function portal(slug: string, connectionMode: "chat-first" | "direct") {
    await live.app.deps.db.kysely
      .transaction()
      .execute((trx) =>
        insertNewPortal(
          trx,
          account,
          { slug, type: "question", name: `Portal ${slug}`, agentIds: [ada.id], connectionMode },
          Date.now(),
        ),
      );
  }

  beforeAll(async () => {
    live = await startLiveServer();
    base = live.baseUrl;
    browser = await launchBrowser();
    account = (await seedAccount(live.app, "share-web", "web")).account;
    ada = await seedUser(live.app, account.id, "ada@share.test.example", "agent");
    await portal("sh-chat", "chat-first");
    await portal("sh-direct", "direct");
  });

  afterAll(async () => {
    await browser?.close();
    await live?.close();
  });

  const people: Person[] = [];

  afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close().catch(() => {});
  });

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

  async function agent(): Promise<Person> {
    const p = await newPerson(browser);
    people.push(p);
    await p.page.goto(`${base}/console`);
    await p.page.getByLabel("Email").fill(ada.email);
    await p.page.getByLabel("Password").fill(PASSWORD);
    await p.page.getByRole("button", { name: "Sign in", exact: true }).click();
    const toggle = p.page.getByRole("switch", { name: "Available" });
    await toggle.waitFor(WAIT);
    await toggle.check();
    await p.page.locator(".availability.is-on").waitFor(WAIT);
    return p;
  }

  async function customerAsks(slug: string, name: string, question: string): Promise<Person> {
    const p = await newPerson(browser);
    people.push(p);
    await p.page.goto(`${base}/p/${slug}`);
    await p.page.getByLabel("Your name").fill(name);
    await p.page.getByLabel("Your question").fill(question);
    await p.page.getByRole("button", { name: "Send question" }).click();
    await p.page.waitForURL(/\/r\/[^/]+$/, WAIT);
    return p;
  }

  async function accept(page: Page, name: string): Promise<void> {
    const popup = page.getByRole("alertdialog", { name: new RegExp(name) });
    await popup.getByRole("button", { name: "Accept" }).click(WAIT);
    await page.getByRole("tab", { name: new RegExp(name) }).waitFor(WAIT);
  }

  it("chats, survives a reload, shares the screen with a pointer, stops, and chats on", async () => {
    const a = await agent();
    const c = await customerAsks("sh-chat", "Carla", "My screen looks odd");
    await accept(a.page, "Carla");
    await c.page.getByRole("heading", { name: /is with you/ }).waitFor(WAIT);

    // Chat both ways.
    const cBox = c.page.getByLabel("Your message");
    await cBox.fill("hello from the customer");
    await cBox.press("Enter");
    const agentLog = a.page.getByRole("log", { name: "Messages with Carla" });
    await expect.poll(() => agentLog.textContent(), WAIT).toContain("hello from the customer");
    const aBox = a.page.getByLabel("Message to Carla");
    await aBox.fill("hello from the agent");
    await aBox.press("Enter");
    await c.page.locator(".msg-agent", { hasText: "hello from the agent" }).waitFor(WAIT);

    // Typing indicators both ways, and delivered/read marks on one's own messages.
    await cBox.pressSequentially("typing a", { delay: 20 });
    await a.page.getByText("Carla is typing…").waitFor(WAIT);
    await cBox.fill("");
    await aBox.pressSequentially("typing b", { delay: 20 });
    await c.page.getByText(/is typing…/).waitFor(WAIT);
    await aBox.fill("");
    await expect.poll(() => c.page.locator(".msg-customer .msg-receipt").textContent(), WAIT).toBe("Read");
    await expect.poll(() => agentLog.textContent(), WAIT).toMatch(/Delivered|Read/);

    // A reload shows the whole conversation.
    await c.page.reload();
    await c.page.locator(".msg-customer", { hasText: "hello from the customer" }).waitFor(WAIT);
    await c.page.locator(".msg-agent", { hasText: "hello from the agent" }).waitFor(WAIT);
    expect(await c.page.locator("li[data-seq]").count()).toBe(2);

    // The agent asks; the customer consents and shares.
    await a.page.getByRole("button", { name: "Request screen sharing" }).click(WAIT);
    await expect
      .poll(() => a.page.locator(".share-status").textContent(), WAIT)
      .toContain("Asked the customer to share");
    await c.page.getByRole("heading", { name: "The agent asks to see your screen" }).waitFor(WAIT);
    await c.page.getByRole("button", { name: "Share my screen" }).click(WAIT);
    await c.page.getByText("Your screen is being shared").waitFor(WAIT);

    const video = a.page.getByLabel("Customer's screen");
    await video.waitFor(WAIT);
    await expect
      .poll(() => video.evaluate((v) => (v as HTMLVideoElement).videoWidth), { timeout: 15_000 })
      .toBeGreaterThan(0);
    await expect
      .poll(() => a.page.locator(".share-status").textContent(), WAIT)
      .toContain("is sharing their screen");

    // The agent points; the customer sees the marker.
    await video.click({ position: { x: 60, y: 40 }, ...WAIT });
    const marker = c.page.getByLabel("Agent's pointer");
    await marker.waitFor({ state: "visible", ...WAIT });
    await screenshot(c.page, "share-customer");
    await screenshot(a.page, "share-agent");
    expect(await axeViolations(c.page)).toEqual([]);
    expect(await axeViolations(a.page)).toEqual([]);

    // The chat goes on while sharing.
    await cBox.fill("can you see it?");
    await cBox.press("Enter");
    await expect.poll(() => agentLog.textContent(), WAIT).toContain("can you see it?");

    // The customer stops; both are told; the chat goes on.
    await c.page.getByRole("button", { name: "Stop sharing" }).click(WAIT);
    await c.page.getByText("You stopped sharing your screen.").waitFor(WAIT);
    await expect
      .poll(() => a.page.locator(".share-status").textContent(), WAIT)
      .toContain("Screen sharing stopped.");
    expect(await video.count()).toBe(0);
    expect(await c.page.getByText("Your screen is being shared").count()).toBe(0);
    await aBox.fill("thanks, all clear");
    await aBox.press("Enter");
    await c.page.locator(".msg-agent", { hasText: "thanks, all clear" }).waitFor(WAIT);

    // Share again; this time the agent stops viewing.
    await a.page.getByRole("button", { name: "Request screen sharing" }).click(WAIT);
    await c.page.getByRole("button", { name: "Share my screen" }).click(WAIT);
    await a.page.getByLabel("Customer's screen").waitFor(WAIT);
    await a.page.getByRole("button", { name: "Stop viewing" }).click(WAIT);
    await c.page.getByText("The agent stopped viewing your screen.").waitFor(WAIT);
    expect(await c.page.getByText("Your screen is being shared").count()).toBe(0);

    // Declining is told too.
    await a.page.getByRole("button", { name: "Request screen sharing" }).click(WAIT);
    await c.page.getByRole("button", { name: "Not now" }).click(WAIT);
    await expect.poll(() => a.page.locator(".share-status").textContent(), WAIT).toContain("did not share");

    // The agent ends; fills the end-of-session form.
    await a.page.getByRole("button", { name: "End session" }).click(WAIT);
    await c.page.getByRole("heading", { name: "The session has ended" }).waitFor(WAIT);
    const form = a.page.getByRole("form", { name: "End-of-session form" });
    await form.getByLabel("Resolved", { exact: true }).check(WAIT);
    await form.getByLabel("Notes").fill("Display driver reinstalled.");
    await form.getByLabel("Ticket number (optional)").fill("T-4711");
    await form.getByRole("button", { name: "Save" }).click(WAIT);
    await expect.poll(() => form.getByRole("status").textContent(), WAIT).toBe("Saved.");
    expect(await axeViolations(a.page)).toEqual([]);
    const agentTxt = a.page.getByRole("link", { name: "Transcript (text)" });
    const agentText = await a.page.evaluate(
      async (url) => (await fetch(url)).text(),
      (await agentTxt.getAttribute("href")) ?? "",
    );
    expect(agentText).toContain("thanks, all clear");

    // The customer answers the survey, once, and can download the conversation.
    const survey = c.page.getByRole("form", { name: "How did we do?" });
    await survey.getByLabel("4", { exact: true }).check(WAIT);
    await survey.getByLabel("Comment").fill("Quick and friendly");
    await survey.getByRole("button", { name: "Send" }).click(WAIT);
    await c.page.getByText("Thank you for your feedback!").waitFor(WAIT);
    expect(await axeViolations(c.page)).toEqual([]);
    const txtLink = c.page.getByRole("link", { name: "Download the conversation (text)" });
    const href = (await txtLink.getAttribute("href")) ?? "";
    const text = await c.page.evaluate(async (url) => (await fetch(url)).text(), href);
    expect(text).toContain("hello from the customer");
    await c.page.reload();
    await c.page.getByText("Thank you for your feedback!").waitFor(WAIT);
    expect(await c.page.getByRole("form", { name: "How did we do?" }).count()).toBe(0);

    // History shows the ended session with outcome, duration, rating and transcript.
    await a.page.reload();
    const ended = a.page.getByRole("region", { name: "Ended sessions" });
    const row = ended.getByRole("row", { name: /Carla/ });
    await row.waitFor(WAIT);
    const rowText = (await row.textContent()) ?? "";
    expect(rowText).toContain("Resolved");
    expect(rowText).toContain("4 of 5");
    expect(rowText).toContain("Quick and friendly");
    expect(await row.getByRole("link", { name: "TXT" }).count()).toBe(1);
  });

  it("direct connection mode opens on the consent panel, with the chat beside it", async () => {
    const a = await agent();
    const c = await customerAsks("sh-direct", "Dora", "Please look at my screen");
    await accept(a.page, "Dora");
    await c.page.getByRole("heading", { name: "The agent asks to see your screen" }).waitFor(WAIT);
    expect(await c.page.getByLabel("Your message").count()).toBe(1);
    await c.page.getByRole("button", { name: "Share my screen" }).click(WAIT);
    const video = a.page.getByLabel("Customer's screen");
    await expect
      .poll(() => video.evaluate((v) => (v as HTMLVideoElement).videoWidth), { timeout: 15_000 })
      .toBeGreaterThan(0);

    // Reloading the page ends sharing, said as "stopped"; direct mode asks again.
    await c.page.reload();
    await expect
      .poll(() => a.page.locator(".share-status").textContent(), WAIT)
      .toContain("Screen sharing stopped.");
    await c.page.getByRole("heading", { name: "The agent asks to see your screen" }).waitFor(WAIT);
    await c.page.getByRole("button", { name: "Not now" }).click(WAIT);
    await expect.poll(() => a.page.locator(".share-status").textContent(), WAIT).toContain("did not share");

    await a.page.getByRole("button", { name: "End session" }).click(WAIT);
    await c.page.getByRole("heading", { name: "The session has ended" }).waitFor(WAIT);
  });
});
