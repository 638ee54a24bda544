/**
 * Screenshots of the agent console in English and German at 1280 and 390 px, with real traffic:
 * an agent signs in, requests arrive through the JSON API as a customer would send them, pop-ups
 * show, one is accepted and chatted in, codes are created and one is redeemed.
 *
 *   npm run build && npx tsx scripts/screenshots-console.ts
 *
 * Starts its own server on a temporary data directory (demo accounts of the first start) and
 * writes test-results/screenshots/console-*.png. The teamwork screens (issue 11: transfer and
 * invitation alerts, the transfer dialog, notes and system lines, the supervisor pane, a monitored
 * session) are console-team-*.png; the English desktop transfer alert and supervisor pane also go
 * to docs/screenshots/console-transfer-alert.png and console-supervisor.png.
 *
 *   npx tsx scripts/screenshots-console.ts --only=team    (just the teamwork screens)
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { buildApp } from "../src/server/app.js";
import { loadConfig } from "../src/server/config.js";
import { migrate, openDatabase } from "../src/server/db/database.js";
import { firstStart } from "../src/server/firstStart.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const OUT = path.resolve("test-results/screenshots");
const DOCS = path.resolve("docs/screenshots");
const ONLY = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length) ?? null;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function startServer() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "helpgate-shots-"));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const config = loadConfig(
    { HELPGATE_DATA_DIR: dataDir, PORT: String(port), PUBLIC_URL: baseUrl, LOG_LEVEL: "warn" },
    [],
  );
  const db = openDatabase(config.databaseUrl);
  await migrate(db);
  const { server, deps } = await buildApp({ config, db, logger: false });
  const first = await firstStart(deps);
  if (!first) throw new Error("expected a first start on an empty data directory");
  await server.listen({ port, host: "127.0.0.1" });
  const password = (email: string) => {
    const c = first.credentials.find((x) => x.email === email);
    if (!c?.password) throw new Error(`no generated password for ${email}`);
    return c.password;
  };
  return {
    baseUrl,
    password,
    close: async () => {
      await server.close();
      await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

type Server = Awaited<ReturnType<typeof startServer>>;

/** A customer, talking to the JSON API the way the portal page does. */
class Customer {
  cookie = "";
  requestId = "";
  constructor(private readonly s: Server) {}

  private async post(url: string, body: unknown): Promise<Response> {
    return fetch(`${this.s.baseUrl}${url}`, {
      method: "POST",
      headers: {
        origin: this.s.baseUrl,
        "content-type": "application/json",
        ...(this.cookie ? { cookie: this.cookie } : {}),
      },
      body: JSON.stringify(body),
    });
  }

  private async keep(res: Response): Promise<this> {
    if (res.status !== 201) throw new Error(`customer call failed: ${res.status} ${await res.text()}`);
    this.cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    this.requestId = ((await res.json()) as { requestId: string }).requestId;
    return this;
  }

  async ask(slug: string, values: Record<string, string>, agentId?: string): Promise<this> {
    return this.keep(await this.post(`/api/v1/portals/${slug}/requests`, { values, agentId }));
  }

  async redeem(code: string): Promise<this> {
    return this.keep(await this.post("/api/v1/join", { code }));
  }

  async say(body: string): Promise<void> {
    const res = await this.post(`/api/v1/customer/requests/${this.requestId}/messages`, { body });
    if (res.status !== 201) throw new Error(`customer message failed: ${res.status} ${await res.text()}`);
  }

  async cancel(): Promise<void> {
    const res = await this.post(`/api/v1/customer/requests/${this.requestId}/cancel`, {});
    if (!res.ok) throw new Error(`cancel failed: ${res.status} ${await res.text()}`);
  }

  async leaveMessage(slug: string, values: Record<string, string>): Promise<void> {
    const res = await this.post(`/api/v1/portals/${slug}/offline`, { values });
    if (res.status !== 201) throw new Error(`offline message failed: ${res.status} ${await res.text()}`);
  }
}

async function agentIdOf(s: Server, slug: string, name: string): Promise<string> {
  const res = await fetch(`${s.baseUrl}/api/v1/portals/${slug}/agents`);
  const body = (await res.json()) as { agents: { id: string; displayName: string }[] };
  const agent = body.agents.find((a) => a.displayName === name);
  if (!agent) throw new Error(`no agent ${name} at ${slug}`);
  return agent.id;
}

