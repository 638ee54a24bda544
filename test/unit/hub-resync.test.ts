import { describe, expect, it } from "vitest";
import { InProcessBus } from "../../src/server/bus/inProcessBus.js";
import { type Connection, Hub } from "../../src/server/hub/hub.js";

/** A connection that counts its resyncs, each taking a moment (as a snapshot from the database does). */
function counting(name: string, log: string[]): Connection & { resyncs: number } {
  const conn = {
    resyncs: 0,
    onEvent: () => {},
    resync: async () => {
      conn.resyncs += 1;
      log.push(name);
      await new Promise((r) => setTimeout(r, 5));
    },
  };
  return conn;
}

describe("Hub.resyncChannels", () => {
  it("resyncs only the connections of the channels named, each once", async () => {
    const hub = new Hub(new InProcessBus());
    const log: string[] = [];
    const a = counting("a", log);
    const b = counting("b", log);
    const c = counting("c", log);
    await hub.join(a, "account:1");
    await hub.join(a, "user:a");
    await hub.join(b, "account:1");
    await hub.join(c, "account:2");
    await hub.resyncChannels(["account:1", "user:a"]);
    expect([a.resyncs, b.resyncs, c.resyncs]).toEqual([1, 1, 0]);
    await hub.resyncChannels(null);
    expect([a.resyncs, b.resyncs, c.resyncs]).toEqual([2, 2, 1]);
    await hub.resyncChannels(["request:nobody-here"]);
    expect(log).toHaveLength(5);
  });

  it("runs a resync asked for while one runs once more afterwards, never twice at once", async () => {
    const hub = new Hub(new InProcessBus());
    let running = 0;
    let most = 0;
    let runs = 0;
    const conn: Connection = {
      onEvent: () => {},
      resync: async () => {
        runs += 1;
        running += 1;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 10));
        running -= 1;
      },
    };
    await hub.join(conn, "account:1");
    // A gap and the publisher's recovery notice arrive together, then a third ask.
    await Promise.all([
      hub.resyncChannels(["account:1"]),
      hub.resyncChannels(["account:1"]),
      hub.resyncChannels(null),
    ]);
    expect(most).toBe(1);
    expect(runs).toBe(2);
  });
});
