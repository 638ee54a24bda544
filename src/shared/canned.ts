/**
 * Canned responses (issue 18): prepared texts an agent inserts into the chat box, with
 * placeholders filled from the session. One definition of the placeholders for the server (which
 * refuses unknown ones when a text is saved) and the console (which fills them when one is chosen).
 */

import { type Language, LIMITS } from "./model.js";
import { formatSessionNumber } from "./protocol.js";

export const CANNED_LIMITS = {
  title: 100,
  text: 5000,
  shortcut: 32,
  /** Account-wide responses per account. */
  perAccount: 1000,
  /** Personal responses per agent. */
  perAgent: 200,
} as const;

/** A shortcut: lowercase letters, digits and dashes, starting with a letter or digit ("greet", "reset-pw"). */
export const SHORTCUT_PATTERN = "^[a-z0-9][a-z0-9-]*$";

/** account: for everyone of the account (admins, managers manage them); personal: one agent's own. */
export type CannedScope = "account" | "personal";

export interface CannedResponse {
  id: string;
  scope: CannedScope;
  title: string;
  /** What follows the `/` to find it quickly ("greet"); unique per scope (the account's, or one agent's). */
  shortcut: string | null;
  /** The text with placeholders such as {customer.name}. */
  text: string;
  /** The language it is written in; null: any language. */
  language: Language | null;
  createdAt: number;
  updatedAt: number;
}

/** What a create or change sends (a change replaces all four). */
export interface CannedInput {
  title: string;
  shortcut?: string | null;
  text: string;
  language?: Language | null;
}

/** The contact keys a request may carry: the standard field kinds and the custom fields. */
export const CONTACT_KEYS: readonly string[] = [
  "name",
  "email",
  "phone",
  "company",
  "problem",
  ...Array.from({ length: LIMITS.customFields }, (_, i) => `custom${i + 1}`),
];

/** Every placeholder a canned text may use, in the order the help lists them. */
export const PLACEHOLDERS: readonly string[] = [
  "customer.name",
  "customer.email",
  "agent.name",
  "portal.name",
  "session.number",
  ...CONTACT_KEYS.map((k) => `contact.${k}`),
];

const KNOWN = new Set(PLACEHOLDERS);

/**
 * Anything in braces that looks like a placeholder: a name of letters, digits, `_` and `-` right
 * inside the braces (`{name}`), or a dotted one, also with spaces around it (`{ customer.name }`
 * counts as a try and is refused). Braces around other things (`{:-)}`, JSON, `{ or }`) are text.
 */
const PLACEHOLDER_LIKE = /\{(?:\s*[A-Za-z_][\w-]*(?:\.[\w-]+)+\s*|[A-Za-z_][\w-]*)\}/g;

/** The placeholder-looking parts of a text that are not placeholders, each once, in order of appearance. */
export function unknownPlaceholders(text: string): string[] {
  const unknown: string[] = [];
  for (const m of text.matchAll(PLACEHOLDER_LIKE)) {
    const whole = m[0];
    const inner = whole.slice(1, -1);
    if (!KNOWN.has(inner) && !unknown.includes(whole)) unknown.push(whole);
  }
  return unknown;
}

/** The placeholders a text uses (known ones only), each once. */
export function usedPlaceholders(text: string): string[] {
  const used: string[] = [];
  for (const m of text.matchAll(PLACEHOLDER_LIKE)) {
    const inner = m[0].slice(1, -1);
    if (KNOWN.has(inner) && !used.includes(inner)) used.push(inner);
  }
  return used;
}

export type PlaceholderValues = Partial<Record<string, string>>;

/**
 * The text with every placeholder replaced by its value; a placeholder without a value becomes
 * empty text. Anything else in braces stays as it is. Values are inserted as they are (the chat
 * renders text, never HTML) and are not searched for placeholders again.
 */
export function fillPlaceholders(text: string, values: PlaceholderValues): string {
  return text.replace(PLACEHOLDER_LIKE, (whole) => {
    const inner = whole.slice(1, -1);
    if (!KNOWN.has(inner)) return whole;
    return values[inner] ?? "";
  });
}

/** What of a session the placeholders are filled from (a RequestView has all of it). */
export interface PlaceholderSource {
  customerName: string;
  customerEmail: string;
  portalName: string;
  /** The 9-digit number; filled as the customer sees it ("123 456 789"). */
  sessionNumber: string;
  contact: Record<string, string>;
}

/** The placeholder values of one session, for the agent `agentName`. */
export function placeholderValues(source: PlaceholderSource, agentName: string): PlaceholderValues {
  const values: PlaceholderValues = {
    "customer.name": source.customerName || source.contact.name || "",
    "customer.email": source.customerEmail || source.contact.email || "",
    "agent.name": agentName,
    "portal.name": source.portalName,
    "session.number": source.sessionNumber ? formatSessionNumber(source.sessionNumber) : "",
  };
  for (const key of CONTACT_KEYS) {
    const v = source.contact[key];
    if (typeof v === "string") values[`contact.${key}`] = v;
  }
  return values;
}

/** The placeholders as the help and error messages list them: "{customer.name}, {agent.name}, …". */
export function placeholderList(): string {
  return PLACEHOLDERS.map((p) => `{${p}}`).join(", ");
}

/**
 * Order for the picker: responses in `language` first, then those for any language, then the
 * rest; within each, by title. Stable for equal titles (shortcut, then id).
 */
export function orderForLanguage(list: readonly CannedResponse[], language: string | null): CannedResponse[] {
  const rank = (r: CannedResponse) =>
    language === null ? 0 : r.language === language ? 0 : r.language === null ? 1 : 2;
  return [...list].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      a.title.localeCompare(b.title) ||
      (a.shortcut ?? "").localeCompare(b.shortcut ?? "") ||
      a.id.localeCompare(b.id),
  );
}

/**
 * Whether a response matches what was typed after the `/`: every word of the query appears in its
 * shortcut, title or text (case- and accent-insensitive). An empty query matches everything.
 */
export function matchesQuery(r: CannedResponse, query: string): boolean {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const hay = fold(`${r.shortcut ?? ""}\n${r.title}\n${r.text}`);
  return words.every((w) => hay.includes(w));
}

/**
 * The matches of a query, best first: shortcut equal to the query, shortcut starting with it,
 * title starting with it, then the rest, each group in the given order.
 */
export function searchCanned(list: readonly CannedResponse[], query: string): CannedResponse[] {
  const q = fold(query.trim());
  const matches = list.filter((r) => matchesQuery(r, query));
  if (q === "") return matches;
  const score = (r: CannedResponse) => {
    const shortcut = r.shortcut ?? "";
    if (shortcut === q) return 0;
    if (shortcut !== "" && shortcut.startsWith(q)) return 1;
    if (fold(r.title).startsWith(q)) return 2;
    return 3;
  };
  return matches
    .map((r, i) => ({ r, i, s: score(r) }))
    .sort((a, b) => a.s - b.s || a.i - b.i)
    .map((x) => x.r);
}

function fold(s: string): string {
  return s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase();
}
