import { DRAINING_CLOSE } from "../../shared/closeCodes.js";

/**
 * One WebSocket that keeps itself connected: on a close it reconnects with a growing delay
 * (0.5 s doubling to 5 s), on the browser's "offline" event it drops the socket at once (a dead
 * network may otherwise go unnoticed for a long time), and on "online" it retries straight away.
 * A node that is shutting down closes with DRAINING_CLOSE: then it reconnects at once, no
 * backoff (the load balancer sends it to another node). The server sends a fresh snapshot on
 * every connect, so the owner resyncs from that.
 */

export type SocketStatus = "connecting" | "open" | "reconnecting" | "closed";

export interface SocketHandlers<In> {
  onOpen(): void;
  onMessage(message: In): void;
  onStatus(status: SocketStatus): void;
  /** The server refused us for good (signed out, wrong origin): no more reconnecting. */
  onRefused(code: number, reason: string): void;
}

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 5000;
/** Close codes after which trying again cannot help. */
const FINAL_CODES = new Set([4401, 4403]);

export class ReconnectingSocket<In extends { type: string }, Out> {
  private ws: WebSocket | null = null;
  private delay = MIN_DELAY_MS;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;
  private everOpened = false;

  constructor(
    private readonly url: () => string,
    private readonly handlers: SocketHandlers<In>,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.everOpened = false;
    window.addEventListener("offline", this.onOffline);
    window.addEventListener("online", this.onOnline);
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener("offline", this.onOffline);
    window.removeEventListener("online", this.onOnline);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) discard(ws, 1000, "signed out");
    this.handlers.onStatus("closed");
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Sends when open; returns false when not connected (the caller keeps it for later). */
  send(message: Out): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  private connect(): void {
    if (this.stopped) return;
    this.timer = null;
    this.handlers.onStatus(this.everOpened ? "reconnecting" : "connecting");
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.delay = MIN_DELAY_MS;
      this.everOpened = true;
      this.handlers.onStatus("open");
      this.handlers.onOpen();
    };
    ws.onmessage = (event: MessageEvent) => {
      if (typeof event.data !== "string") return;
      let value: unknown;
      try {
        value = JSON.parse(event.data);
      } catch {
        return;
      }
      if (
        typeof value === "object" &&
        value !== null &&
        typeof (value as { type?: unknown }).type === "string"
      ) {
        this.handlers.onMessage(value as In);
      }
    };
    ws.onclose = (event: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (FINAL_CODES.has(event.code)) {
        this.stopped = true;
        this.handlers.onStatus("closed");
        this.handlers.onRefused(event.code, event.reason);
        return;
      }
      if (event.code === DRAINING_CLOSE) {
        this.delay = MIN_DELAY_MS;
        this.connect();
        return;
      }
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.timer) return;
    this.handlers.onStatus(this.everOpened ? "reconnecting" : "connecting");
    const wait = this.delay;
    this.delay = Math.min(MAX_DELAY_MS, this.delay * 2);
    this.timer = setTimeout(() => this.connect(), wait);
  }

  private readonly onOffline = (): void => {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    discard(ws);
    this.scheduleReconnect();
  };

  private readonly onOnline = (): void => {
    if (this.stopped || this.ws) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.delay = MIN_DELAY_MS;
    this.connect();
  };
}

/** Closes a socket we no longer listen to: none of its late events may reach the owner. */
function discard(ws: WebSocket, code?: number, reason?: string): void {
  ws.onopen = null;
  ws.onmessage = null;
  ws.onclose = null;
  ws.onerror = null;
  try {
    ws.close(code, reason);
  } catch {
    // already closed
  }
}
