/**
 * Screenshots of every customer page (each portal type, the offline form and its thank-you, field
 * errors, /join, the waiting page, the chat, a transfer and colleagues joining, every ending, 404)
 * in English and German at 390 and 1280 px, into test-results/screenshots/portal-*.png, and the
 * English desktop transfer into docs/screenshots/portal-transfer.png. Needs a build (npm run build)
 * and Chromium.
 *
 *   npx tsx scripts/screenshots-portal.ts
 */

import fs from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { sweepRequests } from "../src/server/sweeper.js";
import type { Portal } from "../src/shared/api.js";
import type { Language } from "../src/shared/model.js";
import type { SessionMember, TransferView } from "../src/shared/protocol.js";
import { call } from "../test/support/app.js";
import { launchBrowser, newPerson, screenshot } from "../test/support/browser.js";
import {
  type Agent,
  accept,
  ask,
  createPortal,
  decline,
  onlineAgent,
  patchUser,
  seedAgent,
  seedTenant,
  startWorld,
} from "../test/support/scenario.js";

const LANGS: Language[] = ["en", "de"];
const WIDTHS = [390, 1280];
const only = process.argv[2];

const world = await startWorld("sqlite");
const base = world.origin;
const browser = await launchBrowser();
const shots: string[] = [];

