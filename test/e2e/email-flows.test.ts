import type { ParsedMail } from "mailparser";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { insertNewPortal } from "../../src/server/commands/portals.js";
import type { User } from "../../src/shared/api.js";
import { PASSWORD, seedAccount, seedUser } from "../support/app.js";
import {
  type LiveServer,
  launchBrowser,
  newPerson,
  type Person,
  screenshot,
  startLiveServer,
} from "../support/browser.js";
import { uniqueTag } from "../support/scenario.js";
import { linkIn, startSmtp, type TestSmtp, toAddresses } from "../support/smtp.js";

/**
 * The email flows end to end, in real Chromium against the real server, which sends through a
 * real SMTP server (test/support/smtp.ts): a session code sent from the console (in the console's
 * language) and joined from the email's link; the customer's transcript after the session (never
 * with the agents' private notes) and the agent's own copy (with them, marked); an invitation that
 * sets a password once; and "Forgot password?" from the console's sign-in page.
 */
describe.skipIf(!inject("chromium"))("email flows (codes, transcripts, invitations, password reset)", () => {
  let smtp: TestSmtp;
  let live: LiveServer;
  let browser: Browser;
  let base: string;
  const people: Person[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    smtp = await startSmtp();
    live = await startLiveServer("sqlite", {
      SMTP_URL: smtp.url,
      MAIL_FROM: "Helpgate Test <helpgate@test.example>",
      HELPGATE_OUTBOX_POLL_MS: "50",
    });
    base = live.baseUrl;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    for (const p of people.splice(0)) await p.context.close().catch(() => {});
    await browser?.close();
    await live?.close();
    await smtp?.close();
  });

  // ── helpers ────────────────────────────────────────────────────────────────

  /** A browser context of one's own, recording CSP violations and page errors. */
  async function person(locale = "en-US"): Promise<Person> {
    const p = await newPerson(browser, { locale });
    people.push(p);
    p.page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) problems.push(`${p.page.url()}: ${m.text()}`);
    });
    p.page.on("pageerror", (e) => problems.push(`${p.page.url()}: ${e.message}`));
    await p.page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) => {
        console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    return p;
  }

  const shot = (page: Page, name: string) => screenshot(page, `e2e-email-${name}`);

  /** The first email to `address` (already received or still to come) that `also` accepts. */
  function mailTo(address: string, also: (m: ParsedMail) => boolean = () => true): Promise<ParsedMail> {
    const to = address.toLowerCase();
    return smtp.waitFor((m) => toAddresses(m).includes(to) && also(m), 15_000);
  }

  const htmlOf = (m: ParsedMail): string => (typeof m.html === "string" ? m.html : "");
  const spaced = (digits: string) => digits.replace(/^(\d{3})(\d{3})(\d{3})$/, "$1 $2 $3");

  interface Desk {
    tag: string;
    agent: User;
  }

  /** A phone-mode account of its own with one agent and a code portal. */
  async function phoneDesk(prefix: string): Promise<Desk> {
    const tag = uniqueTag(prefix);
    const { account } = await seedAccount(live.app, tag, "phone");
    // seedUser names the user after the email's local part: "vera".
    const agent = await seedUser(live.app, account.id, `vera@${tag}.test.example`, "agent");
    await live.app.deps.db.kysely
      .transaction()
      .execute((trx) =>
        insertNewPortal(
          trx,
          account,
          { slug: `${tag}-code`, type: "code", name: `Phone desk ${tag}`, agentIds: [agent.id] },
          Date.now(),
        ),
      );
    return { tag, agent };
  }

  /** The console's sign-in form, in the console's current language. */
  async function consoleSignIn(
    page: Page,
    email: string,
    password = PASSWORD,
    labels = { email: "Email", password: "Password", signIn: "Sign in", available: "Available" },
  ): Promise<void> {
    await page.getByLabel(labels.email, { exact: true }).fill(email);
    await page.getByLabel(labels.password, { exact: true }).fill(password);
    await page.getByRole("button", { name: labels.signIn, exact: true }).click();
    await page.getByRole("switch", { name: labels.available }).waitFor();
  }

  /** Creates a session code for `name` in the codes panel; returns its row and its digits. */
  async function createCode(
    page: Page,
    name: string,
    labels = { pane: "Session codes", name: "Customer name", create: "Create code" },
  ) {
    const codes = page.getByRole("region", { name: labels.pane });
    await codes.getByLabel(labels.name).fill(name);
    await codes.getByRole("button", { name: labels.create }).click();
    const row = codes.getByRole("row", { name: new RegExp(`\\b${name}\\b`) });
    await row.waitFor();
    const digits = ((await row.locator(".code-digits").textContent()) ?? "").replace(/\s/g, "");
    expect(digits).toMatch(/^\d{9}$/);
    return { codes, row, digits };
  }

  // ── 1. a session code by email ─────────────────────────────────────────────
  it("1. sends a session code by email from the German console; the customer joins from the email's link and both chat", async () => {
    const desk = await phoneDesk("email-code");
    const customerEmail = `carla@${desk.tag}.customer.example`;

    const { page: agent } = await person();
    await agent.goto(`${base}/console`);
    await agent.getByRole("heading", { name: "Sign in to the agent console" }).waitFor();
    await consoleSignIn(agent, desk.agent.email);

    // Switch the console to German; it is saved on the server too (that is what the email follows).
    const [saved] = await Promise.all([
      agent.waitForResponse((r) => r.url().endsWith("/api/v1/auth/me") && r.request().method() === "PATCH"),
      agent.getByLabel("Language").selectOption("de"),
    ]);
    expect(saved.status()).toBe(200);
    expect(((await saved.json()) as { user: User }).user.language).toBe("de");
    await agent.getByRole("switch", { name: "Verfügbar" }).waitFor();

    const { row, digits } = await createCode(agent, "Carla", {
      pane: "Sitzungscodes",
      name: "Name des Kunden",
      create: "Code erstellen",
    });
    await shot(agent, "code-created-de");

    await row.getByRole("button", { name: /Per E-Mail senden/ }).click();
    const form = agent.getByRole("form", { name: `Den Code ${spaced(digits)} per E-Mail senden` });
    await form.waitFor();
    // The address field has the focus; an empty one is refused in place.
    await expect.poll(() => agent.evaluate(() => document.activeElement?.getAttribute("type"))).toBe("email");
    await form.getByRole("button", { name: "E-Mail senden" }).click();
    await form.getByRole("alert").getByText("Geben Sie die E-Mail-Adresse des Kunden ein.").waitFor();
    await form.getByLabel("E-Mail des Kunden").fill(customerEmail);
    await shot(agent, "code-email-form-de");
    await form.getByRole("button", { name: "E-Mail senden" }).click();
    await row.getByRole("status").getByText(`Gesendet an ${customerEmail}.`).waitFor();
    await form.waitFor({ state: "detached" });
    await shot(agent, "code-email-sent-de");

    // The email: German, the code in the subject, the join link in text and HTML.
    const mail = await mailTo(customerEmail);
    expect(mail.headers.get("content-language")).toBe("de");
    expect(mail.subject).toBe(`Ihr Sitzungscode: ${spaced(digits)}`);
    expect(mail.from?.text).toContain("helpgate@test.example");
    // Greeted by the code's name (the form's "Name (optional)" was left as it was).
    expect(mail.text).toContain("Hallo Carla,");
    expect(mail.text).toContain("vera lädt Sie zu einer Support-Sitzung ein.");
    expect(mail.text).toContain(`Oder geben Sie den Code ${spaced(digits)} auf der Seite ein.`);
    expect(htmlOf(mail)).toContain('<html lang="de">');
    const joinUrl = linkIn(mail, `${base}/join/`);
    expect(joinUrl).toBe(`${base}/join/${digits}`);
    expect(htmlOf(mail)).toContain(`href="${joinUrl}"`);

    // The customer opens the link in a browser of their own: the code is filled in, not yet redeemed.
    const { page: customer } = await person("de-DE");
    await customer.goto(joinUrl ?? "");
    await customer.getByRole("heading", { name: "Einer Support-Sitzung beitreten" }).waitFor();
    expect((await customer.getByLabel("Sitzungscode").inputValue()).replace(/\D/g, "")).toBe(digits);
    await shot(customer, "join-from-email");
    await customer.getByRole("button", { name: "Verbinden" }).click();
    await customer.waitForURL(/\/r\/[^/]+$/);
    await customer.getByRole("heading", { name: "vera ist für Sie da" }).waitFor();

    // The agent's console opens the session at once.
    await agent.getByRole("tab", { name: /Carla/ }).waitFor();
    const log = agent.getByRole("log", { name: "Nachrichten mit Carla" });
    await log.getByText("Carla ist mit einem Sitzungscode beigetreten.").waitFor();
    await row.waitFor({ state: "detached" });

    // Chat both ways.
    const box = customer.getByLabel("Ihre Nachricht");
    await box.fill("Hallo, hier ist Carla. Mein Drucker druckt nicht.");
    await box.press("Enter");
    await log.getByText("Hallo, hier ist Carla. Mein Drucker druckt nicht.").waitFor();
    const composer = agent.getByLabel("Nachricht an Carla");
    await composer.fill("Guten Tag Carla, ich sehe mir das an.");
    await composer.press("Enter");
    await customer
      .locator(".msg-agent .msg-body", { hasText: "Guten Tag Carla, ich sehe mir das an." })
      .waitFor();
    expect(await customer.locator(".msg-agent .msg-author").first().textContent()).toBe("vera");
    await shot(customer, "customer-chat");
    await shot(agent, "agent-chat-de");

    // Only this one email went to the customer.
    expect(smtp.messages.filter((m) => toAddresses(m).includes(customerEmail))).toHaveLength(1);
  });

  // ── 2. transcripts by email ────────────────────────────────────────────────
  it("2. after the session the customer gets the transcript by email without the private note; the agent's copy has it, marked", async () => {
    const desk = await phoneDesk("email-transcript");
    const customerEmail = `dmitri@${desk.tag}.customer.example`;
    const note = `Private note ${desk.tag}: customer is on the legacy plan`;
    const customerLine = `My invoice ${desk.tag} is wrong.`;
    const agentLine = `I have corrected invoice ${desk.tag}.`;

    const { page: agent } = await person();
    await agent.goto(`${base}/console`);
    await consoleSignIn(agent, desk.agent.email);
    const { row } = await createCode(agent, "Dmitri");
    // The join link the console copies (its title is the link).
    const joinUrl = await row.getByRole("button", { name: /Copy join link/ }).getAttribute("title");
    expect(joinUrl).toMatch(new RegExp(`^${base}/join/\\d{9}$`));

    const { page: customer } = await person();
    await customer.goto(joinUrl ?? "");
    await customer.getByRole("button", { name: "Connect" }).click();
    await customer.getByRole("heading", { name: "vera is with you" }).waitFor();

    const log = agent.getByRole("log", { name: "Messages with Dmitri" });
    await log.getByText("Dmitri joined with a session code.").waitFor();
    const box = customer.getByLabel("Your message");
    await box.fill(customerLine);
    await box.press("Enter");
    await log.getByText(customerLine).waitFor();
    const composer = agent.getByLabel("Message to Dmitri");
    await composer.fill(agentLine);
    await composer.press("Enter");
    await customer.locator(".msg-agent .msg-body", { hasText: agentLine }).waitFor();

    // A private note, marked as such in the console.
    await agent.getByRole("tabpanel").getByRole("radio", { name: "Private note" }).check();
    const noteBox = agent.getByLabel("Private note for the agents of this session");
    await noteBox.fill(note);
    await noteBox.press("Enter");
    const noteBubble = log.locator(".msg-note", { hasText: note });
    await noteBubble.waitFor();
    expect(await noteBubble.textContent()).toContain("Private note — only agents see this");
    await shot(agent, "agent-note");

    // The agent ends the session; the customer's page turns into the ended page in place.
    await agent.getByRole("button", { name: "End session" }).click();
    await log.getByText("You ended the session.").waitFor();
    await customer.getByRole("heading", { name: "The session has ended" }).waitFor();
    const section = customer.getByRole("region", { name: "Get the transcript by email" });
    await section.waitFor();
    expect(await customer.locator("body").textContent()).not.toContain(note);
    await shot(customer, "ended-page");

    // An empty address is refused in place; a real one is sent, and the page says so.
    await section.getByRole("button", { name: "Send transcript" }).click();
    await section.getByRole("status").getByText("Enter your email address.").waitFor();
    expect(await section.getByLabel("Your email address").getAttribute("aria-invalid")).toBe("true");
    await section.getByLabel("Your email address").fill(customerEmail);
    await section.getByRole("button", { name: "Send transcript" }).click();
    await section.getByRole("status").getByText(`Sent to ${customerEmail}.`).waitFor();
    expect(await section.getByLabel("Your email address").getAttribute("aria-invalid")).toBeNull();
    await shot(customer, "transcript-sent");

    const mail = await mailTo(customerEmail);
    expect(mail.headers.get("content-language")).toBe("en");
    expect(mail.subject).toMatch(/^Transcript of your session \d{3} \d{3} \d{3} \(Phone desk /);
    expect(mail.text).toContain("Here is the chat of your session with vera on ");
    expect(mail.text).toMatch(new RegExp(`\\] Dmitri: ${customerLine.replace(/\./g, "\\.")}`));
    expect(mail.text).toMatch(new RegExp(`\\] vera: ${agentLine.replace(/\./g, "\\.")}`));
    expect(htmlOf(mail)).toContain(agentLine);
    // Never the agents' note, in neither part, nor even a trace of it.
    for (const part of [mail.text ?? "", htmlOf(mail), mail.subject ?? ""]) {
      expect(part).not.toContain(note);
      expect(part).not.toContain("legacy plan");
      expect(part).not.toMatch(/\(note\)/);
    }

    // The agent emails themselves the transcript from the ended session's tab.
    const chatHead = agent.getByRole("tabpanel");
    await chatHead.getByRole("button", { name: /Email me the transcript/ }).click();
    await chatHead.getByRole("status").getByText(`Sent to ${desk.agent.email}.`).waitFor();
    await shot(agent, "agent-transcript-sent");
    const own = await mailTo(desk.agent.email);
    expect(own.subject).toMatch(/^Transcript of your session \d{3} \d{3} \d{3}/);
    expect(own.headers.get("content-language")).toBe("en");
    expect(own.text).toContain(customerLine);
    expect(own.text).toContain(agentLine);
    expect(own.text).toContain(`vera (note): ${note}`);
    expect(htmlOf(own)).toContain("background:#fff8e1");
  });

  // ── 3. an invitation ───────────────────────────────────────────────────────
  it("3. an admin invites a user: the email's link sets a password once and lands in the console signed in", async () => {
    const tag = uniqueTag("email-invite");
    const seeded = await seedAccount(live.app, tag, "web");
    const invitee = `ines@${tag}.test.example`;

    const { page: admin } = await person();
    await admin.goto(`${base}/admin`);
    await admin.getByLabel("Email").fill(seeded.admin.email);
    await admin.getByLabel("Password").fill(PASSWORD);
    await admin.getByRole("button", { name: "Sign in" }).click();
    await admin.getByRole("heading", { level: 1, name: "Portals" }).waitFor();
    await admin
      .getByRole("navigation", { name: "Admin sections" })
      .getByRole("link", { name: "Users" })
      .click();
    await admin.getByRole("heading", { level: 1, name: "Users" }).waitFor();
    await admin.getByRole("link", { name: "New user" }).click();
    await admin.getByRole("heading", { level: 1, name: "New user" }).waitFor();
    expect(await admin.getByRole("radio", { name: /Send an invitation email/ }).isChecked()).toBe(true);
    await admin.getByLabel("Display name").fill("Ines Neu");
    await admin.getByLabel("Email", { exact: true }).fill(invitee);
    await shot(admin, "invite-form");
    await admin.getByRole("button", { name: "Create user" }).click();
    await admin.getByRole("heading", { level: 1, name: "Users" }).waitFor();
    await admin.getByText(`Ines Neu has been invited; the email is on its way to ${invitee}.`).waitFor();
    expect(await admin.getByRole("row").filter({ hasText: "Ines Neu" }).textContent()).toContain("Invited");
    await shot(admin, "invite-sent");

    const mail = await mailTo(invitee);
    expect(mail.subject).toBe(`You are invited to Helpgate (Account ${tag})`);
    expect(mail.headers.get("content-language")).toBe("en");
    expect(mail.text).toContain(`Admin ${tag} invited you to Account ${tag} on Helpgate (role: agent).`);
    const link = linkIn(mail, `${base}/password?token=`);
    expect(link).not.toBeNull();

    // The new user, in a browser of their own: choose a password, land in the console signed in.
    const { page: ines } = await person();
    await ines.goto(link ?? "");
    await ines.getByRole("heading", { level: 1, name: "Set your password" }).waitFor();
    await ines.getByText(`Welcome, Ines Neu — choose a password for ${invitee}.`).waitFor();
    const chosen = `ines-${tag}-chosen-words`;
    // Two different passwords are refused at the second field.
    await ines.getByLabel("New password").fill(chosen);
    await ines.getByLabel("Repeat the password").fill(`${chosen}-typo`);
    await ines.getByRole("button", { name: "Save password and sign in" }).click();
    await ines.locator("#f-repeat-error").getByText("The two passwords are not the same.").waitFor();
    await shot(ines, "invite-password-mismatch");
    await ines.getByLabel("New password").fill(chosen);
    await ines.getByLabel("Repeat the password").fill(chosen);
    await shot(ines, "invite-set-password");
    await ines.getByRole("button", { name: "Save password and sign in" }).click();
    await ines.waitForURL(`${base}/console`);
    await ines.getByRole("switch", { name: "Available" }).waitFor();
    await ines.getByText("Signed in as Ines Neu").waitFor();
    await shot(ines, "invite-console");

    // The admin's list no longer shows them as invited.
    await admin.reload();
    const row = admin.getByRole("row").filter({ hasText: "Ines Neu" });
    await row.waitFor();
    expect(await row.textContent()).not.toContain("Invited");

    // The link a second time, even in the same browser: no longer valid, with a way to a new one.
    await ines.goto(link ?? "");
    await ines.getByRole("heading", { level: 1, name: "This link is no longer valid" }).waitFor();
    expect(await ines.getByRole("link", { name: "Ask for a new link" }).getAttribute("href")).toBe(
      "/forgot-password",
    );
    await shot(ines, "invite-link-used");

    // The chosen password signs in.
    const res = await fetch(`${base}/api/v1/auth/login`, {
      method: "POST",
      headers: { origin: base, "content-type": "application/json" },
      body: JSON.stringify({ email: invitee, password: chosen }),
    });
    expect(res.status).toBe(200);
  });

  // ── 4. forgot password ─────────────────────────────────────────────────────
  it("4. 'Forgot password?' from the console: a neutral answer, the email's link sets a new password, the old one stops working", async () => {
    const tag = uniqueTag("email-reset");
    const { account } = await seedAccount(live.app, tag, "web");
    const user = await seedUser(live.app, account.id, `otto@${tag}.test.example`, "agent");
    const stranger = `nobody@${tag}.test.example`;
    const fresh = `otto-${tag}-new-secret`;

    // Otto is still signed in at his desk with the old password.
    const { page: desk } = await person();
    await desk.goto(`${base}/console`);
    await consoleSignIn(desk, user.email);

    const { page } = await person();
    await page.goto(`${base}/console`);
    await page.getByRole("heading", { name: "Sign in to the agent console" }).waitFor();
    const forgot = page.getByRole("link", { name: "Forgot password?" });
    await forgot.waitFor();
    await shot(page, "console-signin");
    await forgot.click();
    await page.waitForURL(`${base}/forgot-password`);
    await page.getByRole("heading", { level: 1, name: "Forgot your password?" }).waitFor();
    await shot(page, "forgot-form");

    // An address nobody has: the same answer as for a real one, and no email.
    await page.getByLabel("Email").fill(stranger);
    await page.getByRole("button", { name: "Send the link" }).click();
    await page.getByRole("heading", { level: 1, name: "Check your email" }).waitFor();
    const neutral = ((await page.locator("main").textContent()) ?? "").trim();
    expect(neutral).toContain("If an account with that address exists, we have sent a link");
    expect(neutral).not.toContain(stranger);

    await page.goto(`${base}/forgot-password`);
    await page.getByLabel("Email").fill(user.email.toUpperCase());
    await page.getByRole("button", { name: "Send the link" }).click();
    await page.getByRole("heading", { level: 1, name: "Check your email" }).waitFor();
    expect(((await page.locator("main").textContent()) ?? "").trim()).toBe(neutral);
    await shot(page, "forgot-answer");

    const mail = await mailTo(user.email);
    expect(mail.subject).toBe("Reset your Helpgate password");
    expect(mail.text).toContain("The link is valid for 30 minutes and only once.");
    const link = linkIn(mail, `${base}/password?token=`);
    expect(link).not.toBeNull();
    // Nothing was ever queued for the unknown address.
    expect(smtp.messages.filter((m) => toAddresses(m).includes(stranger))).toHaveLength(0);

    await page.goto(link ?? "");
    await page.getByRole("heading", { level: 1, name: "Set your password" }).waitFor();
    await page.getByText(`Choose a new password for ${user.email}.`).waitFor();
    await page.getByLabel("New password").fill(fresh);
    await page.getByLabel("Repeat the password").fill(fresh);
    await shot(page, "reset-set-password");
    await page.getByRole("button", { name: "Save password and sign in" }).click();
    await page.waitForURL(`${base}/console`);
    await page.getByRole("switch", { name: "Available" }).waitFor();
    await shot(page, "reset-console");
    // A new password ends every other sign-in: the console at his desk is signed out by itself.
    await desk.getByRole("heading", { name: "Sign in to the agent console" }).waitFor();

    // Signed out: the old password no longer signs in, the new one does.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to the agent console" }).waitFor();
    await page.getByLabel("Email", { exact: true }).fill(user.email);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("alert").getByText("Email or password is wrong.").waitFor();
    await shot(page, "reset-old-password");
    await consoleSignIn(page, user.email, fresh);

    // The link is used up.
    await page.goto(link ?? "");
    await page.getByRole("heading", { level: 1, name: "This link is no longer valid" }).waitFor();
  });

  it("had no Content Security Policy violations or page errors on any page", () => {
    expect(problems).toEqual([]);
  });
});
