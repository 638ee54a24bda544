import { randomUUID } from "node:crypto";
import type { Deps } from "../commands/context.js";
import { type RenderedEmail, renderEmail } from "../domain/email.js";
import { afterAttempt, shouldDisableEndpoint } from "../domain/outbox.js";
import {
  claimDue,
  enqueue,
  killPendingOfWebhook,
  type OutboxRecord,
  recordResult,
  releaseLeases,
  renewLeases,
} from "../store/outbox.js";
import {
  adminAddresses,
  disableWebhook,
  findWebhooksByIds,
  insertAttempts,
  markWebhookTried,
  type NewAttempt,
  type WebhookRecord,
} from "../store/webhooks.js";
import { asLanguage, emailRow } from "./emails.js";
import type { Mailer } from "./mailer.js";
import type { WebhookSender } from "./webhookSender.js";

/** At most this many deliveries of one node in flight at once. */
const CONCURRENCY = 64;
/** Finished tries are written together: at most this many, or after this long. */
const FLUSH_SIZE = 100;
const FLUSH_MS = 10;
/**
 * At most this many claimed rows whose results are not written yet (in flight, or tried and
 * waiting for a flush). While the database writes results slower than deliveries come back
 * (PostgreSQL: one round trip per row), claiming pauses, so a flush's batch stays small — an
 * unbounded one outgrew PostgreSQL's 65,535 bind parameters and was lost — and results are written
 * long before the lease runs out.
 */
const UNRECORDED_MAX = 4 * CONCURRENCY;

interface Finished {
  row: OutboxRecord;
  ok: boolean;
  status: number | null;
  error: string | null;
  durationMs: number;
  at: number;
  webhook: WebhookRecord | null;
}

/**
 * A node's delivery loop. Woken after every commit that queued something (and every poll
 * interval for retries and other nodes' rows), it claims due rows with a lease, delivers up to
 * CONCURRENCY at once, and writes each result conditionally on still holding the row. A node that
 * dies mid-delivery leaves rows whose lease runs out; another node (or this one restarted) takes
 * them again — at least once, with the same id as the idempotency key.
 */
export class OutboxWorker {
  readonly nodeId = randomUUID();
  private running = false;
  private pumping = false;
  /** Something may be due that was not claimed yet. */
  private maybeMore = true;
  private inflight = 0;
  private finished: Finished[] = [];
  /** Tried, their results not written yet (waiting in `finished` or being flushed). */
  private unrecorded = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private pollTimer: NodeJS.Timeout | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  /** Rows this node has claimed and not yet recorded: their leases are renewed while they last. */
  private readonly held = new Set<string>();
  private idle: (() => void) | null = null;
  /** Counters since start (metrics, bench). */
  readonly counts = { delivered: 0, failed: 0, dead: 0 };

  constructor(
    private readonly deps: Deps,
    private readonly sender: WebhookSender,
    private readonly mailer: Mailer | null,
    private readonly onResult: (kind: string, outcome: "delivered" | "failed" | "dead") => void = () => {},
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    const poll = () => {
      this.pollTimer = setTimeout(() => {
        this.wake();
        poll();
      }, this.deps.config.outboxPollMs);
      this.pollTimer.unref();
    };
    poll();
    // Renew the claims still in flight well before they run out.
    const renewEvery = Math.max(100, Math.floor(this.deps.config.outboxLeaseMs / 3));
    this.renewTimer = setInterval(() => void this.renew(), renewEvery);
    this.renewTimer.unref();
    this.wake();
  }

  private async renew(): Promise<void> {
    if (this.held.size === 0) return;
    try {
      await renewLeases(
        this.deps.db.kysely,
        this.nodeId,
        [...this.held],
        this.deps.now() + this.deps.config.outboxLeaseMs,
      );
    } catch (err) {
      this.deps.log.warn(
        { err },
        "outbox: renewing the claims in flight failed; they may be delivered again",
      );
    }
  }

