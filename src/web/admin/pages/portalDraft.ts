import type { Account, Portal } from "../../../shared/api.js";
import {
  type BusinessHoursInput,
  type HoursInterval,
  WEEKDAYS,
  type Weekday,
} from "../../../shared/businessHours.js";
import type { PortalTexts } from "../../../shared/i18n/portal.js";
import {
  COLOR_PATTERN,
  type ConnectionMode,
  CUSTOM_FIELD_KINDS,
  defaultFields,
  EMAIL_PATTERN,
  type FieldKind,
  type Language,
  LIMITS,
  type Mode,
  type PortalType,
  portalTypesFor,
  SLUG_PATTERN,
  STANDARD_FIELD_KINDS,
} from "../../../shared/model.js";
import { checkInteger, checkText, type Problems } from "../../common/forms.js";
import { language } from "../../common/i18n.js";
import type { PortalInput } from "../api.js";

/** The portal form's state: everything as the inputs hold it (strings), turned into API input on save. */
export interface FieldDraft {
  /** Stable identity of the row in the editor (the position is what the server's errors refer to). */
  uid: number;
  kind: FieldKind;
  label: string;
  required: boolean;
  /** Select options, one per line. */
  options: string;
}

export interface PortalDraft {
  name: string;
  slug: string;
  type: PortalType;
  title: string;
  welcomeText: string;
  language: Language;
  primaryColor: string;
  logoUrl: string;
  fields: FieldDraft[];
  connectionMode: ConnectionMode;
  enabled: boolean;
  agentIds: string[];
  /** The first chat message of every session (empty: none). */
  greeting: string;
  /** Queue portals: the maximum wait in whole minutes, as the input holds it (sent as seconds). */
  maxWaitMinutes: string;
  /** Who is emailed offline messages and unanswered requests: one per line or comma separated. */
  notifyEmails: string;
  /** Business hours as the editor holds them; null: open around the clock. */
  hours: HoursDraft | null;
}

/** The business-hours editor's state: the API's shape, every weekday present. */
export interface HoursDraft {
  timeZone: string;
  weekly: Record<Weekday, HoursInterval[]>;
  closures: { from: string; to: string; message: string }[];
}

/** What "Open at set hours" starts with: Monday to Friday, 09:00–17:00, in the account's zone. */
export function defaultHours(timeZone: string): HoursDraft {
  const weekly = Object.fromEntries(
    WEEKDAYS.map((d) => [d, d === "sat" || d === "sun" ? [] : [{ start: "09:00", end: "17:00" }]]),
  ) as Record<Weekday, HoursInterval[]>;
  return { timeZone, weekly, closures: [] };
}

function hoursInput(h: HoursDraft | null): BusinessHoursInput | null {
  if (h === null) return null;
  return {
    timeZone: h.timeZone.trim(),
    weekly: Object.fromEntries(
      WEEKDAYS.map((d) => [d, h.weekly[d].map((i) => ({ start: i.start.trim(), end: i.end.trim() }))]),
    ),
    closures: h.closures.map((c) => ({
      from: c.from,
      ...(c.to.trim() === "" ? {} : { to: c.to }),
      message: c.message,
    })),
  };
}

/** At most this many notification addresses per portal (the server's limit). */
export const NOTIFY_EMAILS_MAX = 10;

export function emailList(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((e) => e.trim())
    .filter((e) => e !== "");
}

export const DEFAULT_COLOR = "#1f6feb";
/** The server's default maximum wait of a queue portal: 10 minutes. */
const DEFAULT_MAX_WAIT_MINUTES = 10;
export const MAX_WAIT_MIN_MINUTES = Math.ceil(LIMITS.maxWaitMin / 60);
export const MAX_WAIT_MAX_MINUTES = Math.floor(LIMITS.maxWaitMax / 60);

/** Queue mode puts the question portals' requests in line (the server's rule). */
export function isQueuePortal(mode: Mode, type: PortalType): boolean {
  return mode === "queue" && type === "question";
}

/** An absolute http(s) address or a path on this server (logo and avatar pictures). */
export const URL_PATTERN = "^(https?://|/)\\S*$";

let nextUid = 1;
export function fieldDraft(
  kind: FieldKind,
  required = false,
  label = "",
  options: string[] = [],
): FieldDraft {
  nextUid += 1;
  return { uid: nextUid, kind, label, required, options: options.join("\n") };
}

