import { effect, signal, untracked } from "@preact/signals";
import type {
  AgentClientMessage,
  IceServer,
  RtcSignal,
  SessionView,
  ShareState,
} from "../../shared/protocol.js";
import { t } from "./i18n.js";
import { openSessions, snapshotCount, tabs } from "./state.js";

/**
 * Screen sharing on the agent's side: the agent asks, the customer's browser offers a WebRTC
 * connection with its screen, this side answers and shows the stream. Pointing sends fractions of
 * the shared picture. Signaling goes over the console's socket (live.ts hands the messages in).
 *
 * Only a session's owner asks for the screen, stops the share and points. A colleague in the
 * session or a supervisor watching it (SessionView.role "participant" / "monitor") is a viewer:
 * while the customer shares, this console asks the customer's page for a connection of its own
 * (`share.view`, watch true) and answers its offer just as the owner's console does; it stops
 * watching (watch false) when its tab closes or when the viewer says so. Which sessions to watch
 * follows the session list (state.ts), so a viewer who joins while the screen is shared sees it.
 */

export interface ShareView {
  state: ShareState;
  /** Why it stopped or failed, in words (the server's reason, e.g. "transfer", when it has no words here). */
  reason: string | null;
  /** This agent stopped viewing (rather than the customer stopping). */
  byMe: boolean;
  stream: MediaStream | null;
}

export const shares = signal<Record<string, ShareView>>({});
export const upgradeEnabled = signal(false);
let iceServers: IceServer[] = [];
let sender: (msg: AgentClientMessage) => boolean = () => false;

const peers = new Map<string, RTCPeerConnection>();
const waitingCandidates = new Map<string, RtcSignal[]>();

/** Viewer sessions this console has sent `share.view` watch:true for, on the current connection. */
const watching = new Set<string>();
/** Viewer sessions whose agent chose not to watch the current share (cleared when that share ends). */
const optedOut = new Set<string>();
/** Whether the customer of a viewer session shares right now, as far as this console heard. */
const customerSharing = new Map<string, boolean>();
/** The snapshot (socket connection) the `watching` marks belong to. */
let watchRound = -1;

export function setShareSender(send: (msg: AgentClientMessage) => boolean): void {
  sender = send;
}

export function setShareConfig(enabled: boolean, servers: IceServer[]): void {
  upgradeEnabled.value = enabled;
  iceServers = servers;
}

/** The account's screen-sharing switch, as an admin just set it (the ICE servers stay). */
export function setUpgradeEnabled(enabled: boolean): void {
  upgradeEnabled.value = enabled;
}

function update(sessionId: string, change: Partial<ShareView>): void {
  const before = shares.value[sessionId] ?? { state: "stopped", reason: null, byMe: false, stream: null };
  shares.value = { ...shares.value, [sessionId]: { ...before, ...change } };
}

function closePeer(sessionId: string): void {
  peers.get(sessionId)?.close();
  peers.delete(sessionId);
  waitingCandidates.delete(sessionId);
}

function sessionOf(sessionId: string): SessionView | undefined {
  return (
    openSessions.value.find((s) => s.id === sessionId) ??
    tabs.value.find((tab) => tab.session.id === sessionId)?.session
  );
}

/** True when this console is the session's owner (or the session is not known: the owner's view, as before teamwork). */
export function isShareOwner(sessionId: string): boolean {
  const role = sessionOf(sessionId)?.role;
  return role === undefined || role === "owner";
}

/** A colleague or supervisor of a live session of this console: sees the screen, does not control it. */
function isViewer(sessionId: string): boolean {
  return !isShareOwner(sessionId);
}

/** The owner asks the customer to share. Refused (false) for a viewer. */
export function requestShare(sessionId: string): boolean {
  if (!isShareOwner(sessionId)) return false;
  const ok = sender({ type: "share.request", sessionId });
  if (ok) update(sessionId, { state: "requested", reason: null, byMe: false, stream: null });
  return ok;
}

/** The owner stops the share for everyone; a viewer only stops watching it. */
export function stopViewing(sessionId: string): void {
  if (!isShareOwner(sessionId)) {
    stopWatching(sessionId);
    return;
  }
  sender({ type: "share.stop", sessionId });
  closePeer(sessionId);
  update(sessionId, { state: "stopped", reason: null, byMe: true, stream: null });
}