/** Full-page by default; `viewport` keeps fixed pop-ups where the agent sees them. */
async function shot(page: Page, name: string, viewport = false): Promise<void> {
  const file = path.join(OUT, `console-${name}.png`);
  await page.screenshot({ path: file, fullPage: !viewport });
  console.log(`  ${path.relative(process.cwd(), file)}`);
}

async function signIn(page: Page, s: Server, email: string, lang: "en" | "de"): Promise<void> {
  await page.goto(`${s.baseUrl}/console`);
  const texts = lang === "de" ? { email: "E-Mail", password: "Passwort", submit: "Anmelden" } : null;
  await page.getByLabel(texts?.email ?? "Email").fill(email);
  await page.getByLabel(texts?.password ?? "Password").fill(s.password(email));
  await page.getByRole("button", { name: texts?.submit ?? "Sign in", exact: true }).click();
  await page.getByRole("switch").waitFor();
}

async function setAvailable(page: Page): Promise<void> {
  const toggle = page.getByRole("switch");
  if (!(await toggle.isChecked())) await toggle.check();
  await page.waitForFunction(() => document.querySelector(".availability.is-on") !== null);
}

const PEOPLE = {
  en: [
    {
      name: "Carla Jensen",
      email: "carla@example.net",
      question: "My order #4471 shows as paid but the invoice is missing.",
    },
    {
      name: "Dmitri Volkov",
      email: "dmitri@example.org",
      question: "The checkout page freezes after I enter my card number.",
    },
    {
      name: "Aiko Tanaka",
      email: "aiko@example.com",
      question: "Can I change the delivery address of an order I placed this morning?",
    },
  ],
  de: [
    {
      name: "Jana Becker",
      email: "jana@example.de",
      question: "Meine Bestellung ist bezahlt, aber die Rechnung fehlt.",
    },
    {
      name: "Lukas Wagner",
      email: "lukas@example.de",
      question: "Die Kasse hängt, sobald ich die Kartennummer eingebe.",
    },
    {
      name: "Mia Schulz",
      email: "mia@example.de",
      question: "Kann ich die Lieferadresse meiner Bestellung von heute früh ändern?",
    },
  ],
} as const;

/** Ends every open session through the UI and closes its tab, so the next run starts clean. */
async function endSessions(page: Page, lang: "en" | "de"): Promise<void> {
  const end = page.getByRole("button", { name: lang === "de" ? "Sitzung beenden" : "End session" });
  const close = page.getByRole("button", { name: lang === "de" ? "Tab schließen" : "Close tab" });
  while ((await page.getByRole("tab").count()) > 0) {
    if ((await end.count()) > 0) await end.click();
    await close.click();
  }
}

