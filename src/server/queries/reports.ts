import { type Kysely, type RawBuilder, type SqlBool, sql } from "kysely";
import type {
  AgentReportRow,
  PortalReportRow,
  QueueReport,
  ReportScope,
  ReportSummary,
  VolumeRow,
} from "../../shared/api.js";
import type { Actor, Deps } from "../commands/context.js";
import type { Database } from "../db/schema.js";
import { fieldError, notFound } from "../domain/errors.js";
import { histPercentiles, periodRange } from "../domain/reportPeriods.js";
import { assertAccountAccess } from "../policy.js";
import { findAccount } from "../store/accounts.js";
import { type AgentSpell, agentSpells, overlapLength, unionLength } from "../store/agentTime.js";
import { EVERYONE } from "../store/reportRollups.js";
import {
  AGENTS_KEY,
  addHist,
  type Cell,
  type DayAgents,
  type DayCells,
  figuresOfDays,
  type HourCell,
  LIVE_KINDS,
  OUTSIDE_HOURS_STATE,
} from "./reportDays.js";

/**
 * Reports (issue 12): what happened to the requests created in a period, in the account's time
 * zone. Counting is done in SQL (GROUP BY kind, state); durations are computed from the few
 * columns they need, exactly (sorted lists, no approximation). Definitions: README "## Reports".
 */

export interface ReportFilter {
  period?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  portalId?: string | undefined;
  agentId?: string | undefined;
}

interface Ctx {
  db: Kysely<Database>;
  accountId: string;
  scope: ReportScope;
  now: number;
}

const SECOND = 1000;
const seconds = (ms: number) => ms / SECOND;
const num = (v: unknown): number => Number(v);
const nullableNum = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** The period and filters, checked: the actor may see the account's reports, the ids are the account's. */
async function contextOf(deps: Deps, actor: Actor, accountId: string, filter: ReportFilter): Promise<Ctx> {
  assertAccountAccess(actor.user, accountId, "manager");
  const db = deps.db.kysely;
  const account = await findAccount(db, accountId);
  if (!account) throw notFound("Account");
  const now = deps.now();
  const range = periodRange(filter, now, account.timeZone);
  // A filter names a portal or an agent of this account, or it is refused at its field.
  for (const [table, field, id, what] of [
    ["portals", "portalId", filter.portalId, "portal"],
    ["users", "agentId", filter.agentId, "agent"],
  ] as const) {
    if (id === undefined) continue;
    const found = await db
      .selectFrom(table)
      .select("id")
      .where("account_id", "=", accountId)
      .where("id", "=", id)
      .executeTakeFirst();
    if (!found) throw fieldError(404, field, "not_found", `No such ${what} in this account.`);
  }
  return {
    db,
    accountId,
    now,
    scope: {
      ...range,
      timeZone: account.timeZone,
      portalId: filter.portalId ?? null,
      agentId: filter.agentId ?? null,
      demoHistoryUntil: account.demoHistoryUntil,
    },
  };
}

/**
 * The requests of the period (alias `r`): created in [from, to), of the portal if one is chosen,
 * and of the chosen agent (those they took or were asked for by name).
 */
function periodRequests(c: Ctx, from = c.scope.from): RawBuilder<SqlBool> {
  const parts = [
    sql`r.account_id = ${c.accountId}`,
    sql`r.created_at >= ${Math.max(from, c.scope.from)}`,
    sql`r.created_at < ${c.scope.to}`,
  ];
  if (c.scope.portalId !== null) parts.push(sql`r.portal_id = ${c.scope.portalId}`);
  if (c.scope.agentId !== null)
    parts.push(sql`(r.agent_id = ${c.scope.agentId} or r.target_agent_id = ${c.scope.agentId})`);
  return sql<SqlBool>`(${sql.join(parts, sql` and `)})`;
}

/**
 * The sessions of the period's requests (alias `s`) can only have started after the period did:
 * said in SQL, the database may read them by sessions_started — bounded either way,
 * whichever side it starts from.
 */
function periodSessions(c: Ctx): RawBuilder<SqlBool> {
  return sql<SqlBool>`(s.account_id = ${c.accountId} and s.started_at >= ${c.scope.from})`;
}

interface StateCount {
  portalId: string;
  kind: string;
  state: string;
  /** For canceled ones: 0 <30 s, 1 <2 min, 2 <5 min, 3 ≥5 min of waiting; −1 otherwise. */
  bucket: number;
  n: number;
}

