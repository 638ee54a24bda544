import { randomInt } from "node:crypto";
import { fieldError } from "./errors.js";

export const CODE_LIFETIME_MS = 20 * 60_000;
export const MAX_LIVE_CODES_PER_AGENT = 8;
export const REDEEM_FAILURES_PER_CLIENT = 10;
export const REDEEM_FAILURE_WINDOW_MS = 10 * 60_000;
/** Failed redemptions per minute across the installation above which every redemption is slowed. */
export const GLOBAL_FAILURE_BRAKE_PER_MINUTE = 120;
export const GLOBAL_BRAKE_DELAY_MS = 1_000;

export function newCode(): string {
  return String(randomInt(0, 1_000_000_000)).padStart(9, "0");
}

/**
 * BEHAVIOUR.md §2: forgiving about spaces, dashes and dots; precise about everything else.
 * Says nothing about whether a code exists — that is for the redemption.
 */
export function normaliseCode(input: string): string {
  const compact = input.replace(/[\s.\-‐-―]/g, "");
  if (compact === "") throw fieldError(400, "code", "required", "Enter the 9-digit code the agent gave you.");
  if (!/^\d+$/.test(compact)) {
    throw fieldError(400, "code", "not_digits", "The code has only digits (0–9); check what you typed.");
  }
  if (compact.length < 9) {
    throw fieldError(400, "code", "too_short", `The code has 9 digits; you typed ${compact.length}.`, {
      length: compact.length,
    });
  }
  if (compact.length > 9) {
    throw fieldError(400, "code", "too_long", `The code has 9 digits; you typed ${compact.length}.`, {
      length: compact.length,
    });
  }
  return compact;
}

export function formatCode(code: string): string {
  return code.replace(/^(\d{3})(\d{3})(\d{3})$/, "$1 $2 $3");
}