export function defaultFieldDrafts(type: PortalType): FieldDraft[] {
  return defaultFields(type).map((f) => fieldDraft(f.kind, f.required));
}

/** Whether the fields are still the type's defaults as added, so a type change may replace them. */
export function hasDefaultFields(fields: FieldDraft[], type: PortalType): boolean {
  const defaults = defaultFields(type);
  return (
    fields.length === defaults.length &&
    fields.every(
      (f, i) => f.kind === defaults[i]?.kind && f.required === defaults[i]?.required && f.label === "",
    )
  );
}

export function draftOf(portal: Portal | null, account: Account): PortalDraft {
  if (portal) {
    return {
      name: portal.name,
      slug: portal.slug,
      type: portal.type,
      title: portal.title,
      welcomeText: portal.welcomeText,
      language: portal.language,
      primaryColor: portal.primaryColor,
      logoUrl: portal.logoUrl ?? "",
      fields: portal.fields.map((f) => fieldDraft(f.kind, f.required, f.label, f.options)),
      connectionMode: portal.connectionMode,
      enabled: portal.enabled,
      agentIds: portal.agentIds,
      greeting: portal.greeting,
      maxWaitMinutes: String(Math.round(portal.maxWaitSeconds / 60)),
      notifyEmails: (portal.notifyEmails ?? []).join("\n"),
      hours: portal.businessHours
        ? {
            timeZone: portal.businessHours.timeZone,
            weekly: portal.businessHours.weekly,
            closures: portal.businessHours.closures.map((c) => ({ ...c, to: c.to === c.from ? "" : c.to })),
          }
        : null,
    };
  }
  const type = portalTypesFor(account.mode)[0] ?? "question";
  return {
    name: "",
    slug: "",
    type,
    title: "",
    welcomeText: "",
    language: language.value,
    primaryColor: DEFAULT_COLOR,
    logoUrl: "",
    fields: defaultFieldDrafts(type),
    connectionMode: account.webChatEnabled ? "chat-first" : "direct",
    enabled: true,
    agentIds: [],
    greeting: "",
    maxWaitMinutes: String(DEFAULT_MAX_WAIT_MINUTES),
    notifyEmails: "",
    hours: null,
  };
}

export const isCustom = (kind: FieldKind) => (CUSTOM_FIELD_KINDS as readonly string[]).includes(kind);
export const isStandard = (kind: FieldKind) => (STANDARD_FIELD_KINDS as readonly string[]).includes(kind);

/** A standard field's label as the portal shows it when the admin sets none ("" for custom fields). */
export function standardLabel(tp: PortalTexts, kind: FieldKind): string {
  switch (kind) {
    case "name":
      return tp.fieldName;
    case "email":
      return tp.fieldEmail;
    case "phone":
      return tp.fieldPhone;
    case "company":
      return tp.fieldCompany;
    case "problem":
      return tp.fieldProblem;
    default:
      return "";
  }
}

export function optionList(text: string): string[] {
  return text
    .split("\n")
    .map((o) => o.trim())
    .filter((o) => o !== "");
}

/**
 * Whether the server would take this slug (length and pattern, after trimming). Only then does the
 * form preview the portal's address: an invalid slug must not look like a working link.
 */
export function isValidSlug(slug: string): boolean {
  const s = slug.trim();
  return s.length >= LIMITS.slugMin && s.length <= LIMITS.slugMax && new RegExp(SLUG_PATTERN).test(s);
}

/** A slug suggestion from the portal's name: "Web Shop — Hilfe" → "web-shop-hilfe". */
export function slugify(name: string): string {
  return name
    .toLowerCase()
    .replace(/ä/g, "ae")
    .replace(/ö/g, "oe")
    .replace(/ü/g, "ue")
    .replace(/ß/g, "ss")
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, LIMITS.slugMax)
    .replace(/-+$/g, "");
}

export function isColour(value: string): boolean {
  return new RegExp(COLOR_PATTERN).test(value);
}

export function isUrl(value: string): boolean {
  return value.trim() !== "" && new RegExp(URL_PATTERN).test(value.trim());
}

