import type { WebSocket } from "ws";
import type { CustomerClientMessage, CustomerServerMessage } from "../../shared/protocol.js";
import { type BusEvent, channels } from "../bus/bus.js";
import { customerPresenceKey } from "../bus/presence.js";
import { customerParty } from "../commands/access.js";
import { sendMessage } from "../commands/chat.js";
import type { Deps, Party } from "../commands/context.js";
import { receipt, relaySignal, shareState, typing } from "../commands/liveSession.js";
import { cancelRequest } from "../commands/requests.js";
import { queuePositionOf } from "../queries/queue.js";
import { customerStatusOf, messagesSince } from "../queries/sessions.js";
import { findRequestForCustomer, type RequestRecord, setCustomerGone } from "../store/requests.js";
import type { Connection, Hub } from "./hub.js";
import { commandError, parseClientMessage, socketSend } from "./wire.js";

const CUSTOMER_MESSAGE_TYPES = ["send", "history", "cancel", "typing", "receipt", "share", "rtc"] as const;

/** One customer page's socket: only its own request's channel. */
export class CustomerConnection implements Connection {
  readonly kind = "customer";
  private readonly channel: string;
  /** The highest chat sequence number this page has (what a resync continues from). */
  private lastSeq = 0;

  constructor(
    private readonly deps: Deps,
    private readonly hub: Hub,
    private readonly socket: WebSocket,
    private request: RequestRecord,
    private readonly token: string,
  ) {
    this.channel = channels.request(request.id);
  }

  send(msg: CustomerServerMessage): void {
    if (msg.type === "message" && msg.message.seq > this.lastSeq) this.lastSeq = msg.message.seq;
    socketSend(this.socket, msg);
  }

  /** After missed bus events (Redis was away): fresh status, and the messages after the last one sent. */
  async resync(): Promise<void> {
    const fresh = await findRequestForCustomer(this.deps.db.kysely, this.request.id);
    if (!fresh) return;
    this.request = fresh;
    this.send({ type: "status", status: await customerStatusOf(this.deps, fresh) });
    if (fresh.state === "accepted" || fresh.state === "ended") await this.sendHistory(this.lastSeq);
  }

  private party(): Party {
    return customerParty(this.request);
  }

  async open(since: number): Promise<void> {
    this.lastSeq = since;
    await this.deps.presence.connect(customerPresenceKey(this.request.id));
    await this.hub.join(this, this.channel);
    await setCustomerGone(this.deps.db.kysely, this.request.id, null);
    this.send({ type: "status", status: await customerStatusOf(this.deps, this.request) });
    if (this.request.state === "accepted" || this.request.state === "ended") await this.sendHistory(since);
    if (this.request.state === "waiting" && this.request.kind === "queue") {
      const place = await queuePositionOf(
        this.deps,
        this.request.accountId,
        this.request.portalId,
        this.request.id,
      );
      if (place) this.send({ type: "queue", ...place });
    }
  }

  async close(): Promise<void> {
    await this.hub.leave(this, this.channel);
    const key = customerPresenceKey(this.request.id);
    await this.deps.presence.disconnect(key);
    // Closing the page counts as cancel only after a grace period, so a reload does not cancel.
    // Presence, not this node's sockets: the customer may still have the page open on another node.
    if (this.request.state === "waiting" && !(await this.deps.presence.onlineAmong([key])).has(key)) {
      await setCustomerGone(this.deps.db.kysely, this.request.id, this.deps.now());
    }
  }

  private async sendHistory(since: number): Promise<void> {
    const list = await messagesSince(this.deps, this.party(), this.request.id, since);
    for (const m of list) this.send({ type: "message", message: m });
  }

  onEvent(_channel: string, event: BusEvent): void {
    switch (event.type) {
      case "request.updated":
        if (event.request.id !== this.request.id) return;
        this.request = { ...this.request, ...event.request };
        customerStatusOf(this.deps, event.request)
          .then((status) => this.send({ type: "status", status }))
          .catch(() => {});
        return;
      case "message":
        // Agents-only lines are never published here; this is the second wall, should one be.
        if (event.requestId === this.request.id && event.message.visibility !== "agents")
          this.send({ type: "message", message: event.message });
        return;
      case "share.viewer":
        if (event.requestId === this.request.id) {
          this.send({ type: "share.viewer", peer: event.peer, watch: event.watch });
        }
        return;
      case "typing":
        if (event.requestId === this.request.id && event.from === "agent")
          this.send({ type: "typing", ...(event.name ? { name: event.name } : {}) });
        return;
      case "receipt":
        if (event.requestId === this.request.id && event.from === "agent")
          this.send({ type: "receipt", receipt: event.receipt });
        return;
      case "share":
        if (event.requestId === this.request.id) {
          this.send({ type: "share", state: event.state, ...(event.reason ? { reason: event.reason } : {}) });
        }
        return;
      case "rtc":
        if (event.requestId === this.request.id && event.from === "agent")
          this.send({ type: "rtc", signal: event.signal, ...(event.peer ? { peer: event.peer } : {}) });
        return;
      case "pointer":
        if (event.requestId === this.request.id) this.send({ type: "pointer", x: event.x, y: event.y });
        return;
      case "queue.position":
        if (event.requestId === this.request.id && this.request.state === "waiting") {
          this.send({ type: "queue", position: event.position, waitMinutes: event.waitMinutes });
        }
        return;
      case "session.ended":
        if (event.requestId === this.request.id) {
          this.send({ type: "session.ended", endedAt: event.endedAt, endedBy: event.endedBy });
        }
        return;
      default:
        return;
    }
  }

  async onMessage(raw: string): Promise<void> {
    const parsed = parseClientMessage<CustomerClientMessage>(raw, CUSTOMER_MESSAGE_TYPES);
    if ("error" in parsed) {
      this.send(parsed.reply);
      return;
    }
    const msg = parsed.message;
    try {
      switch (msg.type) {
        case "send": {
          if (typeof msg.body !== "string" || typeof msg.ref !== "string") {
            this.send({ type: "error", code: "bad_message", message: "send needs body and ref (strings)." });
            return;
          }
          const m = await sendMessage(this.deps, this.party(), this.request.id, msg.body);
          this.send({ type: "ack", ref: msg.ref, seq: m.seq });
          return;
        }
        case "history":
          if (typeof msg.since !== "number") {
            this.send({ type: "error", code: "bad_message", message: "history needs since (a number)." });
            return;
          }
          await this.sendHistory(msg.since);
          return;
        case "cancel":
          await cancelRequest(this.deps, this.request.id, this.token);
          return;
        case "typing":
          await typing(this.deps, this.party(), this.request.id);
          return;
        case "receipt":
          await receipt(this.deps, this.party(), this.request.id, Number(msg.delivered), Number(msg.read));
          return;
        case "share": {
          const allowed = ["declined", "sharing", "stopped", "failed"] as const;
          const state = allowed.find((s) => s === msg.state);
          if (!state) {
            this.send({
              type: "error",
              code: "bad_message",
              message: "share.state is one of declined, sharing, stopped, failed.",
            });
            return;
          }
          await shareState(
            this.deps,
            this.party(),
            this.request.id,
            state,
            typeof msg.reason === "string" ? msg.reason : undefined,
          );
          return;
        }
        case "rtc":
          await relaySignal(this.deps, this.party(), this.request.id, msg.signal, msg.peer);
          return;
      }
    } catch (err) {
      this.send(
        commandError(err, msg, (e) => this.deps.log.error({ err: e }, "customer socket command failed")),
      );
    }
  }
}
