import { format } from "../../shared/i18n/index.js";
import type { Language } from "../../shared/model.js";
import { language } from "../common/i18n.js";

/** The texts of the reports page and the account's time zone field, in English and German. */
const en = {
  "nav.reports": "Reports",

  "rp.title": "Reports",
  "rp.intro": "What happened to every request of {account}: how many, how fast, how well.",
  "rp.filters": "Filters",
  "rp.period": "Period",
  "rp.period.today": "Today",
  "rp.period.yesterday": "Yesterday",
  "rp.period.last7": "Last 7 days",
  "rp.period.last30": "Last 30 days",
  "rp.period.thisMonth": "This month",
  "rp.period.lastMonth": "Last month",
  "rp.period.custom": "Custom",
  "rp.from": "From",
  "rp.to": "To",
  "rp.portal": "Portal",
  "rp.agent": "Agent",
  "rp.allPortals": "All portals",
  "rp.allAgents": "All agents",
  "rp.apply": "Show",
  "rp.zone": "Days in {zone}.",
  "rp.zoneChange": "Change the time zone",
  "rp.range": "{from} – {to}",
  "rp.empty": "No requests in this period.",
  "rp.demoHistory": "Includes demo history generated at first start (until {date}).",
  "rp.downloadAll": "Download all requests (CSV)",
  "rp.download": "Download CSV",
  "rp.downloadOf": "Download CSV: {table}",

  "rp.sum.title": "Summary",
  "rp.sum.submitted": "Submitted",
  "rp.sum.accepted": "Accepted",
  "rp.sum.codeSessions": "plus {n} by session code",
  "rp.sum.declined": "Declined",
  "rp.sum.noResponse": "No response",
  "rp.sum.canceled": "Canceled by the customer",
  "rp.sum.canceledSplit": "<30 s: {a} · <2 min: {b} · <5 min: {c} · ≥5 min: {d}",
  "rp.sum.offline": "Offline messages",
  "rp.sum.outsideHours": "{n} of them outside business hours",
  "rp.sum.waiting": "Still waiting",
  "rp.sum.answerRate": "Answer rate",
  "rp.sum.timeToAccept": "Time to accept",
  "rp.sum.duration": "Session duration",
  "rp.sum.median": "Median",
  "rp.sum.p90": "90 %",
  "rp.sum.max": "Longest",
  "rp.sum.outcomes": "Outcomes",
  "rp.out.resolved": "Resolved",
  "rp.out.unresolved": "Unresolved",
  "rp.out.unknown": "Unknown",
  "rp.out.notRecorded": "Not recorded",
  "rp.sum.rating": "Customer rating",
  "rp.sum.ratingAvg": "{avg} of 5",
  "rp.sum.ratingAnswered": "{n} answered",
  "rp.sum.ratingNone": "No ratings",
  "rp.sum.stars": "{n} stars",
  "rp.sum.star": "1 star",
  "rp.comments": "Comments",
  "rp.commentsNone": "No comments in this period.",
  "rp.commentBy": "Session {number} · {agent} · {when}",

  "rp.charts.title": "By day and hour",
  "rp.chart.volume": "Requests by day",
  "rp.chart.wait": "Wait until accepted by day",
  "rp.chart.hours": "Requests by hour of day",
  "rp.chart.day": "Day",
  "rp.chart.hour": "Hour",
  "rp.chart.loading": "Loading the chart…",
  "rp.chart.volumeSummary": "{total} requests over {days} days; the busiest day was {day} with {n}.",
  "rp.chart.volumeSummaryOne": "{total} requests on {day}.",
  "rp.chart.waitSummary": "Median wait by day from {min} to {max}.",
  "rp.chart.waitNone": "No accepted requests to measure.",
  "rp.chart.hoursSummary": "The busiest hour was {hour} with {n} requests.",
  "rp.chart.table": "The chart's figures",

  "rp.agents.title": "By agent",
  "rp.agents.name": "Agent",
  "rp.agents.sessions": "Sessions",
  "rp.agents.handle": "Median handle time",
  "rp.agents.accept": "Median time to accept",
  "rp.agents.declines": "Declines",
  "rp.agents.timedOut": "Offers timed out",
  "rp.agents.rating": "Rating",
  "rp.agents.disabled": "disabled",
  "rp.agents.time": "Available / signed in",
  "rp.agents.timeValue": "{available} of {signedIn}",
  "rp.agents.none": "No agents.",

  "rp.portals.title": "By portal",
  "rp.portals.name": "Portal",
  "rp.portals.none": "No portals.",
  "rp.portals.deleted": "deleted",
  "rp.portals.canceled": "Canceled",
  "rp.portals.accept": "Median wait",
  "rp.portals.offline": "Offline",

  "rp.queue.title": "Queue",
  "rp.queue.offersMade": "Offers made",
  "rp.queue.offersAccepted": "Offers accepted",
  "rp.queue.offersDeclined": "Offers declined",
  "rp.queue.offersTimedOut": "Offers timed out",
  "rp.queue.longestWait": "Longest wait",
  "rp.queue.hitMaxWait": "Hit the maximum wait",

  "rp.none": "–",
  "rp.seconds": "{n} s",
  "rp.minutes": "{m} min {s} s",
  "rp.hours": "{h} h {m} min",
  "rp.axisMinutes": "{m} min",
  "rp.axisHours": "{h} h",

  "account.timeZone": "Time zone",
  "account.timeZoneHint":
    "Reports count days and hours in this zone, e.g. Europe/Berlin. Daylight saving is taken into account.",
  "error.unknown_time_zone": "Not a time zone. Use a name from the list, such as Europe/Berlin.",
};

