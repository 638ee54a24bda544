import { signal } from "@preact/signals";
import type { RequestView, TeamAlert } from "../../shared/protocol.js";
import { customerLabel } from "./customer.js";
import { t } from "./i18n.js";

/** The ways an alert reaches an agent who is not looking: a beep and a desktop notification. */

// ── sound: a short two-tone beep made with Web Audio, no audio file ───────────
let audio: AudioContext | null = null;

/** Browsers only let audio start after a user gesture; the first click or key press unlocks it. */
export function unlockAudioOnGesture(): void {
  const unlock = () => {
    try {
      audio ??= new AudioContext();
      if (audio.state === "suspended") void audio.resume();
    } catch {
      audio = null;
    }
  };
  document.addEventListener("pointerdown", unlock, { once: true, capture: true });
  document.addEventListener("keydown", unlock, { once: true, capture: true });
}

export function beep(): void {
  if (!audio) return;
  if (audio.state === "running") play(audio);
  else void audio.resume().catch(() => {});
}

function play(audio: AudioContext): void {
  const start = audio.currentTime + 0.01;
  const tones: [number, number][] = [
    [880, 0],
    [1175, 0.18],
  ];
  for (const [frequency, offset] of tones) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = "sine";
    osc.frequency.value = frequency;
    const t0 = start + offset;
    gain.gain.setValueAtTime(0.0001, t0);
    gain.gain.exponentialRampToValueAtTime(0.25, t0 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.16);
    osc.connect(gain).connect(audio.destination);
    osc.start(t0);
    osc.stop(t0 + 0.18);
  }
}

// ── desktop notifications ─────────────────────────────────────────────────────
export type NotificationState = NotificationPermission | "unsupported";

function currentPermission(): NotificationState {
  return typeof Notification === "undefined" ? "unsupported" : Notification.permission;
}

export const notificationPermission = signal<NotificationState>(currentPermission());

/** Asks the browser for permission; call only from a click (browsers ignore it otherwise). */
export async function enableNotifications(): Promise<void> {
  if (typeof Notification === "undefined") return;
  try {
    notificationPermission.value = await Notification.requestPermission();
  } catch {
    notificationPermission.value = currentPermission();
  }
}

const shown = new Map<string, Notification>();

/** Shows a desktop notification for a new request when the console is not in front. */
export function notifyDesktop(r: RequestView): void {
  if (currentPermission() !== "granted") return;
  if (document.visibilityState === "visible" && document.hasFocus()) return;
  const name = customerLabel(r);
  try {
    const n = new Notification(
      r.kind === "targeted" ? t("desktopTitleTargeted", { name }) : t("desktopTitle", { name }),
      { body: [r.portalName, r.question].filter(Boolean).join(" — ").slice(0, 200), tag: r.id },
    );
    n.onclick = () => {
      window.focus();
      n.close();
    };
    shown.set(r.id, n);
  } catch {
    // some browsers allow notifications only from a service worker; the pop-up and sound remain
  }
}

/** The same for a colleague's transfer or invitation (tagged `team-<id>`). */
export function notifyTeam(a: TeamAlert): void {
  if (currentPermission() !== "granted") return;
  if (document.visibilityState === "visible" && document.hasFocus()) return;
  const name = customerLabel(a.request);
  const tag = `team-${a.id}`;
  try {
    const n = new Notification(
      a.kind === "transfer"
        ? t("desktopTransfer", { name, from: a.fromName })
        : t("desktopInvite", { name, from: a.fromName }),
      { body: [a.request.portalName, a.note].filter(Boolean).join(" — ").slice(0, 200), tag },
    );
    n.onclick = () => {
      window.focus();
      n.close();
    };
    shown.set(tag, n);
  } catch {
    // the pop-up and sound remain
  }
}

export function closeDesktop(requestId: string): void {
  const n = shown.get(requestId);
  if (n) {
    n.close();
    shown.delete(requestId);
  }
}
