import { signal } from "@preact/signals";

/** What the agent chose, remembered in this browser: which panes show, and the alert sound. */

export const PANES = [
  "incoming",
  "sessions",
  "supervisor",
  "details",
  "history",
  "offline",
  "codes",
] as const;
export type PaneId = (typeof PANES)[number];

export interface Settings {
  sound: boolean;
  repeatSound: boolean;
}

const PANES_KEY = "helpgate.console.panes";
const SETTINGS_KEY = "helpgate.console.settings";

function read(key: string): unknown {
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? null : (JSON.parse(raw) as unknown);
  } catch {
    return null;
  }
}

function write(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // storage blocked or full: the choice still holds for this page
  }
}

function initialPanes(): Record<PaneId, boolean> {
  const all = Object.fromEntries(PANES.map((p) => [p, true])) as Record<PaneId, boolean>;
  const saved = read(PANES_KEY);
  if (typeof saved === "object" && saved !== null) {
    for (const p of PANES) {
      const v = (saved as Record<string, unknown>)[p];
      if (typeof v === "boolean") all[p] = v;
    }
  }
  return all;
}

function initialSettings(): Settings {
  const saved = read(SETTINGS_KEY);
  const s: Settings = { sound: true, repeatSound: false };
  if (typeof saved === "object" && saved !== null) {
    const o = saved as Record<string, unknown>;
    if (typeof o.sound === "boolean") s.sound = o.sound;
    if (typeof o.repeatSound === "boolean") s.repeatSound = o.repeatSound;
  }
  return s;
}

export const panes = signal<Record<PaneId, boolean>>(initialPanes());
export const settings = signal<Settings>(initialSettings());

export function togglePane(id: PaneId): void {
  panes.value = { ...panes.value, [id]: !panes.value[id] };
  write(PANES_KEY, panes.value);
}

export function changeSettings(change: Partial<Settings>): void {
  settings.value = { ...settings.value, ...change };
  write(SETTINGS_KEY, settings.value);
}