  /** Something was queued (or may be due): look now. */
  wake(): void {
    if (!this.running) return;
    this.maybeMore = true;
    if (!this.pumping) void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.running && this.maybeMore && this.inflight < CONCURRENCY) {
        this.maybeMore = false;
        const room = Math.min(CONCURRENCY - this.inflight, UNRECORDED_MAX - this.inflight - this.unrecorded);
        if (room <= 0) {
          // Results to write first; the flush wakes this loop again.
          this.maybeMore = true;
          break;
        }
        const now = this.deps.now();
        const rows = await claimDue(
          this.deps.db.kysely,
          this.deps.db.dialect,
          this.nodeId,
          now,
          this.deps.config.outboxLeaseMs,
          room,
        );
        if (rows.length === room) this.maybeMore = true;
        if (rows.length === 0) break;
        if (!this.running) {
          // Stopped while claiming: give the rows back for the other nodes rather than hold them.
          await releaseLeases(
            this.deps.db.kysely,
            this.nodeId,
            rows.map((r) => r.id),
          );
          break;
        }
        for (const row of rows) this.held.add(row.id);
        const hooks = await findWebhooksByIds(this.deps.db.kysely, [
          ...new Set(rows.flatMap((r) => (r.webhookId ? [r.webhookId] : []))),
        ]);
        for (const row of rows) {
          this.inflight += 1;
          void this.deliver(row, row.webhookId ? (hooks.get(row.webhookId) ?? null) : null);
        }
      }
    } catch (err) {
      this.deps.log.error({ err }, "outbox: claiming due deliveries failed; trying again at the next poll");
    } finally {
      this.pumping = false;
    }
  }

  private async deliver(row: OutboxRecord, webhook: WebhookRecord | null): Promise<void> {
    let result: { ok: boolean; status: number | null; error: string | null; durationMs: number };
    const at = this.deps.now();
    try {
      if (row.kind === "webhook") {
        if (!webhook) result = { ok: false, status: null, error: "the webhook was deleted", durationMs: 0 };
        else if (!webhook.enabled)
          result = { ok: false, status: null, error: "the webhook is switched off", durationMs: 0 };
        else
          result = await this.sender.send({
            id: row.id,
            url: webhook.url,
            secret: webhook.secret,
            body: row.payload,
            at,
          });
      } else if (!this.mailer) {
        result = {
          ok: false,
          status: null,
          error: "email is off on this server (SMTP_URL is not set)",
          durationMs: 0,
        };
      } else {
        const started = performance.now();
        const r = await this.mailer.send(row.id, JSON.parse(row.payload) as RenderedEmail);
        result = { ...r, durationMs: Math.round(performance.now() - started) };
      }
    } catch (err) {
      result = { ok: false, status: null, error: (err as Error).message, durationMs: 0 };
    }
    this.finished.push({ row, ...result, at, webhook });
    this.unrecorded += 1;
    this.inflight -= 1;
    if (this.finished.length >= FLUSH_SIZE) this.flushSoon(0);
    else this.flushSoon(FLUSH_MS);
    // With a backlog (the last claim filled all the room), claim more once half the room is free
    // instead of only after the results are written — as long as the results not yet written stay
    // few, so recording keeps up with delivering (far inside the lease). Rows tried but not yet
    // recorded stay leased to this node, so they are not claimed again meanwhile.
    if (
      this.maybeMore &&
      this.inflight <= CONCURRENCY / 2 &&
      this.inflight + this.unrecorded < UNRECORDED_MAX
    )
      this.wake();
  }

  private flushSoon(ms: number): void {
    if (this.flushTimer && ms > 0) return;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flushing = this.flushing.then(() => this.flush());
    }, ms);
  }

  private async flush(): Promise<void> {
    const batch = this.finished;
    this.finished = [];
    if (batch.length === 0) return;
    const db = this.deps.db.kysely;
    const attempts: NewAttempt[] = [];
    const disabled: WebhookRecord[] = [];
    try {
      await db.transaction().execute(async (trx) => {
        for (const f of batch) {
          // A deleted or switched-off endpoint's delivery is given up, not retried.
          const endpointGone = f.row.kind === "webhook" && !f.webhook?.enabled;
          const verdict = endpointGone
            ? ({ state: "dead" } as const)
            : afterAttempt(f.ok, { attempts: f.row.attempts, createdAt: f.row.createdAt }, f.at);
          const nextAt = verdict.state === "pending" ? verdict.nextAt : f.at;
          const mine = await recordResult(trx, {
            id: f.row.id,
            node: this.nodeId,
            state: verdict.state,
            attempts: f.row.attempts + 1,
            nextAttemptAt: nextAt,
            error: f.error,
            status: f.status,
            at: f.at,
          });
          if (!mine) continue;
          const outcome =
            verdict.state === "delivered" ? "delivered" : verdict.state === "dead" ? "dead" : "failed";
          this.counts[outcome] += 1;
          this.onResult(f.row.kind, outcome);
          if (f.row.kind === "webhook" && f.webhook && f.row.accountId) {
            attempts.push({
              accountId: f.row.accountId,
              webhookId: f.webhook.id,
              deliveryId: f.row.id,
              eventType: f.row.eventType,
              attempt: f.row.attempts + 1,
              at: f.at,
              durationMs: f.durationMs,
              status: f.status,
              error: f.error,
              nextAttemptAt: verdict.state === "pending" ? verdict.nextAt : null,
            });
          }
        }
        await insertAttempts(trx, attempts);
        // The endpoints' last status and failing-since, once per endpoint (its last try decides).
        const last = new Map<string, Finished>();
        for (const f of batch) if (f.webhook?.enabled) last.set(f.webhook.id, f);
        // In id order: two nodes flushing at once lock the endpoints' rows in the same order, so on
        // PostgreSQL they wait for each other instead of deadlocking (which would lose a whole batch
        // of results, and send it all again once the leases run out).
        for (const [id, f] of [...last].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
          await markWebhookTried(trx, id, f.ok, f.status, f.at);
          const failingSince = f.ok ? null : (f.webhook?.failingSince ?? f.at);
          if (f.webhook && !f.ok && shouldDisableEndpoint(failingSince, f.at)) {
            const reason = `Every delivery failed for 72 hours (last: ${f.error ?? "no answer"}).`;
            if (await disableWebhook(trx, id, reason, f.at)) {
              await killPendingOfWebhook(trx, id, "the webhook was switched off after failing for 72 hours");
              disabled.push({ ...f.webhook, failingSince });
              await this.tellAdmins(trx, f.webhook, failingSince ?? f.at, f.error ?? "no answer", f.at);
            }
          }
        }
      });
    } catch (err) {
      // The rows stay leased until the lease runs out, then they are tried again: nothing is lost.
      this.deps.log.error({ err, deliveries: batch.length }, "outbox: recording delivery results failed");
    }
    this.unrecorded -= batch.length;
    // Recorded (or left to run out after a failed write): no longer this node's to renew.
    for (const f of batch) this.held.delete(f.row.id);
    for (const w of disabled)
      this.deps.log.warn({ webhookId: w.id, url: w.url }, "webhook switched off after failing for 72 hours");
    if (disabled.length > 0) this.wake();
    // Room again for more.
    this.wake();
    if (this.inflight === 0 && this.finished.length === 0) this.idle?.();
  }

  private async tellAdmins(
    trx: Deps["db"]["kysely"],
    webhook: WebhookRecord,
    failingSince: number,
    lastError: string,
    now: number,
  ): Promise<void> {
    if (!this.mailer) return;
    const admins = await adminAddresses(trx, webhook.accountId);
    const adminUrl = `${this.deps.config.publicUrl}/admin/integrations`;
    await enqueue(
      trx,
      admins.map((a) =>
        emailRow(
          webhook.accountId,
          renderEmail(
            { kind: "webhook-disabled", url: webhook.url, failingSince, lastError, adminUrl },
            [a.email],
            asLanguage(a.language),
          ),
        ),
      ),
      now,
    );
  }

  /** Stops claiming; waits (a little) for deliveries in flight and writes their results. */
  async stop(graceMs = 2000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    if (this.renewTimer) clearInterval(this.renewTimer);
    if (this.inflight > 0) {
      await Promise.race([
        new Promise<void>((resolve) => {
          this.idle = resolve;
        }),
        new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref()),
      ]);
    }
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.flushing = this.flushing.then(() => this.flush());
    await this.flushing;
  }
}
