import { describe, expect, it } from "vitest";
import {
  type BusinessHoursInput,
  checkBusinessHours,
  instantOf,
  nextOpening,
  openAt,
} from "../../src/server/domain/businessHours.js";
import { DomainError } from "../../src/server/domain/errors.js";

const BERLIN = "Europe/Berlin";
const office: BusinessHoursInput = {
  timeZone: BERLIN,
  weekly: {
    mon: [
      { start: "09:00", end: "12:00" },
      { start: "13:00", end: "17:00" },
    ],
    tue: [{ start: "09:00", end: "17:00" }],
    wed: [{ start: "09:00", end: "17:00" }],
    thu: [{ start: "09:00", end: "17:00" }],
    fri: [{ start: "09:00", end: "17:00" }],
  },
  closures: [{ from: "2026-12-24", to: "2026-12-26", message: "Closed for Christmas" }],
};
const at = (iso: string) => Date.parse(iso);

function problemsOf(input: BusinessHoursInput): Record<string, string> {
  try {
    checkBusinessHours(input);
  } catch (e) {
    if (e instanceof DomainError)
      return Object.fromEntries(Object.entries(e.fields).map(([k, v]) => [k, v.code]));
    throw e;
  }
  return {};
}

describe("business hours: what is refused", () => {
  it("names every wrong field: overlap, end before start, bad times, unknown zone, closures", () => {
    expect(
      problemsOf({
        timeZone: "Mars/Olympus",
        weekly: {
          mon: [
            { start: "09:00", end: "12:00" },
            { start: "11:30", end: "14:00" },
          ],
          tue: [{ start: "17:00", end: "09:00" }],
          wed: [{ start: "9:00", end: "25:00" }],
        },
        closures: [{ message: "no date" }, { from: "2026-12-31", to: "2026-12-24" }, { from: "2026-02-30" }],
      }),
    ).toEqual({
      "businessHours.timeZone": "unknown_time_zone",
      "businessHours.weekly.mon[1]": "overlapping_intervals",
      "businessHours.weekly.tue[0].end": "end_before_start",
      "businessHours.weekly.wed[0].start": "invalid_time",
      "businessHours.weekly.wed[0].end": "invalid_time",
      "businessHours.closures[0].from": "required",
      "businessHours.closures[1].to": "end_before_start",
      "businessHours.closures[2].from": "invalid_day",
    });
  });

  it("accepts touching intervals, 24:00 as the end of the day, and saves the zone's canonical name", () => {
    const hours = checkBusinessHours({
      timeZone: "europe/berlin",
      weekly: {
        sat: [
          { start: "20:00", end: "24:00" },
          { start: "12:00", end: "20:00" },
        ],
      },
    });
    expect(hours.timeZone).toBe(BERLIN);
    expect(hours.weekly.sat).toEqual([
      { start: "12:00", end: "20:00" },
      { start: "20:00", end: "24:00" },
    ]);
    expect(hours.weekly.mon).toEqual([]);
    expect(hours.closures).toEqual([]);
  });
});

