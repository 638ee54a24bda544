import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ApiError, ApiFieldProblem } from "../../shared/api.js";
import { DomainError } from "../domain/errors.js";

interface AjvIssue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** Messages for pattern checks, by the field's last path segment. */
const PATTERN_MESSAGES: Record<string, string> = {
  slug: "must use 3–64 lowercase letters, digits and dashes, starting and ending with a letter or digit",
  email: "must be an email address such as name@example.com",
  primaryColor: "must be a colour like #1f6feb",
  logoUrl: "must start with https://, http:// or /",
  avatarUrl: "must start with https://, http:// or /",
};

function fieldOf(issue: AjvIssue): string {
  const path = issue.instancePath.replace(/^\//, "").replace(/\//g, ".");
  if (issue.keyword === "required") {
    const missing = String(issue.params.missingProperty ?? "");
    return path ? `${path}.${missing}` : missing;
  }
  if (issue.keyword === "additionalProperties") {
    const extra = String(issue.params.additionalProperty ?? "");
    return path ? `${path}.${extra}` : extra;
  }
  return path;
}

function problemOf(issue: AjvIssue, field: string): ApiFieldProblem {
  const p = issue.params;
  const last = field.split(".").pop() ?? field;
  switch (issue.keyword) {
    case "required":
      return { code: "required", message: "is required" };
    case "maxLength":
      return {
        code: "too_long",
        message: `must be at most ${p.limit} characters`,
        params: { limit: Number(p.limit) },
      };
    case "minLength":
      return Number(p.limit) === 1
        ? { code: "required", message: "must not be empty" }
        : {
            code: "too_short",
            message: `must be at least ${p.limit} characters`,
            params: { limit: Number(p.limit) },
          };
    case "maxItems":
      return {
        code: "too_many",
        message: `must have at most ${p.limit} entries`,
        params: { limit: Number(p.limit) },
      };
    case "minimum":
      return {
        code: "too_small",
        message: `must be at least ${p.limit}`,
        params: { limit: Number(p.limit) },
      };
    case "maximum":
      return { code: "too_large", message: `must be at most ${p.limit}`, params: { limit: Number(p.limit) } };
    case "enum":
      return {
        code: "not_allowed",
        message: `must be one of: ${(p.allowedValues as unknown[]).join(", ")}`,
        params: { allowed: (p.allowedValues as unknown[]).join(", ") },
      };
    case "pattern":
      return { code: "invalid", message: PATTERN_MESSAGES[last] ?? "has the wrong format" };
    case "type": {
      if (field === "") {
        return {
          code: "wrong_type",
          message: "the body must be a JSON object (Content-Type: application/json)",
        };
      }
      const type = String(p.type).replace(",", " or ");
      return { code: "wrong_type", message: `must be ${/^[aeiou]/.test(type) ? "an" : "a"} ${type}` };
    }
    case "additionalProperties":
      return { code: "unknown_field", message: "is not a known field" };
    default:
      return { code: "invalid", message: issue.message ?? "is invalid" };
  }
}

/** Turns schema validation issues into one message and a per-field map the forms can show. */
export function validationBody(issues: AjvIssue[], context: string | undefined): ApiError {
  const fields: Record<string, ApiFieldProblem> = {};
  for (const issue of issues) {
    if (issue.keyword === "anyOf" || issue.keyword === "if") continue;
    const field = fieldOf(issue);
    if (fields[field] === undefined) fields[field] = problemOf(issue, field);
  }
  const entries = Object.entries(fields);
  const where = context === "body" || context === undefined ? "" : ` (${context})`;
  const message =
    entries.length === 0
      ? `The request${where} is invalid.`
      : entries.map(([f, p]) => (f ? `${f} ${p.message}` : p.message)).join("; ");
  return { error: "validation", message: `${message.charAt(0).toUpperCase() + message.slice(1)}.`, fields };
}

export function sendError(reply: FastifyReply, status: number, body: ApiError): FastifyReply {
  return reply.code(status).type("application/json; charset=utf-8").send(body);
}

const CONNECTION_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
]);

/** The database is down, restarting or unreachable (PostgreSQL class 08, refused or dropped connections). */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : "";
  const message = typeof e?.message === "string" ? e.message : "";
  return (
    CONNECTION_ERROR_CODES.has(code) ||
    /^08[0-9A-Z]{3}$/.test(code) ||
    /Connection terminated|timeout exceeded when trying to connect/i.test(message)
  );
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof DomainError) {
      if (err.retryAfterSeconds !== undefined) reply.header("retry-after", String(err.retryAfterSeconds));
      const body: ApiError = { error: err.code, message: err.message };
      if (err.params) body.params = err.params;
      if (Object.keys(err.fields).length > 0) body.fields = err.fields;
      return sendError(reply, err.status, body);
    }
    if (err.validation) {
      return sendError(reply, 400, validationBody(err.validation as AjvIssue[], err.validationContext));
    }
    const status = err.statusCode ?? 500;
    if (status === 429) {
      return sendError(reply, 429, { error: "rate_limited", message: err.message });
    }
    if (status >= 400 && status < 500) {
      const known: Record<string, string> = {
        FST_ERR_CTP_INVALID_JSON_BODY: "The body is not valid JSON.",
        FST_ERR_CTP_EMPTY_JSON_BODY: "The body is empty; send a JSON object.",
        FST_ERR_CTP_INVALID_MEDIA_TYPE: "Send the body as application/json.",
        FST_ERR_CTP_BODY_TOO_LARGE: "The body is too large.",
      };
      const message =
        known[err.code] ?? (err.message.includes("JSON") ? "The body is not valid JSON." : err.message);
      return sendError(reply, status, { error: "bad_request", message });
    }
    if (isDatabaseUnavailable(err)) {
      request.log.warn({ err: err.message }, "database unavailable");
      reply.header("retry-after", "5");
      return sendError(reply, 503, {
        error: "unavailable",
        message:
          "The database cannot be reached right now, so nothing was saved. Please try again in a moment.",
      });
    }
    request.log.error({ err }, "unhandled error");
    return sendError(reply, 500, {
      error: "internal",
      message: "Something went wrong on our side. It has been logged.",
    });
  });
}
