import { formatSessionNumber } from "../../shared/protocol.js";
import { formatClock, formatDateAndTime } from "../../shared/time.js";
import { lang } from "./i18n.js";

export { formatSessionNumber };

/** "123456789" → "123 456 789" (codes have the same shape as session numbers). */
export const formatCode = formatSessionNumber;

/** A clock time such as "14:05" (or "2:05 PM"), in the console's language: the customer pages' formatter. */
export function formatTime(ms: number): string {
  return formatClock(ms, lang.value);
}

/** Date and time, for things that may be older than today (offline messages). */
export function formatDateTime(ms: number): string {
  return formatDateAndTime(ms, lang.value);
}

/** Today's time only; other days with their date. */
export function formatWhen(ms: number, now: number): string {
  const a = new Date(ms);
  const b = new Date(now);
  const sameDay =
    a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
  return sameDay ? formatTime(ms) : formatDateTime(ms);
}

/** A duration as "m:ss", or "h:mm:ss" from an hour on; never negative. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** "mm:ss" until a moment, e.g. a code's expiry. */
export function formatCountdown(until: number, now: number): string {
  const total = Math.max(0, Math.ceil((until - now) / 1000));
  const m = Math.floor(total / 60);
  const s = total % 60;
  return `${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
}
