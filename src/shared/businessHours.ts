/** A portal's business hours as the API carries them (the rules: src/server/domain/businessHours.ts). */

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface HoursInterval {
  /** "HH:MM", 00:00–23:59. */
  start: string;
  /** "HH:MM", after the start, at most "24:00" (the end of the day). */
  end: string;
}

export interface Closure {
  /** The first closed day, "YYYY-MM-DD" in the portal's zone. */
  from: string;
  /** The last closed day (inclusive); the same as `from` for a single day. */
  to: string;
  /** Shown to customers while it applies ("" for none). */
  message: string;
}

export interface BusinessHours {
  timeZone: string;
  weekly: Record<Weekday, HoursInterval[]>;
  closures: Closure[];
}

export const HOURS_LIMITS = {
  intervalsPerDay: 6,
  closures: 100,
  closureMessage: 500,
  /** The longest closure, in days. */
  closureDays: 366,
} as const;

/** What a client sends: the shape checked by the HTTP schema, the meaning checked here. */
export interface BusinessHoursInput {
  timeZone: string;
  weekly: Partial<Record<Weekday, HoursInterval[]>>;
  closures?: { from?: string; to?: string; message?: string }[];
}
