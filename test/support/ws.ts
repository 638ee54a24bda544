import WebSocket from "ws";

/** A real WebSocket client that keeps every message it got and can wait for one. */
export class SocketClient<M extends { type: string } = { type: string }> {
  readonly received: M[] = [];
  private waiters: { pred: (m: M) => boolean; resolve: (m: M) => void }[] = [];
  closed: { code: number; reason: string } | null = null;

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      const m = JSON.parse(String(data)) as M;
      this.received.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (w.pred(m)) {
          w.resolve(m);
          return false;
        }
        return true;
      });
    });
    socket.on("close", (code, reason) => {
      this.closed = { code, reason: String(reason) };
    });
  }

  static connect<M extends { type: string }>(
    url: string,
    headers: Record<string, string>,
  ): Promise<SocketClient<M>> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const client = new SocketClient<M>(ws);
      ws.once("open", () => resolve(client));
      ws.once("error", reject);
    });
  }

  /** Waits for a message (already received or arriving) matching the predicate. */
  next(pred: (m: M) => boolean, timeoutMs = 5000, fromIndex = 0): Promise<M> {
    const have = this.received.slice(fromIndex).find(pred);
    if (have) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`timed out waiting; got: ${JSON.stringify(this.received.map((m) => m.type))}`)),
        timeoutMs,
      );
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  send(msg: unknown): void {
    this.socket.send(typeof msg === "string" ? msg : JSON.stringify(msg));
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once("close", () => resolve());
      this.socket.close();
    });
  }
}