/** The agent clicked the shared picture at (x, y), fractions of its width and height. Owner only. */
export function point(sessionId: string, x: number, y: number): void {
  if (!isShareOwner(sessionId)) return;
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  sender({ type: "pointer", sessionId, x: clamp(x), y: clamp(y) });
}

/**
 * A viewer wants to see the customer's screen (again, after stopWatching or a lost connection).
 * False when this console owns the session (the owner asks with requestShare) or nothing is shared.
 */
export function watchShare(sessionId: string): boolean {
  if (!isViewer(sessionId) || !customerSharing.get(sessionId)) return false;
  optedOut.delete(sessionId);
  if (shares.value[sessionId]?.state !== "sharing") {
    update(sessionId, { state: "sharing", reason: null, byMe: false, stream: null });
  }
  // The effect below sends share.view as soon as the socket is up; right away when it is.
  syncWatching();
  return true;
}

/** A viewer no longer watches: the customer's page closes their connection; the share goes on for the others. */
export function stopWatching(sessionId: string): void {
  if (!isViewer(sessionId)) return;
  optedOut.add(sessionId);
  unwatch(sessionId, true);
  update(sessionId, { state: "stopped", reason: null, byMe: true, stream: null });
}

/** True while this console (as a viewer) has asked for the session's screen. */
export function isWatching(sessionId: string): boolean {
  return watching.has(sessionId);
}

/** Closes a viewer's connection; tells the server (watch:false) only while this agent is still in the session. */
function unwatch(sessionId: string, tell: boolean): void {
  const member = openSessions.value.some((s) => s.id === sessionId);
  if (tell && member && (watching.has(sessionId) || peers.has(sessionId))) {
    sender({ type: "share.view", sessionId, watch: false });
  }
  watching.delete(sessionId);
  closePeer(sessionId);
}

/** A share state from the server (the customer's answer, or the owner's own, echoed). */
export function onShare(sessionId: string, state: ShareState, reason: string | undefined): void {
  const owner = isShareOwner(sessionId);
  customerSharing.set(sessionId, state === "sharing");
  if (state === "stopped" || state === "failed" || state === "declined") {
    closePeer(sessionId);
    watching.delete(sessionId);
    optedOut.delete(sessionId);
  }
  if (state === "sharing") {
    // A viewer who chose not to watch keeps their "stopped" until they ask again.
    if (!owner && optedOut.has(sessionId)) return;
    update(sessionId, { state, reason: null, byMe: false });
    // A viewer asks for its own connection now.
    if (!owner) syncWatching();
    return;
  }
  const mine = owner && state === "stopped" && reason === "agent";
  update(sessionId, {
    state,
    reason: state === "stopped" && reason === "agent" ? null : (reason ?? null),
    byMe: mine,
    stream: null,
  });
}

/** The session ended: nothing more to see. */
export function shareEnded(sessionId: string): void {
  customerSharing.delete(sessionId);
  watching.delete(sessionId);
  optedOut.delete(sessionId);
  if (!shares.value[sessionId]) return;
  closePeer(sessionId);
  if (shares.value[sessionId]?.state === "sharing") update(sessionId, { state: "stopped", stream: null });
}

/** This agent is out of the session (transferred, removed, left): its picture goes, nothing is sent. */
export function shareLeft(sessionId: string): void {
  shareEnded(sessionId);
}

export async function onRtc(sessionId: string, signal: RtcSignal): Promise<void> {
  try {
    if (signal.kind === "offer") {
      // A viewer who stopped watching (or left) takes no late offer.
      if (isViewer(sessionId) && optedOut.has(sessionId)) return;
      peers.get(sessionId)?.close();
      const pc = new RTCPeerConnection({ iceServers });
      peers.set(sessionId, pc);
      pc.addEventListener("track", (e) => {
        if (peers.get(sessionId) !== pc) return;
        const stream = e.streams[0] ?? new MediaStream([e.track]);
        update(sessionId, { state: "sharing", stream, reason: null, byMe: false });
      });
      pc.addEventListener("icecandidate", (e) => {
        if (!e.candidate || peers.get(sessionId) !== pc) return;
        sender({
          type: "rtc",
          sessionId,
          signal: {
            kind: "candidate",
            candidate: e.candidate.candidate,
            sdpMid: e.candidate.sdpMid,
            sdpMLineIndex: e.candidate.sdpMLineIndex,
          },
        });
      });
      pc.addEventListener("connectionstatechange", () => {
        if (peers.get(sessionId) !== pc) return;
        if (pc.connectionState === "failed" || pc.connectionState === "disconnected") {
          closePeer(sessionId);
          watching.delete(sessionId);
          update(sessionId, { state: "failed", reason: t("shareLost"), stream: null });
        }
      });
      await pc.setRemoteDescription({ type: "offer", sdp: signal.sdp });
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      sender({ type: "rtc", sessionId, signal: { kind: "answer", sdp: answer.sdp ?? "" } });
      for (const c of waitingCandidates.get(sessionId) ?? []) await addCandidate(pc, c);
      waitingCandidates.delete(sessionId);
    } else if (signal.kind === "candidate") {
      const pc = peers.get(sessionId);
      if (pc?.remoteDescription) await addCandidate(pc, signal);
      else waitingCandidates.set(sessionId, [...(waitingCandidates.get(sessionId) ?? []), signal]);
    }
  } catch (err) {
    closePeer(sessionId);
    watching.delete(sessionId);
    update(sessionId, {
      state: "failed",
      reason: err instanceof Error ? err.message : String(err),
      stream: null,
    });
  }
}

