import { fill, type PortalTexts } from "../../shared/i18n/portal.js";
import type { CustomerClientMessage, Receipt } from "../../shared/protocol.js";
import { $, $$, el } from "./dom.js";

const TYPING_EVERY_MS = 2000;
const TYPING_SHOWN_MS = 4000;

/**
 * Typing and receipts on the customer's page: "… is typing" when the agent types, the agent's
 * delivered/read marks on the customer's own messages, and this page's own receipts and typing.
 */
export class CustomerPresence {
  private lastTyping = 0;
  private typingTimer: number | undefined;
  private told: Receipt = { delivered: 0, read: 0 };
  private marks: Receipt = { delivered: 0, read: 0 };

  constructor(
    private readonly t: PortalTexts,
    private readonly send: (msg: CustomerClientMessage) => boolean,
  ) {}

  /** The customer types: tell the agent, at most every two seconds. */
  typing(): void {
    const now = Date.now();
    if (now - this.lastTyping < TYPING_EVERY_MS) return;
    if (this.send({ type: "typing" })) this.lastTyping = now;
  }

  private note(root: ParentNode): HTMLElement | null {
    const existing = $("[data-typing]", root);
    if (existing) return existing;
    const scroll = $("[data-scroll]", root);
    if (!scroll) return null;
    const p = el("p", { class: "typing-note", "data-typing": "", "aria-live": "polite" });
    scroll.after(p);
    return p;
  }

  /** A message went out: the next keystroke counts as typing again at once. */
  sent(): void {
    this.lastTyping = 0;
  }

  agentTyping(root: ParentNode, agentName: string): void {
    const note = this.note(root);
    if (!note) return;
    note.textContent = fill(this.t.typingAgent, { name: agentName });
    window.clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(() => {
      note.textContent = "";
    }, TYPING_SHOWN_MS);
  }

  agentSpoke(root: ParentNode): void {
    window.clearTimeout(this.typingTimer);
    const note = $("[data-typing]", root);
    if (note) note.textContent = "";
  }

  /** Tell the agent what this page got, and what the customer has seen (page visible and focused). */
  tell(lastSeq: number): void {
    const seen = document.visibilityState === "visible" && document.hasFocus();
    const next = {
      delivered: Math.max(this.told.delivered, lastSeq),
      read: seen ? Math.max(this.told.read, lastSeq) : this.told.read,
    };
    if (next.delivered === this.told.delivered && next.read === this.told.read) return;
    if (this.send({ type: "receipt", delivered: next.delivered, read: next.read })) this.told = next;
  }

  /** The agent's marks: Delivered / Read on the customer's own messages. */
  receipt(root: ParentNode, r?: Receipt): void {
    if (r) this.marks = r;
    for (const li of $$("li.msg-customer[data-seq]", root)) {
      const seq = Number(li.dataset.seq);
      const text =
        seq <= this.marks.read
          ? this.t.receiptRead
          : seq <= this.marks.delivered
            ? this.t.receiptDelivered
            : "";
      let mark = $(".msg-receipt", li);
      if (!mark && text) {
        mark = el("span", { class: "msg-receipt" });
        $(".msg-meta", li)?.append(" ", mark);
      }
      if (mark) mark.textContent = text;
    }
  }
}
