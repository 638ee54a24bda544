import { expect } from "vitest";
import type { Account, ApiError, Portal, User } from "../../src/shared/api.js";
import { type Call, ORIGIN, type TestApp } from "./app.js";

/** Typed views of an API answer's body; each test asserts the status first. */
export const bodyOf = <T>(r: Call): T => r.body as T;
export const accountOf = (r: Call): Account => bodyOf<Account>(r);
export const userOf = (r: Call): User => bodyOf<User>(r);
export const portalOf = (r: Call): Portal => bodyOf<Portal>(r);
export const errorOf = (r: Call): ApiError => bodyOf<ApiError>(r);

export interface CreatedUserBody {
  user: User;
  generatedPassword: string | null;
}

/** The shape of a generated password: 4 groups of 4 from an unambiguous alphabet. */
export const GENERATED_PASSWORD = /^[a-hjkmnp-z2-9]{4}(-[a-hjkmnp-z2-9]{4}){3}$/;

/**
 * Asserts an error answer: exact status, error code, and (when given) the field it names with
 * that field's problem code. Returns the body for further checks.
 */
export function expectError(r: Call, status: number, error: string, field?: string, code?: string): ApiError {
  if (r.status !== status) {
    throw new Error(`expected ${status} ${error}, got ${r.status} ${JSON.stringify(r.body)}`);
  }
  expect(r.res.headers["content-type"]).toContain("application/json");
  const body = errorOf(r);
  expect(body.error).toBe(error);
  expect(typeof body.message).toBe("string");
  expect(body.message.length).toBeGreaterThan(0);
  expect(body.message).not.toMatch(/\n\s+at /);
  if (field !== undefined) {
    expect(Object.keys(body.fields ?? {})).toContain(field);
    if (code !== undefined) expect(body.fields?.[field]?.code).toBe(code);
  }
  return body;
}

/** A validation error naming `field` as too long, with the limit in the params and the message. */
export function expectTooLong(r: Call, field: string, limit: number): void {
  const body = expectError(r, 400, "validation", field, "too_long");
  expect(body.fields?.[field]?.params).toEqual({ limit });
  // The message names the field (capitalised when it opens the sentence) and the limit.
  expect(body.message.toLowerCase()).toContain(`${field} must be at most ${limit} characters`.toLowerCase());
}

/** A request with a raw body (malformed JSON, empty body, other content types), same-origin. */
export async function rawCall(
  app: TestApp,
  cookie: string | null,
  method: "POST" | "PATCH",
  url: string,
  payload: string,
  contentType = "application/json",
): Promise<Call> {
  const headers: Record<string, string> = { origin: ORIGIN, "content-type": contentType };
  if (cookie) headers.cookie = cookie;
  const res = await app.server.inject({ method, url, headers, payload });
  let body: unknown = null;
  try {
    body = res.body ? JSON.parse(res.body) : null;
  } catch {
    body = res.body;
  }
  return { status: res.statusCode, body, res };
}

/**
 * The body-level errors every JSON write route must answer with a clear 400:
 * malformed JSON, an empty body, no body at all, and a body that is not an object.
 */
export async function expectBodyErrors(
  app: TestApp,
  cookie: string | null,
  method: "POST" | "PATCH",
  url: string,
): Promise<void> {
  const malformed = await rawCall(app, cookie, method, url, '{"name": "x",');
  expect(expectError(malformed, 400, "bad_request").message).toContain("not valid JSON");
  const empty = await rawCall(app, cookie, method, url, "");
  expect(expectError(empty, 400, "bad_request").message).toContain("empty");
  const array = await rawCall(app, cookie, method, url, "[1,2]");
  expect(expectError(array, 400, "validation").message).toContain("JSON object");
  const text = await rawCall(app, cookie, method, url, "hello", "text/plain");
  expect(text.status).toBe(400);
  expect(errorOf(text).message).toContain("JSON object");
}

/** A string of n characters. */
export const long = (n: number, ch = "x"): string => ch.repeat(n);

/** An id that exists nowhere. */
export const NO_SUCH_ID = "00000000-0000-4000-8000-000000000000";
