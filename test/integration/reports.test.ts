import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  AgentReportRow,
  ApiError,
  Portal,
  PortalReportRow,
  QueueReport,
  ReportSummary,
  VolumeRow,
} from "../../src/shared/api.js";
import { call, login, seedAccount, seedUser, startTestApp, type TestApp } from "../support/app.js";
import { parseCsv } from "../support/csv.js";
import { dialects } from "../support/databases.js";
import {
  accept,
  ask,
  createPortal,
  decline,
  onlineAgent,
  seedAgent,
  seedTenant,
  setAvailable,
  startWorld,
  submit,
  type World,
} from "../support/scenario.js";

/**
 * Reports against a history built by hand, in Europe/Berlin, over 2026-10-24 … 2026-10-26 (the
 * 25th is the 25-hour day clocks go back). Rows are placed at known instants with direct inserts
 * (the API cannot place requests in the past); every figure below is counted by hand in the
 * comments next to the rows.
 */

const S = 1000;
const Z = (iso: string) => Date.parse(iso);
const NOW = Z("2026-10-27T12:00:00Z");
const PERIOD = "period=custom&from=2026-10-24&to=2026-10-26";

const cellOf = (v: unknown) => (v === null || v === undefined ? "" : String(v));

describe.each(dialects())("reports on %s", (dialect) => {
  let app: TestApp;
  let accountId: string;
  let cookie: string;
  let agentCookie: string;
  let otherCookie: string;
  const ids: Record<string, string> = {};
  const portals: Record<string, Portal> = {};
  const req: Record<string, string> = {};
  let serial = 100_000_000;

  async function insertRequest(
    name: string,
    r: {
      portal: string;
      kind: string;
      state: string;
      createdAt: number;
      stateAfter?: number;
      agent?: string;
      target?: string;
      account?: string;
    },
  ): Promise<string> {
    const id = randomUUID();
    req[name] = id;
    serial += 1;
    await app.deps.db.kysely
      .insertInto("requests")
      .values({
        id,
        account_id: r.account ?? accountId,
        portal_id: r.portal,
        session_number: String(serial),
        kind: r.kind,
        state: r.state,
        target_agent_id: r.target ?? null,
        agent_id: r.agent ?? null,
        customer_name: `Customer ${name}`,
        customer_email: "",
        contact: "{}",
        question: "",
        language: "en",
        customer_token_hash: randomUUID(),
        code_id: null,
        created_at: r.createdAt,
        state_at: r.createdAt + (r.stateAfter ?? 0) * S,
        deadline_at: null,
        customer_gone_at: null,
      })
      .execute();
    return id;
  }

  async function insertSession(
    name: string,
    s: {
      agent: string;
      startAfter: number;
      duration?: number;
      outcome?: string;
      rating?: number;
      comment?: string;
      ticket?: string;
      account?: string;
    },
  ): Promise<void> {
    const id = req[name] as string;
    const row = await app.deps.db.kysely
      .selectFrom("requests")
      .select("created_at")
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    const started = Number(row.created_at) + s.startAfter * S;
    await app.deps.db.kysely
      .insertInto("sessions")
      .values({
        id,
        account_id: s.account ?? accountId,
        request_id: id,
        agent_id: s.agent,
        started_at: started,
        ended_at: s.duration === undefined ? null : started + s.duration * S,
        ended_by: s.duration === undefined ? null : "agent",
        outcome: s.outcome ?? null,
        notes: null,
        ticket: s.ticket ?? null,
        rating: s.rating ?? null,
        comment: s.comment ?? null,
        share_state: null,
      })
      .execute();
  }

  async function insertOffer(name: string, agent: string, state: string, portal: string): Promise<void> {
    const at = NOW - 3_600_000;
    await app.deps.db.kysely
      .insertInto("offers")
      .values({
        id: randomUUID(),
        account_id: accountId,
        portal_id: portal,
        request_id: req[name] as string,
        agent_id: agent,
        round: 1,
        state,
        created_at: at,
        expires_at: at + 30 * S,
        ended_at: at + 10 * S,
      })
      .execute();
  }

  beforeAll(async () => {
    app = await startTestApp(dialect, {}, { now: () => NOW });
    const tenant = await seedAccount(app, `rep${dialect}`);
    accountId = tenant.account.id;
    cookie = await login(app, tenant.admin.email);
    ids.admin = tenant.admin.id;
    const tz = await call(app, cookie, "PATCH", `/api/v1/accounts/${accountId}`, {
      timeZone: "Europe/Berlin",
    });
    expect(tz.status).toBe(200);
    for (const name of ["anna", "ben", "carl", "dora", "eve"]) {
      ids[name] = (await seedUser(app, accountId, `${name}@rep${dialect}.example`, "agent")).id;
    }
    agentCookie = await login(app, `anna@rep${dialect}.example`);
    for (const [key, type] of [
      ["web", "button"],
      ["queue", "question"],
      ["code", "question"],
    ] as const) {
      const res = await call(app, cookie, "POST", `/api/v1/accounts/${accountId}/portals`, {
        slug: `${key}-${dialect}-${randomUUID().slice(0, 6)}`,
        type,
        name: `${key} portal`,
        agentIds: [ids.anna, ids.ben, ids.dora],
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      portals[key] = res.body as Portal;
    }
    await app.deps.db.kysely
      .updateTable("users")
      .set({ disabled: 1 })
      .where("id", "in", [ids.dora as string, ids.eve as string])
      .execute();
    // Time signed in and available (agent_intervals). The period starts 2026-10-23T22:00Z (Berlin).
    // anna: two tabs 08–12 and 10–13 UTC on the 24th → 5 h signed in; available 09–11 and
    //   12:30–14:00 → 2 h 30 min of it. Outside the period (the 27th): not counted.
    // ben: signed in 21:00–23:00Z on the 23rd → the period's first hour; available since the 20th
    //   and still → that hour.
    // carl: a connection of a node that died, last seen 30 min after it opened → 30 min; never
    //   available.
    const spell = (
      user: string,
      kind: "signed-in" | "available",
      from: string,
      to: string | null,
      seen?: string,
    ) =>
      app.deps.db.kysely
        .insertInto("agent_intervals")
        .values({
          id: randomUUID(),
          account_id: accountId,
          user_id: ids[user] as string,
          kind,
          started_at: Z(from),
          ended_at: to === null ? null : Z(to),
          seen_at: Z(seen ?? to ?? from),
        })
        .execute();
    await spell("anna", "signed-in", "2026-10-24T08:00:00Z", "2026-10-24T12:00:00Z");
    await spell("anna", "signed-in", "2026-10-24T10:00:00Z", "2026-10-24T13:00:00Z");
    await spell("anna", "available", "2026-10-24T09:00:00Z", "2026-10-24T11:00:00Z");
    await spell("anna", "available", "2026-10-24T12:30:00Z", "2026-10-24T14:00:00Z");
    await spell("anna", "signed-in", "2026-10-27T08:00:00Z", "2026-10-27T09:00:00Z");
    await spell("ben", "signed-in", "2026-10-23T21:00:00Z", "2026-10-23T23:00:00Z");
    await spell("ben", "available", "2026-10-20T08:00:00Z", null);
    await spell("carl", "signed-in", "2026-10-25T10:00:00Z", null, "2026-10-25T10:30:00Z");
    const W = (portals.web as Portal).id;
    const Q = (portals.queue as Portal).id;
    const C = (portals.code as Portal).id;
    const idOf = (name: string): string => {
      const id = ids[name];
      if (!id) throw new Error(`no user ${name}`);
      return id;
    };
    const [anna, ben, dora] = [idOf("anna"), idOf("ben"), idOf("dora")];

    // 2026-10-24 (CEST, +02:00)
    await insertRequest("r1", {
      portal: W,
      kind: "broadcast",
      state: "ended",
      createdAt: Z("2026-10-24T08:00:00Z"),
      stateAfter: 600,
      agent: anna,
    }); // 10:00
    await insertSession("r1", {
      agent: anna,
      startAfter: 20,
      duration: 580,
      outcome: "resolved",
      rating: 5,
      comment: "=cmd",
      ticket: "T-1",
    });
    await insertRequest("r2", {
      portal: W,
      kind: "broadcast",
      state: "ended",
      createdAt: Z("2026-10-24T08:30:00Z"),
      stateAfter: 1200,
      agent: ben,
    }); // 10:30
    await insertSession("r2", {
      agent: ben,
      startAfter: 40,
      duration: 1160,
      rating: 3,
      comment: 'Gut, aber "langsam"\r\nzweite Zeile',
    });
    await insertRequest("r3", {
      portal: W,
      kind: "targeted",
      state: "declined",
      createdAt: Z("2026-10-24T09:00:00Z"),
      stateAfter: 10,
      target: ben,
    }); // 11:00
    await app.deps.db.kysely
      .insertInto("request_events")
      .values({
        id: randomUUID(),
        request_id: req.r3 as string,
        account_id: accountId,
        state: "declined",
        agent_id: null,
        at: Z("2026-10-24T09:00:10Z"),
      })
      .execute();
    await insertRequest("r4", {
      portal: W,
      kind: "targeted",
      state: "no-response",
      createdAt: Z("2026-10-24T09:10:00Z"),
      stateAfter: 30,
      target: anna,
    }); // 11:10
    await insertRequest("r5", {
      portal: W,
      kind: "broadcast",
      state: "canceled",
      createdAt: Z("2026-10-24T12:00:00Z"),
      stateAfter: 10,
    }); // 14:00
    await insertRequest("r6", {
      portal: W,
      kind: "broadcast",
      state: "canceled",
      createdAt: Z("2026-10-24T12:10:00Z"),
      stateAfter: 60,
    });
    await insertRequest("r7", {
      portal: W,
      kind: "broadcast",
      state: "canceled",
      createdAt: Z("2026-10-24T12:20:00Z"),
      stateAfter: 200,
    });
    await insertRequest("r8", {
      portal: W,
      kind: "broadcast",
      state: "canceled",
      createdAt: Z("2026-10-24T12:30:00Z"),
      stateAfter: 400,
    });
    await insertRequest("r9", {
      portal: W,
      kind: "broadcast",
      state: "offline",
      createdAt: Z("2026-10-24T13:00:00Z"),
    }); // 15:00
    // Spans local midnight: created 23:59 on the 24th, accepted 00:00:30 on the 25th.
    await insertRequest("r10", {
      portal: W,
      kind: "broadcast",
      state: "ended",
      createdAt: Z("2026-10-24T21:59:00Z"),
      stateAfter: 1890,
      agent: anna,
    });
    await insertSession("r10", { agent: anna, startAfter: 90, duration: 1800, outcome: "unresolved" });
    // 2026-10-25: 02:30 happens twice (CEST, then CET).
    await insertRequest("r11", {
      portal: Q,
      kind: "queue",
      state: "ended",
      createdAt: Z("2026-10-25T00:30:00Z"),
      stateAfter: 420,
      agent: ben,
    });
    await insertSession("r11", { agent: ben, startAfter: 120, duration: 300, outcome: "unknown", rating: 4 });
    await insertOffer("r11", anna, "timed-out", Q);
    await insertOffer("r11", ben, "accepted", Q);
    await insertRequest("r12", {
      portal: Q,
      kind: "queue",
      state: "no-response",
      createdAt: Z("2026-10-25T01:30:00Z"),
      stateAfter: 600,
    });
    await insertOffer("r12", ben, "declined", Q);
    await insertRequest("r13", {
      portal: C,
      kind: "code",
      state: "ended",
      createdAt: Z("2026-10-25T10:00:00Z"),
      stateAfter: 305,
      agent: dora,
    }); // 11:00 CET
    await insertSession("r13", { agent: dora, startAfter: 5, duration: 300, outcome: "resolved", rating: 2 });
    await insertRequest("r14", {
      portal: W,
      kind: "broadcast",
      state: "accepted",
      createdAt: Z("2026-10-25T11:00:00Z"),
      stateAfter: 30,
      agent: dora,
    }); // 12:00
    await insertSession("r14", { agent: dora, startAfter: 30 });
    // 2026-10-26 (CET): still waiting at the period's end (23:50 local).
    await insertRequest("r15", {
      portal: W,
      kind: "broadcast",
      state: "waiting",
      createdAt: Z("2026-10-26T22:50:00Z"),
    });
    // Outside: 00:10 on the 27th, 23:50 on the 23rd, and another account's request.
    await insertRequest("r16", {
      portal: W,
      kind: "broadcast",
      state: "canceled",
      createdAt: Z("2026-10-26T23:10:00Z"),
      stateAfter: 5,
    });
    await insertRequest("r17", {
      portal: W,
      kind: "broadcast",
      state: "ended",
      createdAt: Z("2026-10-23T21:50:00Z"),
      stateAfter: 100,
      agent: anna,
    });
    await insertSession("r17", { agent: anna, startAfter: 10, duration: 50, rating: 1 });
    const other = await seedAccount(app, `repother${dialect}`);
    otherCookie = await login(app, other.admin.email);
    const otherPortal = await call(app, otherCookie, "POST", `/api/v1/accounts/${other.account.id}/portals`, {
      slug: `other-${dialect}-${randomUUID().slice(0, 6)}`,
      type: "button",
      name: "other portal",
      agentIds: [],
    });
    expect(otherPortal.status).toBe(201);
    await insertRequest("x1", {
      portal: (otherPortal.body as Portal).id,
      kind: "broadcast",
      state: "canceled",
      createdAt: Z("2026-10-25T12:00:00Z"),
      stateAfter: 5,
      account: other.account.id,
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  const url = (path: string, query = PERIOD) => `/api/v1/accounts/${accountId}/reports/${path}?${query}`;
  async function get<T>(path: string, query = PERIOD): Promise<T> {
    const res = await call(app, cookie, "GET", url(path, query));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as T;
  }
  async function csv(path: string, query = PERIOD): Promise<string[][]> {
    const res = await call(app, cookie, "GET", url(path, query));
    expect(res.status, res.res.body).toBe(200);
    expect(res.res.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(String(res.res.headers["content-disposition"])).toMatch(
      /^attachment; filename="helpgate-[a-z]+-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.csv"$/,
    );
    const body = res.res.rawPayload.toString("utf8");
    expect(body.charCodeAt(0)).toBe(0xfeff);
    return parseCsv(body.slice(1));
  }

  it("the summary counts every outcome of the period, in the account's zone", async () => {
    const s = await get<ReportSummary>("summary");
    expect(s.scope).toMatchObject({
      period: "custom",
      fromDay: "2026-10-24",
      toDay: "2026-10-26",
      timeZone: "Europe/Berlin",
      from: Z("2026-10-23T22:00:00Z"),
      to: Z("2026-10-26T23:00:00Z"),
      portalId: null,
      agentId: null,
    });
    expect(s).toMatchObject({
      submitted: 13,
      accepted: 5,
      codeSessions: 1,
      declined: 1,
      noResponse: 2,
      canceled: { total: 4, under30s: 1, under2m: 1, under5m: 1, over5m: 1 },
      waiting: 1,
      offline: 1,
      timeToAccept: { median: 40, p90: 120, max: 120 },
      sessionDuration: { median: 580, p90: 1800 },
      outcomes: { resolved: 2, unresolved: 1, unknown: 1, notRecorded: 1 },
      rating: { answered: 4, average: 3.5, distribution: [0, 1, 1, 1, 1] },
    });
    expect(s.answerRate).toBeCloseTo(5 / 12, 12);
    expect(s.comments.map((c) => [c.comment, c.rating, c.agentName])).toEqual([
      ['Gut, aber "langsam"\r\nzweite Zeile', 3, "ben"],
      ["=cmd", 5, "anna"],
    ]);
    const csvRows = await csv("summary.csv");
    expect(csvRows[0]).toEqual(["figure", "value"]);
    const figures = new Map(csvRows.slice(1).map((r) => [r[0], r[1]]));
    expect(figures.get("submitted")).toBe("13");
    expect(figures.get("canceledOver5m")).toBe("1");
    expect(figures.get("answerRate")).toBe(String(s.answerRate));
    expect(figures.get("timeToAcceptMedian")).toBe("40");
    expect(figures.get("sessionDurationP90")).toBe("1800");
    expect(figures.get("outcomeNotRecorded")).toBe("1");
    expect(figures.get("rating5")).toBe("1");
    expect(figures.get("ratingAverage")).toBe("3.5");
  });

  it("filters by portal and by agent", async () => {
    const q = await get<ReportSummary>("summary", `${PERIOD}&portalId=${portals.queue?.id}`);
    expect(q).toMatchObject({ submitted: 2, accepted: 1, noResponse: 1, declined: 0, offline: 0 });
    expect(q.timeToAccept).toEqual({ median: 120, p90: 120, max: 120 });
    const b = await get<ReportSummary>("summary", `${PERIOD}&agentId=${ids.ben}`);
    // Ben took r2 and r11 and was asked by name in r3.
    expect(b).toMatchObject({ submitted: 3, accepted: 2, declined: 1, codeSessions: 0 });
    const agents = await get<{ rows: AgentReportRow[] }>("agents", `${PERIOD}&agentId=${ids.ben}`);
    expect(agents.rows.map((r) => r.name)).toEqual(["ben"]);
  });

  it("by agent: every enabled agent, disabled ones with sessions, and the CSV agrees", async () => {
    const t = await get<{ rows: AgentReportRow[] }>("agents");
    const zero = {
      sessions: 0,
      medianHandle: null,
      medianTimeToAccept: null,
      declines: 0,
      offersTimedOut: 0,
      ratingAverage: null,
      ratings: 0,
    };
    expect(t.rows.map((r) => r.name)).toEqual([`Admin rep${dialect}`, "anna", "ben", "carl", "dora"]);
    const by = new Map(t.rows.map((r) => [r.name, r]));
    expect(by.get("anna")).toMatchObject({
      disabled: false,
      sessions: 2,
      medianHandle: 1190,
      medianTimeToAccept: 55,
      declines: 0,
      offersTimedOut: 1,
      ratingAverage: 5,
      ratings: 1,
      signedIn: 5 * 3600,
      available: 2.5 * 3600,
    });
    expect(by.get("ben")).toMatchObject({
      disabled: false,
      sessions: 2,
      medianHandle: 730,
      medianTimeToAccept: 80,
      declines: 2,
      offersTimedOut: 0,
      ratingAverage: 3.5,
      ratings: 2,
      signedIn: 3600,
      available: 3600,
    });
    expect(by.get("carl")).toMatchObject({ disabled: false, ...zero, signedIn: 1800, available: 0 });
    expect(by.get(`Admin rep${dialect}`)).toMatchObject({
      disabled: false,
      ...zero,
      signedIn: 0,
      available: 0,
    });
    expect(by.get("dora")).toMatchObject({
      disabled: true,
      sessions: 2,
      medianHandle: 300,
      medianTimeToAccept: 30,
      declines: 0,
      offersTimedOut: 0,
      ratingAverage: 2,
      ratings: 1,
    });
    const rows = await csv("agents.csv");
    expect(rows[0]).toEqual([
      "agentId",
      "name",
      "disabled",
      "sessions",
      "medianHandleSeconds",
      "medianTimeToAcceptSeconds",
      "declines",
      "offersTimedOut",
      "ratingAverage",
      "ratings",
      "signedInSeconds",
      "availableSeconds",
    ]);
    expect(rows.slice(1)).toEqual(
      t.rows.map((r) =>
        [
          r.agentId,
          r.name,
          r.disabled,
          r.sessions,
          r.medianHandle,
          r.medianTimeToAccept,
          r.declines,
          r.offersTimedOut,
          r.ratingAverage,
          r.ratings,
          r.signedIn,
          r.available,
        ].map(cellOf),
      ),
    );
  });

  it("by portal, and the CSV agrees", async () => {
    const t = await get<{ rows: PortalReportRow[] }>("portals");
    expect(
      t.rows.map((r) => [
        r.name,
        r.submitted,
        r.accepted,
        r.declined,
        r.noResponse,
        r.canceled,
        r.offline,
        r.outsideHours,
        r.medianTimeToAccept,
      ]),
    ).toEqual([
      ["code portal", 0, 0, 0, 0, 0, 0, 0, null],
      ["queue portal", 2, 1, 0, 1, 0, 0, 0, 120],
      ["web portal", 11, 4, 1, 1, 4, 1, 0, 35],
    ]);
    const rows = await csv("portals.csv");
    expect(rows.slice(1)).toEqual(
      t.rows.map((r) =>
        [
          r.portalId,
          r.name,
          r.submitted,
          r.accepted,
          r.declined,
          r.noResponse,
          r.canceled,
          r.offline,
          r.outsideHours,
          r.medianTimeToAccept,
          r.deleted ? "yes" : "",
        ].map(cellOf),
      ),
    );
  });

  const volumeCells = (r: VolumeRow) =>
    [r.key, r.accepted, r.declined, r.noResponse, r.canceled, r.offline, r.waitMedian, r.waitP90].map(cellOf);
  const v = (
    key: string,
    accepted: number,
    declined: number,
    noResponse: number,
    canceled: number,
    offline: number,
    waitMedian: number | null,
    waitP90: number | null,
  ): VolumeRow => ({ key, accepted, declined, noResponse, canceled, offline, waitMedian, waitP90 });

  it("by day: every day of the period, a request counted on the local day it was created", async () => {
    const t = await get<{ rows: VolumeRow[] }>("days");
    expect(t.rows).toEqual([
      v("2026-10-24", 3, 1, 1, 4, 1, 40, 90),
      v("2026-10-25", 2, 0, 1, 0, 0, 75, 120),
      v("2026-10-26", 0, 0, 0, 0, 0, null, null),
    ]);
    const rows = await csv("days.csv");
    expect(rows[0]?.[0]).toBe("day");
    expect(rows.slice(1)).toEqual(t.rows.map(volumeCells));
  });

  it("by hour: all 24, both 02:30s of the DST day in hour 02", async () => {
    const t = await get<{ rows: VolumeRow[] }>("hours");
    expect(t.rows.map((r) => r.key)).toEqual(
      Array.from({ length: 24 }, (_, h) => String(h).padStart(2, "0")),
    );
    const expected = new Map([
      ["02", v("02", 1, 0, 1, 0, 0, 120, 120)],
      ["10", v("10", 2, 0, 0, 0, 0, 30, 40)],
      ["11", v("11", 0, 1, 1, 0, 0, null, null)],
      ["12", v("12", 1, 0, 0, 0, 0, 30, 30)],
      ["14", v("14", 0, 0, 0, 4, 0, null, null)],
      ["15", v("15", 0, 0, 0, 0, 1, null, null)],
      ["23", v("23", 1, 0, 0, 0, 0, 90, 90)],
    ]);
    for (const row of t.rows)
      expect(row).toEqual(expected.get(row.key) ?? v(row.key, 0, 0, 0, 0, 0, null, null));
    const rows = await csv("hours.csv");
    expect(rows[0]?.[0]).toBe("hour");
    expect(rows.slice(1)).toEqual(t.rows.map(volumeCells));
  });

  it("queue mode: offers by state, longest wait, max wait reached", async () => {
    const q = await get<QueueReport>("queue");
    expect(q).toMatchObject({
      offersMade: 3,
      offersAccepted: 1,
      offersDeclined: 1,
      offersTimedOut: 1,
      longestWait: 600,
      hitMaxWait: 1,
    });
    const rows = await csv("queue.csv");
    expect(rows.slice(1)).toEqual([
      ["offersMade", "3"],
      ["offersAccepted", "1"],
      ["offersDeclined", "1"],
      ["offersTimedOut", "1"],
      ["longestWait", "600"],
      ["hitMaxWait", "1"],
    ]);
  });

  it("the raw list: one row per request of the period, times with the zone's offset, cells escaped", async () => {
    const rows = await csv("requests.csv");
    const header = rows[0] as string[];
    expect(header).toEqual([
      "requestId",
      "sessionNumber",
      "createdAt",
      "portal",
      "kind",
      "state",
      "agent",
      "waitedSeconds",
      "sessionStartedAt",
      "sessionEndedAt",
      "durationSeconds",
      "sessionOutcome",
      "ticket",
      "rating",
      "comment",
    ]);
    const body = rows.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
    expect(body.map((r) => r.requestId)).toEqual(
      ["r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"].map(
        (n) => req[n],
      ),
    );
    const of = (n: string) => body.find((r) => r.requestId === req[n]);
    expect(of("r1")).toMatchObject({
      createdAt: "2026-10-24T10:00:00+02:00",
      portal: "web portal",
      kind: "broadcast",
      state: "ended",
      agent: "anna",
      waitedSeconds: "20",
      sessionStartedAt: "2026-10-24T10:00:20+02:00",
      durationSeconds: "580",
      sessionOutcome: "resolved",
      ticket: "T-1",
      rating: "5",
      comment: "'=cmd",
    });
    expect(of("r2")?.comment).toBe('Gut, aber "langsam"\r\nzweite Zeile');
    expect(of("r10")).toMatchObject({
      createdAt: "2026-10-24T23:59:00+02:00",
      sessionStartedAt: "2026-10-25T00:00:30+02:00",
    });
    expect(of("r11")?.createdAt).toBe("2026-10-25T02:30:00+02:00");
    expect(of("r12")).toMatchObject({
      createdAt: "2026-10-25T02:30:00+01:00",
      waitedSeconds: "600",
      agent: "",
    });
    expect(of("r14")).toMatchObject({ state: "accepted", sessionEndedAt: "", durationSeconds: "" });
    expect(of("r15")).toMatchObject({ state: "waiting", waitedSeconds: "" });
  });

  it("the DST day alone is 25 hours; an empty period is all zeros", async () => {
    const day = await get<ReportSummary>("summary", "period=custom&from=2026-10-25&to=2026-10-25");
    expect(day.scope.to - day.scope.from).toBe(25 * 3_600_000);
    expect(day).toMatchObject({ submitted: 4 - 1, accepted: 2, codeSessions: 1, noResponse: 1 });
    const empty = "period=custom&from=2026-09-01&to=2026-09-02";
    const s = await get<ReportSummary>("summary", empty);
    expect(s).toMatchObject({
      submitted: 0,
      accepted: 0,
      waiting: 0,
      answerRate: null,
      timeToAccept: { median: null, p90: null, max: null },
      rating: { answered: 0, average: null, distribution: [0, 0, 0, 0, 0] },
      comments: [],
    });
    expect((await get<{ rows: VolumeRow[] }>("days", empty)).rows).toEqual([
      v("2026-09-01", 0, 0, 0, 0, 0, null, null),
      v("2026-09-02", 0, 0, 0, 0, 0, null, null),
    ]);
    expect((await get<{ rows: AgentReportRow[] }>("agents", empty)).rows.map((r) => r.name)).toEqual([
      `Admin rep${dialect}`,
      "anna",
      "ben",
      "carl",
    ]);
    expect(await csv("requests.csv", empty)).toEqual([
      [
        "requestId",
        "sessionNumber",
        "createdAt",
        "portal",
        "kind",
        "state",
        "agent",
        "waitedSeconds",
        "sessionStartedAt",
        "sessionEndedAt",
        "durationSeconds",
        "sessionOutcome",
        "ticket",
        "rating",
        "comment",
      ],
    ]);
    expect((await get<QueueReport>("queue", empty)).longestWait).toBeNull();
  });

  it("named periods are computed at the server's now in the account's zone", async () => {
    const s = await get<ReportSummary>("summary", "period=yesterday");
    expect(s.scope).toMatchObject({ fromDay: "2026-10-26", toDay: "2026-10-26" });
    expect(s.waiting).toBe(1);
    const week = await get<ReportSummary>("summary", "");
    expect(week.scope).toMatchObject({ period: "last7", fromDay: "2026-10-21", toDay: "2026-10-27" });
    // r1–r17 but the offline message and the code session; r17 is in since it is the 24th in Berlin.
    expect(week.submitted).toBe(15);
  });

  it("the raw list pages through more than one batch (keyset on created_at, id) without losing or repeating a row", async () => {
    const big = await seedAccount(app, `repbig${dialect}`);
    const bigCookie = await login(app, big.admin.email);
    const portal = await call(app, bigCookie, "POST", `/api/v1/accounts/${big.account.id}/portals`, {
      slug: `big-${dialect}-${randomUUID().slice(0, 6)}`,
      type: "button",
      name: "big portal",
      agentIds: [],
    });
    const base = Z("2026-10-20T10:00:00Z");
    const all: string[] = [];
    for (let chunk = 0; chunk < 5; chunk++) {
      const values = Array.from({ length: 500 }, (_, i) => {
        const n = chunk * 500 + i;
        const id = randomUUID();
        all.push(id);
        serial += 1;
        // Pairs share a created_at, so the id breaks the tie at batch boundaries.
        const at = base + Math.floor(n / 2) * S;
        return {
          id,
          account_id: big.account.id,
          portal_id: (portal.body as Portal).id,
          session_number: String(serial),
          kind: "broadcast",
          state: "canceled",
          target_agent_id: null,
          agent_id: null,
          customer_name: "c",
          customer_email: "",
          contact: "{}",
          question: "",
          language: "en",
          customer_token_hash: id,
          code_id: null,
          created_at: at,
          state_at: at + 5 * S,
          deadline_at: null,
          customer_gone_at: null,
        };
      });
      await app.deps.db.kysely.insertInto("requests").values(values).execute();
    }
    const res = await call(
      app,
      bigCookie,
      "GET",
      `/api/v1/accounts/${big.account.id}/reports/requests.csv?period=last30`,
    );
    expect(res.status).toBe(200);
    const rows = parseCsv(res.res.rawPayload.toString("utf8").slice(1)).slice(1);
    expect(rows).toHaveLength(2500);
    const got = rows.map((r) => r[0]);
    expect(new Set(got).size).toBe(2500);
    expect([...got].sort()).toEqual([...all].sort());
  });

  it("tenant isolation and refusals: 404 for another account, 403 for agents, 400 naming the field", async () => {
    for (const path of [
      "summary",
      "agents",
      "portals",
      "days",
      "hours",
      "queue",
      "summary.csv",
      "requests.csv",
    ]) {
      expect((await call(app, otherCookie, "GET", url(path))).status, path).toBe(404);
      expect((await call(app, agentCookie, "GET", url(path))).status, path).toBe(403);
    }
    const field = async (query: string, status = 400) => {
      const res = await call(app, cookie, "GET", url("summary", query));
      expect(res.status, query).toBe(status);
      return Object.keys((res.body as ApiError).fields ?? {})[0];
    };
    expect(await field("period=fortnight")).toBe("period");
    expect(await field("period=custom&to=2026-10-01")).toBe("from");
    expect(await field("period=custom&from=2026-10-01")).toBe("to");
    expect(await field("period=custom&from=2026-13-01&to=2026-10-01")).toBe("from");
    expect(await field("period=custom&from=2026-10-02&to=2026-10-01")).toBe("to");
    expect(await field("period=custom&from=2025-01-01&to=2026-10-01")).toBe("to");
    expect(await field("period=today&from=2026-10-01")).toBe("from");
    expect(await field(`portalId=${randomUUID()}`, 404)).toBe("portalId");
    expect(await field(`agentId=${randomUUID()}`, 404)).toBe("agentId");
  });
});

/**
 * The same figures from a history made by the real commands through the API (a listening server,
 * its clock moved on by the test): a broadcast accepted after 45 s and ended after 300 s with an
 * outcome and a survey, a targeted request declined, one canceled after 10 s, one still waiting,
 * and an offline message once nobody is available.
 */
describe.each(dialects())("reports of a history made through the API, on %s", (dialect) => {
  let world: World;
  afterAll(async () => {
    await world?.close();
  });

  it("counts what the commands wrote", async () => {
    world = await startWorld(dialect);
    const tenant = await seedTenant(world, "repapi");
    const agent = await seedAgent(world, tenant, "paula");
    const idle = await seedAgent(world, tenant, "quentin");
    const button = await createPortal(world, tenant, "button", [agent]);
    const pick = await createPortal(world, tenant, "pick-agent", [agent]);
    const ws = await onlineAgent(world, agent);
    const customer = (id: string) => `/api/v1/customer/requests/${id}`;
    try {
      const served = await ask(world, button.slug);
      world.clock.advance(45_000);
      expect((await accept(world, agent, served.requestId)).status).toBe(200);
      world.clock.advance(300_000);
      expect(
        (await call(world.app, agent.cookie, "POST", `/api/v1/sessions/${served.requestId}/end`)).status,
      ).toBe(204);
      const outcome = await call(
        world.app,
        agent.cookie,
        "POST",
        `/api/v1/sessions/${served.requestId}/outcome`,
        {
          outcome: "resolved",
          ticket: "+T-9",
        },
      );
      expect(outcome.status, JSON.stringify(outcome.body)).toBeLessThan(300);
      const survey = await call(world.app, served.cookie, "POST", `${customer(served.requestId)}/survey`, {
        rating: 4,
        comment: "=cmd",
      });
      expect(survey.status, JSON.stringify(survey.body)).toBe(204);
    } catch (e) {
      await ws.close();
      throw e;
    }
    const named = await ask(world, pick.slug, { name: "Nina", question: "Only Paula please" }, agent.user.id);
    expect((await decline(world, agent, named.requestId)).status).toBe(200);
    const gone = await ask(world, button.slug);
    world.clock.advance(10_000);
    const cancel = await world.app.server.inject({
      method: "POST",
      url: `${customer(gone.requestId)}/cancel`,
      headers: { origin: world.origin, cookie: gone.cookie },
    });
    expect(cancel.statusCode, cancel.body).toBe(200);
    const waiting = await ask(world, button.slug);
    await ws.close();
    await setAvailable(world, agent, false);
    expect((await submit(world, button.slug, { name: "Otto", question: "Anyone?" })).res.status).toBe(409);
    const offline = await call(world.app, null, "POST", `/api/v1/portals/${button.slug}/offline`, {
      values: { name: "Otto", question: "Anyone?", email: "otto@example.com" },
    });
    expect(offline.status, JSON.stringify(offline.body)).toBe(201);

    const base = `/api/v1/accounts/${tenant.account.id}/reports`;
    const s = (await call(world.app, tenant.adminCookie, "GET", `${base}/summary`)).body as ReportSummary;
    expect(s).toMatchObject({
      submitted: 4,
      accepted: 1,
      declined: 1,
      noResponse: 0,
      canceled: { total: 1, under30s: 1 },
      waiting: 1,
      offline: 1,
      answerRate: 1 / 3,
      outcomes: { resolved: 1, unresolved: 0, unknown: 0, notRecorded: 0 },
      rating: { answered: 1, average: 4, distribution: [0, 0, 0, 1, 0] },
    });
    // The clock is moved on by the test; real time adds the few milliseconds the calls took.
    expect(s.timeToAccept.median).toBeGreaterThanOrEqual(45);
    expect(s.timeToAccept.median).toBeLessThan(50);
    expect(s.sessionDuration.median).toBeGreaterThanOrEqual(300);
    expect(s.sessionDuration.median).toBeLessThan(305);
    expect(s.comments.map((c) => c.comment)).toEqual(["=cmd"]);
    const agents = (await call(world.app, tenant.adminCookie, "GET", `${base}/agents`)).body as {
      rows: AgentReportRow[];
    };
    const paula = agents.rows.find((r) => r.agentId === agent.user.id);
    expect(paula).toMatchObject({ sessions: 1, declines: 1, ratings: 1 });
    // The console was open (and Available) while the test's clock moved on 45 s + 300 s + 10 s.
    expect(paula?.signedIn).toBeGreaterThanOrEqual(355);
    expect(paula?.signedIn).toBeLessThan(365);
    expect(paula?.available).toBeGreaterThanOrEqual(355);
    expect(paula?.available).toBeLessThanOrEqual(paula?.signedIn ?? 0);
    expect(agents.rows.find((r) => r.agentId === idle.user.id)).toMatchObject({ sessions: 0, declines: 0 });
    const file = await call(world.app, tenant.adminCookie, "GET", `${base}/requests.csv`);
    const rows = parseCsv(file.res.rawPayload.toString("utf8").slice(1));
    const header = rows[0] as string[];
    const line = rows.find((r) => r[0] === waiting.requestId);
    expect(line?.[header.indexOf("state")]).toBe("waiting");
    const servedLine = rows.find((r) => r[header.indexOf("comment")] === "'=cmd");
    expect(servedLine?.[header.indexOf("ticket")]).toBe("'+T-9");
    expect(rows).toHaveLength(1 + 5);
  });
});
