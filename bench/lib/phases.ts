import type WebSocket from "ws";
import type { Crowd } from "./crowd.js";
import type { Driver } from "./drivers.js";
import { AcceptedWait, AlertWait, type Fleet } from "./fleet.js";
import type { HttpResult } from "./http.js";
import { cpuMs, machineBusyMs, rssBytes } from "./proc.js";
import { type Summary, slope, summarize } from "./stats.js";
import { log, now, pool, shuffle, sleep, withTimeout } from "./util.js";

/** Server CPU use over a phase: busy milliseconds per wall-clock millisecond (1.0 = one core). */
export interface CpuUse {
  wallMs: number;
  serverCpuMs: number;
  serverCores: number;
  generatorCores: number;
  /** Everything else on the machine meanwhile (other programs compete for the same cores). */
  otherCores: number;
}

/** The server's process, or a cluster's: CPU is summed over them, RSS read from the first. */
export type Pids = number | readonly number[];

function firstPid(pid: Pids): number {
  return typeof pid === "number" ? pid : (pid[0] ?? 0);
}

function serverCpuMs(pid: Pids): number {
  return typeof pid === "number" ? cpuMs(pid) : pid.reduce((sum, p) => sum + cpuMs(p), 0);
}

/** The generator's helper processes (idle customers, the portal client): their CPU is the generator's. */
export const generatorHelpers = new Set<number>();

function helpersCpuMs(): number {
  let sum = 0;
  for (const pid of generatorHelpers) {
    try {
      sum += cpuMs(pid);
    } catch {
      // A helper that has exited counts no more.
    }
  }
  return sum;
}

export function cpuMeter(pid: Pids): () => CpuUse {
  const t0 = now();
  const s0 = serverCpuMs(pid);
  const g0 = process.cpuUsage();
  const h0 = helpersCpuMs();
  const m0 = machineBusyMs();
  return () => {
    const wallMs = now() - t0;
    const serverMs = serverCpuMs(pid) - s0;
    const g = process.cpuUsage(g0);
    const generatorMs = (g.user + g.system) / 1000 + helpersCpuMs() - h0;
    const otherMs = machineBusyMs() - m0 - serverMs - generatorMs;
    return {
      wallMs: Math.round(wallMs),
      serverCpuMs: Math.round(serverMs),
      serverCores: serverMs / wallMs,
      generatorCores: generatorMs / wallMs,
      otherCores: Math.max(0, otherMs / wallMs),
    };
  };
}

/**
 * Other programs on the machine compete for its cores and skew every latency: before a phase,
 * wait (up to maxWaitMs) for a second in which they used less than `threshold` cores.
 */
export async function waitForQuiet(pid: Pids, maxWaitMs = 30_000, threshold = 0.25): Promise<number> {
  const until = now() + maxWaitMs;
  let other = 0;
  do {
    const meter = cpuMeter(pid);
    await sleep(1000);
    other = meter().otherCores;
    if (other < threshold) return other;
  } while (now() < until);
  log(`  other programs keep ${other.toFixed(2)} cores busy; measuring anyway (see the CPU table)`);
  return other;
}

export async function connectAgents(driver: Driver, fleet: Fleet): Promise<void> {
  await pool(driver.agentCount, 25, async (i) => {
    await fleet.openAgent(i, driver.agentSocket(i));
    await driver.prepareAgent(i);
  });
}

// ── memory ─────────────────────────────────────────────────────────────────────
export interface MemoryResult {
  points: { connections: number; rssBytes: number }[];
  /** (RSS with C idle customers − RSS with none) / C. */
  kbPerConnection: number;
  /** Least-squares slope over all steps, for comparison. */
  slopeKbPerConnection: number;
  connectMs: number;
}

/** Connects the idle customers in steps, reading the server's RSS before the first and after each step. */
export async function memoryPhase(
  driver: Driver,
  crowd: Crowd,
  pid: Pids,
  customers: number,
  steps: number,
  settleMs: number,
): Promise<MemoryResult> {
  const settle = async () => {
    await sleep(settleMs);
    return rssBytes(firstPid(pid));
  };
  const points = [{ connections: 0, rssBytes: await settle() }];
  const t0 = now();
  let connected = 0;
  for (let s = 1; s <= steps; s++) {
    const target = Math.round((customers * s) / steps);
    const from = connected;
    await crowd.open(Array.from({ length: target - from }, (_, k) => driver.idleCustomerSocket(from + k)));
    connected = target;
    points.push({ connections: connected, rssBytes: await settle() });
    log(
      `  ${driver.name}: ${connected} idle customers, RSS ${((points.at(-1)?.rssBytes ?? 0) / 2 ** 20).toFixed(0)} MiB`,
    );
  }
  const first = points[0]?.rssBytes ?? 0;
  const last = points.at(-1)?.rssBytes ?? 0;
  return {
    points,
    kbPerConnection: customers > 0 ? (last - first) / customers / 1024 : Number.NaN,
    slopeKbPerConnection: slope(points.map((p) => ({ x: p.connections, y: p.rssBytes }))) / 1024,
    connectMs: Math.round(now() - t0),
  };
}

