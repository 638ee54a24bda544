import type { Me, Portal } from "../../shared/api.js";
import type {
  ChatMessage,
  CodeView,
  ConsoleSnapshot,
  Outcome,
  RequestView,
  SessionSummary,
  SessionView,
} from "../../shared/protocol.js";
import { ApiFailure, apiRequest, onUnauthorized } from "../common/api.js";

export { ApiFailure };

/** Called when an API call answers 401 after sign-in: the session expired or was revoked. */
export function whenSignedOut(handler: () => void): void {
  onUnauthorized(() => handler());
}

const call = apiRequest;

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
