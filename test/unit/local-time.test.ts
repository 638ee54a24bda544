import { describe, expect, it } from "vitest";
import { isoInZone, localTime, localTimeIntl } from "../../src/server/domain/reportPeriods.js";

/**
 * localTime caches each zone's offset per quarter hour (reports turn hundreds of thousands of
 * instants into local days): it must agree with Intl at every instant, daylight-saving changes,
 * half-hour and 45-minute zones and half-hour DST (Lord Howe) included.
 */
const ZONES = [
  "Europe/Berlin",
  "America/New_York",
  "America/St_Johns",
  "Australia/Lord_Howe",
  "Asia/Kathmandu",
  "Pacific/Chatham",
  "UTC",
];

describe("localTime with cached offsets", () => {
  it("agrees with Intl across the year's changes, every 7 minutes and 13 seconds", () => {
    const step = 7 * 60_000 + 13_000;
    for (const zone of ZONES) {
      for (const [from, to] of [
        ["2026-03-25T00:00:00Z", "2026-04-08T00:00:00Z"],
        ["2026-09-25T00:00:00Z", "2026-11-08T00:00:00Z"],
      ] as const) {
        for (let t = Date.parse(from); t < Date.parse(to); t += step) {
          expect(localTime(t, zone), `${zone} ${new Date(t).toISOString()}`).toEqual(localTimeIntl(t, zone));
        }
      }
    }
  });

  it("agrees with Intl at random instants of 1990–2035, seconds and milliseconds included", () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const start = Date.parse("1990-01-01T00:00:00Z");
    const span = Date.parse("2035-01-01T00:00:00Z") - start;
    for (let i = 0; i < 20_000; i++) {
      const t = Math.floor(start + random() * span);
      const zone = ZONES[i % ZONES.length] as string;
      expect(localTime(t, zone), `${zone} ${t}`).toEqual(localTimeIntl(t, zone));
    }
  });

  it("writes both 02:30s of the night clocks go back with their own offsets", () => {
    expect(isoInZone(Date.parse("2026-10-25T00:30:00Z"), "Europe/Berlin")).toBe("2026-10-25T02:30:00+02:00");
    expect(isoInZone(Date.parse("2026-10-25T01:30:00Z"), "Europe/Berlin")).toBe("2026-10-25T02:30:00+01:00");
    expect(isoInZone(Date.parse("2026-10-25T00:59:59Z"), "Europe/Berlin")).toBe("2026-10-25T02:59:59+02:00");
    expect(isoInZone(Date.parse("2026-10-25T01:00:00Z"), "Europe/Berlin")).toBe("2026-10-25T02:00:00+01:00");
  });
});
