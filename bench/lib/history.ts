/**
 * A long history for one account, written fast: N requests that ended over the past months (and
 * some today), with their transitions, the sessions of the ones that were served, a few chat
 * messages each and, at queue portals, the accepted offer. Multi-row inserts of prepared SQL text
 * (no query builder per row), all in one transaction, on SQLite and PostgreSQL alike.
 *
 * Used by `npm run bench -- --history N` and by test/integration/query-plans.test.ts, so the
 * plans the test judges are the plans of the history the benchmark times.
 */
import http from "node:http";
import { CompiledQuery, type Kysely } from "kysely";
import type { Dialect } from "../../src/server/db/database.js";
import type { Database } from "../../src/server/db/schema.js";
import { httpRequest } from "./http.js";
import { rssBytes } from "./proc.js";

const DAY_MS = 24 * 60 * 60_000;

export interface HistorySpec {
  accountId: string;
  /** Portals the requests came through, used in turn. */
  portalIds: string[];
  /** Those of them that are queue portals: their served requests were offered (and accepted). */
  queuePortalIds?: string[];
  /** Agents who served them, in turn. */
  agentIds: string[];
  /** How many requests in all. */
  count: number;
  /** How many of them ended today (between local midnight and now), the rest over `days` before. */
  today: number;
  days?: number;
  /** Chat messages per served session (default 2). */
  messagesPerSession?: number;
  now: number;
  /** First 9-digit session number to use; numbers count up from here (default 300,000,000). */
  firstSessionNumber?: number;
}

export interface HistoryCounts {
  requests: number;
  requestEvents: number;
  sessions: number;
  messages: number;
  offers: number;
}

type Row = readonly (string | number | null)[];

/**
 * Buffers rows per table and writes them as multi-row INSERTs; `flushAll` writes the tables in the
 * order of `columns`, parents before children (foreign keys are checked at once on SQLite).
 */
class BatchWriter {
  private readonly buffers = new Map<string, Row[]>();
  private readonly texts = new Map<string, string>();
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    private readonly columns: Record<string, readonly string[]>,
  ) {}

  add(table: string, row: Row): void {
    let buffer = this.buffers.get(table);
    if (!buffer) {
      buffer = [];
      this.buffers.set(table, buffer);
    }
    buffer.push(row);
  }

  pending(table: string): number {
    return this.buffers.get(table)?.length ?? 0;
  }

  async flushAll(): Promise<void> {
    for (const table of Object.keys(this.columns)) await this.flush(table);
  }

  private async flush(table: string): Promise<void> {
    const rows = this.buffers.get(table);
    if (!rows || rows.length === 0) return;
    this.buffers.set(table, []);
    const params: (string | number | null)[] = [];
    for (const r of rows) params.push(...r);
    await this.db.executeQuery(CompiledQuery.raw(this.text(table, rows.length), params));
  }

  private text(table: string, n: number): string {
    const key = `${table}:${n}`;
    const cached = this.texts.get(key);
    if (cached) return cached;
    const cols = this.columns[table] ?? [];
    let p = 0;
    const tuples: string[] = [];
    for (let i = 0; i < n; i++) {
      tuples.push(`(${cols.map(() => (this.dialect === "postgres" ? `$${++p}` : "?")).join(", ")})`);
    }
    const text = `insert into ${table} (${cols.join(", ")}) values ${tuples.join(", ")}`;
    this.texts.set(key, text);
    return text;
  }
}

const COLUMNS = {
  requests: [
    "id",
    "account_id",
    "portal_id",
    "session_number",
    "kind",
    "state",
    "target_agent_id",
    "agent_id",
    "customer_name",
    "customer_email",
    "contact",
    "question",
    "language",
    "customer_token_hash",
    "created_at",
    "state_at",
  ],
  request_events: ["id", "request_id", "account_id", "state", "agent_id", "at"],
  sessions: [
    "id",
    "account_id",
    "request_id",
    "agent_id",
    "started_at",
    "ended_at",
    "last_seq",
    "ended_by",
    "outcome",
    "rating",
    "comment",
  ],
  messages: ["session_id", "seq", "account_id", "sender", "author_name", "body", "created_at"],
  offers: [
    "id",
    "account_id",
    "portal_id",
    "request_id",
    "agent_id",
    "round",
    "state",
    "created_at",
    "expires_at",
    "ended_at",
  ],
} as const;

