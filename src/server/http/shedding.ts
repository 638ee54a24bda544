import { monitorEventLoopDelay } from "node:perf_hooks";
import v8 from "node:v8";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";

/**
 * Load shedding (README, "Load shedding"): when this node is overloaded — its event loop held too
 * long, or its heap close to V8's limit — new HTTP requests and new WebSocket upgrades are
 * answered `503` with `Retry-After` at once, before any of their work (session lookup, database)
 * is done, and `/readyz` answers 503 naming "overloaded" so a load balancer sends new traffic
 * elsewhere. What is already open keeps working: frames on open sockets (chat messages, acks) are
 * never looked at here, and neither are the probes, `/metrics` and the few HTTP calls an open
 * chat makes (NEVER_SHED).
 *
 * Measured with perf_hooks rather than @fastify/under-pressure: the plugin's figure is the mean
 * tick delay of each second, which hides a loop held by long tasks (blocked 300 ms of every
 * 400 ms reads as ~25 ms), and it is all or nothing per second, so under a lasting flood a node
 * flips between refusing everything and drowning. Here the figure is the longest the loop was
 * held in each half second, and the share let through adapts (LoadMonitor).
 */

export interface SheddingSettings {
  /** HELPGATE_SHED_EVENT_LOOP_DELAY_MS: shed while the event loop is held longer than this (0: never). */
  eventLoopDelayMs: number;
  /** HELPGATE_SHED_HEAP_USED_PERCENT: shed while the heap in use is above this share of V8's heap limit (0: never). */
  heapUsedPercent: number;
}

export type OverloadReason = "event_loop_delay" | "heap";
export const OVERLOAD_REASONS: readonly OverloadReason[] = ["event_loop_delay", "heap"];

/** What a shed request's client is told to wait (the state is looked at every half second). */
export const SHED_RETRY_AFTER_SECONDS = 2;

export const SHED_BODY = {
  error: "overloaded",
  message: "This server is very busy right now. Please try again in a moment.",
} as const;

/**
 * Route patterns never shed: the probes and the metrics (a load balancer and Prometheus must see
 * the node as it is), and what an open chat does over HTTP — the session's end (agent's and
 * customer's; a waiting customer giving up) frees an agent and ends work, and the chat messages'
 * REST routes are the customer page's path while its socket is away (a new upgrade is shed).
 */
export const NEVER_SHED: ReadonlySet<string> = new Set([
  "/livez",
  "/readyz",
  "/healthz",
  "/metrics",
  "/api/v1/sessions/:sessionId/end",
  "/api/v1/sessions/:sessionId/messages",
  "/api/v1/customer/requests/:requestId/end",
  "/api/v1/customer/requests/:requestId/cancel",
  "/api/v1/customer/requests/:requestId/messages",
]);

/** How often the load is looked at. */
const SAMPLE_MS = 500;
/** monitorEventLoopDelay's timer (its figures include it; it is taken off). */
const RESOLUTION_MS = 10;
/** Samples over a limit in a row before shedding starts (one slow task is not overload). */
const ENTER_SAMPLES = 2;
/** While shedding, the share of new requests let through (percent) grows by this per calm sample… */
const ADMIT_STEP_PERCENT = 20;
/** …and halves per sample over a limit; below this it is 0 (everything new is shed). */
const ADMIT_FLOOR_PERCENT = 10;

export interface LoadSample {
  /** The longest the event loop was held since the sample before (ms). */
  eventLoopDelayMs: number;
  heapUsedBytes: number;
  heapLimitBytes: number;
}

export interface LoadMonitorHooks {
  /** Shedding started (reason) or ended (null). */
  changed?(reason: OverloadReason | null, sample: LoadSample): void;
}

/**
 * Watches the event loop and the heap. Overloaded once two samples in a row are over a limit:
 * from then on every new request is shed, and each sample under the limits lets a fifth more of
 * them through (each sample over halves the share again), so a node under a lasting flood settles
 * where it serves what it can within the limit instead of flipping between drowning and refusing
 * everything; once all are let through again (after 2.5 s calm at least) it is no longer overloaded.
 */
export class LoadMonitor {
  private current: OverloadReason | null = null;
  /** While overloaded: the share of new requests let through, in percent. */
  private admitPercent = 100;
  private over = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private lastAt = 0;
  private readonly heapLimit: number;

  constructor(
    private readonly settings: SheddingSettings,
    private readonly hooks: LoadMonitorHooks = {},
    private readonly random: () => number = Math.random,
  ) {
    this.heapLimit = v8.getHeapStatistics().heap_size_limit;
  }

  get enabled(): boolean {
    return this.settings.eventLoopDelayMs > 0 || this.settings.heapUsedPercent > 0;
  }

  /** Why the node is overloaded now, or null when it is not. */
  get reason(): OverloadReason | null {
    return this.current;
  }

  get overloaded(): boolean {
    return this.current !== null;
  }

