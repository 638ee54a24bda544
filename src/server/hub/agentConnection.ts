import type { WebSocket } from "ws";
import type {
  AgentClientMessage,
  AgentServerMessage,
  SessionRole,
  SessionView,
} from "../../shared/protocol.js";
import { type BusEvent, channels } from "../bus/bus.js";
import { sendMessage, sendNote } from "../commands/chat.js";
import type { Actor, Deps } from "../commands/context.js";
import { point, receipt, relaySignal, shareState, typing, watchShare } from "../commands/liveSession.js";
import { agentSeesRequest, maySupervise } from "../policy.js";
import { listCodes } from "../queries/codes.js";
import { consoleSnapshot } from "../queries/console.js";
import { messagesSince } from "../queries/sessions.js";
import { roleIn } from "../queries/team.js";
import { CONSOLE_SEEN_EVERY_MS, closeSignedIn, openSignedIn, seenSignedIn } from "../store/agentTime.js";
import { findAuthSession } from "../store/authSessions.js";
import { findUserById } from "../store/users.js";
import type { Connection, Hub } from "./hub.js";
import { commandError, parseClientMessage, SharedFrames, socketSend, socketSendText } from "./wire.js";

type EventOf<T extends BusEvent["type"]> = Extract<BusEvent, { type: T }>;

// Messages that are the same for every console that gets them, serialized once per event.
const alertFrames = new SharedFrames<EventOf<"alert">>(
  (e): AgentServerMessage => ({ type: "alert", request: e.request }),
);
const updateFrames = new SharedFrames<EventOf<"request.updated">>(
  (e): AgentServerMessage => ({ type: "request.updated", request: e.request }),
);
const queueStatFrames = new SharedFrames<EventOf<"queue.stat">>(
  (e): AgentServerMessage => ({ type: "queue.stat", stat: e.stat }),
);
const supervisorFrames = new SharedFrames<EventOf<"supervisor.changed">>(
  (): AgentServerMessage => ({ type: "supervisor.changed" }),
);
const accountSettingsFrames = new SharedFrames<EventOf<"account.settings">>(
  (e): AgentServerMessage => ({ type: "account.settings", upgradeEnabled: e.upgradeEnabled }),
);
const teamAlertFrames = new SharedFrames<EventOf<"team.alert">>(
  (e): AgentServerMessage => ({ type: "team.alert", alert: e.alert }),
);
/** An alert's recipients as a set, built once per event rather than searched once per socket. */
const recipientSets = new WeakMap<EventOf<"alert">, Set<string>>();

function isRecipient(event: EventOf<"alert">, agentId: string): boolean {
  let set = recipientSets.get(event);
  if (!set) {
    set = new Set(event.recipients);
    recipientSets.set(event, set);
  }
  return set.has(agentId);
}

/**
 * How stale this socket's belief in its sign-in may get when the "signed-out" bus event was lost
 * (or came from a process that has no bus to this node, like the CLI on a single node): a message
 * is handled only after the sign-in was found in the database within this time.
 */
export const SIGN_IN_RECHECK_MS = 5_000;
/** How often an idle console (one that only listens) looks its sign-in up, for the same reason. */
const SIGN_IN_IDLE_CHECK_MS = 30_000;
/** The close code the console takes as "signed out" (src/web/console/socket.ts: the sign-in screen, no retry). */
export const SIGNED_OUT_CLOSE = 4401;

