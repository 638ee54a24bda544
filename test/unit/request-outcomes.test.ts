import { describe, expect, it } from "vitest";
import { RequestOutcomes } from "../../src/server/bus/requestOutcomes.js";

describe("RequestOutcomes (a node's memory of decided requests)", () => {
  it("remembers only decisions, and answers only within the request's account", () => {
    const o = new RequestOutcomes();
    o.record("r1", { accountId: "a1", state: "waiting", agentName: null });
    expect(o.get("a1", "r1")).toBeUndefined();
    o.record("r1", { accountId: "a1", state: "accepted", agentName: "Dana" });
    expect(o.get("a1", "r1")?.agentName).toBe("Dana");
    expect(o.get("a2", "r1")).toBeUndefined();
  });

  it("is bounded: the oldest entries go first", () => {
    const o = new RequestOutcomes(2);
    for (const id of ["r1", "r2", "r3"]) o.record(id, { accountId: "a", state: "canceled", agentName: null });
    expect(o.get("a", "r1")).toBeUndefined();
    expect(o.get("a", "r3")?.state).toBe("canceled");
  });

  it("runs one claim of a request at a time; claims of other requests run alongside", async () => {
    const o = new RequestOutcomes();
    const log: string[] = [];
    let release: () => void = () => {};
    const first = o.inTurn("r1", async () => {
      log.push("first starts");
      await new Promise<void>((r) => {
        release = r;
      });
      log.push("first ends");
    });
    const second = o.inTurn("r1", async () => {
      log.push("second starts");
    });
    const other = o.inTurn("r2", async () => {
      log.push("other runs");
    });
    await other;
    expect(log).toEqual(["first starts", "other runs"]);
    release();
    await Promise.all([first, second]);
    expect(log).toEqual(["first starts", "other runs", "first ends", "second starts"]);
  });

  it("a failing claim lets the next one run", async () => {
    const o = new RequestOutcomes();
    const failing = o.inTurn("r1", async () => {
      throw new Error("at the limit");
    });
    const next = o.inTurn("r1", async () => "won");
    await expect(failing).rejects.toThrow("at the limit");
    await expect(next).resolves.toBe("won");
  });
});
