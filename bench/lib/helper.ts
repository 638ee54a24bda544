import { type ChildProcess, spawn } from "node:child_process";
import { type Deferred, deferred, withTimeout } from "./util.js";

/** What a helper answers: its result, or why it failed. */
type Answer = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

/**
 * Another generator process, driven over IPC: the idle customers' sockets (`bench/crowd.ts`) and
 * the portal page's HTTP client (`bench/portalClient.ts`) run apart from the process that times
 * alerts and chat, so neither the garbage collector of a process holding 10,000 sockets nor
 * autocannon's own work lands in another measurement (real browsers are not one process either).
 */
export class Helper {
  private next = 1;
  private readonly waiting = new Map<number, Deferred<unknown>>();

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.on("message", (raw) => {
      const answer = raw as Answer;
      const wait = this.waiting.get(answer.id);
      if (!wait) return;
      this.waiting.delete(answer.id);
      if (answer.ok) wait.resolve(answer.value);
      else wait.reject(new Error(`${name}: ${answer.error}`));
    });
    child.on("exit", (code, signal) => {
      for (const wait of this.waiting.values()) wait.reject(new Error(`${name} exited (${code ?? signal})`));
      this.waiting.clear();
    });
  }

  /** Starts `node --import tsx <script>` with an IPC channel; stdout and stderr go to ours. */
  static start(name: string, script: string, cwd: string): Helper {
    const child = spawn(
      "/bin/sh",
      [
        "-c",
        'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"',
        process.execPath,
        "--import",
        "tsx",
        script,
      ],
      { cwd, stdio: ["ignore", "inherit", "inherit", "ipc"] },
    );
    if (child.pid === undefined) throw new Error(`could not start ${name}`);
    return new Helper(name, child);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  call<T>(message: Record<string, unknown>, timeoutMs = 600_000): Promise<T> {
    const id = this.next++;
    const wait = deferred<unknown>();
    this.waiting.set(id, wait);
    this.child.send({ ...message, id });
    return withTimeout(wait.promise as Promise<T>, timeoutMs, `${this.name} ${String(message.type)}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}

/** The helper's side: answers each request with its handler's result (or its error). */
export function serveHelper(handle: (message: Record<string, unknown>) => Promise<unknown>): void {
  process.on("message", (raw) => {
    const message = raw as Record<string, unknown> & { id: number };
    handle(message).then(
      (value) => process.send?.({ id: message.id, ok: true, value }),
      (err: unknown) =>
        process.send?.({
          id: message.id,
          ok: false,
          error: err instanceof Error ? err.message : String(err),
        }),
    );
  });
  // The parent went away (it finished or was killed): nothing left to serve.
  process.on("disconnect", () => process.exit(0));
}