function startOfToday(now: number): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** A fixed mix of how requests end: mostly served, some offline messages, cancels, timeouts, declines. */
function outcomeOf(i: number): "ended" | "offline" | "canceled" | "no-response" | "declined" {
  switch (i % 20) {
    case 0:
      return "offline";
    case 1:
      return "canceled";
    case 2:
      return "no-response";
    case 3:
      return "declined";
    default:
      return "ended";
  }
}

/** What the agent recorded at the end: mostly resolved, some not, some unknown, a fifth nothing. */
function sessionOutcomeOf(i: number): string | null {
  switch (i % 10) {
    case 0:
    case 1:
      return null;
    case 2:
      return "unresolved";
    case 3:
      return "unknown";
    default:
      return "resolved";
  }
}

/** Three customers in five rate the session (1–5, mostly good), one rating in four with a comment. */
function ratingOf(i: number): { rating: number | null; comment: string | null } {
  if (i % 5 >= 3) return { rating: null, comment: null };
  const rating = [5, 4, 5, 3, 5, 1, 4, 2, 5, 4][Math.floor(i / 5) % 10] as number;
  const comment =
    Math.floor(i / 5) % 4 === 0 ? (rating >= 4 ? "Quick and friendly, thank you!" : "Took too long.") : null;
  return { rating, comment };
}

/**
 * Writes the history in the caller's transaction (or opens one). Ids are deterministic per
 * account (`h-<account>-<i>`), so the same spec twice would collide: seed an account once.
 */
