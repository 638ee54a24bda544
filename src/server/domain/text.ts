/**
 * What may be in text people send: everything except the control characters that have no
 * business in text. PostgreSQL refuses a NUL byte in a text value (a 500 before this rule),
 * SQLite stores it and cuts the string short in some readers, and the other C0 controls, DEL
 * and lone UTF-16 surrogates (which both drivers silently turn into U+FFFD) only ever arrive
 * from scripts probing the server. Tab, line feed and carriage return are text.
 */

/** C0 controls except tab (09), LF (0A), CR (0D); DEL (7F); a high surrogate not followed by a low one, or a low one alone. */
const FORBIDDEN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is what this rule is for
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The first forbidden character of `text` as `U+XXXX`, or null when the text is clean. */
export function forbiddenCharacter(text: string): string | null {
  const found = FORBIDDEN.exec(text);
  if (!found) return null;
  const code = found[0].charCodeAt(0);
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

export interface TextProblem {
  /** Where the character is: `values.question`, `admin.displayName`, `fields.0.label`, `body`. */
  field: string;
  /** The character, as `U+0000`. */
  character: string;
}

/** A field name safe to show and to use as a key: forbidden characters written as `\uXXXX`. */
function printable(key: string): string {
  return key.replace(
    new RegExp(FORBIDDEN.source, "g"),
    (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`,
  );
}

/**
 * The first string (value or object key) in a parsed JSON or form value that holds a forbidden
 * character, with its dotted path; null when everything is clean. Walks at most `maxDepth`
 * levels (bodies are schema-limited far below that; deeper nesting is refused by the schema).
 */
export function findForbiddenText(value: unknown, path = "", maxDepth = 32): TextProblem | null {
  if (typeof value === "string") {
    const character = forbiddenCharacter(value);
    return character ? { field: path, character } : null;
  }
  if (maxDepth <= 0 || typeof value !== "object" || value === null) return null;
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : Object.entries(value);
  for (const [key, child] of entries) {
    const field = path ? `${path}.${printable(key)}` : printable(key);
    const inKey = forbiddenCharacter(key);
    if (inKey) return { field, character: inKey };
    const found = findForbiddenText(child, field, maxDepth - 1);
    if (found) return found;
  }
  return null;
}

/** The sentence that names the problem, e.g. `values.question must not contain control characters (found U+0000)`. */
export function forbiddenTextMessage(problem: TextProblem): string {
  const what = problem.field || "the text";
  return `${what} must not contain control characters (found ${problem.character})`;
}
