/**
 * Screenshots of every admin page, in English and German, at desktop (1280px) and phone (390px)
 * width, for looking at the pages and for the README.
 *
 *   npm run build && npx tsx scripts/screenshots-admin.ts
 *
 * Starts its own server (with the demo accounts and their four weeks of history) on a temporary
 * data directory and a free port, and writes PNGs to
 * test-results/screenshots/admin-<page>-<lang>-<width>.png, and the README's to docs/screenshots/
 * (admin-portals, admin-portal-form, admin-reports, admin-reports-mobile).
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
const OUT = path.resolve("test-results/screenshots");
const DOCS = path.resolve("docs/screenshots");
const OPERATOR = { email: "operator@screenshots.example", password: "screenshots-operator-1" };
const WIDTHS = [1280, 390] as const;
const LANGS = [
  { lang: "en", locale: "en-US" },
  { lang: "de", locale: "de-DE" },
] as const;

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
  if (!fs.existsSync("dist/web/admin/index.html")) throw new Error("Build first: npm run build");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "helpgate-screenshots-"));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    PORT: String(port),
    HOST: "127.0.0.1",
    PUBLIC_URL: baseUrl,
    HELPGATE_DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    HELPGATE_ADMIN_EMAIL: OPERATOR.email,
    HELPGATE_ADMIN_PASSWORD: OPERATOR.password,
  });
  const db = openDatabase(config.databaseUrl);
  await migrate(db);
  const { server, deps } = await buildApp({ config, db, logger: false });
  const first = await firstStart(deps);
  await server.listen({ port, host: "127.0.0.1" });
  const webAdmin = first?.credentials.find((c) => c.email === "admin@web.example.com");
  if (!webAdmin?.password) throw new Error("the demo web account's admin was not created");
  return {
    baseUrl,
    admin: { email: webAdmin.email, password: webAdmin.password },
    close: async () => {
      await server.close();
      await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function shoot(page: Page, name: string): Promise<void> {
  // Let the page's data and focus rings settle, then make the window as tall as the page, so
  // sticky parts (the form's buttons) sit where they do at the end of the page.
  await page.waitForLoadState("networkidle");
  const size = page.viewportSize() ?? { width: 1280, height: 860 };
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: size.width, height: Math.max(size.height, height) });
  await page.waitForTimeout(150);
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
  await page.setViewportSize(size);
  console.log(`  ${name}.png`);
}

/**
 * A README image: the page from its top down to the end of `until` (the rest of a long page —
 * the reports' comments — stays out), at the same tall window as shoot() uses.
 */
async function shootTop(page: Page, file: string, until: string): Promise<void> {
  await page.waitForLoadState("networkidle");
  const size = page.viewportSize() ?? { width: 1280, height: 860 };
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: size.width, height: Math.max(size.height, height) });
  await page.waitForTimeout(150);
  const box = await page.locator(until).boundingBox();
  if (!box) throw new Error(`${until} is not on the page`);
  const bottom = Math.min(height, Math.ceil(box.y + box.height + 24));
  await page.screenshot({ path: file, clip: { x: 0, y: 0, width: size.width, height: bottom } });
  await page.setViewportSize(size);
  console.log(`  ${path.relative(process.cwd(), file)}`);
}

