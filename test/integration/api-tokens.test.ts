import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiCode, ApiError, ApiToken, NewApiToken } from "../../src/shared/api.js";
import { API_TOKEN_SCOPES } from "../../src/shared/api.js";
import type { CodeView } from "../../src/shared/protocol.js";
import { expectError } from "../support/api.js";
import { type Call, call, login, seedUser } from "../support/app.js";
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
  type Tenant,
  type World,
} from "../support/scenario.js";

/**
 * A 400 naming `field` (with that problem code when given). Domain checks answer with the problem
 * code as the error; schema checks with "validation".
 */
function expectField(r: Call, field: string, code?: string): ApiError {
  if (r.status !== 400)
    throw new Error(`expected 400 naming ${field}, got ${r.status} ${JSON.stringify(r.body)}`);
  const body = r.body as ApiError;
  expect(Object.keys(body.fields ?? {}), JSON.stringify(body)).toContain(field);
  if (code !== undefined) {
    expect(body.fields?.[field]?.code, JSON.stringify(body)).toBe(code);
    expect([code, "validation"]).toContain(body.error);
  }
  expect(body.message.length).toBeGreaterThan(0);
  return body;
}

/**
 * Issue 14: API tokens. `Authorization: Bearer hg_…` on the account API, scoped, revocable,
 * expiring, rate limited per token; no cookie, no CSRF header, no Origin needed.
 */

interface SessionItem {
  id: string;
  sessionNumber: string;
  requestId: string;
  portal: { id: string; slug: string; name: string };
  agent: { id: string; name: string };
  customer: { name: string; email: string };
  startedAt: number | string;
  endedAt: number | string | null;
  outcome: string | null;
  ticket: string | null;
}

function parse(res: LightMyRequestResponse): Call {
  let body: unknown = null;
  try {
    body = res.body ? JSON.parse(res.body) : null;
  } catch {
    body = res.body;
  }
  return { status: res.statusCode, body, res };
}

/** A call as a CRM makes it: only the bearer token, no cookie, no Origin. */
async function bearer(
  world: World,
  token: string,
  method: "GET" | "POST" | "PATCH" | "DELETE",
  url: string,
  payload?: Record<string, unknown>,
): Promise<Call> {
  const res = await world.app.server.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(payload !== undefined ? { payload } : {}),
  });
  return parse(res);
}

