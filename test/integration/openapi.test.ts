import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/server/app.js";
import { loadConfig } from "../../src/server/config.js";
import { openDatabase } from "../../src/server/db/database.js";
import type { AgentServerMessage } from "../../src/shared/protocol.js";
import { freshAddress, login, seedUser } from "../support/app.js";
import { dialects } from "../support/databases.js";
import {
  type Agent,
  type AgentSocket,
  createPortal,
  onlineAgent,
  patchUser,
  seedAgent,
  seedTenant,
  startWorld,
  type World,
} from "../support/scenario.js";

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

interface MediaType {
  schema: unknown;
}
interface DocumentedResponse {
  description: string;
  headers?: Record<string, unknown>;
  content?: Record<string, MediaType>;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<
    string,
    Partial<Record<Lowercase<Method>, { responses: Record<string, DocumentedResponse> }>>
  >;
}

/** OpenAPI 3.0 schema → JSON Schema for ajv: `nullable: true` becomes "or null". */
function jsonSchemaOf(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(jsonSchemaOf);
  if (typeof schema !== "object" || schema === null) return schema;
  const { nullable, ...rest } = schema as Record<string, unknown>;
  const converted = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, jsonSchemaOf(v)]));
  return nullable === true ? { anyOf: [converted, { type: "null" }] } : converted;
}

/**
 * Holds the document and checks real answers against it: the status must be documented for the
 * route, the body must match the documented schema of its media type, documented headers must be
 * present. Remembers every (method, route, status) it checked.
 */
class Conformance {
  readonly seen = new Set<string>();
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly compiled = new Map<string, ValidateFunction>();
  constructor(readonly doc: OpenApiDocument) {}

  check(method: Method, route: string, res: LightMyRequestResponse): void {
    const where = `${method} ${route} → ${res.statusCode}`;
    const operation = this.doc.paths[route]?.[method.toLowerCase() as Lowercase<Method>];
    if (!operation) throw new Error(`${method} ${route} is not in the document`);
    const documented = operation.responses[String(res.statusCode)];
    if (!documented) throw new Error(`${where} is not documented; body: ${res.body.slice(0, 300)}`);
    for (const header of Object.keys(documented.headers ?? {})) {
      expect(res.headers[header], `${where} documents the ${header} header`).toBeDefined();
    }
    const type = String(res.headers["content-type"] ?? "").split(";")[0] ?? "";
    if (!documented.content) {
      expect(res.body, `${where} documents no body`).toBe("");
    } else {
      const media = documented.content[type];
      if (!media)
        throw new Error(`${where} answered ${type}, documented: ${Object.keys(documented.content)}`);
      const key = `${where} ${type}`;
      let validate = this.compiled.get(key);
      if (!validate) {
        validate = this.ajv.compile(jsonSchemaOf(media.schema) as object);
        this.compiled.set(key, validate);
      }
      const body: unknown = type === "application/json" ? JSON.parse(res.body) : res.body;
      if (!validate(body)) {
        throw new Error(`${where}: the body does not match the document: ${JSON.stringify(validate.errors)}`);
      }
    }
    this.seen.add(`${method} ${route} ${res.statusCode}`);
  }

  operations(): { method: Method; route: string; statuses: string[] }[] {
    return Object.entries(this.doc.paths).flatMap(([route, ops]) =>
      Object.entries(ops).map(([m, op]) => ({
        method: m.toUpperCase() as Method,
        route,
        statuses: Object.keys(op?.responses ?? {}),
      })),
    );
  }
}

async function fetchDocument(server: World["app"]["server"]): Promise<OpenApiDocument> {
  const res = await server.inject({ method: "GET", url: "/api/docs/json" });
  expect(res.statusCode).toBe(200);
  return JSON.parse(res.body) as OpenApiDocument;
}

const BODY_METHODS: Method[] = ["POST", "PUT", "PATCH"];

