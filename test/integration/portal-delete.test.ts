import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewApiToken, Portal, PortalReportRow, ReportSummary, User } from "../../src/shared/api.js";
import type { CodeView } from "../../src/shared/protocol.js";
import { expectError } from "../support/api.js";
import { type Call, call, freshAddress, login, seedUser } from "../support/app.js";
import { parseCsv } from "../support/csv.js";
import { dialects } from "../support/databases.js";
import {
  type Agent,
  type AgentSocket,
  accept,
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

/**
 * Issue 12: a portal can be deleted. Its address stops working at once and is free for a new
 * portal, it is gone from every list, page and picker, its agents are taken off it and its live
 * codes canceled — and its history stays in the reports, marked deleted.
 */

/** RFC 4180 rows of a CSV answer, without its BOM. */
function csvRows(res: LightMyRequestResponse): string[][] {
  return parseCsv(res.body.replace(/^\uFEFF/, ""));
}

describe.each(dialects())("deleting a portal on %s", (dialect) => {
  let world: World;
  let web: Tenant;
  let dana: Agent;
  let eli: Agent;
  let managerCookie: string;
  let other: Tenant;
  const sockets: AgentSocket[] = [];

  const portalsUrl = (t: Tenant) => `/api/v1/accounts/${t.account.id}/portals`;
  const portalUrl = (t: Tenant, portalId: string) => `${portalsUrl(t)}/${portalId}`;
  const remove = (t: Tenant, portalId: string, cookie = t.adminCookie) =>
    call(world.app, cookie, "DELETE", portalUrl(t, portalId));
  const page = (slug: string) => world.app.server.inject({ method: "GET", url: `/p/${slug}` });
  const listed = async (t: Tenant): Promise<string[]> => {
    const r = await call(world.app, t.adminCookie, "GET", portalsUrl(t));
    expect(r.status).toBe(200);
    return (r.body as Portal[]).map((p) => p.id);
  };
  const userOf = async (t: Tenant, userId: string): Promise<User> => {
    const r = await call(world.app, t.adminCookie, "GET", `/api/v1/accounts/${t.account.id}/users/${userId}`);
    expect(r.status).toBe(200);
    return r.body as User;
  };
  const portalRow = (portalId: string) =>
    world.app.deps.db.kysely
      .selectFrom("portals")
      .select(["slug", "enabled", "deleted_at", "name"])
      .where("id", "=", portalId)
      .executeTakeFirstOrThrow();
  const assignments = (portalId: string) =>
    world.app.deps.db.kysely
      .selectFrom("portal_agents")
      .select("user_id")
      .where("portal_id", "=", portalId)
      .execute();

  /** A call with only an API token, as a script makes it. */
  async function bearer(secret: string, method: "GET" | "DELETE", url: string): Promise<Call> {
    const res = await world.app.server.inject({
      method,
      url,
      headers: { authorization: `Bearer ${secret}` },
    });
    let body: unknown = null;
    try {
      body = res.body ? JSON.parse(res.body) : null;
    } catch {
      body = res.body;
    }
    return { status: res.statusCode, body, res };
  }

  async function newToken(t: Tenant, scopes: string[]): Promise<string> {
    const r = await call(world.app, t.adminCookie, "POST", `/api/v1/accounts/${t.account.id}/api-tokens`, {
      name: `token ${scopes.join("+")}`,
      scopes,
    });
    expect(r.status).toBe(201);
    return (r.body as NewApiToken).secret;
  }

  async function endSession(agent: Agent, requestId: string): Promise<void> {
    expect((await call(world.app, agent.cookie, "POST", `/api/v1/sessions/${requestId}/end`)).status).toBe(
      204,
    );
  }

  beforeAll(async () => {
    world = await startWorld(dialect);
    web = await seedTenant(world, "del-web");
    dana = await seedAgent(world, web, "dana");
    eli = await seedAgent(world, web, "eli");
    const managerEmail = `mo@${web.tag}.example`;
    await seedUser(world.app, web.account.id, managerEmail, "manager");
    managerCookie = await login(world.app, managerEmail);
    other = await seedTenant(world, "del-other");
    sockets.push(await onlineAgent(world, dana));
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world?.close();
  });

  it("deletes a portal: 204, its page and API answer 404, every list forgets it, its slug is free again", async () => {
    const portal = await createPortal(world, web, "question", [dana, eli]);
    const kept = await createPortal(world, web, "button", [dana]);
    // Rendered once, so the page cache holds it: the delete must drop it on the spot.
    expect((await page(portal.slug)).statusCode).toBe(200);

    const res = await remove(web, portal.id);
    expect(res.status, JSON.stringify(res.body)).toBe(204);
    expect(res.res.body).toBe("");

    expect((await page(portal.slug)).statusCode).toBe(404);
    expect((await page(`~deleted-${portal.id}`)).statusCode).toBe(404);
    expect((await call(world.app, null, "GET", `/api/v1/portals/${portal.slug}/agents`)).status).toBe(404);
    expect((await submit(world, portal.slug, { name: "Carla", question: "Hello?" })).res.status).toBe(404);
    expectError(await call(world.app, web.adminCookie, "GET", portalUrl(web, portal.id)), 404, "not_found");
    expectError(
      await call(world.app, web.adminCookie, "PATCH", portalUrl(web, portal.id), { name: "Back again" }),
      404,
      "not_found",
    );
    const ids = await listed(web);
    expect(ids).not.toContain(portal.id);
    expect(ids).toContain(kept.id);
    // The console's list (an agent reads the same route) and its transfer targets.
    const agentList = await call(world.app, dana.cookie, "GET", portalsUrl(web));
    expect((agentList.body as Portal[]).map((p) => p.id)).not.toContain(portal.id);
    const colleagues = await call(world.app, dana.cookie, "GET", "/api/v1/console/colleagues");
    expect(colleagues.status).toBe(200);
    expect((colleagues.body as { portals: { id: string }[] }).portals.map((p) => p.id)).not.toContain(
      portal.id,
    );

    // Its agents are off it, as if the admin had taken them off one by one.
    expect((await userOf(web, dana.user.id)).portalIds).toEqual([kept.id]);
    expect((await userOf(web, eli.user.id)).portalIds).toEqual([]);
    expect(await assignments(portal.id)).toEqual([]);
    // …and it cannot be given back to anyone.
    expectError(
      await call(
        world.app,
        web.adminCookie,
        "PATCH",
        `/api/v1/accounts/${web.account.id}/users/${eli.user.id}`,
        {
          portalIds: [portal.id],
        },
      ),
      400,
      "unknown_portal",
      "portalIds",
    );

    // The row stays (its history), switched off, under a slug nobody can type.
    const row = await portalRow(portal.id);
    expect(row).toMatchObject({ slug: `~deleted-${portal.id}`, enabled: 0, name: portal.name });
    expect(Number(row.deleted_at)).toBeGreaterThan(0);

    // The address is free for a new portal.
    const again = await createPortal(world, web, "question", [eli], { slug: portal.slug });
    expect(again.slug).toBe(portal.slug);
    expect((await page(portal.slug)).statusCode).toBe(200);
  });

  it("never takes a slug a deleted portal could hold: '~' is refused on create and change", async () => {
    const portal = await createPortal(world, web, "question", [dana]);
    expectError(
      await call(world.app, web.adminCookie, "POST", portalsUrl(web), {
        slug: `~deleted-${portal.id}`,
        type: "question",
        name: "Sneaky",
      }),
      400,
      "validation",
      "slug",
    );
    expectError(
      await call(world.app, web.adminCookie, "PATCH", portalUrl(web, portal.id), { slug: "~mine" }),
      400,
      "validation",
      "slug",
    );
  });

  it("refuses with 409 portal_busy while a customer waits or a session is open, and deletes once it is over", async () => {
    const portal = await createPortal(world, web, "question", [dana]);
    const waiting = await ask(world, portal.slug);
    const busy = expectError(await remove(web, portal.id), 409, "portal_busy");
    expect(busy.message).toMatch(/wait/i);
    expect(busy.message).toMatch(/disable/i);
    // Nothing changed.
    expect((await page(portal.slug)).statusCode).toBe(200);
    expect(await listed(web)).toContain(portal.id);
    expect((await userOf(web, dana.user.id)).portalIds).toContain(portal.id);

    expect((await accept(world, dana, waiting.requestId)).status).toBe(200);
    expectError(await remove(web, portal.id), 409, "portal_busy");

    await endSession(dana, waiting.requestId);
    expect((await remove(web, portal.id)).status).toBe(204);
    // The customer still reaches their own ended request (transcript, survey).
    const own = await world.app.server.inject({
      method: "GET",
      url: `/r/${waiting.requestId}`,
      headers: { cookie: waiting.cookie },
    });
    expect(own.statusCode).toBe(200);
  });

  it("another account's portal and a deleted one answer 404; agents and managers 403; operators may", async () => {
    const portal = await createPortal(world, web, "question", [dana]);
    // Through the other account's address, and through this account's address as its admin.
    expectError(await remove(other, portal.id), 404, "not_found");
    expectError(await remove(web, portal.id, other.adminCookie), 404, "not_found");
    expectError(await remove(web, portal.id, dana.cookie), 403, "forbidden");
    expectError(await remove(web, portal.id, managerCookie), 403, "forbidden");
    expect(await listed(web)).toContain(portal.id);

    expect((await remove(web, portal.id)).status).toBe(204);
    expectError(await remove(web, portal.id), 404, "not_found");
    expectError(await remove(web, "00000000-0000-4000-8000-000000000000"), 404, "not_found");

    const operatorEmail = `op@${web.tag}.example`;
    await seedUser(world.app, null, operatorEmail, "operator");
    const operator = await login(world.app, operatorEmail);
    const second = await createPortal(world, web, "button", []);
    expect((await remove(web, second.id, operator)).status).toBe(204);
  });

  it("API tokens delete with portals:manage only, and their lists leave deleted portals out", async () => {
    const portal = await createPortal(world, web, "question", [dana]);
    const reader = await newToken(web, ["sessions:read"]);
    const manager = await newToken(web, ["portals:manage"]);
    const without = await bearer(reader, "DELETE", portalUrl(web, portal.id));
    expectError(without, 403, "token_scope");
    expect(await listed(web)).toContain(portal.id);

    const ok = await bearer(manager, "DELETE", portalUrl(web, portal.id));
    expect(ok.status, JSON.stringify(ok.body)).toBe(204);
    const list = await bearer(manager, "GET", portalsUrl(web));
    expect(list.status).toBe(200);
    expect((list.body as Portal[]).map((p) => p.id)).not.toContain(portal.id);
    expectError(await bearer(manager, "GET", portalUrl(web, portal.id)), 404, "not_found");
    // A token of this account reaches no other account's portals.
    const foreign = await createPortal(world, other, "question", []);
    expectError(await bearer(manager, "DELETE", portalUrl(other, foreign.id)), 403, "token_account");
  });

  it("cancels a code portal's live codes (the agent's console is told); an open code session blocks it", async () => {
    const phone = await seedTenant(world, "del-phone", "phone");
    const pia = await seedAgent(world, phone, "pia");
    const portal = await createPortal(world, phone, "code", [pia]);
    const ws = await onlineAgent(world, pia);
    sockets.push(ws);
    const newCode = async (name: string): Promise<CodeView> => {
      const r = await call(world.app, pia.cookie, "POST", "/api/v1/codes", { portalId: portal.id, name });
      expect(r.status).toBe(201);
      return r.body as CodeView;
    };
    const redeem = (code: string) =>
      world.app.server.inject({
        method: "POST",
        url: "/api/v1/join",
        headers: { origin: world.origin },
        payload: { code },
        remoteAddress: freshAddress(),
      });

    const used = await newCode("Gus");
    const joined = await redeem(used.code);
    expect(joined.statusCode).toBe(201);
    const sessionId = (JSON.parse(joined.body) as { requestId: string }).requestId;
    const live = await newCode("Hal");
    expectError(await remove(phone, portal.id), 409, "portal_busy");
    await endSession(pia, sessionId);

    const mark = ws.received.length;
    expect((await remove(phone, portal.id)).status).toBe(204);
    // (A push for the code made just before may still be on its way: wait for the empty list.)
    await ws.next((m) => m.type === "codes" && m.codes.length === 0, 5000, mark);
    const state = await world.app.deps.db.kysely
      .selectFrom("codes")
      .select("state")
      .where("id", "=", live.id)
      .executeTakeFirstOrThrow();
    expect(state.state).toBe("canceled");
    const late = await redeem(live.code);
    expect(late.statusCode).toBe(404);
    expect((JSON.parse(late.body) as { fields?: Record<string, { code: string }> }).fields?.code?.code).toBe(
      "unknown_code",
    );
    // No code for it can be made any more.
    const refused = await call(world.app, pia.cookie, "POST", "/api/v1/codes", {
      portalId: portal.id,
      name: "X",
    });
    expect(refused.status).toBe(404);
  });

  it("reports: a deleted portal's requests still count in the summary, by portal (marked deleted) and in the CSVs", async () => {
    const rep = await seedTenant(world, "del-rep");
    const rita = await seedAgent(world, rep, "rita");
    sockets.push(await onlineAgent(world, rita));
    const gone = await createPortal(world, rep, "question", [rita], { name: "Old desk" });
    const stays = await createPortal(world, rep, "question", [rita], { name: "New desk" });
    const empty = await createPortal(world, rep, "button", [rita], { name: "Never used" });
    // Old desk: one session, one request the customer canceled; New desk: one session.
    const s1 = await ask(world, gone.slug);
    expect((await accept(world, rita, s1.requestId)).status).toBe(200);
    await endSession(rita, s1.requestId);
    const s2 = await ask(world, gone.slug);
    const canceled = await world.app.server.inject({
      method: "POST",
      url: `/api/v1/customer/requests/${s2.requestId}/cancel`,
      headers: { origin: world.origin, cookie: s2.cookie },
    });
    expect(canceled.statusCode).toBe(200);
    const s3 = await ask(world, stays.slug);
    expect((await accept(world, rita, s3.requestId)).status).toBe(200);
    await endSession(rita, s3.requestId);

    const base = `/api/v1/accounts/${rep.account.id}/reports`;
    const get = async (path: string) => {
      const r = await call(world.app, rep.adminCookie, "GET", `${base}/${path}`);
      expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(200);
      return r;
    };
    const before = {
      summary: (await get("summary")).body as ReportSummary,
      portals: ((await get("portals")).body as { rows: PortalReportRow[] }).rows,
      requests: csvRows((await get("requests.csv")).res),
    };
    expect(before.portals.map((r) => [r.name, r.deleted])).toEqual([
      ["Never used", false],
      ["New desk", false],
      ["Old desk", false],
    ]);

    expect((await remove(rep, gone.id)).status).toBe(204);
    expect((await remove(rep, empty.id)).status).toBe(204);

    const summary = (await get("summary")).body as ReportSummary;
    expect(summary).toEqual(before.summary);
    expect(summary.submitted).toBe(3);
    expect(summary.accepted).toBe(2);
    expect(summary.canceled.total).toBe(1);

    // The deleted portal with requests is listed, marked; the one without any is not.
    const rows = ((await get("portals")).body as { rows: PortalReportRow[] }).rows;
    expect(rows.map((r) => [r.name, r.deleted])).toEqual([
      ["New desk", false],
      ["Old desk", true],
    ]);
    const old = rows.find((r) => r.portalId === gone.id);
    expect(old).toMatchObject({ submitted: 2, accepted: 1, canceled: 1 });
    expect(rows).toEqual(
      before.portals
        .filter((r) => r.portalId !== empty.id)
        .map((r) => ({ ...r, deleted: r.portalId === gone.id })),
    );

    const csv = csvRows((await get("portals.csv")).res);
    expect(csv[0]?.at(-1)).toBe("deleted");
    expect(csv.slice(1).map((r) => [r[0], r[1], r.at(-1)])).toEqual([
      [stays.id, "New desk", ""],
      [gone.id, "Old desk", "yes"],
    ]);

    // Every request is still exported, with its portal's name.
    const requests = csvRows((await get("requests.csv")).res);
    expect(requests).toEqual(before.requests);
    const portalColumn = requests[0]?.indexOf("portal") ?? -1;
    expect(requests.slice(1).filter((r) => r[portalColumn] === "Old desk")).toHaveLength(2);

    // The portal filter takes the deleted portal's id, so its past can be looked at.
    const filtered = (await get(`summary?portalId=${gone.id}`)).body as ReportSummary;
    expect(filtered).toMatchObject({ submitted: 2, accepted: 1 });
    expect(filtered.scope.portalId).toBe(gone.id);
    const one = ((await get(`portals?portalId=${gone.id}`)).body as { rows: PortalReportRow[] }).rows;
    expect(one.map((r) => [r.portalId, r.deleted])).toEqual([[gone.id, true]]);
    // …but only this account's.
    const theirs = await createPortal(world, other, "question", []);
    expectError(
      await call(world.app, rep.adminCookie, "GET", `${base}/summary?portalId=${theirs.id}`),
      404,
      "not_found",
      "portalId",
    );
  });
});
