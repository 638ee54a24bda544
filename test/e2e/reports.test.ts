import fs from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { call, login, PASSWORD, seedUser } from "../support/app.js";
import { launchBrowser, newPerson, screenshot } from "../support/browser.js";
import {
  type Agent,
  type AgentSocket,
  accept,
  ask,
  createPortal,
  decline,
  onlineAgent,
  patchUser,
  seedAgent,
  seedTenant,
  startWorld,
  type Tenant,
  type World,
} from "../support/scenario.js";

/**
 * The reports page in real Chromium against the real server: a little history seeded through
 * the API (sessions with outcomes and ratings, declines, an offline message), the summary's
 * figures, the period in the URL, a CSV download, the time zone setting, charts at 390 px, and
 * that agents get neither the page nor the API.
 */
describe.skipIf(!inject("chromium"))("reports (/admin/reports)", () => {
  let world: World;
  let browser: Browser;
  let tenant: Tenant;
  let anna: Agent;
  let ben: Agent;
  let managerEmail: string;
  const sockets: AgentSocket[] = [];

  async function endWith(
    agent: Agent,
    requestId: string,
    customer: string,
    outcome: string,
    rating?: number,
    comment?: string,
  ) {
    expect((await call(world.app, agent.cookie, "POST", `/api/v1/sessions/${requestId}/end`)).status).toBe(
      204,
    );
    expect(
      (await call(world.app, agent.cookie, "POST", `/api/v1/sessions/${requestId}/outcome`, { outcome }))
        .status,
    ).toBe(200);
    if (rating !== undefined) {
      const res = await world.app.server.inject({
        method: "POST",
        url: `/api/v1/customer/requests/${requestId}/survey`,
        headers: { origin: world.origin, cookie: customer },
        payload: comment === undefined ? { rating } : { rating, comment },
      });
      expect(res.statusCode).toBe(204);
    }
  }

  beforeAll(async () => {
    world = await startWorld("sqlite");
    // The history below spans up to six hours a day: started late in Berlin's day, a day's last
    // requests would fall on the next day. Start it at the next 08:00 in Berlin, whatever the
    // hour the suite runs at.
    const berlinHour = (t: number) =>
      Number(
        new Intl.DateTimeFormat("en-GB", {
          timeZone: "Europe/Berlin",
          hour: "2-digit",
          hourCycle: "h23",
        }).format(t),
      );
    let eight = Math.ceil(world.clock.now() / 3_600_000) * 3_600_000;
    while (berlinHour(eight) !== 8) eight += 3_600_000;
    world.clock.advance(eight - world.clock.now());
    browser = await launchBrowser();
    tenant = await seedTenant(world, "reports");
    anna = await seedAgent(world, tenant, "anna");
    ben = await seedAgent(world, tenant, "ben");
    await patchUser(world, tenant, anna, { maxSessions: 10 });
    await patchUser(world, tenant, ben, { maxSessions: 10 });
    managerEmail = `mia@${tenant.tag}.example`;
    await seedUser(world.app, tenant.account.id, managerEmail, "manager");
    const portal = await createPortal(world, tenant, "pick-agent", [anna, ben]);
    sockets.push(await onlineAgent(world, anna), await onlineAgent(world, ben));

    const values = { name: "Carla", question: "My printer is on fire" };
    // Five earlier days of history (so the charts have something to show), the clock moved on
    // between requests and days; sign-ins last 12 hours, so everyone signs in again each day.
    for (let day = 0; day < 5; day += 1) {
      const start = world.clock.now();
      for (let i = 0; i < 2 + (day % 3); i += 1) {
        const agent = i % 2 === 0 ? anna : ben;
        const r = await ask(world, portal.slug, values, agent.user.id);
        world.clock.advance((15 + 20 * i + 10 * day) * 1000);
        expect((await accept(world, agent, r.requestId)).status).toBe(200);
        world.clock.advance((3 + i * 2) * 60_000);
        await endWith(agent, r.requestId, r.cookie, i === 1 ? "unresolved" : "resolved", 3 + ((day + i) % 3));
        world.clock.advance(90 * 60_000);
      }
      if (day % 2 === 0) {
        const d = await ask(world, portal.slug, values, ben.user.id);
        expect((await decline(world, ben, d.requestId)).status).toBe(200);
      }
      world.clock.advance(24 * 60 * 60_000 - (world.clock.now() - start));
      anna.cookie = await login(world.app, anna.user.email);
      ben.cookie = await login(world.app, ben.user.email);
      tenant.adminCookie = await login(world.app, tenant.admin.email);
    }

    // Today: four sessions (three Anna, one Ben), two declines, one offline message.
    const a1 = await ask(world, portal.slug, values, anna.user.id);
    expect((await accept(world, anna, a1.requestId)).status).toBe(200);
    await endWith(anna, a1.requestId, a1.cookie, "resolved", 5, "Quick and friendly");
    const a2 = await ask(world, portal.slug, values, anna.user.id);
    expect((await accept(world, anna, a2.requestId)).status).toBe(200);
    await endWith(anna, a2.requestId, a2.cookie, "resolved", 4);
    const a3 = await ask(world, portal.slug, values, anna.user.id);
    expect((await accept(world, anna, a3.requestId)).status).toBe(200);
    const b1 = await ask(world, portal.slug, values, ben.user.id);
    expect((await accept(world, ben, b1.requestId)).status).toBe(200);
    await endWith(ben, b1.requestId, b1.cookie, "unresolved", 2, '=HYPERLINK("x") did not help');
    const d1 = await ask(world, portal.slug, values, anna.user.id);
    expect((await decline(world, anna, d1.requestId)).status).toBe(200);
    const d2 = await ask(world, portal.slug, values, ben.user.id);
    expect((await decline(world, ben, d2.requestId)).status).toBe(200);
    const offline = await world.app.server.inject({
      method: "POST",
      url: `/api/v1/portals/${portal.slug}/offline`,
      headers: { origin: world.origin },
      payload: { values: { name: "Olga", email: "olga@example.com", question: "Call me back" } },
    });
    expect(offline.statusCode).toBe(201);
  });

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await browser?.close();
    await world?.close();
  });

  function watch(page: Page): string[] {
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      // Resource errors are the answers the test provokes (401 before sign-in, a 400 it checks).
      if (m.text().startsWith("Failed to load resource")) return;
      if (m.type() === "error" || m.text().includes("Content Security Policy")) errors.push(m.text());
    });
    return errors;
  }

  async function signIn(page: Page, email: string, de = false): Promise<void> {
    await page.goto(`${world.live.baseUrl}/admin`);
    await page.getByLabel(de ? "E-Mail" : "Email").fill(email);
    await page.getByLabel(de ? "Passwort" : "Password").fill(PASSWORD);
    await page.getByRole("button", { name: de ? "Anmelden" : "Sign in" }).click();
  }

  function tile(page: Page, label: string) {
    return page
      .locator(".tile")
      .filter({ has: page.locator("dt", { hasText: new RegExp(`^${label}$`) }) })
      .locator(".tile-value");
  }

  it("the account's time zone is set on the account page; an unknown zone is shown at the field", async () => {
    const { context, page } = await newPerson(browser);
    const errors = watch(page);
    await signIn(page, tenant.admin.email);
    await page.getByRole("heading", { level: 1, name: "Portals" }).waitFor();
    await page.getByRole("navigation", { name: /./ }).getByRole("link", { name: "Reports" }).waitFor();
    await page.getByRole("link", { name: "Account settings", exact: true }).click();
    const zone = page.getByLabel("Time zone");
    await zone.fill("Mars/Olympus_Mons");
    await page.getByRole("button", { name: "Save" }).click();
    await zone.and(page.locator('[aria-invalid="true"]')).waitFor();
    await expect(page.locator("#account-timeZone-error").textContent()).resolves.toContain("Not a time zone");
    await zone.fill("Europe/Berlin");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Saved.").waitFor();
    const account = await call(world.app, tenant.adminCookie, "GET", "/api/v1/auth/me");
    const accounts = (account.body as { accounts: { id: string; timeZone: string }[] }).accounts;
    expect(accounts.find((a) => a.id === tenant.account.id)?.timeZone).toBe("Europe/Berlin");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("a manager sees the figures, changes the period in the URL and downloads CSV", async () => {
    const { context, page } = await newPerson(browser);
    const errors = watch(page);
    await signIn(page, managerEmail);
    // A manager's /admin is the reports page; the navigation has only what managers may do
    // (the reports and the account's canned responses).
    await page.getByRole("heading", { level: 1, name: "Reports" }).waitFor();
    const nav = page.locator("nav.sidenav");
    await expect(nav.getByRole("link").allTextContents()).resolves.toEqual(["Reports", "Canned responses"]);
    await page.getByText("Days in Europe/Berlin.").waitFor();
    // The default is the last 7 days (five earlier days of history and today); today alone:
    await page.locator(".chart-canvas canvas").first().waitFor();
    await page.getByText(/^\d+ requests over 7 days/).waitFor();
    await page.getByLabel("Period").selectOption("today");
    await page.waitForURL(/period=today/);
    await page.getByText(/^7 requests on /).waitFor();

    await expect(tile(page, "Submitted").textContent()).resolves.toBe("6");
    await expect(tile(page, "Accepted").textContent()).resolves.toBe("4");
    await expect(tile(page, "Declined").textContent()).resolves.toBe("2");
    await expect(tile(page, "Offline messages").textContent()).resolves.toBe("1");
    await expect(tile(page, "Answer rate").textContent()).resolves.toMatch(/^66\.7\s?%$/);
    await page.getByText("Quick and friendly").waitFor();
    const agents = page.locator("section[aria-labelledby=report-agents] table");
    await expect(agents.getByRole("row", { name: /anna/ }).locator("td").first().textContent()).resolves.toBe(
      "3",
    );
    // The charts are drawn (uPlot canvases) and described in words.
    await page.locator(".chart-canvas canvas").first().waitFor();
    await expect(page.locator(".chart-canvas canvas").count()).resolves.toBe(3);

    // The period lives in the URL: a shared link to an empty month opens empty, and a reload keeps it.
    await page.goto(`${world.live.baseUrl}/admin/reports?period=custom&from=2020-01-01&to=2020-01-31`);
    await page.getByText("No requests in this period.").waitFor();
    await expect(page.getByLabel("From").inputValue()).resolves.toBe("2020-01-01");
    await page.reload();
    await page.getByText("No requests in this period.").waitFor();
    await expect(page.getByLabel("Period").inputValue()).resolves.toBe("custom");
    await page.goBack();
    await page.waitForURL(/period=today/);
    await expect(tile(page, "Submitted").textContent()).resolves.toBe("6");
    // Custom: two date inputs.
    await page.getByLabel("Period").selectOption("custom");
    await page.waitForURL(/period=custom&from=\d{4}-\d{2}-\d{2}&to=\d{4}-\d{2}-\d{2}/);
    await page.getByLabel("From").waitFor();
    await expect(tile(page, "Submitted").textContent()).resolves.toBe("6");

    // A table's CSV: same path + .csv with the same query.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download CSV: By agent" }).click(),
    ]);
    expect(download.url()).toMatch(/\/reports\/agents\.csv\?period=custom&from=/);
    const file = await download.path();
    const text = fs.readFileSync(file, "utf8");
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const [header, ...rows] = text.slice(1).split(/\r?\n/).filter(Boolean);
    expect(header?.toLowerCase()).toContain("sessions");
    expect(rows.some((r) => r.includes("anna"))).toBe(true);
    const [all] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download all requests (CSV)" }).click(),
    ]);
    expect(all.suggestedFilename()).toMatch(/^helpgate-requests-.*\.csv$/);
    const raw = fs
      .readFileSync(await all.path(), "utf8")
      .slice(1)
      .split(/\r?\n/)
      .filter(Boolean);
    expect(raw[0]).toContain("requestId");
    expect(raw).toHaveLength(1 + 7);

    // The manager cannot open the other admin pages.
    await page.goto(`${world.live.baseUrl}/admin/users`);
    await page.getByRole("heading", { name: "The admin pages are for admins" }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it("an agent has no Reports in /admin and gets 403 from the API", async () => {
    const { context, page } = await newPerson(browser);
    await signIn(page, anna.user.email);
    await page.getByRole("heading", { name: "The admin pages are for admins" }).waitFor();
    await expect(page.getByRole("link", { name: "Reports" }).count()).resolves.toBe(0);
    await page.goto(`${world.live.baseUrl}/admin/reports`);
    await page.getByRole("heading", { name: "The admin pages are for admins" }).waitFor();
    await context.close();
    for (const table of ["summary", "agents", "days", "requests.csv"]) {
      const res = await call(
        world.app,
        anna.cookie,
        "GET",
        `/api/v1/accounts/${tenant.account.id}/reports/${table}`,
      );
      expect(res.status, table).toBe(403);
    }
    const manager = await login(world.app, managerEmail);
    const ok = await call(world.app, manager, "GET", `/api/v1/accounts/${tenant.account.id}/reports/summary`);
    expect(ok.status).toBe(200);
  });

  it("fits at 390 px and reads in German; screenshots in en and de at 1280 and 390 px", async () => {
    for (const [locale, width] of [
      ["en-US", 1280],
      ["de-DE", 1280],
      ["en-US", 390],
      ["de-DE", 390],
    ] as const) {
      const de = locale === "de-DE";
      const { context, page } = await newPerson(browser, { locale, width });
      const errors = watch(page);
      await signIn(page, managerEmail, de);
      await page.getByRole("heading", { level: 1, name: de ? "Berichte" : "Reports" }).waitFor();
      await page.locator(".chart-canvas canvas").nth(2).waitFor();
      await page.getByText(de ? /^Tage in / : /^Days in /).waitFor();
      await screenshot(page, `admin-reports-${de ? "de" : "en"}-${width}`);
      for (const part of ["summary", "charts"]) {
        await page.locator(`section[aria-labelledby=report-${part}]`).screenshot({
          path: `test-results/screenshots/admin-reports-${part}-${de ? "de" : "en"}-${width}.png`,
        });
      }
      const wide = await page.evaluate(() =>
        [...document.querySelectorAll("body *")]
          .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
          .slice(0, 5)
          .map((el) => `${el.tagName}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`),
      );
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 0) console.log(locale, width, wide);
      expect(overflow, `${locale} ${width}: no sideways scrolling`).toBeLessThanOrEqual(0);
      const widths = await page
        .locator(".chart-canvas")
        .evaluateAll((els) => els.map((el) => [el.scrollWidth, el.clientWidth]));
      for (const [inner, outer] of widths) expect(inner).toBeLessThanOrEqual((outer ?? 0) + 1);
      expect(errors).toEqual([]);
      await context.close();
    }
  });
});
