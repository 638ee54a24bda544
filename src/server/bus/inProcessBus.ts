import type { Tracing } from "../tracing.js";
import type { Bus, BusEvent, Handler } from "./bus.js";

/** One node: events go straight to this process's subscribers, after the current call returns. */
export class InProcessBus implements Bus {
  private readonly handlers = new Map<string, Set<Handler>>();

  /** With tracing (OTEL_EXPORTER_OTLP_ENDPOINT), a span per publish: the handing out, not the handlers. */
  constructor(private readonly tracing?: Tracing) {}

  async publish(channel: string, event: BusEvent): Promise<void> {
    const span = this.tracing?.publish("in-process", channel, event.type);
    const set = this.handlers.get(channel);
    if (set) for (const h of [...set]) queueMicrotask(() => h(event));
    span?.end();
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