try {
  // ── the company: a web-mode account and a phone-mode account ──────────────
  const web = await seedTenant(world, "northwind", "web");
  const robin = await seedAgent(world, web, "robin");
  const sam = await seedAgent(world, web, "sam");
  const alex = await seedAgent(world, web, "alex");
  const jordan = await seedAgent(world, web, "jordan");
  await patchUser(world, web, robin, { displayName: "Robin Berger", maxSessions: 20 });
  await patchUser(world, web, sam, { displayName: "Sam Novak", maxSessions: 1 });
  await patchUser(world, web, alex, { displayName: "Alex Kim" });
  await patchUser(world, web, jordan, { displayName: "Jordan Weiss", maxSessions: 20 });
  // The account's admin watches sessions as the supervisor.
  const renamed = await call(
    world.app,
    web.adminCookie,
    "PATCH",
    `/api/v1/accounts/${web.account.id}/users/${web.admin.id}`,
    { displayName: "Morgan Reyes" },
  );
  if (renamed.status !== 200) throw new Error(`admin not renamed: ${renamed.status}`);
  const phone = await seedTenant(world, "callcenter", "phone");
  const pat = await seedAgent(world, phone, "pat");
  await patchUser(world, phone, pat, { displayName: "Pat Jones" });

  const portals: Record<string, Portal> = {};
  const copy = {
    en: {
      pick: [
        "Talk to someone you know",
        "Choose the person you spoke with before, or anyone who is available.",
      ],
      question: ["How can we help?", "Tell us what is going on and the next free agent answers in a moment."],
      button: ["Help with one click", "One click and an agent answers right here in your browser."],
      code: ["Enter the code from your call", "The agent on the phone reads you a 9-digit code."],
      product: ["Product", ["Router X1", "Router X2", "Mesh Kit"]],
    },
    de: {
      pick: ["Sprechen Sie mit jemandem, den Sie kennen", "Wählen Sie Ihren bisherigen Ansprechpartner."],
      question: [
        "Wie können wir helfen?",
        "Schildern Sie Ihr Anliegen – der nächste freie Mitarbeiter antwortet gleich.",
      ],
      button: ["Hilfe mit einem Klick", "Ein Klick, und ein Mitarbeiter meldet sich hier im Browser."],
      code: [
        "Code aus Ihrem Anruf eingeben",
        "Der Mitarbeiter am Telefon nennt Ihnen einen 9-stelligen Code.",
      ],
      product: ["Produkt", ["Router X1", "Router X2", "Mesh-Set"]],
    },
  } as const;
  for (const lang of LANGS) {
    const c = copy[lang];
    const common = { language: lang, name: lang === "en" ? "Northwind Support" : "Northwind Kundendienst" };
    portals[`pick-${lang}`] = await createPortal(world, web, "pick-agent", [robin, sam, alex], {
      ...common,
      title: c.pick[0],
      welcomeText: c.pick[1],
      primaryColor: "#0f766e",
    });
    portals[`question-${lang}`] = await createPortal(world, web, "question", [robin], {
      ...common,
      title: c.question[0],
      welcomeText: c.question[1],
      primaryColor: "#1f6feb",
      fields: [
        { kind: "name", required: true },
        { kind: "email", required: false },
        { kind: "select", label: c.product[0], required: false, options: [...c.product[1]] },
      ],
    });
    portals[`button-${lang}`] = await createPortal(world, web, "button", [robin], {
      ...common,
      title: c.button[0],
      welcomeText: c.button[1],
      primaryColor: "#b45309",
    });
    portals[`offline-${lang}`] = await createPortal(world, web, "question", [alex], {
      ...common,
      title: c.question[0],
      welcomeText: c.question[1],
      primaryColor: "#1f6feb",
    });
    portals[`code-${lang}`] = await createPortal(world, phone, "code", [pat], {
      language: lang,
      name: lang === "en" ? "Callcenter Phone Support" : "Callcenter Telefon-Support",
      title: c.code[0],
      welcomeText: c.code[1],
      primaryColor: "#6d28d9",
    });
  }
  const slug = (key: string) => {
    const p = portals[key];
    if (!p) throw new Error(`no portal ${key}`);
    return p.slug;
  };

  // Robin is available; Sam is available but at his limit (busy); Alex never signs in (offline).
  // Jordan (in no portal) takes transfers.
  const sockets = [
    await onlineAgent(world, robin),
    await onlineAgent(world, sam),
    await onlineAgent(world, jordan),
  ];
  const samsCustomer = await ask(world, slug("pick-en"), { name: "Earlier customer" }, sam.user.id);
  await accept(world, sam, samsCustomer.requestId);

  const agentSays = async (agent: Agent, requestId: string, body: string) => {
    const r = await call(world.app, agent.cookie, "POST", `/api/v1/sessions/${requestId}/messages`, { body });
    if (r.status !== 201) throw new Error(`agent message failed: ${r.status}`);
  };
  const requestIdOf = (page: Page) => new URL(page.url()).pathname.split("/")[2] ?? "";
  /** A teamwork REST call that must succeed (transfer, accept, invite, monitor); its answer. */
  const team = async <T>(cookie: string, url: string, body: unknown = {}): Promise<T> => {
    const r = await call(world.app, cookie, "POST", `/api/v1${url}`, body);
    if (r.status >= 300) throw new Error(`${url} failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as T;
  };

  for (const lang of LANGS) {
    for (const width of WIDTHS) {
      const suffix = `${lang}-${width}`;
      const shot = async (page: Page, name: string) => {
        if (only && !name.includes(only)) return;
        await page.waitForTimeout(150);
        shots.push(await screenshot(page, `portal-${name}-${suffix}`));
      };
      const { context, page } = await newPerson(browser, {
        locale: lang === "de" ? "de-DE" : "en-US",
        width,
      });
      page.on("console", (m) => {
        // Refused submits (400/404) are on purpose; anything else is worth a look.
        if (m.type() === "error" && !m.text().startsWith("Failed to load resource"))
          console.warn(`[${suffix}] console: ${m.text()}`);
      });
      const open = async (path: string) => {
        await page.goto(`${base}${path}`);
        await page.waitForLoadState("networkidle");
      };
      const c = copy[lang];

      // Each portal type as the customer first sees it.
      await open(`/p/${slug(`pick-${lang}`)}`);
      await shot(page, "pick-agent");
      await open(`/p/${slug(`question-${lang}`)}`);
      await shot(page, "question");
      await open(`/p/${slug(`button-${lang}`)}`);
      await shot(page, "button");
      await open(`/p/${slug(`code-${lang}`)}`);
      await shot(page, "code");

      // Field errors, shown inline by the bundle.
      await open(`/p/${slug(`question-${lang}`)}`);
      await page.locator("#f-email").fill("carla@");
      await page.locator("#f-question").fill("x".repeat(2010));
      await page.locator("form[data-form] button[type=submit]").click();
      await page.locator("#error-summary:not([hidden])").waitFor();
      await shot(page, "errors");

      // A wrong code at the company code portal, and /join.
      await open(`/p/${slug(`code-${lang}`)}`);
      await page.locator("#f-code").fill("123 45");
      await page.locator("form[data-form] button[type=submit]").click();
      await page.locator("#f-code-error:not([hidden])").waitFor();
      await shot(page, "code-error");
      await open("/join");
      await shot(page, "join");
      await page.locator("#f-code").fill("999-999-999");
      await page.locator("form[data-form] button[type=submit]").click();
      await page.locator("#f-code-error:not([hidden])").waitFor();
      await shot(page, "join-error");

      // Nobody available: the offline message form, and its thank-you.
      await open(`/p/${slug(`offline-${lang}`)}`);
      await shot(page, "offline");
      await page.locator("#f-name").fill("Carla Diaz");
      await page.locator("#f-email").fill("carla@example.com");
      await page
        .locator("#f-question")
        .fill(
          lang === "en"
            ? "Please call me back about my order."
            : "Bitte rufen Sie mich wegen meiner Bestellung zurück.",
        );
      await page.locator("form[data-form] button[type=submit]").click();
      await page.waitForURL(/\/thanks$/);
      await shot(page, "offline-sent");

      // Ask a question → waiting → accepted (chat) → ended.
      await open(`/p/${slug(`question-${lang}`)}`);
      await page.locator("#f-name").fill("Carla Diaz");
      await page.locator("#f-email").fill("carla@example.com");
      await page.locator("#f-custom1").selectOption({ index: 2 });
      await page
        .locator("#f-question")
        .fill(
          lang === "en"
            ? "My router drops the Wi-Fi every evening around 8 pm."
            : "Mein Router verliert jeden Abend gegen 20 Uhr das WLAN.",
        );
      await page.locator("form[data-form] button[type=submit]").click();
      await page.waitForURL(/\/r\//);
      await page.waitForTimeout(3200);
      await shot(page, "waiting");
      const id = requestIdOf(page);
      await accept(world, robin, id);
      await page.locator("#chat-body").waitFor();
      await agentSays(
        robin,
        id,
        lang === "en"
          ? "Hi Carla, I'm Robin. Let's sort this out."
          : "Hallo Carla, hier ist Robin. Das kriegen wir hin.",
      );
      await page
        .locator("#chat-body")
        .fill(lang === "en" ? "Thanks! It started last week." : "Danke! Es fing letzte Woche an.");
      await page.locator("#chat-body").press("Enter");
      await page.locator(".msg-customer").first().waitFor();
      await agentSays(
        robin,
        id,
        lang === "en"
          ? "Please try the steps on https://example.com/help/wifi and tell me what you see."
          : "Bitte probieren Sie die Schritte auf https://example.com/hilfe/wlan und sagen Sie mir, was Sie sehen.",
      );
      await page.locator(".msg-agent").nth(1).waitFor();
      await shot(page, "chat");

      // Robin hands the conversation to Jordan: the heading and a chat line name the new agent.
      const transfer = await team<TransferView>(robin.cookie, `/sessions/${id}/transfer`, {
        toAgentId: jordan.user.id,
        note: "Wi-Fi drops in the evening; probably channel interference.",
      });
      await team(jordan.cookie, `/transfers/${transfer.id}/accept`);
      await page.locator("li[data-event='owner.changed']").waitFor();
      await page.locator("h1", { hasText: "Jordan Weiss" }).waitFor();
      await agentSays(
        jordan,
        id,
        lang === "en"
          ? "Hi Carla, Jordan here from the network team. I have read what you wrote."
          : "Hallo Carla, hier ist Jordan vom Netzwerk-Team. Ich habe alles gelesen.",
      );
      await page.locator(".msg-agent", { hasText: "Jordan" }).waitFor();
      await shot(page, "transfer");

      // Jordan invites Robin back, and the supervisor follows: several agents in one chat.
      const invited = await team<SessionMember[]>(jordan.cookie, `/sessions/${id}/invitations`, {
        agentIds: [robin.user.id],
      });
      await team(robin.cookie, `/invitations/${invited[0]?.id ?? ""}/accept`);
      await page.locator("li[data-event='joined']").waitFor();
      await team(web.adminCookie, `/sessions/${id}/monitor`);
      await agentSays(
        robin,
        id,
        lang === "en"
          ? "I'm still here too, in case you need the earlier steps."
          : "Ich bin auch noch da, falls Sie die Schritte von vorhin brauchen.",
      );
      await page.locator(".msg-agent").nth(3).waitFor();
      await shot(page, "team");
      await page.locator("form[data-end] button").click();
      await page.locator("main[data-state=ended]").waitFor();
      await shot(page, "ended");

      // Pick an agent, who declines → "choose another agent or leave a message".
      await open(`/p/${slug(`pick-${lang}`)}`);
      await page.locator(`label[data-agent="${robin.user.id}"]`).click();
      await page.locator("#f-name").fill("Carla Diaz");
      await page.locator("form[data-form] button[type=submit]").click();
      await page.waitForURL(/\/r\//);
      await decline(world, robin, requestIdOf(page));
      await page.locator("main[data-state=declined]").waitFor();
      await shot(page, "declined");

      // The button portal, canceled by the customer.
      await open(`/p/${slug(`button-${lang}`)}`);
      await page.locator("form[data-form] button[type=submit]").click();
      await page.waitForURL(/\/r\//);
      await page.locator("form[data-cancel] button").click();
      await page.locator("main[data-state=canceled]").waitFor();
      await shot(page, "canceled");

      // Nobody answered within 10 minutes → no-response.
      await open(`/p/${slug(`button-${lang}`)}`);
      await page.locator("form[data-form] button[type=submit]").click();
      await page.waitForURL(/\/r\//);
      world.clock.advance(11 * 60_000);
      await sweepRequests(world.app.deps);
      await page.locator("main[data-state=no-response]").waitFor();
      await shot(page, "no-response");

      // A portal that does not exist.
      await page.goto(`${base}/p/no-such-portal`);
      await shot(page, "404");
      await context.close();
      void c;
    }
  }
  for (const s of sockets) await s.close();
  console.log(`${shots.length} screenshots:`);
  for (const s of shots) console.log(`  ${s}`);
  // For the README: the customer's chat after a transfer, English, desktop.
  const transferShot = shots.find((s) => s.endsWith("portal-transfer-en-1280.png"));
  if (transferShot) {
    const docs = path.resolve("docs/screenshots");
    fs.mkdirSync(docs, { recursive: true });
    fs.copyFileSync(transferShot, path.join(docs, "portal-transfer.png"));
    console.log(`  → ${path.join(docs, "portal-transfer.png")}`);
  }
} finally {
  await browser.close();
  await world.close();
}
