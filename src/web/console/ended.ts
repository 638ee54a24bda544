import { signal } from "@preact/signals";
import type { SessionSummary } from "../../shared/protocol.js";

/** Today's ended sessions of this agent (newest first), as the snapshot and the outcome form give them. */
export const endedSessions = signal<SessionSummary[]>([]);

export function setEnded(list: SessionSummary[]): void {
  endedSessions.value = list;
}

/** A saved outcome replaces that session's summary (or adds it when the snapshot had not yet). */
export function putEnded(summary: SessionSummary): void {
  const rest = endedSessions.value.filter((s) => s.id !== summary.id);
  endedSessions.value = [summary, ...rest].sort((a, b) => b.endedAt - a.endedAt);
}

export function transcriptUrl(sessionId: string, format: "txt" | "json"): string {
  return `/api/v1/sessions/${encodeURIComponent(sessionId)}/transcript?format=${format}`;
}

/** The customer answered the survey: the ended session shows the rating at once (false: not listed yet). */
export function rateEnded(sessionId: string, rating: number, comment: string | null): boolean {
  if (!endedSessions.value.some((s) => s.id === sessionId)) return false;
  endedSessions.value = endedSessions.value.map((s) => (s.id === sessionId ? { ...s, rating, comment } : s));
  return true;
}
