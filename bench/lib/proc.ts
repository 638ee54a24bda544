import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import { httpRequest } from "./http.js";
import { sleep } from "./util.js";

/** A port on 127.0.0.1 nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** This process's open-file limit (soft and hard), from /proc/self/limits. */
export function fileLimits(): { soft: number; hard: number } {
  try {
    const line = fs
      .readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const parts = line?.trim().split(/\s+/) ?? [];
    const num = (s: string | undefined) => (s === "unlimited" ? Number.POSITIVE_INFINITY : Number(s));
    return { soft: num(parts[3]), hard: num(parts[4]) };
  } catch {
    return { soft: Number.NaN, hard: Number.NaN };
  }
}

/** Resident set size of a process in bytes (VmRSS in /proc/<pid>/status). */
export function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  if (!m?.[1]) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** CPU time (user + system) of a process in ms, from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100;
}

/** CPU time all processes of the machine spent busy (not idle or waiting for I/O), in ms. */
export function machineBusyMs(): number {
  const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return ((total - idle) * 1000) / 100;
}

export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * Starts `node <nodeArgs…>` as its own process, with its open-file limit raised to the hard
 * limit first (a shell `ulimit -n`, then exec, so the pid is node's), output to a log file.
 */
export function spawnNode(
  name: string,
  nodeArgs: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  cwd: string,
): Child {
  const out = fs.openSync(logFile, "a");
  const child = spawn(
    "/bin/sh",
    ["-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', process.execPath, ...nodeArgs],
    { cwd, env, stdio: ["ignore", out, out] },
  );
  fs.closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  const pid = child.pid;
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      resolve();
    });
  });
  return {
    name,
    process: child,
    pid,
    logFile,
    async stop() {
      if (exited) return;
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exit;
      clearTimeout(t);
    },
  };
}

/** Polls url until it answers 200 (or the child exits, or time runs out). */
export async function waitReady(child: Child, url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.process.exitCode !== null) break;
    try {
      const res = await httpRequest(url, { timeoutMs: 1000 });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    // Polled often: the history benchmark times server start by this (spawn → /healthz 200).
    await sleep(20);
  }
  let tail = "";
  try {
    tail = fs.readFileSync(child.logFile, "utf8").slice(-3000);
  } catch {
    // no log
  }
  throw new Error(`${child.name} did not become ready at ${url}\n${tail}`);
}
