import { describe, expect, it } from "vitest";
import {
  canTransition,
  INITIAL_REQUEST_STATES,
  notWaiting,
  REQUEST_TRANSITIONS,
} from "../../src/server/domain/requests.js";
import { TERMINAL_REQUEST_STATES } from "../../src/shared/protocol.js";

describe("the request state machine (domain/requests.ts)", () => {
  it("leaves waiting only for accepted, canceled, declined or no-response; accepted only for ended", () => {
    expect(REQUEST_TRANSITIONS.waiting).toEqual(["accepted", "canceled", "declined", "no-response"]);
    expect(REQUEST_TRANSITIONS.accepted).toEqual(["ended"]);
    expect(canTransition("accepted", "waiting")).toBe(false);
    expect(canTransition("waiting", "ended")).toBe(false);
  });

  it("terminal states have no way out, and every state but those has one", () => {
    for (const s of TERMINAL_REQUEST_STATES) expect(REQUEST_TRANSITIONS[s]).toEqual([]);
    for (const s of Object.keys(REQUEST_TRANSITIONS) as (keyof typeof REQUEST_TRANSITIONS)[]) {
      if (!TERMINAL_REQUEST_STATES.includes(s)) expect(REQUEST_TRANSITIONS[s].length).toBeGreaterThan(0);
    }
  });

  it("every state is reachable from a state a request is created in", () => {
    const seen = new Set(INITIAL_REQUEST_STATES);
    for (let changed = true; changed; ) {
      changed = false;
      for (const from of [...seen]) {
        for (const to of REQUEST_TRANSITIONS[from]) {
          if (!seen.has(to)) {
            seen.add(to);
            changed = true;
          }
        }
      }
    }
    expect([...seen].sort()).toEqual(Object.keys(REQUEST_TRANSITIONS).sort());
  });

  it("a request no longer waiting says why, with the winner's name as a parameter", () => {
    const taken = notWaiting({ state: "accepted", agentName: "Dana" });
    expect([taken.code, taken.message, taken.params]).toEqual([
      "already_taken",
      "Already taken by Dana.",
      { name: "Dana" },
    ]);
    expect(notWaiting({ state: "canceled", agentName: null }).code).toBe("not_waiting");
  });
});
