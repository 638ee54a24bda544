import { fill, type PortalTexts } from "../../shared/i18n/portal.js";
import type {
  CustomerClientMessage,
  CustomerServerMessage,
  IceServer,
  RtcSignal,
} from "../../shared/protocol.js";
import { el } from "./dom.js";

const POINTER_VISIBLE_MS = 4000;

/** The session's owner: signals to and from it carry no `peer`. */
const OWNER = "";

/** One WebRTC connection carrying the shared screen to one agent, with the candidates that came early. */
interface Link {
  pc: RTCPeerConnection;
  pendingCandidates: RtcSignal[];
}

/**
 * Screen sharing on the customer's side: the consent panel when the agent asks, getDisplayMedia
 * in this window, the WebRTC offers (the customer is the offerer), the "being shared" banner with
 * Stop, and the agent's pointer over the page. The chat is untouched by all of it.
 *
 * The screen goes to the session's owner, and to every other agent of the session (a colleague,
 * a supervisor) who asks to see it while it is shared (`share.viewer`): one connection each, all
 * with the same captured tracks. Signals for a viewer carry its `peer`; the owner's carry none.
 */
export class CustomerShare {
  /** By peer: OWNER for the session's owner, the agent's id for a viewer. */
  private readonly links = new Map<string, Link>();
  private stream: MediaStream | null = null;
  private iceServers: IceServer[] = [];
  private readonly box: HTMLElement;
  private pointer: HTMLElement | null = null;
  private pointerTimer: number | undefined;

  constructor(
    private readonly t: PortalTexts,
    private readonly send: (msg: CustomerClientMessage) => boolean,
  ) {
    this.box = el("div", { class: "share-area", "data-share": "" });
    this.box.hidden = true;
  }

  /** Puts the share area at the top of the chat (called after every re-render of the view). */
  attach(root: ParentNode): void {
    const chat = root.querySelector(".chat");
    if (chat && this.box.parentNode !== chat) chat.prepend(this.box);
  }

  setIceServers(servers: IceServer[]): void {
    this.iceServers = servers;
  }

  get active(): boolean {
    return this.stream !== null;
  }

  onMessage(msg: CustomerServerMessage): void {
    if (msg.type === "share") {
      if (msg.state === "requested") this.ask();
      else if (msg.state === "stopped" && msg.reason === "agent") {
        this.teardown();
        this.note(this.t.shareStoppedByAgent);
      } else if (msg.state === "stopped" && msg.reason === "transfer") {
        // The session changed hands: nobody asked the new agent's consent yet, so all of it stops.
        const asking = this.box.querySelector(".share-ask") !== null;
        if (this.stream || asking) this.note(this.t.shareStoppedByTransfer);
        this.teardown();
      }
      return;
    }
    if (msg.type === "share.viewer") {
      if (msg.watch) void this.addViewer(msg.peer);
      else this.closeLink(msg.peer);
      return;
    }
    if (msg.type === "rtc") {
      void this.onSignal(msg.peer ?? OWNER, msg.signal);
      return;
    }
    if (msg.type === "pointer") this.showPointer(msg.x, msg.y);
  }

  /** The consent panel: what is asked, Share my screen, Not now. */
  ask(): void {
    if (this.stream) return;
    const yes = el("button", { type: "button", class: "primary" }, this.t.shareYes);
    const no = el("button", { type: "button", class: "secondary" }, this.t.shareNo);
    yes.addEventListener("click", () => void this.start());
    no.addEventListener("click", () => {
      this.send({ type: "share", state: "declined" });
      this.note(this.t.shareDeclined);
    });
    const panel = el(
      "div",
      { class: "notice share-ask", role: "region", "aria-labelledby": "share-ask-title" },
      el("h2", { id: "share-ask-title" }, this.t.shareAsk),
      el("p", {}, this.t.shareAskText),
      el("p", { class: "share-actions" }, yes, " ", no),
    );
    this.show(panel);
    yes.focus();
  }

