/**
 * Clock times and dates as people read them, one way on every page: the customer's pages (the
 * server's rendering and their small script) and the agent console use these, so the same moment
 * reads the same in the same language ("1:16 AM" in English, "01:16" in German) wherever it shows.
 * The language's own short style decides the shape; nothing here forces two-digit hours.
 */

type Style = "time" | "dateTime";

const OPTIONS: Record<Style, Intl.DateTimeFormatOptions> = {
  time: { timeStyle: "short" },
  dateTime: { dateStyle: "medium", timeStyle: "short" },
};

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(style: Style, lang: string, timeZone: string | undefined): Intl.DateTimeFormat {
  const key = `${style}|${lang}|${timeZone ?? ""}`;
  let f = formatters.get(key);
  if (!f) {
    const options = timeZone === undefined ? OPTIONS[style] : { ...OPTIONS[style], timeZone };
    f = new Intl.DateTimeFormat(lang, options);
    formatters.set(key, f);
  }
  return f;
}

/**
 * A clock time ("1:16 AM", "01:16") in the page's language. `timeZone` is for the server, which
 * renders in its own zone until the customer's script rewrites it in theirs; browsers leave it out.
 */
export function formatClock(at: number, lang: string, timeZone?: string): string {
  return formatter("time", lang, timeZone).format(at);
}

/** Date and time ("Jan 5, 2026, 1:16 AM", "05.01.2026, 01:16"), for what may be older than today. */
export function formatDateAndTime(at: number, lang: string, timeZone?: string): string {
  return formatter("dateTime", lang, timeZone).format(at);
}
