import path from "node:path";
import autocannon from "autocannon";
import type { Fleet } from "./fleet.js";
import { Helper } from "./helper.js";
import { httpRequest } from "./http.js";
import type { ChatSessionHandle } from "./phases.js";
import { type Summary, summarize } from "./stats.js";
import { now, sleep } from "./util.js";

/**
 * `--overload`: one node with S chat sessions open, pushed past its limit by a flood of new HTTP
 * requests (autocannon from a process of its own against the uncached portal page), with load
 * shedding on and off. Measures what share of the chat messages still arrived and how fast,
 * before, during and after the flood; how many of the flood's requests were served, shed (503)
 * or failed; and how long the node took to recover once the flood ended.
 */

/** Wall-clock milliseconds, comparable between the generator's processes on one machine. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

export interface FloodResult {
  connections: number;
  seconds: number;
  startedAt: number;
  endedAt: number;
  served: number;
  shed: number;
  /** Answers other than 2xx and 503. */
  otherStatus: number;
  /** Connection errors and timeouts (autocannon counts timeouts among the errors). */
  errors: number;
  timeouts: number;
  servedLatency: Summary;
  shedLatency: Summary;
}

/** autocannon flat out against `url` for `seconds` (in the flood client's process). */
export async function floodRun(url: string, connections: number, seconds: number): Promise<FloodResult> {
  const served: number[] = [];
  const shed: number[] = [];
  let otherStatus = 0;
  const startedAt = epochNow();
  const instance = autocannon({
    url,
    connections,
    duration: seconds,
    timeout: 10,
    headers: { "accept-language": "en" },
  });
  instance.on("response", (_client, status, _bytes, responseTime) => {
    if (status >= 200 && status < 300) served.push(responseTime);
    else if (status === 503) shed.push(responseTime);
    else otherStatus++;
  });
  const result = await instance;
  return {
    connections,
    seconds,
    startedAt,
    endedAt: epochNow(),
    served: served.length,
    shed: shed.length,
    otherStatus,
    errors: result.errors,
    timeouts: result.timeouts,
    servedLatency: summarize(served),
    shedLatency: summarize(shed),
  };
}

/** The flood's client in its own process (bench/lib/floodClient.ts). */
export class FloodClient {
  private constructor(private readonly helper: Helper) {}

  static start(root: string): FloodClient {
    return new FloodClient(Helper.start("flood client", path.join(root, "bench/lib/floodClient.ts"), root));
  }

  flood(url: string, connections: number, seconds: number): Promise<FloodResult> {
    return this.helper.call<FloodResult>({ type: "flood", url, connections, seconds });
  }

  stop(): Promise<void> {
    return this.helper.stop();
  }
}

export type Window = "before" | "during" | "after";
export const WINDOWS: readonly Window[] = ["before", "during", "after"];

export interface ChatWindow {
  sent: number;
  /** Share of the messages sent in this window that reached the other side (0–1). */
  arrived: number;
  acked: number;
  latency: Summary;
}

export interface Probe {
  /** performance.now() of this process when sent. */
  sentAt: number;
  /** 0: no answer (error or timeout). */
  status: number;
  ms: number;
}

export interface OverloadResult {
  /** HELPGATE_SHED_EVENT_LOOP_DELAY_MS of the node; null: shedding off. */
  limitMs: number | null;
  sessions: number;
  flood: FloodResult;
  chat: Record<Window, ChatWindow>;
  /** One portal page at a time from this process, every 100 ms: what a new visitor sees. */
  probes: Record<Window, { count: number; served: number; shed: number; failed: number; latency: Summary }>;
  /** A served probe's normal latency: 2× the p99 before the flood (at least 5 ms). */
  normalMs: number;
  /** Flood end → the first probe served within normalMs after the last 503 (NaN: not within the after window). */
  recoveryMs: number;
}

export interface OverloadOptions {
  limitMs: number | null;
  beforeSeconds: number;
  floodSeconds: number;
  afterSeconds: number;
  connections: number;
  /** One message per session every this many ms, alternating customer → agent and agent → customer. */
  intervalMs: number;
}

/**
 * The chats keep talking through the whole run (before, during and after the flood) while a
 * probe asks for the portal page one request at a time; the flood runs in between.
 */
