/**
 * Abuse limits of the WebSocket at `/ws`, on inbound client messages only (nothing here is on
 * the path of an event going out to sockets): a token bucket per socket and one per sign-in
 * (an agent's session cookie, or a customer's request), and caps on how many sockets one
 * sign-in and one client address may hold open. Counted per node: in a cluster a sign-in's
 * sockets on different nodes each have a node's allowance (a load balancer spreads them, so a
 * flood still meets every node's limit).
 */

import type { WebSocket } from "ws";
import { socketSend } from "../hub/wire.js";

/** The numbers, from the environment (config.ts); 0 switches a limit off. */
export interface SocketLimitSettings {
  /** Messages a socket may send per second, sustained … */
  messagesPerSecond: number;
  /** … and at once, after a quiet spell. */
  messageBurst: number;
  /** The same for all sockets of one sign-in together. */
  signInMessagesPerSecond: number;
  signInMessageBurst: number;
  /** Refused messages within REFUSAL_WINDOW_MS after which the socket is closed (CLOSE_RATE_LIMITED). */
  refusalsBeforeClose: number;
  /** Sockets one sign-in may hold open on a node. */
  socketsPerSignIn: number;
  /** Sockets one client address may hold open on a node (customers share company NATs). */
  socketsPerAddress: number;
}

/** The close code of a socket that went on sending past its limit, or was one too many. */
export const CLOSE_RATE_LIMITED = 4429;
export const REFUSAL_WINDOW_MS = 10_000;

/** A burst allowance refilled at a steady rate; refilled lazily when asked, so idle costs nothing. */
export class TokenBucket {
  private tokens: number;
  private at: number;
  private readonly perMs: number;

  constructor(
    perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.perMs = perSecond / 1000;
    this.tokens = burst;
    this.at = now;
  }

  private refill(now: number): void {
    if (now > this.at) {
      this.tokens = Math.min(this.burst, this.tokens + (now - this.at) * this.perMs);
      this.at = now;
    }
  }

  /** Milliseconds until one message may go (0: now). */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.perMs);
  }

  take(): void {
    this.tokens -= 1;
  }
}

/** A sign-in's share: its sockets on this node and their common bucket. */
interface SignInEntry {
  sockets: number;
  bucket: TokenBucket | null;
}

/** What one socket holds: admit each message through it, release it when the socket closes. */
export interface SocketTicket {
  /** null: the message may be handled; else how many milliseconds until one would be. */
  admit(now: number): number | null;
  /** Counts a refused message; true when the socket should now be closed. */
  refused(now: number): boolean;
  release(): void;
}

export type Admission = { ticket: SocketTicket } | { refused: "sign-in" | "address" };

export class SocketLimits {
  private readonly signIns = new Map<string, SignInEntry>();
  private readonly addresses = new Map<string, number>();

  constructor(private readonly settings: SocketLimitSettings) {}

  /** Admits a new socket of a sign-in (null: not known yet) from an address, or says which cap it hit. */
  open(signIn: string | null, address: string, now: number): Admission {
    const s = this.settings;
    const fromAddress = this.addresses.get(address) ?? 0;
    if (s.socketsPerAddress > 0 && fromAddress >= s.socketsPerAddress) return { refused: "address" };
    let entry: SignInEntry | null = null;
    if (signIn !== null) {
      entry = this.signIns.get(signIn) ?? null;
      if (entry && s.socketsPerSignIn > 0 && entry.sockets >= s.socketsPerSignIn)
        return { refused: "sign-in" };
      if (!entry) {
        entry = {
          sockets: 0,
          bucket:
            s.signInMessagesPerSecond > 0
              ? new TokenBucket(s.signInMessagesPerSecond, s.signInMessageBurst, now)
              : null,
        };
        this.signIns.set(signIn, entry);
      }
      entry.sockets += 1;
    }
    this.addresses.set(address, fromAddress + 1);
    return { ticket: this.ticket(signIn, entry, address, now) };
  }

  /**
   * A sign-in's bucket outlives its last socket until it would be full again, so reconnecting
   * does not buy a fresh burst.
   */
  private forgetLater(signIn: string, entry: SignInEntry): void {
    const s = this.settings;
    const refillMs =
      s.signInMessagesPerSecond > 0 ? (s.signInMessageBurst / s.signInMessagesPerSecond) * 1000 : 0;
    const forget = () => {
      if (entry.sockets <= 0 && this.signIns.get(signIn) === entry) this.signIns.delete(signIn);
    };
    if (refillMs <= 0) forget();
    else setTimeout(forget, refillMs).unref();
  }

