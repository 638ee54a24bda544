import type { Bus, BusEvent } from "../bus/bus.js";

/** A WebSocket connection as the hub sees it: the channels it listens to and what it does with an event. */
export interface Connection {
  /** What it is, for the metrics' open sockets by kind (unnamed ones count as "other"). */
  readonly kind?: "console" | "customer";
  onEvent(channel: string, event: BusEvent): void;
  /** Sends what this connection's person sees, fresh from the database (after missed events). */
  resync?(): Promise<void>;
}

/** What the metrics learn from the hub (counting only). */
export interface HubObserver {
  /** Every connection here listening to the channel had the event (an alert's fan-out is timed). */
  delivered?(event: BusEvent): void;
  /** A connection caught up from the database after missed events. */
  resynced?(): void;
}

/**
 * This node's WebSocket connections and their channels. The hub subscribes to a bus channel while
 * at least one connection here wants it, and hands each event to those connections, which decide
 * what their person may see.
 */
export class Hub {
  private readonly members = new Map<string, Set<Connection>>();
  private readonly unsubscribe = new Map<string, Promise<() => Promise<void>>>();
  private readonly resyncing = new Map<Connection, { again: boolean; done: Promise<void> }>();

  constructor(
    private readonly bus: Bus,
    private readonly observer: HubObserver = {},
  ) {}

  /** This node's connections by kind, each once (it listens to several channels): the metrics' open sockets. */
  countByKind(): Map<string, number> {
    const all = new Set<Connection>();
    for (const set of this.members.values()) for (const c of set) all.add(c);
    const counts = new Map<string, number>();
    for (const c of all) counts.set(c.kind ?? "other", (counts.get(c.kind ?? "other") ?? 0) + 1);
    return counts;
  }

  async join(conn: Connection, channel: string): Promise<void> {
    let set = this.members.get(channel);
    if (!set) {
      set = new Set();
      this.members.set(channel, set);
      this.unsubscribe.set(
        channel,
        this.bus.subscribe(channel, (event) => this.deliver(channel, event)),
      );
    }
    set.add(conn);
    await this.unsubscribe.get(channel);
  }

  async leave(conn: Connection, channel: string): Promise<void> {
    const set = this.members.get(channel);
    if (!set) return;
    set.delete(conn);
    if (set.size === 0) {
      this.members.delete(channel);
      const unsub = this.unsubscribe.get(channel);
      this.unsubscribe.delete(channel);
      if (unsub) await (await unsub)();
    }
  }

  /**
   * The bus came back after an outage (Redis reconnected): events may have been missed, so every
   * connection here catches up from the database — the console from a fresh snapshot, a customer
   * page from its status and the messages after the last one it was sent.
   */
  async resyncAll(): Promise<void> {
    // Every connection here, once (a connection listens on several channels).
    const all = new Set<Connection>();
    for (const set of this.members.values()) for (const c of set) all.add(c);
    for (const conn of all) await this.resyncOne(conn);
  }

  /**
   * Events on these channels may have been missed (null: on any — see Bus.onMissed): only the
   * connections listening to them catch up from the database.
   */
  async resyncChannels(channels: readonly string[] | null): Promise<void> {
    if (channels === null) return this.resyncAll();
    const affected = new Set<Connection>();
    for (const channel of channels) for (const c of this.members.get(channel) ?? []) affected.add(c);
    for (const conn of affected) await this.resyncOne(conn);
  }

  /**
   * One connection's resync. Asked again while one runs (a gap and the publisher's recovery
   * notice often come together), it runs once more afterwards rather than twice at once.
   */
  private async resyncOne(conn: Connection): Promise<void> {
    const running = this.resyncing.get(conn);
    if (running) {
      running.again = true;
      return running.done;
    }
    const state = { again: false, done: Promise.resolve() };
    this.resyncing.set(conn, state);
    state.done = this.runResync(conn, state);
    return state.done;
  }

  private async runResync(conn: Connection, state: { again: boolean }): Promise<void> {
    try {
      do {
        state.again = false;
        await conn.resync?.();
        this.observer.resynced?.();
      } while (state.again);
    } catch {
      // A connection that cannot resync now will on its next reconnect.
    } finally {
      this.resyncing.delete(conn);
    }
  }

  /** Called with every event this node's hub receives, before its connections get it. */
  private readonly taps: ((channel: string, event: BusEvent) => void)[] = [];

  tap(listener: (channel: string, event: BusEvent) => void): void {
    this.taps.push(listener);
  }

  private deliver(channel: string, event: BusEvent): void {
    for (const t of this.taps) {
      try {
        t(channel, event);
      } catch {
        // A tap must not keep the event from the connections.
      }
    }
    const set = this.members.get(channel);
    if (!set) return;
    for (const conn of set) {
      try {
        conn.onEvent(channel, event);
      } catch {
        // One broken connection must not keep the event from the others.
      }
    }
    this.observer.delivered?.(event);
  }
}