/** The kept figures of the period's days, of the filter's agent (or everyone's), per portal. */
async function periodCells(c: Ctx): Promise<{ day: string; cells: [string, Cell][] }[]> {
  const days = await figuresOfDays<DayCells>(
    c.db,
    c.accountId,
    c.scope.timeZone,
    c.scope.fromDay,
    c.scope.toDay,
    c.scope.agentId ?? EVERYONE,
  );
  return days.map(({ day, data }) => ({
    day,
    cells: Object.entries(data).filter(
      ([portalId]) => c.scope.portalId === null || portalId === c.scope.portalId,
    ),
  }));
}

/** The figures of several cells added up. */
interface Sum {
  counts: StateCount[];
  waits: Map<number, number>;
  durations: Map<number, number>;
  outcomes: [number, number, number, number];
  ratings: [number, number, number, number, number];
  queueLongest: number | null;
  queueHit: number;
  offers: Map<string, number>;
}

function sumOf(cells: Iterable<[string, Cell]>): Sum {
  const s: Sum = {
    counts: [],
    waits: new Map(),
    durations: new Map(),
    outcomes: [0, 0, 0, 0],
    ratings: [0, 0, 0, 0, 0],
    queueLongest: null,
    queueHit: 0,
    offers: new Map(),
  };
  for (const [portalId, cell] of cells) {
    for (const [kind, state, bucket, n] of cell.c) s.counts.push({ portalId, kind, state, bucket, n });
    addHist(s.waits, cell.w);
    addHist(s.durations, cell.d);
    cell.o.forEach((n, i) => {
      s.outcomes[i] = (s.outcomes[i] ?? 0) + n;
    });
    cell.r.forEach((n, i) => {
      s.ratings[i] = (s.ratings[i] ?? 0) + n;
    });
    if (cell.ql !== null)
      s.queueLongest = s.queueLongest === null ? cell.ql : Math.max(s.queueLongest, cell.ql);
    s.queueHit += cell.qh;
    for (const [state, n] of Object.entries(cell.of)) s.offers.set(state, (s.offers.get(state) ?? 0) + n);
  }
  return s;
}

interface Tally {
  submitted: number;
  accepted: number;
  codeSessions: number;
  declined: number;
  noResponse: number;
  canceled: ReportSummary["canceled"];
  waiting: number;
  offline: number;
  outsideHours: number;
}

function tally(counts: readonly StateCount[]): Tally {
  const t: Tally = {
    submitted: 0,
    accepted: 0,
    codeSessions: 0,
    declined: 0,
    noResponse: 0,
    canceled: { total: 0, under30s: 0, under2m: 0, under5m: 0, over5m: 0 },
    waiting: 0,
    offline: 0,
    outsideHours: 0,
  };
  for (const c of counts) {
    if (c.state === "offline" || c.state === OUTSIDE_HOURS_STATE) {
      t.offline += c.n;
      if (c.state === OUTSIDE_HOURS_STATE) t.outsideHours += c.n;
      continue;
    }
    if (c.kind === "code") {
      if (c.state === "accepted" || c.state === "ended") t.codeSessions += c.n;
      continue;
    }
    if (!LIVE_KINDS.has(c.kind)) continue;
    t.submitted += c.n;
    switch (c.state) {
      case "accepted":
      case "ended":
        t.accepted += c.n;
        break;
      case "declined":
        t.declined += c.n;
        break;
      case "no-response":
        t.noResponse += c.n;
        break;
      case "waiting":
        t.waiting += c.n;
        break;
      case "canceled": {
        t.canceled.total += c.n;
        const key = (["under30s", "under2m", "under5m", "over5m"] as const)[c.bucket];
        if (key) t.canceled[key] += c.n;
        break;
      }
    }
  }
  return t;
}

function medianOf(h: Map<number, number>): number | null {
  return histPercentiles(h).median;
}

export async function reportSummary(
  deps: Deps,
  actor: Actor,
  accountId: string,
  filter: ReportFilter,
): Promise<ReportSummary> {
  const c = await contextOf(deps, actor, accountId, filter);
  const [days, comments] = await Promise.all([periodCells(c), commentsOf(c)]);
  const sum = sumOf(days.flatMap((d) => d.cells));
  const t = tally(sum.counts);
  const decided = t.submitted - t.waiting;
  const [resolved, unresolved, unknown, notRecorded] = sum.outcomes;
  const answered = sum.ratings.reduce((a, b) => a + b, 0);
  const ratingTotal = sum.ratings.reduce((a, n, i) => a + n * (i + 1), 0);
  const duration = histPercentiles(sum.durations);
  return {
    scope: c.scope,
    ...t,
    answerRate: decided > 0 ? t.accepted / decided : null,
    timeToAccept: histPercentiles(sum.waits),
    sessionDuration: { median: duration.median, p90: duration.p90 },
    outcomes: { resolved, unresolved, unknown, notRecorded },
    rating: { answered, average: answered > 0 ? ratingTotal / answered : null, distribution: sum.ratings },
    comments,
  };
}

