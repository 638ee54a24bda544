import { batch, effect } from "@preact/signals";
import type { Me } from "../../shared/api.js";
import { LIMITS } from "../../shared/model.js";
import type {
  AgentClientMessage,
  AgentServerMessage,
  OfferView,
  RequestView,
  TeamAlert,
} from "../../shared/protocol.js";
import { ApiFailure, api, whenSignedOut } from "./api.js";
import { customerLabel } from "./customer.js";
import { rateEnded, setEnded } from "./ended.js";
import { errorText } from "./errors.js";
import { t } from "./i18n.js";
import { beep, closeDesktop, notifyDesktop, notifyTeam } from "./notify.js";
import { customerReceipt, customerSpoke, customerTyped, setPresenceSender, tellReceipt } from "./presence.js";
import { settings } from "./settings.js";
import { onRtc, onShare, setShareConfig, setShareSender, setUpgradeEnabled, shareEnded } from "./share.js";
import { ReconnectingSocket } from "./socket.js";
import {
  ALERT_VISIBLE_MS,
  acknowledge,
  activeTab,
  addAlert,
  addMessage,
  addPending,
  addTeamAlert,
  addTeamNotice,
  alerts,
  applyRequest,
  applySnapshot,
  availabilityBusy,
  available,
  chatOf,
  chats,
  clockOffset,
  closeAlert,
  closeTeamAlert,
  codes,
  connection,
  dropTeamAlert,
  dropWaiting,
  emailEnabled,
  findPending,
  incoming,
  isOwnMessage,
  joiningByMe,
  lastSeq,
  now,
  offer,
  offerNote,
  openSessions,
  phase,
  portals,
  resetAll,
  ringing,
  sessionEnded,
  sessionLeft,
  sessionStarted,
  sessionUpdated,
  setQueueStat,
  showNotice,
  snapshotCount,
  stats,
  stopRinging,
  TEAM_ALERT_CLOSED_MS,
  tabs,
  takingNext,
  teamAlerts,
  updatePending,
  user,
} from "./state.js";
import { isSupervisor, refreshSupervisorSoon, resetSupervisor } from "./supervisor.js";

export { errorText };

/**
 * The console's wiring: one reconnecting socket, the REST commands, and the timers. Components
 * call the exported actions; the socket's messages update the signals in state.ts.
 */

let socket: ReconnectingSocket<AgentServerMessage, AgentClientMessage> | null = null;
/** Counts socket connections, so a message sent on an earlier one can be recognised. */
let connectionNumber = 0;
let ticker: ReturnType<typeof setInterval> | null = null;
let lastBeepAt = 0;
let refCounter = 0;
/** Requests this console is accepting right now: their session tab gets the focus. */
const accepting = new Set<string>();

const REPEAT_SOUND_MS = 4000;
const OFFER_NOTE_MS = 8000;

function me(): string {
  return user.value?.id ?? "";
}

