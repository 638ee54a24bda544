import { performance } from "node:perf_hooks";
import client from "prom-client";
import type { BusEvent } from "../bus/bus.js";
import type { Presence } from "../bus/presence.js";
import type { Db } from "../db/database.js";
import { availableAgentsOf, waitingByAccount } from "./metricsQueries.js";

/**
 * The node's Prometheus metrics (README, "Metrics"). Every label set is bounded: HTTP routes are
 * the route patterns, kinds and reasons are fixed lists, and the per-account gauges name at most
 * METRICS_ACCOUNTS accounts (the ones with the most customers waiting; the rest add up under
 * `account="other"`). No user, session or request id is ever a label.
 */

/** How many accounts the per-account gauges name; any more add up under `account="other"`. */
export const METRICS_ACCOUNTS = 100;
/** The label value of the accounts beyond METRICS_ACCOUNTS (account ids are UUIDs, never this). */
export const OTHER_ACCOUNTS = "other";

/** Socket kinds of `helpgate_sockets_open` (hub connections say which they are). */
export type SocketKind = "console" | "customer";
export const SOCKET_KINDS: readonly SocketKind[] = ["console", "customer"];

type AlertEvent = Extract<BusEvent, { type: "alert" }>;

export interface Metrics {
  registry: client.Registry;
  httpDuration: client.Histogram<"method" | "route" | "status">;
  /** Alert messages written to console sockets on this node (one per recipient socket). */
  alertsSent: client.Counter;
  /** From a request's creation to its alert written to the last console socket on this node. */
  alertFanout: client.Histogram;
  /** Accepts answered 409 "already taken": another agent was first. */
  acceptRacesLost: client.Counter;
  offersTimedOut: client.Counter;
  sessionsStarted: client.Counter<"kind">;
  sessionsEnded: client.Counter<"ended_by">;
  busPublishFailures: client.Counter;
  /** Times the bus said events may have been missed: on some channels, or on any ("all"). */
  busResyncs: client.Counter<"scope">;
  /** Sockets that caught up from the database after missed events. */
  socketResyncs: client.Counter;
  sweepDuration: client.Histogram;
  /** HTTP requests and WebSocket upgrades answered 503 by load shedding, by why (shedding.ts). */
  shedRequests: client.Counter<"reason">;
  /** 1 while this node sheds load (overloaded), 0 otherwise. */
  overloaded: client.Gauge;
  /** A console socket was sent this alert (the hub calls `alertDelivered` once all were). */
  alertSent(event: AlertEvent): void;
  /** Every connection of this node had the event: an alert any socket got is timed, once. */
  alertDelivered(event: BusEvent, now: number): void;
}