/** The same checks the server makes, with the same field paths and codes. */
export function validate(d: PortalDraft, queue = false): Problems {
  const p: Problems = {};
  checkText(p, "greeting", d.greeting, { max: LIMITS.greeting });
  if (queue) checkInteger(p, "maxWaitSeconds", d.maxWaitMinutes, MAX_WAIT_MIN_MINUTES, MAX_WAIT_MAX_MINUTES);
  checkText(p, "name", d.name, { required: true, max: LIMITS.portalName });
  checkText(p, "slug", d.slug, {
    required: true,
    min: LIMITS.slugMin,
    max: LIMITS.slugMax,
    pattern: SLUG_PATTERN,
  });
  checkText(p, "title", d.title, { max: LIMITS.portalTitle });
  checkText(p, "welcomeText", d.welcomeText, { max: LIMITS.welcomeText });
  checkText(p, "primaryColor", d.primaryColor, { required: true, max: 7, pattern: COLOR_PATTERN });
  checkText(p, "logoUrl", d.logoUrl, { max: LIMITS.url, pattern: URL_PATTERN });
  const emails = emailList(d.notifyEmails);
  if (emails.length > NOTIFY_EMAILS_MAX) {
    p.notifyEmails = { code: "too_many", message: "too many", params: { limit: NOTIFY_EMAILS_MAX } };
  } else if (emails.some((e) => e.length > LIMITS.email || !new RegExp(EMAIL_PATTERN).test(e))) {
    p.notifyEmails = { code: "invalid", message: "has the wrong format" };
  }
  const custom = d.fields.filter((f) => isCustom(f.kind)).length;
  if (custom > LIMITS.customFields) {
    p.fields = {
      code: "too_many_custom_fields",
      message: "too many",
      params: { limit: LIMITS.customFields },
    };
  }
  d.fields.forEach((f, i) => {
    const at = `fields.${i}`;
    checkText(p, `${at}.label`, f.label, { required: isCustom(f.kind), max: LIMITS.fieldLabel });
    if (f.kind !== "select") return;
    const options = optionList(f.options);
    if (options.length === 0) {
      p[`${at}.options`] = { code: "options_required", message: "needs at least one option" };
    } else if (options.length > LIMITS.selectOptions) {
      p[`${at}.options`] = { code: "too_many", message: "too many", params: { limit: LIMITS.selectOptions } };
    } else if (options.some((o) => o.length > LIMITS.selectOption)) {
      p[`${at}.options`] = {
        code: "option_too_long",
        message: "too long",
        params: { limit: LIMITS.selectOption },
      };
    }
  });
  return p;
}

export function inputOf(d: PortalDraft, queue = false): PortalInput {
  return {
    greeting: d.greeting,
    ...(queue ? { maxWaitSeconds: Number(d.maxWaitMinutes) * 60 } : {}),
    name: d.name.trim(),
    slug: d.slug.trim(),
    type: d.type,
    title: d.title.trim(),
    welcomeText: d.welcomeText,
    language: d.language,
    primaryColor: d.primaryColor,
    logoUrl: d.logoUrl.trim() === "" ? null : d.logoUrl.trim(),
    fields: d.fields.map((f) => ({
      kind: f.kind,
      label: f.label.trim(),
      required: f.required,
      options: f.kind === "select" ? optionList(f.options) : [],
    })),
    connectionMode: d.connectionMode,
    enabled: d.enabled,
    agentIds: d.agentIds,
    notifyEmails: emailList(d.notifyEmails),
    businessHours: hoursInput(d.hours),
  };
}

const TOP_LEVEL = [
  "name",
  "slug",
  "type",
  "title",
  "welcomeText",
  "language",
  "primaryColor",
  "logoUrl",
  "fields",
  "connectionMode",
  "enabled",
  "agentIds",
  "greeting",
  "maxWaitSeconds",
  "notifyEmails",
];

/**
 * Where a problem of the portal form is shown: top-level fields by name, contact-field problems
 * on the row (`fields.2`), its label (`fields.2.label`) or its options (`fields.2.options.4` too).
 */
export function placePortalProblem(field: string): string | null {
  if (TOP_LEVEL.includes(field)) return field;
  if (field.startsWith("notifyEmails.")) return "notifyEmails";
  // Business hours: each problem at its own input (the editor reads the server's paths).
  if (field === "businessHours" || field.startsWith("businessHours.")) return field;
  const m = /^fields\.(\d+)(?:\.(label|options|kind|required))?/.exec(field);
  if (!m) return null;
  const part = m[2];
  if (part === "label" || part === "options") return `fields.${m[1]}.${part}`;
  return `fields.${m[1]}`;
}
