import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { BusEvent } from "../../src/server/bus/bus.js";
import { silentLog } from "../../src/server/bus/redis.js";
import { RedisBus } from "../../src/server/bus/redisBus.js";
import { adminRedis, dropPrefix, eventually, REDIS_URL, uniquePrefix } from "../support/redis.js";

const event = (agentId: string): BusEvent => ({ type: "codes.changed", agentId });

/** A bus that records what it delivers and which channels it reports as possibly missed. */
function watched(bus: RedisBus) {
  const got: BusEvent[] = [];
  const missed: (readonly string[] | null)[] = [];
  bus.onMissed((channels) => missed.push(channels));
  return { bus, got, missed, handler: (e: BusEvent) => void got.push(e) };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!inject("redis"))("the bus's stamps: node, epoch, sequence (real Redis)", () => {
  const prefix = uniquePrefix("stamps");
  let admin: Redis;
  const buses: RedisBus[] = [];
  const bus = (nodeId: string) => {
    const b = new RedisBus({ url: REDIS_URL, prefix, log: silentLog, nodeId });
    buses.push(b);
    return b;
  };
  /** A message as a node named `node` in run `epoch` would publish it (see Stamp in redisBus.ts). */
  const forge = (channel: string, stamp: string, body: unknown) =>
    admin.publish(`${prefix}${channel}`, `${stamp}|${JSON.stringify(body)}`);

  beforeAll(() => {
    admin = adminRedis();
  });
  afterAll(async () => {
    for (const b of buses) await b.close();
    await dropPrefix(admin, prefix);
    admin.disconnect();
  });

  it("counts once per node yet checks per channel: a node listening to some channels sees no gap", async () => {
    const a = bus("a");
    const b = watched(bus("b"));
    await Promise.all([a.ready(), b.bus.ready()]);
    await b.bus.subscribe("account:x", b.handler);
    for (let i = 0; i < 10; i++) {
      await a.publish(i % 3 === 0 ? "account:x" : "account:y", event(`n${i}`));
    }
    await eventually(() => b.got.length === 4, 3000, "the four events of account:x");
    await settle(100);
    expect(b.missed).toEqual([]);
  });

  it("notices a message that never arrived, and names only its channel", async () => {
    const b = watched(bus("b2"));
    await b.bus.ready();
    await b.bus.subscribe("account:g", b.handler);
    await b.bus.subscribe("account:h", b.handler);
    await forge("account:g", "ghost|e1|1|0", event("g1"));
    await forge("account:h", "ghost|e1|2|0", event("h1"));
    await forge("account:g", "ghost|e1|3|1", event("g2")); // its previous on account:g was 1: nothing lost
    await eventually(() => b.got.length === 3, 3000, "three events");
    expect(b.missed).toEqual([]);
    await forge("account:g", "ghost|e1|7|5", event("g3")); // 5 was on account:g and never came
    await eventually(() => b.missed.length === 1, 3000, "the gap");
    expect(b.missed).toEqual([["account:g"]]);
    expect(b.got).toHaveLength(4);
  });

  it("takes a new epoch of a node it knows as a restart: every socket resyncs, once", async () => {
    const b = watched(bus("b3"));
    await b.bus.ready();
    await b.bus.subscribe("account:r", b.handler);
    await forge("account:r", "phoenix|run1|1|0", event("r1"));
    await forge("bus:control", "phoenix|run2|1|0", { hello: true });
    await forge("account:r", "phoenix|run2|2|0", event("r2"));
    await eventually(() => b.got.length === 2, 3000, "two events");
    await settle(100);
    expect(b.missed).toEqual([null]);
  });

  it("resyncs the channels a node names when it recovers from dropped publishes", async () => {
    const b = watched(bus("b4"));
    await b.bus.ready();
    await b.bus.subscribe("account:q", b.handler);
    await forge("bus:control", "late|e|1|0", { recovered: ["account:q", "user:u"] });
    await eventually(() => b.missed.length === 1, 3000, "the recovery notice");
    expect(b.missed).toEqual([["account:q", "user:u"]]);
  });

  it("still delivers unstamped messages (a node of an older version) without checking them", async () => {
    const b = watched(bus("b5"));
    await b.bus.ready();
    await b.bus.subscribe("account:old", b.handler);
    await admin.publish(`${prefix}account:old`, JSON.stringify(event("old")));
    await eventually(() => b.got.length === 1, 3000, "the unstamped event");
    expect(b.got).toEqual([event("old")]);
    expect(b.missed).toEqual([]);
  });
});