async function newToken(
  world: World,
  t: Tenant,
  scopes: readonly string[],
  extra: Record<string, unknown> = {},
): Promise<NewApiToken> {
  const r = await call(world.app, t.adminCookie, "POST", `/api/v1/accounts/${t.account.id}/api-tokens`, {
    name: `token ${scopes.join("+")}`,
    scopes,
    ...extra,
  });
  if (r.status !== 201) throw new Error(`token not created: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as NewApiToken;
}

async function listTokens(world: World, t: Tenant): Promise<Call> {
  const r = await call(world.app, t.adminCookie, "GET", `/api/v1/accounts/${t.account.id}/api-tokens`);
  expect(r.status).toBe(200);
  return r;
}

describe.each(dialects())("API tokens on %s", (dialect) => {
  let world: World;
  let web: Tenant;
  let webAgent: Agent;
  let phone: Tenant;
  let phoneAgent: Agent;
  let endedSessionId: string;
  const sockets: AgentSocket[] = [];

  beforeAll(async () => {
    world = await startWorld(dialect, { HELPGATE_OUTBOX_POLL_MS: "50" });
    web = await seedTenant(world, "tok-web");
    webAgent = await seedAgent(world, web, "dana");
    const portal = await createPortal(world, web, "question", [webAgent]);
    sockets.push(await onlineAgent(world, webAgent));
    const s = await ask(world, portal.slug, { name: "Carla Caller", question: "Where is my parcel?" });
    expect((await accept(world, webAgent, s.requestId)).status).toBe(200);
    expect(
      (await call(world.app, webAgent.cookie, "POST", `/api/v1/sessions/${s.requestId}/end`)).status,
    ).toBe(204);
    expect(
      (
        await call(world.app, webAgent.cookie, "POST", `/api/v1/sessions/${s.requestId}/outcome`, {
          outcome: "resolved",
          ticket: "CRM-12",
        })
      ).status,
    ).toBe(200);
    endedSessionId = s.requestId;
    phone = await seedTenant(world, "tok-phone", "phone");
    phoneAgent = await seedAgent(world, phone, "phoebe");
    await createPortal(world, phone, "code", [phoneAgent]);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world?.close();
  });

  it("creates a token whose secret is shown once and never again", async () => {
    const before = world.clock.now();
    const created = await newToken(world, web, ["sessions:read", "codes:create"], { expiresInDays: 30 });
    expect(created.secret).toMatch(/^hg_[A-Za-z0-9_-]{20,}$/);
    expect(created.token).toMatchObject({
      accountId: web.account.id,
      name: "token sessions:read+codes:create",
      scopes: ["sessions:read", "codes:create"],
      lastUsedAt: null,
      revokedAt: null,
      createdBy: { id: web.admin.id },
    });
    expect(created.secret.startsWith(created.token.prefix)).toBe(true);
    expect(created.token.prefix.length).toBeLessThan(created.secret.length - 10);
    const expiresAt = created.token.expiresAt ?? 0;
    expect(expiresAt - before).toBeGreaterThanOrEqual(30 * 86_400_000 - 1000);
    expect(expiresAt - before).toBeLessThanOrEqual(30 * 86_400_000 + 60_000);
    const forever = await newToken(world, web, ["sessions:read"], { expiresInDays: null });
    expect(forever.token.expiresAt).toBeNull();

    const list = await listTokens(world, web);
    const tokens = list.body as ApiToken[];
    expect(tokens.map((t) => t.id)).toEqual(expect.arrayContaining([created.token.id, forever.token.id]));
    expect(list.res.body).not.toContain(created.secret);
    expect(list.res.body).not.toContain(forever.secret);
    for (const t of tokens) expect("secret" in t).toBe(false);
    // The other account sees none of them.
    expect((await listTokens(world, phone)).body).toEqual([]);
  });

  it("answers bad inputs with 400 naming the field", async () => {
    const url = `/api/v1/accounts/${web.account.id}/api-tokens`;
    const post = (body: Record<string, unknown>) => call(world.app, web.adminCookie, "POST", url, body);
    const unknown = expectField(
      await post({ name: "x", scopes: ["sessions:read", "everything:admin"] }),
      "scopes",
      "unknown_scope",
    );
    expect(unknown.params?.scope ?? unknown.fields?.scopes?.params?.scope).toBe("everything:admin");
    expectField(await post({ name: "x", scopes: [] }), "scopes", "no_scopes");
    expectField(await post({ name: "", scopes: ["sessions:read"] }), "name");
    expectField(await post({ name: "   ", scopes: ["sessions:read"] }), "name");
    expectField(await post({ name: "n".repeat(500), scopes: ["sessions:read"] }), "name", "too_long");
    for (const days of [0, -1, 731, 1.5]) {
      expectField(await post({ name: "x", scopes: ["sessions:read"], expiresInDays: days }), "expiresInDays");
    }
    expect(((await listTokens(world, web)).body as ApiToken[]).some((t) => t.name === "x")).toBe(false);
  });

  it("reads sessions and a transcript with a sessions:read token, with no cookie or Origin; sets lastUsedAt", async () => {
    const { token, secret } = await newToken(world, web, ["sessions:read"]);
    const r = await bearer(world, secret, "GET", `/api/v1/accounts/${web.account.id}/sessions`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const items = r.body as SessionItem[];
    const item = items.find((x) => x.id === endedSessionId || x.requestId === endedSessionId);
    expect(item).toMatchObject({
      requestId: endedSessionId,
      agent: { id: webAgent.user.id },
      customer: { name: "Carla Caller" },
      outcome: "resolved",
      ticket: "CRM-12",
    });
    expect(item?.sessionNumber).toMatch(/^\d{9}$/);
    expect(item?.endedAt).not.toBeNull();
    // `since` in the future: nothing.
    const later = await bearer(
      world,
      secret,
      "GET",
      `/api/v1/accounts/${web.account.id}/sessions?since=${world.clock.now() + 3_600_000}`,
    );
    expect(later.status).toBe(200);
    expect(later.body).toEqual([]);
    const limited = await bearer(world, secret, "GET", `/api/v1/accounts/${web.account.id}/sessions?limit=1`);
    expect((limited.body as SessionItem[]).length).toBeLessThanOrEqual(1);

    const sessionId = item?.id ?? endedSessionId;
    const txt = await bearer(
      world,
      secret,
      "GET",
      `/api/v1/accounts/${web.account.id}/sessions/${sessionId}/transcript?format=txt`,
    );
    expect(txt.status, txt.res.body).toBe(200);
    expect(txt.res.body).toContain("Carla Caller");
    const json = await bearer(
      world,
      secret,
      "GET",
      `/api/v1/accounts/${web.account.id}/sessions/${sessionId}/transcript?format=json`,
    );
    expect(json.status).toBe(200);
    expect(JSON.parse(json.res.body)).toHaveProperty("messages");

    const listed = ((await listTokens(world, web)).body as ApiToken[]).find((t) => t.id === token.id);
    expect(listed?.lastUsedAt).not.toBeNull();
    expect(listed?.lastUsedAt ?? 0).toBeGreaterThanOrEqual(token.createdAt);
  });

  it("creates a caller's code with a codes:create token (a CRM, no CSRF header)", async () => {
    const { secret } = await newToken(world, phone, ["codes:create"]);
    const r = await bearer(world, secret, "POST", `/api/v1/accounts/${phone.account.id}/codes`, {
      agentId: phoneAgent.user.id,
      name: "Mr. Jones on line 2",
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const code = r.body as ApiCode;
    expect(code.code).toMatch(/^\d{9}$/);
    expect(code.joinUrl).toBe(`${world.origin}/join/${code.code}`);
    expect(code.emailed).toBe(false);
    expect(code.expiresAt).toBeGreaterThan(world.clock.now());
    // It is the agent's code: their console lists it.
    const mine = await call(world.app, phoneAgent.cookie, "GET", "/api/v1/codes");
    const found = (mine.body as CodeView[]).find((c) => c.code === code.code);
    expect(found?.name).toBe("Mr. Jones on line 2");
    // An agent of another account, or nobody: refused.
    const foreign = await bearer(world, secret, "POST", `/api/v1/accounts/${phone.account.id}/codes`, {
      agentId: webAgent.user.id,
    });
    expect([400, 404]).toContain(foreign.status);
  });

  it("refuses a route outside the token's scopes with 403 naming the scope", async () => {
    const { secret } = await newToken(world, web, ["sessions:read"]);
    const codes = await bearer(world, secret, "POST", `/api/v1/accounts/${web.account.id}/codes`, {
      agentId: webAgent.user.id,
    });
    const body = expectError(codes, 403, "token_scope");
    expect(body.message).toContain("codes:create");
    expect(body.params?.scope).toBe("codes:create");
    for (const [url, scope] of [
      [`/api/v1/accounts/${web.account.id}/portals`, "portals:manage"],
      [`/api/v1/accounts/${web.account.id}/users`, "users:manage"],
      [`/api/v1/accounts/${web.account.id}/webhooks`, "webhooks:manage"],
      [`/api/v1/accounts/${web.account.id}/deliveries`, "webhooks:manage"],
      [`/api/v1/accounts/${web.account.id}/integrations`, "webhooks:manage"],
    ] as const) {
      const r = await bearer(world, secret, "GET", url);
      const e = expectError(r, 403, "token_scope");
      expect(e.params?.scope, url).toBe(scope);
      expect(e.message).toContain(scope);
    }
    // The management scopes open their routes.
    const all = await newToken(world, web, ["portals:manage", "users:manage", "webhooks:manage"]);
    for (const url of ["portals", "users", "webhooks", "deliveries", "integrations"]) {
      const r = await bearer(world, all.secret, "GET", `/api/v1/accounts/${web.account.id}/${url}`);
      expect(r.status, `${url}: ${JSON.stringify(r.body)}`).toBe(200);
    }
    const sessions = await bearer(world, all.secret, "GET", `/api/v1/accounts/${web.account.id}/sessions`);
    expect(expectError(sessions, 403, "token_scope").params?.scope).toBe("sessions:read");
  });

  it("manages webhooks with a webhooks:manage token, no Origin; the scheme name is case-insensitive", async () => {
    const { secret } = await newToken(world, web, ["webhooks:manage"]);
    const made = await bearer(world, secret, "POST", `/api/v1/accounts/${web.account.id}/webhooks`, {
      url: "https://93.184.215.14/crm",
      events: ["session.ended"],
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const id = (made.body as { id: string }).id;
    const res = await world.app.server.inject({
      method: "GET",
      url: `/api/v1/accounts/${web.account.id}/webhooks/${id}`,
      headers: { authorization: `bearer ${secret}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(
      (await bearer(world, secret, "DELETE", `/api/v1/accounts/${web.account.id}/webhooks/${id}`)).status,
    ).toBe(204);
  });

  it("reads reports and their CSV with reports:read, and nothing of them without it", async () => {
    const { secret } = await newToken(world, web, ["reports:read"]);
    const summary = await bearer(
      world,
      secret,
      "GET",
      `/api/v1/accounts/${web.account.id}/reports/summary?period=last7`,
    );
    expect(summary.status, JSON.stringify(summary.body)).toBe(200);
    expect(summary.body).toMatchObject({ scope: { period: "last7" } });
    const csv = await world.app.server.inject({
      method: "GET",
      url: `/api/v1/accounts/${web.account.id}/reports/requests.csv?period=last7`,
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers["content-type"]).toContain("text/csv");
    expectError(
      await bearer(world, secret, "GET", `/api/v1/accounts/${web.account.id}/sessions`),
      403,
      "token_scope",
    );
    const other = await newToken(world, web, ["sessions:read"]);
    const refused = await bearer(
      world,
      other.secret,
      "GET",
      `/api/v1/accounts/${web.account.id}/reports/agents`,
    );
    expectError(refused, 403, "token_scope");
    expect((refused.body as ApiError).params).toEqual({ scope: "reports:read" });
  });

  it("does not reach another account with a token (403/404)", async () => {
    const { secret } = await newToken(world, web, [...API_TOKEN_SCOPES]);
    for (const [method, url, payload] of [
      ["GET", `/api/v1/accounts/${phone.account.id}/sessions`, undefined],
      ["POST", `/api/v1/accounts/${phone.account.id}/codes`, { agentId: phoneAgent.user.id }],
      ["GET", `/api/v1/accounts/${phone.account.id}/users`, undefined],
      ["GET", `/api/v1/accounts/${phone.account.id}/portals`, undefined],
      ["GET", `/api/v1/accounts/${phone.account.id}/webhooks`, undefined],
      ["GET", `/api/v1/accounts/${phone.account.id}/sessions/${endedSessionId}/transcript`, undefined],
      [
        "GET",
        `/api/v1/accounts/${web.account.id}/sessions/00000000-0000-4000-8000-000000000000/transcript`,
        undefined,
      ],
    ] as const) {
      const r = await bearer(world, secret, method, url, payload);
      expect([403, 404], `${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`).toContain(r.status);
    }
    // Nothing was created for Phoebe through the other account's token.
    const mine = await call(world.app, phoneAgent.cookie, "GET", "/api/v1/codes");
    expect((mine.body as CodeView[]).filter((c) => c.name === "")).toEqual([]);
  });

  it("cannot be used for tokens themselves or for cookie routes (403 token_route)", async () => {
    const { secret } = await newToken(world, web, [...API_TOKEN_SCOPES]);
    const create = await bearer(world, secret, "POST", `/api/v1/accounts/${web.account.id}/api-tokens`, {
      name: "escalate",
      scopes: ["sessions:read"],
    });
    expectError(create, 403, "token_route");
    expectError(
      await bearer(world, secret, "GET", `/api/v1/accounts/${web.account.id}/api-tokens`),
      403,
      "token_route",
    );
    const someToken = ((await listTokens(world, web)).body as ApiToken[])[0];
    expectError(
      await bearer(
        world,
        secret,
        "DELETE",
        `/api/v1/accounts/${web.account.id}/api-tokens/${someToken?.id ?? "x"}`,
      ),
      403,
      "token_route",
    );
    for (const url of [
      "/api/v1/console",
      "/api/v1/auth/me",
      "/api/v1/codes",
      `/api/v1/accounts/${web.account.id}`,
    ]) {
      const r = await bearer(world, secret, "GET", url);
      expect(r.status, `${url}: ${JSON.stringify(r.body)}`).toBe(403);
      expect((r.body as ApiError).error).toBe("token_route");
    }
    expect(((await listTokens(world, web)).body as ApiToken[]).some((t) => t.name === "escalate")).toBe(
      false,
    );
  });

  it("refuses an unknown token and a revoked one at once (401)", async () => {
    expectError(
      await bearer(
        world,
        "hg_thisTokenDoesNotExist000000000000",
        "GET",
        `/api/v1/accounts/${web.account.id}/sessions`,
      ),
      401,
      "token_invalid",
    );
    expectError(
      await bearer(world, "garbage", "GET", `/api/v1/accounts/${web.account.id}/sessions`),
      401,
      "token_invalid",
    );
    const { token, secret } = await newToken(world, web, ["sessions:read"]);
    expect((await bearer(world, secret, "GET", `/api/v1/accounts/${web.account.id}/sessions`)).status).toBe(
      200,
    );
    const del = await call(
      world.app,
      web.adminCookie,
      "DELETE",
      `/api/v1/accounts/${web.account.id}/api-tokens/${token.id}`,
    );
    expect(del.status).toBe(204);
    expectError(
      await bearer(world, secret, "GET", `/api/v1/accounts/${web.account.id}/sessions`),
      401,
      "token_revoked",
    );
    const listed = ((await listTokens(world, web)).body as ApiToken[]).find((t) => t.id === token.id);
    expect(listed === undefined || listed.revokedAt !== null).toBe(true);
    // Another account's admin cannot revoke it.
    const other = await newToken(world, web, ["sessions:read"]);
    const foreign = await call(
      world.app,
      phone.adminCookie,
      "DELETE",
      `/api/v1/accounts/${phone.account.id}/api-tokens/${other.token.id}`,
    );
    expect(foreign.status).toBe(404);
    expect(
      (await bearer(world, other.secret, "GET", `/api/v1/accounts/${web.account.id}/sessions`)).status,
    ).toBe(200);
  });

  it("lets only admins manage tokens; managers read the account API with their cookie, agents do not", async () => {
    const managerUser = await seedUser(world.app, web.account.id, `manager@${web.tag}.example`, "manager");
    const manager = await login(world.app, managerUser.email);
    const tokens = `/api/v1/accounts/${web.account.id}/api-tokens`;
    for (const [who, cookie] of [
      ["manager", manager],
      ["agent", webAgent.cookie],
    ] as const) {
      const list = await call(world.app, cookie, "GET", tokens);
      expect(list.status, `${who} list`).toBe(403);
      const create = await call(world.app, cookie, "POST", tokens, {
        name: "mine",
        scopes: ["sessions:read"],
      });
      expect(create.status, `${who} create`).toBe(403);
    }
    const someToken = await newToken(world, web, ["sessions:read"]);
    expect((await call(world.app, manager, "DELETE", `${tokens}/${someToken.token.id}`)).status).toBe(403);
    expect(
      (await bearer(world, someToken.secret, "GET", `/api/v1/accounts/${web.account.id}/sessions`)).status,
    ).toBe(200);
    // The account API itself: admins and managers with a cookie, not agents.
    const sessionsUrl = `/api/v1/accounts/${web.account.id}/sessions`;
    expect((await call(world.app, web.adminCookie, "GET", sessionsUrl)).status).toBe(200);
    expect((await call(world.app, manager, "GET", sessionsUrl)).status).toBe(200);
    expect((await call(world.app, webAgent.cookie, "GET", sessionsUrl)).status).toBe(403);
    // A cookie still needs the same-origin check on writes; a token does not.
    const noOrigin = await world.app.server.inject({
      method: "POST",
      url: `/api/v1/accounts/${phone.account.id}/codes`,
      headers: { cookie: phone.adminCookie },
      payload: { agentId: phoneAgent.user.id },
    });
    expect(noOrigin.statusCode).toBe(403);
  });

  it("publishes a bearer security scheme in the OpenAPI document", async () => {
    const res = await world.app.server.inject({ method: "GET", url: "/api/docs/json" });
    expect(res.statusCode).toBe(200);
    const doc = JSON.parse(res.body) as {
      components?: { securitySchemes?: Record<string, { type?: string; scheme?: string }> };
    };
    const schemes = Object.values(doc.components?.securitySchemes ?? {});
    expect(schemes.some((s) => s.type === "http" && s.scheme?.toLowerCase() === "bearer")).toBe(true);
  });
});

