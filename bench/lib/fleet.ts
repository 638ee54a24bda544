import WebSocket from "ws";
import { type Deferred, deferred, now, withTimeout } from "./util.js";

/** The parts of server messages the generator reads (Helpgate's protocol; the baseline speaks the same). */
export interface Incoming {
  type?: unknown;
  request?: { id?: unknown; state?: unknown; agentId?: unknown; customerName?: unknown };
  ref?: unknown;
  seq?: unknown;
  sessionId?: unknown;
  message?: { seq?: unknown; body?: unknown; sender?: unknown };
  code?: unknown;
}

export type Side = "agent" | "customer";

export interface SocketSpec {
  url: string;
  headers: Record<string, string>;
}

/** What a chat message's body carries so the receiver can find its send time: "bench <ref> …". */
export function chatBody(ref: string): string {
  return `bench ${ref} — could you check the settings page once more, please?`;
}

function refOfBody(body: string): string | null {
  if (!body.startsWith("bench ")) return null;
  const end = body.indexOf(" ", 6);
  return end < 0 ? body.slice(6) : body.slice(6, end);
}

export interface ChatRecord {
  from: Side;
  sentAt: number;
  recvAt?: number;
  recvSeq?: number;
  ackAt?: number;
  ackSeq?: number;
}

/** One round of "every agent gets the alert": times per agent, keyed by the customer's name. */
export class AlertWait {
  readonly times = new Map<number, number>();
  readonly done: Deferred<void> = deferred();
  constructor(
    readonly customerName: string,
    readonly expected: number,
  ) {}
  record(agent: number, at: number): void {
    if (this.times.has(agent)) return;
    this.times.set(agent, at);
    if (this.times.size >= this.expected) this.done.resolve();
  }
}

/** One accept race: when each agent's socket heard that the request was accepted, and by whom. */
export class AcceptedWait {
  readonly times = new Map<number, number>();
  readonly winners = new Set<string>();
  readonly done: Deferred<void> = deferred();
  constructor(
    readonly requestId: string,
    readonly expected: number,
  ) {}
  record(agent: number, at: number, agentId: string): void {
    if (this.times.has(agent)) return;
    this.times.set(agent, at);
    this.winners.add(agentId);
    if (this.times.size >= this.expected) this.done.resolve();
  }
}

/**
 * Every socket of the simulated browsers, and the bookkeeping that turns their messages into
 * timings. One instance per server under test.
 */
export class Fleet {
  readonly agentSockets: WebSocket[] = [];
  alertWait: AlertWait | null = null;
  acceptedWait: AcceptedWait | null = null;
  readonly chat = new Map<string, ChatRecord>();
  errors = 0;
  private readonly errorSamples: string[] = [];

  /** Opens a socket and resolves after its first message (console snapshot, customer status). */
  open(spec: SocketSpec, onMessage: (msg: Incoming, at: number) => void): Promise<WebSocket> {
    const first = deferred<WebSocket>();
    const ws = new WebSocket(spec.url, {
      headers: spec.headers,
      perMessageDeflate: false,
      handshakeTimeout: 30_000,
    });
    let gotFirst = false;
    ws.on("message", (data: WebSocket.RawData) => {
      const at = now();
      const text = Buffer.isBuffer(data) ? data.toString("utf8") : String(data);
      let msg: Incoming;
      try {
        msg = JSON.parse(text) as Incoming;
      } catch {
        this.noteError(`unparsable message: ${text.slice(0, 80)}`);
        return;
      }
      if (msg.type === "error") this.noteError(`socket error message: ${text.slice(0, 200)}`);
      if (!gotFirst) {
        gotFirst = true;
        first.resolve(ws);
      }
      onMessage(msg, at);
    });
    ws.on("error", (err) => first.reject(err));
    ws.on("close", (code, reason) => {
      if (!gotFirst) first.reject(new Error(`socket closed before its first message: ${code} ${reason}`));
    });
    return withTimeout(first.promise, 30_000, `socket ${spec.url}`);
  }

  noteError(text: string): void {
    this.errors++;
    if (this.errorSamples.length < 10) this.errorSamples.push(text);
  }

  get errorExamples(): string[] {
    return this.errorSamples;
  }

  async openAgent(index: number, spec: SocketSpec): Promise<void> {
    this.agentSockets[index] = await this.open(spec, (msg, at) => this.onAgent(index, msg, at));
  }

  /** A customer socket taking part in a measurement (the alert round's customer, a chat session's). */
  openCustomer(spec: SocketSpec): Promise<WebSocket> {
    return this.open(spec, (msg, at) => this.onCustomer(msg, at));
  }

  private onAgent(index: number, msg: Incoming, at: number): void {
    switch (msg.type) {
      case "alert": {
        const w = this.alertWait;
        if (w && msg.request?.customerName === w.customerName) w.record(index, at);
        return;
      }
      case "request.updated": {
        const w = this.acceptedWait;
        if (w && msg.request?.id === w.requestId && msg.request.state === "accepted") {
          w.record(index, at, String(msg.request.agentId));
        }
        return;
      }
      case "message":
        this.onChatMessage("agent", msg, at);
        return;
      case "ack":
        this.onAck(msg, at);
        return;
    }
  }

  private onCustomer(msg: Incoming, at: number): void {
    if (msg.type === "message") this.onChatMessage("customer", msg, at);
    else if (msg.type === "ack") this.onAck(msg, at);
  }

  private onChatMessage(receiver: Side, msg: Incoming, at: number): void {
    const body = msg.message?.body;
    if (typeof body !== "string") return;
    const ref = refOfBody(body);
    const rec = ref === null ? undefined : this.chat.get(ref);
    // Both sides get every message (the sender's own copy too); the latency is the other side's.
    if (!rec || rec.from === receiver || rec.recvAt !== undefined) return;
    rec.recvAt = at;
    rec.recvSeq = Number(msg.message?.seq);
  }

  private onAck(msg: Incoming, at: number): void {
    if (typeof msg.ref !== "string") return;
    const rec = this.chat.get(msg.ref);
    if (!rec || rec.ackAt !== undefined) return;
    rec.ackAt = at;
    rec.ackSeq = Number(msg.seq);
  }

  /** Sends a chat message from one side and notes when. */
  sendChat(ws: WebSocket, from: Side, ref: string, payload: Record<string, unknown>): void {
    const text = JSON.stringify({ type: "send", ...payload, body: chatBody(ref), ref });
    this.chat.set(ref, { from, sentAt: now() });
    ws.send(text);
  }

  closeAll(): void {
    for (const ws of this.agentSockets) ws?.terminate();
  }
}
