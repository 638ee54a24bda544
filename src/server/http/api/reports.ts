import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import type {
  AgentReportRow,
  PortalReportRow,
  ReportScope,
  ReportSummary,
  VolumeRow,
} from "../../../shared/api.js";
import { REPORT_PERIODS } from "../../../shared/api.js";
import type { Deps } from "../../commands/context.js";
import { isoInZone } from "../../domain/reportPeriods.js";
import {
  type ReportFilter,
  reportAgents,
  reportDays,
  reportHours,
  reportPortals,
  reportQueue,
  reportSummary,
  requestsExport,
} from "../../queries/reports.js";
import { type CsvCell, sendCsv, sendCsvStream } from "../csv.js";
import { AccountParams, Id, SignedInErrors, strict } from "../schemas.js";
import { requireActor } from "../session.js";

/** Reports of an account (issue 12): JSON for the admin pages, the same tables as CSV downloads. */

const Seconds = Type.Union([Type.Number(), Type.Null()], {
  description: "Seconds; null when nothing to measure",
});
const ScopeSchema = Type.Object({
  period: Type.Enum([...REPORT_PERIODS]),
  from: Type.Number({ description: "Inclusive start, epoch ms" }),
  to: Type.Number({ description: "Exclusive end, epoch ms" }),
  fromDay: Type.String(),
  toDay: Type.String(),
  timeZone: Type.String(),
  portalId: Type.Union([Type.String(), Type.Null()]),
  agentId: Type.Union([Type.String(), Type.Null()]),
  demoHistoryUntil: Type.Union([Type.Number(), Type.Null()], {
    description: "Epoch ms where the demo installation's generated history ends; null: none",
  }),
});
const Count = Type.Integer({ minimum: 0 });
const SummarySchema = Type.Object({
  scope: ScopeSchema,
  submitted: Count,
  accepted: Count,
  codeSessions: Count,
  declined: Count,
  noResponse: Count,
  canceled: Type.Object({ total: Count, under30s: Count, under2m: Count, under5m: Count, over5m: Count }),
  waiting: Count,
  offline: Count,
  outsideHours: Type.Integer({
    minimum: 0,
    description: "Of offline, the messages left while the portal was closed (business hours)",
  }),
  answerRate: Type.Union([Type.Number(), Type.Null()]),
  timeToAccept: Type.Object({ median: Seconds, p90: Seconds, max: Seconds }),
  sessionDuration: Type.Object({ median: Seconds, p90: Seconds }),
  outcomes: Type.Object({ resolved: Count, unresolved: Count, unknown: Count, notRecorded: Count }),
  rating: Type.Object({
    answered: Count,
    average: Type.Union([Type.Number(), Type.Null()]),
    distribution: Type.Array(Count, { minItems: 5, maxItems: 5, description: "How many rated 1 … 5" }),
  }),
  comments: Type.Array(
    Type.Object({
      requestId: Type.String(),
      sessionNumber: Type.String(),
      at: Type.Number(),
      rating: Type.Integer(),
      comment: Type.String(),
      agentName: Type.String(),
    }),
  ),
});
const AgentRowSchema = Type.Object({
  agentId: Type.String(),
  name: Type.String(),
  disabled: Type.Boolean(),
  sessions: Count,
  medianHandle: Seconds,
  medianTimeToAccept: Seconds,
  declines: Count,
  offersTimedOut: Count,
  ratingAverage: Type.Union([Type.Number(), Type.Null()]),
  ratings: Count,
  signedIn: Type.Number({ minimum: 0, description: "Seconds of the period with the console open" }),
  available: Type.Number({ minimum: 0, description: "Seconds of those set Available" }),
});
const PortalRowSchema = Type.Object({
  portalId: Type.String(),
  name: Type.String(),
  deleted: Type.Boolean({ description: "A deleted portal, listed only with requests in the period" }),
  submitted: Count,
  accepted: Count,
  declined: Count,
  noResponse: Count,
  canceled: Count,
  offline: Count,
  outsideHours: Count,
  medianTimeToAccept: Seconds,
});
const VolumeRowSchema = Type.Object({
  key: Type.String({ description: "YYYY-MM-DD (days) or 00–23 (hours), in the account's zone" }),
  accepted: Count,
  declined: Count,
  noResponse: Count,
  canceled: Count,
  offline: Count,
  waitMedian: Seconds,
  waitP90: Seconds,
});
const QueueSchema = Type.Object({
  scope: ScopeSchema,
  offersMade: Count,
  offersAccepted: Count,
  offersDeclined: Count,
  offersTimedOut: Count,
  longestWait: Seconds,
  hitMaxWait: Count,
});
const table = (row: typeof AgentRowSchema | typeof PortalRowSchema | typeof VolumeRowSchema) =>
  Type.Object({ scope: ScopeSchema, rows: Type.Array(row) });

const CsvResponse = {
  description:
    "CSV (UTF-8 with BOM, header row, CRLF; cells starting with = + - @ tab or CR are prefixed with '), as an attachment",
  content: { "text/csv": { schema: Type.String() } },
};

