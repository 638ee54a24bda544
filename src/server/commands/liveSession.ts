import type { Receipt, ShareState } from "../../shared/protocol.js";
import { type BusEvent, channels, type Side } from "../bus/bus.js";
import { DomainError, fieldError } from "../domain/errors.js";
import { checkSignal, SHARE_BY } from "../domain/signals.js";
import { assertSide } from "../policy.js";
import { upgradeEnabled } from "../store/accounts.js";
import { advanceReceipts, receiptsOf } from "../store/sessions.js";
import { sessionFor } from "./access.js";
import type { Deps, Party } from "./context.js";

/**
 * The ephemeral relays of a live session — typing, receipts, screen-share states, WebRTC signals,
 * the agent's pointer. Nothing else reacts to them, so they go straight to the bus (no events).
 */

async function publishToOther(deps: Deps, from: Side, requestId: string, agentId: string, event: BusEvent) {
  await deps.bus.publish(from === "agent" ? channels.request(requestId) : channels.user(agentId), event);
}

/** Says "typing…" to the other side; nothing is stored. */
export async function typing(deps: Deps, party: Party, sessionId: string): Promise<void> {
  const session = await sessionFor(deps, party, sessionId);
  if (session.endedAt !== null) return;
  await publishToOther(deps, party.kind, session.requestId, session.agentId, {
    type: "typing",
    requestId: session.requestId,
    agentId: session.agentId,
    from: party.kind,
  });
}

/** Stores how far this side's device got (delivered) and read, and tells the other side. */
export async function receipt(
  deps: Deps,
  party: Party,
  sessionId: string,
  delivered: number,
  read: number,
): Promise<Receipt> {
  if (!Number.isInteger(delivered) || !Number.isInteger(read) || delivered < 0 || read < 0) {
    throw fieldError(
      400,
      "receipt",
      "invalid",
      "delivered and read are sequence numbers (whole numbers ≥ 0).",
    );
  }
  const session = await sessionFor(deps, party, sessionId);
  const side = party.kind;
  const d = Math.min(Math.max(delivered, read), session.lastSeq);
  const r = Math.min(read, session.lastSeq);
  const db = deps.db.kysely;
  await advanceReceipts(db, session.accountId, sessionId, side, d, r);
  const marks = await receiptsOf(db, session.accountId, sessionId);
  const mine = side === "agent" ? marks.agent : marks.customer;
  await publishToOther(deps, side, session.requestId, session.agentId, {
    type: "receipt",
    requestId: session.requestId,
    agentId: session.agentId,
    from: side,
    receipt: mine,
  });
  return mine;
}

/**
 * Screen sharing states, relayed to the other side: the agent requests (only while the account
 * allows upgrades) or stops viewing; the customer declines, shares, stops, or reports a failure.
 */
export async function shareState(
  deps: Deps,
  party: Party,
  sessionId: string,
  state: ShareState,
  reason?: string,
): Promise<void> {
  const side = party.kind;
  if (!SHARE_BY[side].includes(state)) {
    throw new DomainError(400, "bad_share_state", `The ${side} cannot set screen sharing to "${state}".`);
  }
  const session = await sessionFor(deps, party, sessionId);
  if (session.endedAt !== null) throw new DomainError(409, "session_ended", "This session has ended.");
  if (state === "requested" && !(await upgradeEnabled(deps.db.kysely, session.accountId))) {
    throw new DomainError(409, "upgrade_disabled", "Screen sharing is switched off for this account.");
  }
  const event = {
    type: "share" as const,
    requestId: session.requestId,
    agentId: session.agentId,
    from: side,
    state,
    ...(reason ? { reason: reason.slice(0, 200) } : {}),
  };
  // Both sides hear it: the other to act on it, the sender's other tabs to stay in step.
  await deps.bus.publish(channels.user(session.agentId), event);
  await deps.bus.publish(channels.request(session.requestId), event);
}

/** WebRTC offer/answer/candidates between the two sides of a live session. */
export async function relaySignal(
  deps: Deps,
  party: Party,
  sessionId: string,
  signal: unknown,
): Promise<void> {
  const checked = checkSignal(signal);
  const session = await sessionFor(deps, party, sessionId);
  if (session.endedAt !== null) throw new DomainError(409, "session_ended", "This session has ended.");
  await publishToOther(deps, party.kind, session.requestId, session.agentId, {
    type: "rtc",
    requestId: session.requestId,
    agentId: session.agentId,
    from: party.kind,
    signal: checked,
  });
}

/** The agent points at the shared screen; the customer sees a marker there. */
export async function point(
  deps: Deps,
  party: Party,
  sessionId: string,
  x: number,
  y: number,
): Promise<void> {
  assertSide(party, "agent", "Only the agent points.");
  if (!Number.isFinite(x) || !Number.isFinite(y) || x < 0 || x > 1 || y < 0 || y > 1) {
    throw fieldError(400, "pointer", "invalid", "x and y are fractions of the shared screen, from 0 to 1.");
  }
  const session = await sessionFor(deps, party, sessionId);
  await deps.bus.publish(channels.request(session.requestId), {
    type: "pointer",
    requestId: session.requestId,
    agentId: session.agentId,
    x,
    y,
  });
}
