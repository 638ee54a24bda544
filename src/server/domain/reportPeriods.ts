import { REPORT_PERIODS, type ReportPeriod } from "../../shared/api.js";
import { fieldError } from "./errors.js";

/**
 * Report periods (pure): calendar days in an IANA time zone, and the [from, to) instants they
 * cover. A day is local midnight to the next local midnight, so a daylight-saving day is 23 or 25
 * hours long; local midnights are found with Intl.DateTimeFormat, never by adding 24 h.
 */

export const MAX_CUSTOM_DAYS = 400;
const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const MINUTE = 60_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock time at an instant in a zone, read from Intl (slow: a few µs a call). */
export function localTimeIntl(ms: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: (parts.hour ?? 0) % 24,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** The zone's offset from UTC (ms) at an instant, to the second. */
function offsetIntl(ms: number, timeZone: string): number {
  const t = localTimeIntl(ms, timeZone);
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) - Math.floor(ms / 1000) * 1000;
}

/**
 * Offsets by quarter hour of UTC. Zones change their offset at most once within a quarter hour, at
 * whole minutes; a quarter whose start and end have the same offset has it throughout (cached),
 * one that holds a change is asked of Intl at each instant. Reports and exports turn hundreds of
 * thousands of instants into local days and times: this makes that ~50× faster.
 */
const QUARTER = 15 * MINUTE;
const OFFSET_CACHE_LIMIT = 200_000;
const offsets = new Map<string, Map<number, number | null>>();

/**
 * First by UTC day: a day whose start and end have the same offset has it throughout (no zone
 * changes its offset twice within a day), so an export of a year asks Intl some 800 times, not
 * once per quarter hour; the few days that hold a change go on to the quarter hours.
 */
const UTC_DAY = 24 * 60 * MINUTE;
const dayOffsets = new Map<string, Map<number, number | null>>();

function offsetAt(ms: number, timeZone: string): number {
  let days = dayOffsets.get(timeZone);
  if (!days) {
    days = new Map();
    dayOffsets.set(timeZone, days);
  }
  const day = Math.floor(ms / UTC_DAY);
  let whole = days.get(day);
  if (whole === undefined) {
    const start = offsetIntl(day * UTC_DAY, timeZone);
    whole = offsetIntl((day + 1) * UTC_DAY - 1000, timeZone) === start ? start : null;
    if (days.size >= OFFSET_CACHE_LIMIT) days.clear();
    days.set(day, whole);
  }
  if (whole !== null) return whole;
  let zone = offsets.get(timeZone);
  if (!zone) {
    zone = new Map();
    offsets.set(timeZone, zone);
  }
  const quarter = Math.floor(ms / QUARTER);
  let known = zone.get(quarter);
  if (known === undefined) {
    const start = offsetIntl(quarter * QUARTER, timeZone);
    known = offsetIntl((quarter + 1) * QUARTER - 1000, timeZone) === start ? start : null;
    if (zone.size >= OFFSET_CACHE_LIMIT) zone.clear();
    zone.set(quarter, known);
  }
  return known ?? offsetIntl(ms, timeZone);
}

/** The wall-clock time at an instant in a zone. */
export function localTime(ms: number, timeZone: string): LocalTime {
  const wall = new Date(Math.floor(ms / 1000) * 1000 + offsetAt(ms, timeZone));
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** The calendar day ("2026-03-29") of an instant in a zone. */
export function dayOf(ms: number, timeZone: string): string {
  const t = localTime(ms, timeZone);
  return `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}`;
}

/** The hour of the day (0–23) of an instant in a zone. */
export function hourOf(ms: number, timeZone: string): number {
  return localTime(ms, timeZone).hour;
}

function parseDay(day: string): { y: number; m: number; d: number } | null {
  const match = DAY_PATTERN.exec(day);
  if (!match) return null;
  const y = Number(match[1]);
  const m = Number(match[2]);
  const d = Number(match[3]);
  const check = new Date(Date.UTC(y, m - 1, d));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) return null;
  return { y, m, d };
}

