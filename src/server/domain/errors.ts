/** A refusal a person can act on. Commands throw it; the HTTP layer turns it into a 4xx answer. */
export type DomainStatus = 400 | 401 | 403 | 404 | 409 | 429;

export interface FieldProblem {
  code: string;
  message: string;
  params?: Record<string, string | number>;
}

export class DomainError extends Error {
  /** Values the message was built from, so a client can word it in its own language (no parsing). */
  params: Record<string, string | number> | undefined;

  constructor(
    readonly status: DomainStatus,
    readonly code: string,
    message: string,
    readonly fields: Record<string, FieldProblem> = {},
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  withParams(params: Record<string, string | number>): this {
    this.params = params;
    return this;
  }
}

export const notFound = (what: string) => new DomainError(404, "not_found", `${what} not found.`);

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