export type ReportTextKey = keyof typeof en;

const de: Record<ReportTextKey, string> = {
  "nav.reports": "Berichte",

  "rp.title": "Berichte",
  "rp.intro": "Was aus jeder Anfrage an {account} geworden ist: wie viele, wie schnell, wie gut.",
  "rp.filters": "Filter",
  "rp.period": "Zeitraum",
  "rp.period.today": "Heute",
  "rp.period.yesterday": "Gestern",
  "rp.period.last7": "Letzte 7 Tage",
  "rp.period.last30": "Letzte 30 Tage",
  "rp.period.thisMonth": "Dieser Monat",
  "rp.period.lastMonth": "Letzter Monat",
  "rp.period.custom": "Eigener Zeitraum",
  "rp.from": "Von",
  "rp.to": "Bis",
  "rp.portal": "Portal",
  "rp.agent": "Agent",
  "rp.allPortals": "Alle Portale",
  "rp.allAgents": "Alle Agenten",
  "rp.apply": "Anzeigen",
  "rp.zone": "Tage in {zone}.",
  "rp.zoneChange": "Zeitzone ändern",
  "rp.range": "{from} – {to}",
  "rp.empty": "Keine Anfragen in diesem Zeitraum.",
  "rp.demoHistory": "Enthält Demo-Verlauf, der beim ersten Start erzeugt wurde (bis {date}).",
  "rp.downloadAll": "Alle Anfragen herunterladen (CSV)",
  "rp.download": "CSV herunterladen",
  "rp.downloadOf": "CSV herunterladen: {table}",

  "rp.sum.title": "Übersicht",
  "rp.sum.submitted": "Eingegangen",
  "rp.sum.accepted": "Angenommen",
  "rp.sum.codeSessions": "und {n} per Sitzungscode",
  "rp.sum.declined": "Abgelehnt",
  "rp.sum.noResponse": "Keine Antwort",
  "rp.sum.canceled": "Vom Kunden abgebrochen",
  "rp.sum.canceledSplit": "<30 s: {a} · <2 Min.: {b} · <5 Min.: {c} · ≥5 Min.: {d}",
  "rp.sum.offline": "Offline-Nachrichten",
  "rp.sum.outsideHours": "davon {n} außerhalb der Geschäftszeiten",
  "rp.sum.waiting": "Wartet noch",
  "rp.sum.answerRate": "Annahmequote",
  "rp.sum.timeToAccept": "Zeit bis zur Annahme",
  "rp.sum.duration": "Sitzungsdauer",
  "rp.sum.median": "Median",
  "rp.sum.p90": "90 %",
  "rp.sum.max": "Längste",
  "rp.sum.outcomes": "Ergebnisse",
  "rp.out.resolved": "Gelöst",
  "rp.out.unresolved": "Nicht gelöst",
  "rp.out.unknown": "Unbekannt",
  "rp.out.notRecorded": "Nicht erfasst",
  "rp.sum.rating": "Kundenbewertung",
  "rp.sum.ratingAvg": "{avg} von 5",
  "rp.sum.ratingAnswered": "{n} beantwortet",
  "rp.sum.ratingNone": "Keine Bewertungen",
  "rp.sum.stars": "{n} Sterne",
  "rp.sum.star": "1 Stern",
  "rp.comments": "Kommentare",
  "rp.commentsNone": "Keine Kommentare in diesem Zeitraum.",
  "rp.commentBy": "Sitzung {number} · {agent} · {when}",

  "rp.charts.title": "Nach Tag und Uhrzeit",
  "rp.chart.volume": "Anfragen pro Tag",
  "rp.chart.wait": "Wartezeit bis zur Annahme pro Tag",
  "rp.chart.hours": "Anfragen nach Uhrzeit",
  "rp.chart.day": "Tag",
  "rp.chart.hour": "Stunde",
  "rp.chart.loading": "Das Diagramm wird geladen …",
  "rp.chart.volumeSummary": "{total} Anfragen an {days} Tagen; am meisten war am {day} los mit {n}.",
  "rp.chart.volumeSummaryOne": "{total} Anfragen am {day}.",
  "rp.chart.waitSummary": "Mittlere Wartezeit pro Tag von {min} bis {max}.",
  "rp.chart.waitNone": "Keine angenommenen Anfragen zum Messen.",
  "rp.chart.hoursSummary": "Am meisten los war um {hour} Uhr mit {n} Anfragen.",
  "rp.chart.table": "Die Zahlen des Diagramms",

  "rp.agents.title": "Nach Agent",
  "rp.agents.name": "Agent",
  "rp.agents.sessions": "Sitzungen",
  "rp.agents.handle": "Mittlere Bearbeitungszeit",
  "rp.agents.accept": "Mittlere Zeit bis zur Annahme",
  "rp.agents.declines": "Ablehnungen",
  "rp.agents.timedOut": "Angebote verfallen",
  "rp.agents.rating": "Bewertung",
  "rp.agents.disabled": "deaktiviert",
  "rp.agents.time": "Verfügbar / angemeldet",
  "rp.agents.timeValue": "{available} von {signedIn}",
  "rp.agents.none": "Keine Agenten.",

  "rp.portals.title": "Nach Portal",
  "rp.portals.name": "Portal",
  "rp.portals.none": "Keine Portale.",
  "rp.portals.deleted": "gelöscht",
  "rp.portals.canceled": "Abgebrochen",
  "rp.portals.accept": "Mittl. Wartezeit",
  "rp.portals.offline": "Offline",

  "rp.queue.title": "Warteschlange",
  "rp.queue.offersMade": "Angebote gemacht",
  "rp.queue.offersAccepted": "Angebote angenommen",
  "rp.queue.offersDeclined": "Angebote abgelehnt",
  "rp.queue.offersTimedOut": "Angebote verfallen",
  "rp.queue.longestWait": "Längste Wartezeit",
  "rp.queue.hitMaxWait": "Maximale Wartezeit erreicht",

  "rp.none": "–",
  "rp.seconds": "{n} s",
  "rp.minutes": "{m} Min. {s} s",
  "rp.hours": "{h} Std. {m} Min.",
  "rp.axisMinutes": "{m} Min.",
  "rp.axisHours": "{h} Std.",

  "account.timeZone": "Zeitzone",
  "account.timeZoneHint":
    "Berichte zählen Tage und Stunden in dieser Zone, z. B. Europe/Berlin. Sommer- und Winterzeit werden berücksichtigt.",
  "error.unknown_time_zone": "Keine Zeitzone. Wählen Sie einen Namen aus der Liste, etwa Europe/Berlin.",
};

