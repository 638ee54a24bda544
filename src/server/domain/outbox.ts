/** Delivery rules of the outbox (pure): when to try again, when to give up, when an endpoint is switched off. */

/** The first retry waits about this long; each next one twice as long. */
export const FIRST_RETRY_MS = 5_000;
/** No two tries of one delivery are further apart than this. */
export const MAX_RETRY_GAP_MS = 60 * 60_000;
/** A delivery still failing this long after it was written is given up (dead). */
export const GIVE_UP_AFTER_MS = 24 * 60 * 60_000;
/** An endpoint whose every delivery has failed for this long is switched off and its admins told. */
export const DISABLE_ENDPOINT_AFTER_MS = 72 * 60 * 60_000;

/**
 * The wait before try number `attempts + 1`, after `attempts` failed ones: exponential with "equal
 * jitter" (half fixed, half random) so that many deliveries failing at once do not all come back
 * at the same instant, and never more than MAX_RETRY_GAP_MS.
 */
export function retryDelay(attempts: number, random: number = Math.random()): number {
  const exp = Math.min(MAX_RETRY_GAP_MS, FIRST_RETRY_MS * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
  return Math.round(exp / 2 + (exp / 2) * Math.min(1, Math.max(0, random)));
}

export type AttemptVerdict =
  | { state: "delivered" }
  | { state: "pending"; nextAt: number }
  | { state: "dead" };

/** What becomes of a delivery after a try at `now`. */
export function afterAttempt(
  ok: boolean,
  delivery: { attempts: number; createdAt: number },
  now: number,
  random: number = Math.random(),
): AttemptVerdict {
  if (ok) return { state: "delivered" };
  // `attempts` counts the tries before this one: with this failure, attempts + 1 have failed.
  const nextAt = now + retryDelay(delivery.attempts + 1, random);
  if (nextAt - delivery.createdAt > GIVE_UP_AFTER_MS) return { state: "dead" };
  return { state: "pending", nextAt };
}

/** Whether an endpoint failing since `failingSince` is switched off at `now`. */
export function shouldDisableEndpoint(failingSince: number | null, now: number): boolean {
  return failingSince !== null && now - failingSince >= DISABLE_ENDPOINT_AFTER_MS;
}
