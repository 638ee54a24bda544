import { LANGUAGES, type Language } from "../model.js";
import { de } from "./de.js";
import { type Catalog, en } from "./en.js";

export type { Catalog };
export const catalogs: Record<Language, Catalog> = { en, de };

/** Picks a supported language from an Accept-Language header (or navigator.languages), English otherwise. */
export function pickLanguage(accepted: string | readonly string[] | undefined | null): Language {
  const list = typeof accepted === "string" ? accepted.split(",") : (accepted ?? []);
  for (const entry of list) {
    const tag = entry.split(";")[0]?.trim().toLowerCase().slice(0, 2);
    if (tag && (LANGUAGES as readonly string[]).includes(tag)) return tag as Language;
  }
  return "en";
}

/** Fills {name} placeholders. */
export function format(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => (k in params ? String(params[k]) : `{${k}}`));
}