// ── alerts and the accept race ─────────────────────────────────────────────────
export interface AlertResult {
  rounds: number;
  /** Submit sent → the last of the A agents has the alert (one sample per round). */
  alertAll: Summary;
  /** Submit sent → each agent has it (A samples per round). */
  alertEach: Summary;
  /** Submit sent → the first agent has it: the server's work before the fan-out, plus one hop. */
  alertFirst: Summary;
  /** The 201 reached the customer (submit's own response time). */
  submitResponse: Summary;
  /** The winner's 200 arrived → the last losing agent's socket heard "accepted" (≤ 0: before the 200). */
  acceptRace: Summary;
  /** All accepts sent → the last losing agent heard. */
  acceptAllTold: Summary;
  /** All accepts sent → the winner's 200. */
  acceptWinner: Summary;
  problems: { missingAlerts: number; missingTold: number; badWinners: number; unexpectedStatus: number };
  cpu: CpuUse;
}

export async function alertPhase(
  driver: Driver,
  fleet: Fleet,
  pid: Pids,
  rounds: number,
  gapMs: number,
): Promise<AlertResult> {
  const A = driver.agentCount;
  const all: number[] = [];
  const each: number[] = [];
  const first: number[] = [];
  const submitResponse: number[] = [];
  const race: number[] = [];
  const allTold: number[] = [];
  const winner: number[] = [];
  const problems = { missingAlerts: 0, missingTold: 0, badWinners: 0, unexpectedStatus: 0 };
  const cpu = cpuMeter(pid);
  for (let r = 0; r < rounds; r++) {
    const name = `Bench customer r${r}-${Math.random().toString(36).slice(2, 8)}`;
    const wait = new AlertWait(name, A);
    fleet.alertWait = wait;
    const submitted = await driver.submit(name);
    const t0 = submitted.res.sentAt;
    // The customer's page opens its socket as soon as the request is in, as the browser does.
    const customer = fleet.openCustomer(submitted.customer);
    try {
      await withTimeout(wait.done.promise, 10_000, "alerts");
    } catch {
      problems.missingAlerts += A - wait.times.size;
    }
    fleet.alertWait = null;
    let last = 0;
    let firstAt = Number.POSITIVE_INFINITY;
    for (const at of wait.times.values()) {
      each.push(at - t0);
      last = Math.max(last, at - t0);
      firstAt = Math.min(firstAt, at - t0);
    }
    if (wait.times.size > 0) first.push(firstAt);
    submitResponse.push(submitted.res.doneAt - t0);
    if (wait.times.size === A) all.push(last);

    // Every alerted agent clicks Accept at once.
    const told = new AcceptedWait(submitted.requestId, A);
    fleet.acceptedWait = told;
    const order = shuffle([...wait.times.keys()]);
    const tSend = now();
    const responses = await Promise.all(
      order.map((agent) =>
        driver.accept(agent, submitted.requestId).then((res: HttpResult) => ({ agent, res })),
      ),
    );
    try {
      await withTimeout(told.done.promise, 10_000, "accepted");
    } catch {
      problems.missingTold += A - told.times.size;
    }
    fleet.acceptedWait = null;
    const wins = responses.filter((x) => x.res.status === 200);
    problems.unexpectedStatus += responses.filter((x) => x.res.status !== 200 && x.res.status !== 409).length;
    const win = wins[0];
    if (
      wins.length !== 1 ||
      !win ||
      told.winners.size !== 1 ||
      !told.winners.has(driver.agentId(win.agent))
    ) {
      problems.badWinners++;
    }
    if (win) {
      let lastTold = Number.NEGATIVE_INFINITY;
      for (const [agent, at] of told.times) if (agent !== win.agent) lastTold = Math.max(lastTold, at);
      if (told.times.size >= A) {
        race.push(lastTold - win.res.doneAt);
        allTold.push(lastTold - tSend);
      }
      winner.push(win.res.doneAt - tSend);
      await driver.endSession(win.agent, submitted.requestId);
    }
    (await customer.catch(() => null))?.terminate();
    if ((r + 1) % Math.max(1, Math.round(rounds / 5)) === 0) {
      log(`  ${driver.name}: alert round ${r + 1}/${rounds}, last alert ${last.toFixed(1)} ms`);
    }
    await sleep(gapMs);
  }
  return {
    rounds,
    alertAll: summarize(all),
    alertEach: summarize(each),
    alertFirst: summarize(first),
    submitResponse: summarize(submitResponse),
    acceptRace: summarize(race),
    acceptAllTold: summarize(allTold),
    acceptWinner: summarize(winner),
    problems,
    cpu: cpu(),
  };
}