/** A calendar day plus n days (pure calendar arithmetic, no zone). */
export function addDays(day: string, n: number): string {
  const p = parseDay(day);
  if (!p) throw new Error(`not a day: ${day}`);
  const t = new Date(Date.UTC(p.y, p.m - 1, p.d + n));
  return `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/** Days from a to b inclusive (b ≥ a), by the calendar. */
export function daysBetween(a: string, b: string): number {
  const pa = parseDay(a);
  const pb = parseDay(b);
  if (!pa || !pb) throw new Error(`not a day: ${a} / ${b}`);
  return Math.round((Date.UTC(pb.y, pb.m - 1, pb.d) - Date.UTC(pa.y, pa.m - 1, pa.d)) / 86_400_000) + 1;
}

/**
 * The first instant of a calendar day in a zone (its local midnight, or — where a zone skips
 * midnight — the first minute that exists). Binary search over minutes around UTC midnight: the
 * local day is monotonic in time, and every zone's offset lies within ±15 h.
 */
export function startOfDay(day: string, timeZone: string): number {
  const p = parseDay(day);
  if (!p) throw new Error(`not a day: ${day}`);
  const base = Date.UTC(p.y, p.m - 1, p.d);
  let lo = base - 15 * 60 * MINUTE; // local day < target here
  let hi = base + 15 * 60 * MINUTE; // local day ≥ target here
  while (hi - lo > MINUTE) {
    const mid = lo + Math.floor((hi - lo) / MINUTE / 2) * MINUTE;
    if (dayOf(mid, timeZone) < day) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Every day from a to b inclusive. */
export function daysOf(fromDay: string, toDay: string): string[] {
  const n = daysBetween(fromDay, toDay);
  return Array.from({ length: n }, (_, i) => addDays(fromDay, i));
}

export interface PeriodRange {
  period: ReportPeriod;
  from: number;
  to: number;
  fromDay: string;
  toDay: string;
}

/**
 * A named period (or a custom from–to, inclusive days) as the instants [from, to) in a zone, at
 * `now`. A bad period, day or range is refused with a 400 naming the field.
 */
export function periodRange(
  input: { period?: string | undefined; from?: string | undefined; to?: string | undefined },
  now: number,
  timeZone: string,
): PeriodRange {
  const raw = input.period ?? "last7";
  if (!(REPORT_PERIODS as readonly string[]).includes(raw)) {
    throw fieldError(400, "period", "invalid_period", `period must be one of ${REPORT_PERIODS.join(", ")}.`, {
      allowed: REPORT_PERIODS.join(","),
    });
  }
  const period = raw as ReportPeriod;
  if (period !== "custom") {
    for (const field of ["from", "to"] as const) {
      if (input[field] !== undefined)
        throw fieldError(400, field, "custom_only", `${field} is only allowed with period=custom.`);
    }
  }
  const today = dayOf(now, timeZone);
  const firstOfMonth = `${today.slice(0, 8)}01`;
  let fromDay: string;
  let toDay: string;
  switch (period) {
    case "today":
      fromDay = toDay = today;
      break;
    case "yesterday":
      fromDay = toDay = addDays(today, -1);
      break;
    case "last7":
      fromDay = addDays(today, -6);
      toDay = today;
      break;
    case "last30":
      fromDay = addDays(today, -29);
      toDay = today;
      break;
    case "thisMonth":
      fromDay = firstOfMonth;
      toDay = today;
      break;
    case "lastMonth": {
      toDay = addDays(firstOfMonth, -1);
      fromDay = `${toDay.slice(0, 8)}01`;
      break;
    }
    case "custom": {
      for (const field of ["from", "to"] as const) {
        const value = input[field];
        if (value === undefined)
          throw fieldError(400, field, "required", `${field} (YYYY-MM-DD) is required with period=custom.`);
        if (!parseDay(value))
          throw fieldError(400, field, "invalid_date", `${field} must be a calendar day as YYYY-MM-DD.`);
      }
      fromDay = input.from as string;
      toDay = input.to as string;
      if (toDay < fromDay) throw fieldError(400, "to", "before_from", "to must not be before from.");
      if (daysBetween(fromDay, toDay) > MAX_CUSTOM_DAYS)
        throw fieldError(400, "to", "too_long", `A period may span at most ${MAX_CUSTOM_DAYS} days.`, {
          limit: MAX_CUSTOM_DAYS,
        });
      break;
    }
  }
  return {
    period,
    from: startOfDay(fromDay, timeZone),
    to: startOfDay(addDays(toDay, 1), timeZone),
    fromDay,
    toDay,
  };
}

/**
 * Exact percentiles of a list of numbers: the median is the middle value or the mean of the two
 * middles; p90 is the nearest rank (the ⌈0.9·n⌉-th smallest).
 */
export function percentiles(values: readonly number[]): {
  median: number | null;
  p90: number | null;
  max: number | null;
} {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return histPercentiles(counts);
}

/** The same percentiles of values given as value → how many (the reports' per-second histograms). */
export function histPercentiles(h: ReadonlyMap<number, number>): {
  median: number | null;
  p90: number | null;
  max: number | null;
} {
  const keys = [...h.keys()].filter((k) => (h.get(k) ?? 0) > 0).sort((a, b) => a - b);
  let n = 0;
  for (const k of keys) n += h.get(k) ?? 0;
  if (n === 0) return { median: null, p90: null, max: null };
  // The value at 0-based rank i.
  const at = (i: number): number => {
    let seen = 0;
    for (const k of keys) {
      seen += h.get(k) ?? 0;
      if (i < seen) return k;
    }
    return keys[keys.length - 1] as number;
  };
  const mid = Math.floor(n / 2);
  const median = n % 2 === 1 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
  return { median, p90: at(Math.max(1, Math.ceil(0.9 * n)) - 1), max: keys[keys.length - 1] as number };
}

/** An instant as ISO 8601 in a zone, with its offset ("2026-03-29T03:30:00+02:00"). */
export function isoInZone(ms: number, timeZone: string): string {
  const whole = Math.floor(ms / 1000) * 1000;
  const offset = offsetAt(ms, timeZone);
  const offsetMinutes = Math.round(offset / MINUTE);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  // The wall clock is the instant moved by the offset, written as if it were UTC.
  return `${new Date(whole + offset).toISOString().slice(0, 19)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