describe.each(dialects())("API token expiry and rate on %s", (dialect) => {
  let world: World;
  let t: Tenant;
  beforeAll(async () => {
    world = await startWorld(dialect, { HELPGATE_API_TOKEN_RATE: "5" });
    t = await seedTenant(world, "tok-rate");
  });
  afterAll(async () => {
    await world?.close();
  });

  it("limits each token to HELPGATE_API_TOKEN_RATE requests a minute (429), another token is unaffected", async () => {
    const a = await newToken(world, t, ["sessions:read"]);
    const b = await newToken(world, t, ["sessions:read"]);
    const url = `/api/v1/accounts/${t.account.id}/sessions`;
    for (let i = 0; i < 5; i++) {
      const r = await bearer(world, a.secret, "GET", url);
      expect(r.status, `call ${i + 1}: ${JSON.stringify(r.body)}`).toBe(200);
    }
    const over = await bearer(world, a.secret, "GET", url);
    expect(over.status, JSON.stringify(over.body)).toBe(429);
    expect(Number(over.res.headers["retry-after"] ?? "1")).toBeGreaterThan(0);
    expect((await bearer(world, b.secret, "GET", url)).status).toBe(200);
    // The admin's cookie is not counted against the token.
    expect((await call(world.app, t.adminCookie, "GET", url)).status).toBe(200);
  });

  it("refuses an expired token (401 token_expired)", async () => {
    const { secret } = await newToken(world, t, ["sessions:read"], { expiresInDays: 1 });
    const url = `/api/v1/accounts/${t.account.id}/sessions`;
    expect((await bearer(world, secret, "GET", url)).status).toBe(200);
    world.clock.advance(86_400_000 + 60_000);
    expectError(await bearer(world, secret, "GET", url), 401, "token_expired");
  });
});