describe("business hours: open or closed, and when it opens next", () => {
  const hours = checkBusinessHours(office);

  it("follows the weekly intervals to the minute, lunch break included", () => {
    // Monday 2026-11-30 in Berlin (CET, UTC+1).
    expect(openAt(hours, at("2026-11-30T07:59:00Z")).open).toBe(false);
    expect(openAt(hours, at("2026-11-30T08:00:00Z")).open).toBe(true);
    expect(openAt(hours, at("2026-11-30T10:59:59Z")).open).toBe(true);
    expect(openAt(hours, at("2026-11-30T11:00:00Z")).open).toBe(false);
    expect(openAt(hours, at("2026-11-30T12:00:00Z")).open).toBe(true);
    expect(openAt(hours, at("2026-12-05T12:00:00Z")).open).toBe(false); // Saturday
  });

  it("opens next at the next interval: after lunch, on Monday after a weekend", () => {
    expect(nextOpening(hours, at("2026-11-30T11:30:00Z"))).toBe(at("2026-11-30T12:00:00Z"));
    // Friday 17:30 → Monday 09:00.
    expect(nextOpening(hours, at("2026-12-04T16:30:00Z"))).toBe(at("2026-12-07T08:00:00Z"));
    // Open now: now.
    expect(nextOpening(hours, at("2026-12-04T10:00:00Z"))).toBe(at("2026-12-04T10:00:00Z"));
  });

  it("is closed on a closure day with its message, and opens after it", () => {
    // Thursday 2026-12-24 at 10:00 local: a weekday inside the closure.
    const state = openAt(hours, at("2026-12-24T09:00:00Z"));
    expect(state).toEqual({
      open: false,
      closure: { from: "2026-12-24", to: "2026-12-26", message: "Closed for Christmas" },
    });
    // From the evening before: Thursday, Friday closed, the weekend has no hours → Monday the 28th.
    expect(nextOpening(hours, at("2026-12-23T17:00:00Z"))).toBe(at("2026-12-28T08:00:00Z"));
  });

  it("keeps local time across daylight-saving changes", () => {
    // Monday before and after the spring change (2026-03-29): 09:00 is 08:00Z, then 07:00Z.
    expect(nextOpening(hours, at("2026-03-20T17:00:00Z"))).toBe(at("2026-03-23T08:00:00Z"));
    expect(nextOpening(hours, at("2026-03-27T17:00:00Z"))).toBe(at("2026-03-30T07:00:00Z"));
    // And back in autumn (2026-10-25): Monday the 26th at 09:00 CET is 08:00Z.
    expect(nextOpening(hours, at("2026-10-23T16:00:00Z"))).toBe(at("2026-10-26T08:00:00Z"));
  });

  it("on the spring-forward night: a skipped time opens at the first minute after the gap", () => {
    const night = checkBusinessHours({
      timeZone: BERLIN,
      weekly: {
        sun: [
          { start: "02:00", end: "02:30" },
          { start: "02:30", end: "05:00" },
        ],
      },
    });
    // 02:00–03:00 does not exist on 2026-03-29: 02:00–02:30 never opens, 02:30 opens at 03:00 CEST (01:00Z).
    expect(instantOf("2026-03-29", 150, BERLIN)).toBe(at("2026-03-29T01:00:00Z"));
    expect(nextOpening(night, at("2026-03-28T23:00:00Z"))).toBe(at("2026-03-29T01:00:00Z"));
    expect(openAt(night, at("2026-03-29T01:30:00Z")).open).toBe(true);
  });

  it("on the fall-back night: a repeated time opens at its first occurrence", () => {
    // 2026-10-25: 02:00–03:00 happens twice in Berlin, first in summer time (UTC+2), then in winter time.
    expect(instantOf("2026-10-25", 150, BERLIN)).toBe(at("2026-10-25T00:30:00Z"));
    expect(instantOf("2026-10-25", 180, BERLIN)).toBe(at("2026-10-25T02:00:00Z"));
    expect(instantOf("2026-10-25", 90, BERLIN)).toBe(at("2026-10-24T23:30:00Z"));
  });

  it("spans midnight with 24:00 and 00:00, and never opens without intervals", () => {
    const late = checkBusinessHours({
      timeZone: BERLIN,
      weekly: { sat: [{ start: "20:00", end: "24:00" }], sun: [{ start: "00:00", end: "02:00" }] },
    });
    expect(openAt(late, at("2026-12-05T22:59:00Z")).open).toBe(true); // Saturday 23:59
    expect(openAt(late, at("2026-12-05T23:00:00Z")).open).toBe(true); // Sunday 00:00
    expect(openAt(late, at("2026-12-06T01:00:00Z")).open).toBe(false); // Sunday 02:00
    expect(
      nextOpening(checkBusinessHours({ timeZone: BERLIN, weekly: {} }), at("2026-12-05T12:00:00Z")),
    ).toBe(null);
  });
});
