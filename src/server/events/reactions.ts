import type { Kysely } from "kysely";
import type { Deps } from "../commands/context.js";
import type { Database } from "../db/schema.js";
import type { DomainEvent, DomainEventType, Events } from "./events.js";

/** One "when X happened, also do Y" rule: the events it reacts to and what it does with a batch of them. */
export interface Reaction {
  name: string;
  on: readonly DomainEventType[];
  run(deps: Deps, events: DomainEvent[]): Promise<void>;
}

/**
 * A rule whose side effect leaves the process (an email, a webhook): it runs inside the change's
 * transaction and writes outbox rows there; the outbox delivers them (src/server/outbox/). One that
 * throws rolls the change back — what cannot be queued is not done.
 */
export interface StagedReaction {
  name: string;
  on: readonly DomainEventType[];
  stage(trx: Kysely<Database>, deps: Deps, events: DomainEvent[]): Promise<void>;
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
  private readonly stagedReactions: readonly StagedReaction[];

  /** Events staged in their transaction (an emitted event with a staged reaction must be one of these). */
  private readonly staged = new WeakSet<DomainEvent>();
  private readonly stagedTypes: ReadonlySet<DomainEventType>;

  constructor(
    private readonly reactions: readonly Reaction[],
    options: {
      onFailure?: (reaction: string) => void;
      failpoint?: string | null;
      staged?: readonly StagedReaction[];
    } = {},
  ) {
    this.onFailure = options.onFailure ?? (() => {});
    this.stagedReactions = options.staged ?? [];
    this.stagedTypes = new Set(this.stagedReactions.flatMap((r) => r.on));
    const m = /^crash-before-reactions:(.+)$/.exec(options.failpoint ?? "");
    this.crashBefore = m?.[1] ?? null;
  }

  /** The dependencies the reactions run with (the same the commands have). */
  attach(deps: Deps): void {
    this.deps = deps;
  }

  async stage(trx: Kysely<Database>, ...events: DomainEvent[]): Promise<void> {
    const deps = this.deps;
    if (!deps) return;
    for (const e of events) this.staged.add(e);
    for (const reaction of this.stagedReactions) {
      const mine = events.filter((e) => reaction.on.includes(e.type));
      if (mine.length > 0) await reaction.stage(trx, deps, mine);
    }
  }

  async emit(...events: DomainEvent[]): Promise<void> {
    const deps = this.deps;
    if (!deps || events.length === 0) return;
    for (const e of events) {
      if (this.stagedTypes.has(e.type) && !this.staged.has(e)) {
        // A programming error: its email or webhook was never queued. Loud in logs and metrics.
        this.failures.set("unstaged", (this.failures.get("unstaged") ?? 0) + 1);
        this.onFailure("unstaged");
        deps.log.error({ event: e.type }, "an event was emitted without being staged in its transaction");
      }
    }
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
export const noReactions: Events = { stage: async () => {}, emit: async () => {} };