const ReportQuery = Type.Object(
  {
    period: Type.Optional(
      Type.String({ maxLength: 16, description: `${REPORT_PERIODS.join(" | ")} (default last7)` }),
    ),
    from: Type.Optional(Type.String({ maxLength: 10, description: "YYYY-MM-DD, with period=custom" })),
    to: Type.Optional(
      Type.String({ maxLength: 10, description: "YYYY-MM-DD (inclusive), with period=custom" }),
    ),
    portalId: Type.Optional(Id),
    agentId: Type.Optional(Id),
  },
  strict,
);

const filterOf = (q: ReportFilter): ReportFilter => ({
  period: q.period,
  from: q.from,
  to: q.to,
  portalId: q.portalId,
  agentId: q.agentId,
});
const fileName = (name: string, scope: ReportScope) => `helpgate-${name}-${scope.fromDay}-${scope.toDay}.csv`;
const num = (v: number | null) => (v === null ? null : v);

export const SUMMARY_CSV_HEADER = ["figure", "value"];
export function summaryCsvRows(s: ReportSummary): CsvCell[][] {
  return [
    ["submitted", s.submitted],
    ["accepted", s.accepted],
    ["codeSessions", s.codeSessions],
    ["declined", s.declined],
    ["noResponse", s.noResponse],
    ["canceled", s.canceled.total],
    ["canceledUnder30s", s.canceled.under30s],
    ["canceledUnder2m", s.canceled.under2m],
    ["canceledUnder5m", s.canceled.under5m],
    ["canceledOver5m", s.canceled.over5m],
    ["waiting", s.waiting],
    ["offline", s.offline],
    ["outsideHours", s.outsideHours],
    ["answerRate", num(s.answerRate)],
    ["timeToAcceptMedian", num(s.timeToAccept.median)],
    ["timeToAcceptP90", num(s.timeToAccept.p90)],
    ["timeToAcceptMax", num(s.timeToAccept.max)],
    ["sessionDurationMedian", num(s.sessionDuration.median)],
    ["sessionDurationP90", num(s.sessionDuration.p90)],
    ["outcomeResolved", s.outcomes.resolved],
    ["outcomeUnresolved", s.outcomes.unresolved],
    ["outcomeUnknown", s.outcomes.unknown],
    ["outcomeNotRecorded", s.outcomes.notRecorded],
    ["ratingsAnswered", s.rating.answered],
    ["ratingAverage", num(s.rating.average)],
    ...s.rating.distribution.map((n, i): CsvCell[] => [`rating${i + 1}`, n]),
  ];
}
export const AGENT_CSV_HEADER = [
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
];
const agentCells = (r: AgentReportRow): CsvCell[] => [
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
];
export const PORTAL_CSV_HEADER = [
  "portalId",
  "name",
  "submitted",
  "accepted",
  "declined",
  "noResponse",
  "canceled",
  "offline",
  "outsideHours",
  "medianTimeToAcceptSeconds",
  "deleted",
];
const portalCells = (r: PortalReportRow): CsvCell[] => [
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
];
const volumeHeader = (key: string) => [
  key,
  "accepted",
  "declined",
  "noResponse",
  "canceled",
  "offline",
  "waitMedianSeconds",
  "waitP90Seconds",
];
const volumeCells = (r: VolumeRow): CsvCell[] => [
  r.key,
  r.accepted,
  r.declined,
  r.noResponse,
  r.canceled,
  r.offline,
  r.waitMedian,
  r.waitP90,
];
export const QUEUE_CSV_HEADER = SUMMARY_CSV_HEADER;
export const REQUESTS_CSV_HEADER = [
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
];

