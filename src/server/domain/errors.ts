/** A refusal a person can act on. Commands throw it; the HTTP layer turns it into a 4xx answer. */
export type DomainStatus = 400 | 401 | 403 | 404 | 409 | 429;

export interface FieldProblem {
  code: string;
  message: string;
  params?: Record<string, string | number>;
}

export class DomainError extends Error {
  readonly status: DomainStatus;
  readonly code: string;
  readonly fields: Record<string, FieldProblem>;
  readonly retryAfterSeconds: number | undefined;
  /** Values the message was built from, so a client can word it in its own language (no parsing). */
  params: Record<string, string | number> | undefined;

  constructor(
    status: DomainStatus,
    code: string,
    message: string,
    fields: Record<string, FieldProblem> = {},
    retryAfterSeconds?: number,
  ) {
    // A refusal is an answer, not a bug: no stack trace is captured (that was the biggest cost of
    // a race's losing accept: 499 of them in a race of 500).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  withParams(params: Record<string, string | number>): this {
    this.params = params;
    return this;
  }
}

export const notFound = (what: string) => new DomainError(404, "not_found", `${what} not found.`);

/** Acting in a session that has ended. */
export const sessionEnded = () => new DomainError(409, "session_ended", "This session has ended.");

export function fieldError(
  status: DomainStatus,
  field: string,
  code: string,
  message: string,
  params?: Record<string, string | number>,
): DomainError {
  return new DomainError(status, code, message, {
    [field]: { code, message, ...(params ? { params } : {}) },
  });
}
