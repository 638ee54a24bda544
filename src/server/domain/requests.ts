import { randomInt } from "node:crypto";
import type { PortalType } from "../../shared/model.js";
import type { AlertKind, CustomerReason, RequestState } from "../../shared/protocol.js";
import { DomainError } from "./errors.js";

/** BEHAVIOUR.md §3/§4 numbers (each a setting in spirit; constants until an issue asks for the knob). */
export const TARGETED_ALERT_TIMEOUT_MS = 30_000;
export const NO_RESPONSE_TIMEOUT_MS = 10 * 60_000;
export const CUSTOMER_GONE_GRACE_MS = 60_000;

/** A fresh 9-digit session number (leading zeros allowed), from a cryptographic source. */
export function newSessionNumber(): string {
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

/**
 * The request state machine (BEHAVIOUR.md §3–§6): every transition a request may make, by whom.
 * The store's conditional writes (`transitionFromWaiting`, `markEnded`) are its only doors and
 * implement exactly this table (test/unit/request-states.test.ts checks its shape).
 */
export const REQUEST_TRANSITIONS: Readonly<Record<RequestState, readonly RequestState[]>> = {
  // An agent accepts (first accept wins), the customer cancels or leaves, the target agent
  // declines, or nobody answers in time.
  waiting: ["accepted", "canceled", "declined", "no-response"],
  // A session runs; either side ends it.
  accepted: ["ended"],
  canceled: [],
  declined: [],
  "no-response": [],
  // An offline message is written as it is and stays.
  offline: [],
  ended: [],
};

/** The states a request is created in: waiting for an agent, straight in a session (a code), or an offline message. */
export const INITIAL_REQUEST_STATES: readonly RequestState[] = ["waiting", "accepted", "offline"];

export function canTransition(from: RequestState, to: RequestState): boolean {
  return REQUEST_TRANSITIONS[from].includes(to);
}

/** Why a request cannot be accepted or declined any more, with the winner's name where someone took it. */
export function notWaiting(request: { state: RequestState; agentName: string | null }): DomainError {
  if (request.state === "accepted" || request.state === "ended") {
    const name = request.agentName ?? "another agent";
    return new DomainError(409, "already_taken", `Already taken by ${name}.`).withParams({ name });
  }
  const why: Partial<Record<RequestState, string>> = {
    canceled: "The customer canceled this request.",
    declined: "This request was declined.",
    "no-response": "This request timed out.",
    offline: "This is an offline message, not a live request.",
  };
  return new DomainError(
    409,
    "not_waiting",
    why[request.state] ?? "This request is no longer waiting.",
  ).withParams({ state: request.state });
}
