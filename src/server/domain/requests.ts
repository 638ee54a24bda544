import { randomInt } from "node:crypto";
import type { PortalType } from "../../shared/model.js";
import type { AlertKind, CustomerReason, RequestState } from "../../shared/protocol.js";

/** BEHAVIOUR.md §3/§4 numbers (each a setting in spirit; constants until an issue asks for the knob). */
export const TARGETED_ALERT_TIMEOUT_MS = 30_000;
export const NO_RESPONSE_TIMEOUT_MS = 10 * 60_000;
export const CUSTOMER_GONE_GRACE_MS = 60_000;

/** A fresh 9-digit session ID (leading zeros allowed), from a cryptographic source. */
export function newSessionId(): string {
  return String(randomInt(0, 1_000_000_000)).padStart(9, "0");
}

/** Which alert a portal type raises; code portals raise none (redeeming connects straight away). */
export function alertKindFor(type: PortalType): AlertKind {
  switch (type) {
    case "pick-agent":
      return "targeted";
    case "code":
      return "code";
    case "question":
    case "button":
      return "broadcast";
  }
}

/** How long a waiting request waits before it ends as no-response. */
export function deadlineFor(kind: AlertKind, createdAt: number): number | null {
  if (kind === "targeted") return createdAt + TARGETED_ALERT_TIMEOUT_MS;
  if (kind === "broadcast") return createdAt + NO_RESPONSE_TIMEOUT_MS;
  return null;
}

export interface AgentLoad {
  id: string;
  online: boolean;
  available: boolean;
  disabled: boolean;
  activeSessions: number;
  maxSessions: number;
}

export type Availability = "available" | "busy" | "offline";

/** BEHAVIOUR.md §4: signed in and set available receives alerts; at the session limit counts as busy. */
export function availabilityOf(a: AgentLoad): Availability {
  if (a.disabled || !a.online || !a.available) return "offline";
  return a.activeSessions >= a.maxSessions ? "busy" : "available";
}

/** What the customer's page says when a request is over (BEHAVIOUR.md §3). */
export function customerReason(state: RequestState, kind: AlertKind): CustomerReason | null {
  switch (state) {
    case "declined":
      return "agent_unavailable";
    case "no-response":
      return kind === "targeted" ? "agent_unavailable" : "no_response";
    case "canceled":
      return "canceled";
    case "ended":
      return "ended";
    case "offline":
      return "offline";
    default:
      return null;
  }
}
