import {
  type BusinessHours,
  type BusinessHoursInput,
  type Closure,
  HOURS_LIMITS,
  type HoursInterval,
  WEEKDAYS,
  type Weekday,
} from "../../shared/businessHours.js";
import { DomainError, type FieldProblem } from "./errors.js";
import { addDays, dayOf, localTime } from "./reportPeriods.js";
import { checkTimeZone, isTimeZone } from "./timeZones.js";

/**
 * A portal's business hours (pure): a weekly schedule of local intervals in the portal's time
 * zone, and closures (holidays: single days or ranges, with a message). Whether the portal is open
 * at an instant and when it opens next are answered from the zone's wall clock (Intl through
 * reportPeriods' cached offsets), so a daylight-saving day is 23 or 25 hours long like any clock
 * on the wall says, and "09:00" is nine o'clock local time on either side of the change.
 *
 * An interval runs from its start to its end on one day (`end` may be "24:00"); a span over
 * midnight is two intervals (22:00–24:00 and 00:00–02:00 the next day). Days without intervals
 * are closed all day. A portal without business hours is open around the clock.
 */

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const MINUTE = 60_000;

function minutesOf(hhmm: string): number | null {
  if (hhmm === "24:00") return 24 * 60;
  const m = TIME.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

function isDay(day: string): boolean {
  const m = DAY.exec(day);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return (
    d.getUTCFullYear() === Number(m[1]) &&
    d.getUTCMonth() === Number(m[2]) - 1 &&
    d.getUTCDate() === Number(m[3])
  );
}

function daySpan(from: string, to: string): number {
  const a = Date.parse(`${from}T00:00:00Z`);
  const b = Date.parse(`${to}T00:00:00Z`);
  return Math.round((b - a) / 86_400_000) + 1;
}

/**
 * The schedule as it is saved, or a 400 naming every field that is wrong: a time that is not
 * HH:MM, an end not after its start, intervals of a day that overlap, an unknown time zone, a
 * closure without a (valid) date or ending before it starts.
 */
export type { BusinessHours, BusinessHoursInput, Closure };

export function checkBusinessHours(input: BusinessHoursInput, field = "businessHours"): BusinessHours {
  const problems: Record<string, FieldProblem> = {};
  const problem = (path: string, code: string, message: string, params?: Record<string, string | number>) => {
    if (!problems[path]) problems[path] = { code, message, ...(params ? { params } : {}) };
  };
  const timeZoneField = `${field}.timeZone`;
  if (!isTimeZone(input.timeZone.trim()))
    problem(
      timeZoneField,
      "unknown_time_zone",
      `"${input.timeZone.slice(0, 64)}" is not a time zone; use an IANA name such as Europe/Berlin.`,
    );
  const weekly = {} as Record<Weekday, HoursInterval[]>;
  for (const day of WEEKDAYS) {
    const intervals = input.weekly[day] ?? [];
    const path = `${field}.weekly.${day}`;
    if (intervals.length > HOURS_LIMITS.intervalsPerDay)
      problem(path, "too_many_intervals", `At most ${HOURS_LIMITS.intervalsPerDay} intervals a day.`, {
        limit: HOURS_LIMITS.intervalsPerDay,
      });
    const parsed: { start: number; end: number; index: number }[] = [];
    intervals.forEach((interval, index) => {
      const at = `${path}[${index}]`;
      const start = interval.start === "24:00" ? null : minutesOf(interval.start);
      const end = minutesOf(interval.end);
      if (start === null)
        problem(`${at}.start`, "invalid_time", `"${interval.start}" is not a time (HH:MM, 00:00–23:59).`);
      if (end === null)
        problem(`${at}.end`, "invalid_time", `"${interval.end}" is not a time (HH:MM, up to 24:00).`);
      if (start === null || end === null) return;
      if (end <= start) {
        problem(
          `${at}.end`,
          "end_before_start",
          `The interval ends (${interval.end}) before it starts (${interval.start}).`,
        );
        return;
      }
      parsed.push({ start, end, index });
    });
    const sorted = [...parsed].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1] as (typeof sorted)[number];
      const cur = sorted[i] as (typeof sorted)[number];
      if (cur.start < prev.end) {
        const a = intervals[prev.index] as HoursInterval;
        const b = intervals[cur.index] as HoursInterval;
        problem(
          `${path}[${cur.index}]`,
          "overlapping_intervals",
          `${b.start}–${b.end} overlaps ${a.start}–${a.end} on ${day}.`,
        );
      }
    }
    weekly[day] = sorted
      .map((p) => intervals[p.index] as HoursInterval)
      .map((i) => ({ start: i.start, end: i.end }));
  }
  const closuresIn = input.closures ?? [];
  if (closuresIn.length > HOURS_LIMITS.closures)
    problem(`${field}.closures`, "too_many_closures", `At most ${HOURS_LIMITS.closures} closures.`);
  const closures: Closure[] = [];
  for (const [index, c] of closuresIn.entries()) {
    const at = `${field}.closures[${index}]`;
    const from = c.from?.trim() ?? "";
    const to = c.to?.trim() || from;
    const message = c.message?.trim() ?? "";
    if (from === "") problem(`${at}.from`, "required", "A closure needs its first day (YYYY-MM-DD).");
    else if (!isDay(from)) problem(`${at}.from`, "invalid_day", `"${from}" is not a day (YYYY-MM-DD).`);
    else if (!isDay(to)) problem(`${at}.to`, "invalid_day", `"${to}" is not a day (YYYY-MM-DD).`);
    else if (to < from)
      problem(`${at}.to`, "end_before_start", `The closure ends (${to}) before it starts (${from}).`);
    else if (daySpan(from, to) > HOURS_LIMITS.closureDays)
      problem(`${at}.to`, "too_long", `A closure lasts at most ${HOURS_LIMITS.closureDays} days.`);
    else if (message.length > HOURS_LIMITS.closureMessage)
      problem(`${at}.message`, "too_long", `At most ${HOURS_LIMITS.closureMessage} characters.`);
    else closures.push({ from, to, message });
  }
  const paths = Object.keys(problems);
  if (paths.length > 0) {
    const first = problems[paths[0] as string] as FieldProblem;
    throw new DomainError(400, "invalid_business_hours", `${paths[0]}: ${first.message}`, problems);
  }
  closures.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  return { timeZone: checkTimeZone(input.timeZone), weekly, closures };
}