export async function seedHistory(
  db: Kysely<Database>,
  dialect: Dialect,
  spec: HistorySpec,
): Promise<HistoryCounts> {
  if (spec.portalIds.length === 0 || spec.agentIds.length === 0)
    throw new Error("history needs portals and agents");
  const run = async (trx: Kysely<Database>) => {
    const w = new BatchWriter(trx, dialect, COLUMNS);
    const counts: HistoryCounts = { requests: 0, requestEvents: 0, sessions: 0, messages: 0, offers: 0 };
    const queue = new Set(spec.queuePortalIds ?? []);
    const days = spec.days ?? 180;
    const perSession = spec.messagesPerSession ?? 2;
    const midnight = startOfToday(spec.now);
    // Today's requests end before now, a minute apart at most; the older ones spread evenly over
    // the `days` before today.
    const todaySpan = Math.max(60_000, spec.now - midnight - 30 * 60_000);
    const firstNumber = spec.firstSessionNumber ?? 300_000_000;
    const older = Math.max(1, spec.count - spec.today);
    const event = (requestId: string, state: string, agentId: string | null, at: number) => {
      counts.requestEvents++;
      w.add("request_events", [`${requestId}-${state}`, requestId, spec.accountId, state, agentId, at]);
    };
    for (let i = 0; i < spec.count; i++) {
      // 400 requests and their children per round of statements (under both dialects' parameter limits).
      if (w.pending("requests") >= 400) await w.flushAll();
      const id = `h-${spec.accountId}-${i}`;
      const portalId = spec.portalIds[i % spec.portalIds.length] as string;
      const agentId = spec.agentIds[i % spec.agentIds.length] as string;
      const isToday = i < spec.today;
      const createdAt = isToday
        ? midnight + Math.floor((todaySpan * i) / Math.max(1, spec.today))
        : midnight - DAY_MS * days + Math.floor((DAY_MS * days * (i - spec.today)) / older);
      const outcome = outcomeOf(i);
      const queued = queue.has(portalId);
      const kind = outcome === "declined" ? "targeted" : queued ? "queue" : "broadcast";
      const acceptedAt = createdAt + 15_000 + (i % 45) * 1000;
      const endedAt = acceptedAt + 4 * 60_000 + (i % 300) * 1000;
      // Cancels spread over the report's four buckets (< 30 s, < 2 min, < 5 min, longer).
      const canceledAfter = [12_000, 75_000, 200_000, 420_000][Math.floor(i / 20) % 4] as number;
      const stateAt =
        outcome === "ended"
          ? endedAt
          : outcome === "offline"
            ? createdAt
            : outcome === "canceled"
              ? createdAt + canceledAfter
              : createdAt + 30_000;
      counts.requests++;
      w.add("requests", [
        id,
        spec.accountId,
        portalId,
        String(firstNumber + i),
        kind,
        outcome,
        outcome === "declined" ? agentId : null,
        outcome === "ended" ? agentId : null,
        `Customer ${i}`,
        `customer${i}@history.example.com`,
        "{}",
        "The printer says PC LOAD LETTER",
        "en",
        `history-token-${i}`,
        createdAt,
        stateAt,
      ]);
      if (outcome === "offline") {
        event(id, "offline", null, createdAt);
        continue;
      }
      event(id, "waiting", null, createdAt);
      if (outcome !== "ended") {
        event(id, outcome, outcome === "declined" ? agentId : null, stateAt);
        if (queued && (outcome === "no-response" || outcome === "canceled")) {
          // Offered, and nobody took it before the customer left or the wait ran out.
          counts.offers++;
          w.add("offers", [
            `${id}-unanswered`,
            spec.accountId,
            portalId,
            id,
            agentId,
            0,
            "timed-out",
            createdAt + 1_000,
            createdAt + 21_000,
            createdAt + 21_000,
          ]);
        }
        continue;
      }
      event(id, "accepted", agentId, acceptedAt);
      event(id, "ended", null, endedAt);
      counts.sessions++;
      const { rating, comment } = ratingOf(i);
      w.add("sessions", [
        id,
        spec.accountId,
        id,
        agentId,
        acceptedAt,
        endedAt,
        perSession,
        "agent",
        sessionOutcomeOf(i),
        rating,
        comment,
      ]);
      for (let seq = 1; seq <= perSession; seq++) {
        counts.messages++;
        const fromAgent = seq % 2 === 1;
        w.add("messages", [
          id,
          seq,
          spec.accountId,
          fromAgent ? "agent" : "customer",
          fromAgent ? "Agent" : `Customer ${i}`,
          fromAgent ? "Hello, how can I help?" : "It works again, thank you.",
          acceptedAt + seq * 20_000,
        ]);
      }
      if (queued && i % 3 === 0) {
        // Offered to the next agent first, who let it time out (a queue's refusals are history too).
        counts.offers++;
        w.add("offers", [
          `${id}-refused`,
          spec.accountId,
          portalId,
          id,
          spec.agentIds[(i + 1) % spec.agentIds.length] as string,
          0,
          i % 2 === 0 ? "timed-out" : "declined",
          createdAt + 1_000,
          createdAt + 31_000,
          createdAt + 31_000,
        ]);
      }
      if (queued) {
        counts.offers++;
        w.add("offers", [
          `${id}-offer`,
          spec.accountId,
          portalId,
          id,
          agentId,
          0,
          "accepted",
          acceptedAt - 5_000,
          acceptedAt + 25_000,
          acceptedAt,
        ]);
      }
    }
    await w.flushAll();
    return counts;
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}

/**
 * GET one URL `calls` times one after another (after `warmup` unmeasured), on one kept-alive
 * connection: what each call costs the node (on SQLite a query blocks the node while it runs).
 */
export async function timeGets(
  url: string,
  headers: Record<string, string>,
  calls: number,
  warmup: number,
  what: string,
  /** Run (unmeasured) before each call, e.g. a change that makes today's kept figures stale. */
  before?: (i: number) => Promise<void>,
): Promise<{ samples: number[]; bytes: number; body: string }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const samples: number[] = [];
  let bytes = 0;
  let body = "";
  try {
    for (let i = 0; i < warmup + calls; i++) {
      if (before) await before(i);
      const res = await httpRequest(url, { headers, agent, timeoutMs: 120_000 });
      if (res.status !== 200) throw new Error(`${what}: HTTP ${res.status}: ${res.body.slice(0, 200)}`);
      bytes = Buffer.byteLength(res.body);
      body = res.body;
      if (i >= warmup) samples.push(res.doneAt - res.sentAt);
    }
  } finally {
    agent.destroy();
  }
  return { samples, bytes, body };
}