/** One console socket: its agent's account and own channel; events filtered to what the agent may see. */
export class AgentConnection implements Connection {
  readonly kind = "console";
  private portals: Set<string>;
  private readonly channels: string[];
  /** Set the moment the sign-in is known to be gone: nothing more is sent or handled. */
  private signedOut = false;
  /** When the sign-in was last found in the database (the cookie was, just before this socket opened). */
  private signInCheckedAt: number;
  private idleCheck: NodeJS.Timeout | null = null;
  /** This connection's row of time signed in (store/agentTime.ts), once written; and its keep-alive. */
  private signedInRow: Promise<string | null> = Promise.resolve(null);
  private seenTimer: NodeJS.Timeout | null = null;
  /**
   * The sessions this console is in (owner, colleague, supervisor watching) and the agent's part:
   * their agents' channels are joined while listed here, and only their events are handed on.
   */
  private readonly sessions = new Map<string, SessionRole>();
  /** Joins and leaves of session channels, one at a time in the order they were asked for. */
  private channelWork: Promise<void> = Promise.resolve();

  /** `authSession`: the stored token hash of the sign-in the socket was opened with (null: not checked). */
  constructor(
    private readonly deps: Deps,
    private readonly hub: Hub,
    private readonly socket: WebSocket,
    private actor: Actor,
    private readonly authSession: string | null = null,
  ) {
    this.portals = new Set(actor.user.portalIds);
    this.channels = [channels.account(actor.user.accountId ?? "none"), channels.user(actor.user.id)];
    this.signInCheckedAt = deps.now();
  }

  /** The sign-in is gone: close at once with the code the console shows the sign-in screen for. */
  private endSignIn(): void {
    if (this.signedOut) return;
    this.signedOut = true;
    this.socket.close(SIGNED_OUT_CLOSE, "signed out");
  }

  /**
   * Whether the sign-in still exists in the database (not signed out, expired, or ended by a
   * disable or password reset), looked up at most every SIGN_IN_RECHECK_MS unless `now` is set.
   * The "signed-out" event closes the socket at once; this is the guard for when it is lost.
   */
  private async stillSignedIn(now = false): Promise<boolean> {
    if (this.signedOut) return false;
    if (this.authSession === null) return true;
    const at = this.deps.now();
    if (!now && at - this.signInCheckedAt < SIGN_IN_RECHECK_MS) return true;
    const session = await findAuthSession(this.deps.db.kysely, this.authSession, at);
    if (!session || session.userId !== this.actor.user.id) this.endSignIn();
    else this.signInCheckedAt = Math.max(this.signInCheckedAt, at);
    return !this.signedOut;
  }

  private party() {
    return { kind: "agent" as const, actor: this.actor };
  }

  send(msg: AgentServerMessage): void {
    socketSend(this.socket, msg);
  }

  private sendFrame(frame: string): void {
    socketSendText(this.socket, frame);
  }

  async open(): Promise<void> {
    if (this.authSession !== null) {
      this.idleCheck = setInterval(() => {
        this.stillSignedIn().catch(() => {});
      }, SIGN_IN_IDLE_CHECK_MS);
      this.idleCheck.unref();
    }
    await this.deps.presence.connect(this.actor.user.id);
    this.recordSignedIn();
    try {
      for (const c of this.channels) await this.hub.join(this, c);
      await this.resync();
      await this.presenceChanged();
    } catch (err) {
      // The socket is refused and close() will not run: end the time signed in here.
      await this.endSignedIn();
      throw err;
    }
  }

  /**
   * Time signed in, for reports: a row while this socket is open, seen every minute. A failed write
   * costs the report a few minutes, never the agent their console: it is logged, not thrown.
   */
  private recordSignedIn(): void {
    const { accountId, id } = this.actor.user;
    if (!accountId) return;
    const db = this.deps.db.kysely;
    const failed = (err: unknown) => {
      this.deps.log.warn({ err, userId: id }, "could not record time signed in");
      return null;
    };
    this.signedInRow = openSignedIn(db, accountId, id, this.deps.now()).catch(failed);
    this.seenTimer = setInterval(() => {
      this.signedInRow
        .then((row) => (row === null ? undefined : seenSignedIn(db, row, this.deps.now())))
        .catch(failed);
    }, CONSOLE_SEEN_EVERY_MS);
    this.seenTimer.unref();
  }

