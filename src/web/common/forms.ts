import type { ApiFieldProblem } from "../../shared/api.js";
import { ApiFailure } from "./api.js";
import { isMessageKey, problemText, sentence, t } from "./i18n.js";

/** What a form shows after a failed save: one message on top, and one per field next to it. */
export interface FormErrors {
  general: string | null;
  fields: Record<string, string>;
}

export const NO_ERRORS: FormErrors = { general: null, fields: {} };

export type Problems = Record<string, ApiFieldProblem>;

/** The general (field-less) message of a failure, translated where the code is known. */
export function failureText(err: unknown): string {
  if (err instanceof ApiFailure) {
    if (err.code === "network") return t("error.network");
    if ((err.code === "locked" || err.code === "rate_limited") && err.retryAfterSeconds !== null) {
      const s = err.retryAfterSeconds;
      const wait = s < 60 ? t("time.seconds", { n: s }) : t("time.minutes", { n: Math.ceil(s / 60) });
      return t(err.code === "locked" ? "error.lockedWait" : "error.rateLimitedWait", { wait });
    }
    const key = `error.${err.code}`;
    if (isMessageKey(key)) return t(key);
    return sentence(err.message);
  }
  return t("error.unexpected");
}

/** Where a problem goes: the key of the control that shows it, or null for the message on top. */
export type Placer = (field: string) => string | null;

/** Places problems of the listed fields next to their control, all others on top. */
export const placeIn =
  (fields: readonly string[]): Placer =>
  (field) =>
    fields.includes(field) ? field : null;

/**
 * Turns client-side problems or a server failure into what the form shows: problems of fields the
 * form has a control for go next to it; the rest, and failures without fields, go on top.
 */
export function formErrors(source: Problems | unknown, place: Placer): FormErrors {
  const problems: Problems | null =
    source instanceof ApiFailure ? source.fields : source instanceof Error ? null : (source as Problems);
  if (problems === null || (source instanceof ApiFailure && Object.keys(problems).length === 0)) {
    return { general: failureText(source), fields: {} };
  }
  const fields: Record<string, string> = {};
  const unplaced: string[] = [];
  for (const [field, problem] of Object.entries(problems)) {
    const text = problemText(field, problem);
    const at = place(field);
    if (at !== null && fields[at] === undefined) fields[at] = text;
    else if (at === null) unplaced.push(field === "" ? text : `${field}: ${text}`);
  }
  const general = unplaced.length > 0 ? unplaced.join(" ") : t("form.checkFields");
  return { general, fields };
}

export function hasProblems(problems: Problems): boolean {
  return Object.keys(problems).length > 0;
}

/** Client-side text checks with the same codes the server uses, so both read alike. */
export function checkText(
  problems: Problems,
  field: string,
  value: string,
  rule: { required?: boolean; min?: number; max: number; pattern?: string },
): void {
  const v = value.trim();
  if (rule.required && v === "") {
    problems[field] = { code: "required", message: "is required" };
  } else if (value.length > rule.max) {
    problems[field] = { code: "too_long", message: "is too long", params: { limit: rule.max } };
  } else if (v !== "" && rule.min !== undefined && v.length < rule.min) {
    problems[field] = { code: "too_short", message: "is too short", params: { limit: rule.min } };
  } else if (v !== "" && rule.pattern !== undefined && !new RegExp(rule.pattern).test(v)) {
    problems[field] = { code: "invalid", message: "has the wrong format" };
  }
}

export function checkInteger(
  problems: Problems,
  field: string,
  value: string,
  min: number,
  max: number,
): void {
  const n = Number(value);
  if (value.trim() === "") problems[field] = { code: "required", message: "is required" };
  else if (!Number.isInteger(n)) problems[field] = { code: "wrong_type", message: "must be a whole number" };
  else if (n < min) problems[field] = { code: "too_small", message: "is too small", params: { limit: min } };
  else if (n > max) problems[field] = { code: "too_large", message: "is too large", params: { limit: max } };
}

/** Moves focus to the first control marked invalid, so keyboard and screen reader users land on it. */
export function focusFirstInvalid(root: HTMLElement | null): void {
  requestAnimationFrame(() => {
    const el =
      root?.querySelector<HTMLElement>('[aria-invalid="true"]') ??
      root?.querySelector<HTMLElement>(".form-alert");
    el?.focus();
  });
}