const catalogs: Record<Language, Record<ReportTextKey, string>> = { en, de };

/** A text of the reports page in the current language (re-renders on a language change). */
export function rx(key: ReportTextKey, params?: Record<string, string | number>): string {
  return format(catalogs[language.value][key], params);
}

/** A count in the interface language ("1,234" / "1.234"). */
export function count(n: number): string {
  return n.toLocaleString(language.value);
}

/** A share as a percentage ("83 %"); "–" when there is none. */
export function percent(share: number | null): string {
  if (share === null) return rx("rp.none");
  return share.toLocaleString(language.value, { style: "percent", maximumFractionDigits: 1 });
}

/** A number of seconds as "42 s", "3 min 5 s" or "1 h 20 min"; "–" when there is none. */
export function duration(seconds: number | null): string {
  if (seconds === null) return rx("rp.none");
  const s = Math.round(seconds);
  if (s < 60) return rx("rp.seconds", { n: s });
  if (s < 3600) return rx("rp.minutes", { m: Math.floor(s / 60), s: s % 60 });
  return rx("rp.hours", { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
}

/** A calendar day "2026-11-03" as "3 Nov 2026" in the interface language (the day as such, no zone shift). */
export function dayText(key: string, style: "medium" | "short" = "medium"): string {
  const [y, m, d] = key.split("-").map(Number);
  if (y === undefined || m === undefined || d === undefined) return key;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (style === "short")
    return date.toLocaleDateString(language.value, { day: "numeric", month: "short", timeZone: "UTC" });
  return date.toLocaleDateString(language.value, { dateStyle: "medium", timeZone: "UTC" });
}

/** A duration on a chart's axis, short enough for its margin ("90 s", "5 min", "2 h"). */
export function axisDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 120) return rx("rp.seconds", { n: s });
  if (s < 7200)
    return rx("rp.axisMinutes", { m: (s / 60).toLocaleString(language.value, { maximumFractionDigits: 1 }) });
  return rx("rp.axisHours", { h: (s / 3600).toLocaleString(language.value, { maximumFractionDigits: 1 }) });
}
