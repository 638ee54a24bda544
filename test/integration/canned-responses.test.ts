import SQLite from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiError } from "../../src/shared/api.js";
import { CANNED_LIMITS, type CannedResponse, PLACEHOLDERS } from "../../src/shared/canned.js";
import { expectError, NO_SUCH_ID } from "../support/api.js";
import { type Call, login, seedUser } from "../support/app.js";
import { dialects } from "../support/databases.js";
import {
  type Agent,
  type AgentSocket,
  accept,
  createPortal,
  onlineAgent,
  seedAgent,
  seedTenant,
  startWorld,
  type Tenant,
  type World,
} from "../support/scenario.js";

/**
 * Issue 18, part 1: canned responses. The account's (managed by managers, admins, operators) and
 * each agent's own (managed in the console); every bad input a 4xx naming its field; another
 * account's or another agent's responses are not there (404); the console's list merges both
 * scopes, the session's language first.
 */

type Method = "GET" | "POST" | "PUT" | "DELETE";

describe.each(dialects())("canned responses on %s", (dialect) => {
  let world: World;
  let a: Tenant;
  let b: Tenant;
  let dana: Agent;
  let erik: Agent;
  let manager: Agent;
  let operatorCookie: string;
  let bAgent: Agent;
  const sockets: AgentSocket[] = [];

  async function send(cookie: string | null, method: Method, url: string, payload?: unknown): Promise<Call> {
    const res = await world.app.server.inject({
      method,
      url,
      headers: { origin: world.origin, ...(cookie ? { cookie } : {}) },
      ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
    });
    let body: unknown = null;
    try {
      body = res.body ? JSON.parse(res.body) : null;
    } catch {
      body = res.body;
    }
    return { status: res.statusCode, body, res };
  }
  const accountUrl = (t: Tenant, id?: string) =>
    `/api/v1/accounts/${t.account.id}/canned-responses${id ? `/${id}` : ""}`;
  const consoleUrl = (id?: string) => `/api/v1/console/canned-responses${id ? `/${id}` : ""}`;

  async function created(r: Call): Promise<CannedResponse> {
    if (r.status !== 201) throw new Error(`not created: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as CannedResponse;
  }
  const list = (r: Call) => {
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as CannedResponse[];
  };

  beforeAll(async () => {
    world = await startWorld(dialect);
    a = await seedTenant(world, "canned-a");
    b = await seedTenant(world, "canned-b");
    dana = await seedAgent(world, a, "dana");
    erik = await seedAgent(world, a, "erik");
    bAgent = await seedAgent(world, b, "bert");
    const m = await seedUser(world.app, a.account.id, `mia@${a.tag}.example`, "manager");
    manager = { user: m, cookie: await login(world.app, m.email) };
    const op = await seedUser(world.app, null, `op-${a.tag}@ops.example`, "operator");
    operatorCookie = await login(world.app, op.email);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world.close();
  });

  it("admins, managers and operators create, change and delete the account's responses; every user reads them", async () => {
    const greet = await created(
      await send(a.adminCookie, "POST", accountUrl(a), {
        title: "Greeting",
        shortcut: "greet",
        text: "Hello {customer.name}, I am {agent.name} from {portal.name}.",
        language: "en",
      }),
    );
    expect(greet).toMatchObject({ scope: "account", title: "Greeting", shortcut: "greet", language: "en" });
    expect(typeof greet.createdAt).toBe("number");

    const byManager = await created(
      await send(manager.cookie, "POST", accountUrl(a), {
        title: "Tschüss",
        text: "Auf Wiedersehen!",
        language: "de",
      }),
    );
    expect(byManager).toMatchObject({ shortcut: null, language: "de", scope: "account" });
    const byOperator = await created(
      await send(operatorCookie, "POST", accountUrl(a), { title: "Any", text: "Session {session.number}" }),
    );
    expect(byOperator.language).toBeNull();

    // Changing replaces all four parts (a missing shortcut or language becomes none).
    const changed = await send(manager.cookie, "PUT", accountUrl(a, greet.id), {
      title: "Greeting (short)",
      text: "Hi {customer.name}!",
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toMatchObject({
      id: greet.id,
      title: "Greeting (short)",
      shortcut: null,
      language: null,
    });
    expect((changed.body as CannedResponse).updatedAt).toBeGreaterThanOrEqual(greet.updatedAt);

    // Every user of the account reads the list (agents too); sorted by title.
    const seen = list(await send(dana.cookie, "GET", accountUrl(a)));
    expect(seen.map((r) => r.title)).toEqual(["Any", "Greeting (short)", "Tschüss"]);
    expect(list(await send(operatorCookie, "GET", accountUrl(a)))).toHaveLength(3);

    for (const r of [byManager, byOperator]) {
      const del = await send(a.adminCookie, "DELETE", accountUrl(a, r.id));
      expect(del.status).toBe(204);
      expect(del.res.body).toBe("");
    }
    expect(list(await send(a.adminCookie, "GET", accountUrl(a))).map((r) => r.id)).toEqual([greet.id]);
    // Gone is gone: a second delete and a change of it are 404.
    expectError(await send(a.adminCookie, "DELETE", accountUrl(a, byManager.id)), 404, "not_found");
    expectError(
      await send(a.adminCookie, "PUT", accountUrl(a, byManager.id), { title: "x", text: "y" }),
      404,
      "not_found",
    );
  });

  it("agents may not write the account's responses (403), and change nothing trying", async () => {
    const target = await created(
      await send(a.adminCookie, "POST", accountUrl(a), { title: "Hours", text: "We are open 9–17." }),
    );
    const body = { title: "Hacked", text: "x" };
    expectError(await send(dana.cookie, "POST", accountUrl(a), body), 403, "forbidden");
    expectError(await send(dana.cookie, "PUT", accountUrl(a, target.id), body), 403, "forbidden");
    expectError(await send(dana.cookie, "DELETE", accountUrl(a, target.id)), 403, "forbidden");
    // Nor through the personal routes: it is not theirs to change there.
    expectError(await send(dana.cookie, "PUT", consoleUrl(target.id), body), 403, "not_personal");
    expectError(await send(dana.cookie, "DELETE", consoleUrl(target.id)), 403, "not_personal");
    const after = list(await send(a.adminCookie, "GET", accountUrl(a))).find((r) => r.id === target.id);
    expect(after?.title).toBe("Hours");
    // Signed out: 401.
    expectError(await send(null, "GET", accountUrl(a)), 401, "signed_out");
    expectError(await send(null, "GET", consoleUrl()), 401, "signed_out");
    // Operators have no console, so no personal responses.
    expectError(await send(operatorCookie, "GET", consoleUrl()), 403, "forbidden");
    expectError(await send(operatorCookie, "POST", consoleUrl(), body), 403, "forbidden");
  });

  it("another account's responses and account are not there: 404, the same as an id that exists nowhere", async () => {
    const theirs = await created(
      await send(b.adminCookie, "POST", accountUrl(b), {
        title: "B only",
        shortcut: "bee",
        text: "B's text",
      }),
    );
    const bPersonal = await created(
      await send(bAgent.cookie, "POST", consoleUrl(), { title: "Bert's", text: "mine" }),
    );
    const nowhere = await send(a.adminCookie, "PUT", accountUrl(a, NO_SUCH_ID), { title: "x", text: "y" });
    expectError(nowhere, 404, "not_found");
    const body = { title: "x", text: "y" };
    // A's admin, through B's account: 404 for every route.
    for (const [method, url] of [
      ["GET", accountUrl(b)],
      ["POST", accountUrl(b)],
      ["PUT", accountUrl(b, theirs.id)],
      ["DELETE", accountUrl(b, theirs.id)],
    ] as const) {
      const r = await send(
        a.adminCookie,
        method,
        url,
        method === "POST" || method === "PUT" ? body : undefined,
      );
      expectError(r, 404, "not_found");
      expect((r.body as ApiError).message).toBe("Account not found.");
    }
    // B's ids through A's own account and A's console: 404 like nothing.
    for (const id of [theirs.id, bPersonal.id]) {
      const put = await send(a.adminCookie, "PUT", accountUrl(a, id), body);
      expectError(put, 404, "not_found");
      expect(put.body).toEqual(nowhere.body);
      expectError(await send(a.adminCookie, "DELETE", accountUrl(a, id)), 404, "not_found");
      expectError(await send(dana.cookie, "PUT", consoleUrl(id), body), 404, "not_found");
      expectError(await send(dana.cookie, "DELETE", consoleUrl(id)), 404, "not_found");
    }
    // A's lists never show B's.
    expect(list(await send(dana.cookie, "GET", consoleUrl())).map((r) => r.id)).not.toContain(theirs.id);
    expect(list(await send(a.adminCookie, "GET", accountUrl(a))).map((r) => r.id)).not.toContain(theirs.id);
    // And B's are unchanged.
    expect(list(await send(b.adminCookie, "GET", accountUrl(b))).map((r) => r.title)).toEqual(["B only"]);
    // A shortcut of another account does not collide.
    await created(
      await send(a.adminCookie, "POST", accountUrl(a), { title: "A bee", shortcut: "bee", text: "a" }),
    );
  });

  it("personal responses: the agent's own, invisible to colleagues (404), and listed with the account's", async () => {
    const mine = await created(
      await send(dana.cookie, "POST", consoleUrl(), {
        title: "My sign-off",
        shortcut: "bye",
        text: "Cheers, {agent.name}",
        language: "en",
      }),
    );
    expect(mine.scope).toBe("personal");
    const changed = await send(dana.cookie, "PUT", consoleUrl(mine.id), {
      title: "My sign-off",
      shortcut: "bye",
      text: "Best regards, {agent.name}",
      language: "en",
    });
    expect(changed.status).toBe(200);
    expect((changed.body as CannedResponse).text).toBe("Best regards, {agent.name}");

    // A colleague neither sees nor reaches it — not even a manager, nor an admin through the account routes.
    expect(list(await send(erik.cookie, "GET", consoleUrl())).map((r) => r.id)).not.toContain(mine.id);
    for (const cookie of [erik.cookie, manager.cookie, a.adminCookie]) {
      const put = await send(cookie, "PUT", consoleUrl(mine.id), { title: "x", text: "y" });
      expectError(put, 404, "not_found");
      expectError(await send(cookie, "DELETE", consoleUrl(mine.id)), 404, "not_found");
    }
    expectError(
      await send(a.adminCookie, "PUT", accountUrl(a, mine.id), { title: "x", text: "y" }),
      404,
      "not_found",
    );
    expectError(await send(a.adminCookie, "DELETE", accountUrl(a, mine.id)), 404, "not_found");
    expect(list(await send(a.adminCookie, "GET", accountUrl(a))).map((r) => r.id)).not.toContain(mine.id);

    // The same shortcut is fine for a colleague's own and for the account's; each scope is its own.
    const erikBye = await created(
      await send(erik.cookie, "POST", consoleUrl(), { title: "Erik's", shortcut: "bye", text: "e" }),
    );
    const sharedBye = await created(
      await send(a.adminCookie, "POST", accountUrl(a), { title: "Shared bye", shortcut: "bye", text: "s" }),
    );

    // Dana's list: the account's plus her own, each marked, and none of Erik's.
    const usable = list(await send(dana.cookie, "GET", consoleUrl()));
    const ids = usable.map((r) => r.id);
    expect(ids).toContain(mine.id);
    expect(ids).toContain(sharedBye.id);
    expect(ids).not.toContain(erikBye.id);
    expect(usable.find((r) => r.id === mine.id)?.scope).toBe("personal");
    expect(usable.find((r) => r.id === sharedBye.id)?.scope).toBe("account");
    const accountIds = list(await send(dana.cookie, "GET", accountUrl(a))).map((r) => r.id);
    expect(
      usable
        .filter((r) => r.scope === "account")
        .map((r) => r.id)
        .sort(),
    ).toEqual([...accountIds].sort());

    expect((await send(dana.cookie, "DELETE", consoleUrl(mine.id))).status).toBe(204);
    expect(list(await send(dana.cookie, "GET", consoleUrl())).map((r) => r.id)).not.toContain(mine.id);
    expectError(await send(dana.cookie, "DELETE", consoleUrl(mine.id)), 404, "not_found");
  });

  it("a duplicate shortcut in the same scope is a 409 naming the field; on create and on change", async () => {
    const first = await created(
      await send(a.adminCookie, "POST", accountUrl(a), { title: "One", shortcut: "dup", text: "1" }),
    );
    const dup = expectError(
      await send(manager.cookie, "POST", accountUrl(a), { title: "Two", shortcut: "dup", text: "2" }),
      409,
      "duplicate_shortcut",
      "shortcut",
      "duplicate_shortcut",
    );
    expect(dup.message).toContain('"dup"');
    expect(dup.params).toEqual({ shortcut: "dup" });
    const other = await created(
      await send(a.adminCookie, "POST", accountUrl(a), { title: "Three", shortcut: "three", text: "3" }),
    );
    expectError(
      await send(a.adminCookie, "PUT", accountUrl(a, other.id), {
        title: "Three",
        shortcut: "dup",
        text: "3",
      }),
      409,
      "duplicate_shortcut",
      "shortcut",
    );
    // Keeping one's own shortcut on a change is no duplicate.
    expect(
      (
        await send(a.adminCookie, "PUT", accountUrl(a, first.id), {
          title: "One!",
          shortcut: "dup",
          text: "1",
        })
      ).status,
    ).toBe(200);
    // Personal: the same per agent.
    await created(
      await send(erik.cookie, "POST", consoleUrl(), { title: "E1", shortcut: "mine", text: "1" }),
    );
    expectError(
      await send(erik.cookie, "POST", consoleUrl(), { title: "E2", shortcut: "mine", text: "2" }),
      409,
      "duplicate_shortcut",
      "shortcut",
    );
    // Two at once: one wins, the other gets the 409 (the unique index decides, not a read first).
    const race = await Promise.all(
      [1, 2, 3].map((n) =>
        send(dana.cookie, "POST", consoleUrl(), { title: `R${n}`, shortcut: "race", text: "r" }),
      ),
    );
    expect(race.map((r) => r.status).sort()).toEqual([201, 409, 409]);
  });

  it("every bad input is a 4xx naming its field, on both scopes", async () => {
    const good = { title: "Fine", text: "Fine." };
    const target = await created(
      await send(a.adminCookie, "POST", accountUrl(a), { ...good, title: "Target" }),
    );
    const personal = await created(
      await send(dana.cookie, "POST", consoleUrl(), { ...good, title: "Mine too" }),
    );
    const routes: [string, Method, string][] = [
      [a.adminCookie, "POST", accountUrl(a)],
      [a.adminCookie, "PUT", accountUrl(a, target.id)],
      [dana.cookie, "POST", consoleUrl()],
      [dana.cookie, "PUT", consoleUrl(personal.id)],
    ];
    for (const [cookie, method, url] of routes) {
      const where = `${method} ${url}`;
      const bad = (payload: unknown) => send(cookie, method, url, payload);
      // Missing or empty title; blank title; a title over 100 or with a line break.
      expectError(await bad({ text: "x" }), 400, "validation", "title", "required");
      expectError(await bad({ ...good, title: "" }), 400, "validation", "title", "required");
      expectError(await bad({ ...good, title: "   " }), 400, "required", "title", "required");
      const long = expectError(
        await bad({ ...good, title: "t".repeat(CANNED_LIMITS.title + 1) }),
        400,
        "validation",
        "title",
        "too_long",
      );
      expect(long.fields?.title?.params).toEqual({ limit: CANNED_LIMITS.title });
      expectError(await bad({ ...good, title: "two\nlines" }), 400, "one_line", "title");
      // Text: missing, blank, over 5,000, an unknown placeholder (with the valid ones listed).
      expectError(await bad({ title: "x" }), 400, "validation", "text", "required");
      expectError(await bad({ ...good, text: "  \n " }), 400, "required", "text");
      const tooLong = expectError(
        await bad({ ...good, text: "x".repeat(5001) }),
        400,
        "validation",
        "text",
        "too_long",
      );
      expect(tooLong.message).toContain("5000");
      const unknown = expectError(
        await bad({ ...good, text: "Hi {customer.nmae}, {agent.name} here" }),
        400,
        "unknown_placeholder",
        "text",
        "unknown_placeholder",
      );
      expect(unknown.message, where).toContain("{customer.nmae}");
      for (const p of PLACEHOLDERS) expect(unknown.message).toContain(`{${p}}`);
      // Shortcut: wrong characters, too long, wrong type.
      for (const shortcut of ["Greet", "two words", "-x", "grüß", "a_b"])
        expectError(await bad({ ...good, shortcut }), 400, "invalid", "shortcut", "invalid");
      expectError(
        await bad({ ...good, shortcut: "s".repeat(33) }),
        400,
        "validation",
        "shortcut",
        "too_long",
      );
      expectError(await bad({ ...good, shortcut: 7 }), 400, "validation", "shortcut");
      // Language: one it does not know.
      const lang = expectError(
        await bad({ ...good, language: "fr" }),
        400,
        "validation",
        "language",
        "not_allowed",
      );
      expect(lang.message).toContain("en, de");
      // Extra properties, wrong types, no object at all.
      expectError(await bad({ ...good, scope: "account" }), 400, "validation", "scope", "unknown_field");
      expectError(
        await bad({ ...good, ownerId: erik.user.id }),
        400,
        "validation",
        "ownerId",
        "unknown_field",
      );
      expectError(await bad({ ...good, title: 42 }), 400, "validation", "title", "wrong_type");
      expectError(await bad([good]), 400, "validation");
      // Control characters are refused before the route.
      const control = await bad({ ...good, text: "bell\u0007" });
      expect(control.status).toBe(400);
      expect(Object.keys((control.body as ApiError).fields ?? {})).toContain("text");
    }
    // Nothing of it was saved or changed.
    const accountList = list(await send(a.adminCookie, "GET", accountUrl(a)));
    expect(accountList.find((r) => r.id === target.id)).toMatchObject({ title: "Target", text: "Fine." });
    expect(accountList.some((r) => r.title !== "Target" && r.text.includes("nmae"))).toBe(false);
    // A bad id in the path: too long.
    expectError(await send(a.adminCookie, "DELETE", accountUrl(a, "x".repeat(65))), 400, "validation");
    // A text of exactly 5,000 with placeholders is fine.
    const max = await send(dana.cookie, "PUT", consoleUrl(personal.id), {
      title: "Max",
      text: `{customer.name}${"x".repeat(4985)}`,
    });
    expect(max.status, JSON.stringify(max.body).slice(0, 200)).toBe(200);
  });

  it("the console's list puts the session's language first; another agent's session is 404", async () => {
    const t = await seedTenant(world, "canned-lang");
    const ana = await seedAgent(world, t, "ana");
    const ben = await seedAgent(world, t, "ben");
    const portal = await createPortal(world, t, "question", [ana]);
    sockets.push(await onlineAgent(world, ana));
    const mk = async (cookie: string, url: string, title: string, language: string | null) =>
      created(await send(cookie, "POST", url, { title, text: title, language }));
    const accountList = `/api/v1/accounts/${t.account.id}/canned-responses`;
    await mk(t.adminCookie, accountList, "A english", "en");
    await mk(t.adminCookie, accountList, "B deutsch", "de");
    await mk(t.adminCookie, accountList, "C any", null);
    await mk(ana.cookie, consoleUrl(), "D meins", "de");

    // A German customer asks (their browser's language), Ana takes it.
    const submitted = await world.app.server.inject({
      method: "POST",
      url: `/api/v1/portals/${portal.slug}/requests`,
      headers: { origin: world.origin, "accept-language": "de-DE,de;q=0.9" },
      payload: { values: { name: "Greta", question: "Mein Drucker" } },
    });
    expect(submitted.statusCode, submitted.body).toBe(201);
    const requestId = (JSON.parse(submitted.body) as { requestId: string }).requestId;
    const session = await accept(world, ana, requestId);
    expect(session.status).toBe(200);
    const sessionId = (session.body as { id: string }).id;

    const titles = (r: Call) => list(r).map((x) => x.title);
    expect(titles(await send(ana.cookie, "GET", `${consoleUrl()}?sessionId=${sessionId}`))).toEqual([
      "B deutsch",
      "D meins",
      "C any",
      "A english",
    ]);
    // Without a session: by title.
    expect(titles(await send(ana.cookie, "GET", consoleUrl()))).toEqual([
      "A english",
      "B deutsch",
      "C any",
      "D meins",
    ]);
    // A session that is not Ben's, or nobody's: 404; an empty id: 400.
    expectError(await send(ben.cookie, "GET", `${consoleUrl()}?sessionId=${sessionId}`), 404, "not_found");
    expectError(await send(ana.cookie, "GET", `${consoleUrl()}?sessionId=${NO_SUCH_ID}`), 404, "not_found");
    expectError(await send(ana.cookie, "GET", `${consoleUrl()}?sessionId=`), 400, "validation", "sessionId");
    // Another account's agent with this session id: 404.
    expectError(await send(bAgent.cookie, "GET", `${consoleUrl()}?sessionId=${sessionId}`), 404, "not_found");
  });

  it("reading one account's or one agent's responses goes through the index, not a scan", async () => {
    const kysely = world.app.deps.db.kysely;
    const queries = [
      kysely
        .selectFrom("canned_responses")
        .selectAll()
        .where("account_id", "=", a.account.id)
        .where("owner_id", "is", null)
        .orderBy("title")
        .compile(),
      kysely
        .selectFrom("canned_responses")
        .selectAll()
        .where("account_id", "=", a.account.id)
        .where("owner_id", "=", dana.user.id)
        .orderBy("title")
        .compile(),
    ];
    for (const q of queries) {
      const plan = await explain(q.sql, q.parameters);
      expect(plan, plan).toMatch(/canned_account_owner|canned_account_shortcut|canned_owner_shortcut/);
      expect(plan, plan).not.toMatch(/SCAN canned_responses(?! USING)|Seq Scan/);
    }
  });

  async function explain(sqlText: string, parameters: readonly unknown[]): Promise<string> {
    if (dialect === "sqlite") {
      const file = world.app.config.databaseUrl.replace(/^sqlite:/, "");
      const db = new SQLite(file, { readonly: true });
      try {
        const rows = db.prepare(`EXPLAIN QUERY PLAN ${sqlText}`).all(...(parameters as unknown[])) as {
          detail: string;
        }[];
        return rows.map((r) => r.detail).join("\n");
      } finally {
        db.close();
      }
    }
    const client = new pg.Client({ connectionString: world.app.config.databaseUrl });
    await client.connect();
    try {
      await client.query("SET enable_seqscan = off");
      const res = await client.query<{ "QUERY PLAN": string }>(`EXPLAIN ${sqlText}`, parameters as unknown[]);
      return res.rows.map((r) => r["QUERY PLAN"]).join("\n");
    } finally {
      await client.end();
    }
  }
});