describe.each(dialects())("the OpenAPI document matches what the server answers, on %s", (dialect) => {
  let world: World;
  let api: Conformance;
  const sockets: AgentSocket[] = [];

  interface CallOptions {
    params?: Record<string, string>;
    query?: string;
    cookie?: string;
    payload?: unknown;
    remoteAddress?: string;
  }
  /** Calls a documented route (by its template) and checks the answer against the document. */
  async function send(method: Method, route: string, options: CallOptions = {}) {
    let url = route;
    for (const [k, v] of Object.entries(options.params ?? {})) url = url.replace(`{${k}}`, v);
    if (options.query) url += `?${options.query}`;
    const res = await world.app.server.inject({
      method,
      url,
      headers: { origin: world.origin, ...(options.cookie ? { cookie: options.cookie } : {}) },
      ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
      ...(options.payload !== undefined ? { payload: options.payload as Record<string, unknown> } : {}),
    });
    api.check(method, route, res);
    return res;
  }
  const json = <T>(res: LightMyRequestResponse): T => JSON.parse(res.body) as T;
  const customerCookie = (res: LightMyRequestResponse) =>
    res.cookies
      .filter((c) => c.name.startsWith("hgc_"))
      .map((c) => `${c.name}=${c.value}`)
      .join("; ");

  beforeAll(async () => {
    // Email and webhooks on, to nowhere: what they queue waits in the outbox (the documents are checked, not delivery).
    world = await startWorld(dialect, {
      SMTP_URL: "smtp://127.0.0.1:1",
      HELPGATE_WEBHOOKS_ALLOW_PRIVATE: "1",
    });
    api = new Conformance(await fetchDocument(world.app.server));
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world.close();
  });

  it("is OpenAPI 3 with typed 2xx bodies (no schema-less JSON answer)", () => {
    expect(api.doc.openapi).toMatch(/^3\./);
    for (const op of api.operations()) {
      const ok = op.statuses.find((s) => s.startsWith("2"));
      expect(ok, `${op.method} ${op.route} documents a success`).toBeDefined();
      const content =
        api.doc.paths[op.route]?.[op.method.toLowerCase() as Lowercase<Method>]?.responses[ok ?? ""]?.content;
      for (const media of Object.values(content ?? {})) {
        const schema = media.schema as Record<string, unknown>;
        expect(
          Object.keys(schema).some((k) => ["type", "anyOf", "enum", "$ref"].includes(k)),
          `${op.method} ${op.route} ${ok}: ${JSON.stringify(schema)}`,
        ).toBe(true);
      }
    }
  });

  it("an admin's and an operator's flow: sign-in, accounts, users, portals", async () => {
    const tenant = await seedTenant(world, "doc");
    const signIn = await send("POST", "/api/v1/auth/login", {
      payload: { email: tenant.admin.email, password: "correct-horse-battery" },
      remoteAddress: freshAddress(),
    });
    expect(signIn.statusCode).toBe(200);
    const cookie = `hg_session=${signIn.cookies.find((c) => c.name === "hg_session")?.value}`;
    expect((await send("GET", "/api/v1/auth/me", { cookie })).statusCode).toBe(200);

    const operator = await seedUser(world.app, null, `op@${tenant.tag}.example`, "operator");
    const opCookie = await login(world.app, operator.email);
    const created = await send("POST", "/api/v1/accounts", {
      cookie: opCookie,
      payload: { name: "Doc Co", mode: "web", admin: { email: `a@${tenant.tag}.example`, displayName: "A" } },
    });
    expect(created.statusCode).toBe(201);
    expect((await send("GET", "/api/v1/accounts", { cookie: opCookie })).statusCode).toBe(200);
    const accountId = tenant.account.id;
    const params = { accountId };
    expect((await send("GET", "/api/v1/accounts/{accountId}", { cookie, params })).statusCode).toBe(200);
    const renamed = await send("PATCH", "/api/v1/accounts/{accountId}", {
      cookie,
      params,
      payload: { name: "Doc Shop" },
    });
    expect(json<{ name: string }>(renamed).name).toBe("Doc Shop");

    const user = await send("POST", "/api/v1/accounts/{accountId}/users", {
      cookie,
      params,
      payload: { email: `u@${tenant.tag}.example`, displayName: "Uma", role: "agent" },
    });
    expect(user.statusCode).toBe(201);
    const userId = json<{ user: { id: string } }>(user).user.id;
    expect((await send("GET", "/api/v1/accounts/{accountId}/users", { cookie, params })).statusCode).toBe(
      200,
    );
    const one = { accountId, userId };
    expect(
      (await send("GET", "/api/v1/accounts/{accountId}/users/{userId}", { cookie, params: one })).statusCode,
    ).toBe(200);
    const patched = await send("PATCH", "/api/v1/accounts/{accountId}/users/{userId}", {
      cookie,
      params: one,
      payload: { maxSessions: 4, avatarUrl: null },
    });
    expect(json<{ maxSessions: number }>(patched).maxSessions).toBe(4);
    const reset = await send("POST", "/api/v1/accounts/{accountId}/users/{userId}/password", {
      cookie,
      params: one,
      payload: {},
    });
    expect(typeof json<{ generatedPassword: string }>(reset).generatedPassword).toBe("string");

    const portal = await send("POST", "/api/v1/accounts/{accountId}/portals", {
      cookie,
      params,
      payload: {
        slug: `doc-${tenant.tag}`,
        type: "question",
        name: "Doc desk",
        fields: [{ kind: "select", label: "Topic", required: false, options: ["a", "b"] }],
      },
    });
    expect(portal.statusCode).toBe(201);
    const portalParams = { accountId, portalId: json<{ id: string }>(portal).id };
    expect((await send("GET", "/api/v1/accounts/{accountId}/portals", { cookie, params })).statusCode).toBe(
      200,
    );
    expect(
      (await send("GET", "/api/v1/accounts/{accountId}/portals/{portalId}", { cookie, params: portalParams }))
        .statusCode,
    ).toBe(200);
    const titled = await send("PATCH", "/api/v1/accounts/{accountId}/portals/{portalId}", {
      cookie,
      params: portalParams,
      payload: { title: "Ask us", logoUrl: null },
    });
    expect(json<{ title: string }>(titled).title).toBe("Ask us");
    expect(
      (
        await send("DELETE", "/api/v1/accounts/{accountId}/portals/{portalId}", {
          cookie,
          params: portalParams,
        })
      ).statusCode,
    ).toBe(204);
    expect((await send("POST", "/api/v1/auth/logout", { cookie })).statusCode).toBe(204);
  });

  it("a web session from request to survey, a decline, a cancel and an offline message", async () => {
    const tenant = await seedTenant(world, "docweb");
    const agent = await seedAgent(world, tenant, "wes");
    await patchUser(world, tenant, agent, { maxSessions: 10 });
    const pick = await createPortal(world, tenant, "pick-agent", [agent]);
    const question = await createPortal(world, tenant, "question", [agent]);
    sockets.push(await onlineAgent(world, agent));
    const cookie = agent.cookie;
    expect(
      (await send("PUT", "/api/v1/console/availability", { cookie, payload: { available: true } }))
        .statusCode,
    ).toBe(200);

    const agents = await send("GET", "/api/v1/portals/{slug}/agents", { params: { slug: pick.slug } });
    expect(json<{ agents: unknown[] }>(agents).agents).toHaveLength(1);
    expect(
      (await send("GET", "/api/v1/portals/{slug}/agents", { params: { slug: question.slug } })).statusCode,
    ).toBe(200);

    const asked = await send("POST", "/api/v1/portals/{slug}/requests", {
      params: { slug: pick.slug },
      payload: { values: { name: "Cleo", email: "cleo@example.com" }, agentId: agent.user.id },
    });
    expect(asked.statusCode).toBe(201);
    const requestId = json<{ requestId: string }>(asked).requestId;
    const customer = customerCookie(asked);
    const mine = { requestId };
    expect(
      (await send("GET", "/api/v1/customer/requests/{requestId}", { cookie: customer, params: mine }))
        .statusCode,
    ).toBe(200);
    expect((await send("GET", "/api/v1/console", { cookie })).statusCode).toBe(200);

    const accepted = await send("POST", "/api/v1/requests/{requestId}/accept", { cookie, params: mine });
    expect(accepted.statusCode).toBe(200);
    const session = { sessionId: requestId };
    expect(
      (
        await send("POST", "/api/v1/sessions/{sessionId}/messages", {
          cookie,
          params: session,
          payload: { body: "Hi" },
        })
      ).statusCode,
    ).toBe(201);
    expect(
      (
        await send("POST", "/api/v1/customer/requests/{requestId}/messages", {
          cookie: customer,
          params: mine,
          payload: { body: "Hello" },
        })
      ).statusCode,
    ).toBe(201);
    const agentList = await send("GET", "/api/v1/sessions/{sessionId}/messages", { cookie, params: session });
    expect(json<unknown[]>(agentList).length).toBeGreaterThanOrEqual(2);
    expect(
      (
        await send("GET", "/api/v1/customer/requests/{requestId}/messages", {
          cookie: customer,
          params: mine,
          query: "since=1",
        })
      ).statusCode,
    ).toBe(200);
    // The console while a session is live: sessions, stats, history all filled in.
    expect((await send("GET", "/api/v1/console", { cookie })).statusCode).toBe(200);
    for (const query of ["format=txt", "format=json"]) {
      expect(
        (await send("GET", "/api/v1/sessions/{sessionId}/transcript", { cookie, params: session, query }))
          .statusCode,
      ).toBe(200);
      expect(
        (
          await send("GET", "/api/v1/customer/requests/{requestId}/transcript", {
            cookie: customer,
            params: mine,
            query,
          })
        ).statusCode,
      ).toBe(200);
    }
    expect(
      (await send("POST", "/api/v1/sessions/{sessionId}/end", { cookie, params: session })).statusCode,
    ).toBe(204);
    const outcome = await send("POST", "/api/v1/sessions/{sessionId}/outcome", {
      cookie,
      params: session,
      payload: { outcome: "resolved", notes: "Printer fixed", ticket: "T-1" },
    });
    expect(outcome.statusCode).toBe(200);
    expect(
      (
        await send("POST", "/api/v1/customer/requests/{requestId}/survey", {
          cookie: customer,
          params: mine,
          payload: { rating: 5, comment: "Quick" },
        })
      ).statusCode,
    ).toBe(204);
    // Ended sessions with their outcome and survey in the console's History.
    const snapshot = await send("GET", "/api/v1/console", { cookie });
    expect(json<{ ended: unknown[] }>(snapshot).ended.length).toBeGreaterThan(0);

    // A broadcast request the agent declines, which the customer then cancels.
    const second = await send("POST", "/api/v1/portals/{slug}/requests", {
      params: { slug: question.slug },
      payload: { values: { name: "Dan", question: "Two?" } },
    });
    const secondId = { requestId: json<{ requestId: string }>(second).requestId };
    expect(
      (await send("POST", "/api/v1/requests/{requestId}/decline", { cookie, params: secondId })).statusCode,
    ).toBe(200);
    const canceled = await send("POST", "/api/v1/customer/requests/{requestId}/cancel", {
      cookie: customerCookie(second),
      params: secondId,
    });
    expect(json<{ state: string }>(canceled).state).toBe("canceled");

    // A session the customer ends.
    const third = await send("POST", "/api/v1/portals/{slug}/requests", {
      params: { slug: question.slug },
      payload: { values: { name: "Eve", question: "Three?" } },
    });
    const thirdId = { requestId: json<{ requestId: string }>(third).requestId };
    expect(
      (await send("POST", "/api/v1/requests/{requestId}/accept", { cookie, params: thirdId })).statusCode,
    ).toBe(200);
    expect(
      (
        await send("POST", "/api/v1/customer/requests/{requestId}/end", {
          cookie: customerCookie(third),
          params: thirdId,
        })
      ).statusCode,
    ).toBe(204);

    const offline = await send("POST", "/api/v1/portals/{slug}/offline", {
      params: { slug: question.slug },
      payload: { values: { name: "Fay", email: "fay@example.com", question: "Call me" } },
    });
    expect(offline.statusCode).toBe(201);
  });

  it("codes: create, list, redeem at /join, cancel", async () => {
    const tenant = await seedTenant(world, "docphone", "phone");
    const agent = await seedAgent(world, tenant, "pia");
    const portal = await createPortal(world, tenant, "code", [agent]);
    sockets.push(await onlineAgent(world, agent));
    const cookie = agent.cookie;
    const first = await send("POST", "/api/v1/codes", {
      cookie,
      payload: { portalId: portal.id, name: "Gus" },
    });
    expect(first.statusCode).toBe(201);
    const second = await send("POST", "/api/v1/codes", {
      cookie,
      payload: { portalId: portal.id, name: "Hal" },
    });
    expect(json<unknown[]>(await send("GET", "/api/v1/codes", { cookie }))).toHaveLength(2);
    const joined = await send("POST", "/api/v1/join", {
      payload: { code: json<{ code: string }>(first).code },
      remoteAddress: freshAddress(),
    });
    expect(joined.statusCode).toBe(201);
    expect(
      (
        await send("DELETE", "/api/v1/codes/{codeId}", {
          cookie,
          params: { codeId: json<{ id: string }>(second).id },
        })
      ).statusCode,
    ).toBe(204);
  });

  it("queue: decline an offer, accept the next, take the next by hand", async () => {
    const tenant = await seedTenant(world, "docqueue", "queue");
    const ann = await seedAgent(world, tenant, "ann");
    const ben = await seedAgent(world, tenant, "ben");
    const portal = await createPortal(world, tenant, "question", [ann, ben]);
    const annWs = await onlineAgent(world, ann);
    const benWs = await onlineAgent(world, ben);
    sockets.push(annWs, benWs);
    const offerFor = (requestId: string) => (m: AgentServerMessage) =>
      m.type === "offer" && m.offer.request.id === requestId;
    const whoGot = async (requestId: string): Promise<{ agent: Agent; offerId: string }> => {
      const got = await Promise.race([
        annWs.next(offerFor(requestId)).then((m) => ({ agent: ann, m })),
        benWs.next(offerFor(requestId)).then((m) => ({ agent: ben, m })),
      ]);
      if (got.m.type !== "offer") throw new Error("not an offer");
      return { agent: got.agent, offerId: got.m.offer.id };
    };

    const asked = await send("POST", "/api/v1/portals/{slug}/requests", {
      params: { slug: portal.slug },
      payload: { values: { name: "Ivy", question: "Queue?" } },
    });
    const requestId = json<{ requestId: string }>(asked).requestId;
    const first = await whoGot(requestId);
    expect(
      (
        await send("POST", "/api/v1/offers/{offerId}/decline", {
          cookie: first.agent.cookie,
          params: { offerId: first.offerId },
        })
      ).statusCode,
    ).toBe(204);
    const other = first.agent === ann ? ben : ann;
    const otherWs = other === ann ? annWs : benWs;
    const next = await otherWs.next(offerFor(requestId));
    if (next.type !== "offer") throw new Error("not an offer");
    expect(
      (
        await send("POST", "/api/v1/offers/{offerId}/accept", {
          cookie: other.cookie,
          params: { offerId: next.offer.id },
        })
      ).statusCode,
    ).toBe(200);

    const again = await send("POST", "/api/v1/portals/{slug}/requests", {
      params: { slug: portal.slug },
      payload: { values: { name: "Jo", question: "Queue again?" } },
    });
    const offered = await whoGot(json<{ requestId: string }>(again).requestId);
    const taken = await send("POST", "/api/v1/queue/take-next", { cookie: offered.agent.cookie });
    expect(taken.statusCode).toBe(200);
  });

  it("teamwork: colleagues, transfers, invitations, notes, hand-over, the supervisor's view and steps", async () => {
    const tenant = await seedTenant(world, "docteam");
    const anna = await seedAgent(world, tenant, "anna");
    const ben = await seedAgent(world, tenant, "ben");
    const cleo = await seedAgent(world, tenant, "cleo");
    const manager = await seedUser(world.app, tenant.account.id, `mia@${tenant.tag}.example`, "manager");
    const mia: Agent = { user: manager, cookie: await login(world.app, manager.email) };
    const portal = await createPortal(world, tenant, "question", [anna, ben, cleo]);
    const [annaWs, benWs, cleoWs] = [
      await onlineAgent(world, anna),
      await onlineAgent(world, ben),
      await onlineAgent(world, cleo),
    ];
    sockets.push(annaWs, benWs, cleoWs);

    const colleagues = await send("GET", "/api/v1/console/colleagues", { cookie: anna.cookie });
    expect(json<{ agents: { id: string }[] }>(colleagues).agents.map((a) => a.id)).toContain(ben.user.id);

    const asked = await send("POST", "/api/v1/portals/{slug}/requests", {
      params: { slug: portal.slug },
      payload: { values: { name: "Tess", question: "Team?" } },
    });
    const sessionId = json<{ requestId: string }>(asked).requestId;
    const session = { sessionId };
    expect(
      (
        await send("POST", "/api/v1/requests/{requestId}/accept", {
          cookie: anna.cookie,
          params: { requestId: sessionId },
        })
      ).statusCode,
    ).toBe(200);

    // A transfer taken back, one declined, one accepted.
    const toBen = {
      cookie: anna.cookie,
      params: session,
      payload: { toAgentId: ben.user.id, note: "Billing" },
    };
    expect((await send("POST", "/api/v1/sessions/{sessionId}/transfer", toBen)).statusCode).toBe(201);
    expect(
      (
        await send("DELETE", "/api/v1/sessions/{sessionId}/transfer", {
          cookie: anna.cookie,
          params: session,
        })
      ).statusCode,
    ).toBe(204);
    const declined = json<{ id: string }>(await send("POST", "/api/v1/sessions/{sessionId}/transfer", toBen));
    expect(
      (
        await send("POST", "/api/v1/transfers/{transferId}/decline", {
          cookie: ben.cookie,
          params: { transferId: declined.id },
        })
      ).statusCode,
    ).toBe(204);
    const taken = json<{ id: string }>(await send("POST", "/api/v1/sessions/{sessionId}/transfer", toBen));
    const accepted = await send("POST", "/api/v1/transfers/{transferId}/accept", {
      cookie: ben.cookie,
      params: { transferId: taken.id },
    });
    expect(json<{ agentId: string }>(accepted).agentId).toBe(ben.user.id);

    // Ben invites both colleagues: cleo declines, anna joins; a note; ben hands the session to anna and leaves.
    const invited = await send("POST", "/api/v1/sessions/{sessionId}/invitations", {
      cookie: ben.cookie,
      params: session,
      payload: { agentIds: [anna.user.id, cleo.user.id] },
    });
    const members = json<{ id: string; userId: string }[]>(invited);
    const memberOf = (a: Agent) => members.find((m) => m.userId === a.user.id)?.id ?? "";
    expect(
      (
        await send("POST", "/api/v1/invitations/{memberId}/decline", {
          cookie: cleo.cookie,
          params: { memberId: memberOf(cleo) },
        })
      ).statusCode,
    ).toBe(204);
    const joined = await send("POST", "/api/v1/invitations/{memberId}/accept", {
      cookie: anna.cookie,
      params: { memberId: memberOf(anna) },
    });
    expect(json<{ role: string }>(joined).role).toBe("participant");
    const note = await send("POST", "/api/v1/sessions/{sessionId}/notes", {
      cookie: anna.cookie,
      params: session,
      payload: { body: "Only agents read this" },
    });
    expect(json<{ sender: string; visibility: string }>(note)).toMatchObject({
      sender: "note",
      visibility: "agents",
    });
    const handed = await send("POST", "/api/v1/sessions/{sessionId}/owner", {
      cookie: ben.cookie,
      params: session,
      payload: { userId: anna.user.id },
    });
    expect(json<{ agentId: string; role: string }>(handed)).toMatchObject({
      agentId: anna.user.id,
      role: "participant",
    });
    expect(
      (await send("POST", "/api/v1/sessions/{sessionId}/leave", { cookie: ben.cookie, params: session }))
        .statusCode,
    ).toBe(204);
    // Anna invites cleo again, and takes the invitation back.
    expect(
      (
        await send("POST", "/api/v1/sessions/{sessionId}/invitations", {
          cookie: anna.cookie,
          params: session,
          payload: { agentIds: [cleo.user.id] },
        })
      ).statusCode,
    ).toBe(201);
    expect(
      (
        await send("DELETE", "/api/v1/sessions/{sessionId}/members/{userId}", {
          cookie: anna.cookie,
          params: { sessionId, userId: cleo.user.id },
        })
      ).statusCode,
    ).toBe(204);

    // The manager: the supervisor view, then monitor, join and take over.
    const view = await send("GET", "/api/v1/supervisor", { cookie: mia.cookie });
    expect(json<{ sessions: { sessionId: string }[] }>(view).sessions.map((s) => s.sessionId)).toContain(
      sessionId,
    );
    for (const [route, role] of [
      ["/api/v1/sessions/{sessionId}/monitor", "monitor"],
      ["/api/v1/sessions/{sessionId}/join", "participant"],
      ["/api/v1/sessions/{sessionId}/take-over", "owner"],
    ] as const) {
      const res = await send("POST", route, { cookie: mia.cookie, params: session });
      expect(json<{ role: string }>(res).role, route).toBe(role);
    }
  });

  it("canned responses: the account's and an agent's own, listed, changed and deleted", async () => {
    const tenant = await seedTenant(world, "doccanned");
    const agent = await seedAgent(world, tenant, "cora");
    const params = { accountId: tenant.account.id };
    const body = { title: "Greeting", shortcut: "greet", text: "Hello {customer.name}!", language: "en" };
    const shared = await send("POST", "/api/v1/accounts/{accountId}/canned-responses", {
      cookie: tenant.adminCookie,
      params,
      payload: body,
    });
    expect(shared.statusCode).toBe(201);
    const sharedId = json<{ id: string }>(shared).id;
    const account = { ...params, cannedId: sharedId };
    const changed = await send("PUT", "/api/v1/accounts/{accountId}/canned-responses/{cannedId}", {
      cookie: tenant.adminCookie,
      params: account,
      payload: { ...body, title: "Hello" },
    });
    expect(changed.statusCode).toBe(200);
    const listed = await send("GET", "/api/v1/accounts/{accountId}/canned-responses", {
      cookie: agent.cookie,
      params,
    });
    expect(json<unknown[]>(listed)).toHaveLength(1);
    const own = await send("POST", "/api/v1/console/canned-responses", {
      cookie: agent.cookie,
      payload: { title: "Mine", text: "I am {agent.name}." },
    });
    expect(own.statusCode).toBe(201);
    const mine = { cannedId: json<{ id: string }>(own).id };
    const ownChanged = await send("PUT", "/api/v1/console/canned-responses/{cannedId}", {
      cookie: agent.cookie,
      params: mine,
      payload: { title: "Mine", shortcut: "me", text: "I am {agent.name}.", language: null },
    });
    expect(ownChanged.statusCode).toBe(200);
    const usable = await send("GET", "/api/v1/console/canned-responses", { cookie: agent.cookie });
    expect(json<{ scope: string }[]>(usable).map((r) => r.scope)).toEqual(["account", "personal"]);
    const unknown = await send("POST", "/api/v1/console/canned-responses", {
      cookie: agent.cookie,
      payload: { title: "Bad", text: "Hi {customer.nmae}" },
    });
    expect(unknown.statusCode).toBe(400);
    const refused = await send("POST", "/api/v1/accounts/{accountId}/canned-responses", {
      cookie: agent.cookie,
      params,
      payload: body,
    });
    expect(refused.statusCode).toBe(403);
    expect(
      (
        await send("DELETE", "/api/v1/console/canned-responses/{cannedId}", {
          cookie: agent.cookie,
          params: mine,
        })
      ).statusCode,
    ).toBe(204);
    expect(
      (
        await send("DELETE", "/api/v1/accounts/{accountId}/canned-responses/{cannedId}", {
          cookie: tenant.adminCookie,
          params: account,
        })
      ).statusCode,
    ).toBe(204);
  });

  it("413 and 415 on every route with a body, as documented", async () => {
    const big = JSON.stringify({ text: "x".repeat(300 * 1024) });
    for (const op of api.operations().filter((o) => BODY_METHODS.includes(o.method))) {
      const url = op.route.replace(/\{[^}]+\}/g, "some-id");
      const tooLarge = await world.app.server.inject({
        method: op.method,
        url,
        headers: { "content-type": "application/json" },
        payload: big,
      });
      expect(tooLarge.statusCode, `${op.method} ${op.route}`).toBe(413);
      api.check(op.method, op.route, tooLarge);
      const xml = await world.app.server.inject({
        method: op.method,
        url,
        headers: { "content-type": "application/xml" },
        payload: "<a/>",
      });
      expect(xml.statusCode, `${op.method} ${op.route}`).toBe(415);
      api.check(op.method, op.route, xml);
    }
  });

  it("429 with Retry-After on sign-in and code redemption, as documented", async () => {
    const address = freshAddress();
    let last: LightMyRequestResponse | null = null;
    for (let i = 0; i < 25 && last?.statusCode !== 429; i++) {
      last = await world.app.server.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        remoteAddress: address,
        headers: { origin: world.origin },
        payload: { email: "nobody@nowhere.example", password: "wrong-password" },
      });
    }
    expect(last?.statusCode).toBe(429);
    api.check("POST", "/api/v1/auth/login", last as LightMyRequestResponse);

    const joinAddress = freshAddress();
    last = null;
    for (let i = 0; i < 15 && last?.statusCode !== 429; i++) {
      last = await world.app.server.inject({
        method: "POST",
        url: "/api/v1/join",
        remoteAddress: joinAddress,
        headers: { origin: world.origin },
        payload: { code: "000000000" },
      });
    }
    expect(last?.statusCode).toBe(429);
    api.check("POST", "/api/v1/join", last as LightMyRequestResponse);
  });

  it("integrations: webhooks, deliveries, API tokens, emails, password links, the account API", async () => {
    const tenant = await seedTenant(world, "docint", "phone");
    const admin = tenant.adminCookie;
    const agent = await seedAgent(world, tenant, "ivy");
    const portal = await createPortal(world, tenant, "code", [agent]);
    sockets.push(await onlineAgent(world, agent));
    const acc = { accountId: tenant.account.id };
    expect((await send("GET", "/api/v1/auth/options")).statusCode).toBe(200);
    expect(
      (await send("PATCH", "/api/v1/auth/me", { cookie: agent.cookie, payload: { language: "de" } }))
        .statusCode,
    ).toBe(200);
    expect(
      (await send("GET", "/api/v1/accounts/{accountId}/integrations", { cookie: admin, params: acc }))
        .statusCode,
    ).toBe(200);
    const hook = json<{ id: string }>(
      await send("POST", "/api/v1/accounts/{accountId}/webhooks", {
        cookie: admin,
        params: acc,
        payload: { url: "http://127.0.0.1:1/hook", events: ["session.ended", "code.redeemed"] },
      }),
    );
    const wh = { ...acc, webhookId: hook.id };
    expect(
      (await send("GET", "/api/v1/accounts/{accountId}/webhooks", { cookie: admin, params: acc })).statusCode,
    ).toBe(200);
    expect(
      (await send("GET", "/api/v1/accounts/{accountId}/webhooks/{webhookId}", { cookie: admin, params: wh }))
        .statusCode,
    ).toBe(200);
    expect(
      (
        await send("PATCH", "/api/v1/accounts/{accountId}/webhooks/{webhookId}", {
          cookie: admin,
          params: wh,
          payload: { description: "CRM" },
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (
        await send("POST", "/api/v1/accounts/{accountId}/webhooks/{webhookId}/rotate-secret", {
          cookie: admin,
          params: wh,
        })
      ).statusCode,
    ).toBe(200);
    const test = json<{ id: string }>(
      await send("POST", "/api/v1/accounts/{accountId}/webhooks/{webhookId}/test", {
        cookie: admin,
        params: wh,
      }),
    );
    expect(
      (
        await send("GET", "/api/v1/accounts/{accountId}/webhooks/{webhookId}/attempts", {
          cookie: admin,
          params: wh,
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (
        await send("GET", "/api/v1/accounts/{accountId}/deliveries", {
          cookie: admin,
          params: acc,
          query: "kind=webhook",
        })
      ).statusCode,
    ).toBe(200);
    // Redeliver once its first try is over (while a node is delivering it the answer is 409).
    for (let i = 0; i < 200; i++) {
      const row = await world.app.deps.db.kysely
        .selectFrom("outbox")
        .select(["attempts", "leased_by"])
        .where("id", "=", test.id)
        .executeTakeFirst();
      if (row && row.attempts > 0 && row.leased_by === null) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(
      (
        await send("POST", "/api/v1/accounts/{accountId}/deliveries/{deliveryId}/redeliver", {
          cookie: admin,
          params: { ...acc, deliveryId: test.id },
        })
      ).statusCode,
    ).toBe(202);
    const token = json<{ token: { id: string }; secret: string }>(
      await send("POST", "/api/v1/accounts/{accountId}/api-tokens", {
        cookie: admin,
        params: acc,
        payload: { name: "CRM", scopes: ["sessions:read", "codes:create"], expiresInDays: 30 },
      }),
    );
    expect(
      (await send("GET", "/api/v1/accounts/{accountId}/api-tokens", { cookie: admin, params: acc }))
        .statusCode,
    ).toBe(200);
    // A code for the agent, emailed; the agent's own code, emailed from the console.
    expect(
      (
        await send("POST", "/api/v1/accounts/{accountId}/codes", {
          cookie: admin,
          params: acc,
          payload: { agentId: agent.user.id, email: "cal@example.com" },
        })
      ).statusCode,
    ).toBe(201);
    const own = json<{ id: string; code: string }>(
      await send("POST", "/api/v1/codes", {
        cookie: agent.cookie,
        payload: { portalId: portal.id, name: "Cal" },
      }),
    );
    expect(
      (
        await send("POST", "/api/v1/codes/{codeId}/email", {
          cookie: agent.cookie,
          params: { codeId: own.id },
          payload: { email: "cal@example.com" },
        })
      ).statusCode,
    ).toBe(202);
    // A session from the code, ended: the transcript by email to both sides, and through the account API.
    const joined = await send("POST", "/api/v1/join", {
      payload: { code: own.code },
      remoteAddress: freshAddress(),
    });
    const requestId = json<{ requestId: string }>(joined).requestId;
    expect(
      (
        await world.app.server.inject({
          method: "POST",
          url: `/api/v1/sessions/${requestId}/end`,
          headers: { origin: world.origin, cookie: agent.cookie },
        })
      ).statusCode,
    ).toBe(204);
    expect(
      (
        await send("POST", "/api/v1/sessions/{sessionId}/transcript-email", {
          cookie: agent.cookie,
          params: { sessionId: requestId },
        })
      ).statusCode,
    ).toBe(202);
    expect(
      (
        await send("POST", "/api/v1/customer/requests/{requestId}/transcript-email", {
          cookie: customerCookie(joined),
          params: { requestId },
          payload: { email: "cal@example.com" },
        })
      ).statusCode,
    ).toBe(202);
    expect(
      (await send("GET", "/api/v1/accounts/{accountId}/sessions", { cookie: admin, params: acc })).statusCode,
    ).toBe(200);
    expect(
      (
        await send("GET", "/api/v1/accounts/{accountId}/sessions/{sessionId}/transcript", {
          cookie: admin,
          params: { ...acc, sessionId: requestId },
        })
      ).statusCode,
    ).toBe(200);
    // An invited user: the invitation again, then the link from the queued email sets the password.
    const invited = json<{ user: { id: string; email: string } }>(
      await send("POST", "/api/v1/accounts/{accountId}/users", {
        cookie: admin,
        params: acc,
        payload: { email: `new@${tenant.tag}.example`, displayName: "New", role: "agent", invite: true },
      }),
    );
    expect(
      (
        await send("POST", "/api/v1/accounts/{accountId}/users/{userId}/invitation", {
          cookie: admin,
          params: { ...acc, userId: invited.user.id },
        })
      ).statusCode,
    ).toBe(202);
    const mails = await world.app.deps.db.kysely
      .selectFrom("outbox")
      .select(["payload", "created_at"])
      .where("event_type", "=", "invitation")
      .where("recipient", "=", invited.user.email)
      .orderBy("created_at", "desc")
      .execute();
    const link = /token=([A-Za-z0-9_-]+)/.exec(mails[0]?.payload ?? "")?.[1] ?? "";
    expect(
      (
        await send("POST", "/api/v1/auth/password", {
          payload: { token: link, password: "a-new-long-password" },
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (
        await send("POST", "/api/v1/auth/forgot-password", {
          payload: { email: invited.user.email },
          remoteAddress: freshAddress(),
        })
      ).statusCode,
    ).toBe(202);
    expect(
      (
        await send("DELETE", "/api/v1/accounts/{accountId}/api-tokens/{tokenId}", {
          cookie: admin,
          params: { ...acc, tokenId: token.token.id },
        })
      ).statusCode,
    ).toBe(204);
    expect(
      (
        await send("DELETE", "/api/v1/accounts/{accountId}/webhooks/{webhookId}", {
          cookie: admin,
          params: wh,
        })
      ).statusCode,
    ).toBe(204);
  });

  it("reports: every table as JSON and CSV, the raw list, a refusal", async () => {
    const tenant = await seedTenant(world, "rep");
    const cookie = tenant.adminCookie;
    const params = { accountId: tenant.account.id };
    const base = "/api/v1/accounts/{accountId}/reports";
    for (const table of ["summary", "agents", "portals", "days", "hours", "queue"]) {
      const res = await send("GET", `${base}/${table}`, { cookie, params, query: "period=last30" });
      expect(res.statusCode, `${table}: ${res.body}`).toBe(200);
      const file = await send("GET", `${base}/${table}.csv`, {
        cookie,
        params,
        query: "period=custom&from=2026-01-01&to=2026-01-31",
      });
      expect(file.statusCode, `${table}.csv: ${file.body}`).toBe(200);
      expect(file.headers["content-type"]).toBe("text/csv; charset=utf-8");
    }
    const list = await send("GET", `${base}/requests.csv`, { cookie, params, query: "period=today" });
    expect(list.statusCode).toBe(200);
    expect(list.body.startsWith("\uFEFFrequestId,")).toBe(true);
    const bad = await send("GET", `${base}/summary`, { cookie, params, query: "period=fortnight" });
    expect(bad.statusCode).toBe(400);
    const agent = await seedAgent(world, tenant, "reporter");
    const refused = await send("GET", `${base}/agents`, { cookie: agent.cookie, params });
    expect(refused.statusCode).toBe(403);
  });

  it("every documented route was called and its success answer checked", () => {
    const missing = api
      .operations()
      .filter(
        (op) => !op.statuses.some((s) => s.startsWith("2") && api.seen.has(`${op.method} ${op.route} ${s}`)),
      )
      .map((op) => `${op.method} ${op.route}`);
    expect(missing).toEqual([]);
  });
});

describe("503 with Retry-After when the database is away, as documented", () => {
  it("answers every kind of route with the documented 503", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "helpgate-data-"));
    // Nothing listens on port 1: every query fails at once with ECONNREFUSED.
    const databaseUrl = "postgres://postgres@127.0.0.1:1/helpgate";
    const config = loadConfig({ DATABASE_URL: databaseUrl, HELPGATE_DATA_DIR: dataDir, LOG_LEVEL: "silent" });
    const db = openDatabase(databaseUrl);
    const { server } = await buildApp({ config, db, logger: false, sweepEveryMs: 0 });
    try {
      await server.ready();
      const api = new Conformance(await fetchDocument(server));
      const origin = new URL(config.publicUrl).origin;
      const calls: {
        method: Method;
        route: string;
        url: string;
        payload?: Record<string, unknown>;
        cookie?: string;
      }[] = [
        { method: "GET", route: "/api/v1/console", url: "/api/v1/console", cookie: "hg_session=abc" },
        { method: "GET", route: "/api/v1/portals/{slug}/agents", url: "/api/v1/portals/shop/agents" },
        {
          method: "POST",
          route: "/api/v1/portals/{slug}/requests",
          url: "/api/v1/portals/shop/requests",
          payload: { values: { name: "A", question: "Q" } },
        },
        {
          method: "POST",
          route: "/api/v1/auth/login",
          url: "/api/v1/auth/login",
          payload: { email: "a@example.com", password: "whatever-it-is" },
        },
      ];
      for (const c of calls) {
        const res = await server.inject({
          method: c.method,
          url: c.url,
          headers: { origin, ...(c.cookie ? { cookie: c.cookie } : {}) },
          ...(c.payload ? { payload: c.payload } : {}),
        });
        expect(res.statusCode, `${c.method} ${c.url}: ${res.body}`).toBe(503);
        expect(res.headers["retry-after"]).toBe("5");
        api.check(c.method, c.route, res);
      }
    } finally {
      await server.close();
      await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
