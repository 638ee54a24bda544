import type { PortalTexts } from "../../shared/i18n/portal.js";
import type { AgentStatus } from "../../shared/protocol.js";
import { $, setNote } from "./dom.js";

interface AgentsAnswer {
  anyAvailable: boolean;
  agents: { id: string; status: AgentStatus }[];
}

const POLL_MS = 10_000;
const STATUS_TEXT = {
  available: "statusAvailable",
  busy: "statusBusy",
  offline: "statusOffline",
} as const;

/**
 * Keeps a portal page's availability live: each agent's status in the pick-agent menu (busy or
 * offline agents cannot be chosen), and a note when nobody is available any more, or again.
 * Returns a function that checks right away.
 */
export function watchAgents(t: PortalTexts): () => void {
  const main = $("main[data-agents-url]");
  if (!main) return () => {};
  const url = main.dataset.agentsUrl ?? "";
  const slug = main.dataset.portal ?? "";
  const note = $("[data-live-note]", main);

  const apply = (answer: AgentsAnswer) => {
    for (const a of answer.agents) {
      const label = $(`label[data-agent="${CSS.escape(a.id)}"]`, main);
      if (!label) continue;
      label.classList.remove("status-available", "status-busy", "status-offline");
      label.classList.add(`status-${a.status}`);
      const text = $("[data-status-text]", label);
      if (text) text.textContent = t[STATUS_TEXT[a.status]];
      const radio = $<HTMLInputElement>("input[type=radio]", label);
      if (radio) {
        radio.disabled = a.status !== "available";
        if (radio.disabled) radio.checked = false;
      }
    }
    if (!note) return;
    const view = main.dataset.view;
    if (view === "form" && !answer.anyAvailable) {
      setNote(note, t.agentsGone, { href: `/p/${slug}/offline`, label: t.offlineLink });
    } else if (view === "offline" && answer.anyAvailable) {
      setNote(note, t.agentsBack, { href: `/p/${slug}`, label: t.askLive });
    } else if (note.textContent) {
      note.replaceChildren();
    }
  };

  const check = async () => {
    if (document.hidden) return;
    try {
      const res = await fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } });
      if (res.ok) apply((await res.json()) as AgentsAnswer);
    } catch {
      // Offline for a moment: the next round tries again.
    }
  };
  window.setInterval(check, POLL_MS);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) void check();
  });
  return () => void check();
}