  private async start(): Promise<void> {
    this.note(this.t.shareStarting);
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true });
    } catch (err) {
      const reason =
        err instanceof Error && err.name === "NotAllowedError" ? this.t.shareRefused : String(err);
      this.send({ type: "share", state: "failed", reason });
      this.note(fill(this.t.shareFailed, { reason }));
      return;
    }
    this.stream = stream;
    this.banner();
    for (const track of stream.getTracks()) {
      track.addEventListener("ended", () => this.stop());
    }
    this.send({ type: "share", state: "sharing" });
    try {
      await this.connect(OWNER, stream);
    } catch (err) {
      this.fail(String(err));
    }
  }

  /** Another agent of the session asks for the screen: one more connection, unless theirs is live. */
  private async addViewer(peer: string): Promise<void> {
    const stream = this.stream;
    if (!stream || peer === OWNER) return;
    const existing = this.links.get(peer);
    if (existing && !isOver(existing.pc)) return;
    try {
      await this.connect(peer, stream);
    } catch {
      // One viewer's connection failing leaves the others (and the owner's) as they are.
      this.closeLink(peer);
    }
  }

  /** Opens a connection to `peer` carrying the stream's tracks and sends it the offer. */
  private async connect(peer: string, stream: MediaStream): Promise<void> {
    this.closeLink(peer);
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    this.links.set(peer, { pc, pendingCandidates: [] });
    pc.addEventListener("icecandidate", (e) => {
      if (!e.candidate || this.links.get(peer)?.pc !== pc) return;
      this.signal(peer, {
        kind: "candidate",
        candidate: e.candidate.candidate,
        sdpMid: e.candidate.sdpMid,
        sdpMLineIndex: e.candidate.sdpMLineIndex,
      });
    });
    pc.addEventListener("connectionstatechange", () => {
      if (this.links.get(peer)?.pc !== pc) return;
      if (pc.connectionState !== "failed" && pc.connectionState !== "disconnected") return;
      // Losing the owner's connection ends sharing; losing a viewer's only ends theirs (they can ask again).
      if (peer === OWNER) this.fail(this.t.shareLost);
      else this.closeLink(peer);
    });
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    const offer = await pc.createOffer();
    if (this.links.get(peer)?.pc !== pc) return;
    await pc.setLocalDescription(offer);
    this.signal(peer, { kind: "offer", sdp: offer.sdp ?? "" });
  }

  private signal(peer: string, signal: RtcSignal): void {
    this.send(peer === OWNER ? { type: "rtc", signal } : { type: "rtc", signal, peer });
  }

  private async onSignal(peer: string, signal: RtcSignal): Promise<void> {
    const link = this.links.get(peer);
    if (!link) return;
    const { pc } = link;
    try {
      if (signal.kind === "answer") {
        await pc.setRemoteDescription({ type: "answer", sdp: signal.sdp });
        for (const c of link.pendingCandidates.splice(0)) await this.addCandidate(pc, c);
      } else if (signal.kind === "candidate") {
        if (!pc.remoteDescription) link.pendingCandidates.push(signal);
        else await this.addCandidate(pc, signal);
      }
    } catch {
      // a late or stray signal; the connection state tells if it matters
    }
  }

  private async addCandidate(pc: RTCPeerConnection, s: RtcSignal): Promise<void> {
    if (s.kind !== "candidate") return;
    await pc.addIceCandidate({ candidate: s.candidate, sdpMid: s.sdpMid, sdpMLineIndex: s.sdpMLineIndex });
  }

  private closeLink(peer: string): void {
    const link = this.links.get(peer);
    if (!link) return;
    this.links.delete(peer);
    link.pc.close();
  }

  /** The customer (or the browser's own stop) ends sharing. */
  stop(): void {
    if (!this.stream) return;
    this.teardown();
    this.send({ type: "share", state: "stopped" });
    this.note(this.t.shareStoppedByYou);
  }

  private fail(reason: string): void {
    if (!this.stream) return;
    this.teardown();
    this.send({ type: "share", state: "failed", reason });
    this.note(fill(this.t.shareFailed, { reason }));
  }

  /** The session ended: stop everything, quietly. */
  end(): void {
    this.teardown();
    this.box.hidden = true;
  }

  /** Every connection closed and the capture stopped (the browser's own "sharing" indicator goes too). */
  private teardown(): void {
    const stream = this.stream;
    this.stream = null;
    for (const track of stream?.getTracks() ?? []) track.stop();
    for (const peer of [...this.links.keys()]) this.closeLink(peer);
  }

  private banner(): void {
    const stop = el("button", { type: "button", class: "primary" }, this.t.shareStop);
    stop.addEventListener("click", () => this.stop());
    this.show(
      el("div", { class: "share-banner", role: "status" }, el("strong", {}, this.t.shareBanner), " ", stop),
    );
  }

  private note(text: string): void {
    this.show(el("p", { class: "notice share-note", role: "status" }, text));
  }

  private show(content: HTMLElement): void {
    this.box.replaceChildren(content);
    this.box.hidden = false;
  }

  /** A marker at the agent's point, as fractions of the page's visible area, for a few seconds. */
  private showPointer(x: number, y: number): void {
    if (!this.pointer?.isConnected) {
      this.pointer = el("div", { class: "agent-pointer", role: "img", "aria-label": this.t.sharePointer });
      const s = this.pointer.style;
      s.position = "fixed";
      s.width = "28px";
      s.height = "28px";
      s.marginLeft = "-14px";
      s.marginTop = "-14px";
      s.borderRadius = "50%";
      s.border = "4px solid #d92d20";
      s.background = "rgba(217, 45, 32, 0.25)";
      s.boxShadow = "0 0 0 3px #ffffff";
      s.pointerEvents = "none";
      s.zIndex = "2147483647";
      // Inside the page's main landmark (fixed, so it sits over the whole viewport all the same).
      (document.querySelector("main") ?? document.body).append(this.pointer);
    }
    this.pointer.style.left = `${Math.round(x * window.innerWidth)}px`;
    this.pointer.style.top = `${Math.round(y * window.innerHeight)}px`;
    this.pointer.hidden = false;
    window.clearTimeout(this.pointerTimer);
    this.pointerTimer = window.setTimeout(() => {
      if (this.pointer) this.pointer.hidden = true;
    }, POINTER_VISIBLE_MS);
  }
}

function isOver(pc: RTCPeerConnection): boolean {
  return pc.connectionState === "failed" || pc.connectionState === "closed" || pc.signalingState === "closed";
}