const COMMENTS_SHOWN = 200;

/** The newest comments customers left with their rating (at most 200; the CSV of requests has all). */
async function commentsOf(c: Ctx): Promise<ReportSummary["comments"]> {
  // The agents' names are looked up apart: joined here, PostgreSQL may start from the users and
  // read each one's every session.
  const rows = await c.db
    .selectFrom("sessions as s")
    .innerJoin("requests as r", "r.id", "s.request_id")
    .select(["s.id", "s.agent_id", "r.session_number", "s.started_at", "s.ended_at", "s.rating", "s.comment"])
    .where(periodRequests(c))
    .where(periodSessions(c))
    .where("s.comment", "is not", null)
    .where("s.comment", "<>", "")
    .where("s.rating", "is not", null)
    // Newest requests first, ties by id (also descending: requests_account_created_id read
    // backwards, stopping at the 200th, with no sort of the period's sessions).
    .orderBy("r.created_at", "desc")
    .orderBy("r.id", "desc")
    .limit(COMMENTS_SHOWN)
    .execute();
  const agentIds = [...new Set(rows.map((r) => r.agent_id))];
  const names = new Map(
    agentIds.length === 0
      ? []
      : (
          await c.db
            .selectFrom("users")
            .select(["id", "display_name"])
            .where("account_id", "=", c.accountId)
            .where("id", "in", agentIds)
            .execute()
        ).map((u) => [u.id, u.display_name]),
  );
  return rows.map((r) => ({
    requestId: r.id,
    sessionNumber: r.session_number,
    at: num(r.ended_at ?? r.started_at),
    rating: num(r.rating),
    comment: r.comment ?? "",
    agentName: names.get(r.agent_id) ?? "",
  }));
}

export async function reportAgents(
  deps: Deps,
  actor: Actor,
  accountId: string,
  filter: ReportFilter,
): Promise<{ scope: ReportScope; rows: AgentReportRow[] }> {
  const c = await contextOf(deps, actor, accountId, filter);
  let users = c.db
    .selectFrom("users")
    .select(["id", "display_name", "disabled"])
    .where("account_id", "=", accountId);
  if (c.scope.agentId !== null) users = users.where("id", "=", c.scope.agentId);
  const [people, days, spells] = await Promise.all([
    users.execute(),
    figuresOfDays<DayAgents>(c.db, accountId, c.scope.timeZone, c.scope.fromDay, c.scope.toDay, AGENTS_KEY),
    agentSpells(c.db, accountId, c.scope.from, c.scope.to, c.now),
  ]);
  interface Acc {
    n: number;
    d: Map<number, number>;
    w: Map<number, number>;
    rs: number;
    rn: number;
    de: number;
    ot: number;
  }
  const work = new Map<string, Acc>();
  for (const { data } of days) {
    for (const [portalId, agents] of Object.entries(data)) {
      if (c.scope.portalId !== null && portalId !== c.scope.portalId) continue;
      for (const [agentId, a] of Object.entries(agents)) {
        let acc = work.get(agentId);
        if (!acc) {
          acc = { n: 0, d: new Map(), w: new Map(), rs: 0, rn: 0, de: 0, ot: 0 };
          work.set(agentId, acc);
        }
        acc.n += a.n;
        addHist(acc.d, a.d);
        addHist(acc.w, a.w);
        acc.rs += a.rs;
        acc.rn += a.rn;
        acc.de += a.de;
        acc.ot += a.ot;
      }
    }
  }
  const time = timeOf(spells);
  const rows: AgentReportRow[] = [];
  for (const u of people) {
    const own = work.get(u.id);
    const disabled = num(u.disabled) === 1;
    const spent = time.get(u.id) ?? { signedIn: 0, available: 0 };
    if (disabled && (own?.n ?? 0) === 0 && spent.signedIn === 0) continue;
    rows.push({
      agentId: u.id,
      name: u.display_name,
      disabled,
      sessions: own?.n ?? 0,
      medianHandle: own ? medianOf(own.d) : null,
      medianTimeToAccept: own ? medianOf(own.w) : null,
      declines: own?.de ?? 0,
      offersTimedOut: own?.ot ?? 0,
      ratingAverage: own && own.rn > 0 ? own.rs / own.rn : null,
      ratings: own?.rn ?? 0,
      signedIn: spent.signedIn,
      available: spent.available,
    });
  }
  return { scope: c.scope, rows: rows.sort(byName) };
}