  /** Sockets open now, for one sign-in and one address (tests, metrics). */
  openSockets(signIn: string | null, address: string): { signIn: number; address: number } {
    return {
      signIn: signIn === null ? 0 : (this.signIns.get(signIn)?.sockets ?? 0),
      address: this.addresses.get(address) ?? 0,
    };
  }

  private ticket(
    signIn: string | null,
    entry: SignInEntry | null,
    address: string,
    now: number,
  ): SocketTicket {
    const s = this.settings;
    const own = s.messagesPerSecond > 0 ? new TokenBucket(s.messagesPerSecond, s.messageBurst, now) : null;
    const shared = entry?.bucket ?? null;
    let windowStart = now;
    let refusals = 0;
    let released = false;
    return {
      admit: (t) => {
        const wait = Math.max(own?.waitMs(t) ?? 0, shared?.waitMs(t) ?? 0);
        if (wait > 0) return wait;
        own?.take();
        shared?.take();
        return null;
      },
      refused: (t) => {
        if (t - windowStart >= REFUSAL_WINDOW_MS) {
          windowStart = t;
          refusals = 0;
        }
        refusals += 1;
        return s.refusalsBeforeClose > 0 && refusals >= s.refusalsBeforeClose;
      },
      release: () => {
        if (released) return;
        released = true;
        const left = (this.addresses.get(address) ?? 1) - 1;
        if (left > 0) this.addresses.set(address, left);
        else this.addresses.delete(address);
        if (signIn !== null && entry) {
          entry.sockets -= 1;
          if (entry.sockets <= 0) this.forgetLater(signIn, entry);
        }
      },
    };
  }
}

/** The `ref` of a refused message, if it had one (read only for refusals, never on the way in). */
export function refOf(raw: string): string | undefined {
  if (!raw.includes('"ref"')) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    const ref = typeof value === "object" && value !== null ? (value as { ref?: unknown }).ref : undefined;
    return typeof ref === "string" ? ref.slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}

const CAP_MESSAGES: Record<"sign-in" | "address", string> = {
  "sign-in": "Too many connections for this sign-in. Close some Helpgate tabs, then reload.",
  address: "Too many connections from your network address. Try again in a minute.",
};

/**
 * Admits a socket that has just opened, or tells it which cap it hit (a `too_many_sockets`
 * error, then close code CLOSE_RATE_LIMITED) and answers null.
 */
export function admitSocket(
  limits: SocketLimits,
  socket: WebSocket,
  signIn: string | null,
  address: string,
  now: number,
): SocketTicket | null {
  const admission = limits.open(signIn, address, now);
  if ("ticket" in admission) return admission.ticket;
  const message = CAP_MESSAGES[admission.refused];
  socket.on("error", () => {});
  socketSend(socket, { type: "error", code: "too_many_sockets", message });
  socket.close(CLOSE_RATE_LIMITED, "Too many connections");
  return null;
}

/**
 * True when an inbound message may be handled. Otherwise the client is told with a
 * `rate_limited` error (with the message's ref and `retryAfterMs`), and a socket that goes on
 * regardless (refusalsBeforeClose within REFUSAL_WINDOW_MS) is closed with CLOSE_RATE_LIMITED.
 */
export function admitMessage(ticket: SocketTicket, socket: WebSocket, raw: string, now: number): boolean {
  const wait = ticket.admit(now);
  if (wait === null) return true;
  if (socket.readyState !== socket.OPEN) return false;
  const ref = refOf(raw);
  if (ticket.refused(now)) {
    socketSend(socket, {
      type: "error",
      code: "rate_limited",
      message: "Too many messages: this connection is closed. It reconnects by itself in a moment.",
      ...(ref ? { ref } : {}),
    });
    socket.close(CLOSE_RATE_LIMITED, "Too many messages");
    return false;
  }
  socketSend(socket, {
    type: "error",
    code: "rate_limited",
    message: `Too many messages: this one was not handled. Send it again in ${Math.ceil(wait / 100) / 10} s.`,
    retryAfterMs: wait,
    ...(ref ? { ref } : {}),
  });
  return false;
}
