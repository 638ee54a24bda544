import { type Kysely, type SqlBool, sql } from "kysely";
import type { Database } from "../db/schema.js";
import { addDays, dayOf, daysOf, hourOf, startOfDay } from "../domain/reportPeriods.js";
import {
  EVERYONE,
  type KeptDay,
  keepDays,
  keptDays,
  reportVersions,
  utcDayOf,
} from "../store/reportRollups.js";

/**
 * The figures of one local day, kept (report_days, migration 013) so that a report of 30 days
 * reads 30 small rows however many years of history lie behind them. A day's figures are
 * computed from its requests the first time a report needs them, and again only after something
 * about that day's requests changed (the reportVersions reaction bumps the day's counter in the
 * change's transaction; figures computed at another counter are recomputed when read).
 *
 * Durations are kept as histograms by the whole second, so medians, p90 and maxima are exact to
 * the second (README "## Reports").
 *
 * Rows per day: agent_key '*' (everyone's requests, by portal), '+' (per agent: their sessions,
 * declines, offers), and one per agent who took or was asked for one of the day's requests
 * (those requests only, and the offers made to that agent) — what the agent filter reads.
 */

/** Whole seconds → how many. */
export type Hist = Record<string, number>;

/** One portal's requests of a day (for everyone, or for one agent). */
export interface Cell {
  /** [kind, state, cancel bucket (−1, or 0 <30 s, 1 <2 min, 2 <5 min, 3 ≥5 min), count]. */
  c: [string, string, number, number][];
  /** Live requests' sessions: seconds from the request to the session's start. */
  w: Hist;
  /** Ended sessions: seconds they lasted. */
  d: Hist;
  /** Ended sessions' outcomes: resolved, unresolved, unknown, not recorded. */
  o: [number, number, number, number];
  /** Ratings 1–5: how many of each. */
  r: [number, number, number, number, number];
  /** By local hour ("00"–"23"): accepted, declined, no response, canceled, offline, waits. */
  h: Record<string, HourCell>;
  /** Queue requests decided: the longest wait (ms) and how many hit the maximum wait. */
  ql: number | null;
  qh: number;
  /** Offers of these requests by state (an agent's row: the offers made to that agent). */
  of: Record<string, number>;
}

export interface HourCell {
  a: number;
  de: number;
  nr: number;
  ca: number;
  of: number;
  w: Hist;
}

/** One agent's work on one portal's requests of a day. */
export interface AgentStat {
  /** Sessions. */
  n: number;
  /** Ended sessions' durations (handle time). */
  d: Hist;
  /** Live sessions' time to accept. */
  w: Hist;
  rs: number;
  rn: number;
  /** Requests declined (targeted) and offers declined (queue). */
  de: number;
  /** Offers let time out. */
  ot: number;
}

export type DayCells = Record<string, Cell>;
export type DayAgents = Record<string, Record<string, AgentStat>>;

export const AGENTS_KEY = "+";
/**
 * The definition of the figures: raise it whenever computeDays counts differently, and every kept
 * day is recomputed when next read (a kept day whose requests never change again would otherwise
 * keep the old definition for good).
 */
export const FIGURES_VERSION = 2;
/** The state an offline message left outside business hours is counted under (a kept day's `c`). */
export const OUTSIDE_HOURS_STATE = "offline:outside-hours";
/**
 * At most this many days are read and computed at once, with a return to the event loop between
 * runs: on SQLite (synchronous) a month of a million-request history read in one go held the
 * node for over a second, and its load shedding refused the next requests.
 */
const MAX_RUN_DAYS = 7;
/** Live requests: what a customer submitted to be answered by an agent now. */
export const LIVE_KINDS: ReadonlySet<string> = new Set(["targeted", "broadcast", "queue"]);

const toSeconds = (ms: number) => Math.round(ms / 1000);

function bump(h: Hist, ms: number): void {
  const k = String(toSeconds(ms));
  h[k] = (h[k] ?? 0) + 1;
}

export function emptyCell(): Cell {
  return { c: [], w: {}, d: {}, o: [0, 0, 0, 0], r: [0, 0, 0, 0, 0], h: {}, ql: null, qh: 0, of: {} };
}

function emptyHour(): HourCell {
  return { a: 0, de: 0, nr: 0, ca: 0, of: 0, w: {} };
}

function emptyAgent(): AgentStat {
  return { n: 0, d: {}, w: {}, rs: 0, rn: 0, de: 0, ot: 0 };
}

