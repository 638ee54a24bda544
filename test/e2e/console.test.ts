import axe from "axe-core";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { insertNewPortal } from "../../src/server/commands/portals.js";
import type { Account, User } from "../../src/shared/api.js";
import type { Mode, PortalType } from "../../src/shared/model.js";
import type { AgentServerMessage, ConsoleSnapshot } from "../../src/shared/protocol.js";
import { PASSWORD, seedAccount, seedUser } from "../support/app.js";
import {
  type LiveServer,
  launchBrowser,
  newPerson,
  type Person,
  screenshot,
  startLiveServer,
} from "../support/browser.js";
import { SocketClient } from "../support/ws.js";

/**
 * The agent console in real Chromium against the real server: sign-in, availability, alerts,
 * accept races, chat, a dropped connection, codes, languages, accessibility and CSP.
 */
describe.skipIf(!inject("chromium"))("agent console (/console)", () => {
  let live: LiveServer;
  let browser: Browser;
  let base: string;
  let web: Account;
  let ada: User;
  let bob: User;
  let phoneAgent: User;
  const cspViolations: string[] = [];

  async function portal(account: Account, slug: string, type: PortalType, agentIds: string[]) {
    await live.app.deps.db.kysely
      .transaction()
      .execute((trx) =>
        insertNewPortal(trx, account, { slug, type, name: `Portal ${slug}`, agentIds }, Date.now()),
      );
  }

  async function seed(tag: string, mode: Mode) {
    return seedAccount(live.app, tag, mode);
  }

  beforeAll(async () => {
    live = await startLiveServer();
    base = live.baseUrl;
    browser = await launchBrowser();
    web = (await seed("console-web", "web")).account;
    ada = await seedUser(live.app, web.id, "ada@console.test.example", "agent");
    bob = await seedUser(live.app, web.id, "bob@console.test.example", "agent");
    await portal(web, "con-question", "question", [ada.id, bob.id]);
    await portal(web, "con-pick", "pick-agent", [ada.id, bob.id]);
    const phone = (await seed("console-phone", "phone")).account;
    phoneAgent = await seedUser(live.app, phone.id, "cleo@console.test.example", "agent");
    await portal(phone, "con-code", "code", [phoneAgent.id]);
  });

  afterAll(async () => {
    await browser?.close();
    await live?.close();
  });

  // ── helpers ────────────────────────────────────────────────────────────────
  async function person(opts: { locale?: string; width?: number } = {}): Promise<Person> {
    const p = await newPerson(browser, opts);
    await p.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
    p.page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    await p.page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) => {
        console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    return p;
  }

  async function signIn(page: Page, email: string): Promise<void> {
    await page.goto(`${base}/console`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("switch", { name: "Available" }).waitFor();
  }

  async function goAvailable(page: Page): Promise<void> {
    const toggle = page.getByRole("switch", { name: "Available" });
    await toggle.check();
    await expect.poll(() => toggle.isChecked()).toBe(true);
    await page.locator(".availability.is-on").waitFor();
  }

  interface Ticket {
    requestId: string;
    sessionNumber: string;
    cookie: string;
  }

  async function customerPost(path: string, body: unknown, cookie = ""): Promise<Response> {
    return fetch(`${base}${path}`, {
      method: "POST",
      headers: { origin: base, "content-type": "application/json", ...(cookie ? { cookie } : {}) },
      body: JSON.stringify(body),
    });
  }

  async function ticketOf(res: Response): Promise<Ticket> {
    if (res.status !== 201) throw new Error(`customer call failed: ${res.status} ${await res.text()}`);
    const { requestId, sessionNumber } = (await res.json()) as { requestId: string; sessionNumber: string };
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    return { requestId, sessionNumber, cookie };
  }

  async function ask(
    name: string,
    question: string,
    slug = "con-question",
    agentId?: string,
  ): Promise<Ticket> {
    return ticketOf(
      await customerPost(`/api/v1/portals/${slug}/requests`, { values: { name, question }, agentId }),
    );
  }

  async function say(t: Ticket, body: string): Promise<void> {
    const res = await customerPost(`/api/v1/customer/requests/${t.requestId}/messages`, { body }, t.cookie);
    expect(res.status).toBe(201);
  }

  async function transcript(t: Ticket): Promise<string[]> {
    const res = await fetch(`${base}/api/v1/customer/requests/${t.requestId}/messages`, {
      headers: { cookie: t.cookie },
    });
    return ((await res.json()) as { body: string }[]).map((m) => m.body);
  }

  /** Sign-ins are rate limited per address (and every test runs from 127.0.0.1): one each, kept. */
  const cookies = new Map<string, string>();
  async function apiCookie(email: string): Promise<string> {
    const known = cookies.get(email);
    if (known) return known;
    const res = await fetch(`${base}/api/v1/auth/login`, {
      method: "POST",
      headers: { origin: base, "content-type": "application/json" },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(res.status).toBe(200);
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    cookies.set(email, cookie);
    return cookie;
  }

  async function acceptAs(cookie: string, requestId: string): Promise<number> {
    const res = await fetch(`${base}/api/v1/requests/${requestId}/accept`, {
      method: "POST",
      headers: { origin: base, cookie },
    });
    return res.status;
  }

  async function snapshotOf(cookie: string): Promise<ConsoleSnapshot> {
    const res = await fetch(`${base}/api/v1/console`, { headers: { cookie } });
    return (await res.json()) as ConsoleSnapshot;
  }

  function incomingRow(page: Page, name: RegExp) {
    return page.getByRole("region", { name: "Incoming" }).getByRole("row", { name });
  }

  async function axeViolations(page: Page): Promise<string[]> {
    // Evaluated through the DevTools protocol, which the page's CSP does not govern.
    await page.evaluate(axe.source);
    const result = await page.evaluate(async () => {
      const w = window as unknown as { axe: { run: (ctx: Document) => Promise<{ violations: unknown[] }> } };
      return w.axe.run(document);
    });
    return (result.violations as { id: string; nodes: { target: string[] }[] }[]).map(
      (v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
    );
  }

  /** Ends every open session of an agent, so the next test starts from a clean console. */
  async function endAll(cookie: string): Promise<void> {
    for (const s of (await snapshotOf(cookie)).sessions) {
      await fetch(`${base}/api/v1/sessions/${s.id}/end`, {
        method: "POST",
        headers: { origin: base, cookie },
      });
    }
  }

  // ── tests ──────────────────────────────────────────────────────────────────
  it("signs in with clear errors (lockout included), is accessible, and sets the agent available", async () => {
    const { page, context } = await person();
    await page.goto(`${base}/console`);
    await expect(
      page.getByRole("heading", { name: "Sign in to the agent console" }).isVisible(),
    ).resolves.toBe(true);
    expect(await axeViolations(page)).toEqual([]);
    const signInButton = page.getByRole("button", { name: "Sign in", exact: true });
    const error = page.getByRole("alert");
    await signInButton.click();
    await expect.poll(() => error.textContent()).toBe("Enter your email address.");

    // Five wrong passwords lock the user out, and the console says for how long.
    const victim = await seedUser(live.app, web.id, "lockme@console.test.example", "agent");
    await page.getByLabel("Email").fill(victim.email);
    const attempt = async (password: string) => {
      await page.getByLabel("Password").fill(password);
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith("/api/v1/auth/login")),
        signInButton.click(),
      ]);
      return res.status();
    };
    for (let i = 1; i <= 4; i++) {
      expect(await attempt(`wrong-password-${i}`)).toBe(401);
      await expect.poll(() => error.textContent()).toBe("Email or password is wrong.");
    }
    expect(await attempt("wrong-password-5")).toBe(429);
    await expect
      .poll(() => error.textContent())
      .toBe("Too many failed sign-ins for this account. Try again in 15 min.");
    expect(await page.getByLabel("Password").getAttribute("aria-invalid")).toBe("true");

    await page.getByLabel("Email").fill(ada.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    const toggle = page.getByRole("switch", { name: "Available" });
    await toggle.waitFor();
    expect(await toggle.isChecked()).toBe(false);
    await goAvailable(page);
    const cookie = await apiCookie(ada.email);
    expect((await snapshotOf(cookie)).available).toBe(true);
    await toggle.uncheck();
    await expect.poll(async () => (await snapshotOf(cookie)).available).toBe(false);

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to the agent console" }).waitFor();
    await context.close();
  });

  it("tells an operator there is no console for them", async () => {
    const { page, context } = await person();
    const operator = await seedUser(live.app, null, "op@console.test.example", "operator");
    await page.goto(`${base}/console`);
    await page.getByLabel("Email").fill(operator.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("heading", { name: "Operators have no console" }).waitFor();
    await expect(page.getByRole("link", { name: "Open the admin pages" }).getAttribute("href")).resolves.toBe(
      "/admin",
    );
    await context.close();
  });

  it("alerts with a pop-up and an Incoming row, accepts into a session tab, and chats both ways", async () => {
    const { page, context } = await person();
    await signIn(page, ada.email);
    await goAvailable(page);

    const carla = await ask("Carla", "My printer is on fire");
    const popup = page.getByRole("alertdialog", { name: /Carla/ });
    await popup.waitFor();
    expect(await popup.textContent()).toContain("My printer is on fire");
    expect(await popup.getAttribute("class")).toContain("alert-broadcast");
    const row = incomingRow(page, /Carla/);
    await row.waitFor();
    const formatted = carla.sessionNumber.replace(/^(\d{3})(\d{3})(\d{3})$/, "$1 $2 $3");
    expect(await row.textContent()).toContain(formatted);
    expect(await row.textContent()).toContain("My printer is on fire");
    await expect.poll(() => page.title()).toBe("(1) Helpgate console");

    // A row click shows its details.
    await row.click();
    const details = page.getByRole("region", { name: "Details" });
    await expect.poll(() => details.textContent()).toContain(`Request ${formatted}`);
    await screenshot(page, "e2e-console-alert");
    expect(await axeViolations(page)).toEqual([]);

    await popup.getByRole("button", { name: "Accept" }).click();
    const tab = page.getByRole("tab", { name: /Carla/ });
    await tab.waitFor();
    expect(await tab.getAttribute("aria-selected")).toBe("true");
    // Focus lands in the new session's message box, not on the page's body.
    await expect
      .poll(() =>
        page.evaluate(
          () => document.activeElement?.getAttribute("aria-label") ?? document.activeElement?.id ?? "",
        ),
      )
      .toMatch(/^(Message to Carla|compose-)/);
    await popup.waitFor({ state: "detached" });
    await row.waitFor({ state: "detached" });
    await expect.poll(() => page.title()).toBe("Helpgate console");
    expect(await page.getByRole("region", { name: "In session" }).textContent()).toContain("Carla");

    // Customer → agent, rendered as text (never HTML).
    await say(carla, "hello agent <img src=x onerror=alert(1)>");
    const log = page.getByRole("log", { name: "Messages with Carla" });
    await expect.poll(() => log.textContent()).toContain("hello agent <img src=x onerror=alert(1)>");
    expect(await log.locator("img").count()).toBe(0);

    // Agent → customer, Enter sends, acknowledged as sent.
    const box = page.getByLabel("Message to Carla");
    await box.fill("hello customer, see https://example.com/help");
    await box.press("Enter");
    await expect.poll(() => transcript(carla)).toContain("hello customer, see https://example.com/help");
    await expect.poll(() => log.getByText("hello customer").count()).toBe(1);
    await expect.poll(() => log.getByText("Sent").count()).toBeGreaterThan(0);
    expect(await log.getByRole("link", { name: "https://example.com/help" }).getAttribute("rel")).toContain(
      "noopener",
    );
    expect(await box.inputValue()).toBe("");
    await screenshot(page, "e2e-console-session");
    expect(await axeViolations(page)).toEqual([]);

    await page.getByRole("button", { name: "End session" }).click();
    await expect.poll(() => log.textContent()).toContain("You ended the session.");
    await page.getByRole("button", { name: "Close tab" }).click();
    await tab.waitFor({ state: "detached" });
    const history = page.getByRole("region", { name: "History & statistics" });
    await expect.poll(() => history.textContent()).toMatch(/Carla[\s\S]*Ended/);
    await context.close();
  });

  it("closes the pop-up and row within a second when another agent accepts; a late Accept says who took it", async () => {
    const { page, context } = await person();
    /** Request IDs whose updates the console must not hear about (a slow network, simulated). */
    const muted = new Set<string>();
    await page.routeWebSocket(/\/ws$/, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((message) => {
        const text = typeof message === "string" ? message : message.toString("utf8");
        if (text.includes('"request.updated"') && [...muted].some((id) => text.includes(id))) return;
        ws.send(message);
      });
    });
    await signIn(page, ada.email);
    await goAvailable(page);
    const bobCookie = await apiCookie(bob.email);

    const dora = await ask("Dora", "Where is my parcel?");
    const popup = page.getByRole("alertdialog", { name: /Dora/ });
    await popup.waitFor();
    const row = incomingRow(page, /Dora/);
    await row.waitFor();
    expect(await acceptAs(bobCookie, dora.requestId)).toBe(200);
    const started = Date.now();
    await popup.waitFor({ state: "detached", timeout: 1000 });
    await row.waitFor({ state: "detached", timeout: 1000 });
    expect(Date.now() - started).toBeLessThan(1000);

    // The update is lost on the way: Accept is pressed on a request already taken.
    const emil = await ask("Emil", "Refund please");
    muted.add(emil.requestId);
    const late = page.getByRole("alertdialog", { name: /Emil/ });
    await late.waitFor();
    expect(await acceptAs(bobCookie, emil.requestId)).toBe(200);
    await page.waitForTimeout(300);
    expect(await late.isVisible()).toBe(true);
    await late.getByRole("button", { name: "Accept" }).click();
    const alert = page.getByRole("alert").filter({ hasText: "Already taken by" });
    await expect.poll(() => alert.textContent()).toContain(`Already taken by ${bob.displayName}.`);
    await late.waitFor({ state: "detached" });
    await incomingRow(page, /Emil/).waitFor({ state: "detached" });
    await endAll(bobCookie);
    await context.close();
  });

  it("targeted requests are green and show the time left to answer; Decline ends them", async () => {
    const { page, context } = await person();
    await signIn(page, ada.email);
    await goAvailable(page);
    const fay = await ask("Fay", "", "con-pick", ada.id);
    const popup = page.getByRole("alertdialog", { name: /Fay/ });
    await popup.waitFor();
    expect(await popup.getAttribute("class")).toContain("alert-targeted");
    expect(await popup.textContent()).toMatch(/0:\d\d left to answer/);
    expect(await incomingRow(page, /Fay/).textContent()).toMatch(/0:\d\d left/);
    await popup.getByRole("button", { name: "Decline" }).click();
    const incoming = page.getByRole("region", { name: "Incoming" });
    await incoming.getByRole("row", { name: /Fay/ }).waitFor({ state: "detached" });
    await popup.waitFor({ state: "detached" });
    const history = page.getByRole("region", { name: "History & statistics" });
    await expect.poll(() => history.getByRole("row", { name: /Fay/ }).textContent()).toContain("Declined");
    const status = await fetch(`${base}/api/v1/customer/requests/${fay.requestId}`, {
      headers: { cookie: fay.cookie },
    });
    expect(((await status.json()) as { state: string }).state).toBe("declined");
    await context.close();
  });

  it("a pop-up closes itself after 30 s while the request stays in Incoming; several stack", async () => {
    const { page, context } = await person();
    await page.clock.install();
    await signIn(page, ada.email);
    await goAvailable(page);
    await ask("Vera", "First of two");
    await ask("Walt", "Second of two");
    await page.getByRole("alertdialog", { name: /Vera/ }).waitFor();
    await page.getByRole("alertdialog", { name: /Walt/ }).waitFor();
    await page.clock.fastForward(31_000);
    await page.getByRole("alertdialog", { name: /Vera/ }).waitFor({ state: "detached" });
    await page.getByRole("alertdialog", { name: /Walt/ }).waitFor({ state: "detached" });
    await incomingRow(page, /Vera/).waitFor();
    expect(await incomingRow(page, /Vera/).textContent()).toMatch(/0:3\d waited/);
    const cookie = await apiCookie(ada.email);
    for (const r of (await snapshotOf(cookie)).incoming.filter((x) => /Vera|Walt/.test(x.customerName))) {
      expect(await acceptAs(cookie, r.id)).toBe(200);
    }
    await endAll(cookie);
    await context.close();
  });

  it("survives a dropped connection and afterwards shows exactly the server's lists", async () => {
    const { page, context } = await person();
    await signIn(page, ada.email);
    await goAvailable(page);
    const bobCookie = await apiCookie(bob.email);

    const gus = await ask("Gus", "Canceled while you were away");
    const hana = await ask("Hana", "Taken by Bob while you were away");
    await incomingRow(page, /Gus/).waitFor();
    await incomingRow(page, /Hana/).waitFor();

    // An open session whose chat goes on while the agent is offline.
    const ivo = await ask("Ivo", "Chat across the gap");
    await page.getByRole("alertdialog", { name: /Ivo/ }).getByRole("button", { name: "Accept" }).click();
    await page.getByRole("tab", { name: /Ivo/ }).waitFor();
    await say(ivo, "before the gap");
    const log = page.getByRole("log", { name: "Messages with Ivo" });
    await expect.poll(() => log.textContent()).toContain("before the gap");

    await context.setOffline(true);
    const banner = page.getByRole("status").filter({ hasText: "Reconnecting" });
    await banner.waitFor({ timeout: 5000 });
    await screenshot(page, "e2e-console-reconnecting");

    // Meanwhile: one customer cancels, Bob takes another, a new request arrives (Bob is online),
    // and the customer in the open session writes twice.
    const bobWs = await SocketClient.connect<AgentServerMessage>(`${base.replace("http", "ws")}/ws`, {
      cookie: bobCookie,
      origin: base,
    });
    await bobWs.next((m) => m.type === "snapshot");
    const avail = await fetch(`${base}/api/v1/console/availability`, {
      method: "PUT",
      headers: { cookie: bobCookie, origin: base, "content-type": "application/json" },
      body: JSON.stringify({ available: true }),
    });
    expect(avail.status).toBe(200);
    expect(
      (await customerPost(`/api/v1/customer/requests/${gus.requestId}/cancel`, {}, gus.cookie)).status,
    ).toBe(200);
    expect(await acceptAs(bobCookie, hana.requestId)).toBe(200);
    await ask("Jo", "Arrived while you were away");
    await say(ivo, "during the gap 1");
    await say(ivo, "during the gap 2");
    // Still offline: nothing of it has reached the page.
    expect(await incomingRow(page, /Gus/).count()).toBe(1);

    await context.setOffline(false);
    await banner.waitFor({ state: "detached", timeout: 15_000 });
    const incoming = page.getByRole("region", { name: "Incoming" });
    await incomingRow(page, /Jo\b/).waitFor();
    expect(await incoming.getByRole("row", { name: /Gus/ }).count()).toBe(0);
    expect(await incoming.getByRole("row", { name: /Hana/ }).count()).toBe(0);
    const adaCookie = await apiCookie(ada.email);
    const server = await snapshotOf(adaCookie);
    const rows = await incoming.locator("tbody tr").count();
    expect(rows).toBe(server.incoming.length);
    // The missed chat messages, each exactly once.
    await expect.poll(() => log.textContent()).toContain("during the gap 2");
    const text = (await log.textContent()) ?? "";
    expect(text.split("during the gap 1").length - 1).toBe(1);
    expect(text.split("before the gap").length - 1).toBe(1);
    // History knows the cancel.
    const history = page.getByRole("region", { name: "History & statistics" });
    await expect.poll(() => history.textContent()).toMatch(/Gus[\s\S]*Canceled/);

    // A message typed while offline is delivered once the connection is back.
    await context.setOffline(true);
    await banner.waitFor({ timeout: 5000 });
    const box = page.getByLabel("Message to Ivo");
    await box.fill("typed during the gap");
    await box.press("Enter");
    expect(await log.getByText("Sending…").count()).toBe(1);
    await context.setOffline(false);
    await expect.poll(() => transcript(ivo), { timeout: 15_000 }).toContain("typed during the gap");
    await expect.poll(() => log.getByText("typed during the gap").count()).toBe(1);
    expect((await transcript(ivo)).filter((b) => b === "typed during the gap")).toHaveLength(1);

    await bobWs.close();
    await endAll(adaCookie);
    await endAll(bobCookie);
    await context.close();
  });

  it("manages session codes: create, countdown, copy, the 8-code limit, cancel, and a customer joining", async () => {
    const { page, context } = await person();
    await signIn(page, phoneAgent.email);
    const codes = page.getByRole("region", { name: "Session codes" });
    const name = page.getByLabel("Customer name");
    const create = page.getByRole("button", { name: "Create code" });
    await create.click();
    await expect
      .poll(() => codes.getByRole("alert").textContent())
      .toContain("Enter the customer's name first.");

    const names = ["Kim", "Lee", "Max", "Ned", "Ola", "Pia", "Quin", "Rex"];
    for (const n of names) {
      await name.fill(n);
      await create.click();
      await codes.getByRole("row", { name: new RegExp(`\\b${n}\\b`) }).waitFor();
    }
    const kim = codes.getByRole("row", { name: /\bKim\b/ });
    const cells = await kim.getByRole("cell").allInnerTexts();
    expect(cells[0]).toMatch(/^\d{3} \d{3} \d{3}$/);
    expect(cells.some((c) => /^(19|20):\d\d$/.test(c.trim()))).toBe(true);

    await name.fill("Sam");
    await create.click();
    await expect.poll(() => codes.getByRole("alert").textContent()).toContain("8 live codes");

    await kim.getByRole("button", { name: /Copy join link/ }).click();
    await kim.getByRole("button", { name: "Copied" }).waitFor();
    const code = (cells[0] ?? "").replace(/\s/g, "");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${base}/join/${code}`);

    await codes
      .getByRole("row", { name: /\bRex\b/ })
      .getByRole("button", { name: /Cancel code/ })
      .click();
    await codes.getByRole("row", { name: /\bRex\b/ }).waitFor({ state: "detached" });

    // The customer redeems Kim's code: a tab opens with "customer joined".
    const kimTicket = await ticketOf(await customerPost("/api/v1/join", { code }));
    const tab = page.getByRole("tab", { name: /Kim/ });
    await tab.waitFor();
    const log = page.getByRole("log", { name: "Messages with Kim" });
    await expect.poll(() => log.textContent()).toContain("Kim joined with a session code.");
    await kim.waitFor({ state: "detached" });
    await say(kimTicket, "Hi, it's Kim");
    await expect.poll(() => log.textContent()).toContain("Hi, it's Kim");
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, "e2e-console-codes");
    await context.close();
  });

  it("works in German, remembers the language and the hidden panes", async () => {
    const { page, context } = await person({ locale: "de-DE" });
    await page.goto(`${base}/console`);
    await page.getByRole("heading", { name: "Bei der Agenten-Konsole anmelden" }).waitFor();
    await page.getByLabel("E-Mail").fill(ada.email);
    await page.getByLabel("Passwort").fill(PASSWORD);
    await page.getByRole("button", { name: "Anmelden", exact: true }).click();
    await page.getByRole("switch", { name: "Verfügbar" }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe("de");
    await expect.poll(() => page.title()).toContain("Helpgate-Konsole");

    // Hide History; switch to English; reload: both choices stay.
    await page.getByRole("button", { name: "Verlauf & Statistik" }).click();
    expect(await page.getByRole("region", { name: "Verlauf & Statistik" }).count()).toBe(0);
    await page.getByLabel("Sprache").selectOption("en");
    await page.getByRole("switch", { name: "Available" }).waitFor();
    await page.reload();
    await page.getByRole("switch", { name: "Available" }).waitFor();
    expect(await page.getByRole("region", { name: "History & statistics" }).count()).toBe(0);
    expect(
      await page.getByRole("button", { name: "History & statistics" }).getAttribute("aria-pressed"),
    ).toBe("false");
    await page.getByRole("button", { name: "History & statistics" }).click();
    await page.getByRole("region", { name: "History & statistics" }).waitFor();
    await context.close();
  });

  it("is usable at 390 px", async () => {
    const { page, context } = await person({ width: 390 });
    await signIn(page, ada.email);
    await goAvailable(page);
    await ask("Uma", "Small screen question");
    const popup = page.getByRole("alertdialog", { name: /Uma/ });
    await popup.waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    await popup.getByRole("button", { name: "Accept" }).click();
    await page.getByRole("tab", { name: /Uma/ }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, "e2e-console-390");
    await endAll(await apiCookie(ada.email));
    await context.close();
  });

  it("had no Content Security Policy violations on any page", () => {
    expect(cspViolations).toEqual([]);
  });
});
