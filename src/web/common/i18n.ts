import { effect, signal } from "@preact/signals";
import type { ApiFieldProblem } from "../../shared/api.js";
import { type Catalog, catalogs, format, pickLanguage } from "../../shared/i18n/index.js";
import { LANGUAGES, type Language } from "../../shared/model.js";

export type MessageKey = keyof Catalog;
type Params = Record<string, string | number>;

const STORAGE_KEY = "helpgate.language";

function storedLanguage(): Language | null {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return (LANGUAGES as readonly string[]).includes(value ?? "") ? (value as Language) : null;
  } catch {
    return null;
  }
}

/** The interface language: the one chosen before, else the browser's preference, else English. */
export const language = signal<Language>(storedLanguage() ?? pickLanguage(navigator.languages));

effect(() => {
  document.documentElement.lang = language.value;
});

export function setLanguage(next: Language): void {
  language.value = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
}

/** A text of the current language; reading it inside a component re-renders it when the language changes. */
export function t(key: MessageKey, params?: Params): string {
  return format(catalogs[language.value][key], params);
}

export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(catalogs.en, key);
}

/** Server texts come in English as phrases ("must be at most 100 characters"); make them sentences. */
export function sentence(text: string): string {
  const s = text.trim();
  if (s === "") return s;
  const first = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/**
 * The message for one field problem: `error.<code>.<field>` or `error.<code>` from the catalog
 * when there is one, else the server's own message.
 */
export function problemText(field: string, problem: ApiFieldProblem): string {
  const last = field.split(".").pop() ?? field;
  for (const key of [`error.${problem.code}.${last}`, `error.${problem.code}`]) {
    if (isMessageKey(key)) return t(key, problem.params ?? {});
  }
  return sentence(problem.message);
}