export function createMetrics(): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: "helpgate_" });
  const registers = [registry];
  const httpDuration = new client.Histogram({
    name: "helpgate_http_request_duration_seconds",
    help: "HTTP request duration by route",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const alertsSent = new client.Counter({
    name: "helpgate_alerts_sent_total",
    help: "Request alerts written to console sockets on this node (one per recipient socket)",
    registers,
  });
  const alertFanout = new client.Histogram({
    name: "helpgate_alert_fanout_seconds",
    help: "From a request's creation to its alert written to the last console socket on this node",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const acceptRacesLost = new client.Counter({
    name: "helpgate_accept_races_lost_total",
    help: "Accepts answered 409 because another agent was first",
    registers,
  });
  const offersTimedOut = new client.Counter({
    name: "helpgate_offers_timed_out_total",
    help: "Queue offers that timed out unanswered (and passed on)",
    registers,
  });
  const sessionsStarted = new client.Counter({
    name: "helpgate_sessions_started_total",
    help: "Sessions started, by the kind of request (broadcast, targeted, queue, code)",
    labelNames: ["kind"] as const,
    registers,
  });
  const sessionsEnded = new client.Counter({
    name: "helpgate_sessions_ended_total",
    help: "Sessions ended, by who ended them (agent, customer)",
    labelNames: ["ended_by"] as const,
    registers,
  });
  const busPublishFailures = new client.Counter({
    name: "helpgate_bus_publish_failures_total",
    help: "Bus events that could not be published to Redis (dropped; announced once Redis is back)",
    registers,
  });
  const busResyncs = new client.Counter({
    name: "helpgate_bus_resyncs_total",
    help: "Times the bus said events may have been missed (scope: channels, all) and sockets resynced",
    labelNames: ["scope"] as const,
    registers,
  });
  const socketResyncs = new client.Counter({
    name: "helpgate_socket_resyncs_total",
    help: "Sockets that caught up from the database after missed bus events",
    registers,
  });
  const sweepDuration = new client.Histogram({
    name: "helpgate_sweep_duration_seconds",
    help: "How long one pass of the sweeper took (deadlines, codes, offers, teamwork; reconcile, prune)",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const shedRequests = new client.Counter({
    name: "helpgate_shed_requests_total",
    help: "New HTTP requests and WebSocket upgrades answered 503 because the node was overloaded, by reason (event_loop_delay, heap)",
    labelNames: ["reason"] as const,
    registers,
  });
  const overloaded = new client.Gauge({
    name: "helpgate_overloaded",
    help: "Whether this node sheds load now (1: overloaded, new requests get 503; 0: serving)",
    registers,
  });
  overloaded.set(0);
  for (const reason of ["event_loop_delay", "heap"]) shedRequests.inc({ reason }, 0);
  // Zero from the start, so a rate() has a first sample and the dashboards show 0, not "no data".
  for (const kind of ["broadcast", "targeted", "queue", "code"]) sessionsStarted.inc({ kind }, 0);
  for (const endedBy of ["agent", "customer"]) sessionsEnded.inc({ ended_by: endedBy }, 0);
  for (const scope of ["channels", "all"]) busResyncs.inc({ scope }, 0);

  // The alerts some socket of this node was sent, until the hub says all its sockets had them.
  const sent = new WeakSet<AlertEvent>();
  return {
    registry,
    httpDuration,
    alertsSent,
    alertFanout,
    acceptRacesLost,
    offersTimedOut,
    sessionsStarted,
    sessionsEnded,
    busPublishFailures,
    busResyncs,
    socketResyncs,
    sweepDuration,
    shedRequests,
    overloaded,
    alertSent(event) {
      alertsSent.inc();
      sent.add(event);
    },
    alertDelivered(event, now) {
      if (event.type !== "alert" || !sent.has(event)) return;
      sent.delete(event);
      alertFanout.observe(Math.max(0, now - event.request.createdAt) / 1000);
    },
  };
}

/** Times one run of `work` into the histogram (wall time, whatever the app's clock says). */
export async function timed<T>(histogram: client.Histogram | undefined, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    histogram?.observe((performance.now() - started) / 1000);
  }
}

export interface LiveSource {
  db: Db;
  presence: Presence;
  now: () => number;
}

/**
 * The gauges read at scrape time from the database (and presence): customers waiting and the
 * longest wait per account, and agents available in those accounts. One snapshot serves all
 * three gauges of a scrape. A database that cannot be reached leaves the last figures, so a
 * scrape never fails for it (`helpgate_ready` says the node is not ready). `options.accounts`:
 * how many accounts are named (METRICS_ACCOUNTS; a test sets a small bound).
 */
export function watchWaiting(
  metrics: Metrics,
  source: LiveSource,
  options: { accounts?: number } = {},
): void {
  const registers = [metrics.registry];
  const bound = options.accounts ?? METRICS_ACCOUNTS;
  let inFlight: Promise<LiveFigures | null> | null = null;
  const figures = (): Promise<LiveFigures | null> => {
    if (!inFlight) {
      const started = liveFigures(source, bound).catch(() => null);
      inFlight = started;
      void started.finally(() => {
        if (inFlight === started) inFlight = null;
      });
    }
    return inFlight;
  };
  new client.Gauge({
    name: "helpgate_requests_waiting",
    help: `Customers waiting (live requests not yet taken), per account: the ${METRICS_ACCOUNTS} with the most, the rest as account="${OTHER_ACCOUNTS}"`,
    labelNames: ["account"] as const,
    registers,
    async collect() {
      const f = await figures();
      if (!f) return;
      this.reset();
      for (const a of f.accounts) this.set({ account: a.account }, a.waiting);
    },
  });
  new client.Gauge({
    name: "helpgate_requests_waiting_longest_seconds",
    help: "How long the longest-waiting customer has waited, per account (same accounts as helpgate_requests_waiting)",
    labelNames: ["account"] as const,
    registers,
    async collect() {
      const f = await figures();
      if (!f) return;
      this.reset();
      for (const a of f.accounts) this.set({ account: a.account }, a.longestSeconds);
    },
  });
  new client.Gauge({
    name: "helpgate_agents_available",
    help: "Agents signed in (a console open) and set available, busy or not, per account with customers waiting",
    labelNames: ["account"] as const,
    registers,
    async collect() {
      const f = await figures();
      if (!f) return;
      this.reset();
      for (const [account, n] of f.available) this.set({ account }, n);
    },
  });
}

interface LiveFigures {
  accounts: { account: string; waiting: number; longestSeconds: number }[];
  /** Per named account (not "other"): agents available. */
  available: Map<string, number>;
}

async function liveFigures(source: LiveSource, bound: number): Promise<LiveFigures> {
  const now = source.now();
  const rows = await waitingByAccount(source.db.kysely);
  rows.sort(
    (a, b) =>
      b.waiting - a.waiting ||
      a.oldestAt - b.oldestAt ||
      (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0),
  );
  const named = rows.slice(0, bound);
  const rest = rows.slice(bound);
  const seconds = (at: number) => Math.max(0, now - at) / 1000;
  const accounts = named.map((r) => ({
    account: r.accountId,
    waiting: r.waiting,
    longestSeconds: seconds(r.oldestAt),
  }));
  if (rest.length > 0) {
    accounts.push({
      account: OTHER_ACCOUNTS,
      waiting: rest.reduce((n, r) => n + r.waiting, 0),
      longestSeconds: seconds(rest.reduce((at, r) => Math.min(at, r.oldestAt), now)),
    });
  }
  const available = await availableAgentsOf(
    source.db.kysely,
    source.presence,
    named.map((r) => r.accountId),
  );
  return { accounts, available };
}
