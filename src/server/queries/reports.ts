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
import { dayOf, daysOf, hourOf, percentiles, periodRange } from "../domain/reportPeriods.js";
import { assertAccountAccess } from "../policy.js";
import { findAccount } from "../store/accounts.js";
import { type AgentSpell, agentSpells, overlapLength, unionLength } from "../store/agentTime.js";

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

/** Live requests: what a customer submitted to be answered by an agent now. */
const LIVE_KINDS = new Set(["targeted", "broadcast", "queue"]);
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
 * and — with `byAgent` — those the chosen agent took or was asked by name.
 */
function periodRequests(c: Ctx, byAgent = true): RawBuilder<SqlBool> {
  const parts = [
    sql`r.account_id = ${c.accountId}`,
    sql`r.created_at >= ${c.scope.from}`,
    sql`r.created_at < ${c.scope.to}`,
  ];
  if (c.scope.portalId !== null) parts.push(sql`r.portal_id = ${c.scope.portalId}`);
  if (byAgent && c.scope.agentId !== null)
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

async function stateCounts(c: Ctx): Promise<StateCount[]> {
  const bucket = sql<number>`case when r.state <> 'canceled' then -1
    when r.state_at - r.created_at < 30000 then 0
    when r.state_at - r.created_at < 120000 then 1
    when r.state_at - r.created_at < 300000 then 2 else 3 end`;
  const rows = await c.db
    .selectFrom("requests as r")
    .select(["r.portal_id", "r.kind", "r.state", bucket.as("bucket"), sql<number>`count(*)`.as("n")])
    .where(periodRequests(c))
    .groupBy(["r.portal_id", "r.kind", "r.state", bucket])
    .execute();
  return rows.map((r) => ({
    portalId: r.portal_id,
    kind: r.kind,
    state: r.state,
    bucket: num(r.bucket),
    n: num(r.n),
  }));
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
  };
  for (const c of counts) {
    if (c.state === "offline") {
      t.offline += c.n;
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

interface SessionFacts {
  agentId: string;
  portalId: string;
  live: boolean;
  /** ms from the request to the session's start (live requests). */
  wait: number;
  /** ms the session lasted (ended ones), else null. */
  duration: number | null;
  ended: boolean;
  outcome: string | null;
  rating: number | null;
}

/** The sessions of the period's requests: only the columns durations, outcomes and ratings need. */
async function sessionFacts(c: Ctx, byAgent = true): Promise<SessionFacts[]> {
  const rows = await c.db
    .selectFrom("sessions as s")
    .innerJoin("requests as r", "r.id", "s.request_id")
    .select([
      "s.agent_id",
      "r.portal_id",
      "r.kind",
      "r.created_at",
      "s.started_at",
      "s.ended_at",
      "s.outcome",
      "s.rating",
    ])
    .where(periodRequests(c, byAgent))
    .where(periodSessions(c))
    .execute();
  return rows.map((r) => {
    const started = num(r.started_at);
    const ended = nullableNum(r.ended_at);
    return {
      agentId: r.agent_id,
      portalId: r.portal_id,
      live: LIVE_KINDS.has(r.kind),
      wait: started - num(r.created_at),
      duration: ended === null ? null : ended - started,
      ended: ended !== null,
      outcome: r.outcome,
      rating: r.rating === null ? null : num(r.rating),
    };
  });
}

const inSeconds = (p: { median: number | null; p90: number | null; max: number | null }) => ({
  median: p.median === null ? null : seconds(p.median),
  p90: p.p90 === null ? null : seconds(p.p90),
  max: p.max === null ? null : seconds(p.max),
});

function medianSeconds(values: readonly number[]): number | null {
  const m = percentiles(values).median;
  return m === null ? null : seconds(m);
}

function average(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

export async function reportSummary(
  deps: Deps,
  actor: Actor,
  accountId: string,
  filter: ReportFilter,
): Promise<ReportSummary> {
  const c = await contextOf(deps, actor, accountId, filter);
  const [counts, sessions, comments] = await Promise.all([stateCounts(c), sessionFacts(c), commentsOf(c)]);
  const t = tally(counts);
  const decided = t.submitted - t.waiting;
  const ended = sessions.filter((s) => s.ended);
  const outcomes = { resolved: 0, unresolved: 0, unknown: 0, notRecorded: 0 };
  for (const s of ended) {
    if (s.outcome === "resolved" || s.outcome === "unresolved" || s.outcome === "unknown")
      outcomes[s.outcome]++;
    else outcomes.notRecorded++;
  }
  const ratings = sessions.flatMap((s) => (s.rating === null ? [] : [s.rating]));
  const distribution: [number, number, number, number, number] = [0, 0, 0, 0, 0];
  for (const r of ratings) if (r >= 1 && r <= 5) distribution[r - 1] = (distribution[r - 1] ?? 0) + 1;
  const duration = inSeconds(percentiles(ended.flatMap((s) => (s.duration === null ? [] : [s.duration]))));
  return {
    scope: c.scope,
    ...t,
    answerRate: decided > 0 ? t.accepted / decided : null,
    timeToAccept: inSeconds(percentiles(sessions.filter((s) => s.live).map((s) => s.wait))),
    sessionDuration: { median: duration.median, p90: duration.p90 },
    outcomes,
    rating: { answered: ratings.length, average: average(ratings), distribution },
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
    // Newest requests first.
    .orderBy("r.created_at", "desc")
    .orderBy("r.id")
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
  const [people, sessions, declines, offers, spells] = await Promise.all([
    users.execute(),
    sessionFacts(c, false),
    c.db
      .selectFrom("request_events as e")
      .innerJoin("requests as r", "r.id", "e.request_id")
      // The decline command records no agent on the event: the one who declined is the target.
      .select([
        sql<string | null>`coalesce(e.agent_id, r.target_agent_id)`.as("agent_id"),
        sql<number>`count(*)`.as("n"),
      ])
      .where(periodRequests(c, false))
      .where("e.state", "=", "declined")
      .groupBy(sql`coalesce(e.agent_id, r.target_agent_id)`)
      .execute(),
    c.db
      .selectFrom("offers as o")
      .innerJoin("requests as r", "r.id", "o.request_id")
      .select(["o.agent_id", "o.state", sql<number>`count(*)`.as("n")])
      .where(periodRequests(c, false))
      .where("o.state", "in", ["declined", "timed-out"])
      .groupBy(["o.agent_id", "o.state"])
      .execute(),
    agentSpells(c.db, accountId, c.scope.from, c.scope.to, c.now),
  ]);
  const time = timeOf(spells);
  const declined = new Map<string, number>();
  const timedOut = new Map<string, number>();
  for (const d of declines)
    if (d.agent_id) declined.set(d.agent_id, (declined.get(d.agent_id) ?? 0) + num(d.n));
  for (const o of offers) {
    const into = o.state === "declined" ? declined : timedOut;
    into.set(o.agent_id, (into.get(o.agent_id) ?? 0) + num(o.n));
  }
  const rows: AgentReportRow[] = [];
  for (const u of people) {
    const own = sessions.filter((s) => s.agentId === u.id);
    const disabled = num(u.disabled) === 1;
    const spent = time.get(u.id) ?? { signedIn: 0, available: 0 };
    if (disabled && own.length === 0 && spent.signedIn === 0) continue;
    const ratings = own.flatMap((s) => (s.rating === null ? [] : [s.rating]));
    rows.push({
      agentId: u.id,
      name: u.display_name,
      disabled,
      sessions: own.length,
      medianHandle: medianSeconds(own.flatMap((s) => (s.duration === null ? [] : [s.duration]))),
      medianTimeToAccept: medianSeconds(own.filter((s) => s.live).map((s) => s.wait)),
      declines: declined.get(u.id) ?? 0,
      offersTimedOut: timedOut.get(u.id) ?? 0,
      ratingAverage: average(ratings),
      ratings: ratings.length,
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
  const [list, counts, sessions] = await Promise.all([portals.execute(), stateCounts(c), sessionFacts(c)]);
  // A deleted portal is listed (marked) only when it has requests in the period: its past still counts.
  const withRequests = new Set(counts.map((x) => x.portalId));
  return {
    scope: c.scope,
    rows: list
      .filter((p) => p.deleted_at === null || withRequests.has(p.id))
      .sort(byName)
      .map((p) => {
        const t = tally(counts.filter((x) => x.portalId === p.id));
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
          medianTimeToAccept: medianSeconds(
            sessions.filter((s) => s.portalId === p.id && s.live).map((s) => s.wait),
          ),
        };
      }),
  };
}

/** Volume by a key of the request's creation time (its local day, or its local hour). */
async function volume(
  c: Ctx,
  keys: readonly string[],
  keyOf: (createdAt: number) => string,
): Promise<VolumeRow[]> {
  const rows = await c.db
    .selectFrom("requests as r")
    .leftJoin("sessions as s", "s.request_id", "r.id")
    .select(["r.kind", "r.state", "r.created_at", "s.started_at"])
    .where(periodRequests(c))
    .execute();
  const acc = new Map<string, { row: VolumeRow; waits: number[] }>(
    keys.map((key) => [
      key,
      {
        row: {
          key,
          accepted: 0,
          declined: 0,
          noResponse: 0,
          canceled: 0,
          offline: 0,
          waitMedian: null,
          waitP90: null,
        },
        waits: [],
      },
    ]),
  );
  for (const r of rows) {
    const created = num(r.created_at);
    const bucket = acc.get(keyOf(created));
    if (!bucket) continue;
    if (r.state === "offline") {
      bucket.row.offline++;
      continue;
    }
    if (!LIVE_KINDS.has(r.kind)) continue;
    if (r.state === "accepted" || r.state === "ended") {
      bucket.row.accepted++;
      if (r.started_at !== null) bucket.waits.push(num(r.started_at) - created);
    } else if (r.state === "declined") bucket.row.declined++;
    else if (r.state === "no-response") bucket.row.noResponse++;
    else if (r.state === "canceled") bucket.row.canceled++;
  }
  return [...acc.values()].map(({ row, waits }) => {
    const p = inSeconds(percentiles(waits));
    return { ...row, waitMedian: p.median, waitP90: p.p90 };
  });
}

export async function reportDays(
  deps: Deps,
  actor: Actor,
  accountId: string,
  filter: ReportFilter,
): Promise<{ scope: ReportScope; rows: VolumeRow[] }> {
  const c = await contextOf(deps, actor, accountId, filter);
  const zone = c.scope.timeZone;
  return {
    scope: c.scope,
    rows: await volume(c, daysOf(c.scope.fromDay, c.scope.toDay), (t) => dayOf(t, zone)),
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
  const zone = c.scope.timeZone;
  return { scope: c.scope, rows: await volume(c, HOUR_KEYS, (t) => HOUR_KEYS[hourOf(t, zone)] ?? "00") };
}

export async function reportQueue(
  deps: Deps,
  actor: Actor,
  accountId: string,
  filter: ReportFilter,
): Promise<QueueReport> {
  const c = await contextOf(deps, actor, accountId, filter);
  let offers = c.db
    .selectFrom("offers as o")
    .innerJoin("requests as r", "r.id", "o.request_id")
    .select(["o.state", sql<number>`count(*)`.as("n")])
    .where(periodRequests(c, false))
    .groupBy("o.state");
  if (c.scope.agentId !== null) offers = offers.where("o.agent_id", "=", c.scope.agentId);
  const [byState, waits] = await Promise.all([
    offers.execute(),
    c.db
      .selectFrom("requests as r")
      .leftJoin("sessions as s", "s.request_id", "r.id")
      .select([
        sql<number | null>`max(coalesce(s.started_at, r.state_at) - r.created_at)`.as("longest"),
        sql<number>`sum(case when r.state = 'no-response' then 1 else 0 end)`.as("hit"),
      ])
      .where(periodRequests(c))
      .where("r.kind", "=", "queue")
      .where("r.state", "<>", "waiting")
      .executeTakeFirst(),
  ]);
  const count = (state: string) => num(byState.find((o) => o.state === state)?.n ?? 0);
  const longest = nullableNum(waits?.longest);
  return {
    scope: c.scope,
    offersMade: byState.reduce((a, o) => a + num(o.n), 0),
    offersAccepted: count("accepted"),
    offersDeclined: count("declined"),
    offersTimedOut: count("timed-out"),
    longestWait: longest === null ? null : seconds(longest),
    hitMaxWait: num(waits?.hit ?? 0),
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
  async function* batches(): AsyncGenerator<RequestExportRow[]> {
    let after: { createdAt: number; id: string } | null = null;
    for (;;) {
      let q = c.db
        .selectFrom("requests as r")
        .innerJoin("portals as p", "p.id", "r.portal_id")
        .leftJoin("sessions as s", "s.request_id", "r.id")
        .leftJoin("users as u", (j) => j.on(sql<SqlBool>`u.id = coalesce(s.agent_id, r.agent_id)`))
        .select([
          "r.id",
          "r.session_number",
          "r.created_at",
          "r.state_at",
          "r.kind",
          "r.state",
          "p.name as portal_name",
          "u.display_name as agent_name",
          "s.started_at",
          "s.ended_at",
          "s.outcome",
          "s.ticket",
          "s.rating",
          "s.comment",
        ])
        .where(periodRequests(c));
      if (after) {
        const { createdAt, id } = after;
        q = q.where(
          // The lower bound first, so the index range starts at the last row, not at the period's start.
          sql<SqlBool>`r.created_at >= ${createdAt} and (r.created_at > ${createdAt} or r.id > ${id})`,
        );
      }
      const rows = await q.orderBy("r.created_at").orderBy("r.id").limit(EXPORT_BATCH).execute();
      yield rows.map((r) => {
        const created = num(r.created_at);
        const started = nullableNum(r.started_at);
        const ended = nullableNum(r.ended_at);
        const waited =
          started !== null
            ? started - created
            : r.state === "waiting" || r.state === "offline"
              ? null
              : num(r.state_at) - created;
        return {
          requestId: r.id,
          sessionNumber: r.session_number,
          createdAt: created,
          portal: r.portal_name,
          kind: r.kind,
          state: r.state,
          agent: r.agent_name,
          waitedSeconds: waited === null ? null : seconds(waited),
          sessionStartedAt: started,
          sessionEndedAt: ended,
          durationSeconds: started !== null && ended !== null ? seconds(ended - started) : null,
          sessionOutcome: r.outcome,
          ticket: r.ticket,
          rating: r.rating === null ? null : num(r.rating),
          comment: r.comment,
        };
      });
      const last = rows[rows.length - 1];
      if (!last || rows.length < EXPORT_BATCH) return;
      after = { createdAt: num(last.created_at), id: last.id };
    }
  }
  return { scope: c.scope, batches: batches() };
}
