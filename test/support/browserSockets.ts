import WebSocket from "ws";

/**
 * Lets the browser pages' own socket classes (src/web/console/socket.ts, src/web/portal/socket.ts)
 * run in a Node test, so a test exercises their reconnect rules rather than a copy of them: a
 * global `WebSocket` (the `ws` client, whose event interface is the browser's) and a `window`
 * with timers and no network events. A browser sends its cookies and origin by itself; here each
 * socket names its person with a `hgtest=<label>` query parameter (the server ignores it; the
 * test load balancer reports tunnels by it), and the headers registered for that label go along.
 * Every close a labelled socket saw is recorded, with its code.
 */

export interface SeenClose {
  label: string;
  code: number;
  at: number;
}

const headersByLabel = new Map<string, Record<string, string>>();
export const closesSeen: SeenClose[] = [];

class BrowserLikeWebSocket extends WebSocket {
  constructor(url: string | URL) {
    const label = new URL(String(url)).searchParams.get("hgtest");
    super(url, { headers: label ? (headersByLabel.get(label) ?? {}) : {} });
    // A browser reports a failed or aborted socket as an event, never as a thrown error.
    this.on("error", () => {});
    if (label)
      this.addEventListener("close", (e) => closesSeen.push({ label, code: e.code, at: Date.now() }));
  }
}

let installed = false;

/** Installs the globals once per test process (vitest runs each file in its own fork). */
export function installBrowserSockets(): void {
  if (installed) return;
  installed = true;
  const g = globalThis as unknown as { WebSocket: unknown; window: unknown };
  g.WebSocket = BrowserLikeWebSocket;
  g.window = {
    addEventListener: () => {},
    removeEventListener: () => {},
    setTimeout: (fn: () => void, ms?: number) => setTimeout(fn, ms),
    clearTimeout: (t: ReturnType<typeof setTimeout> | undefined) => clearTimeout(t),
  };
}

/** The headers (cookie, origin) a labelled socket sends, as a browser would. */
export function browserHeaders(label: string, headers: Record<string, string>): void {
  headersByLabel.set(label, headers);
}