/** Per agent: seconds signed in, and of those, set Available (whole seconds). */
function timeOf(spells: readonly AgentSpell[]): Map<string, { signedIn: number; available: number }> {
  const byAgent = new Map<string, { on: AgentSpell[]; available: AgentSpell[] }>();
  for (const s of spells) {
    let entry = byAgent.get(s.userId);
    if (!entry) {
      entry = { on: [], available: [] };
      byAgent.set(s.userId, entry);
    }
    (s.kind === "signed-in" ? entry.on : entry.available).push(s);
  }
  const out = new Map<string, { signedIn: number; available: number }>();
  for (const [agentId, { on, available }] of byAgent) {
    out.set(agentId, {
      signedIn: Math.round(unionLength(on) / SECOND),
      available: Math.round(overlapLength(on, available) / SECOND),
    });
  }
  return out;
}

/** The same order on both databases (collations differ): by name, then id, by code point. */
function byName(a: { name: string; id?: string }, b: { name: string; id?: string }): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return (a.id ?? "") < (b.id ?? "") ? -1 : 1;
}

export async function reportPortals(
  deps: Deps,
  actor: Actor,
  accountId: string,
  filter: ReportFilter,
): Promise<{ scope: ReportScope; rows: PortalReportRow[] }> {
  const c = await contextOf(deps, actor, accountId, filter);
  let portals = c.db
    .selectFrom("portals")
    .select(["id", "name", "deleted_at"])
    .where("account_id", "=", accountId);
  if (c.scope.portalId !== null) portals = portals.where("id", "=", c.scope.portalId);
  const [list, days] = await Promise.all([portals.execute(), periodCells(c)]);
  const byPortal = new Map<string, [string, Cell][]>();
  for (const d of days) {
    for (const entry of d.cells) {
      const list = byPortal.get(entry[0]) ?? [];
      list.push(entry);
      byPortal.set(entry[0], list);
    }
  }
  const sums = new Map([...byPortal].map(([id, cells]) => [id, sumOf(cells)]));
  // A deleted portal is listed (marked) only when it has requests in the period: its past still counts.
  const withRequests = new Set([...sums].filter(([, s]) => s.counts.length > 0).map(([id]) => id));
  return {
    scope: c.scope,
    rows: list
      .filter((p) => p.deleted_at === null || withRequests.has(p.id))
      .sort(byName)
      .map((p) => {
        const sum = sums.get(p.id);
        const t = tally(sum?.counts ?? []);
        return {
          portalId: p.id,
          name: p.name,
          deleted: p.deleted_at !== null,
          submitted: t.submitted,
          accepted: t.accepted,
          declined: t.declined,
          noResponse: t.noResponse,
          canceled: t.canceled.total,
          offline: t.offline,
          outsideHours: t.outsideHours,
          medianTimeToAccept: sum ? medianOf(sum.waits) : null,
        };
      }),
  };
}

/** Volume rows from hour cells: counts stacked by outcome, wait percentiles. */
function volumeRow(key: string, hours: readonly HourCell[]): VolumeRow {
  const row: VolumeRow = {
    key,
    accepted: 0,
    declined: 0,
    noResponse: 0,
    canceled: 0,
    offline: 0,
    waitMedian: null,
    waitP90: null,
  };
  const waits = new Map<number, number>();
  for (const h of hours) {
    row.accepted += h.a;
    row.declined += h.de;
    row.noResponse += h.nr;
    row.canceled += h.ca;
    row.offline += h.of;
    addHist(waits, h.w);
  }
  const p = histPercentiles(waits);
  return { ...row, waitMedian: p.median, waitP90: p.p90 };
}

export async function reportDays(
  deps: Deps,
  actor: Actor,
  accountId: string,
  filter: ReportFilter,
): Promise<{ scope: ReportScope; rows: VolumeRow[] }> {
  const c = await contextOf(deps, actor, accountId, filter);
  const days = await periodCells(c);
  return {
    scope: c.scope,
    rows: days.map((d) =>
      volumeRow(
        d.day,
        d.cells.flatMap(([, cell]) => Object.values(cell.h)),
      ),
    ),
  };
}