export const reportRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const tags = ["reports"];
  const base = "/accounts/:accountId/reports";
  // Scripts read reports with an API token of this scope.
  const reportScope = { tokenScope: "reports:read" as const };
  const schema = (summary: string, ok: unknown) => ({
    tags,
    summary,
    params: AccountParams,
    querystring: ReportQuery,
    response: { 200: ok, ...SignedInErrors },
  });

  app.get(
    `${base}/summary`,
    {
      config: reportScope,
      schema: schema("Submitted, accepted, missed; waits, durations, outcomes and ratings", SummarySchema),
    },
    async (request) =>
      reportSummary(deps, requireActor(request), request.params.accountId, filterOf(request.query)),
  );
  app.get(
    `${base}/summary.csv`,
    { config: reportScope, schema: schema("The summary as CSV (figure, value)", CsvResponse) },
    async (request, reply) => {
      const s = await reportSummary(
        deps,
        requireActor(request),
        request.params.accountId,
        filterOf(request.query),
      );
      return sendCsv(reply, fileName("summary", s.scope), SUMMARY_CSV_HEADER, summaryCsvRows(s));
    },
  );

  app.get(
    `${base}/agents`,
    {
      config: reportScope,
      schema: schema(
        "By agent: sessions, handle time, time to accept, declines, ratings",
        table(AgentRowSchema),
      ),
    },
    async (request) =>
      reportAgents(deps, requireActor(request), request.params.accountId, filterOf(request.query)),
  );
  app.get(
    `${base}/agents.csv`,
    { config: reportScope, schema: schema("By agent, as CSV", CsvResponse) },
    async (request, reply) => {
      const t = await reportAgents(
        deps,
        requireActor(request),
        request.params.accountId,
        filterOf(request.query),
      );
      return sendCsv(reply, fileName("agents", t.scope), AGENT_CSV_HEADER, t.rows.map(agentCells));
    },
  );

  app.get(
    `${base}/portals`,
    {
      config: reportScope,
      schema: schema("By portal: submitted, accepted, missed, time to accept", table(PortalRowSchema)),
    },
    async (request) =>
      reportPortals(deps, requireActor(request), request.params.accountId, filterOf(request.query)),
  );
  app.get(
    `${base}/portals.csv`,
    { config: reportScope, schema: schema("By portal, as CSV", CsvResponse) },
    async (request, reply) => {
      const t = await reportPortals(
        deps,
        requireActor(request),
        request.params.accountId,
        filterOf(request.query),
      );
      return sendCsv(reply, fileName("portals", t.scope), PORTAL_CSV_HEADER, t.rows.map(portalCells));
    },
  );

  app.get(
    `${base}/days`,
    {
      config: reportScope,
      schema: schema(
        "Volume and waits by day of the period (every day, in the account's zone)",
        table(VolumeRowSchema),
      ),
    },
    async (request) =>
      reportDays(deps, requireActor(request), request.params.accountId, filterOf(request.query)),
  );
  app.get(
    `${base}/days.csv`,
    { config: reportScope, schema: schema("By day, as CSV", CsvResponse) },
    async (request, reply) => {
      const t = await reportDays(
        deps,
        requireActor(request),
        request.params.accountId,
        filterOf(request.query),
      );
      return sendCsv(reply, fileName("days", t.scope), volumeHeader("day"), t.rows.map(volumeCells));
    },
  );

  app.get(
    `${base}/hours`,
    {
      config: reportScope,
      schema: schema(
        "Volume and waits by hour of the day (00–23, in the account's zone)",
        table(VolumeRowSchema),
      ),
    },
    async (request) =>
      reportHours(deps, requireActor(request), request.params.accountId, filterOf(request.query)),
  );
  app.get(
    `${base}/hours.csv`,
    { config: reportScope, schema: schema("By hour of the day, as CSV", CsvResponse) },
    async (request, reply) => {
      const t = await reportHours(
        deps,
        requireActor(request),
        request.params.accountId,
        filterOf(request.query),
      );
      return sendCsv(reply, fileName("hours", t.scope), volumeHeader("hour"), t.rows.map(volumeCells));
    },
  );

  app.get(
    `${base}/queue`,
    {
      config: reportScope,
      schema: schema("Queue mode: offers made, accepted, declined, timed out; longest wait", QueueSchema),
    },
    async (request) =>
      reportQueue(deps, requireActor(request), request.params.accountId, filterOf(request.query)),
  );
  app.get(
    `${base}/queue.csv`,
    { config: reportScope, schema: schema("Queue mode, as CSV (figure, value)", CsvResponse) },
    async (request, reply) => {
      const q = await reportQueue(
        deps,
        requireActor(request),
        request.params.accountId,
        filterOf(request.query),
      );
      return sendCsv(reply, fileName("queue", q.scope), QUEUE_CSV_HEADER, [
        ["offersMade", q.offersMade],
        ["offersAccepted", q.offersAccepted],
        ["offersDeclined", q.offersDeclined],
        ["offersTimedOut", q.offersTimedOut],
        ["longestWait", q.longestWait],
        ["hitMaxWait", q.hitMaxWait],
      ]);
    },
  );

  app.get(
    `${base}/requests.csv`,
    {
      config: reportScope,
      schema: schema(
        "Every request of the period with its session, one row each, streamed (times in the account's zone)",
        CsvResponse,
      ),
    },
    async (request, reply) => {
      const { scope, batches } = await requestsExport(
        deps,
        requireActor(request),
        request.params.accountId,
        filterOf(request.query),
      );
      const zone = scope.timeZone;
      const iso = (ms: number | null) => (ms === null ? null : isoInZone(ms, zone));
      return sendCsvStream(reply, fileName("requests", scope), REQUESTS_CSV_HEADER, batches, (r) => [
        r.requestId,
        r.sessionNumber,
        iso(r.createdAt),
        r.portal,
        r.kind,
        r.state,
        r.agent,
        r.waitedSeconds,
        iso(r.sessionStartedAt),
        iso(r.sessionEndedAt),
        r.durationSeconds,
        r.sessionOutcome,
        r.ticket,
        r.rating,
        r.comment,
      ]);
    },
  );
};