  private async endSignedIn(): Promise<void> {
    if (this.seenTimer) clearInterval(this.seenTimer);
    this.seenTimer = null;
    const row = await this.signedInRow;
    this.signedInRow = Promise.resolve(null);
    if (row !== null) {
      await closeSignedIn(this.deps.db.kysely, row, this.deps.now()).catch((err: unknown) =>
        this.deps.log.warn({ err }, "could not record the end of time signed in"),
      );
    }
  }

  async close(): Promise<void> {
    if (this.idleCheck) clearInterval(this.idleCheck);
    await this.endSignedIn();
    for (const c of this.channels) await this.hub.leave(this, c);
    const ids = [...this.sessions.keys()];
    this.sessions.clear();
    for (const id of ids) await this.hub.leave(this, channels.session(id));
    await this.deps.presence.disconnect(this.actor.user.id);
    await this.presenceChanged();
  }

  /** Signing in or leaving is a capacity change; the reactions decide what follows (queue offers pass on). */
  private async presenceChanged(): Promise<void> {
    const { accountId, id, portalIds } = this.actor.user;
    if (accountId) {
      await this.deps.events.emit({ type: "agent.capacityChanged", accountId, agentId: id, portalIds });
    }
  }

  /** Re-reads the agent (portals, limit may have changed) and sends the lists fresh from the database. */
  async resync(): Promise<void> {
    // A resync follows missed events, and the missed one may have been this sign-in's end.
    if (!(await this.stillSignedIn(true))) return;
    const user = await findUserById(this.deps.db.kysely, this.actor.user.id);
    if (!user || user.disabled) {
      this.endSignIn();
      return;
    }
    this.actor = { user };
    this.portals = new Set(user.portalIds);
    const snapshot = await consoleSnapshot(this.deps, this.actor);
    // The session channels first, so nothing said in them after this read is missed.
    await this.syncSessions(snapshot.sessions);
    this.send({ type: "snapshot", snapshot });
  }

  /** Listens to exactly these sessions' agents' channels. */
  private syncSessions(list: SessionView[]): Promise<void> {
    return this.inTurn(async () => {
      const want = new Map(list.map((s) => [s.id, s.role]));
      for (const id of [...this.sessions.keys()]) {
        if (!want.has(id)) {
          this.sessions.delete(id);
          await this.hub.leave(this, channels.session(id));
        }
      }
      for (const [id, role] of want) {
        const had = this.sessions.has(id);
        this.sessions.set(id, role);
        if (!had) await this.hub.join(this, channels.session(id));
      }
    });
  }

  private inTurn(work: () => Promise<void>): Promise<void> {
    const next = this.channelWork.then(work, work);
    this.channelWork = next.catch(() => {});
    return next;
  }

  /** Joins a session's channel, then tells the console (so nothing said after is missed). */
  private enterSession(view: SessionView, role: SessionRole): void {
    this.inTurn(async () => {
      const had = this.sessions.has(view.id);
      this.sessions.set(view.id, role);
      if (!had) await this.hub.join(this, channels.session(view.id));
      if (!this.signedOut) this.send({ type: "session.started", session: { ...view, role } });
    }).catch(() => {});
  }

  private leaveSession(sessionId: string, then?: () => void): void {
    this.inTurn(async () => {
      if (this.sessions.delete(sessionId)) await this.hub.leave(this, channels.session(sessionId));
      if (!this.signedOut) then?.();
    }).catch(() => {});
  }

