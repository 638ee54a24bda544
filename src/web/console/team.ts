import { LIMITS } from "../../shared/model.js";
import type { SessionMember } from "../../shared/protocol.js";
import { ApiFailure, api } from "./api.js";
import { errorText } from "./errors.js";
import { closeDesktop } from "./notify.js";
import {
  closeTeamAlert,
  dropTeamAlert,
  joiningByMe,
  openSessions,
  patchSession,
  sessionLeft,
  sessionStarted,
  sessionUpdated,
  setTeamAlertBusy,
  showNotice,
  tabs,
  teamAlerts,
} from "./state.js";

/**
 * Teamwork from the console's side, over REST: answering a colleague's transfer or invitation,
 * transferring and inviting, the members of a session, leaving. The server follows every change
 * with session.updated / session.started / session.left on the socket (live.ts); these actions
 * also show their own result at once.
 */

/** A transfer's note for the receiver, at most (the server's limit). */
export const TRANSFER_NOTE_MAX = LIMITS.transferNote;
/** Colleagues (invited and joined) a session may have at once besides its owner (the server's limit). */
export const MAX_PARTICIPANTS = LIMITS.invitations;

/** A session this console enters: its tab takes the focus when session.started comes (for a while). */
function entering(sessionId: string): () => void {
  joiningByMe.add(sessionId);
  return () => setTimeout(() => joiningByMe.delete(sessionId), 5000);
}

function sessionOf(sessionId: string) {
  return (
    openSessions.value.find((s) => s.id === sessionId) ??
    tabs.value.find((tab) => tab.session.id === sessionId)?.session ??
    null
  );
}

// ── answering a team alert ────────────────────────────────────────────────────
export async function acceptTeamAlert(alertId: string): Promise<void> {
  const popup = teamAlerts.value.find((a) => a.alert.id === alertId);
  if (!popup || popup.busy || popup.closed) return;
  const { alert } = popup;
  const done = entering(alert.sessionId);
  setTeamAlertBusy(alertId, true, null);
  try {
    const session =
      alert.kind === "transfer" ? await api.acceptTransfer(alertId) : await api.acceptInvite(alertId);
    dropTeamAlert(alertId);
    closeDesktop(`team-${alertId}`);
    sessionStarted(session, true, true);
  } catch (err) {
    if (err instanceof ApiFailure && err.code === "already_taken" && err.params.name !== undefined) {
      closeTeamAlert(alertId, "accepted", String(err.params.name));
    } else if (
      err instanceof ApiFailure &&
      (err.code === "transfer_closed" || err.code === "invite_closed" || err.status === 404)
    ) {
      dropTeamAlert(alertId);
      closeDesktop(`team-${alertId}`);
      showNotice(errorText(err));
    } else {
      // At the limit, or a failure: the pop-up stays, saying why, while it has time left.
      setTeamAlertBusy(alertId, false, errorText(err));
    }
  } finally {
    done();
  }
}

export async function declineTeamAlert(alertId: string): Promise<void> {
  const popup = teamAlerts.value.find((a) => a.alert.id === alertId);
  if (!popup) return;
  dropTeamAlert(alertId);
  closeDesktop(`team-${alertId}`);
  if (popup.closed) return;
  try {
    if (popup.alert.kind === "transfer") await api.declineTransfer(alertId);
    else await api.declineInvite(alertId);
  } catch (err) {
    // Already over (taken, canceled, timed out): nothing left to decline.
    if (!(err instanceof ApiFailure && (err.status === 404 || err.status === 409)))
      showNotice(errorText(err));
  }
}

// ── the owner's side ──────────────────────────────────────────────────────────
export type TransferTarget = { toAgentId: string } | { toPortalId: string };

/** Returns an error text for the dialog, or null when the transfer is waiting for its receiver. */
export async function transferSession(
  sessionId: string,
  to: TransferTarget,
  note: string,
): Promise<string | null> {
  try {
    const transfer = await api.transfer(sessionId, to, note);
    patchSession(sessionId, { transfer });
    return null;
  } catch (err) {
    return errorText(err);
  }
}

export async function cancelTransfer(sessionId: string): Promise<void> {
  try {
    await api.cancelTransfer(sessionId);
    patchSession(sessionId, { transfer: null });
  } catch (err) {
    showNotice(errorText(err));
  }
}

/** Returns an error text for the dialog, or null when the invitations are out. */
export async function inviteColleagues(sessionId: string, agentIds: string[]): Promise<string | null> {
  try {
    const invited = await api.invite(sessionId, agentIds);
    const before = sessionOf(sessionId)?.members ?? [];
    const ids = new Set(invited.map((m) => m.userId));
    patchSession(sessionId, { members: [...before.filter((m) => !ids.has(m.userId)), ...invited] });
    return null;
  } catch (err) {
    return errorText(err);
  }
}

/** The owner removes a colleague, or withdraws an invitation. */
export async function removeMember(sessionId: string, member: SessionMember): Promise<void> {
  try {
    await api.removeMember(sessionId, member.userId);
    const before = sessionOf(sessionId)?.members ?? [];
    patchSession(sessionId, { members: before.filter((m) => m.userId !== member.userId) });
  } catch (err) {
    showNotice(errorText(err));
  }
}

/** The owner hands the session to a colleague in it, and stays as a participant. */
export async function makeOwner(sessionId: string, userId: string): Promise<void> {
  try {
    sessionUpdated(await api.makeOwner(sessionId, userId));
  } catch (err) {
    showNotice(errorText(err));
  }
}

/** A participant leaves, or a supervisor stops monitoring. */
export async function leaveSession(sessionId: string): Promise<void> {
  try {
    await api.leave(sessionId);
    sessionLeft(sessionId, "left", null);
  } catch (err) {
    showNotice(errorText(err));
  }
}

// ── supervisors ───────────────────────────────────────────────────────────────
export type SuperviseHow = "monitor" | "join" | "take-over";

/** Monitor, join or take over a live session; its tab opens and takes the focus. Returns an error text. */
export async function supervise(sessionId: string, how: SuperviseHow): Promise<string | null> {
  const done = entering(sessionId);
  try {
    const session =
      how === "monitor"
        ? await api.monitor(sessionId)
        : how === "join"
          ? await api.join(sessionId)
          : await api.takeOver(sessionId);
    sessionStarted(session, true, true);
    return null;
  } catch (err) {
    return errorText(err);
  } finally {
    done();
  }
}