  /** Whether a new request is to be shed now (while overloaded: all, or all but the share let through). */
  shedNow(): boolean {
    if (this.current === null) return false;
    return this.admitPercent === 0 || this.random() * 100 >= this.admitPercent;
  }

  start(): void {
    if (!this.enabled || this.timer) return;
    this.histogram.enable();
    this.lastAt = performance.now();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.histogram.disable();
  }

  private sample(): void {
    const at = performance.now();
    // The histogram's longest tick, or this timer's own lateness (a block that ended just now may
    // not be in the histogram yet), whichever is longer.
    const recorded = this.histogram.count > 0 ? this.histogram.max / 1e6 - RESOLUTION_MS : 0;
    const late = at - this.lastAt - SAMPLE_MS;
    this.histogram.reset();
    this.lastAt = at;
    const heap = v8.getHeapStatistics();
    const sample: LoadSample = {
      eventLoopDelayMs: Math.round(Math.max(0, recorded, late)),
      heapUsedBytes: heap.used_heap_size,
      heapLimitBytes: this.heapLimit,
    };
    const reason = this.overReason(sample);
    if (this.current === null) {
      this.over = reason ? this.over + 1 : 0;
      if (!reason || this.over < ENTER_SAMPLES) return;
      this.over = 0;
      this.admitPercent = 0;
      this.current = reason;
      this.hooks.changed?.(reason, sample);
      return;
    }
    if (reason) {
      const half = Math.floor(this.admitPercent / 2);
      this.admitPercent = half < ADMIT_FLOOR_PERCENT ? 0 : half;
      if (reason !== this.current) {
        this.current = reason;
        this.hooks.changed?.(reason, sample);
      }
      return;
    }
    this.admitPercent = Math.min(100, this.admitPercent + ADMIT_STEP_PERCENT);
    if (this.admitPercent === 100) {
      this.current = null;
      this.hooks.changed?.(null, sample);
    }
  }

  private overReason(s: LoadSample): OverloadReason | null {
    const { eventLoopDelayMs, heapUsedPercent } = this.settings;
    if (heapUsedPercent > 0 && s.heapUsedBytes > (s.heapLimitBytes * heapUsedPercent) / 100) return "heap";
    if (eventLoopDelayMs > 0 && s.eventLoopDelayMs > eventLoopDelayMs) return "event_loop_delay";
    return null;
  }
}

/**
 * The first onRequest hook after the request ids: while the monitor says overloaded, new
 * requests (but NEVER_SHED's) are answered 503 — all of them, or all but the share the monitor
 * lets through — before any other hook (session lookup, security headers) runs. WebSocket upgrades pass through the same hook (@fastify/websocket routes them),
 * so a new or reconnecting socket is refused the same way; frames on open sockets never are.
 */
export function installShedding(
  app: FastifyInstance,
  monitor: LoadMonitor,
  shed: (reason: OverloadReason) => void,
): void {
  if (!monitor.enabled) return;
  app.addHook("onRequest", async (request, reply) => {
    const reason = monitor.reason;
    if (reason === null || NEVER_SHED.has(request.routeOptions.url ?? "") || !monitor.shedNow()) return;
    shed(reason);
    reply
      .code(503)
      .header("retry-after", String(SHED_RETRY_AFTER_SECONDS))
      .header("cache-control", "no-store")
      .type("application/json; charset=utf-8");
    return reply.send(SHED_BODY);
  });
  // Load is judged from when the node serves: before, a first start's synchronous work (the
  // demo history) held the loop and the node shed its first requests for nothing; a server that
  // never listens (one driven by inject, as in tests) is not judged at all.
  app.addHook("onListen", async () => monitor.start());
  app.addHook("onClose", async () => monitor.stop());
}

/**
 * Test-only overload (HELPGATE_FAILPOINT=busy-loop:<busy ms>/<every ms>): from the first SIGUSR2
 * on, the event loop is held in a busy loop for <busy> ms every <every> ms; the next SIGUSR2 ends
 * it (and the one after starts it again). Returns what removes it, or null for other failpoints.
 */
export function installBusyLoopFailpoint(
  failpoint: string | null,
  log: FastifyBaseLogger,
): (() => void) | null {
  const m = /^busy-loop:(\d+)\/(\d+)$/.exec(failpoint ?? "");
  if (!m) return null;
  const busyMs = Number(m[1]);
  const everyMs = Math.max(1, Number(m[2]));
  let timer: NodeJS.Timeout | null = null;
  const toggle = () => {
    if (timer) {
      clearInterval(timer);
      timer = null;
      log.warn("failpoint busy-loop: ended");
      return;
    }
    log.warn({ busyMs, everyMs }, "failpoint busy-loop: holding the event loop");
    timer = setInterval(() => {
      const until = performance.now() + busyMs;
      while (performance.now() < until) {
        // busy on purpose: a test's overload
      }
    }, everyMs);
  };
  process.on("SIGUSR2", toggle);
  return () => {
    process.off("SIGUSR2", toggle);
    if (timer) clearInterval(timer);
    timer = null;
  };
}