export const HOUR_KEYS = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, "0"));

export async function reportHours(
  deps: Deps,
  actor: Actor,
  accountId: string,
  filter: ReportFilter,
): Promise<{ scope: ReportScope; rows: VolumeRow[] }> {
  const c = await contextOf(deps, actor, accountId, filter);
  const cells = (await periodCells(c)).flatMap((d) => d.cells);
  return {
    scope: c.scope,
    rows: HOUR_KEYS.map((hour) =>
      volumeRow(
        hour,
        cells.flatMap(([, cell]) => (cell.h[hour] ? [cell.h[hour]] : [])),
      ),
    ),
  };
}

export async function reportQueue(
  deps: Deps,
  actor: Actor,
  accountId: string,
  filter: ReportFilter,
): Promise<QueueReport> {
  const c = await contextOf(deps, actor, accountId, filter);
  const sum = sumOf((await periodCells(c)).flatMap((d) => d.cells));
  const count = (state: string) => sum.offers.get(state) ?? 0;
  return {
    scope: c.scope,
    offersMade: [...sum.offers.values()].reduce((a, n) => a + n, 0),
    offersAccepted: count("accepted"),
    offersDeclined: count("declined"),
    offersTimedOut: count("timed-out"),
    longestWait: sum.queueLongest === null ? null : seconds(sum.queueLongest),
    hitMaxWait: sum.queueHit,
  };
}

/** One line of the raw export: a request of the period and its session, if it had one. */
export interface RequestExportRow {
  requestId: string;
  sessionNumber: string;
  createdAt: number;
  portal: string;
  kind: string;
  state: string;
  agent: string | null;
  waitedSeconds: number | null;
  sessionStartedAt: number | null;
  sessionEndedAt: number | null;
  durationSeconds: number | null;
  sessionOutcome: string | null;
  ticket: string | null;
  rating: number | null;
  comment: string | null;
}

export const EXPORT_BATCH = 1000;

/**
 * Every request of the period, oldest first, in batches read by keyset pagination on
 * (created_at, id): memory stays flat however long the period, and the scope is checked before
 * the first row.
 */
