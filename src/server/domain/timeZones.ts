import { fieldError } from "./errors.js";

/** Time zones (pure): the server's own, and whether a name is one the runtime knows (IANA). */

export function serverTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

export function isTimeZone(name: string): boolean {
  if (name.trim() === "" || name.length > 64) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** A zone as it is saved: its canonical IANA spelling ("europe/berlin" → "Europe/Berlin"). */
export function checkTimeZone(raw: string): string {
  const name = raw.trim();
  if (!isTimeZone(name))
    throw fieldError(
      400,
      "timeZone",
      "unknown_time_zone",
      `"${raw}" is not a time zone; use an IANA name such as Europe/Berlin.`,
      {
        value: raw.slice(0, 64),
      },
    );
  return new Intl.DateTimeFormat("en", { timeZone: name }).resolvedOptions().timeZone;
}
