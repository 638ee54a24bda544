/**
 * The outbox's webhooks under load: a local receiver (a real node:http server on 127.0.0.1 that
 * answers 200 at once), throughput of one node's OutboxWorker through a backlog of pending rows,
 * and the delay from a command's commit to the receiver for events made through the API.
 */
import http from "node:http";
import { Webhook as Verifier } from "standardwebhooks";
import { openDatabase } from "../../src/server/db/database.js";
import { type RequestData, webhookBody } from "../../src/server/outbox/payloads.js";
import { enqueue, type NewOutboxRow } from "../../src/server/store/outbox.js";
import { WEBHOOK_EVENT_TYPES, type WebhookEventType, type WebhookWithSecret } from "../../src/shared/api.js";
import type { Seed } from "../seed.js";
import { QUESTION_SLUG } from "../seed.js";
import { type HttpResult, httpRequest, jsonOf } from "./http.js";
import { type CpuUse, cpuMeter, type Pids } from "./phases.js";
import { type Summary, summarize } from "./stats.js";
import { log, now, sleep } from "./util.js";

export interface Arrival {
  /** The webhook-id header (the delivery's id). */
  id: string;
  /** performance.now() when the whole body was in. */
  at: number;
  body: string;
}

/**
 * Counts what arrives by webhook-id (every delivery once, none twice), checks each signature
 * when given the endpoint's secret, and hands each arrival to `onArrival`. It answers 200 before
 * reading the body, as a receiver that queues the work for later would.
 */
export class WebhookReceiver {
  readonly seen = new Map<string, number>();
  received = 0;
  badSignatures = 0;
  firstAt = Number.NaN;
  lastAt = Number.NaN;
  onArrival: ((a: Arrival) => void) | null = null;
  private verifier: Verifier | null = null;
  /** Connections opened since the last reset: keep-alive reuse shows as few. */
  connectionsOpened = 0;

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {
    server.on("connection", () => {
      this.connectionsOpened++;
    });
  }

  static async start(): Promise<WebhookReceiver> {
    const server = http.createServer();
    // Keep the worker's connections across pauses longer than its agent would (it closes first).
    server.keepAliveTimeout = 60_000;
    server.headersTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const addr = server.address();
    const port = typeof addr === "object" && addr ? addr.port : 0;
    const receiver = new WebhookReceiver(server, `http://127.0.0.1:${port}/hook`);
    server.on("request", (req, res) => receiver.handle(req, res));
    return receiver;
  }

  /** Forget what arrived; check signatures with this secret from now on (null: do not check). */
  reset(secret: string | null): void {
    this.seen.clear();
    this.received = 0;
    this.badSignatures = 0;
    this.firstAt = Number.NaN;
    this.lastAt = Number.NaN;
    this.connectionsOpened = 0;
    this.verifier = secret ? new Verifier(secret) : null;
  }

  get unique(): number {
    return this.seen.size;
  }

