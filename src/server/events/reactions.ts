import type { Deps } from "../commands/context.js";
import type { DomainEvent, DomainEventType, Events } from "./events.js";

/** One "when X happened, also do Y" rule: the events it reacts to and what it does with a batch of them. */
export interface Reaction {
  name: string;
  on: readonly DomainEventType[];
  run(deps: Deps, events: DomainEvent[]): Promise<void>;
}

/**
 * The in-process emitter. A command emits after its transaction committed; every reaction whose
 * `on` matches gets the batch, one reaction after the other in registration order, awaited (so an
 * HTTP answer goes out after the side effects, as before). Each reaction is isolated: one that
 * throws is logged and counted, the others still run, and the command's caller never sees it —
 * the change already happened. What a failed reaction left undone is caught up by the next
 * change, a client's resync, or the sweeper's reconcile pass.
 *
 * Reactions never ride the Redis bus: the node that made the change runs them, once.
 */
export class Reactions implements Events {
  private deps: Deps | null = null;
  /** Failed runs per reaction since start (also a Prometheus counter, see app.ts). */
  readonly failures = new Map<string, number>();

  private readonly onFailure: (reaction: string) => void;
  private readonly crashBefore: string | null;

  constructor(
    private readonly reactions: readonly Reaction[],
    options: { onFailure?: (reaction: string) => void; failpoint?: string | null } = {},
  ) {
    this.onFailure = options.onFailure ?? (() => {});
    const m = /^crash-before-reactions:(.+)$/.exec(options.failpoint ?? "");
    this.crashBefore = m?.[1] ?? null;
  }

  /** The dependencies the reactions run with (the same the commands have). */
  attach(deps: Deps): void {
    this.deps = deps;
  }

  async emit(...events: DomainEvent[]): Promise<void> {
    const deps = this.deps;
    if (!deps || events.length === 0) return;
    // The crash test's window: committed, not yet reacted to (test/integration/reconcile.test.ts).
    if (this.crashBefore !== null && events.some((e) => e.type === this.crashBefore)) {
      process.kill(process.pid, "SIGKILL");
    }
    for (const reaction of this.reactions) {
      const mine = events.filter((e) => reaction.on.includes(e.type));
      if (mine.length === 0) continue;
      try {
        await reaction.run(deps, mine);
      } catch (err) {
        this.failures.set(reaction.name, (this.failures.get(reaction.name) ?? 0) + 1);
        this.onFailure(reaction.name);
        deps.log.error(
          { err, reaction: reaction.name, events: mine.map((e) => e.type) },
          "a reaction failed after its change was committed; the change stands",
        );
      }
    }
  }
}

/** For tools that run commands without a server (the CLI, first start, seeding): nothing reacts. */
export const noReactions: Events = { emit: async () => {} };
