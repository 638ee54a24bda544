import { DRAINING_CLOSE } from "../../shared/closeCodes.js";
import type { CustomerClientMessage, CustomerServerMessage } from "../../shared/protocol.js";

/** Close codes after which trying again cannot help (not found, wrong origin, signed out). */
const FINAL_CODES = new Set([4401, 4403, 4404]);

export interface SocketHandlers {
  onMessage(msg: CustomerServerMessage): void;
  onUp(): void;
  onDown(): void;
}

/**
 * One WebSocket for the request, reconnecting with backoff (0.5 s doubling to 15 s, with jitter);
 * at once when the node closes it with DRAINING_CLOSE (it is shutting down: the load balancer
 * sends the new socket to another node). The URL is asked for on every attempt, so it carries the
 * last message seen (`since`).
 */
export class RequestSocket {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: number | undefined;
  private stopped = false;

  constructor(
    private readonly url: () => string,
    private readonly handlers: SocketHandlers,
  ) {
    this.connect();
  }

  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  send(msg: CustomerClientMessage): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
    this.ws?.close(1000);
  }

  private connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.attempt = 0;
      this.handlers.onUp();
    });
    ws.addEventListener("message", (event) => {
      if (typeof event.data !== "string") return;
      try {
        this.handlers.onMessage(JSON.parse(event.data) as CustomerServerMessage);
      } catch {
        // Not ours to understand; ignore.
      }
    });
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped || FINAL_CODES.has(event.code)) return;
      this.handlers.onDown();
      if (event.code === DRAINING_CLOSE) {
        this.attempt = 0;
        this.connect();
        return;
      }
      const delay = Math.min(15_000, 500 * 2 ** this.attempt) * (0.8 + Math.random() * 0.4);
      this.attempt += 1;
      this.timer = window.setTimeout(() => this.connect(), delay);
    });
  }
}
