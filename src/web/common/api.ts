import type { ApiError, ApiFieldProblem } from "../../shared/api.js";

/** A refused or failed API call: the server's error code, message and per-field problems. */
export class ApiFailure extends Error {
  constructor(
    /** HTTP status; 0 when the server could not be reached at all. */
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, ApiFieldProblem> = {},
    readonly retryAfterSeconds: number | null = null,
    /** The values the server built its message from (already_taken: name; at_limit: limit). */
    readonly params: Record<string, string | number> = {},
  ) {
    super(message);
  }
}

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

type Listener = (failure: ApiFailure) => void;
const unauthorizedListeners = new Set<Listener>();

/** Called whenever the server answers 401 (the session ended); the app shows the sign-in page. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

function isApiError(value: unknown): value is ApiError {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.error === "string" && typeof v.message === "string";
}

/**
 * A JSON call to /api/v1 with the session cookie. The browser adds the same-origin Origin header
 * that the server requires for writes. Throws ApiFailure on anything but 2xx.
 */
export async function apiRequest<T>(method: Method, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      credentials: "same-origin",
      headers:
        body === undefined
          ? { accept: "application/json" }
          : { accept: "application/json", "content-type": "application/json" },
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch {
    throw new ApiFailure(0, "network", "The server cannot be reached.");
  }
  const text = await res.text();
  let parsed: unknown = null;
  if (text !== "") {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  if (res.ok) return parsed as T;
  const retry = Number(res.headers.get("retry-after"));
  const failure = isApiError(parsed)
    ? new ApiFailure(
        res.status,
        parsed.error,
        parsed.message,
        parsed.fields ?? {},
        Number.isFinite(retry) && retry > 0 ? retry : null,
        parsed.params ?? {},
      )
    : new ApiFailure(res.status, `http_${res.status}`, text.slice(0, 200) || res.statusText);
  const isLogin = path === "/auth/login" || path === "/auth/me";
  if (res.status === 401 && !isLogin) for (const l of unauthorizedListeners) l(failure);
  throw failure;
}
