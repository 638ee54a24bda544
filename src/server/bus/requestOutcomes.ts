import type { RequestState } from "../../shared/protocol.js";

export interface KnownOutcome {
  accountId: string;
  state: RequestState;
  agentName: string | null;
}

/**
 * What this node has heard the database decide about requests: that one is no longer waiting
 * (taken by whom, canceled, timed out). Only ever facts already committed — a request that left
 * `waiting` never waits again (domain/requests.ts REQUEST_TRANSITIONS) — so an accept that comes
 * after the decision can be answered "already taken by …" without a database round trip, and the
 * losers of a race of hundreds stop queueing for the database the moment the winner commits.
 * Fed from the events this node's hub delivers (its own and other nodes'); answers only within
 * the same account. Bounded: the oldest entries go first.
 */
export class RequestOutcomes {
  private readonly entries = new Map<string, KnownOutcome>();
  private readonly claiming = new Map<string, Promise<unknown>>();

  constructor(private readonly max = 10_000) {}

  record(requestId: string, outcome: KnownOutcome): void {
    if (outcome.state === "waiting") return;
    if (this.entries.size >= this.max && !this.entries.has(requestId)) {
      const first = this.entries.keys().next();
      if (!first.done) this.entries.delete(first.value);
    }
    this.entries.set(requestId, outcome);
  }

  /**
   * Runs `claim` when no other claim of the same request is running on this node, else after it.
   * In a race of hundreds on one node only one accept at a time asks the database; when it wins,
   * the next ones find the outcome here (`claim` checks first) and need no round trip at all;
   * when it could not (its agent at their limit, say), the next one tries. Across nodes the
   * database still decides: each node sends at most one claim of a request at a time.
   */
  async inTurn<T>(requestId: string, claim: () => Promise<T>): Promise<T> {
    for (let running = this.claiming.get(requestId); running; running = this.claiming.get(requestId)) {
      await running.catch(() => {});
    }
    const mine = claim();
    this.claiming.set(requestId, mine);
    try {
      return await mine;
    } finally {
      if (this.claiming.get(requestId) === mine) this.claiming.delete(requestId);
    }
  }

  get(accountId: string, requestId: string): KnownOutcome | undefined {
    const known = this.entries.get(requestId);
    return known?.accountId === accountId ? known : undefined;
  }
}
