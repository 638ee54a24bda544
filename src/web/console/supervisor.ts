import { computed, signal } from "@preact/signals";
import type { SupervisorView } from "../../shared/protocol.js";
import { api } from "./api.js";
import { errorText } from "./errors.js";
import { user } from "./state.js";

/**
 * The supervisor view for managers and admins: every live session and waiting request of the
 * account. Fetched from GET /api/v1/supervisor on every (re)connect and, coalesced, shortly after
 * each `supervisor.changed` on the socket; never merged from events.
 */

export const SUPERVISOR_REFETCH_MS = 250;

export const supervisorView = signal<SupervisorView | null>(null);
export const supervisorError = signal<string | null>(null);

export const canSupervise = computed(() => {
  const role = user.value?.role;
  return role === "manager" || role === "admin";
});

export function isSupervisor(): boolean {
  return canSupervise.value;
}

let timer: ReturnType<typeof setTimeout> | null = null;
let inFlight = false;
let again = false;
/** Bumped by a sign-out, so an answer that arrives afterwards is dropped. */
let generation = 0;

/** Fetches the view after `delay` ms; calls within that time share the one fetch. */
export function refreshSupervisorSoon(delay = SUPERVISOR_REFETCH_MS): void {
  if (timer) return;
  timer = setTimeout(() => {
    timer = null;
    void fetchView();
  }, delay);
}

async function fetchView(): Promise<void> {
  if (inFlight) {
    // A change arrived while a fetch was out: fetch once more after it.
    again = true;
    return;
  }
  inFlight = true;
  const mine = generation;
  try {
    const view = await api.supervisor();
    if (mine !== generation) return;
    supervisorView.value = view;
    supervisorError.value = null;
  } catch (err) {
    if (mine === generation) supervisorError.value = errorText(err);
  } finally {
    inFlight = false;
    if (again && mine === generation) {
      again = false;
      refreshSupervisorSoon();
    }
  }
}

export function resetSupervisor(): void {
  generation += 1;
  if (timer) clearTimeout(timer);
  timer = null;
  again = false;
  supervisorView.value = null;
  supervisorError.value = null;
}
