import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { insertNewPortal } from "../../src/server/commands/portals.js";
import type { Account, User } from "../../src/shared/api.js";
import type { SessionMember, TransferView } from "../../src/shared/protocol.js";
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
 * Screen sharing to several agents at once (issue 11): the owner asks, the customer shares, and an
 * invited colleague (who accepted over REST) and a supervisor who starts monitoring later each get
 * the picture over a connection of their own. A colleague's reloaded console gets it again. After a
 * transfer the share stops for everyone, and the customer is told why.
 */
describe.skipIf(!inject("chromium"))("screen sharing with colleagues and a supervisor", () => {
  let live: LiveServer;
  let browser: Browser;
  let base: string;
  let account: Account;
  let admin: User;
  let ada: User;
  let ben: User;
  let cleo: User;
  const WAIT = { timeout: 10_000 };
  const VIDEO = { timeout: 20_000 };

  beforeAll(async () => {
    live = await startLiveServer();
    base = live.baseUrl;
    browser = await launchBrowser();
    const seeded = await seedAccount(live.app, "team-share", "web");
    account = seeded.account;
    admin = seeded.admin;
    ada = await seedUser(live.app, account.id, "ada@team-share.test.example", "agent");
    ben = await seedUser(live.app, account.id, "ben@team-share.test.example", "agent");
    cleo = await seedUser(live.app, account.id, "cleo@team-share.test.example", "agent");
    await live.app.deps.db.kysely
      .transaction()
      .execute((trx) =>
        insertNewPortal(
          trx,
          account,
          { slug: "ts-chat", type: "question", name: "Team share", agentIds: [ada.id] },
          Date.now(),
        ),
      );
  });

  afterAll(async () => {
    await browser?.close();
    await live?.close();
  });

  const people: Person[] = [];

  afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close().catch(() => {});
  });

  async function console_(who: User, available: boolean): Promise<Page> {
    const p = await newPerson(browser);
    people.push(p);
    await p.page.goto(`${base}/console`);
    await p.page.getByLabel("Email").fill(who.email);
    await p.page.getByLabel("Password").fill(PASSWORD);
    await p.page.getByRole("button", { name: "Sign in", exact: true }).click();
    const toggle = p.page.getByRole("switch", { name: "Available" });
    await toggle.waitFor(WAIT);
    if (available) {
      await toggle.check();
      await p.page.locator(".availability.is-on").waitFor(WAIT);
    }
    return p.page;
  }

  /** A JSON call from that person's page, as the console would make it (their cookie, same origin). */
  async function rest<T>(page: Page, method: "POST" | "DELETE", url: string, body?: unknown): Promise<T> {
    const answer = await page.evaluate(
      async ({ method, url, body }) => {
        const res = await fetch(`/api/v1${url}`, {
          method,
          credentials: "same-origin",
          headers:
            body === undefined
              ? { accept: "application/json" }
              : { accept: "application/json", "content-type": "application/json" },
          body: body === undefined ? null : JSON.stringify(body),
        });
        const text = await res.text();
        return { status: res.status, text };
      },
      { method, url, body },
    );
    if (answer.status >= 300) throw new Error(`${method} ${url}: ${answer.status} ${answer.text}`);
    return (answer.text ? JSON.parse(answer.text) : null) as T;
  }

  /** The customer's browser, counting every RTCPeerConnection its page makes. */
  async function customerAsks(name: string, question: string): Promise<Page> {
    const p = await newPerson(browser);
    people.push(p);
    await p.context.addInitScript(() => {
      const Native = window.RTCPeerConnection;
      const made: RTCPeerConnection[] = [];
      (window as unknown as { madePeerConnections: RTCPeerConnection[] }).madePeerConnections = made;
      window.RTCPeerConnection = class extends Native {
        constructor(config?: RTCConfiguration) {
          super(config);
          made.push(this);
        }
      };
    });
    await p.page.goto(`${base}/p/ts-chat`);
    await p.page.getByLabel("Your name").fill(name);
    await p.page.getByLabel("Your question").fill(question);
    await p.page.getByRole("button", { name: "Send question" }).click();
    await p.page.waitForURL(/\/r\/[^/]+$/, WAIT);
    return p.page;
  }

  /** The customer's open connections, each with the video bytes it has sent so far. */
  function customerConnections(page: Page): Promise<{ state: string; bytesSent: number }[]> {
    return page.evaluate(async () => {
      const made = (window as unknown as { madePeerConnections: RTCPeerConnection[] }).madePeerConnections;
      const out: { state: string; bytesSent: number }[] = [];
      for (const pc of made) {
        if (pc.signalingState === "closed") continue;
        let bytesSent = 0;
        (await pc.getStats()).forEach((r: { type: string; kind?: string; bytesSent?: number }) => {
          if (r.type === "outbound-rtp" && r.kind === "video") bytesSent += r.bytesSent ?? 0;
        });
        out.push({ state: pc.connectionState, bytesSent });
      }
      return out;
    });
  }

  const videoWidth = (page: Page) =>
    page
      .getByLabel("Customer's screen")
      .evaluate((v) => (v as HTMLVideoElement).videoWidth)
      .catch(() => 0);

  /** The session's tab in a console (the customer's name is its label). */
  const sessionTab = (page: Page, name: string) => page.getByRole("tab", { name: new RegExp(name) });

  it("the screen goes to the owner, an invited colleague and a supervisor, and stops on a transfer", async () => {
    const a = await console_(ada, true);
    const b = await console_(ben, true);
    const c2 = await console_(cleo, true);
    const sup = await console_(admin, false);
    const c = await customerAsks("Carla", "My screen looks odd");

    // Ada accepts; the customer chats with her.
    const popup = a.getByRole("alertdialog", { name: /Carla/ });
    await popup.getByRole("button", { name: "Accept" }).click(WAIT);
    await sessionTab(a, "Carla").waitFor(WAIT);
    await c.getByRole("heading", { name: /is with you/ }).waitFor(WAIT);
    const sessionId = new URL(c.url()).pathname.split("/")[2] ?? "";

    // Ada invites Ben; Ben accepts over REST and the session opens in his console.
    const invited = await rest<SessionMember[]>(a, "POST", `/sessions/${sessionId}/invitations`, {
      agentIds: [ben.id],
    });
    const invitation = invited.find((m) => m.userId === ben.id);
    expect(invitation).toBeDefined();
    await rest(b, "POST", `/invitations/${invitation?.id ?? ""}/accept`);
    await sessionTab(b, "Carla").waitFor(WAIT);
    await c.locator(".msg-system", { hasText: "ben joined the conversation" }).waitFor(WAIT);

    // Ben speaks too: the customer sees who says what.
    const benBox = b.getByLabel("Message to Carla");
    await benBox.fill("Ben here, I am helping Ada.");
    await benBox.press("Enter");
    const benLine = c.locator(".msg-agent", { hasText: "Ben here, I am helping Ada." });
    await benLine.waitFor(WAIT);
    expect(await benLine.locator(".msg-author").textContent()).toBe("ben");

    // Only the owner asks; the customer shares.
    expect(await b.getByRole("button", { name: "Request screen sharing" }).count()).toBe(0);
    await a.getByRole("button", { name: "Request screen sharing" }).click(WAIT);
    await c.getByRole("button", { name: "Share my screen" }).click(WAIT);
    await c.getByText("Your screen is being shared").waitFor(WAIT);

    // Owner and colleague each receive frames, over a connection each.
    await expect.poll(() => videoWidth(a), VIDEO).toBeGreaterThan(0);
    await expect.poll(() => videoWidth(b), VIDEO).toBeGreaterThan(0);
    await expect
      .poll(async () => (await customerConnections(c)).filter((x) => x.state === "connected").length, VIDEO)
      .toBe(2);

    // A supervisor who starts monitoring while the screen is shared sees it as well.
    await rest(sup, "POST", `/sessions/${sessionId}/monitor`);
    await sessionTab(sup, "Carla").waitFor(WAIT);
    await expect.poll(() => videoWidth(sup), VIDEO).toBeGreaterThan(0);
    await expect
      .poll(async () => (await customerConnections(c)).filter((x) => x.bytesSent > 0).length, VIDEO)
      .toBe(3);
    // Viewers cannot point or stop the share for everyone.
    expect(await sup.getByRole("button", { name: "Request screen sharing" }).count()).toBe(0);
    await screenshot(b, "team-share-colleague");

    // Ben's console reloads: it asks again and gets a fresh picture; nobody else's changes.
    await b.reload();
    await sessionTab(b, "Carla").waitFor(WAIT);
    await expect.poll(() => videoWidth(b), VIDEO).toBeGreaterThan(0);
    await expect
      .poll(async () => (await customerConnections(c)).filter((x) => x.state === "connected").length, VIDEO)
      .toBe(3);
    expect(await videoWidth(a)).toBeGreaterThan(0);

    // Ada transfers to Cleo, who accepts over REST: the share stops on every side, with the reason.
    const transfer = await rest<TransferView>(a, "POST", `/sessions/${sessionId}/transfer`, {
      toAgentId: cleo.id,
    });
    await rest(c2, "POST", `/transfers/${transfer.id}/accept`);
    await c.getByText("Screen sharing stopped: the conversation moved to another agent.").waitFor(WAIT);
    await c.locator(".msg-system", { hasText: "You are now talking to cleo" }).waitFor(WAIT);
    await c.getByRole("heading", { name: "cleo is with you" }).waitFor(WAIT);
    expect(await c.getByText("Your screen is being shared").count()).toBe(0);
    await expect.poll(async () => (await customerConnections(c)).length, WAIT).toBe(0);
    for (const agentPage of [a, b, sup]) {
      await expect.poll(() => agentPage.getByLabel("Customer's screen").count(), WAIT).toBe(0);
    }
    // Those still in the session are told why.
    for (const agentPage of [b, sup]) {
      await expect
        .poll(() => agentPage.locator(".share-status").textContent(), WAIT)
        .toContain("Screen sharing stopped: the session went to another agent.");
    }
    await sessionTab(c2, "Carla").waitFor(WAIT);
    await screenshot(c, "team-share-customer-after-transfer");

    // The new owner can ask again; the customer consents again.
    await c2.getByRole("button", { name: "Request screen sharing" }).click(WAIT);
    await c.getByRole("button", { name: "Share my screen" }).click(WAIT);
    await expect.poll(() => videoWidth(c2), VIDEO).toBeGreaterThan(0);
    // Ben is still in the session, and watches again on his own.
    await expect.poll(() => videoWidth(b), VIDEO).toBeGreaterThan(0);
    await c.getByRole("button", { name: "Stop sharing" }).click(WAIT);
    await c.getByText("You stopped sharing your screen.").waitFor(WAIT);
    await expect.poll(async () => (await customerConnections(c)).length, WAIT).toBe(0);
  });
});
