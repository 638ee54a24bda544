import type { RtcSignal, ShareState } from "../../shared/protocol.js";
import { DomainError } from "./errors.js";

type Side = "agent" | "customer";

/** Which side may move screen sharing to which state: the agent asks or stops, the customer answers. */
export const SHARE_BY: Record<Side, readonly ShareState[]> = {
  agent: ["requested", "stopped"],
  customer: ["declined", "sharing", "stopped", "failed"],
};

const MAX_SDP = 20_000;

/** A WebRTC signal as the browsers exchange it, checked field by field; anything else is a 400. */
export function checkSignal(signal: unknown): RtcSignal {
  const s = signal as Partial<Record<string, unknown>> | null;
  if (
    s &&
    (s.kind === "offer" || s.kind === "answer") &&
    typeof s.sdp === "string" &&
    s.sdp.length <= MAX_SDP
  ) {
    return { kind: s.kind, sdp: s.sdp };
  }
  if (
    s &&
    s.kind === "candidate" &&
    typeof s.candidate === "string" &&
    s.candidate.length <= 2000 &&
    (s.sdpMid === null || typeof s.sdpMid === "string") &&
    (s.sdpMLineIndex === null || typeof s.sdpMLineIndex === "number")
  ) {
    return {
      kind: "candidate",
      candidate: s.candidate,
      sdpMid: s.sdpMid as string | null,
      sdpMLineIndex: s.sdpMLineIndex as number | null,
    };
  }
  throw new DomainError(
    400,
    "bad_signal",
    "A signal is {kind: offer|answer, sdp} or {kind: candidate, candidate, sdpMid, sdpMLineIndex}.",
  );
}