export async function overloadPhase(
  fleet: Fleet,
  chats: ChatSessionHandle[],
  client: FloodClient,
  url: string,
  o: OverloadOptions,
): Promise<OverloadResult> {
  const S = chats.length;
  const sent: { ref: string; at: number }[] = [];
  const probes: Probe[] = [];
  let running = true;
  const start = now() + 50;
  let next = 0;
  const tick = () => {
    if (!running) return;
    const t = now() - start;
    for (;;) {
      const k = Math.floor(next / S);
      const i = next % S;
      const due = k * o.intervalMs + (i * o.intervalMs) / S;
      if (due > t) break;
      const c = chats[i] as ChatSessionHandle;
      const ref = `o${o.limitMs ?? 0}.${i}.${k}`;
      if (k % 2 === 0) fleet.sendChat(c.customer, "customer", ref, {});
      else {
        const ws = fleet.agentSockets[c.agent];
        if (ws) fleet.sendChat(ws, "agent", ref, { sessionId: c.sessionId });
      }
      sent.push({ ref, at: now() });
      next++;
    }
    setTimeout(tick, 1);
  };
  setTimeout(tick, 50);
  const probing = (async () => {
    while (running) {
      const sentAt = now();
      const res = await httpRequest(url, { headers: { "accept-language": "en" }, timeoutMs: 10_000 }).catch(
        () => null,
      );
      probes.push({ sentAt, status: res?.status ?? 0, ms: (res?.doneAt ?? now()) - sentAt });
      await sleep(100);
    }
  })();
  await sleep(o.beforeSeconds * 1000);
  const flood = await client.flood(url, o.connections, o.floodSeconds);
  // The flood's start and end on this process's clock.
  const floodStart = flood.startedAt - performance.timeOrigin;
  const floodEnd = flood.endedAt - performance.timeOrigin;
  await sleep(Math.max(0, floodEnd + o.afterSeconds * 1000 - now()));
  running = false;
  await probing;
  // Stragglers: every message gets up to 15 s more to arrive and be acknowledged.
  const until = now() + 15_000;
  const complete = () =>
    sent.every(
      (s) => fleet.chat.get(s.ref)?.recvAt !== undefined && fleet.chat.get(s.ref)?.ackAt !== undefined,
    );
  while (now() < until && !complete()) await sleep(100);

  const windowOf = (at: number): Window => (at < floodStart ? "before" : at < floodEnd ? "during" : "after");
  const chat = {} as Record<Window, ChatWindow>;
  for (const w of WINDOWS) {
    const mine = sent.filter((s) => windowOf(s.at) === w);
    const latency: number[] = [];
    let acked = 0;
    for (const s of mine) {
      const rec = fleet.chat.get(s.ref);
      if (rec?.recvAt !== undefined) latency.push(rec.recvAt - rec.sentAt);
      if (rec?.ackAt !== undefined) acked++;
    }
    chat[w] = {
      sent: mine.length,
      arrived: mine.length ? latency.length / mine.length : Number.NaN,
      acked: mine.length ? acked / mine.length : Number.NaN,
      latency: summarize(latency),
    };
  }
  const probeWindows = {} as OverloadResult["probes"];
  for (const w of WINDOWS) {
    const mine = probes.filter((p) => windowOf(p.sentAt) === w);
    const served = mine.filter((p) => p.status >= 200 && p.status < 300);
    probeWindows[w] = {
      count: mine.length,
      served: served.length,
      shed: mine.filter((p) => p.status === 503).length,
      failed: mine.filter((p) => p.status !== 503 && (p.status < 200 || p.status >= 300)).length,
      latency: summarize(served.map((p) => p.ms)),
    };
  }
  const normalMs = Math.max(5, 2 * (probeWindows.before.latency.p99 || 0));
  const after = probes.filter((p) => p.sentAt >= floodEnd);
  const lastShed = after.reduce((at, p) => (p.status === 503 ? Math.max(at, p.sentAt) : at), floodEnd);
  const recovered = after.find(
    (p) => p.sentAt > lastShed && p.status >= 200 && p.status < 300 && p.ms <= normalMs,
  );
  return {
    limitMs: o.limitMs,
    sessions: S,
    flood,
    chat,
    probes: probeWindows,
    normalMs,
    recoveryMs: recovered ? recovered.sentAt + recovered.ms - floodEnd : Number.NaN,
  };
}