  onEvent(channel: string, event: BusEvent): void {
    if (this.signedOut) return;
    const me = this.actor.user.id;
    switch (event.type) {
      case "signed-out":
        if (
          event.userId === me &&
          (event.authSession === undefined || event.authSession === this.authSession)
        ) {
          this.endSignIn();
        }
        return;
      case "alert":
        if (isRecipient(event, me)) {
          this.sendFrame(alertFrames.of(event));
          this.deps.metrics?.alertSent(event);
        }
        return;
      case "request.updated": {
        if (agentSeesRequest({ id: me, portals: this.portals }, event.request)) {
          this.sendFrame(updateFrames.of(event));
        }
        return;
      }
      case "session.started": {
        if (channel !== channels.user(me)) return;
        const role = roleIn(event.session, me);
        if (role) this.enterSession(event.session, role);
        return;
      }
      case "session.ended":
        // The owner hears it on their channel, everyone else in the session on the session's.
        if (
          (channel === channels.user(me) && event.agentId === me) ||
          (channel === channels.session(event.sessionId) &&
            event.agentId !== me &&
            this.sessions.has(event.sessionId))
        ) {
          this.send({
            type: "session.ended",
            sessionId: event.sessionId,
            endedAt: event.endedAt,
            endedBy: event.endedBy,
          });
          this.leaveSession(event.sessionId);
        }
        return;
      case "message":
        if (channel === channels.session(event.sessionId) && this.sessions.has(event.sessionId))
          this.send({ type: "message", sessionId: event.sessionId, message: event.message });
        return;
      case "session.updated": {
        const id = event.session.id;
        if (channel !== channels.session(id) || !this.sessions.has(id)) return;
        const role = roleIn(event.session, me);
        // No part in it any more: session.left (on the user's channel) says why.
        if (!role) return;
        this.sessions.set(id, role);
        this.send({ type: "session.updated", session: { ...event.session, role } });
        return;
      }
      case "session.left":
        if (event.userId !== me) return;
        this.leaveSession(event.sessionId, () =>
          this.send({
            type: "session.left",
            sessionId: event.sessionId,
            reason: event.reason,
            ...(event.toName ? { toName: event.toName } : {}),
          }),
        );
        return;
      case "team.alert":
        if (event.recipients.includes(me)) this.sendFrame(teamAlertFrames.of(event));
        return;
      case "team.alert.closed":
        if (event.recipients.includes(me)) {
          this.send({
            type: "team.alert.closed",
            alertId: event.alertId,
            reason: event.reason,
            ...(event.byName ? { byName: event.byName } : {}),
          });
        }
        return;
      case "team.notice":
        if (event.userId === me) {
          this.send({ type: "team.notice", sessionId: event.sessionId, kind: event.kind, name: event.name });
        }
        return;
      case "supervisor.changed":
        if (maySupervise(this.actor.user)) this.sendFrame(supervisorFrames.of(event));
        return;
      case "account.settings":
        if (channel === channels.account(event.accountId) && event.accountId === this.actor.user.accountId)
          this.sendFrame(accountSettingsFrames.of(event));
        return;
      case "session.rated":
        if (event.userId === me) {
          this.send({
            type: "session.rated",
            sessionId: event.sessionId,
            rating: event.rating,
            comment: event.comment,
          });
        }
        return;
      case "share.viewer":
        return;
      case "codes.changed":
        if (event.agentId === me) {
          listCodes(this.deps, this.actor)
            .then((codes) => this.send({ type: "codes", codes }))
            .catch(() => {});
        }
        return;
      case "availability":
        if (event.agentId === me) this.send({ type: "availability", available: event.available });
        return;
      case "offer":
        if (
          event.offer.request.portalId &&
          this.portals.has(event.offer.request.portalId) &&
          channel === channels.user(me)
        ) {
          this.send({ type: "offer", offer: event.offer });
        }
        return;
      case "offer.closed":
        if (channel === channels.user(me)) {
          this.send({
            type: "offer.closed",
            offerId: event.offerId,
            requestId: event.requestId,
            reason: event.reason,
          });
        }
        return;
      case "queue.stat":
        if (this.portals.has(event.stat.portalId)) {
          this.sendFrame(queueStatFrames.of(event));
        }
        return;
      case "queue.position":
      case "pointer":
        return;
      case "typing":
        if (this.inSession(channel, event.requestId) && event.from === "customer")
          this.send({ type: "typing", sessionId: event.requestId });
        return;
      case "receipt":
        if (this.inSession(channel, event.requestId) && event.from === "customer") {
          this.send({ type: "receipt", sessionId: event.requestId, receipt: event.receipt });
        }
        return;
      case "share":
        if (this.inSession(channel, event.requestId)) {
          this.send({
            type: "share",
            sessionId: event.requestId,
            state: event.state,
            ...(event.reason ? { reason: event.reason } : {}),
          });
        }
        return;
      case "rtc":
        // The customer's signal is for one agent of the session: the one it names.
        if (this.inSession(channel, event.requestId) && event.from === "customer" && event.peer === me) {
          this.send({ type: "rtc", sessionId: event.requestId, signal: event.signal });
        }
        return;
    }
  }

