import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Portal } from "../../src/shared/api.js";
import { PASSWORD } from "../support/app.js";
import { launchBrowser, newPerson, type Person, screenshot } from "../support/browser.js";
import {
  type Agent,
  createPortal,
  patchUser,
  seedAgent,
  seedTenant,
  startWorld,
  type World,
} from "../support/scenario.js";

const WAIT = { timeout: 10_000 };

/**
 * Queue mode in real Chromium: three customers in line at a queue portal, two agents in the
 * console. Customers see their places (1, 2, 3) move as agents accept; a decline in the console's
 * offer pop-up hands the offer to the other agent, whose pop-up appears.
 */
describe.skipIf(!inject("chromium"))("queue mode in Chromium", () => {
  let world: World;
  let browser: Browser;
  let base: string;
  let portal: Portal;
  let ann: Agent;
  let ben: Agent;
  const people: Person[] = [];

  beforeAll(async () => {
    world = await startWorld("sqlite");
    base = world.origin;
    browser = await launchBrowser();
    const tenant = await seedTenant(world, "e2e-queue", "queue");
    ann = await seedAgent(world, tenant, "ann");
    ben = await seedAgent(world, tenant, "ben");
    await patchUser(world, tenant, ann, { displayName: "Ann Weber" });
    await patchUser(world, tenant, ben, { displayName: "Ben Ito" });
    portal = await createPortal(world, tenant, "question", [ann, ben], {
      name: "Web shop",
      title: "Support line",
    });
  });

  afterAll(async () => {
    for (const p of people) await p.context.close().catch(() => undefined);
    await browser?.close();
    await world?.close();
  });

  async function person(): Promise<Person> {
    const p = await newPerson(browser);
    people.push(p);
    return p;
  }

  async function agentConsole(agent: Agent): Promise<Page> {
    const { page } = await person();
    await page.goto(`${base}/console`);
    await page.getByLabel("Email").fill(agent.user.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    const toggle = page.getByRole("switch", { name: "Available" });
    await toggle.waitFor(WAIT);
    await toggle.check();
    await page.locator(".availability.is-on").waitFor(WAIT);
    return page;
  }

  async function customerAsks(name: string, question: string): Promise<Page> {
    const { page } = await person();
    await page.goto(`${base}/p/${portal.slug}`);
    await page.getByLabel("Your name").fill(name);
    await page.getByLabel("Your question").fill(question);
    await page.getByRole("button", { name: "Send question" }).click();
    await page.waitForURL(/\/r\/[^/]+$/, WAIT);
    await page.getByRole("heading", { name: "Please wait a moment" }).waitFor(WAIT);
    return page;
  }

  const positionOf = (page: Page) => page.locator("[data-queue-position]").textContent(WAIT);
  const offerPopup = (page: Page) => page.locator(".offer-popup");

  /** Which of the consoles shows an offer pop-up for this customer (waits until exactly one does). */
  async function holderOf(consoles: Page[], customer: string): Promise<number> {
    let holder = -1;
    await expect
      .poll(async () => {
        const shown = await Promise.all(
          consoles.map((page) =>
            offerPopup(page)
              .filter({ hasText: customer })
              .count()
              .catch(() => 0),
          ),
        );
        holder = shown.findIndex((n) => n > 0);
        return shown.reduce((a, b) => a + b, 0);
      }, WAIT)
      .toBe(1);
    return holder;
  }

  it("customers see their places move as agents accept; a decline hands the offer over", async () => {
    const annPage = await agentConsole(ann);
    const benPage = await agentConsole(ben);
    const consoles = [annPage, benPage];

    // The first customer is offered to one agent only, with a countdown.
    const dora = await customerAsks("Dora", "The printer is jammed.");
    const first = await holderOf(consoles, "Dora");
    const other = 1 - first;
    const firstPage = consoles[first] as Page;
    const otherPage = consoles[other] as Page;
    await expect.poll(() => offerPopup(firstPage).textContent(), WAIT).toMatch(/left to accept/);
    await expect.poll(() => positionOf(dora), WAIT).toBe("1");

    // Declining in the console passes the offer to the other agent: their pop-up appears.
    await offerPopup(firstPage).getByRole("button", { name: "Decline" }).click();
    await offerPopup(firstPage).waitFor({ state: "detached", ...WAIT });
    await offerPopup(otherPage).filter({ hasText: "Dora" }).waitFor(WAIT);

    // Two more customers: Emil is offered to the agent who declined, Finn waits third.
    const emil = await customerAsks("Emil", "Where is my invoice?");
    await offerPopup(firstPage).filter({ hasText: "Emil" }).waitFor(WAIT);
    const finn = await customerAsks("Finn", "Password reset, please.");
    await expect.poll(() => positionOf(dora), WAIT).toBe("1");
    await expect.poll(() => positionOf(emil), WAIT).toBe("2");
    await expect.poll(() => positionOf(finn), WAIT).toBe("3");

    // The queue bar shows the line in the console.
    await expect.poll(() => otherPage.locator(".queue-bar").textContent(), WAIT).toMatch(/3 waiting/);
    if (process.env.SAVE_DOC_SCREENSHOTS) {
      const file = path.resolve("docs/screenshots/console-queue.png");
      fs.mkdirSync(path.dirname(file), { recursive: true });
      await otherPage.screenshot({ path: file });
    }
    await screenshot(otherPage, "console-queue-offer");

    // An agent accepts Dora: everyone behind moves up.
    await offerPopup(otherPage).getByRole("button", { name: "Accept" }).click();
    await offerPopup(otherPage)
      .filter({ hasText: "Dora" })
      .waitFor({ state: "detached", ...WAIT });
    await dora.locator("[data-queue-position]").waitFor({ state: "detached", ...WAIT });
    await expect.poll(() => positionOf(emil), WAIT).toBe("1");
    await expect.poll(() => positionOf(finn), WAIT).toBe("2");

    // The other accepts Emil: Finn is next.
    await offerPopup(firstPage).getByRole("button", { name: "Accept" }).click();
    await emil.locator("[data-queue-position]").waitFor({ state: "detached", ...WAIT });
    await expect.poll(() => positionOf(finn), WAIT).toBe("1");
  });
});