/** `GET /api/v1/console` as the agent's console asks for it on every connect, one call at a time. */
export function timeConsoleSnapshots(
  base: string,
  cookie: string,
  calls: number,
  warmup = 10,
): Promise<{ samples: number[]; bytes: number }> {
  return timeGets(`${base}/api/v1/console`, { cookie }, calls, warmup, "console snapshot");
}

/** A customer's submit at a portal (POST → 201), one at a time. */
/** One customer submit (unmeasured): a change to today's requests. */
export async function submitOnce(base: string, slug: string, i: number): Promise<void> {
  const res = await httpRequest(`${base}/api/v1/portals/${slug}/requests`, {
    method: "POST",
    headers: { origin: base },
    json: {
      values: { name: `Changing customer ${i}`, email: "customer@example.com", question: "Still there?" },
    },
    timeoutMs: 60_000,
  });
  if (res.status !== 201) throw new Error(`submit: HTTP ${res.status}: ${res.body.slice(0, 200)}`);
}

export async function timeSubmits(
  base: string,
  slug: string,
  calls: number,
  warmup: number,
): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const samples: number[] = [];
  try {
    for (let i = 0; i < warmup + calls; i++) {
      const res = await httpRequest(`${base}/api/v1/portals/${slug}/requests`, {
        method: "POST",
        headers: { origin: base },
        json: {
          values: {
            name: `History customer ${i}`,
            email: "customer@example.com",
            question: "My printer shows error E-42 after the update; can you help me?",
          },
        },
        agent,
        timeoutMs: 60_000,
      });
      if (res.status !== 201) throw new Error(`submit: HTTP ${res.status}: ${res.body.slice(0, 200)}`);
      if (i >= warmup) samples.push(res.doneAt - res.sentAt);
    }
  } finally {
    agent.destroy();
  }
  return samples;
}

export interface ExportRun {
  rows: number;
  bytes: number;
  ms: number;
  rowsPerSecond: number;
  /** The server's VmRSS just before the request and the highest seen while it streamed (every 10 ms). */
  rssBeforeBytes: number;
  rssPeakBytes: number;
}

/**
 * Downloads a CSV export as a client would, counting its lines as they arrive (nothing kept),
 * while sampling the server's RSS.
 */
export function timeExport(url: string, cookie: string, serverPid: number): Promise<ExportRun> {
  return new Promise((resolve, reject) => {
    const rssBeforeBytes = rssBytes(serverPid);
    let rssPeakBytes = rssBeforeBytes;
    const sample = () => {
      try {
        rssPeakBytes = Math.max(rssPeakBytes, rssBytes(serverPid));
      } catch {
        // the server is gone; the request fails on its own
      }
    };
    const timer = setInterval(sample, 10);
    let lines = 0;
    let bytes = 0;
    const t0 = performance.now();
    const req = http.get(url, { headers: { cookie }, timeout: 600_000 }, (res) => {
      if (res.statusCode !== 200) {
        clearInterval(timer);
        res.resume();
        reject(new Error(`export: HTTP ${res.statusCode}`));
        return;
      }
      res.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) lines++;
      });
      res.on("end", () => {
        const ms = performance.now() - t0;
        sample();
        clearInterval(timer);
        const rows = Math.max(0, lines - 1);
        resolve({ rows, bytes, ms, rowsPerSecond: rows / (ms / 1000), rssBeforeBytes, rssPeakBytes });
      });
      res.on("error", (err) => {
        clearInterval(timer);
        reject(err);
      });
    });
    req.on("timeout", () => req.destroy(new Error("export: timeout")));
    req.on("error", (err) => {
      clearInterval(timer);
      reject(err);
    });
  });
}