  get duplicates(): number {
    return this.received - this.seen.size;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, { "content-length": "0" });
    res.end();
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const at = now();
      const id = String(req.headers["webhook-id"] ?? "");
      const body = Buffer.concat(chunks).toString("utf8");
      this.received++;
      this.seen.set(id, (this.seen.get(id) ?? 0) + 1);
      if (Number.isNaN(this.firstAt)) this.firstAt = at;
      this.lastAt = at;
      if (this.verifier) {
        try {
          this.verifier.verify(body, {
            "webhook-id": id,
            "webhook-timestamp": String(req.headers["webhook-timestamp"] ?? ""),
            "webhook-signature": String(req.headers["webhook-signature"] ?? ""),
          });
        } catch {
          this.badSignatures++;
        }
      }
      this.onArrival?.({ id, at, body });
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The account admin as a browser: cookie and origin. */
export function adminHeaders(base: string, seeded: Seed): Record<string, string> {
  return { cookie: `hg_session=${seeded.adminToken}`, origin: base };
}

/** POST /api/v1/accounts/:accountId/webhooks as the admin. */
export async function createWebhook(
  base: string,
  seeded: Seed,
  url: string,
  events: readonly WebhookEventType[],
  description: string,
): Promise<WebhookWithSecret> {
  const res = await httpRequest(`${base}/api/v1/accounts/${seeded.accountId}/webhooks`, {
    method: "POST",
    headers: adminHeaders(base, seeded),
    json: { url, events, description },
  });
  return jsonOf<WebhookWithSecret>(res, 201, "POST /api/v1/accounts/:accountId/webhooks");
}

export async function deleteWebhook(base: string, seeded: Seed, webhookId: string): Promise<void> {
  const res = await httpRequest(`${base}/api/v1/accounts/${seeded.accountId}/webhooks/${webhookId}`, {
    method: "DELETE",
    headers: adminHeaders(base, seeded),
  });
  if (res.status !== 204) throw new Error(`DELETE webhook: HTTP ${res.status} ${res.body.slice(0, 200)}`);
}

// ── throughput ────────────────────────────────────────────────────────────────
export interface ThroughputResult {
  database: "sqlite" | "postgres";
  deliveries: number;
  /** Distinct webhook-ids the receiver got, all deliveries it got, and those with a bad signature. */
  received: number;
  duplicates: number;
  badSignatures: number;
  /** Rows in state delivered once the run ended (all N when nothing was lost). */
  recordedDelivered: number;
  /** Writing the N rows (one transaction, 500 rows a statement). */
  enqueueMs: number;
  /** Commit of the rows → the first arrival (the worker's poll: it was not woken by this process). */
  waitForPollMs: number;
  /** First arrival → last arrival. */
  spanMs: number;
  /** Last arrival → every row recorded as delivered (the last batch of results written). */
  recordTailMs: number;
  /** N / (first arrival → all recorded). */
  perSecond: number;
  /** Connections the receiver accepted during the run (keep-alive: at most the worker's 64). */
  connections: number;
  cpu: CpuUse;
}

/** A request.submitted body as the staged reaction writes it (same shape, similar size). */
function sampleBody(i: number, portal: { id: string; slug: string; name: string }, at: number): string {
  const iso = new Date(at).toISOString();
  const request: RequestData = {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    sessionNumber: String(200_000_000 + i),
    kind: "broadcast",
    state: "waiting",
    portal,
    customer: {
      name: `Throughput customer ${i}`,
      email: `customer${i}@example.com`,
      contact: { name: `Throughput customer ${i}`, email: `customer${i}@example.com` },
    },
    question: "My printer shows error E-42 after the update; can you help me get it working again?",
    language: "en",
    createdAt: iso,
    endedAt: null,
    outcome: null,
  };
  return webhookBody("request.submitted", at, { request });
}

/**
 * Seeds `count` pending webhook rows for one endpoint straight into the node's database with
 * `enqueue()` (one transaction), then times the running node's OutboxWorker until the receiver has
 * every one and every row is recorded as delivered.
 */
export async function throughputPhase(input: {
  database: "sqlite" | "postgres";
  databaseUrl: string;
  base: string;
  seeded: Seed;
  receiver: WebhookReceiver;
  pid: Pids;
  count: number;
}): Promise<ThroughputResult> {
  const { base, seeded, receiver, count } = input;
  const hook = await createWebhook(base, seeded, receiver.url, ["request.submitted"], "bench: throughput");
  receiver.reset(hook.secret);
  const db = openDatabase(input.databaseUrl);
  try {
    const portal = await db.kysely
      .selectFrom("portals")
      .select(["id", "slug", "name"])
      .where("slug", "=", QUESTION_SLUG)
      .executeTakeFirstOrThrow();
    const at = Date.now();
    const rows: NewOutboxRow[] = Array.from({ length: count }, (_, i) => ({
      accountId: seeded.accountId,
      kind: "webhook",
      webhookId: hook.id,
      eventType: "request.submitted",
      recipient: hook.url,
      payload: sampleBody(i, portal, at),
    }));
    const cpu = cpuMeter(input.pid);
    const t0 = now();
    await db.kysely.transaction().execute(async (trx) => {
      for (let from = 0; from < rows.length; from += 500)
        await enqueue(trx, rows.slice(from, from + 500), at);
    });
    const committed = now();
    const enqueueMs = committed - t0;
    log(`  ${input.database}: ${count} rows enqueued in ${enqueueMs.toFixed(0)} ms; waiting for the worker`);
    // Generous: even at 100/s the run ends; a stall (no new arrival for 30 s) ends it sooner.
    const deadline = committed + 60_000 + count * 10;
    let lastCount = -1;
    let lastChange = now();
    let nextLog = now() + 5000;
    while (receiver.unique < count && now() < deadline && now() - lastChange < 30_000) {
      await sleep(20);
      if (receiver.unique !== lastCount) {
        lastCount = receiver.unique;
        lastChange = now();
      }
      if (now() > nextLog) {
        log(`  ${input.database}: ${receiver.unique}/${count} received`);
        nextLog = now() + 5000;
      }
    }
    const delivered = async () => {
      const r = await db.kysely
        .selectFrom("outbox")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("webhook_id", "=", hook.id)
        .where("state", "=", "delivered")
        .executeTakeFirstOrThrow();
      return Number(r.n);
    };
    // Only the tail is polled: reading during the bulk would compete with the worker's writes.
    let recorded = await delivered();
    const recordDeadline = now() + 10_000;
    while (recorded < count && now() < recordDeadline) {
      await sleep(5);
      recorded = await delivered();
    }
    const allRecorded = now();
    const cpuUse = cpu();
    // Wait a moment for stray second deliveries (there should be none).
    await sleep(500);
    const spanToRecorded = allRecorded - receiver.firstAt;
    return {
      database: input.database,
      deliveries: count,
      received: receiver.unique,
      duplicates: receiver.duplicates,
      badSignatures: receiver.badSignatures,
      recordedDelivered: recorded,
      enqueueMs,
      waitForPollMs: receiver.firstAt - committed,
      spanMs: receiver.lastAt - receiver.firstAt,
      recordTailMs: allRecorded - receiver.lastAt,
      perSecond: recorded / (spanToRecorded / 1000),
      connections: receiver.connectionsOpened,
      cpu: cpuUse,
    };
  } finally {
    await db.close();
    await deleteWebhook(base, seeded, hook.id).catch(() => {});
  }
}

// ── latency from commit ───────────────────────────────────────────────────────
export interface LatencyResult {
  events: number;
  rate: number;
  seconds: number;
  /** Commit (the command's HTTP answer arrived) → the delivery is at the receiver. */
  latency: Summary;
  /** By kind of event. */
  submitted: Summary;
  offline: Summary;
  missing: number;
  duplicates: number;
  badSignatures: number;
  /** Every delivery the receiver got meanwhile (the other event types too). */
  received: number;
  httpErrors: number;
  cpu: CpuUse;
}

interface Pending {
  doneAt: number | null;
  arrivedAt: number | null;
  kind: "submitted" | "offline";
}

/**
 * Real events through the API at a steady rate (open loop): customer requests at the question
 * portal (request.submitted) and offline messages (offline_message.received), in turn, each
 * delivered to an endpoint subscribed to every event type. The staged reaction writes the rows
 * in the command's transaction; the latency runs from the command's HTTP answer (just after the
 * commit) to the delivery's arrival, matched by request id / session number. A delivery may
 * arrive before the answer does (negative).
 */
export async function latencyPhase(input: {
  base: string;
  seeded: Seed;
  receiver: WebhookReceiver;
  pid: Pids;
  rate: number;
  seconds: number;
  submit: (name: string) => Promise<{ res: HttpResult; requestId: string }>;
}): Promise<LatencyResult> {
  const { base, seeded, receiver, rate, seconds } = input;
  const hook = await createWebhook(base, seeded, receiver.url, WEBHOOK_EVENT_TYPES, "bench: latency");
  receiver.reset(hook.secret);
  const byKey = new Map<string, Pending>();
  const early = new Map<string, number>();
  receiver.onArrival = (a) => {
    let parsed: { type?: string; data?: { request?: { id?: string; sessionNumber?: string } } };
    try {
      parsed = JSON.parse(a.body) as typeof parsed;
    } catch {
      return;
    }
    const key =
      parsed.type === "request.submitted"
        ? `r:${parsed.data?.request?.id ?? ""}`
        : parsed.type === "offline_message.received"
          ? `o:${parsed.data?.request?.sessionNumber ?? ""}`
          : null;
    if (!key) return;
    const p = byKey.get(key);
    if (p) {
      if (p.arrivedAt === null) p.arrivedAt = a.at;
    } else if (!early.has(key)) early.set(key, a.at);
  };
  const customers = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.max(2, Math.round(rate * seconds));
  let httpErrors = 0;
  const inflight: Promise<void>[] = [];
  const cpu = cpuMeter(input.pid);
  const start = now() + 50;
  try {
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - now();
      if (wait > 0) await sleep(wait);
      const name = `Webhook customer ${i}`;
      if (i % 2 === 0) {
        inflight.push(
          input.submit(name).then(
            (s) => {
              const key = `r:${s.requestId}`;
              byKey.set(key, { doneAt: s.res.doneAt, arrivedAt: early.get(key) ?? null, kind: "submitted" });
            },
            () => {
              httpErrors++;
            },
          ),
        );
      } else {
        inflight.push(
          httpRequest(`${base}/api/v1/portals/${QUESTION_SLUG}/offline`, {
            method: "POST",
            headers: { origin: base },
            json: { values: { name, email: `offline${i}@example.com`, question: "Please call me back." } },
            agent: customers,
          }).then(
            (res) => {
              if (res.status !== 201) {
                httpErrors++;
                return;
              }
              const { sessionNumber } = JSON.parse(res.body) as { sessionNumber: string };
              const key = `o:${sessionNumber}`;
              byKey.set(key, { doneAt: res.doneAt, arrivedAt: early.get(key) ?? null, kind: "offline" });
            },
            () => {
              httpErrors++;
            },
          ),
        );
      }
    }
    await Promise.all(inflight);
    const sendWindow = cpu();
    const until = now() + 10_000;
    while (now() < until && [...byKey.values()].some((p) => p.arrivedAt === null)) await sleep(20);
    const all: number[] = [];
    const submitted: number[] = [];
    const offline: number[] = [];
    let missing = 0;
    for (const p of byKey.values()) {
      if (p.arrivedAt === null || p.doneAt === null) {
        missing++;
        continue;
      }
      const ms = p.arrivedAt - p.doneAt;
      all.push(ms);
      (p.kind === "submitted" ? submitted : offline).push(ms);
    }
    await sleep(300);
    return {
      events: byKey.size,
      rate,
      seconds: sendWindow.wallMs / 1000,
      latency: summarize(all),
      submitted: summarize(submitted),
      offline: summarize(offline),
      missing,
      duplicates: receiver.duplicates,
      badSignatures: receiver.badSignatures,
      received: receiver.unique,
      httpErrors,
      cpu: sendWindow,
    };
  } finally {
    receiver.onArrival = null;
    customers.destroy();
    await deleteWebhook(base, seeded, hook.id).catch(() => {});
  }
}

/** While the alert phase runs with webhooks on: what the receiver got. */
export interface AlertWebhookStats {
  received: number;
  duplicates: number;
  badSignatures: number;
  byType: Record<string, number>;
}

export function countTypes(receiver: WebhookReceiver): () => AlertWebhookStats {
  const byType: Record<string, number> = {};
  receiver.onArrival = (a) => {
    const type = /"type":"([^"]+)"/.exec(a.body)?.[1] ?? "?";
    byType[type] = (byType[type] ?? 0) + 1;
  };
  return () => {
    receiver.onArrival = null;
    return {
      received: receiver.unique,
      duplicates: receiver.duplicates,
      badSignatures: receiver.badSignatures,
      byType,
    };
  };
}
