import type { Bus, BusEvent, Handler } from "./bus.js";

/** One node: events go straight to this process's subscribers, after the current call returns. */
export class InProcessBus implements Bus {
  private readonly handlers = new Map<string, Set<Handler>>();

  async publish(channel: string, event: BusEvent): Promise<void> {
    const set = this.handlers.get(channel);
    if (!set) return;
    for (const h of [...set]) queueMicrotask(() => h(event));
  }

  async subscribe(channel: string, handler: Handler): Promise<() => Promise<void>> {
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
    }
    set.add(handler);
    return async () => {
      const s = this.handlers.get(channel);
      s?.delete(handler);
      if (s && s.size === 0) this.handlers.delete(channel);
    };
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
