import { signal } from "@preact/signals";
import type { AgentClientMessage, Receipt } from "../../shared/protocol.js";

/**
 * Typing and receipts in the console: when the customer last typed (per session), the customer's
 * delivered/read marks, and what this console tells the customer about the messages it got.
 */
export const TYPING_SHOWN_MS = 4000;
const TYPING_EVERY_MS = 2000;

export const typingAt = signal<Record<string, number>>({});
export const receipts = signal<Record<string, Receipt>>({});

let sender: (msg: AgentClientMessage) => boolean = () => false;
const lastTypingSent = new Map<string, number>();
const told = new Map<string, Receipt>();

export function setPresenceSender(send: (msg: AgentClientMessage) => boolean): void {
  sender = send;
}

export function customerTyped(sessionId: string): void {
  typingAt.value = { ...typingAt.value, [sessionId]: Date.now() };
}

export function customerReceipt(sessionId: string, receipt: Receipt): void {
  receipts.value = { ...receipts.value, [sessionId]: receipt };
}

/** A message arrived from the customer: they stop typing. */
export function customerSpoke(sessionId: string): void {
  if (typingAt.value[sessionId]) {
    const { [sessionId]: _, ...rest } = typingAt.value;
    typingAt.value = rest;
  }
}

/** The agent types: tell the customer, at most every two seconds. */
export function agentTyping(sessionId: string): void {
  const at = Date.now();
  if (at - (lastTypingSent.get(sessionId) ?? 0) < TYPING_EVERY_MS) return;
  lastTypingSent.set(sessionId, at);
  sender({ type: "typing", sessionId });
}

/** A message went out: the next keystroke counts as typing again at once. */
export function agentSent(sessionId: string): void {
  lastTypingSent.delete(sessionId);
}

/** Tell the customer what this console got (delivered) and what the agent has seen (read). */
export function tellReceipt(sessionId: string, delivered: number, seen: boolean): void {
  const before = told.get(sessionId) ?? { delivered: 0, read: 0 };
  const next = { delivered: Math.max(before.delivered, delivered), read: seen ? delivered : before.read };
  if (next.delivered === before.delivered && next.read === before.read) return;
  if (sender({ type: "receipt", sessionId, delivered: next.delivered, read: next.read }))
    told.set(sessionId, next);
}