async function addCandidate(pc: RTCPeerConnection, s: RtcSignal): Promise<void> {
  if (s.kind !== "candidate") return;
  await pc.addIceCandidate({ candidate: s.candidate, sdpMid: s.sdpMid, sdpMLineIndex: s.sdpMLineIndex });
}

// ── viewers: which sessions to watch follows the session list ────────────────

/**
 * Brings the viewer connections in line with the sessions: a viewer session whose customer shares
 * is watched (share.view watch:true, again after every reconnect: the customer's page ignores a
 * second ask for a live connection, so a console without one says watch:false first); one whose
 * tab closed, whose agent left it, or whose share ended is not (its connection closes; watch:false
 * only while still in the session: the server refuses messages about sessions one is not in).
 */
function syncWatching(): void {
  const round = snapshotCount.value;
  const live = openSessions.value;
  const open = new Set(tabs.value.map((tab) => tab.session.id));
  untracked(() => {
    const fresh = round !== watchRound;
    if (fresh) {
      watchRound = round;
      watching.clear();
    }
    const wanted = new Set<string>();
    for (const s of live) {
      if (s.role === "owner") continue;
      const known = customerSharing.get(s.id);
      // A session seen for the first time, or a fresh snapshot: the server's last share state counts.
      if (known === undefined || fresh) {
        const sharing = s.share === "sharing";
        if (known !== sharing) adoptServerState(s.id, sharing);
      }
      if (!customerSharing.get(s.id) || optedOut.has(s.id) || !open.has(s.id)) continue;
      if (shares.value[s.id]?.state === "failed") continue;
      wanted.add(s.id);
    }
    for (const id of wanted) {
      if (watching.has(id)) continue;
      // Without a connection here (a reloaded console, a lost one), the customer's page may still
      // hold a stale one for this agent and would ignore a second ask: close that one first.
      if (!peers.has(id)) sender({ type: "share.view", sessionId: id, watch: false });
      if (sender({ type: "share.view", sessionId: id, watch: true })) watching.add(id);
    }
    const gone = new Set([...watching, ...peers.keys()].filter((id) => !wanted.has(id)));
    for (const id of gone) {
      const session = live.find((s) => s.id === id);
      // This console became the owner (a hand-over): its connection is the owner's now.
      if (session?.role === "owner") {
        watching.delete(id);
        continue;
      }
      if (!session) {
        // Out of the session (ended, left, removed, transferred): the server knows; close quietly.
        const tab = tabs.value.find((x) => x.session.id === id);
        if (tab && tab.session.role === "owner") continue;
        shareLeft(id);
        continue;
      }
      if (!open.has(id)) unwatch(id, true);
      else if (!customerSharing.get(id) || optedOut.has(id)) unwatch(id, false);
    }
  });
}

/** What a snapshot or a newly opened session says about a viewer session's share. */
function adoptServerState(sessionId: string, sharing: boolean): void {
  customerSharing.set(sessionId, sharing);
  const view = shares.value[sessionId];
  if (sharing) {
    optedOut.delete(sessionId);
    if (view?.state !== "sharing")
      update(sessionId, { state: "sharing", reason: null, byMe: false, stream: null });
  } else if (view?.state === "sharing") {
    closePeer(sessionId);
    update(sessionId, { state: "stopped", reason: null, byMe: false, stream: null });
  }
}

effect(() => {
  // Reads snapshotCount, openSessions and tabs; runs again whenever one changes.
  syncWatching();
});
