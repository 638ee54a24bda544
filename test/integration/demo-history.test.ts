import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_HISTORY_DAYS } from "../../src/server/demoHistory.js";
import { type FirstStartResult, firstStart } from "../../src/server/firstStart.js";
import type { AgentReportRow, QueueReport, ReportSummary, VolumeRow } from "../../src/shared/api.js";
import type { ConsoleSnapshot } from "../../src/shared/protocol.js";
import { bodyOf } from "../support/api.js";
import { call, login, seedAccount, startTestApp, type TestApp } from "../support/app.js";
import { dialects } from "../support/databases.js";

/**
 * The demo installation's four weeks of generated history (issue 12): written at first start in
 * every demo account, in the live code's shapes, all of it over (the console starts clean), and
 * marked as demo in the reports' scope. Without the demo, nothing is generated.
 */

const ADMIN_ENV = { HELPGATE_ADMIN_EMAIL: "root@example.org", HELPGATE_ADMIN_PASSWORD: "root-password-1" };
const DAY = 24 * 60 * 60_000;

describe.each(dialects())("the demo's generated history on %s", (dialect) => {
  let app: TestApp;
  let result: FirstStartResult;
  let until: number;
  const accountIds = new Map<string, string>();
  const passwords = new Map<string, string>();

  beforeAll(async () => {
    app = await startTestApp(dialect, ADMIN_ENV);
    const first = await firstStart(app.deps);
    if (!first?.demoHistory) throw new Error("first start made no demo history");
    result = first;
    until = first.demoHistory.until;
    console.log(
      `demo history on ${dialect}: ${first.demoHistory.requests} requests, ${first.demoHistory.sessions} sessions, ` +
        `${first.demoHistory.messages} messages, ${first.demoHistory.offers} offers, ` +
        `${first.demoHistory.agentIntervals} agent intervals in ${first.demoHistory.ms} ms`,
    );
    for (const a of await app.deps.db.kysely.selectFrom("accounts").select(["id", "name"]).execute())
      accountIds.set(a.name, a.id);
    for (const c of first.credentials) if (c.password) passwords.set(c.email, c.password);
  });
  afterAll(async () => {
    await app?.close();
  });

  const db = () => app.deps.db.kysely;
  const account = (name: string) => {
    const id = accountIds.get(name);
    if (!id) throw new Error(`no demo account ${name}`);
    return id;
  };
  const signIn = (email: string) => login(app, email, passwords.get(email) ?? "");
  async function count(query: string): Promise<number> {
    const { rows } = await sql<{ n: number | string }>`${sql.raw(query)}`.execute(db());
    return Number(rows[0]?.n ?? 0);
  }

  it("writes four weeks in every demo account, ending before the first start", async () => {
    const h = result.demoHistory;
    expect(h).not.toBeNull();
    expect(until).toBeLessThanOrEqual(Date.now());
    expect(until).toBeGreaterThan(Date.now() - 10 * 60_000);
    expect(h?.ms).toBeLessThan(15_000);
    const accounts = await db().selectFrom("accounts").select(["id", "name", "demo_history_until"]).execute();
    expect(accounts).toHaveLength(3);
    for (const a of accounts) {
      expect(Number(a.demo_history_until), a.name).toBe(until);
      const requests = await count(`select count(*) as n from requests where account_id = '${a.id}'`);
      // 15–46 a working day (fewer at weekends): a few hundred, far from thousands.
      expect(requests, a.name).toBeGreaterThan(200);
      expect(requests, a.name).toBeLessThan(1500);
      expect(
        await count(`select count(*) as n from sessions where account_id = '${a.id}'`),
        a.name,
      ).toBeGreaterThan(100);
      // Both agents of every account have worked.
      expect(
        await count(
          `select count(distinct user_id) as n from agent_intervals where account_id = '${a.id}' and kind = 'signed-in'`,
        ),
        a.name,
      ).toBe(2);
    }
    // Inside the four weeks, nothing after their end.
    const oldest = await count("select min(created_at) as n from requests");
    expect(oldest).toBeGreaterThanOrEqual(until - (DEMO_HISTORY_DAYS + 1) * DAY);
    expect(oldest).toBeLessThan(until - (DEMO_HISTORY_DAYS - 2) * DAY);
    for (const [table, column] of [
      ["requests", "state_at"],
      ["request_events", "at"],
      ["sessions", "ended_at"],
      ["messages", "created_at"],
      ["offers", "ended_at"],
      ["codes", "created_at"],
      ["agent_intervals", "ended_at"],
    ] as const) {
      expect(await count(`select max(${column}) as n from ${table}`), table).toBeLessThanOrEqual(until);
    }
  });

  it("has the rows the live code writes: transitions, sessions, chats, offers, codes", async () => {
    const web = account("Example Web Shop");
    const phone = account("Example Phone Support");
    const queue = account("Example Queue Desk");
    const requests = await db().selectFrom("requests").selectAll().execute();
    const numbers = new Set(requests.map((r) => r.session_number));
    expect(numbers.size).toBe(requests.length);
    for (const n of numbers) expect(n).toMatch(/^\d{9}$/);

    const events = await db().selectFrom("request_events").selectAll().orderBy("at").orderBy("id").execute();
    const eventsOf = new Map<string, { state: string; agent: string | null }[]>();
    for (const e of events) {
      const list = eventsOf.get(e.request_id) ?? [];
      list.push({ state: e.state, agent: e.agent_id });
      eventsOf.set(e.request_id, list);
    }
    const sessions = new Map(
      (await db().selectFrom("sessions").selectAll().execute()).map((s) => [s.request_id, s]),
    );
    const states = new Map<string, Set<string>>();
    for (const r of requests) {
      const of = eventsOf.get(r.id) ?? [];
      const s = sessions.get(r.id);
      (states.get(r.account_id) ?? states.set(r.account_id, new Set()).get(r.account_id))?.add(
        `${r.kind}:${r.state}`,
      );
      if (r.state === "offline") {
        expect(of).toEqual([{ state: "offline", agent: null }]);
        expect(r.customer_email).not.toBe("");
        expect(s).toBeUndefined();
        continue;
      }
      if (r.kind === "code") {
        expect(r.account_id).toBe(phone);
        expect(r.state).toBe("ended");
        expect(of).toEqual([
          { state: "accepted", agent: r.agent_id },
          { state: "ended", agent: null },
        ]);
        expect(r.code_id).not.toBeNull();
        expect(Number(s?.started_at)).toBe(Number(r.created_at));
      } else if (r.state === "ended") {
        expect(of).toEqual([
          { state: "waiting", agent: null },
          { state: "accepted", agent: r.agent_id },
          { state: "ended", agent: null },
        ]);
        expect(Number(s?.started_at)).toBeGreaterThan(Number(r.created_at));
        expect(Number(r.deadline_at)).toBeGreaterThan(Number(s?.started_at));
      } else {
        // Declined (by the named agent), no response, canceled: the transition names nobody.
        expect(of).toEqual([
          { state: "waiting", agent: null },
          { state: r.state, agent: null },
        ]);
        expect(r.agent_id).toBeNull();
        expect(s).toBeUndefined();
        if (r.state === "declined") expect(r.kind).toBe("targeted");
        if (r.state === "no-response")
          expect(Number(r.state_at)).toBeGreaterThanOrEqual(Number(r.deadline_at));
        if (r.state === "canceled" && r.kind === "targeted")
          expect(Number(r.state_at)).toBeLessThan(Number(r.deadline_at));
      }
      if (r.kind === "targeted") expect(r.target_agent_id).not.toBeNull();
      if (r.state === "ended") {
        if (!s) throw new Error(`ended request ${r.id} without a session`);
        expect(s.id).toBe(r.id);
        expect(s.agent_id).toBe(r.agent_id);
        expect(Number(s.ended_at)).toBe(Number(r.state_at));
        const minutes = (Number(s.ended_at) - Number(s.started_at)) / 60_000;
        expect(minutes).toBeGreaterThanOrEqual(2);
        expect(minutes).toBeLessThanOrEqual(25);
        expect(["agent", "customer"]).toContain(s.ended_by);
        expect([null, "resolved", "unresolved", "unknown"]).toContain(s.outcome);
        if (s.rating !== null) expect([1, 2, 3, 4, 5]).toContain(Number(s.rating));
        else expect(s.comment).toBeNull();
      }
    }
    // Every way a request ends, where the account's mode has it.
    expect([...(states.get(web) ?? [])].sort()).toEqual(
      [
        "broadcast:canceled",
        "broadcast:ended",
        "broadcast:no-response",
        "broadcast:offline",
        "targeted:canceled",
        "targeted:declined",
        "targeted:ended",
        "targeted:no-response",
        "targeted:offline",
      ].sort(),
    );
    expect([...(states.get(phone) ?? [])]).toEqual(["code:ended"]);
    expect([...(states.get(queue) ?? [])].sort()).toEqual(
      ["broadcast:offline", "queue:canceled", "queue:ended", "queue:no-response"].sort(),
    );

    // About four in ten sessions rated, some with a comment; outcomes of every kind.
    const all = [...sessions.values()];
    const rated = all.filter((s) => s.rating !== null).length / all.length;
    expect(rated).toBeGreaterThan(0.3);
    expect(rated).toBeLessThan(0.5);
    expect(all.some((s) => s.comment !== null)).toBe(true);
    for (const outcome of [null, "resolved", "unresolved", "unknown"])
      expect(all.some((s) => s.outcome === outcome)).toBe(true);

    // Chats: 2–6 lines, numbered from 1 without gaps, the agent's lines theirs.
    const messages = await db()
      .selectFrom("messages")
      .selectAll()
      .orderBy("session_id")
      .orderBy("seq")
      .execute();
    const bySession = new Map<string, typeof messages>();
    for (const m of messages) bySession.set(m.session_id, [...(bySession.get(m.session_id) ?? []), m]);
    for (const s of all) {
      const lines = bySession.get(s.id) ?? [];
      expect(lines.length).toBeGreaterThanOrEqual(2);
      expect(lines.length).toBeLessThanOrEqual(6);
      expect(lines.map((m) => m.seq)).toEqual(lines.map((_, i) => i + 1));
      expect(Number(s.last_seq)).toBe(lines.length);
      for (const m of lines) {
        expect(Number(m.created_at)).toBeGreaterThan(Number(s.started_at));
        expect(Number(m.created_at)).toBeLessThan(Number(s.ended_at));
        expect(m.visibility).toBe("all");
        expect(m.author_id).toBe(m.sender === "agent" ? s.agent_id : null);
      }
    }
    // The German portal's chats are in German.
    expect(messages.some((m) => m.body.startsWith("Hallo, hier ist"))).toBe(true);

    // Queue offers: each served queue request was accepted by its agent's offer; refusals too.
    const offers = await db().selectFrom("offers").selectAll().execute();
    const offerStates = new Set(offers.map((o) => o.state));
    for (const state of ["accepted", "declined", "timed-out", "withdrawn"])
      expect(offerStates).toContain(state);
    for (const r of requests.filter((x) => x.kind === "queue" && x.state === "ended")) {
      const taken = offers.filter((o) => o.request_id === r.id && o.state === "accepted");
      expect(taken).toHaveLength(1);
      expect(taken[0]?.agent_id).toBe(r.agent_id);
      expect(Number(taken[0]?.ended_at)).toBe(Number(sessions.get(r.id)?.started_at));
    }
    for (const o of offers) expect(o.account_id).toBe(queue);

    // Codes: every code session's code was redeemed for it; some expired or were canceled unused.
    const codes = await db().selectFrom("codes").selectAll().execute();
    const byRequest = new Map(codes.map((c) => [c.request_id, c]));
    for (const r of requests.filter((x) => x.kind === "code")) {
      const c = byRequest.get(r.id);
      expect(c?.state).toBe("redeemed");
      expect(c?.id).toBe(r.code_id);
      expect(c?.agent_id).toBe(r.agent_id);
      expect(Number(c?.redeemed_at)).toBe(Number(r.created_at));
    }
    expect(codes.some((c) => c.state === "expired")).toBe(true);
  });

  it("records when the agents were signed in and available, around their sessions", async () => {
    const intervals = await db().selectFrom("agent_intervals").selectAll().execute();
    expect(intervals.length).toBeGreaterThan(100);
    for (const i of intervals) {
      expect(i.ended_at).not.toBeNull();
      expect(Number(i.seen_at)).toBe(Number(i.ended_at));
      expect(Number(i.ended_at)).toBeGreaterThan(Number(i.started_at));
    }
    const signedIn = intervals.filter((i) => i.kind === "signed-in");
    const inside = (userId: string, from: number, to: number) =>
      signedIn.some((s) => s.user_id === userId && Number(s.started_at) <= from && to <= Number(s.ended_at));
    for (const a of intervals.filter((i) => i.kind === "available"))
      expect(inside(a.user_id, Number(a.started_at), Number(a.ended_at))).toBe(true);
    for (const s of await db().selectFrom("sessions").selectAll().execute())
      expect(inside(s.agent_id, Number(s.started_at), Number(s.ended_at)), s.id).toBe(true);
  });

  it("leaves nothing waiting or open: a demo agent's console starts clean", async () => {
    expect(await count("select count(*) as n from requests where state in ('waiting', 'accepted')")).toBe(0);
    expect(await count("select count(*) as n from sessions where ended_at is null")).toBe(0);
    expect(await count("select count(*) as n from offers where state = 'pending'")).toBe(0);
    expect(await count("select count(*) as n from codes where state = 'live'")).toBe(0);
    expect(await count("select count(*) as n from agent_intervals where ended_at is null")).toBe(0);
    expect(await count("select count(*) as n from users where available = 1")).toBe(0);
    for (const email of ["agent1@web.example.com", "agent2@queue.example.com", "agent1@phone.example.com"]) {
      const res = await call(app, await signIn(email), "GET", "/api/v1/console");
      expect(res.status, email).toBe(200);
      const snapshot = bodyOf<ConsoleSnapshot>(res);
      expect(snapshot.incoming, email).toEqual([]);
      expect(snapshot.sessions, email).toEqual([]);
      expect(snapshot.offer, email).toBeNull();
      expect(snapshot.teamAlerts, email).toEqual([]);
      expect(snapshot.codes, email).toEqual([]);
      for (const q of snapshot.queues) expect(q.length, email).toBe(0);
    }
  });

  it("the Web Shop's last 7 days show every outcome, and the scope says where the demo ends", async () => {
    const cookie = await signIn("admin@web.example.com");
    const base = `/api/v1/accounts/${account("Example Web Shop")}/reports`;
    const summary = bodyOf<ReportSummary>(await call(app, cookie, "GET", `${base}/summary?period=last7`));
    expect(summary.scope.demoHistoryUntil).toBe(until);
    expect(summary.submitted).toBeGreaterThan(0);
    expect(summary.accepted).toBeGreaterThan(0);
    expect(summary.declined).toBeGreaterThan(0);
    expect(summary.noResponse).toBeGreaterThan(0);
    expect(summary.canceled.total).toBeGreaterThan(0);
    expect(summary.offline).toBeGreaterThan(0);
    expect(summary.waiting).toBe(0);
    expect(summary.rating.answered).toBeGreaterThan(0);
    expect(summary.comments.length).toBeGreaterThan(0);

    // Peaks at 10–12 and 14–16 in the account's zone.
    const hours = bodyOf<{ rows: VolumeRow[] }>(
      await call(app, cookie, "GET", `${base}/hours?period=last30`),
    );
    const total = (keys: string[]) =>
      hours.rows
        .filter((r) => keys.includes(r.key))
        .reduce((a, r) => a + r.accepted + r.declined + r.noResponse + r.canceled + r.offline, 0);
    expect(total(["10", "11", "14", "15"])).toBeGreaterThan(2 * total(["07", "08", "18", "19"]));
    expect(total(["10", "11", "14", "15"])).toBeGreaterThan(10 * total(["02", "03", "04", "05"]));

    // Time available vs signed in has figures for both agents.
    const agents = bodyOf<{ rows: AgentReportRow[] }>(
      await call(app, cookie, "GET", `${base}/agents?period=last30`),
    );
    const working = agents.rows.filter((r) => r.sessions > 0);
    expect(working).toHaveLength(2);
    for (const r of working) {
      expect(r.signedIn).toBeGreaterThan(0);
      expect(r.available).toBeGreaterThan(0);
      expect(r.available).toBeLessThanOrEqual(r.signedIn);
    }

    // The other two accounts: code sessions; queue offers of every kind.
    const phone = bodyOf<ReportSummary>(
      await call(
        app,
        await signIn("admin@phone.example.com"),
        "GET",
        `/api/v1/accounts/${account("Example Phone Support")}/reports/summary?period=last30`,
      ),
    );
    expect(phone.codeSessions).toBeGreaterThan(0);
    expect(phone.submitted).toBe(0);
    expect(phone.scope.demoHistoryUntil).toBe(until);
    const queue = bodyOf<QueueReport>(
      await call(
        app,
        await signIn("admin@queue.example.com"),
        "GET",
        `/api/v1/accounts/${account("Example Queue Desk")}/reports/queue?period=last30`,
      ),
    );
    expect(queue.offersAccepted).toBeGreaterThan(0);
    expect(queue.offersDeclined).toBeGreaterThan(0);
    expect(queue.offersTimedOut).toBeGreaterThan(0);
    expect(queue.scope.demoHistoryUntil).toBe(until);

    // The account itself does not grow a field: the mark is the reports' scope.
    const own = await call(app, cookie, "GET", `/api/v1/accounts/${account("Example Web Shop")}`);
    expect(own.status).toBe(200);
    expect(own.body).not.toHaveProperty("demoHistoryUntil");
  });
});

describe.each(dialects())("without the demo on %s", (dialect) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(dialect, { ...ADMIN_ENV, HELPGATE_DEMO: "0" });
  });
  afterAll(async () => {
    await app?.close();
  });

  it("generates no history, and an account's reports carry no demo mark", async () => {
    const first = await firstStart(app.deps);
    expect(first?.demoHistory).toBeNull();
    const db = app.deps.db.kysely;
    for (const table of [
      "requests",
      "request_events",
      "sessions",
      "messages",
      "offers",
      "codes",
      "agent_intervals",
    ] as const) {
      const { n } = await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      expect(Number(n), table).toBe(0);
    }
    const seeded = await seedAccount(app, "nodemo");
    const operator = await login(app, ADMIN_ENV.HELPGATE_ADMIN_EMAIL, ADMIN_ENV.HELPGATE_ADMIN_PASSWORD);
    const res = await call(app, operator, "GET", `/api/v1/accounts/${seeded.account.id}/reports/summary`);
    expect(res.status).toBe(200);
    const summary = bodyOf<ReportSummary>(res);
    expect(summary.scope.demoHistoryUntil).toBeNull();
    expect(summary.submitted).toBe(0);
  });
});
