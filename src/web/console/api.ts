import type { ApiError, ApiFieldProblem, Me, Portal } from "../../shared/api.js";
import type {
  ChatMessage,
  CodeView,
  ConsoleSnapshot,
  Outcome,
  RequestView,
  SessionSummary,
  SessionView,
} from "../../shared/protocol.js";

/** A refused or failed API call: HTTP status (0 = unreachable), the server's error code and message. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, ApiFieldProblem> = {},
    /** From Retry-After on 429 answers (lockout, rate limit). */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }
}

type Method = "GET" | "POST" | "PUT" | "DELETE";

function isApiError(value: unknown): value is ApiError {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.error === "string" && typeof v.message === "string";
}

let onSignedOut: (() => void) | null = null;

/** Called when an API call answers 401 after sign-in: the session expired or was revoked. */
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

/**
 * A JSON call to /api/v1 with the session cookie. fetch adds the same-origin Origin header the
 * server requires for writes. Throws ApiFailure on anything but 2xx.
 */
async function call<T>(method: Method, path: string, body?: unknown): Promise<T> {
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
      )
    : new ApiFailure(res.status, `http_${res.status}`, res.statusText || `HTTP ${res.status}`);
  if (res.status === 401 && path !== "/auth/login" && path !== "/auth/me") onSignedOut?.();
  throw failure;
}

export const api = {
  me: () => call<Me>("GET", "/auth/me"),
  login: (email: string, password: string) => call<Me>("POST", "/auth/login", { email, password }),
  logout: () => call<null>("POST", "/auth/logout"),
  snapshot: () => call<ConsoleSnapshot>("GET", "/console"),
  portals: (accountId: string) => call<Portal[]>("GET", `/accounts/${encodeURIComponent(accountId)}/portals`),
  setAvailable: (available: boolean) =>
    call<{ available: boolean }>("PUT", "/console/availability", { available }),
  accept: (requestId: string) =>
    call<SessionView>("POST", `/requests/${encodeURIComponent(requestId)}/accept`),
  decline: (requestId: string) =>
    call<RequestView>("POST", `/requests/${encodeURIComponent(requestId)}/decline`),
  acceptOffer: (offerId: string) =>
    call<SessionView>("POST", `/offers/${encodeURIComponent(offerId)}/accept`),
  declineOffer: (offerId: string) => call<null>("POST", `/offers/${encodeURIComponent(offerId)}/decline`),
  takeNext: () => call<SessionView>("POST", "/queue/take-next"),
  createCode: (portalId: string, name: string) => call<CodeView>("POST", "/codes", { portalId, name }),
  cancelCode: (codeId: string) => call<null>("DELETE", `/codes/${encodeURIComponent(codeId)}`),
  messages: (sessionId: string, since: number) =>
    call<ChatMessage[]>("GET", `/sessions/${encodeURIComponent(sessionId)}/messages?since=${since}`),
  endSession: (sessionId: string) => call<null>("POST", `/sessions/${encodeURIComponent(sessionId)}/end`),
  saveOutcome: (sessionId: string, form: { outcome: Outcome; notes?: string; ticket?: string }) =>
    call<SessionSummary>("POST", `/sessions/${encodeURIComponent(sessionId)}/outcome`, form),
};