async function signIn(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/admin`);
  await page.locator("#signin-email").fill(email);
  await page.locator("#signin-password").fill(password);
  await page.locator("form button[type=submit]").click();
  await page.locator("nav.sidenav").waitFor();
}

async function go(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.locator("main h1").first().waitFor();
  await page.locator(".loading").waitFor({ state: "detached" });
}

async function run(browser: Browser, server: Awaited<ReturnType<typeof startServer>>): Promise<void> {
  const { baseUrl, admin } = server;
  for (const { lang, locale } of LANGS) {
    for (const width of WIDTHS) {
      const suffix = `${lang}-${width}`;
      const context = await browser.newContext({ locale, viewport: { width, height: 860 } });
      context.setDefaultTimeout(10_000);
      const page = await context.newPage();
      const violations: string[] = [];
      page.on("console", (m) => {
        if (m.text().includes("Content Security Policy")) violations.push(m.text());
      });

      await page.goto(`${baseUrl}/admin`);
      await page.locator("#signin-email").waitFor();
      await shoot(page, `admin-signin-${suffix}`);

      await signIn(page, baseUrl, admin.email, admin.password);
      await go(page, `${baseUrl}/admin/portals`);
      await shoot(page, `admin-portals-${suffix}`);

      // The first Copy button, to show its "Copied" feedback.
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl });
      await page.locator("table.list .copy button").first().click();
      await page.locator("table.list .copy button.done").first().waitFor();
      await page.screenshot({
        path: path.join(OUT, `admin-portals-copied-${suffix}.png`),
        clip: { x: 0, y: 0, width, height: 560 },
      });

      const pickAgent = page.locator("table.list a.row-title", { hasText: "pick your agent" });
      await pickAgent.click();
      await page.locator(".preview").waitFor();
      await page.locator(".loading").waitFor({ state: "detached" });
      await shoot(page, `admin-portal-edit-${suffix}`);

      await go(page, `${baseUrl}/admin/portals/new`);
      await page.locator("#portal-name").fill("Returns and refunds");
      await page.locator("#portal-slug").fill("web-question");
      await page.locator("#portal-welcomeText").fill("Questions about a return? We answer here.");
      await page.locator("#field-to-add").selectOption("text");
      await page.locator(".add-field button").click();
      await page
        .getByLabel("Label (Custom text 1)")
        .or(page.getByLabel("Beschriftung (Eigenes Textfeld 1)"))
        .fill("Order number");
      await page.locator("form.portal-form button[type=submit]").click();
      await page.locator("#portal-slug-error").waitFor();
      await shoot(page, `admin-portal-form-error-${suffix}`);

      await go(page, `${baseUrl}/admin/users`);
      await shoot(page, `admin-users-${suffix}`);
      await page.locator("table.list a.row-title", { hasText: "Robin Agent" }).click();
      await page.locator("#user-displayName").waitFor();
      await shoot(page, `admin-user-edit-${suffix}`);

      await go(page, `${baseUrl}/admin/users/new`);
      await page.locator("#user-displayName").fill("Kim Agent");
      await page.locator("#user-email").fill("not-an-email");
      await page.locator("form.form button[type=submit]").click();
      await page.locator("#user-email-error").waitFor();
      await shoot(page, `admin-user-new-error-${suffix}`);

      await go(page, `${baseUrl}/admin/account`);
      await shoot(page, `admin-account-${suffix}`);

      // Reports over the demo's four weeks of history; for the README, English at desktop width
      // and German at phone width, from the top to the end of the table by portal.
      await go(page, `${baseUrl}/admin/reports?period=last30`);
      await page.locator(".chart-canvas canvas").nth(2).waitFor();
      await page.locator(".chart-note").waitFor({ state: "detached" });
      await shoot(page, `admin-reports-${suffix}`);
      const readme = { "en-1280": "admin-reports.png", "de-390": "admin-reports-mobile.png" } as const;
      const doc = readme[suffix as keyof typeof readme];
      if (doc) await shootTop(page, path.join(DOCS, doc), "section[aria-labelledby=report-portals]");

      // Operators: the account switcher and the list of all accounts.
      await page.locator(".user-menu button").click();
      await page.locator("#signin-email").waitFor();
      await signIn(page, baseUrl, OPERATOR.email, OPERATOR.password);
      await go(page, `${baseUrl}/admin/accounts`);
      await shoot(page, `admin-accounts-${suffix}`);
      await page.locator("#new-account-name").fill("Acme Repairs");
      await page.locator("#new-account-admin-name").fill("Ann Admin");
      await page.locator("#new-account-admin-email").fill(`ann-${suffix}@acme.example`);
      await page.locator("form[aria-labelledby=new-account-title] button[type=submit]").click();
      await page.locator(".secret").waitFor();
      await shoot(page, `admin-accounts-created-${suffix}`);

      await page.locator(".user-menu button").click();
      await page.locator("#signin-email").waitFor();
      if (violations.length > 0) throw new Error(`CSP violations:\n${violations.join("\n")}`);
      await context.close();
    }
  }
  // Two more for the README: English, desktop (the reports' two are written above).
  fs.copyFileSync(path.join(OUT, "admin-portals-en-1280.png"), path.join(DOCS, "admin-portals.png"));
  fs.copyFileSync(path.join(OUT, "admin-portal-edit-en-1280.png"), path.join(DOCS, "admin-portal-form.png"));
}

async function main(): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  fs.mkdirSync(DOCS, { recursive: true });
  const server = await startServer();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  console.log(`Screenshots of ${server.baseUrl}/admin → ${OUT}`);
  try {
    await run(browser, server);
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