/** Adds histogram b into a. */
export function addHist(into: Map<number, number>, h: Hist): void {
  for (const k in h) {
    const s = Number(k);
    into.set(s, (into.get(s) ?? 0) + (h[k] ?? 0));
  }
}

interface RequestFact {
  id: string;
  portal_id: string;
  kind: string;
  state: string;
  created_at: number;
  state_at: number;
  agent_id: string | null;
  target_agent_id: string | null;
  s_agent_id: string | null;
  started_at: number | null;
  ended_at: number | null;
  outcome: string | null;
  rating: number | null;
  /** 1: an offline message left while the portal was closed. */
  outside_hours: number;
}

const n0 = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Everything the figures of the days in [from, to) need, in three indexed reads. */
async function readRange(db: Kysely<Database>, accountId: string, from: number, to: number) {
  const inRange = sql<SqlBool>`r.account_id = ${accountId} and r.created_at >= ${from} and r.created_at < ${to}`;
  // One after the other, back to the event loop in between: SQLite answers synchronously, and a
  // first report of a month of a big history must not hold the node for a second.
  await new Promise<void>((resolve) => setImmediate(resolve));
  const requests = await db
    .selectFrom("requests as r")
    .leftJoin("sessions as s", "s.request_id", "r.id")
    .select([
      "r.id",
      "r.portal_id",
      "r.kind",
      "r.state",
      "r.created_at",
      "r.state_at",
      "r.agent_id",
      "r.target_agent_id",
      "s.agent_id as s_agent_id",
      "s.started_at",
      "s.ended_at",
      "s.outcome",
      "s.rating",
      "r.outside_hours",
    ])
    .where(inRange)
    .execute();
  await new Promise<void>((resolve) => setImmediate(resolve));
  const declines = await db
    .selectFrom("request_events as e")
    .innerJoin("requests as r", "r.id", "e.request_id")
    // The decline command records no agent on the event: the one who declined is the target.
    .select([
      "r.portal_id",
      "r.created_at",
      sql<string | null>`coalesce(e.agent_id, r.target_agent_id)`.as("agent"),
    ])
    .where(inRange)
    .where("e.state", "=", "declined")
    .execute();
  await new Promise<void>((resolve) => setImmediate(resolve));
  const offers = await db
    .selectFrom("offers as o")
    .innerJoin("requests as r", "r.id", "o.request_id")
    .select(["r.portal_id", "r.created_at", "o.agent_id", "o.state"])
    .where(inRange)
    .execute();
  return {
    requests: requests.map(
      (r): RequestFact => ({
        ...r,
        created_at: Number(r.created_at),
        state_at: Number(r.state_at),
        started_at: n0(r.started_at),
        ended_at: n0(r.ended_at),
        rating: n0(r.rating),
        outside_hours: Number(r.outside_hours),
      }),
    ),
    declines: declines.map((d) => ({
      portalId: d.portal_id,
      createdAt: Number(d.created_at),
      agent: d.agent,
    })),
    offers: offers.map((o) => ({
      portalId: o.portal_id,
      createdAt: Number(o.created_at),
      agentId: o.agent_id,
      state: o.state,
    })),
  };
}

function cellOf(cells: DayCells, portalId: string): Cell {
  let c = cells[portalId];
  if (!c) {
    c = emptyCell();
    cells[portalId] = c;
  }
  return c;
}

function agentOf(agents: DayAgents, portalId: string, agentId: string): AgentStat {
  let p = agents[portalId];
  if (!p) {
    p = {};
    agents[portalId] = p;
  }
  let a = p[agentId];
  if (!a) {
    a = emptyAgent();
    p[agentId] = a;
  }
  return a;
}

function cancelBucket(r: RequestFact): number {
  if (r.state !== "canceled") return -1;
  const waited = r.state_at - r.created_at;
  return waited < 30_000 ? 0 : waited < 120_000 ? 1 : waited < 300_000 ? 2 : 3;
}

