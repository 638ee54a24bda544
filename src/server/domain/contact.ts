import { type ContactField, EMAIL_PATTERN, LIMITS, type PortalType } from "../../shared/model.js";
import { DomainError, type FieldProblem } from "./errors.js";

export interface Submission {
  customerName: string;
  customerEmail: string;
  question: string;
  /** Every contact field's value by its key (name, email, phone, company, problem, custom1 …). */
  contact: Record<string, string>;
}

const MAX_BY_KIND: Record<string, number> = {
  name: LIMITS.userName,
  email: LIMITS.email,
  phone: 40,
  company: LIMITS.userName,
  problem: LIMITS.question,
  text: 500,
  select: LIMITS.selectOption,
};

/** Question portals ask a question; the others may not. */
export function asksQuestion(type: PortalType): boolean {
  return type === "question";
}

/**
 * Checks what a customer typed against the portal's fields: required ones present, each within
 * its limit and format. Collects every problem, so the form can mark all of them at once.
 */
export function checkSubmission(
  type: PortalType,
  fields: ContactField[],
  values: Record<string, string | undefined>,
): Submission {
  const problems: Record<string, FieldProblem> = {};
  const contact: Record<string, string> = {};
  for (const f of fields) {
    const raw = (values[f.key] ?? "").trim();
    const max = MAX_BY_KIND[f.kind] ?? 500;
    if (raw === "") {
      if (f.required) problems[f.key] = { code: "required", message: "Please fill this in." };
      continue;
    }
    if (raw.length > max) {
      problems[f.key] = { code: "too_long", message: `At most ${max} characters.`, params: { limit: max } };
      continue;
    }
    if (f.kind === "email" && !new RegExp(EMAIL_PATTERN).test(raw)) {
      problems[f.key] = {
        code: "invalid_email",
        message: "Enter an email address such as name@example.com.",
      };
      continue;
    }
    if (f.kind === "phone" && !/^[+()\d\s./-]{3,}$/.test(raw)) {
      problems[f.key] = {
        code: "invalid_phone",
        message: "Enter a phone number: digits, spaces, + ( ) - only.",
      };
      continue;
    }
    if (f.kind === "select" && !f.options.includes(raw)) {
      problems[f.key] = { code: "not_an_option", message: "Choose one of the options." };
      continue;
    }
    contact[f.key] = raw;
  }
  let question = "";
  if (asksQuestion(type)) {
    question = (values.question ?? "").trim();
    if (question === "")
      problems.question = { code: "required", message: "Please describe what you need help with." };
    else if (question.length > LIMITS.question) {
      problems.question = {
        code: "too_long",
        message: `At most ${LIMITS.question} characters; you typed ${question.length}.`,
        params: { limit: LIMITS.question },
      };
    }
  }
  if (Object.keys(problems).length > 0) {
    throw new DomainError(400, "validation", "Please correct the marked fields.", problems);
  }
  return {
    customerName: contact.name ?? "",
    customerEmail: contact.email ?? "",
    question: question || contact.problem || "",
    contact,
  };
}

/** The offline message form: name, email (to answer) and the message. */
export function checkOfflineMessage(values: Record<string, string | undefined>): Submission {
  const fields: ContactField[] = [
    { kind: "name", key: "name", label: "", required: true, options: [] },
    { kind: "email", key: "email", label: "", required: true, options: [] },
  ];
  return checkSubmission("question", fields, values);
}