  /** An event of a session this console is in, heard on that session's agents' channel. */
  private inSession(channel: string, sessionId: string): boolean {
    return channel === channels.session(sessionId) && this.sessions.has(sessionId);
  }

  async onMessage(raw: string): Promise<void> {
    // Messages queued behind the moment the sign-in ended are dropped, not handled.
    if (this.signedOut) return;
    const parsed = parseClientMessage<AgentClientMessage>(raw, AGENT_MESSAGE_TYPES);
    if ("error" in parsed) {
      this.send(parsed.reply);
      return;
    }
    const msg = parsed.message;
    try {
      if (!(await this.stillSignedIn())) return;
      switch (msg.type) {
        case "resync":
          await this.resync();
          return;
        case "send":
        case "note": {
          // A chat message and a private note travel alike; only who may read them differs.
          if (
            typeof msg.sessionId !== "string" ||
            typeof msg.body !== "string" ||
            typeof msg.ref !== "string"
          ) {
            this.send({
              type: "error",
              code: "bad_message",
              message: `${msg.type} needs sessionId, body and ref (strings).`,
            });
            return;
          }
          const write = msg.type === "note" ? sendNote : sendMessage;
          const m = await write(this.deps, this.party(), msg.sessionId, msg.body);
          this.send({ type: "ack", ref: msg.ref, seq: m.seq });
          return;
        }
        case "share.view":
          await watchShare(this.deps, this.party(), str(msg.sessionId), msg.watch !== false);
          return;
        case "typing":
          await typing(this.deps, this.party(), str(msg.sessionId));
          return;
        case "receipt":
          await receipt(this.deps, this.party(), str(msg.sessionId), Number(msg.delivered), Number(msg.read));
          return;
        case "share.request":
          await shareState(this.deps, this.party(), str(msg.sessionId), "requested");
          return;
        case "share.stop":
          await shareState(this.deps, this.party(), str(msg.sessionId), "stopped", "agent");
          return;
        case "rtc":
          await relaySignal(this.deps, this.party(), str(msg.sessionId), msg.signal);
          return;
        case "pointer":
          await point(this.deps, this.party(), str(msg.sessionId), Number(msg.x), Number(msg.y));
          return;
        case "history": {
          if (typeof msg.sessionId !== "string" || typeof msg.since !== "number") {
            this.send({
              type: "error",
              code: "bad_message",
              message: "history needs sessionId (string) and since (number).",
            });
            return;
          }
          const list = await messagesSince(this.deps, this.party(), msg.sessionId, msg.since);
          for (const m of list) this.send({ type: "message", sessionId: msg.sessionId, message: m });
          return;
        }
      }
    } catch (err) {
      this.send(
        commandError(err, msg, (e) => this.deps.log.error({ err: e }, "agent socket command failed")),
      );
    }
  }
}

const AGENT_MESSAGE_TYPES = [
  "resync",
  "send",
  "note",
  "share.view",
  "history",
  "typing",
  "receipt",
  "share.request",
  "share.stop",
  "rtc",
  "pointer",
] as const;

/** A field that must be a string; anything else becomes "", which no session id matches (404). */
function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}
