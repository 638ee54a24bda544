import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/server/domain/errors.js";
import {
  addDays,
  dayOf,
  daysOf,
  hourOf,
  percentiles,
  periodRange,
  startOfDay,
} from "../../src/server/domain/reportPeriods.js";

const BERLIN = "Europe/Berlin";
const H = 3_600_000;

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return Object.keys(e.fields)[0];
    throw e;
  }
  return undefined;
}

describe("report periods: local days in an IANA zone", () => {
  it("finds local midnight in winter and summer time", () => {
    expect(startOfDay("2026-01-15", BERLIN)).toBe(Date.UTC(2026, 0, 14, 23));
    expect(startOfDay("2026-07-15", BERLIN)).toBe(Date.UTC(2026, 6, 14, 22));
    expect(startOfDay("2026-07-15", "UTC")).toBe(Date.UTC(2026, 6, 15));
    expect(startOfDay("2026-07-15", "America/New_York")).toBe(Date.UTC(2026, 6, 15, 4));
    expect(startOfDay("2026-07-15", "Asia/Kolkata")).toBe(Date.UTC(2026, 6, 14, 18, 30));
  });

  it("Berlin's 2026-03-29 has 23 hours and 2026-10-25 has 25", () => {
    const march = startOfDay("2026-03-29", BERLIN);
    expect(march).toBe(Date.UTC(2026, 2, 28, 23));
    expect(startOfDay("2026-03-30", BERLIN) - march).toBe(23 * H);
    const october = startOfDay("2026-10-25", BERLIN);
    expect(october).toBe(Date.UTC(2026, 9, 24, 22));
    expect(startOfDay("2026-10-26", BERLIN) - october).toBe(25 * H);
    expect(startOfDay("2026-10-24", BERLIN) - startOfDay("2026-10-23", BERLIN)).toBe(24 * H);
  });

  it("a zone that skips midnight starts its day at the first minute that exists", () => {
    // America/Santiago moved its clocks from 00:00 to 01:00 on 2026-09-06.
    const start = startOfDay("2026-09-06", "America/Santiago");
    expect(dayOf(start, "America/Santiago")).toBe("2026-09-06");
    expect(dayOf(start - 60_000, "America/Santiago")).toBe("2026-09-05");
  });

  it("names days and hours of instants in the zone", () => {
    expect(dayOf(Date.UTC(2026, 2, 28, 23, 30), BERLIN)).toBe("2026-03-29");
    expect(hourOf(Date.UTC(2026, 2, 28, 23, 30), BERLIN)).toBe(0);
    expect(hourOf(Date.UTC(2026, 2, 29, 1, 30), BERLIN)).toBe(3); // 02:xx does not exist that day
    // 02:30 happens twice on 2026-10-25: both are hour 2.
    expect(hourOf(Date.UTC(2026, 9, 25, 0, 30), BERLIN)).toBe(2);
    expect(hourOf(Date.UTC(2026, 9, 25, 1, 30), BERLIN)).toBe(2);
    expect(addDays("2026-02-28", 1)).toBe("2026-03-01");
    expect(addDays("2026-01-01", -1)).toBe("2025-12-31");
    expect(daysOf("2026-03-28", "2026-03-30")).toEqual(["2026-03-28", "2026-03-29", "2026-03-30"]);
  });

  it("computes every named period at a moment, in the zone", () => {
    const now = Date.UTC(2026, 2, 31, 22, 30); // 2026-04-01 00:30 in Berlin
    const at = (period: string) => periodRange({ period }, now, BERLIN);
    expect(at("today")).toMatchObject({ fromDay: "2026-04-01", toDay: "2026-04-01" });
    expect(at("today").from).toBe(Date.UTC(2026, 2, 31, 22));
    expect(at("yesterday")).toMatchObject({ fromDay: "2026-03-31", toDay: "2026-03-31" });
    expect(at("last7")).toMatchObject({ fromDay: "2026-03-26", toDay: "2026-04-01" });
    expect(periodRange({}, now, BERLIN).period).toBe("last7");
    expect(at("last30")).toMatchObject({ fromDay: "2026-03-03", toDay: "2026-04-01" });
    expect(at("thisMonth")).toMatchObject({ fromDay: "2026-04-01", toDay: "2026-04-01" });
    const last = at("lastMonth");
    expect(last).toMatchObject({ fromDay: "2026-03-01", toDay: "2026-03-31" });
    // March 2026 in Berlin: 31 days, one of them 23 hours long.
    expect(last.to - last.from).toBe(31 * 24 * H - H);
    // The same instant is still March 31 in UTC.
    expect(periodRange({ period: "today" }, now, "UTC").fromDay).toBe("2026-03-31");
  });

  it("a custom period spanning both changes of 2026 counts every hour once", () => {
    const r = periodRange({ period: "custom", from: "2026-03-28", to: "2026-10-25" }, 0, BERLIN);
    expect(r.from).toBe(Date.UTC(2026, 2, 27, 23));
    expect(r.to).toBe(Date.UTC(2026, 9, 25, 23));
    expect(r.to - r.from).toBe(daysOf("2026-03-28", "2026-10-25").length * 24 * H);
  });

  it("refuses a bad period, day or range naming the field", () => {
    expect(fieldOf(() => periodRange({ period: "week" }, 0, BERLIN))).toBe("period");
    expect(fieldOf(() => periodRange({ period: "custom", to: "2026-01-01" }, 0, BERLIN))).toBe("from");
    expect(fieldOf(() => periodRange({ period: "custom", from: "2026-01-01" }, 0, BERLIN))).toBe("to");
    expect(
      fieldOf(() => periodRange({ period: "custom", from: "2026-02-30", to: "2026-03-01" }, 0, BERLIN)),
    ).toBe("from");
    expect(
      fieldOf(() => periodRange({ period: "custom", from: "2026-03-02", to: "2026-03-01" }, 0, BERLIN)),
    ).toBe("to");
    expect(
      fieldOf(() => periodRange({ period: "custom", from: "2025-01-01", to: "2026-03-01" }, 0, BERLIN)),
    ).toBe("to");
    expect(
      fieldOf(() => periodRange({ period: "custom", from: "2025-01-01", to: "2026-02-04" }, 0, BERLIN)),
    ).toBe(undefined);
    expect(fieldOf(() => periodRange({ period: "today", from: "2026-01-01" }, 0, BERLIN))).toBe("from");
  });
});

describe("exact percentiles", () => {
  it("median is the middle or the mean of the two middles; p90 is the nearest rank", () => {
    expect(percentiles([])).toEqual({ median: null, p90: null, max: null });
    expect(percentiles([7])).toEqual({ median: 7, p90: 7, max: 7 });
    expect(percentiles([30, 10, 20])).toEqual({ median: 20, p90: 30, max: 30 });
    expect(percentiles([40, 10, 30, 20])).toEqual({ median: 25, p90: 40, max: 40 });
    const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentiles(ten)).toEqual({ median: 5.5, p90: 9, max: 10 });
    expect(percentiles([...ten, 11]).p90).toBe(10);
  });
});
