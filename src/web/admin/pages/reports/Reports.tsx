import type { ComponentChildren } from "preact";
import type {
  Account,
  AgentReportRow,
  PortalReportRow,
  QueueReport,
  ReportPeriod,
  ReportScope,
  ReportSummary,
  VolumeRow,
} from "../../../../shared/api.js";
import { REPORT_PERIODS } from "../../../../shared/api.js";
import { language } from "../../../common/i18n.js";
import { useLoad } from "../../../common/useLoad.js";
import { api, type ReportFilter, type ReportTable, reportCsvUrl, reportQuery } from "../../api.js";
import { PageHeader } from "../../components/PageHeader.js";
import { LoadError, Loading } from "../../components/Status.js";
import { Link } from "../../Link.js";
import { count, dayText, duration, percent, type ReportTextKey, rx } from "../../reportTexts.js";
import { search, setSearch } from "../../router.js";
import { canAdmin } from "../../session.js";
import { when } from "../../texts.js";
import { rowTotal, VolumeByDay, VolumeByHour, WaitByDay } from "./Charts.js";

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function isPeriod(value: string | null): value is ReportPeriod {
  return value !== null && (REPORT_PERIODS as readonly string[]).includes(value);
}

/** The report's filters as the URL has them (so a report can be reloaded and shared). */
export function filterFrom(query: string): ReportFilter {
  const q = new URLSearchParams(query);
  const period = q.get("period");
  const filter: ReportFilter = { period: isPeriod(period) ? period : "last7" };
  const from = q.get("from");
  const to = q.get("to");
  if (filter.period === "custom") {
    if (from && DAY.test(from)) filter.from = from;
    if (to && DAY.test(to)) filter.to = to;
  }
  const portalId = q.get("portalId");
  const agentId = q.get("agentId");
  if (portalId) filter.portalId = portalId;
  if (agentId) filter.agentId = agentId;
  return filter;
}

function show(filter: ReportFilter): void {
  setSearch(reportQuery(filter).replace(/^\?/, ""));
}

interface Report {
  summary: ReportSummary;
  agents: AgentReportRow[];
  portals: PortalReportRow[];
  days: VolumeRow[];
  hours: VolumeRow[];
  queue: QueueReport | null;
}

async function loadReport(account: Account, filter: ReportFilter): Promise<Report> {
  const [summary, agents, portals, days, hours, queue] = await Promise.all([
    api.reportSummary(account.id, filter),
    api.reportAgents(account.id, filter),
    api.reportPortals(account.id, filter),
    api.reportDays(account.id, filter),
    api.reportHours(account.id, filter),
    account.mode === "queue" ? api.reportQueue(account.id, filter) : Promise.resolve(null),
  ]);
  return { summary, agents: agents.rows, portals: portals.rows, days: days.rows, hours: hours.rows, queue };
}

function todayIn(zone: string): string {
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(new Date());
}

/** /admin/reports: the summary, charts and tables of a period, with CSV downloads. */
export function ReportsPage({ account }: { account: Account }) {
  const filter = filterFrom(search.value);
  const key = reportQuery(filter);
  const options = useLoad(() => Promise.all([api.portals(account.id), api.users(account.id)]), [account.id]);
  const { result, reload } = useLoad(() => loadReport(account, filter), [account.id, key]);
  const scope = result.state === "ready" ? result.data.summary.scope : null;

  return (
    <div class="page reports-page">
      <PageHeader title={rx("rp.title")} intro={rx("rp.intro", { account: account.name })}>
        <a class="button secondary" href={reportCsvUrl(account.id, "requests", filter)} download>
          {rx("rp.downloadAll")}
        </a>
      </PageHeader>
      <Filters
        account={account}
        filter={filter}
        scope={scope}
        portals={options.result.state === "ready" ? options.result.data[0] : []}
        users={options.result.state === "ready" ? options.result.data[1] : []}
      />
      {result.state === "loading" ? <Loading /> : null}
      {result.state === "failed" ? <LoadError error={result.error} retry={reload} /> : null}
      {result.state === "ready" ? (
        <ReportBody account={account} filter={filter} report={result.data} />
      ) : null}
    </div>
  );
}

