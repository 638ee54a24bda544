import http from "node:http";
import path from "node:path";
import autocannon from "autocannon";
import { Helper } from "./helper.js";
import { type CpuUse, cpuMeter, type Pids } from "./phases.js";
import { type Summary, summarize } from "./stats.js";
import { now } from "./util.js";

export interface PortalRun {
  /** Requested rate (null: as fast as it goes). */
  rate: number | null;
  /** autocannon connections (0: the paced open-loop client). */
  connections: number;
  seconds: number;
  requestsPerSecond: number;
  /** Per-request response time (autocannon's 'response' event), ms. */
  latency: Summary;
  errors: number;
  non2xx: number;
  cpu: CpuUse;
}

/** GET the portal page with autocannon at a fixed overall rate, or flat out. */
export async function portalRun(
  url: string,
  pid: Pids,
  seconds: number,
  rate: number | null,
  connections: number,
): Promise<PortalRun> {
  const samples: number[] = [];
  const meter = cpuMeter(pid);
  const instance = autocannon({
    url,
    connections,
    duration: seconds,
    timeout: 10,
    headers: { "accept-language": "en" },
    ...(rate === null ? {} : { overallRate: rate }),
  });
  instance.on("response", (_client, _status, _bytes, responseTime) => {
    samples.push(responseTime);
  });
  const result = await instance;
  const cpu = meter();
  return {
    rate,
    connections,
    seconds,
    requestsPerSecond: samples.length / (cpu.wallMs / 1000),
    latency: summarize(samples),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    cpu,
  };
}

/**
 * The same page at an evenly paced 1,000 requests a second from independent clients (an open
 * loop, as many browsers arrive): request i is due at start + i/rate, and its latency counts from
 * when it was due, so a slow server cannot hide queueing by slowing the generator down.
 * autocannon's overallRate instead lets each connection send its quota back to back at the start
 * of every second, which measures a queue as deep as its connection count.
 */
export async function portalPaced(url: string, pid: Pids, seconds: number, rate: number): Promise<PortalRun> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });
  const samples: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const total = Math.round(seconds * rate);
  const meter = cpuMeter(pid);
  const start = now() + 20;
  let next = 0;
  let done = 0;
  await new Promise<void>((resolve) => {
    const finish = () => {
      done++;
      if (done === total) resolve();
    };
    const tick = () => {
      const t = now();
      while (next < total && start + (next * 1000) / rate <= t) {
        const due = start + (next * 1000) / rate;
        next++;
        const req = http.get(url, { agent, headers: { "accept-language": "en" }, timeout: 10_000 }, (res) => {
          res.resume();
          res.on("end", () => {
            if ((res.statusCode ?? 0) >= 300) non2xx++;
            samples.push(now() - due);
            finish();
          });
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", () => {
          errors++;
          finish();
        });
      }
      if (next < total) setTimeout(tick, 1);
    };
    setTimeout(tick, 20);
  });
  const cpu = meter();
  agent.destroy();
  return {
    rate,
    connections: 0,
    seconds,
    requestsPerSecond: samples.length / (cpu.wallMs / 1000),
    latency: summarize(samples),
    errors,
    non2xx,
    cpu,
  };
}

/** The portal page's client in its own process (bench/portalClient.ts). */
export class PortalClient {
  private constructor(private readonly helper: Helper) {}

  static start(root: string): PortalClient {
    return new PortalClient(Helper.start("portal client", path.join(root, "bench/portalClient.ts"), root));
  }

  /** portalRun in the client's process. */
  autocannon(
    url: string,
    pid: Pids,
    seconds: number,
    rate: number | null,
    connections: number,
  ): Promise<PortalRun> {
    return this.helper.call<PortalRun>({ type: "autocannon", url, pids: pid, seconds, rate, connections });
  }

  /** portalPaced in the client's process. */
  paced(url: string, pid: Pids, seconds: number, rate: number): Promise<PortalRun> {
    return this.helper.call<PortalRun>({ type: "paced", url, pids: pid, seconds, rate });
  }

  stop(): Promise<void> {
    return this.helper.stop();
  }
}
