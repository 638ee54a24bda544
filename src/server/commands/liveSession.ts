import type { Receipt, ShareState } from "../../shared/protocol.js";
import { type BusEvent, channels, type Side } from "../bus/bus.js";
import { DomainError, fieldError, sessionEnded } from "../domain/errors.js";
import { checkSignal, SHARE_BY } from "../domain/signals.js";
import { assertOwner, assertSide } from "../policy.js";
import { upgradeEnabled } from "../store/accounts.js";
import { advanceReceipts, receiptsOf } from "../store/sessions.js";
import { setShareState } from "../store/team.js";
import { sessionAccess } from "./access.js";
import type { Deps, Party } from "./context.js";

/**
 * The ephemeral relays of a live session — typing, receipts, screen-share states, WebRTC signals,
 * the agent's pointer. Nothing else reacts to them, so they go straight to the bus (no events):
 * the agents' side of a session is its own channel (owner, colleagues, supervisors watching),
 * the customer's is the request's.
 */

async function publishToOther(
  deps: Deps,
  from: Side,
  session: { id: string; requestId: string },
  event: BusEvent,
) {
  await deps.bus.publish(
    from === "agent" ? channels.request(session.requestId) : channels.session(session.id),
    event,
  );
}

/** Says "typing…" to the other side; nothing is stored. A watching supervisor does not type to the customer. */
export async function typing(deps: Deps, party: Party, sessionId: string): Promise<void> {
  const { session, role } = await sessionAccess(deps, party, sessionId);
  if (session.endedAt !== null || role === "monitor") return;
  await publishToOther(deps, party.kind, session, {
    type: "typing",
    requestId: session.requestId,
    agentId: session.agentId,
    from: party.kind,
    ...(party.kind === "agent" ? { name: party.actor.user.displayName } : {}),
  });
}

/**
 * Stores how far this side's device got (delivered) and read, and tells the other side. On the
 * agents' side the owner's marks are the ones the customer sees; a colleague's are not stored.
 */
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
  const { session, role } = await sessionAccess(deps, party, sessionId);
  const side = party.kind;
  const db = deps.db.kysely;
  if (role !== "owner" && role !== "customer") {
    return (await receiptsOf(db, session.accountId, sessionId)).agent;
  }
  const d = Math.min(Math.max(delivered, read), session.lastSeq);
  const r = Math.min(read, session.lastSeq);
  await advanceReceipts(db, session.accountId, sessionId, side, d, r);
  const marks = await receiptsOf(db, session.accountId, sessionId);
  const mine = side === "agent" ? marks.agent : marks.customer;
  await publishToOther(deps, side, session, {
    type: "receipt",
    requestId: session.requestId,
    agentId: session.agentId,
    from: side,
    receipt: mine,
  });
  return mine;
}

/**
 * Screen sharing states, relayed to the other side: the owner requests (only while the account
 * allows upgrades) or stops viewing; the customer declines, shares, stops, or reports a failure.
 * The last state is stored, so a colleague who joins later knows the screen is shared.
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
  const { session, role } = await sessionAccess(deps, party, sessionId);
  if (side === "agent") assertOwner(role, "ask for or stop the screen share");
  if (session.endedAt !== null) throw sessionEnded();
  if (state === "requested" && !(await upgradeEnabled(deps.db.kysely, session.accountId))) {
    throw new DomainError(409, "upgrade_disabled", "Screen sharing is switched off for this account.");
  }
  await setShareState(deps.db.kysely, sessionId, state);
  const event = {
    type: "share" as const,
    requestId: session.requestId,
    agentId: session.agentId,
    from: side,
    state,
    ...(reason ? { reason: reason.slice(0, 200) } : {}),
  };
  // Both sides hear it: the other to act on it, the sender's other tabs (and colleagues) to stay in step.
  await deps.bus.publish(channels.session(sessionId), event);
  await deps.bus.publish(channels.request(session.requestId), event);
}

/**
 * A colleague or supervisor in the session asks the customer's page for the shared screen too
 * (one more peer connection, the customer offering), or no longer wants it.
 */
export async function watchShare(deps: Deps, party: Party, sessionId: string, watch: boolean): Promise<void> {
  assertSide(party, "agent", "Only agents watch the shared screen.");
  const { session, role } = await sessionAccess(deps, party, sessionId);
  if (role === "owner" || party.kind !== "agent") return;
  if (session.endedAt !== null) throw sessionEnded();
  await deps.bus.publish(channels.request(session.requestId), {
    type: "share.viewer",
    requestId: session.requestId,
    peer: party.actor.user.id,
    watch,
  });
}

/**
 * WebRTC offer/answer/candidates between the customer and each agent watching: an agent's signal
 * goes to the customer (named by `peer` unless it is the owner's); the customer's goes to the
 * agent it names (`peer`, absent: the owner) and no one else takes it.
 */
export async function relaySignal(
  deps: Deps,
  party: Party,
  sessionId: string,
  signal: unknown,
  peer?: unknown,
): Promise<void> {
  const checked = checkSignal(signal);
  if (peer !== undefined && typeof peer !== "string") {
    throw fieldError(400, "peer", "invalid", "peer is the id of the agent the signal is for.");
  }
  const { session, role } = await sessionAccess(deps, party, sessionId);
  if (session.endedAt !== null) throw sessionEnded();
  const base = {
    type: "rtc" as const,
    requestId: session.requestId,
    agentId: session.agentId,
    signal: checked,
  };
  if (party.kind === "agent") {
    await publishToOther(deps, "agent", session, {
      ...base,
      from: "agent",
      ...(role === "owner" ? {} : { peer: party.actor.user.id }),
    });
    return;
  }
  await publishToOther(deps, "customer", session, {
    ...base,
    from: "customer",
    peer: peer ?? session.agentId,
  });
}

/** The owner points at the shared screen; the customer sees a marker there. */
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
  const { session, role } = await sessionAccess(deps, party, sessionId);
  assertOwner(role, "point at the shared screen");
  await deps.bus.publish(channels.request(session.requestId), {
    type: "pointer",
    requestId: session.requestId,
    agentId: session.agentId,
    x,
    y,
  });
}
