import type { AddressInfo } from "node:net";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import { DRAINING_CLOSE } from "../../src/shared/closeCodes.js";
import { ReconnectingSocket, type SocketStatus } from "../../src/web/console/socket.js";
import { RequestSocket } from "../../src/web/portal/socket.js";
import { installBrowserSockets } from "../support/browserSockets.js";

/**
 * The browser pages' socket classes on the drain close code (4503): straight back, no timer;
 * any other drop waits for the backoff's first delay. Timers are faked, so "at once" means "with
 * no timer run at all", not a measured time.
 */

interface Server {
  url: string;
  connections: WebSocket[];
  /** Resolves when the n-th connection (1-based) has arrived. */
  nth(n: number): Promise<WebSocket>;
  close(): Promise<void>;
}

async function startServer(): Promise<Server> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  const connections: WebSocket[] = [];
  const waiters: { n: number; resolve: (ws: WebSocket) => void }[] = [];
  wss.on("connection", (ws) => {
    connections.push(ws);
    for (const w of waiters.filter((x) => x.n === connections.length)) w.resolve(ws);
  });
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`,
    connections,
    nth: (n) => {
      const have = connections[n - 1];
      if (have) return Promise.resolve(have);
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

describe("the pages' sockets on the drain close code", () => {
  let server: Server;
  beforeAll(() => {
    installBrowserSockets();
  });
  afterEach(async () => {
    vi.useRealTimers();
    await server?.close();
  });

  it("the console reconnects at once after 4503, and after another close only when the backoff's delay has passed", async () => {
    server = await startServer();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const statuses: SocketStatus[] = [];
    const refused: number[] = [];
    const socket = new ReconnectingSocket<{ type: string }, { type: string }>(() => server.url, {
      onOpen: () => {},
      onMessage: () => {},
      onStatus: (s) => statuses.push(s),
      onRefused: (code) => refused.push(code),
    });
    socket.start();
    const first = await server.nth(1);
    first.close(DRAINING_CLOSE, "draining");
    // No timer is run: the second connection comes by itself.
    const second = await server.nth(2);
    expect(vi.getTimerCount()).toBe(0);
    expect(statuses).toContain("reconnecting");

    const reconnecting = new Promise<void>((resolve) => {
      const before = statuses.length;
      const check = setInterval(() => {
        if (statuses.length > before && statuses.at(-1) === "reconnecting") {
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
    second.close(1011, "something went wrong");
    await reconnecting;
    // Waiting for the backoff: a timer, and still two connections.
    expect(vi.getTimerCount()).toBe(1);
    expect(server.connections).toHaveLength(2);
    vi.advanceTimersByTime(500);
    await server.nth(3);
    expect(refused).toEqual([]);
    socket.stop();
  });

  it("the customer page reconnects at once after 4503, telling the page it was down", async () => {
    server = await startServer();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const events: string[] = [];
    const socket = new RequestSocket(() => `${server.url}?request=r1&since=0`, {
      onMessage: () => {},
      onUp: () => events.push("up"),
      onDown: () => events.push("down"),
    });
    const first = await server.nth(1);
    first.close(DRAINING_CLOSE, "draining");
    await server.nth(2);
    expect(vi.getTimerCount()).toBe(0);
    expect(events.slice(0, 2)).toEqual(["up", "down"]);
    socket.stop();
  });
});
