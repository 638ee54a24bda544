import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Portal } from "../../src/shared/api.js";
import { call, login } from "../support/app.js";
import { dialects } from "../support/databases.js";
import {
  type AgentSocket,
  ask,
  createPortal,
  onlineAgent,
  seedAgent,
  seedTenant,
  startWorld,
  submit,
  type Tenant,
  type World,
} from "../support/scenario.js";

const OFFICE = {
  timeZone: "Europe/Berlin",
  weekly: {
    mon: [
      { start: "09:00", end: "12:00" },
      { start: "13:00", end: "17:00" },
    ],
    tue: [{ start: "09:00", end: "17:00" }],
    wed: [{ start: "09:00", end: "17:00" }],
    thu: [{ start: "09:00", end: "17:00" }],
    fri: [{ start: "09:00", end: "17:00" }],
  },
  closures: [{ from: "2026-12-24", to: "2026-12-26", message: "Closed for Christmas." }],
};

describe.each(dialects())("business hours of a portal on %s", (dialect) => {
  let world: World;
  let tenant: Tenant;
  let other: Tenant;
  let portal: Portal;
  const sockets: AgentSocket[] = [];
  const patch = (cookie: string, body: unknown, t: Tenant = tenant, p: Portal = portal) =>
    call(world.app, cookie, "PATCH", `/api/v1/accounts/${t.account.id}/portals/${p.id}`, body);
  /** Moves the server's clock forward to an instant (the tests run in time order). */
  const moveTo = (iso: string) => {
    const target = Date.parse(iso);
    expect(target).toBeGreaterThan(world.clock.now());
    world.clock.advance(target - world.clock.now());
  };
  const pageOf = async (slug: string) =>
    world.app.server.inject({ method: "GET", url: `/p/${slug}`, headers: { "accept-language": "en" } });

  beforeAll(async () => {
    world = await startWorld(dialect, { HELPGATE_PORTAL_PAGE_CACHE_MS: "0" });
    tenant = await seedTenant(world, "hours");
    other = await seedTenant(world, "hours-other");
    const ada = await seedAgent(world, tenant, "ada");
    portal = await createPortal(world, tenant, "question", [ada]);
    sockets.push(await onlineAgent(world, ada));
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world?.close();
  });

  it("refuses a wrong schedule naming each field, and another account's or an agent's change", async () => {
    const bad = await patch(tenant.adminCookie, {
      businessHours: {
        timeZone: "Mars/Olympus",
        weekly: {
          mon: [
            { start: "09:00", end: "12:00" },
            { start: "11:00", end: "13:00" },
          ],
          tue: [{ start: "17:00", end: "09:00" }],
        },
        closures: [{ message: "No date" }],
      },
    });
    expect(bad.status).toBe(400);
    expect(Object.keys((bad.body as { fields: Record<string, unknown> }).fields).sort()).toEqual([
      "businessHours.closures[0].from",
      "businessHours.timeZone",
      "businessHours.weekly.mon[1]",
      "businessHours.weekly.tue[0].end",
    ]);
    // A shape the schema refuses (an unknown weekday) is a 400 too, never a 500.
    const shape = await patch(tenant.adminCookie, {
      businessHours: { timeZone: "Europe/Berlin", weekly: { someday: [] } },
    });
    expect(shape.status).toBe(400);
    // Nothing was saved.
    const read = await call(
      world.app,
      tenant.adminCookie,
      "GET",
      `/api/v1/accounts/${tenant.account.id}/portals/${portal.id}`,
    );
    expect((read.body as Portal).businessHours).toBeNull();
    // Another account's admin: the portal does not exist for them.
    expect((await patch(other.adminCookie, { businessHours: OFFICE })).status).toBe(404);
    const agent = await seedAgent(world, tenant, "bea");
    expect((await patch(agent.cookie, { businessHours: OFFICE })).status).toBe(403);
  });

  it("saves the schedule (the zone's canonical name, every weekday) and serves while open", async () => {
    const allDay = {
      timeZone: "europe/berlin",
      weekly: Object.fromEntries(
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, [{ start: "00:00", end: "24:00" }]]),
      ),
    };
    const saved = await patch(tenant.adminCookie, { businessHours: allDay });
    expect(saved.status).toBe(200);
    const hours = (saved.body as Portal).businessHours;
    expect(hours?.timeZone).toBe("Europe/Berlin");
    expect(hours?.weekly.sun).toEqual([{ start: "00:00", end: "24:00" }]);
    expect(hours?.closures).toEqual([]);
    await ask(world, portal.slug, { name: "Open", question: "Anyone there?" });
    const page = await pageOf(portal.slug);
    expect(page.body).not.toContain("We are closed right now");
  });

  it("outside hours: the page says closed and when it opens, submits are refused, offline messages count as outside hours", async () => {
    expect((await patch(tenant.adminCookie, { businessHours: OFFICE })).status).toBe(200);
    // Saturday 2026-12-05, 13:00 in Berlin.
    moveTo("2026-12-05T12:00:00Z");
    const page = await pageOf(portal.slug);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("We are closed right now");
    expect(page.body).toContain("Monday, December 7 at 09:00 AM");
    expect(page.body).toContain("Europe/Berlin time");
    const agents = await call(world.app, null, "GET", `/api/v1/portals/${portal.slug}/agents`);
    expect((agents.body as { anyAvailable: boolean }).anyAvailable).toBe(false);

    const refused = await submit(world, portal.slug, { name: "Late", question: "Hello?" });
    expect(refused.res.status).toBe(409);
    expect(refused.res.body).toMatchObject({
      error: "closed",
      params: { opensAt: Date.parse("2026-12-07T08:00:00Z"), timeZone: "Europe/Berlin" },
    });
    // The form without JavaScript gets the offline form, what was typed kept.
    const form = await world.app.server.inject({
      method: "POST",
      url: `/p/${portal.slug}`,
      headers: { "content-type": "application/x-www-form-urlencoded", origin: world.origin },
      payload: "name=Formal&question=By+form+on+Saturday",
    });
    expect(form.statusCode).toBe(409);
    expect(form.body).toContain("We are closed right now");
    expect(form.body).toContain("By form on Saturday");

    const left = await call(world.app, null, "POST", `/api/v1/portals/${portal.slug}/offline`, {
      values: { name: "Weekend", email: "weekend@example.com", question: "Call me on Monday" },
    });
    expect(left.status).toBe(201);
    const rows = await world.app.deps.db.kysely
      .selectFrom("requests")
      .select(["customer_name", "state", "outside_hours"])
      .where("portal_id", "=", portal.id)
      .where("state", "=", "offline")
      .execute();
    expect(rows).toEqual([{ customer_name: "Weekend", state: "offline", outside_hours: 1 }]);

    // Reports count it apart: an offline message, left outside hours, not a missed request.
    const cookie = await login(world.app, tenant.admin.email);
    const q = "period=custom&from=2026-12-05&to=2026-12-05";
    const base = `/api/v1/accounts/${tenant.account.id}/reports`;
    const summary = await call(world.app, cookie, "GET", `${base}/summary?${q}&portalId=${portal.id}`);
    expect(summary.status).toBe(200);
    expect(summary.body).toMatchObject({ submitted: 0, noResponse: 0, offline: 1, outsideHours: 1 });
    const portals = await call(world.app, cookie, "GET", `${base}/portals?${q}`);
    expect((portals.body as { rows: { portalId: string; outsideHours: number }[] }).rows).toContainEqual(
      expect.objectContaining({ portalId: portal.id, offline: 1, outsideHours: 1 }),
    );
    const csv = await world.app.server.inject({
      method: "GET",
      url: `${base}/summary.csv?${q}&portalId=${portal.id}`,
      headers: { cookie },
    });
    expect(csv.body).toContain("\r\noutsideHours,1\r\n");
  });

  it("on a closure day shows its message and opens after it; German pages in German", async () => {
    // Thursday 2026-12-24, 10:00 in Berlin: a weekday inside the closure.
    moveTo("2026-12-24T09:00:00Z");
    const page = await pageOf(portal.slug);
    expect(page.body).toContain("Closed for Christmas.");
    // Thursday to Saturday closed, no hours on Sunday: Monday the 28th.
    expect(page.body).toContain("Monday, December 28 at 09:00 AM");
    const refused = await submit(world, portal.slug, { name: "Xmas", question: "Hello?" });
    expect(refused.res.body).toMatchObject({ params: { opensAt: Date.parse("2026-12-28T08:00:00Z") } });
    const cookie = await login(world.app, tenant.admin.email);
    expect((await patch(cookie, { language: "de" })).status).toBe(200);
    const german = await pageOf(portal.slug);
    expect(german.body).toContain("Wir haben gerade geschlossen");
    expect(german.body).toContain("Montag, 28. Dezember um 09:00");
  });

  it("across the spring change: Monday 09:00 is 07:00 UTC after it and 08:00 before", async () => {
    // Saturday 2027-03-27 (the clocks go forward on Sunday the 28th).
    moveTo("2027-03-27T12:00:00Z");
    const refused = await submit(world, portal.slug, { name: "Spring", question: "Hello?" });
    expect(refused.res.body).toMatchObject({ params: { opensAt: Date.parse("2027-03-29T07:00:00Z") } });
    // Monday 09:30 summer time: open, the customer gets through.
    moveTo("2027-03-29T07:30:00Z");
    const cookie = await login(world.app, tenant.admin.email);
    const ok = await submit(world, portal.slug, { name: "Monday", question: "Good morning" });
    expect(ok.res.status).toBe(201);
    // Without business hours the portal is open around the clock again.
    expect((await patch(cookie, { businessHours: null })).status).toBe(200);
    moveTo("2027-03-29T20:00:00Z");
    expect((await submit(world, portal.slug, { name: "Evening", question: "Still there?" })).res.status).toBe(
      201,
    );
  });
});