function Filters(props: {
  account: Account;
  filter: ReportFilter;
  scope: ReportScope | null;
  portals: { id: string; name: string }[];
  users: { id: string; displayName: string; role: string }[];
}) {
  const { filter, scope, account } = props;
  const zone = scope?.timeZone ?? account.timeZone;
  const agents = props.users.filter((u) => u.role === "agent" || u.role === "manager" || u.role === "admin");
  const change = (next: Partial<ReportFilter>) => {
    const merged: ReportFilter = { ...filter, ...next };
    for (const k of ["portalId", "agentId", "from", "to"] as const) if (merged[k] === "") delete merged[k];
    show(merged);
  };
  return (
    <form class="panel report-filters" aria-label={rx("rp.filters")} onSubmit={(e) => e.preventDefault()}>
      <div class="filters">
        <div class="field">
          <label for="report-period">{rx("rp.period")}</label>
          <select
            id="report-period"
            value={filter.period}
            onChange={(e) => {
              const period = e.currentTarget.value;
              if (!isPeriod(period)) return;
              if (period === "custom") {
                const today = todayIn(zone);
                change({
                  period,
                  from: filter.from ?? scope?.fromDay ?? today,
                  to: filter.to ?? scope?.toDay ?? today,
                });
              } else change({ period });
            }}
          >
            {REPORT_PERIODS.map((p) => (
              <option key={p} value={p}>
                {rx(`rp.period.${p}` as ReportTextKey)}
              </option>
            ))}
          </select>
        </div>
        {filter.period === "custom" ? (
          <>
            <div class="field date-field">
              <label for="report-from">{rx("rp.from")}</label>
              <input
                id="report-from"
                type="date"
                value={filter.from ?? ""}
                max={filter.to}
                onChange={(e) => change({ from: e.currentTarget.value })}
              />
            </div>
            <div class="field date-field">
              <label for="report-to">{rx("rp.to")}</label>
              <input
                id="report-to"
                type="date"
                value={filter.to ?? ""}
                min={filter.from}
                onChange={(e) => change({ to: e.currentTarget.value })}
              />
            </div>
          </>
        ) : null}
        <div class="field">
          <label for="report-portal">{rx("rp.portal")}</label>
          <select
            id="report-portal"
            value={filter.portalId ?? ""}
            onChange={(e) => change({ portalId: e.currentTarget.value })}
          >
            <option value="">{rx("rp.allPortals")}</option>
            {props.portals.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="report-agent">{rx("rp.agent")}</label>
          <select
            id="report-agent"
            value={filter.agentId ?? ""}
            onChange={(e) => change({ agentId: e.currentTarget.value })}
          >
            <option value="">{rx("rp.allAgents")}</option>
            {agents.map((u) => (
              <option key={u.id} value={u.id}>
                {u.displayName}
              </option>
            ))}
          </select>
        </div>
      </div>
      <p class="report-zone">
        {scope ? (
          <strong>{rx("rp.range", { from: dayText(scope.fromDay), to: dayText(scope.toDay) })}</strong>
        ) : null}{" "}
        <span>{rx("rp.zone", { zone })}</span>{" "}
        {canAdmin.value ? <Link href="/admin/account#account-timeZone">{rx("rp.zoneChange")}</Link> : null}
      </p>
    </form>
  );
}

function Tile(props: { label: string; value: string; sub?: ComponentChildren; tone?: string }) {
  return (
    <div class={`tile${props.tone ? ` ${props.tone}` : ""}`}>
      <dt>{props.label}</dt>
      <dd>
        <span class="tile-value">{props.value}</span>
        {props.sub ? <span class="tile-sub">{props.sub}</span> : null}
      </dd>
    </div>
  );
}

function CsvLink({
  account,
  table,
  filter,
  name,
}: {
  account: Account;
  table: ReportTable;
  filter: ReportFilter;
  name: string;
}) {
  return (
    <a
      class="button secondary small"
      href={reportCsvUrl(account.id, table, filter)}
      download
      aria-label={rx("rp.downloadOf", { table: name })}
    >
      {rx("rp.download")}
    </a>
  );
}

function ReportSection(props: {
  id: string;
  title: string;
  actions?: ComponentChildren;
  children: ComponentChildren;
}) {
  return (
    <section class="report-section" aria-labelledby={props.id}>
      <div class="section-head">
        <h2 id={props.id} class="section-title">
          {props.title}
        </h2>
        {props.actions ? <div class="page-actions">{props.actions}</div> : null}
      </div>
      {props.children}
    </section>
  );
}

function ReportBody({ account, filter, report }: { account: Account; filter: ReportFilter; report: Report }) {
  const s = report.summary;
  const anything = s.submitted + s.offline + s.codeSessions > 0 || report.days.some((d) => rowTotal(d) > 0);
  // The account existed from the first start only, so what the period has before then is the demo's.
  const demoUntil = s.scope.demoHistoryUntil;
  return (
    <>
      {anything && demoUntil !== null && s.scope.from < demoUntil ? (
        <p class="notice demo-notice" role="note">
          {rx("rp.demoHistory", {
            date: new Date(demoUntil).toLocaleDateString(language.value, {
              dateStyle: "medium",
              timeZone: s.scope.timeZone,
            }),
          })}
        </p>
      ) : null}
      <ReportSection
        id="report-summary"
        title={rx("rp.sum.title")}
        actions={<CsvLink account={account} table="summary" filter={filter} name={rx("rp.sum.title")} />}
      >
        {anything ? <Summary summary={s} /> : <p class="panel empty report-empty">{rx("rp.empty")}</p>}
      </ReportSection>
      {anything ? (
        <ReportSection
          id="report-charts"
          title={rx("rp.charts.title")}
          actions={<CsvLink account={account} table="days" filter={filter} name={rx("rp.chart.volume")} />}
        >
          <div class="chart-grid">
            <VolumeByDay rows={report.days} />
            <WaitByDay rows={report.days} />
            <VolumeByHour rows={report.hours} />
          </div>
        </ReportSection>
      ) : null}
      <ReportSection
        id="report-agents"
        title={rx("rp.agents.title")}
        actions={<CsvLink account={account} table="agents" filter={filter} name={rx("rp.agents.title")} />}
      >
        <AgentTable rows={report.agents} queue={account.mode === "queue"} />
      </ReportSection>
      <ReportSection
        id="report-portals"
        title={rx("rp.portals.title")}
        actions={<CsvLink account={account} table="portals" filter={filter} name={rx("rp.portals.title")} />}
      >
        <PortalTable rows={report.portals} />
      </ReportSection>
      {report.queue ? (
        <ReportSection
          id="report-queue"
          title={rx("rp.queue.title")}
          actions={<CsvLink account={account} table="queue" filter={filter} name={rx("rp.queue.title")} />}
        >
          <dl class="tiles">
            <Tile label={rx("rp.queue.offersMade")} value={count(report.queue.offersMade)} />
            <Tile label={rx("rp.queue.offersAccepted")} value={count(report.queue.offersAccepted)} />
            <Tile label={rx("rp.queue.offersDeclined")} value={count(report.queue.offersDeclined)} />
            <Tile label={rx("rp.queue.offersTimedOut")} value={count(report.queue.offersTimedOut)} />
            <Tile label={rx("rp.queue.longestWait")} value={duration(report.queue.longestWait)} />
            <Tile label={rx("rp.queue.hitMaxWait")} value={count(report.queue.hitMaxWait)} />
          </dl>
        </ReportSection>
      ) : null}
      {anything ? (
        <ReportSection id="report-comments" title={rx("rp.comments")}>
          <Comments summary={s} />
        </ReportSection>
      ) : null}
    </>
  );
}

function Summary({ summary: s }: { summary: ReportSummary }) {
  const c = s.canceled;
  const stars = [5, 4, 3, 2, 1] as const;
  const most = Math.max(1, ...s.rating.distribution);
  return (
    <>
      <dl class="tiles">
        <Tile label={rx("rp.sum.submitted")} value={count(s.submitted)} />
        <Tile
          label={rx("rp.sum.accepted")}
          value={count(s.accepted)}
          tone="good"
          sub={s.codeSessions > 0 ? rx("rp.sum.codeSessions", { n: count(s.codeSessions) }) : undefined}
        />
        <Tile label={rx("rp.sum.declined")} value={count(s.declined)} />
        <Tile
          label={rx("rp.sum.noResponse")}
          value={count(s.noResponse)}
          tone={s.noResponse > 0 ? "warn" : undefined}
        />
        <Tile
          label={rx("rp.sum.canceled")}
          value={count(c.total)}
          sub={rx("rp.sum.canceledSplit", {
            a: count(c.under30s),
            b: count(c.under2m),
            c: count(c.under5m),
            d: count(c.over5m),
          })}
        />
        <Tile
          label={rx("rp.sum.offline")}
          value={count(s.offline)}
          sub={s.outsideHours > 0 ? rx("rp.sum.outsideHours", { n: count(s.outsideHours) }) : undefined}
        />
        <Tile label={rx("rp.sum.waiting")} value={count(s.waiting)} />
        <Tile label={rx("rp.sum.answerRate")} value={percent(s.answerRate)} tone="good" />
      </dl>
      <div class="summary-panels">
        <section class="panel figure-panel" aria-labelledby="sum-accept">
          <h3 id="sum-accept" class="panel-title">
            {rx("rp.sum.timeToAccept")}
          </h3>
          <dl class="figures">
            <Figure label={rx("rp.sum.median")} value={duration(s.timeToAccept.median)} />
            <Figure label={rx("rp.sum.p90")} value={duration(s.timeToAccept.p90)} />
            <Figure label={rx("rp.sum.max")} value={duration(s.timeToAccept.max)} />
          </dl>
        </section>
        <section class="panel figure-panel" aria-labelledby="sum-duration">
          <h3 id="sum-duration" class="panel-title">
            {rx("rp.sum.duration")}
          </h3>
          <dl class="figures">
            <Figure label={rx("rp.sum.median")} value={duration(s.sessionDuration.median)} />
            <Figure label={rx("rp.sum.p90")} value={duration(s.sessionDuration.p90)} />
          </dl>
        </section>
        <section class="panel figure-panel" aria-labelledby="sum-outcomes">
          <h3 id="sum-outcomes" class="panel-title">
            {rx("rp.sum.outcomes")}
          </h3>
          <dl class="figures">
            <Figure label={rx("rp.out.resolved")} value={count(s.outcomes.resolved)} />
            <Figure label={rx("rp.out.unresolved")} value={count(s.outcomes.unresolved)} />
            <Figure label={rx("rp.out.unknown")} value={count(s.outcomes.unknown)} />
            <Figure label={rx("rp.out.notRecorded")} value={count(s.outcomes.notRecorded)} />
          </dl>
        </section>
        <section class="panel figure-panel" aria-labelledby="sum-rating">
          <h3 id="sum-rating" class="panel-title">
            {rx("rp.sum.rating")}
          </h3>
          {s.rating.answered === 0 || s.rating.average === null ? (
            <p class="empty">{rx("rp.sum.ratingNone")}</p>
          ) : (
            <>
              <p class="rating-head">
                <span class="rating-average">
                  {rx("rp.sum.ratingAvg", {
                    avg: s.rating.average.toLocaleString(language.value, {
                      maximumFractionDigits: 1,
                      minimumFractionDigits: 1,
                    }),
                  })}
                </span>{" "}
                <span class="muted">{rx("rp.sum.ratingAnswered", { n: count(s.rating.answered) })}</span>
              </p>
              <dl class="rating-bars">
                {stars.map((n) => {
                  const value = s.rating.distribution[n - 1] ?? 0;
                  return (
                    <div key={n} class="rating-bar">
                      <dt>{n === 1 ? rx("rp.sum.star") : rx("rp.sum.stars", { n })}</dt>
                      <dd>
                        <meter min={0} max={most} value={value} aria-hidden="true" />
                        <span class="rating-count">{count(value)}</span>
                      </dd>
                    </div>
                  );
                })}
              </dl>
            </>
          )}
        </section>
      </div>
    </>
  );
}

function Figure({ label, value }: { label: string; value: string }) {
  return (
    <div class="figure">
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function Comments({ summary }: { summary: ReportSummary }) {
  if (summary.comments.length === 0) return <p class="empty">{rx("rp.commentsNone")}</p>;
  return (
    <ul class="comment-list">
      {summary.comments.map((c) => (
        <li key={c.requestId} class="panel comment">
          <p class="comment-rating">
            <span aria-hidden="true">
              {"★".repeat(c.rating)}
              {"☆".repeat(Math.max(0, 5 - c.rating))}
            </span>
            <span class="visually-hidden">
              {c.rating === 1 ? rx("rp.sum.star") : rx("rp.sum.stars", { n: c.rating })}
            </span>
          </p>
          <blockquote>{c.comment}</blockquote>
          <p class="hint">
            {rx("rp.commentBy", { number: c.sessionNumber, agent: c.agentName, when: when(c.at) })}
          </p>
        </li>
      ))}
    </ul>
  );
}

/** A figure kept on one line ("147 h 57 min"), so a long cell wraps only between figures. */
const unbroken = (text: string) => text.replace(/ /g, "\u00a0");

function AgentTable({ rows, queue }: { rows: AgentReportRow[]; queue: boolean }) {
  if (rows.length === 0) return <p class="empty">{rx("rp.agents.none")}</p>;
  return (
    <div class="table-wrap">
      <table class="list report-table">
        <caption class="visually-hidden">{rx("rp.agents.title")}</caption>
        <thead>
          <tr>
            <th scope="col">{rx("rp.agents.name")}</th>
            <th scope="col" class="num">
              {rx("rp.agents.sessions")}
            </th>
            <th scope="col" class="num">
              {rx("rp.agents.handle")}
            </th>
            <th scope="col" class="num">
              {rx("rp.agents.accept")}
            </th>
            <th scope="col" class="num">
              {rx("rp.agents.declines")}
            </th>
            {queue ? (
              <th scope="col" class="num">
                {rx("rp.agents.timedOut")}
              </th>
            ) : null}
            <th scope="col" class="num">
              {rx("rp.agents.rating")}
            </th>
            <th scope="col" class="num">
              {rx("rp.agents.time")}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.agentId} class={r.disabled ? "dimmed" : undefined}>
              <th scope="row">
                {r.name}
                {r.disabled ? <span class="sub muted"> ({rx("rp.agents.disabled")})</span> : null}
              </th>
              <td class="num" data-label={rx("rp.agents.sessions")}>
                {count(r.sessions)}
              </td>
              <td class="num" data-label={rx("rp.agents.handle")}>
                {duration(r.medianHandle)}
              </td>
              <td class="num" data-label={rx("rp.agents.accept")}>
                {duration(r.medianTimeToAccept)}
              </td>
              <td class="num" data-label={rx("rp.agents.declines")}>
                {count(r.declines)}
              </td>
              {queue ? (
                <td class="num" data-label={rx("rp.agents.timedOut")}>
                  {count(r.offersTimedOut)}
                </td>
              ) : null}
              <td class="num" data-label={rx("rp.agents.rating")}>
                {r.ratingAverage === null
                  ? rx("rp.none")
                  : `${r.ratingAverage.toLocaleString(language.value, { minimumFractionDigits: 1, maximumFractionDigits: 1 })} (${count(r.ratings)})`}
              </td>
              <td class="num time" data-label={rx("rp.agents.time")}>
                {r.signedIn === 0
                  ? rx("rp.none")
                  : rx("rp.agents.timeValue", {
                      available: unbroken(duration(r.available)),
                      signedIn: unbroken(duration(r.signedIn)),
                    })}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function PortalTable({ rows }: { rows: PortalReportRow[] }) {
  if (rows.length === 0) return <p class="empty">{rx("rp.portals.none")}</p>;
  return (
    <div class="table-wrap">
      <table class="list report-table">
        <caption class="visually-hidden">{rx("rp.portals.title")}</caption>
        <thead>
          <tr>
            <th scope="col">{rx("rp.portals.name")}</th>
            <th scope="col" class="num">
              {rx("rp.sum.submitted")}
            </th>
            <th scope="col" class="num">
              {rx("rp.sum.accepted")}
            </th>
            <th scope="col" class="num">
              {rx("rp.sum.declined")}
            </th>
            <th scope="col" class="num">
              {rx("rp.sum.noResponse")}
            </th>
            <th scope="col" class="num">
              {rx("rp.portals.canceled")}
            </th>
            <th scope="col" class="num">
              {rx("rp.portals.offline")}
            </th>
            <th scope="col" class="num">
              {rx("rp.portals.accept")}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.portalId} class={r.deleted ? "dimmed" : undefined}>
              <th scope="row">
                {r.name}
                {r.deleted ? <span class="sub muted"> ({rx("rp.portals.deleted")})</span> : null}
              </th>
              <td class="num" data-label={rx("rp.sum.submitted")}>
                {count(r.submitted)}
              </td>
              <td class="num" data-label={rx("rp.sum.accepted")}>
                {count(r.accepted)}
              </td>
              <td class="num" data-label={rx("rp.sum.declined")}>
                {count(r.declined)}
              </td>
              <td class="num" data-label={rx("rp.sum.noResponse")}>
                {count(r.noResponse)}
              </td>
              <td class="num" data-label={rx("rp.portals.canceled")}>
                {count(r.canceled)}
              </td>
              <td class="num" data-label={rx("rp.portals.offline")}>
                {count(r.offline)}
              </td>
              <td class="num" data-label={rx("rp.portals.accept")}>
                {duration(r.medianTimeToAccept)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
