import path from "node:path";
import type { SocketSpec } from "./fleet.js";
import { Helper } from "./helper.js";
import { generatorHelpers } from "./phases.js";

interface CrowdAnswer {
  open: number;
  errors: number;
  examples: string[];
}

/** The idle customers' sockets, held by their own process (bench/crowd.ts). */
export class Crowd {
  private errors = 0;
  private examples: string[] = [];
  private stopped = false;

  private constructor(private readonly helper: Helper) {
    generatorHelpers.add(helper.pid);
  }

  static start(root: string): Crowd {
    return new Crowd(Helper.start("idle customers", path.join(root, "bench/crowd.ts"), root));
  }

  async open(specs: SocketSpec[]): Promise<void> {
    this.note(await this.helper.call<CrowdAnswer>({ type: "open", specs }));
  }

  /** Socket errors the idle customers saw (error messages from the server, failed sockets). */
  get errorCount(): number {
    return this.errors;
  }

  get errorExamples(): string[] {
    return this.examples;
  }

  /** Closes the sockets and ends the process; once (later calls do nothing). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      this.note(await this.helper.call<CrowdAnswer>({ type: "close" }, 30_000));
    } finally {
      generatorHelpers.delete(this.helper.pid);
      await this.helper.stop();
    }
  }

  private note(answer: CrowdAnswer): void {
    this.errors = answer.errors;
    this.examples = answer.examples;
  }
}