// ── chat ───────────────────────────────────────────────────────────────────────
export interface ChatSessionHandle {
  sessionId: string;
  agent: number;
  customer: WebSocket;
}

export async function openChats(
  driver: Driver,
  fleet: Fleet,
  sessions: number,
): Promise<ChatSessionHandle[]> {
  return pool(sessions, 16, async (i) => {
    const agent = i % driver.agentCount;
    const chat = await driver.openChat(i, agent);
    const customer = await fleet.openCustomer(chat.customer);
    return { sessionId: chat.sessionId, agent, customer };
  });
}

export interface ChatResult {
  sessions: number;
  intervalMs: number;
  seconds: number;
  sent: number;
  /** Messages per second the server handled (both directions). */
  rate: number;
  /** Sender's send → the other side's socket has it. */
  latency: Summary;
  /** Sender's send → its ack (the message is in the database). */
  ack: Summary;
  lost: number;
  unacked: number;
  /** Acks whose sequence number differs from the one the receiver got. */
  seqMismatch: number;
  cpu: CpuUse;
}

/**
 * Each session exchanges one message every intervalMs, alternating customer → agent and
 * agent → customer, the sessions' start times spread evenly over one interval.
 */
export async function chatPhase(
  fleet: Fleet,
  chats: ChatSessionHandle[],
  pid: Pids,
  seconds: number,
  intervalMs: number,
): Promise<ChatResult> {
  const S = chats.length;
  const rounds = Math.max(1, Math.floor((seconds * 1000) / intervalMs));
  const total = rounds * S;
  const refs: string[] = [];
  const cpu = cpuMeter(pid);
  const start = now() + 50;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const t = now() - start;
      while (next < total) {
        const k = Math.floor(next / S);
        const i = next % S;
        const due = k * intervalMs + (i * intervalMs) / S;
        if (due > t) break;
        const c = chats[i] as ChatSessionHandle;
        const ref = `${k % 2 === 0 ? "c" : "a"}${i}.${k}`;
        refs.push(ref);
        if (k % 2 === 0) fleet.sendChat(c.customer, "customer", ref, {});
        else {
          const ws = fleet.agentSockets[c.agent];
          if (ws) fleet.sendChat(ws, "agent", ref, { sessionId: c.sessionId });
        }
        next++;
      }
      if (next >= total) resolve();
      else setTimeout(tick, 1);
    };
    setTimeout(tick, 50);
  });
  const sendWindow = cpu();
  // Stragglers: give every message up to 5 s to arrive and be acked.
  const until = now() + 5000;
  const complete = () =>
    refs.every((r) => fleet.chat.get(r)?.recvAt !== undefined && fleet.chat.get(r)?.ackAt !== undefined);
  while (now() < until && !complete()) await sleep(50);
  const latency: number[] = [];
  const ack: number[] = [];
  let lost = 0;
  let unacked = 0;
  let seqMismatch = 0;
  for (const ref of refs) {
    const rec = fleet.chat.get(ref);
    if (!rec) continue;
    if (rec.recvAt === undefined) lost++;
    else latency.push(rec.recvAt - rec.sentAt);
    if (rec.ackAt === undefined) unacked++;
    else ack.push(rec.ackAt - rec.sentAt);
    if (rec.ackSeq !== undefined && rec.recvSeq !== undefined && rec.ackSeq !== rec.recvSeq) seqMismatch++;
  }
  return {
    sessions: S,
    intervalMs,
    seconds: sendWindow.wallMs / 1000,
    sent: refs.length,
    rate: refs.length / (sendWindow.wallMs / 1000),
    latency: summarize(latency),
    ack: summarize(ack),
    lost,
    unacked,
    seqMismatch,
    cpu: sendWindow,
  };
}