async function webFlow(browser: Browser, s: Server, lang: "en" | "de"): Promise<void> {
  const people = PEOPLE[lang];
  const context = await browser.newContext({
    locale: lang === "de" ? "de-DE" : "en-US",
    viewport: { width: 1280, height: 860 },
  });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  await page.goto(`${s.baseUrl}/console`);
  await page.getByRole("button", { name: lang === "de" ? "Anmelden" : "Sign in", exact: true }).click();
  await page.getByRole("alert").waitFor();
  await shot(page, `signin-error-${lang}-1280`);
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, `signin-error-${lang}-390`);
  await page.setViewportSize({ width: 1280, height: 860 });

  await signIn(page, s, "agent1@web.example.com", lang);
  await setAvailable(page);
  await shot(page, `empty-${lang}-1280`);

  // A second agent is online too, so a broadcast can be taken by someone else.
  const robin = await agentIdOf(s, "web-pick-agent", "Robin Agent");
  const [a, b, c] = people;
  const first = await new Customer(s).ask("web-question", {
    name: a.name,
    email: a.email,
    question: a.question,
  });
  await new Promise((r) => setTimeout(r, 1200));
  const second = await new Customer(s).ask("web-pick-agent", { name: b.name, email: b.email }, robin);
  await new Customer(s).ask("web-question", { name: c.name, email: c.email, question: c.question });
  await page.getByRole("alertdialog").nth(2).waitFor();
  await page.getByRole("row", { name: new RegExp(a.name) }).click();
  await page.waitForTimeout(1500);
  await shot(page, `alert-${lang}-1280`, true);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  await shot(page, `alert-${lang}-390`, true);
  await page.setViewportSize({ width: 1280, height: 860 });

  // Accept the first, chat a little.
  await page
    .getByRole("alertdialog", { name: new RegExp(a.name) })
    .getByRole("button", { name: lang === "de" ? "Annehmen" : "Accept" })
    .click();
  await page.getByRole("tab", { name: new RegExp(a.name) }).waitFor();
  await first.say(lang === "de" ? "Hallo! Die Bestellnummer ist 4471." : "Hi! The order number is 4471.");
  await page.getByText(lang === "de" ? "Die Bestellnummer ist 4471" : "The order number is 4471").waitFor();
  const box = page.getByLabel(lang === "de" ? `Nachricht an ${a.name}` : `Message to ${a.name}`);
  await box.fill(
    lang === "de"
      ? "Danke! Ich sehe mir das an. Die Rechnung finden Sie auch unter https://shop.example.com/rechnungen"
      : "Thanks! Let me look. You can also find invoices at https://shop.example.com/invoices",
  );
  await box.press("Enter");
  await page.getByText(lang === "de" ? "Ich sehe mir das an" : "Let me look").waitFor();
  await first.say(lang === "de" ? "Super, danke <b>sehr</b>!" : "Great, thanks <b>a lot</b>!");
  await page.waitForTimeout(400);
  // Decline the targeted one so History has an outcome, and let the rest of the pop-ups close.
  await page
    .getByRole("alertdialog", { name: new RegExp(b.name) })
    .getByRole("button", { name: lang === "de" ? "Ablehnen" : "Decline" })
    .click();
  await page
    .getByRole("alertdialog")
    .first()
    .getByRole("button", { name: lang === "de" ? "Schließen" : "Dismiss" })
    .click();
  await page.waitForTimeout(500);
  await shot(page, `session-${lang}-1280`);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  await shot(page, `session-${lang}-390`);
  await page.setViewportSize({ width: 1280, height: 860 });
  void second;

  // A dropped connection.
  await context.setOffline(true);
  await page.getByText(lang === "de" ? "Verbindung wird wiederhergestellt" : "Reconnecting").waitFor();
  await shot(page, `reconnecting-${lang}-1280`);
  await context.setOffline(false);
  await page
    .getByText(lang === "de" ? "Verbindung wird wiederhergestellt" : "Reconnecting")
    .waitFor({ state: "detached", timeout: 15_000 });

  // Settings open.
  await page.getByRole("button", { name: lang === "de" ? "Einstellungen" : "Settings", exact: true }).click();
  await shot(page, `settings-${lang}-1280`);
  await page.keyboard.press("Escape");
  await endSessions(page, lang);
  await context.close();
}

async function phoneFlow(browser: Browser, s: Server, lang: "en" | "de"): Promise<void> {
  const context = await browser.newContext({
    locale: lang === "de" ? "de-DE" : "en-US",
    viewport: { width: 1280, height: 860 },
  });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  await signIn(page, s, "agent1@phone.example.com", lang);
  const nameField = page.getByLabel(lang === "de" ? "Name des Kunden" : "Customer name");
  const create = page.getByRole("button", { name: lang === "de" ? "Code erstellen" : "Create code" });
  for (const name of lang === "de" ? ["Herr Köhler", "Frau Yilmaz"] : ["Mr Okafor", "Ms Lindqvist"]) {
    await nameField.fill(name);
    await create.click();
    await page.getByRole("cell", { name, exact: true }).waitFor();
  }
  await page
    .getByRole("button", { name: lang === "de" ? /Beitritts-Link kopieren/ : /Copy join link/ })
    .first()
    .click();
  await shot(page, `codes-${lang}-1280`);
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, `codes-${lang}-390`);
  await page.setViewportSize({ width: 1280, height: 860 });

  const caller = lang === "de" ? "Herr Köhler" : "Mr Okafor";
  const row = page.getByRole("row", { name: new RegExp(caller) });
  const code = ((await row.locator(".code-digits").textContent()) ?? "").replace(/\s/g, "");
  const customer = await new Customer(s).redeem(code);
  await page.getByRole("tab", { name: new RegExp(caller) }).waitFor();
  await customer.say(lang === "de" ? "Hallo, ich bin jetzt verbunden." : "Hello, I'm connected now.");
  await page.waitForTimeout(500);
  await shot(page, `joined-${lang}-1280`);
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, `joined-${lang}-390`);
  await endSessions(page, lang);
  for (const button of await page
    .getByRole("button", { name: lang === "de" ? /Code widerrufen/ : /Cancel code/ })
    .all()) {
    await button.click();
  }
  await context.close();
}

