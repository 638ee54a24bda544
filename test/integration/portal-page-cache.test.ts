import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Portal, User } from "../../src/shared/api.js";
import { call, login, ORIGIN, seedAccount, seedUser, startTestApp, type TestApp } from "../support/app.js";
import { dialects } from "../support/databases.js";

/**
 * Portal pages are served from a cache (http/portalPageCache.ts). Here it keeps pages for a
 * minute, so a page that changes at once proves the change's event refreshed it — for every
 * kind of change a customer sees.
 */
describe.each(dialects())("cached portal pages on %s", (dialect) => {
  let app: TestApp;
  let adminCookie: string;
  let agentCookie: string;
  let accountId: string;
  let agent: User;
  let question: Portal;
  const offline = "No agent is available right now";

  const page = async (slug: string) => {
    const res = await app.server.inject({ method: "GET", url: `/p/${slug}` });
    return { status: res.statusCode, body: res.body };
  };
  const setAvailable = async (available: boolean) => {
    const res = await app.server.inject({
      method: "PUT",
      url: "/api/v1/console/availability",
      headers: { cookie: agentCookie, origin: ORIGIN },
      payload: { available },
    });
    expect(res.statusCode).toBe(200);
  };

  beforeAll(async () => {
    app = await startTestApp(dialect, { HELPGATE_PORTAL_PAGE_CACHE_MS: "60000" });
    const seeded = await seedAccount(app, `ppc-${dialect}`, "web");
    accountId = seeded.account.id;
    adminCookie = await login(app, seeded.admin.email);
    agent = await seedUser(app, accountId, `robin@ppc-${dialect}.example`, "agent");
    agentCookie = await login(app, agent.email);
    const created = await call(app, adminCookie, "POST", `/api/v1/accounts/${accountId}/portals`, {
      slug: `ppc-question-${dialect}`,
      type: "question",
      name: "Question",
      title: "How can we help?",
      agentIds: [agent.id],
    });
    expect(created.status).toBe(201);
    question = created.body as Portal;
    const pick = await call(app, adminCookie, "POST", `/api/v1/accounts/${accountId}/portals`, {
      slug: `ppc-pick-${dialect}`,
      type: "pick-agent",
      name: "Pick",
      agentIds: [agent.id],
    });
    expect(pick.status).toBe(201);
  });
  afterAll(async () => {
    await app?.close();
  });

  it("serves the same page again, and the offline form turns into the form when an agent comes", async () => {
    const first = await page(question.slug);
    expect(first.body).toContain(offline);
    expect((await page(question.slug)).body).toBe(first.body);
    await app.deps.presence.connect(agent.id);
    // Presence alone (a console socket's open) announces itself through capacityChanged; here
    // the availability switch does.
    await setAvailable(true);
    expect((await page(question.slug)).body).not.toContain(offline);
  });

  it("shows the offline form at once when the last agent switches to unavailable, and back", async () => {
    expect((await page(question.slug)).body).not.toContain(offline);
    await setAvailable(false);
    expect((await page(question.slug)).body).toContain(offline);
    await setAvailable(true);
    expect((await page(question.slug)).body).not.toContain(offline);
  });

  it("shows a portal's new title at once, and a 404 once it is switched off", async () => {
    expect((await page(question.slug)).body).toContain("How can we help?");
    const titled = await call(
      app,
      adminCookie,
      "PATCH",
      `/api/v1/accounts/${accountId}/portals/${question.id}`,
      {
        title: "Ask us anything",
      },
    );
    expect(titled.status).toBe(200);
    const now = await page(question.slug);
    expect(now.body).toContain("Ask us anything");
    expect(now.body).not.toContain("How can we help?");
    const off = await call(
      app,
      adminCookie,
      "PATCH",
      `/api/v1/accounts/${accountId}/portals/${question.id}`,
      {
        enabled: false,
      },
    );
    expect(off.status).toBe(200);
    expect((await page(question.slug)).status).toBe(404);
  });

  it("shows an agent's new name on the pick-agent page at once", async () => {
    const slug = `ppc-pick-${dialect}`;
    expect((await page(slug)).body).toContain(agent.displayName);
    const renamed = await call(app, adminCookie, "PATCH", `/api/v1/accounts/${accountId}/users/${agent.id}`, {
      displayName: "Robin Renamed",
    });
    expect(renamed.status).toBe(200);
    expect((await page(slug)).body).toContain("Robin Renamed");
  });

  it("offers the offline message once a session takes the only agent's last place", async () => {
    const slug = `ppc-pick-${dialect}`;
    const limited = await call(app, adminCookie, "PATCH", `/api/v1/accounts/${accountId}/users/${agent.id}`, {
      maxSessions: 1,
    });
    expect(limited.status).toBe(200);
    const before = (await page(slug)).body;
    expect(before).toContain("status-available");
    const asked = await app.server.inject({
      method: "POST",
      url: `/api/v1/portals/${slug}/requests`,
      headers: { origin: ORIGIN },
      payload: { values: { name: "Carla" }, agentId: agent.id },
    });
    expect(asked.statusCode, asked.body).toBe(201);
    const { requestId } = asked.json() as { requestId: string };
    const accepted = await call(app, agentCookie, "POST", `/api/v1/requests/${requestId}/accept`);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    const after = (await page(slug)).body;
    expect(after).not.toContain("status-available");
    expect(after).toContain(offline);
  });
});
