import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepCodes } from "../../src/server/sweeper.js";
import type { ApiError, Portal } from "../../src/shared/api.js";
import type { CodeView } from "../../src/shared/protocol.js";
import { type Call, call, freshAddress } from "../support/app.js";
import { dialects } from "../support/databases.js";
import {
  type Agent,
  type AgentSocket,
  barrier,
  type CustomerSocket,
  connectCustomer,
  createPortal,
  eventsOf,
  isStatus,
  onlineAgent,
  seedAgent,
  seedTenant,
  sessionOf,
  startWorld,
  statusOf,
  type Tenant,
  type World,
} from "../support/scenario.js";

const UNKNOWN = {
  error: "unknown_code",
  message: "This code is not valid (it may have expired or been used). Check it with the agent.",
  fields: {
    code: {
      code: "unknown_code",
      message: "This code is not valid (it may have expired or been used). Check it with the agent.",
    },
  },
};

interface Redeemed extends Call {
  requestId: string;
  cookie: string;
}

describe.each(dialects())("session codes on %s", (dialect) => {
  let world: World;
  const sockets: (AgentSocket | CustomerSocket)[] = [];
  beforeAll(async () => {
    world = await startWorld(dialect);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world.close();
  });

  /** The customer types a code at /join (no slug) or at a company code portal, from a client address. */
  async function redeem(code: string, opts: { slug?: string; ip?: string; forwardedFor?: string } = {}) {
    const headers: Record<string, string> = { origin: world.origin };
    if (opts.forwardedFor) headers["x-forwarded-for"] = opts.forwardedFor;
    const res = await world.app.server.inject({
      method: "POST",
      url: "/api/v1/join",
      headers,
      remoteAddress: opts.ip ?? freshAddress(),
      payload: { code, ...(opts.slug ? { slug: opts.slug } : {}) },
    });
    const body = JSON.parse(res.body) as { requestId?: string };
    const cookie = res.cookies
      .filter((c) => c.name.startsWith("hgc_"))
      .map((c) => `${c.name}=${c.value}`)
      .join("; ");
    const out: Redeemed = { status: res.statusCode, body, res, requestId: body.requestId ?? "", cookie };
    return out;
  }

  const createCode = (agent: Agent, portalId: string, name = "Customer on the phone") =>
    call(world.app, agent.cookie, "POST", "/api/v1/codes", { portalId, name });
  async function code(agent: Agent, portal: Portal, name?: string): Promise<CodeView> {
    const res = await createCode(agent, portal.id, name);
    if (res.status !== 201) throw new Error(`code not created: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as CodeView;
  }
  const listCodes = async (agent: Agent) => {
    const res = await call(world.app, agent.cookie, "GET", "/api/v1/codes");
    expect(res.status).toBe(200);
    return res.body as CodeView[];
  };
  const codeState = async (id: string) =>
    (
      await world.app.deps.db.kysely
        .selectFrom("codes")
        .select("state")
        .where("id", "=", id)
        .executeTakeFirstOrThrow()
    ).state;

  interface Desk {
    tenant: Tenant;
    agent: Agent;
    portal: Portal;
  }
  async function phoneDesk(prefix: string): Promise<Desk> {
    const tenant = await seedTenant(world, prefix, "phone");
    const agent = await seedAgent(world, tenant, "phoebe");
    const portal = await createPortal(world, tenant, "code", [agent]);
    return { tenant, agent, portal };
  }

  it("creates a 9-digit code that lives 20 minutes and is listed with its links", async () => {
    const d = await phoneDesk("create");
    const before = world.clock.now();
    const c = await code(d.agent, d.portal, "  Mr. Jones  ");
    expect(c.code).toMatch(/^\d{9}$/);
    expect(c.name).toBe("Mr. Jones");
    expect(c.portalId).toBe(d.portal.id);
    expect(c.createdAt).toBeGreaterThanOrEqual(before);
    expect(c.expiresAt - c.createdAt).toBe(20 * 60_000);
    expect(c.joinUrl).toBe(`${world.origin}/join/${c.code}`);
    expect(c.portalUrl).toBe(`${world.origin}/p/${d.portal.slug}?code=${c.code}`);
    expect(await listCodes(d.agent)).toEqual([c]);
    // Another agent's list does not show it.
    const other = await seedAgent(world, d.tenant, "other");
    expect(await listCodes(other)).toEqual([]);
  });

  it("allows 8 live codes per agent; the 9th is refused until one is canceled", async () => {
    const d = await phoneDesk("cap");
    const codes: CodeView[] = [];
    for (let i = 0; i < 8; i++) codes.push(await code(d.agent, d.portal, `Customer ${i}`));
    expect(new Set(codes.map((c) => c.code)).size).toBe(8);
    const ninth = await createCode(d.agent, d.portal.id);
    expect(ninth.status).toBe(409);
    expect(ninth.body).toEqual({
      error: "too_many_codes",
      message: "You have 8 live codes, the most allowed; cancel one first.",
      params: { limit: 8 },
    });
    expect((await listCodes(d.agent)).length).toBe(8);
    const first = codes[0];
    if (!first) throw new Error("no code");
    expect((await call(world.app, d.agent.cookie, "DELETE", `/api/v1/codes/${first.id}`)).status).toBe(204);
    expect((await createCode(d.agent, d.portal.id)).status).toBe(201);
  });

  it("refuses a code for a portal that is not a code portal (409), one not assigned (403), another account's (404)", async () => {
    const web = await seedTenant(world, "code-web", "web");
    const webAgent = await seedAgent(world, web, "walt");
    const question = await createPortal(world, web, "question", [webAgent]);
    const wrongType = await createCode(webAgent, question.id);
    expect(wrongType.status).toBe(409);
    expect(wrongType.body).toEqual({
      error: "not_code_portal",
      message: "question portal is not a code portal; choose a code portal.",
      fields: {
        portalId: {
          code: "not_code_portal",
          message: "question portal is not a code portal; choose a code portal.",
        },
      },
    });

    const d = await phoneDesk("code-assign");
    const stranger = await seedAgent(world, d.tenant, "stranger");
    const notAssigned = await createCode(stranger, d.portal.id);
    expect(notAssigned.status).toBe(403);
    expect((notAssigned.body as ApiError).error).toBe("not_assigned");
    expect((notAssigned.body as ApiError).fields?.portalId?.code).toBe("not_assigned");

    const foreign = await createCode(webAgent, d.portal.id);
    expect(foreign.status).toBe(404);
    expect((foreign.body as ApiError).fields?.portalId?.code).toBe("not_found");
    expect(await listCodes(stranger)).toEqual([]);
  });

  it("is single use: a second redemption gets the same answer as an unknown code", async () => {
    const d = await phoneDesk("single");
    const c = await code(d.agent, d.portal);
    const first = await redeem(c.code);
    expect(first.status).toBe(201);
    expect(first.cookie).toMatch(/^hgc_/);
    const second = await redeem(c.code);
    expect(second.status).toBe(404);
    expect(second.body).toEqual(UNKNOWN);
    const unknown = await redeem(c.code === "000000000" ? "000000001" : "000000000");
    expect(unknown.body).toEqual(second.body);
    expect(await codeState(c.id)).toBe("redeemed");
    expect(await listCodes(d.agent)).toEqual([]);
  });

  it("expires after 20 minutes: refused like an unknown code, gone from the list, marked by the sweep", async () => {
    const d = await phoneDesk("expiry");
    const ws = await onlineAgent(world, d.agent);
    sockets.push(ws);
    const c = await code(d.agent, d.portal);
    world.clock.advance(20 * 60_000 - 1_000);
    expect((await listCodes(d.agent)).map((x) => x.id)).toEqual([c.id]);
    world.clock.advance(1_000);
    const late = await redeem(c.code);
    expect(late.status).toBe(404);
    expect(late.body).toEqual(UNKNOWN);
    expect(await listCodes(d.agent)).toEqual([]);
    expect(await codeState(c.id)).toBe("live");

    const mark = await barrier(ws);
    await sweepCodes(world.app.deps);
    expect(await codeState(c.id)).toBe("expired");
    const pushed = await ws.next((m) => m.type === "codes", 5000, mark);
    expect(pushed.type === "codes" && pushed.codes).toEqual([]);
  });

  it("can be canceled by its agent; a canceled code is refused like an unknown one", async () => {
    const d = await phoneDesk("cancel");
    const c = await code(d.agent, d.portal);
    const colleague = await seedAgent(world, d.tenant, "colleague");
    const notMine = await call(world.app, colleague.cookie, "DELETE", `/api/v1/codes/${c.id}`);
    expect(notMine.status).toBe(404);
    expect(notMine.body).toEqual({ error: "not_found", message: "Code not found." });
    expect((await call(world.app, d.agent.cookie, "DELETE", `/api/v1/codes/${c.id}`)).status).toBe(204);
    expect(await codeState(c.id)).toBe("canceled");
    expect(await listCodes(d.agent)).toEqual([]);
    const res = await redeem(c.code);
    expect(res.status).toBe(404);
    expect(res.body).toEqual(UNKNOWN);
    const twice = await call(world.app, d.agent.cookie, "DELETE", `/api/v1/codes/${c.id}`);
    expect(twice.status).toBe(404);
  });

  it("a company portal redeems only its own account's codes; /join redeems any account's", async () => {
    const a = await phoneDesk("scope-a");
    const b = await phoneDesk("scope-b");
    const codeA = await code(a.agent, a.portal);
    const codeB = await code(b.agent, b.portal);

    const foreign = await redeem(codeB.code, { slug: a.portal.slug });
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual(UNKNOWN);
    expect(await codeState(codeB.id)).toBe("live");

    const own = await redeem(codeA.code, { slug: a.portal.slug });
    expect(own.status).toBe(201);
    const global = await redeem(codeB.code);
    expect(global.status).toBe(201);
    const rows = await world.app.deps.db.kysely
      .selectFrom("requests")
      .select(["id", "account_id", "agent_id", "kind", "state"])
      .where("id", "in", [own.requestId, global.requestId])
      .orderBy("account_id")
      .execute();
    expect(new Map(rows.map((r) => [r.id, [r.account_id, r.agent_id, r.kind, r.state]]))).toEqual(
      new Map([
        [own.requestId, [a.tenant.account.id, a.agent.user.id, "code", "accepted"]],
        [global.requestId, [b.tenant.account.id, b.agent.user.id, "code", "accepted"]],
      ]),
    );

    const unknownPortal = await redeem(codeA.code, { slug: "no-such-portal" });
    expect(unknownPortal.status).toBe(404);
    expect((unknownPortal.body as ApiError).message).toBe("Portal not found.");
  });

  it("forgives spaces, dashes and dots, and says precisely what is wrong without revealing a code", async () => {
    const d = await phoneDesk("forgiving");
    const c1 = await code(d.agent, d.portal);
    const c2 = await code(d.agent, d.portal);
    const c3 = await code(d.agent, d.portal);
    const [x, y, z] = [c1.code.slice(0, 3), c1.code.slice(3, 6), c1.code.slice(6)];
    expect((await redeem(`${x}-${y} ${z}`)).status).toBe(201);
    expect((await redeem(`${c2.code.slice(0, 3)}.${c2.code.slice(3, 6)}.${c2.code.slice(6)}`)).status).toBe(
      201,
    );
    expect((await redeem(` ${c3.code.slice(0, 3)} ${c3.code.slice(3, 6)} ${c3.code.slice(6)} `)).status).toBe(
      201,
    );

    const live = await code(d.agent, d.portal);
    const cases: [string, number, string, string][] = [
      ["", 400, "required", "Enter the 9-digit code the agent gave you."],
      [" - . ", 400, "required", "Enter the 9-digit code the agent gave you."],
      [live.code.slice(0, 5), 400, "too_short", "The code has 9 digits; you typed 5."],
      ["12345", 400, "too_short", "The code has 9 digits; you typed 5."],
      [`${live.code}1`, 400, "too_long", "The code has 9 digits; you typed 10."],
      ["12345678a", 400, "not_digits", "The code has only digits (0–9); check what you typed."],
      ["123 456 78O", 400, "not_digits", "The code has only digits (0–9); check what you typed."],
      ["<script>", 400, "not_digits", "The code has only digits (0–9); check what you typed."],
    ];
    const ip = freshAddress();
    for (const [input, status, problem, message] of cases) {
      const res = await redeem(input, { ip });
      expect(res.status, input).toBe(status);
      expect(res.body, input).toEqual({
        error: problem,
        message,
        fields: { code: expect.objectContaining({ code: problem, message }) },
      });
    }
    // None of it used the live code up.
    expect((await redeem(live.code)).status).toBe(201);
  });

  it("connects the customer straight to the code's agent; no other agent hears anything", async () => {
    const d = await phoneDesk("connect");
    const colleague = await seedAgent(world, d.tenant, "colleague");
    const portal2 = await createPortal(world, d.tenant, "code", [d.agent, colleague]);
    const ws = await onlineAgent(world, d.agent);
    const colleagueWs = await onlineAgent(world, colleague);
    sockets.push(ws, colleagueWs);
    const c = await code(d.agent, portal2, "Mrs. Kim");
    const mark = await barrier(colleagueWs);

    const res = await redeem(c.code, { slug: portal2.slug });
    expect(res.status).toBe(201);
    const session = sessionOf(await ws.next((m) => m.type === "session.started"));
    expect(session.id).toBe(res.requestId);
    expect(session.agentId).toBe(d.agent.user.id);
    expect(session.agentName).toBe("phoebe");
    expect(session.request.kind).toBe("code");
    expect(session.request.state).toBe("accepted");
    expect(session.request.customerName).toBe("Mrs. Kim");
    expect(ws.received.some((m) => m.type === "alert")).toBe(false);

    const cws = await connectCustomer(world, res.requestId, res.cookie);
    sockets.push(cws);
    expect(statusOf(await cws.next(isStatus("accepted"))).agentName).toBe("phoebe");
    cws.send({ type: "send", body: "hello phoebe", ref: "c1" });
    const got = await ws.next((m) => m.type === "message");
    expect(got.type === "message" && got.message.body).toBe("hello phoebe");

    await barrier(colleagueWs);
    expect(eventsOf(colleagueWs, mark)).toEqual([]);
    const snapshot = await call(world.app, colleague.cookie, "GET", "/api/v1/console");
    const body = snapshot.body as { incoming: unknown[]; history: unknown[]; sessions: unknown[] };
    expect([body.incoming, body.history, body.sessions]).toEqual([[], [], []]);
  });

  it("redeems a code once when many customers race for it", async () => {
    const d = await phoneDesk("race");
    const c = await code(d.agent, d.portal);
    const results = await Promise.all(Array.from({ length: 12 }, () => redeem(c.code)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 201)) {
      expect(r.status).toBe(404);
      expect(r.body).toEqual(UNKNOWN);
    }
    const requests = await world.app.deps.db.kysely
      .selectFrom("requests")
      .select("id")
      .where("portal_id", "=", d.portal.id)
      .execute();
    expect(requests).toHaveLength(1);
  });

  it("limits failed redemptions to 10 per client address per 10 minutes", async () => {
    const d = await phoneDesk("brute");
    const valid = await code(d.agent, d.portal);
    const attacker = freshAddress();
    const guesses = new Set<string>();
    while (guesses.size < 10) {
      const g = String(Math.floor(Math.random() * 1e9)).padStart(9, "0");
      if (g !== valid.code) guesses.add(g);
    }
    for (const g of guesses) {
      const res = await redeem(g, { ip: attacker });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(UNKNOWN);
    }
    const eleventh = await redeem("123456789", { ip: attacker });
    expect(eleventh.status).toBe(429);
    expect((eleventh.body as ApiError).error).toBe("too_many_attempts");
    expect((eleventh.body as ApiError).message).toBe("Too many attempts. Try again in 10 minutes.");
    expect((eleventh.body as ApiError).fields?.code?.params).toEqual({ minutes: 10 });
    expect(Number(eleventh.res.headers["retry-after"])).toBeGreaterThan(590);
    expect(Number(eleventh.res.headers["retry-after"])).toBeLessThanOrEqual(600);

    // Even the right code is refused from that address, and is not used up by the refusal.
    const right = await redeem(valid.code, { ip: attacker });
    expect(right.status).toBe(429);
    expect(await codeState(valid.id)).toBe("live");
    // A header cannot dodge the limit when the server does not trust a proxy.
    const spoofed = await redeem(valid.code, { ip: attacker, forwardedFor: freshAddress() });
    expect(spoofed.status).toBe(429);

    world.clock.advance(5 * 60_000);
    const halfway = await redeem(valid.code, { ip: attacker });
    expect(halfway.status).toBe(429);
    expect((halfway.body as ApiError).message).toBe("Too many attempts. Try again in 5 minutes.");
    expect(Number(halfway.res.headers["retry-after"])).toBeLessThanOrEqual(300);

    // Another address is not affected.
    const other = await code(d.agent, d.portal);
    expect((await redeem(other.code, { ip: freshAddress() })).status).toBe(201);

    // After the window the address may try again, and the code (alive for 20 minutes) works.
    world.clock.advance(5 * 60_000);
    const after = await redeem(valid.code, { ip: attacker });
    expect(after.status).toBe(201);
  });

  it("slows every redemption and logs it when failures spike across the installation", async () => {
    const d = await phoneDesk("brake");
    // Failures of the earlier tests are out of the one-minute window.
    world.clock.advance(2 * 60_000);
    const warnings: unknown[] = [];
    const log = world.app.deps.log;
    const original = log.warn;
    log.warn = ((obj: unknown) => {
      warnings.push(obj);
    }) as typeof log.warn;
    try {
      // 12 addresses × 10 failures: each address stays within its own limit.
      for (let i = 0; i < 12; i++) {
        const ip = freshAddress();
        await Promise.all(Array.from({ length: 10 }, () => redeem("999999999", { ip })));
      }
      expect(warnings).toEqual([]);
      const c = await code(d.agent, d.portal);
      const started = Date.now();
      const res = await redeem(c.code);
      expect(res.status).toBe(201);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(warnings).toEqual([{ failuresLastMinute: 120 }]);
    } finally {
      log.warn = original;
    }
    // A minute later, redemptions are quick again.
    world.clock.advance(60_000);
    const c2 = await code(d.agent, d.portal);
    const started = Date.now();
    expect((await redeem(c2.code)).status).toBe(201);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe.each(dialects())("code redemption limits behind a trusted proxy on %s", (dialect) => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld(dialect, { TRUST_PROXY: "1" });
  });
  afterAll(async () => {
    await world.close();
  });

  it("counts failures per forwarded client address over real HTTP", async () => {
    const tenant = await seedTenant(world, "proxy", "phone");
    const agent = await seedAgent(world, tenant, "pat");
    const portal = await createPortal(world, tenant, "code", [agent]);
    const created = await call(world.app, agent.cookie, "POST", "/api/v1/codes", {
      portalId: portal.id,
      name: "X",
    });
    expect(created.status).toBe(201);
    const valid = (created.body as CodeView).code;
    const join = (code: string, client: string) =>
      fetch(`${world.live.baseUrl}/api/v1/join`, {
        method: "POST",
        headers: { origin: world.origin, "content-type": "application/json", "x-forwarded-for": client },
        body: JSON.stringify({ code }),
      });
    const wrong = valid === "000000000" ? "000000001" : "000000000";
    for (let i = 0; i < 10; i++) expect((await join(wrong, "203.0.113.7")).status).toBe(404);
    const limited = await join(valid, "203.0.113.7");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toMatch(/^(59\d|600)$/);
    expect(((await limited.json()) as ApiError).message).toBe("Too many attempts. Try again in 10 minutes.");
    // Another customer behind the same proxy is not affected.
    expect((await join(valid, "203.0.113.8")).status).toBe(201);
  });
});
