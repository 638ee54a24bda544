import type { FastifyInstance, FastifyRequest } from "fastify";
import { describe, expect, it } from "vitest";
import type { WebSocket } from "ws";
import { socketErrorHandler } from "../../src/server/http/socketErrors.js";

interface Logged {
  level: "warn" | "error";
  obj: Record<string, unknown>;
  msg: string;
}

function harness() {
  const logged: Logged[] = [];
  let terminated = 0;
  let t = 1_000_000;
  const request = {
    log: {
      warn: (obj: Record<string, unknown>, msg: string) => logged.push({ level: "warn", obj, msg }),
      error: (obj: Record<string, unknown>, msg: string) => logged.push({ level: "error", obj, msg }),
    },
  } as unknown as FastifyRequest;
  const socket = {
    terminate: () => {
      terminated += 1;
    },
  } as unknown as WebSocket;
  const handle = socketErrorHandler(() => t);
  const fail = (error: Error) => handle.call({} as FastifyInstance, error, socket, request);
  return {
    logged,
    fail,
    advance: (ms: number) => {
      t += ms;
    },
    terminated: () => terminated,
  };
}

function oversize(): Error {
  return Object.assign(new RangeError("Max payload size exceeded"), {
    code: "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH",
  });
}

describe("socket error logging", () => {
  it("a client's protocol fault is one warn line without the error object (no stack); ws closes the socket", () => {
    const h = harness();
    h.fail(oversize());
    expect(h.logged).toHaveLength(1);
    expect(h.logged[0]?.level).toBe("warn");
    expect(h.logged[0]?.obj).toEqual({
      wsError: "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH",
      reason: "Max payload size exceeded",
    });
    expect(JSON.stringify(h.logged)).not.toContain("at ");
    expect(h.terminated()).toBe(0);
  });

  it("writes at most 10 such lines a minute and says how many it left out", () => {
    const h = harness();
    for (let i = 0; i < 25; i++) h.fail(oversize());
    expect(h.logged).toHaveLength(10);
    h.advance(60_000);
    h.fail(oversize());
    expect(h.logged).toHaveLength(11);
    expect(h.logged[10]?.obj.suppressedBefore).toBe(15);
    h.fail(oversize());
    expect(h.logged[11]?.obj.suppressedBefore).toBeUndefined();
  });

  it("anything else is our fault: logged as an error and the socket terminated", () => {
    const h = harness();
    const err = new Error("boom");
    h.fail(err);
    expect(h.logged).toEqual([{ level: "error", obj: { err }, msg: "websocket failed" }]);
    expect(h.terminated()).toBe(1);
  });
});
