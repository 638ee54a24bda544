import { signal } from "@preact/signals";
import type { AgentClientMessage, IceServer, RtcSignal, ShareState } from "../../shared/protocol.js";
import { t } from "./i18n.js";

/**
 * Screen sharing on the agent's side: the agent asks, the customer's browser offers a WebRTC
 * connection with its screen, this side answers and shows the stream. Pointing sends fractions of
 * the shared picture. Signaling goes over the console's socket (live.ts hands the messages in).
 */

export interface ShareView {
  state: ShareState;
  /** Why it stopped or failed, in words. */
  reason: string | null;
  /** The agent stopped viewing (rather than the customer stopping). */
  byMe: boolean;
  stream: MediaStream | null;
}

export const shares = signal<Record<string, ShareView>>({});
export const upgradeEnabled = signal(false);
let iceServers: IceServer[] = [];
let sender: (msg: AgentClientMessage) => boolean = () => false;

const peers = new Map<string, RTCPeerConnection>();
const waitingCandidates = new Map<string, RtcSignal[]>();

export function setShareSender(send: (msg: AgentClientMessage) => boolean): void {
  sender = send;
}

export function setShareConfig(enabled: boolean, servers: IceServer[]): void {
  upgradeEnabled.value = enabled;
  iceServers = servers;
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

export function requestShare(sessionId: string): boolean {
  const ok = sender({ type: "share.request", sessionId });
  if (ok) update(sessionId, { state: "requested", reason: null, byMe: false, stream: null });
  return ok;
}

export function stopViewing(sessionId: string): void {
  sender({ type: "share.stop", sessionId });
  closePeer(sessionId);
  update(sessionId, { state: "stopped", reason: null, byMe: true, stream: null });
}

/** The agent clicked the shared picture at (x, y), fractions of its width and height. */
export function point(sessionId: string, x: number, y: number): void {
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  sender({ type: "pointer", sessionId, x: clamp(x), y: clamp(y) });
}

/** A share state from the server (the customer's answer, or this agent's own, echoed). */
export function onShare(sessionId: string, state: ShareState, reason: string | undefined): void {
  if (state === "stopped" || state === "failed" || state === "declined") closePeer(sessionId);
  if (state === "sharing") {
    update(sessionId, { state, reason: null, byMe: false });
    return;
  }
  update(sessionId, {
    state,
    reason: state === "stopped" && reason === "agent" ? null : (reason ?? null),
    byMe: state === "stopped" && reason === "agent",
    stream: null,
  });
}

/** The session ended: nothing more to see. */
export function shareEnded(sessionId: string): void {
  if (!shares.value[sessionId]) return;
  closePeer(sessionId);
  if (shares.value[sessionId]?.state === "sharing") update(sessionId, { state: "stopped", stream: null });
}

export async function onRtc(sessionId: string, signal: RtcSignal): Promise<void> {
  try {
    if (signal.kind === "offer") {
      peers.get(sessionId)?.close();
      const pc = new RTCPeerConnection({ iceServers });
      peers.set(sessionId, pc);
      pc.addEventListener("track", (e) => {
        const stream = e.streams[0] ?? new MediaStream([e.track]);
        update(sessionId, { state: "sharing", stream, reason: null, byMe: false });
      });
      pc.addEventListener("icecandidate", (e) => {
        if (!e.candidate) return;
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