export async function requestsExport(
  deps: Deps,
  actor: Actor,
  accountId: string,
  filter: ReportFilter,
): Promise<{ scope: ReportScope; batches: AsyncIterable<RequestExportRow[]> }> {
  const c = await contextOf(deps, actor, accountId, filter);
  // The account's portals (deleted ones too) and people are few: looked up once, not joined per row.
  const [portals, people] = await Promise.all([
    c.db.selectFrom("portals").select(["id", "name"]).where("account_id", "=", accountId).execute(),
    c.db.selectFrom("users").select(["id", "display_name"]).where("account_id", "=", accountId).execute(),
  ]);
  const dialect = deps.db.dialect;
  const portalName = new Map(portals.map((p) => [p.id, p.name]));
  const userName = new Map(people.map((u) => [u.id, u.display_name]));
  type After = { createdAt: number; id: string } | null;
  // One page of requests by requests_account_created_id, then their sessions by sessions_request:
  // two index reads per page, whatever the period's length.
  async function page(after: After) {
    let q = c.db
      .selectFrom("requests as r")
      .select([
        "r.id",
        "r.session_number",
        "r.created_at",
        "r.state_at",
        "r.kind",
        "r.state",
        "r.portal_id",
        "r.agent_id",
      ])
      // One lower bound, the later of the period's start and the last row's time: given both,
      // SQLite starts the index range at the period's start for every page (a year's export
      // then reads the rows before each page again: quadratic).
      .where(periodRequests(c, after?.createdAt));
    if (after) {
      const { createdAt, id } = after;
      q = q.where(sql<SqlBool>`(r.created_at > ${createdAt} or r.id > ${id})`);
    }
    // The page first (the next entries of requests_account_created_id), then each one's session by
    // sessions_request. SQLite joins row by row by that index anyway; PostgreSQL, asked to join,
    // may hash all sessions instead (a sequential scan of them for every page), so there it is a
    // LATERAL subquery, which it can only run per row.
    const columns = [
      "p.id",
      "p.session_number",
      "p.created_at",
      "p.state_at",
      "p.kind",
      "p.state",
      "p.portal_id",
      "p.agent_id",
      "s.session_agent_id",
      "s.started_at",
      "s.ended_at",
      "s.outcome",
      "s.ticket",
      "s.rating",
      "s.comment",
    ] as const;
    const sessionColumns = [
      "sessions.agent_id as session_agent_id",
      "sessions.started_at",
      "sessions.ended_at",
      "sessions.outcome",
      "sessions.ticket",
      "sessions.rating",
      "sessions.comment",
    ] as const;
    const pageQuery = q.orderBy("r.created_at").orderBy("r.id").limit(EXPORT_BATCH);
    if (dialect === "postgres") {
      return c.db
        .selectFrom(pageQuery.as("p"))
        .leftJoinLateral(
          (eb) =>
            eb
              .selectFrom("sessions")
              .select(sessionColumns)
              .whereRef("sessions.request_id", "=", "p.id")
              .limit(1)
              .as("s"),
          (join) => join.onTrue(),
        )
        .select(columns)
        .orderBy("p.created_at")
        .orderBy("p.id")
        .execute();
    }
    // SQLite: the page, then its sessions by sessions_request in one IN list (measured faster
    // than the joined subquery there).
    const rows = await pageQuery.execute();
    if (rows.length === 0) return [];
    const sessions = await c.db
      .selectFrom("sessions")
      .select(["sessions.request_id", ...sessionColumns])
      .where(
        "sessions.request_id",
        "in",
        rows.map((r) => r.id),
      )
      .execute();
    const byRequest = new Map(sessions.map((x) => [x.request_id, x]));
    return rows.map((r) => {
      const x = byRequest.get(r.id);
      return {
        id: r.id,
        session_number: r.session_number,
        created_at: r.created_at,
        state_at: r.state_at,
        kind: r.kind,
        state: r.state,
        portal_id: r.portal_id,
        agent_id: r.agent_id,
        session_agent_id: x?.session_agent_id ?? null,
        started_at: x?.started_at ?? null,
        ended_at: x?.ended_at ?? null,
        outcome: x?.outcome ?? null,
        ticket: x?.ticket ?? null,
        rating: x?.rating ?? null,
        comment: x?.comment ?? null,
      };
    });
  }
  type Page = Awaited<ReturnType<typeof page>>;
  const toRow = (r: Page[number]): RequestExportRow => {
    const created = num(r.created_at);
    const started = nullableNum(r.started_at);
    const ended = nullableNum(r.ended_at);
    const waited =
      started !== null
        ? started - created
        : r.state === "waiting" || r.state === "offline"
          ? null
          : num(r.state_at) - created;
    const agentId = r.session_agent_id ?? r.agent_id;
    return {
      requestId: r.id,
      sessionNumber: r.session_number,
      createdAt: created,
      portal: portalName.get(r.portal_id) ?? "",
      kind: r.kind,
      state: r.state,
      agent: agentId === null ? null : (userName.get(agentId) ?? null),
      waitedSeconds: waited === null ? null : seconds(waited),
      sessionStartedAt: started,
      sessionEndedAt: ended,
      durationSeconds: started !== null && ended !== null ? seconds(ended - started) : null,
      sessionOutcome: r.outcome,
      ticket: r.ticket,
      rating: r.rating === null ? null : num(r.rating),
      comment: r.comment,
    };
  };
  // A plain async iterator, not a generator: each page's rows are garbage as soon as next()
  // returns (a generator suspended at its yield would keep them alive while the socket drains).
  let next: Promise<Page> | null = page(null);
  next.catch(() => {});
  const batches: AsyncIterableIterator<RequestExportRow[]> = {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<IteratorResult<RequestExportRow[]>> {
      // Back to the event loop between pages: SQLite answers synchronously and a fast client keeps
      // the socket writable, so without this a year's export would hold the node (chat, other
      // requests, probes) for seconds on end.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (next === null) return { done: true, value: undefined };
      const rows = await next;
      const last = rows[rows.length - 1];
      next = null;
      if (last !== undefined && rows.length === EXPORT_BATCH) {
        // The next page is read while this one is written out (PostgreSQL works meanwhile); a
        // download broken off leaves it unread, and its failure then is nobody's.
        next = page({ createdAt: num(last.created_at), id: last.id });
        next.catch(() => {});
      }
      if (rows.length === 0) return { done: true, value: undefined };
      return { done: false, value: rows.map(toRow) };
    },
  };
  return { scope: c.scope, batches };
}
