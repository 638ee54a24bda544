import {
  CANNED_LIMITS,
  type CannedInput,
  placeholderList,
  SHORTCUT_PATTERN,
  unknownPlaceholders,
} from "../../shared/canned.js";
import { LANGUAGES, type Language } from "../../shared/model.js";
import { fieldError } from "./errors.js";

/** A canned response as it is stored: trimmed, checked, optional parts null. */
export interface CannedFields {
  title: string;
  shortcut: string | null;
  text: string;
  language: Language | null;
}

const SHORTCUT = new RegExp(SHORTCUT_PATTERN);

/**
 * The checks of a canned response (the route's schema has refused wrong types, extra fields and
 * over-long strings already; these are the rules a schema cannot say clearly). Each refusal is a
 * 400 naming its field.
 */
export function checkCanned(input: CannedInput): CannedFields {
  const title = input.title.trim();
  if (title === "") throw fieldError(400, "title", "required", "title must not be empty.");
  if (title.length > CANNED_LIMITS.title)
    throw fieldError(400, "title", "too_long", `title must be at most ${CANNED_LIMITS.title} characters.`, {
      limit: CANNED_LIMITS.title,
    });
  if (/[\r\n]/.test(title)) throw fieldError(400, "title", "one_line", "title must be one line.");

  const rawShortcut = (input.shortcut ?? "").trim();
  const shortcut = rawShortcut === "" ? null : rawShortcut;
  if (shortcut !== null) {
    if (shortcut.length > CANNED_LIMITS.shortcut)
      throw fieldError(
        400,
        "shortcut",
        "too_long",
        `shortcut must be at most ${CANNED_LIMITS.shortcut} characters.`,
        { limit: CANNED_LIMITS.shortcut },
      );
    if (!SHORTCUT.test(shortcut))
      throw fieldError(
        400,
        "shortcut",
        "invalid",
        "shortcut must use lowercase letters, digits and dashes and start with a letter or digit, e.g. greet.",
      );
  }

  // The text keeps its inner spacing and line breaks; only blank lines around it go.
  const text = input.text.replace(/^\s*\n/, "").trimEnd();
  if (text.trim() === "") throw fieldError(400, "text", "required", "text must not be empty.");
  if (text.length > CANNED_LIMITS.text)
    throw fieldError(400, "text", "too_long", `text must be at most ${CANNED_LIMITS.text} characters.`, {
      limit: CANNED_LIMITS.text,
    });
  const unknown = unknownPlaceholders(text);
  if (unknown.length > 0) {
    const list = placeholderList();
    throw fieldError(
      400,
      "text",
      "unknown_placeholder",
      `text uses ${unknown.length === 1 ? "an unknown placeholder" : "unknown placeholders"}: ${unknown.join(", ")}. Valid placeholders: ${list}.`,
      { placeholders: unknown.join(", "), valid: list },
    );
  }

  const language = input.language ?? null;
  if (language !== null && !(LANGUAGES as readonly string[]).includes(language))
    throw fieldError(400, "language", "not_allowed", `language must be one of: ${LANGUAGES.join(", ")}.`, {
      allowed: LANGUAGES.join(", "),
    });
  return { title, shortcut, text, language };
}