async function operatorShot(browser: Browser, s: Server): Promise<void> {
  const context = await browser.newContext({ locale: "en-US", viewport: { width: 1280, height: 700 } });
  const page = await context.newPage();
  await page.goto(`${s.baseUrl}/console`);
  await page.getByLabel("Email").fill("operator@helpgate.local");
  await page.getByLabel("Password").fill(s.password("operator@helpgate.local"));
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("heading", { name: "Operators have no console" }).waitFor();
  await shot(page, "operator-en-1280");
  await context.close();
}

// ── teamwork (issue 11) ───────────────────────────────────────────────────────
type Lang = "en" | "de";
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

/** The same control's name in each language. */
const L = (lang: Lang, en: string, de: string) => (lang === "de" ? de : en);

/** A viewport screenshot at desktop and phone width; `doc` also copies the desktop one to docs/. */
async function both(page: Page, name: string, lang: Lang, doc?: string): Promise<void> {
  await page.setViewportSize(DESKTOP);
  await page.waitForTimeout(300);
  const file = path.join(OUT, `console-team-${name}-${lang}-1280.png`);
  await page.screenshot({ path: file });
  console.log(`  ${path.relative(process.cwd(), file)}`);
  if (doc) {
    fs.copyFileSync(file, path.join(DOCS, doc));
    console.log(`  docs/screenshots/${doc}`);
  }
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(300);
  const phone = path.join(OUT, `console-team-${name}-${lang}-390.png`);
  await page.screenshot({ path: phone });
  console.log(`  ${path.relative(process.cwd(), phone)}`);
  await page.setViewportSize(DESKTOP);
}

async function agentPage(browser: Browser, s: Server, email: string, lang: Lang) {
  const context = await browser.newContext({ locale: lang === "de" ? "de-DE" : "en-US", viewport: DESKTOP });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  await signIn(page, s, email, lang);
  await setAvailable(page);
  return { context, page };
}

/** Leaves every tab: ends owned sessions, leaves the others, closes the tabs. */
async function leaveAll(page: Page, lang: Lang): Promise<void> {
  const names = [
    L(lang, "End session", "Sitzung beenden"),
    L(lang, "Leave session", "Sitzung verlassen"),
    L(lang, "Stop monitoring", "Beobachtung beenden"),
  ];
  const close = page.getByRole("button", { name: L(lang, "Close tab", "Tab schließen"), exact: true });
  for (let i = 0; i < 20 && (await page.getByRole("tab").count()) > 0; i++) {
    for (const name of names) {
      const button = page.getByRole("button", { name, exact: true });
      if ((await button.count()) > 0) await button.first().click();
    }
    await close.first().click();
  }
}

const TEAM_PEOPLE = {
  en: {
    first: {
      name: "Hannah Schmidt",
      email: "hannah@example.net",
      question: "I was charged twice for order #5120.",
    },
    second: { name: "Omar Haddad", email: "omar@example.org", question: "How do I reset my shop password?" },
    says: "Hello — my card shows two payments of €84.90 for the same order.",
    reply: "I'm sorry about that. Let me check the payments with our billing team.",
    note: "Both payments are captured; billing must refund one. Customer is calm.",
    transferNote: "Double charge on #5120 — please refund the second payment. Customer prefers email.",
    after: "Thanks, I'll wait.",
    samSays: "Hi Hannah, I'm Sam from billing. I can see both payments and will refund one now.",
    alexNote: "Refund approved — go ahead.",
    omarSays: "I never got the reset email.",
  },
  de: {
    first: {
      name: "Jonas Keller",
      email: "jonas@example.de",
      question: "Meine Bestellung #5120 wurde doppelt abgebucht.",
    },
    second: {
      name: "Lea Hoffmann",
      email: "lea@example.de",
      question: "Wie setze ich mein Passwort zurück?",
    },
    says: "Hallo — auf meiner Karte stehen zwei Zahlungen über 84,90 € für dieselbe Bestellung.",
    reply: "Das tut mir leid. Ich prüfe die Zahlungen mit unserer Buchhaltung.",
    note: "Beide Zahlungen sind eingezogen; die Buchhaltung muss eine erstatten. Kunde ist ruhig.",
    transferNote: "Doppelte Abbuchung bei #5120 — bitte die zweite Zahlung erstatten. Kunde möchte E-Mail.",
    after: "Danke, ich warte.",
    samSays:
      "Hallo Herr Keller, hier ist Sam aus der Buchhaltung. Ich sehe beide Zahlungen und erstatte eine.",
    alexNote: "Erstattung freigegeben — bitte durchführen.",
    omarSays: "Die E-Mail zum Zurücksetzen kam nie an.",
  },
} as const;