function wsUrl(): string {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws`;
}

// ── sign-in ───────────────────────────────────────────────────────────────────
export async function boot(): Promise<void> {
  whenSignedOut(() => signedOut());
  try {
    enter(await api.me());
  } catch {
    phase.value = "signed-out";
  }
}

export async function signIn(email: string, password: string): Promise<void> {
  enter(await api.login(email, password));
}

export async function signOut(): Promise<void> {
  try {
    await api.logout();
  } finally {
    signedOut();
  }
}

function signedOut(): void {
  stopLive();
  resetAll();
  resetSupervisor();
  phase.value = "signed-out";
}

function enter(who: Me): void {
  user.value = who.user;
  emailEnabled.value = who.emailEnabled === true;
  if (who.user.role === "operator" || !who.user.accountId) {
    phase.value = "operator";
    return;
  }
  phase.value = "console";
  startLive();
  void loadPortals();
}

async function loadPortals(): Promise<void> {
  const accountId = user.value?.accountId;
  if (!accountId) return;
  try {
    portals.value = await api.portals(accountId);
  } catch {
    // names still come with every request; only the code form needs the list
  }
}

// ── the live connection ───────────────────────────────────────────────────────
function startLive(): void {
  if (socket) return;
  socket = new ReconnectingSocket<AgentServerMessage, AgentClientMessage>(wsUrl, {
    onOpen: () => {
      connectionNumber += 1;
    },
    onMessage: handle,
    onStatus: (status) => {
      connection.value = status;
    },
    onRefused: () => signedOut(),
  });
  socket.start();
  ticker ??= setInterval(tick, 1000);
}

function stopLive(): void {
  socket?.stop();
  socket = null;
  if (ticker) clearInterval(ticker);
  ticker = null;
}

function handle(msg: AgentServerMessage): void {
  switch (msg.type) {
    case "snapshot": {
      const first = snapshotCount.value === 0;
      const heldBefore = offer.value?.id ?? null;
      const fresh = applySnapshot(msg.snapshot);
      const { requests } = fresh;
      // An offer made while this console was disconnected rings like a live one.
      const held = msg.snapshot.offer;
      if (held && held.id !== heldBefore) {
        offer.value = null;
        offerArrived(held);
      }
      setShareConfig(msg.snapshot.upgradeEnabled, msg.snapshot.iceServers);
      setEnded(msg.snapshot.ended);
      for (const r of requests) alertFor(r);
      // Team alerts of the first snapshot are new to this console too: they ring.
      for (const a of fresh.team) teamAlertArrived(a, false);
      catchUpChats();
      if (!first) void loadPortals();
      // The supervisor view catches up on every (re)connect, as the lists do.
      if (isSupervisor()) refreshSupervisorSoon(0);
      return;
    }
    case "alert":
      alertFor(msg.request);
      return;
    case "request.updated":
      applyRequest(msg.request, me());
      if (msg.request.state !== "waiting") closeDesktop(msg.request.id);
      return;
    case "session.started": {
      // Sent for every session this agent starts, also those accepted over REST: the one place
      // that asks for the chat's history.
      const id = msg.session.id;
      const viaTeam = joiningByMe.has(id) || msg.session.role !== "owner" || isKnownTeamSession(id);
      const focus = accepting.has(id) || joiningByMe.has(id);
      sessionStarted(msg.session, focus, viaTeam);
      if (msg.session.request.kind === "code" && !viaTeam && settings.value.sound) beep();
      send({ type: "history", sessionId: msg.session.id, since: lastSeq(msg.session.id) });
      refreshStatsSoon();
      return;
    }
    case "session.ended":
      sessionEnded(msg.sessionId, msg.endedAt, msg.endedBy);
      shareEnded(msg.sessionId);
      refreshStatsSoon();
      return;
    case "share":
      onShare(msg.sessionId, msg.state, msg.reason);
      return;
    case "rtc":
      void onRtc(msg.sessionId, msg.signal);
      return;
    case "message": {
      const unseen = msg.sessionId !== activeTab.value || document.visibilityState !== "visible";
      addMessage(msg.sessionId, msg.message, unseen && !isOwnMessage(msg.message));
      if (msg.message.sender === "customer") customerSpoke(msg.sessionId);
      tellReceipt(msg.sessionId, lastSeq(msg.sessionId), !unseen);
      return;
    }
    case "typing":
      customerTyped(msg.sessionId);
      return;
    case "receipt":
      customerReceipt(msg.sessionId, msg.receipt);
      return;
    case "codes":
      codes.value = msg.codes;
      return;
    case "offer":
      offerArrived(msg.offer);
      return;
    case "offer.closed":
      if (offer.value?.id !== msg.offerId) return;
      offer.value = null;
      closeDesktop(msg.requestId);
      if (msg.reason === "timed-out") offerNote.value = { text: t("offerTimedOut"), at: Date.now() };
      else if (msg.reason === "withdrawn") offerNote.value = { text: t("offerWithdrawn"), at: Date.now() };
      return;
    case "queue.stat":
      setQueueStat(msg.stat);
      return;
    case "availability":
      available.value = msg.available;
      return;
    case "ack":
      acknowledge(msg.ref, msg.seq);
      return;
    case "team.alert":
      teamAlertArrived(msg.alert, true);
      return;
    case "team.alert.closed":
      // Taken by this agent (the Accept's answer may come after this): it simply goes.
      if (msg.byName && msg.byName !== user.value?.displayName)
        closeTeamAlert(msg.alertId, msg.reason, msg.byName);
      else dropTeamAlert(msg.alertId);
      closeDesktop(`team-${msg.alertId}`);
      return;
    case "session.updated":
      sessionUpdated(msg.session);
      return;
    case "session.left":
      sessionLeft(msg.sessionId, msg.reason, msg.toName ?? null);
      shareEnded(msg.sessionId);
      refreshStatsSoon();
      return;
    case "team.notice":
      teamNotice(msg.sessionId, msg.kind, msg.name);
      return;
    case "supervisor.changed":
      if (isSupervisor()) refreshSupervisorSoon();
      return;
    case "account.settings":
      // An admin switched screen sharing on or off: "Request screen sharing" follows at once.
      setUpgradeEnabled(msg.upgradeEnabled);
      return;
    case "session.rated":
      // Not listed yet (the summary comes with the next stats fetch): fetch it now.
      if (!rateEnded(msg.sessionId, msg.rating, msg.comment)) refreshStatsSoon();
      return;
    case "error": {
      // A receipt, typing mark or share signal that crossed this agent's leaving the session on the
      // way (a transfer, a removal): the server no longer finds it for them. session.left or
      // session.ended says what happened; a "not found" banner would only confuse.
      if (!msg.ref && msg.code === "not_found") return;
      // Worded here, in the console's language, from the code and its parameters.
      const text = errorText(new ApiFailure(400, msg.code, msg.message, {}, null, msg.params ?? {}));
      const found = msg.ref ? findPending(msg.ref) : null;
      if (found) updatePending(found.sessionId, found.pending.ref, { status: "failed", error: text });
      else showNotice(text);
      return;
    }
  }
}

function offerArrived(o: OfferView): void {
  const fresh = offer.value?.id !== o.id;
  batch(() => {
    offer.value = o;
    offerNote.value = null;
  });
  if (!fresh) return;
  notifyDesktop(o.request);
  if (settings.value.sound) {
    beep();
    lastBeepAt = Date.now();
  }
}

function alertFor(r: RequestView): void {
  if (!addAlert(r, me())) return;
  notifyDesktop(r);
  if (settings.value.sound) {
    beep();
    lastBeepAt = Date.now();
  }
}

/** Sessions this console holds a team alert for: when they start here, they came through the team. */
function isKnownTeamSession(sessionId: string): boolean {
  return teamAlerts.value.some((a) => a.alert.sessionId === sessionId);
}

function teamAlertArrived(a: TeamAlert, live: boolean): void {
  if (!addTeamAlert(a) && live) return;
  notifyTeam(a);
  if (settings.value.sound) {
    beep();
    lastBeepAt = Date.now();
  }
}

function teamNotice(sessionId: string, kind: Parameters<typeof addTeamNotice>[1], name: string): void {
  addTeamNotice(sessionId, kind, name);
  // The tab shows it; when another tab is in front, the banner says it too.
  if (activeTab.value !== sessionId) {
    const tab = tabs.value.find((x) => x.session.id === sessionId);
    const customer = tab ? ` (${customerLabel(tab.session.request)})` : "";
    showNotice(`${t(`notice_${kind}`, { name })}${customer}`);
  }
}

function send(msg: AgentClientMessage): boolean {
  return socket?.send(msg) ?? false;
}
setShareSender(send);
setPresenceSender(send);

/** After a (re)connect: fetch what each open session missed, and deliver what was not sent. */
function catchUpChats(): void {
  for (const s of openSessions.value) {
    send({ type: "history", sessionId: s.id, since: lastSeq(s.id) });
  }
  for (const [sessionId, chat] of Object.entries(chats.value)) {
    for (const p of chat.pending) {
      if (p.status !== "sending") continue;
      if (p.sentOn === null) transmit(sessionId, p.ref, p.body, p.kind);
      else if (p.sentOn !== connectionNumber)
        void settleUnacknowledged(sessionId, p.ref, p.body, p.baseSeq, p.kind);
    }
  }
}

/**
 * A message went out on a connection that dropped before its ack: it may or may not be stored.
 * Look for it among the stored messages; send it again only when it is not there.
 */
async function settleUnacknowledged(
  sessionId: string,
  ref: string,
  body: string,
  since: number,
  kind: "message" | "note",
) {
  try {
    const stored = await api.messages(sessionId, since);
    const sender = kind === "note" ? "note" : "agent";
    const match = stored.find((m) => m.sender === sender && isOwnMessage(m) && m.body === body);
    if (match) {
      addMessage(sessionId, match, false);
      updatePending(sessionId, ref, null);
    } else {
      transmit(sessionId, ref, body, kind);
    }
  } catch (err) {
    updatePending(sessionId, ref, { status: "failed", error: errorText(err) });
  }
}

function transmit(sessionId: string, ref: string, body: string, kind: "message" | "note"): void {
  const ok = send(
    kind === "note" ? { type: "note", sessionId, body, ref } : { type: "send", sessionId, body, ref },
  );
  updatePending(sessionId, ref, { status: "sending", error: null, sentOn: ok ? connectionNumber : null });
}

let statsTimer: ReturnType<typeof setTimeout> | null = null;

/** Today's numbers come from the server; fetch them again shortly after a session starts or ends. */
function refreshStatsSoon(): void {
  if (statsTimer) return;
  statsTimer = setTimeout(async () => {
    statsTimer = null;
    try {
      const snap = await api.snapshot();
      stats.value = snap.stats;
      setEnded(snap.ended);
    } catch {
      // the next snapshot brings them
    }
  }, 300);
}

function tick(): void {
  const wall = Date.now();
  now.value = wall + clockOffset.value;
  if (offerNote.value && wall - offerNote.value.at >= OFFER_NOTE_MS) offerNote.value = null;
  if (alerts.value.some((a) => wall - a.shownAt >= ALERT_VISIBLE_MS)) {
    alerts.value = alerts.value.filter((a) => wall - a.shownAt < ALERT_VISIBLE_MS);
  }
  // A team alert goes at its deadline (the server's clock), or a while after someone else took it.
  for (const a of teamAlerts.value) {
    const over = a.closed ? wall - a.closed.at >= TEAM_ALERT_CLOSED_MS : now.value >= a.alert.expiresAt;
    if (over && !a.busy) {
      dropTeamAlert(a.alert.id);
      closeDesktop(`team-${a.alert.id}`);
    }
  }
  const teamRinging = teamAlerts.value.some((a) => a.closed === null);
  const s = settings.value;
  if (
    s.sound &&
    s.repeatSound &&
    available.value &&
    (ringing.value.size > 0 || offer.value !== null || teamRinging) &&
    wall - lastBeepAt >= REPEAT_SOUND_MS
  ) {
    lastBeepAt = wall;
    beep();
  }
}

// ── actions ───────────────────────────────────────────────────────────────────
export async function setAvailable(next: boolean): Promise<void> {
  const before = available.value;
  // The switch moves at once; it moves back if the server refuses.
  batch(() => {
    availabilityBusy.value = true;
    available.value = next;
  });
  try {
    available.value = (await api.setAvailable(next)).available;
  } catch (err) {
    available.value = before;
    showNotice(errorText(err));
  } finally {
    availabilityBusy.value = false;
  }
}

/**
 * After an Accept, focus goes to the new session's message box (it used to fall to the page's
 * body when the pop-up or the list row holding the button went away): the box appears with the
 * tab's next render, so it is looked for over a few frames.
 */
function focusComposer(sessionId: string): void {
  let frames = 0;
  const look = () => {
    const box = document.getElementById(`compose-${sessionId}`);
    if (box) box.focus();
    else if (++frames < 30) requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
}

export async function accept(requestId: string): Promise<void> {
  accepting.add(requestId);
  stopRinging(requestId);
  try {
    const session = await api.accept(requestId);
    sessionStarted(session, true);
    focusComposer(session.id);
  } catch (err) {
    showNotice(errorText(err));
    // Taken by someone else or no longer waiting: it is gone for this agent too.
    if (err instanceof ApiFailure && (err.code === "already_taken" || err.code === "not_waiting")) {
      dropWaiting(requestId);
      closeDesktop(requestId);
    }
  } finally {
    accepting.delete(requestId);
  }
}

export async function decline(requestId: string): Promise<void> {
  batch(() => {
    stopRinging(requestId);
    closeAlert(requestId);
  });
  closeDesktop(requestId);
  try {
    const r = await api.decline(requestId);
    applyRequest(r, me());
  } catch (err) {
    showNotice(errorText(err));
    if (err instanceof ApiFailure && (err.code === "already_taken" || err.code === "not_waiting")) {
      dropWaiting(requestId);
    }
  }
}

export async function acceptOffer(offerId: string): Promise<void> {
  const held = offer.value;
  if (!held || held.id !== offerId) return;
  accepting.add(held.request.id);
  offer.value = null;
  closeDesktop(held.request.id);
  try {
    const session = await api.acceptOffer(offerId);
    sessionStarted(session, true);
    focusComposer(session.id);
  } catch (err) {
    showNotice(errorText(err));
  } finally {
    accepting.delete(held.request.id);
  }
}

export async function declineOffer(offerId: string): Promise<void> {
  const held = offer.value;
  if (held?.id === offerId) {
    offer.value = null;
    closeDesktop(held.request.id);
  }
  try {
    await api.declineOffer(offerId);
  } catch (err) {
    // Already closed (timed out, passed on): nothing left to decline.
    if (!(err instanceof ApiFailure && (err.status === 404 || err.status === 409)))
      showNotice(errorText(err));
  }
}

export async function takeNext(): Promise<void> {
  if (takingNext.value) return;
  takingNext.value = true;
  try {
    const session = await api.takeNext();
    if (offer.value?.request.id === session.id) offer.value = null;
    sessionStarted(session, true);
  } catch (err) {
    showNotice(errorText(err));
  } finally {
    takingNext.value = false;
  }
}

/**
 * Sends a chat message to the customer, or a private note to the session's agents (acked the same
 * way). Returns an error text to show next to the send box, or null when it is on its way.
 */
export function sendChat(
  sessionId: string,
  text: string,
  kind: "message" | "note" = "message",
): string | null {
  if (text.trim() === "") return null;
  if (text.length > LIMITS.chatMessage) return t("tooLong", { max: LIMITS.chatMessage });
  refCounter += 1;
  const ref = `c${Date.now().toString(36)}-${refCounter}`;
  addPending(sessionId, {
    ref,
    kind,
    body: text,
    status: "sending",
    seq: null,
    error: null,
    sentOn: null,
    baseSeq: lastSeq(sessionId),
    at: now.value,
  });
  transmit(sessionId, ref, text, kind);
  return null;
}

export function retryChat(sessionId: string, ref: string): void {
  const p = chatOf(sessionId).pending.find((x) => x.ref === ref);
  if (p) transmit(sessionId, ref, p.body, p.kind);
}

export async function endSession(sessionId: string): Promise<void> {
  try {
    await api.endSession(sessionId);
    sessionEnded(sessionId, now.value, "agent");
  } catch (err) {
    showNotice(errorText(err));
  }
}

// ── things that follow the state ─────────────────────────────────────────────
effect(() => {
  const n = incoming.value.length + teamAlerts.value.filter((a) => a.closed === null).length;
  document.title = n > 0 ? `(${n}) ${t("appTitle")}` : t("appTitle");
});