function weekdayOf(day: string): Weekday {
  // getUTCDay: 0 is Sunday.
  const index = (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7;
  return WEEKDAYS[index] as Weekday;
}

/** The closure that covers a local day, if any. */
export function closureOn(hours: BusinessHours, day: string): Closure | null {
  return hours.closures.find((c) => c.from <= day && day <= c.to) ?? null;
}

export interface OpenState {
  open: boolean;
  /** When closed: the closure that applies today (its message is shown), if any. */
  closure: Closure | null;
}

export function openAt(hours: BusinessHours, at: number): OpenState {
  const day = dayOf(at, hours.timeZone);
  const closure = closureOn(hours, day);
  if (closure) return { open: false, closure };
  const t = localTime(at, hours.timeZone);
  const minutes = t.hour * 60 + t.minute;
  const open = hours.weekly[weekdayOf(day)].some(
    (i) => (minutesOf(i.start) ?? 0) <= minutes && minutes < (minutesOf(i.end) ?? 0),
  );
  return { open, closure: null };
}

/**
 * The instant a local wall time first happens in a zone: a binary search over minutes (the wall
 * clock only moves forward, except in the hour a fall-back repeats, where the earlier of the two
 * is taken). A time that a spring-forward
 * skips (02:30 in Berlin on the last Sunday of March) opens at the first minute after the gap.
 */
export function instantOf(day: string, minutes: number, timeZone: string): number {
  const base = Date.parse(`${day}T00:00:00Z`) + minutes * MINUTE;
  const before = (ms: number) => {
    const d = dayOf(ms, timeZone);
    if (d !== day) return d < day;
    const t = localTime(ms, timeZone);
    return t.hour * 60 + t.minute < minutes;
  };
  let lo = base - 15 * 60 * MINUTE;
  let hi = base + 15 * 60 * MINUTE;
  while (hi - lo > MINUTE) {
    const mid = lo + Math.floor((hi - lo) / MINUTE / 2) * MINUTE;
    if (before(mid)) lo = mid;
    else hi = mid;
  }
  // In the hour a fall-back repeats, the search may find the second 02:30: the first is earlier.
  const first = hi - 60 * MINUTE;
  const t = localTime(first, timeZone);
  if (dayOf(first, timeZone) === day && t.hour * 60 + t.minute === minutes) return first;
  return hi;
}

/**
 * When the portal opens next (`at` itself when it is open now), looking a little over a year
 * ahead; null when the schedule never opens in that time (no intervals, or closed throughout).
 */
export function nextOpening(hours: BusinessHours, at: number): number | null {
  if (openAt(hours, at).open) return at;
  const today = dayOf(at, hours.timeZone);
  for (let k = 0; k <= HOURS_LIMITS.closureDays + 7; k++) {
    const day = addDays(today, k);
    if (closureOn(hours, day)) continue;
    for (const interval of hours.weekly[weekdayOf(day)]) {
      const start = instantOf(day, minutesOf(interval.start) ?? 0, hours.timeZone);
      const end = instantOf(day, minutesOf(interval.end) ?? 0, hours.timeZone);
      // An interval a spring-forward swallows whole (02:00–03:00 on that day) never opens.
      if (start > at && end > start) return start;
    }
  }
  return null;
}

export type HoursNow =
  | { closed: false }
  | {
      closed: true;
      /** The closure that applies today, if any (its message is shown). */
      closure: Closure | null;
      /** When the portal opens next (null: not within a year). */
      opensAt: number | null;
      timeZone: string;
    };

/**
 * Whether a portal is outside its business hours now, and when it opens: the one rule behind the
 * refused submit, the closed page and "nobody available". Code portals are never closed (the
 * agent is on the phone with the customer).
 */
export function hoursNow(
  portal: { businessHours: BusinessHours | null; type: string },
  now: number,
): HoursNow {
  const hours = portal.businessHours;
  if (hours === null || portal.type === "code") return { closed: false };
  const state = openAt(hours, now);
  if (state.open) return { closed: false };
  return { closed: true, closure: state.closure, opensAt: nextOpening(hours, now), timeZone: hours.timeZone };
}