/**
 * Robin takes a customer, writes a private note and transfers the session to Sam (the transfer
 * dialog, Sam's orange alert); Sam invites Alex, the admin (the blue alert); Alex accepts, and
 * Sam's session shows the notes and system lines. A second customer goes to Robin; Alex sees both
 * in the supervisor pane and monitors Robin's session (read-only, notes only).
 */
async function teamFlow(browser: Browser, s: Server, lang: Lang): Promise<void> {
  const text = TEAM_PEOPLE[lang];
  const robin = await agentPage(browser, s, "agent1@web.example.com", lang);
  const sam = await agentPage(browser, s, "agent2@web.example.com", lang);
  const alex = await agentPage(browser, s, "admin@web.example.com", lang);
  try {
    const customer = await new Customer(s).ask("web-question", { ...text.first });
    const popup = robin.page.getByRole("alertdialog", { name: new RegExp(text.first.name) });
    await popup.getByRole("button", { name: L(lang, "Accept", "Annehmen"), exact: true }).click();
    await robin.page.getByRole("tab", { name: new RegExp(text.first.name) }).waitFor();
    await customer.say(text.says);
    await robin.page.getByText(text.says).waitFor();
    const box = robin.page.getByLabel(
      L(lang, `Message to ${text.first.name}`, `Nachricht an ${text.first.name}`),
    );
    await box.fill(text.reply);
    await box.press("Enter");
    await robin.page.getByText(text.reply).first().waitFor();
    // A private note.
    await robin.page.getByText(L(lang, "Private note", "Private Notiz"), { exact: true }).click();
    const noteBox = robin.page.getByLabel(
      L(lang, "Private note for the agents of this session", "Private Notiz für die Agenten dieser Sitzung"),
    );
    await noteBox.fill(text.note);
    await noteBox.press("Enter");
    await robin.page.locator(".msg-note", { hasText: text.note }).waitFor();
    await robin.page.waitForTimeout(400);

    // The transfer dialog.
    await robin.page.getByRole("button", { name: L(lang, "Transfer", "Übergeben"), exact: true }).click();
    const dialog = robin.page.getByRole("dialog");
    await dialog.getByText("Sam Agent").waitFor();
    await dialog.getByRole("radio", { name: /Sam Agent/ }).check();
    await dialog
      .getByLabel(L(lang, "Note for your colleague (optional)", "Notiz für Ihren Kollegen (optional)"))
      .fill(text.transferNote);
    await both(robin.page, "transfer-dialog", lang);
    await dialog.getByRole("button", { name: L(lang, "Send transfer", "Übergabe senden") }).click();
    await robin.page.locator(".transfer-pending").waitFor();
    await both(robin.page, "transfer-pending", lang);

    // Sam's orange alert.
    const alert = sam.page.locator(".team-alert.alert-transfer");
    await alert.waitFor();
    await sam.page.waitForTimeout(1500);
    await both(sam.page, "transfer-alert", lang, lang === "en" ? "console-transfer-alert.png" : undefined);
    await alert.getByRole("button", { name: L(lang, "Accept transfer", "Übergabe annehmen") }).click();
    await sam.page.getByRole("tab", { name: new RegExp(text.first.name) }).waitFor();
    await robin.page.locator(".left-banner").waitFor();
    await both(robin.page, "transferred-away", lang);
    const samBox = sam.page.getByLabel(
      L(lang, `Message to ${text.first.name}`, `Nachricht an ${text.first.name}`),
    );
    await samBox.fill(text.samSays);
    await samBox.press("Enter");
    await customer.say(text.after);
    await sam.page.getByText(text.after).waitFor();

    // Sam invites Alex: the blue alert.
    await sam.page.getByRole("button", { name: L(lang, "Invite", "Einladen"), exact: true }).click();
    const invite = sam.page.getByRole("dialog");
    await invite.getByRole("checkbox", { name: /Alex Admin/ }).check();
    await both(sam.page, "invite-dialog", lang);
    await invite.getByRole("button", { name: L(lang, "Send invitations", "Einladungen senden") }).click();
    const blue = alex.page.locator(".team-alert.alert-invitation");
    await blue.waitFor();
    await alex.page.waitForTimeout(1500);
    await both(alex.page, "invite-alert", lang);
    await blue.getByRole("button", { name: L(lang, "Join session", "Sitzung beitreten") }).click();
    await alex.page.getByRole("tab", { name: new RegExp(text.first.name) }).waitFor();
    await alex.page.getByText(L(lang, "Private note", "Private Notiz"), { exact: true }).click();
    const alexNote = alex.page.getByLabel(
      L(lang, "Private note for the agents of this session", "Private Notiz für die Agenten dieser Sitzung"),
    );
    await alexNote.fill(text.alexNote);
    await alexNote.press("Enter");
    await sam.page.locator(".msg-note", { hasText: text.alexNote }).waitFor();
    await sam.page.waitForTimeout(500);
    await both(sam.page, "session", lang);

    // A second customer for Robin; Alex's supervisor pane, then monitoring.
    const second = await new Customer(s).ask("web-question", { ...text.second });
    const popup2 = robin.page.getByRole("alertdialog", { name: new RegExp(text.second.name) });
    await popup2.getByRole("button", { name: L(lang, "Accept", "Annehmen"), exact: true }).click();
    await robin.page.getByRole("tab", { name: new RegExp(text.second.name) }).waitFor();
    await second.say(text.omarSays);
    const third = await new Customer(s).ask("web-question", {
      name: L(lang, "Priya Natarajan", "Emre Yıldız"),
      email: "third@example.com",
      question: L(
        lang,
        "Is express delivery available to Norway?",
        "Gibt es Expressversand nach Österreich?",
      ),
    });
    await alex.page.locator("#pane-supervisor").scrollIntoViewIfNeeded();
    await alex.page.locator("#pane-supervisor").getByText(text.second.name).waitFor();
    await alex.page.waitForTimeout(1500);
    await alex.page.locator("#pane-supervisor").scrollIntoViewIfNeeded();
    await both(alex.page, "supervisor", lang, lang === "en" ? "console-supervisor.png" : undefined);
    await alex.page
      .locator("#pane-supervisor")
      .getByRole("row", { name: new RegExp(text.second.name) })
      .getByRole("button", { name: new RegExp(`^${L(lang, "Monitor", "Beobachten")}`) })
      .click();
    await alex.page.locator(".chat-role-monitor").waitFor();
    await alex.page.getByText(text.omarSays).waitFor();
    await alex.page.waitForTimeout(500);
    await both(alex.page, "monitoring", lang);
    await robin.page.getByRole("tab", { name: new RegExp(text.second.name) }).click();
    await robin.page.locator(".members").waitFor();
    await both(robin.page, "monitored-owner", lang);

    // Take over, with its confirmation.
    await alex.page
      .locator("#pane-supervisor")
      .getByRole("row", { name: new RegExp(text.second.name) })
      .getByRole("button", { name: new RegExp(`^${L(lang, "Take over", "Übernehmen")}`) })
      .click();
    await alex.page.getByRole("dialog").waitFor();
    await both(alex.page, "take-over-confirm", lang);
    await alex.page.keyboard.press("Escape");

    for (const who of [alex, sam, robin]) await leaveAll(who.page, lang);
    // The third customer is still waiting: they give up.
    await third.cancel();
  } finally {
    await robin.context.close();
    await sam.context.close();
    await alex.context.close();
  }
}

async function main(): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  fs.mkdirSync(DOCS, { recursive: true });
  const s = await startServer();
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  try {
    if (ONLY === "team") {
      for (const lang of ["en", "de"] as const) await teamFlow(browser, s, lang);
      return;
    }
    // Some history for the offline pane: nobody is online yet, so the customer leaves a message.
    await new Customer(s).leaveMessage("web-question", {
      name: "Peter Novak",
      email: "peter@example.net",
      question: "Please call me back about my warranty claim.",
    });
    for (const lang of ["en", "de"] as const) {
      await webFlow(browser, s, lang);
      await phoneFlow(browser, s, lang);
    }
    for (const lang of ["en", "de"] as const) await teamFlow(browser, s, lang);
    await operatorShot(browser, s);
  } finally {
    await browser.close();
    await s.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
