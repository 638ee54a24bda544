import type { Me, Portal } from "../../shared/api.js";
import type {
  ChatMessage,
  CodeView,
  ColleagueView,
  ConsoleSnapshot,
  Outcome,
  PortalTargetView,
  RequestView,
  SessionMember,
  SessionSummary,
  SessionView,
  SupervisorView,
  TransferView,
} from "../../shared/protocol.js";
import { ApiFailure, apiRequest, onUnauthorized } from "../common/api.js";

export { ApiFailure };

/** Called when an API call answers 401 after sign-in: the session expired or was revoked. */
export function whenSignedOut(handler: () => void): void {
  onUnauthorized(() => handler());
}

const call = apiRequest;
const seg = encodeURIComponent;

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
  emailCode: (codeId: string, email: string, name?: string) =>
    call<{ to: string }>("POST", `/codes/${seg(codeId)}/email`, name ? { email, name } : { email }),
  emailTranscript: (sessionId: string) =>
    call<{ to: string }>("POST", `/sessions/${seg(sessionId)}/transcript-email`),
  saveLanguage: (language: "en" | "de") => call<Me>("PATCH", "/auth/me", { language }),
  authOptions: () => call<{ emailEnabled: boolean }>("GET", "/auth/options"),
  messages: (sessionId: string, since: number) =>
    call<ChatMessage[]>("GET", `/sessions/${encodeURIComponent(sessionId)}/messages?since=${since}`),
  endSession: (sessionId: string) => call<null>("POST", `/sessions/${encodeURIComponent(sessionId)}/end`),
  saveOutcome: (sessionId: string, form: { outcome: Outcome; notes?: string; ticket?: string }) =>
    call<SessionSummary>("POST", `/sessions/${encodeURIComponent(sessionId)}/outcome`, form),

  // ── teamwork: transfer, invite, notes, supervisor ──
  colleagues: () =>
    call<{ agents: ColleagueView[]; portals: PortalTargetView[] }>("GET", "/console/colleagues"),
  transfer: (sessionId: string, to: { toAgentId: string } | { toPortalId: string }, note: string) =>
    call<TransferView>("POST", `/sessions/${seg(sessionId)}/transfer`, {
      ...to,
      ...(note.trim() ? { note: note.trim() } : {}),
    }),
  cancelTransfer: (sessionId: string) => call<null>("DELETE", `/sessions/${seg(sessionId)}/transfer`),
  acceptTransfer: (transferId: string) => call<SessionView>("POST", `/transfers/${seg(transferId)}/accept`),
  declineTransfer: (transferId: string) => call<null>("POST", `/transfers/${seg(transferId)}/decline`),
  invite: (sessionId: string, agentIds: string[]) =>
    call<SessionMember[]>("POST", `/sessions/${seg(sessionId)}/invitations`, { agentIds }),
  acceptInvite: (memberId: string) => call<SessionView>("POST", `/invitations/${seg(memberId)}/accept`),
  declineInvite: (memberId: string) => call<null>("POST", `/invitations/${seg(memberId)}/decline`),
  removeMember: (sessionId: string, userId: string) =>
    call<null>("DELETE", `/sessions/${seg(sessionId)}/members/${seg(userId)}`),
  leave: (sessionId: string) => call<null>("POST", `/sessions/${seg(sessionId)}/leave`),
  makeOwner: (sessionId: string, userId: string) =>
    call<SessionView>("POST", `/sessions/${seg(sessionId)}/owner`, { userId }),
  addNote: (sessionId: string, body: string) =>
    call<ChatMessage>("POST", `/sessions/${seg(sessionId)}/notes`, { body }),
  supervisor: () => call<SupervisorView>("GET", "/supervisor"),
  monitor: (sessionId: string) => call<SessionView>("POST", `/sessions/${seg(sessionId)}/monitor`),
  join: (sessionId: string) => call<SessionView>("POST", `/sessions/${seg(sessionId)}/join`),
  takeOver: (sessionId: string) => call<SessionView>("POST", `/sessions/${seg(sessionId)}/take-over`),
};
