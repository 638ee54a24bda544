import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/server/config.js";
import { type SocketLimitSettings, SocketLimits, TokenBucket } from "../../src/server/http/socketLimits.js";

const SETTINGS: SocketLimitSettings = {
  messagesPerSecond: 10,
  messageBurst: 60,
  signInMessagesPerSecond: 20,
  signInMessageBurst: 120,
  refusalsBeforeClose: 100,
  socketsPerSignIn: 2,
  socketsPerAddress: 3,
};

describe("abuse-limit settings", () => {
  it("has documented defaults", () => {
    const c = loadConfig({});
    expect(c.socketLimits).toEqual({
      messagesPerSecond: 10,
      messageBurst: 60,
      signInMessagesPerSecond: 20,
      signInMessageBurst: 120,
      refusalsBeforeClose: 100,
      socketsPerSignIn: 20,
      socketsPerAddress: 1000,
    });
    expect(c.submitsPerAddress).toBe(60);
  });

  it("reads each setting, 0 switching a limit off", () => {
    const c = loadConfig({
      HELPGATE_WS_MESSAGES_PER_SECOND: "0",
      HELPGATE_WS_SOCKETS_PER_ADDRESS: "5000",
      HELPGATE_SUBMITS_PER_ADDRESS: "0",
    });
    expect(c.socketLimits.messagesPerSecond).toBe(0);
    expect(c.socketLimits.socketsPerAddress).toBe(5000);
    expect(c.submitsPerAddress).toBe(0);
  });

  it.each([
    ["HELPGATE_WS_MESSAGES_PER_SECOND", "-1"],
    ["HELPGATE_WS_MESSAGE_BURST", "0"],
    ["HELPGATE_WS_SIGNIN_MESSAGE_BURST", "lots"],
    ["HELPGATE_WS_SOCKETS_PER_SIGNIN", "1.5"],
    ["HELPGATE_SUBMITS_PER_ADDRESS", "ten"],
  ])("refuses %s=%s with a message naming it", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^${name} must be a whole number from`));
  });
});

describe("token bucket", () => {
  it("gives the burst at once, then one message per 1/rate, never more than the burst", () => {
    const b = new TokenBucket(10, 3, 0);
    for (let i = 0; i < 3; i++) {
      expect(b.waitMs(0)).toBe(0);
      b.take();
    }
    expect(b.waitMs(0)).toBe(100);
    expect(b.waitMs(60)).toBe(40);
    expect(b.waitMs(100)).toBe(0);
    b.take();
    // A long quiet spell refills to the burst, not beyond.
    expect(b.waitMs(1_000_000)).toBe(0);
    for (let i = 0; i < 3; i++) b.take();
    expect(b.waitMs(1_000_000)).toBe(100);
  });
});

describe("socket caps", () => {
  it("caps sockets per sign-in and per address, and frees a place on release", () => {
    const limits = new SocketLimits(SETTINGS);
    const a = limits.open("sign-in:a", "192.0.2.1", 0);
    const b = limits.open("sign-in:a", "192.0.2.1", 0);
    expect("ticket" in a && "ticket" in b).toBe(true);
    expect(limits.open("sign-in:a", "192.0.2.1", 0)).toEqual({ refused: "sign-in" });
    expect("ticket" in limits.open("sign-in:b", "192.0.2.1", 0)).toBe(true);
    expect(limits.open("sign-in:c", "192.0.2.1", 0)).toEqual({ refused: "address" });
    expect("ticket" in limits.open("sign-in:c", "192.0.2.2", 0)).toBe(true);
    if ("ticket" in a) {
      a.ticket.release();
      a.ticket.release(); // twice is harmless
    }
    expect(limits.openSockets("sign-in:a", "192.0.2.1")).toEqual({ signIn: 1, address: 2 });
    expect("ticket" in limits.open("sign-in:a", "192.0.2.1", 0)).toBe(true);
  });

  it("shares one bucket among a sign-in's sockets, and closes after the refusals", () => {
    const limits = new SocketLimits({ ...SETTINGS, socketsPerSignIn: 5, socketsPerAddress: 10 });
    const tickets = [1, 2, 3].map(() => {
      const t = limits.open("request:r", "192.0.2.9", 0);
      if (!("ticket" in t)) throw new Error("refused");
      return t.ticket;
    });
    let admitted = 0;
    for (const t of tickets) for (let i = 0; i < 60; i++) if (t.admit(0) === null) admitted += 1;
    expect(admitted).toBe(120);
    const last = tickets[2];
    if (!last) throw new Error("no ticket");
    for (let i = 1; i < 100; i++) expect(last.refused(0)).toBe(false);
    expect(last.refused(0)).toBe(true);
    // A new window of 10 s starts the count again.
    expect(last.refused(10_000)).toBe(false);
  });
});