/** One request into a cell: its state, its session, its hour. */
function addRequest(cell: Cell, r: RequestFact, hour: string, counts: Map<string, number>): void {
  const bucket = cancelBucket(r);
  const state = r.state === "offline" && r.outside_hours === 1 ? OUTSIDE_HOURS_STATE : r.state;
  const key = `${r.kind}\u0000${state}\u0000${bucket}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
  const live = LIVE_KINDS.has(r.kind);
  if (r.started_at !== null) {
    if (live) bump(cell.w, r.started_at - r.created_at);
    if (r.ended_at !== null) {
      bump(cell.d, r.ended_at - r.started_at);
      const i =
        r.outcome === "resolved" ? 0 : r.outcome === "unresolved" ? 1 : r.outcome === "unknown" ? 2 : 3;
      cell.o[i] = (cell.o[i] ?? 0) + 1;
    }
    if (r.rating !== null && r.rating >= 1 && r.rating <= 5)
      cell.r[r.rating - 1] = (cell.r[r.rating - 1] ?? 0) + 1;
  }
  // Volume by hour (the charts): offline messages of any kind, the other outcomes of live requests.
  if (r.state === "offline" || live) {
    let h = cell.h[hour];
    if (!h) {
      h = emptyHour();
      cell.h[hour] = h;
    }
    if (r.state === "offline") h.of++;
    else if (r.state === "accepted" || r.state === "ended") {
      h.a++;
      if (r.started_at !== null) bump(h.w, r.started_at - r.created_at);
    } else if (r.state === "declined") h.de++;
    else if (r.state === "no-response") h.nr++;
    else if (r.state === "canceled") h.ca++;
  }
  if (r.kind === "queue" && r.state !== "waiting") {
    const waited = (r.started_at ?? r.state_at) - r.created_at;
    cell.ql = cell.ql === null ? waited : Math.max(cell.ql, waited);
    if (r.state === "no-response") cell.qh++;
  }
}

/** The rows of the days asked for, computed from the database. */
function computeDays(
  days: readonly string[],
  timeZone: string,
  data: Awaited<ReturnType<typeof readRange>>,
  versionsOf: (day: string) => number,
  alsoAgent: string | null,
): KeptDay[] {
  const wanted = new Set(days);
  interface Build {
    cells: Map<string, DayCells>;
    counts: Map<string, Map<Cell, Map<string, number>>>;
    agents: DayAgents;
  }
  const byDay = new Map<string, Build>();
  const build = (day: string): Build => {
    let b = byDay.get(day);
    if (!b) {
      b = { cells: new Map([[EVERYONE, {}]]), counts: new Map(), agents: {} };
      byDay.set(day, b);
    }
    return b;
  };
  for (const day of days) build(day);
  const countsOf = (b: Build, key: string, cell: Cell) => {
    let m = b.counts.get(key);
    if (!m) {
      m = new Map();
      b.counts.set(key, m);
    }
    let c = m.get(cell);
    if (!c) {
      c = new Map();
      m.set(cell, c);
    }
    return c;
  };
  const cellsFor = (b: Build, key: string): DayCells => {
    let cells = b.cells.get(key);
    if (!cells) {
      cells = {};
      b.cells.set(key, cells);
    }
    return cells;
  };
  for (const r of data.requests) {
    const day = dayOf(r.created_at, timeZone);
    if (!wanted.has(day)) continue;
    const b = build(day);
    const hour = String(hourOf(r.created_at, timeZone)).padStart(2, "0");
    const keys = new Set<string>([EVERYONE]);
    if (r.agent_id) keys.add(r.agent_id);
    if (r.target_agent_id) keys.add(r.target_agent_id);
    for (const key of keys) {
      const cell = cellOf(cellsFor(b, key), r.portal_id);
      addRequest(cell, r, hour, countsOf(b, key, cell));
    }
    if (r.started_at !== null && r.s_agent_id !== null) {
      const a = agentOf(b.agents, r.portal_id, r.s_agent_id);
      a.n++;
      if (r.ended_at !== null) bump(a.d, r.ended_at - r.started_at);
      if (LIVE_KINDS.has(r.kind)) bump(a.w, r.started_at - r.created_at);
      if (r.rating !== null) {
        a.rs += r.rating;
        a.rn++;
      }
    }
  }
  for (const d of data.declines) {
    const day = dayOf(d.createdAt, timeZone);
    if (!wanted.has(day) || d.agent === null) continue;
    agentOf(build(day).agents, d.portalId, d.agent).de++;
  }
  for (const o of data.offers) {
    const day = dayOf(o.createdAt, timeZone);
    if (!wanted.has(day)) continue;
    const b = build(day);
    for (const key of [EVERYONE, o.agentId]) {
      const cell = cellOf(cellsFor(b, key), o.portalId);
      cell.of[o.state] = (cell.of[o.state] ?? 0) + 1;
    }
    if (o.state === "declined") agentOf(b.agents, o.portalId, o.agentId).de++;
    else if (o.state === "timed-out") agentOf(b.agents, o.portalId, o.agentId).ot++;
  }
  const out: KeptDay[] = [];
  for (const [day, b] of byDay) {
    const versions = versionsOf(day);
    if (alsoAgent !== null && !b.cells.has(alsoAgent)) b.cells.set(alsoAgent, {});
    for (const [key, cells] of b.cells) {
      for (const [cell, counts] of b.counts.get(key) ?? []) {
        cell.c = [...counts].map(([k, n]) => {
          const [kind, state, bucket] = k.split("\u0000");
          return [kind ?? "", state ?? "", Number(bucket), n];
        });
      }
      out.push({ day, agentKey: key, versions, definition: FIGURES_VERSION, data: JSON.stringify(cells) });
    }
    out.push({
      day,
      agentKey: AGENTS_KEY,
      versions,
      definition: FIGURES_VERSION,
      data: JSON.stringify(b.agents),
    });
  }
  return out;
}

/** The computations running on this node, by account and zone. */
const computing = new Map<string, Promise<void>>();

/**
 * The kept figures of every day of [fromDay, toDay] for one agent_key ('*', '+' or an agent's
 * id), computing (and keeping) those that are missing or no longer current.
 */
export async function figuresOfDays<T>(
  db: Kysely<Database>,
  accountId: string,
  timeZone: string,
  fromDay: string,
  toDay: string,
  agentKey: string,
  waited = false,
): Promise<{ day: string; data: T }[]> {
  const days = daysOf(fromDay, toDay);
  const starts = new Map(days.map((d) => [d, startOfDay(d, timeZone)]));
  const end = startOfDay(addDays(toDay, 1), timeZone);
  const endOf = (i: number) => (i + 1 < days.length ? (starts.get(days[i + 1] as string) as number) : end);
  // The counters first, then the figures: a change committed in between makes them look stale
  // (recomputed next time), never current when they are not.
  const versions = await reportVersions(
    db,
    accountId,
    utcDayOf(starts.get(fromDay) as number),
    utcDayOf(end - 1),
  );
  const versionOf = new Map<string, number>();
  days.forEach((d, i) => {
    let sum = 0;
    for (let u = utcDayOf(starts.get(d) as number); u <= utcDayOf(endOf(i) - 1); u++)
      sum += versions.get(u) ?? 0;
    versionOf.set(d, sum);
  });
  const kept = new Map(
    (await keptDays(db, accountId, timeZone, agentKey, fromDay, toDay)).map((k) => [k.day, k]),
  );
  const isCurrent = (k: KeptDay | undefined, d: string) =>
    k !== undefined && k.definition === FIGURES_VERSION && k.versions === versionOf.get(d);
  const stale = days.filter((d) => !isCurrent(kept.get(d), d));
  const fresh = new Map<string, string>();
  if (stale.length > 0) {
    // One computation per account and zone at a time on this node: the admin page asks for six
    // reports at once, and after a change all six find today stale. The others wait and read
    // what it kept (once; if a change came meanwhile, they compute themselves).
    const key = `${accountId}\u0000${timeZone}`;
    const running = computing.get(key);
    if (running && !waited) {
      await running.catch(() => {});
      return figuresOfDays<T>(db, accountId, timeZone, fromDay, toDay, agentKey, true);
    }
    const work = (async () => {
      // Read in runs of consecutive stale days (at most a week each): usually just today, or
      // everything the first time.
      const runs: string[][] = [];
      for (const d of stale) {
        const run = runs[runs.length - 1];
        if (run && run.length < MAX_RUN_DAYS && addDays(run[run.length - 1] as string, 1) === d) run.push(d);
        else runs.push([d]);
      }
      for (const run of runs) {
        const first = run[0] as string;
        const last = run[run.length - 1] as string;
        const data = await readRange(db, accountId, starts.get(first) as number, endOf(days.indexOf(last)));
        const rows = computeDays(
          run,
          timeZone,
          data,
          (d) => versionOf.get(d) ?? 0,
          agentKey === EVERYONE || agentKey === AGENTS_KEY ? null : agentKey,
        );
        await keepDays(db, accountId, timeZone, rows);
        for (const r of rows) if (r.agentKey === agentKey) fresh.set(r.day, r.data);
      }
    })();
    computing.set(key, work);
    try {
      await work;
    } finally {
      if (computing.get(key) === work) computing.delete(key);
    }
  }
  return days.map((day) => {
    const text = fresh.get(day) ?? kept.get(day)?.data ?? "{}";
    return { day, data: JSON.parse(text) as T };
  });
}
