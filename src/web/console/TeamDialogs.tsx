import { useEffect, useState } from "preact/hooks";
import type { ColleagueView, PortalTargetView, SessionView } from "../../shared/protocol.js";
import { api } from "./api.js";
import { customerLabel } from "./customer.js";
import { errorText } from "./errors.js";
import { type MessageKey, t } from "./i18n.js";
import { Modal } from "./Modal.js";
import {
  inviteColleagues,
  MAX_PARTICIPANTS,
  TRANSFER_NOTE_MAX,
  type TransferTarget,
  transferSession,
} from "./team.js";

/** How often an open dialog asks again who is available (their load changes while it is open). */
const COLLEAGUES_REFRESH_MS = 5000;

interface Colleagues {
  agents: ColleagueView[];
  portals: PortalTargetView[];
}

/** The account's colleagues and portals, fetched when the dialog opens and every few seconds after. */
function useColleagues(): { data: Colleagues | null; error: string | null } {
  const [data, setData] = useState<Colleagues | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    const load = async () => {
      try {
        const next = await api.colleagues();
        if (!alive) return;
        setData(next);
        setError(null);
      } catch (err) {
        if (alive) setError(errorText(err));
      }
    };
    void load();
    const timer = setInterval(() => void load(), COLLEAGUES_REFRESH_MS);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, []);
  return { data, error };
}

const ROLE_KEYS: Record<ColleagueView["role"], MessageKey> = {
  agent: "role_agent",
  manager: "role_manager",
  admin: "role_admin",
};

/**
 * A dialog's send: busy while it runs, its refusal shown in the dialog, closed when it went
 * through. `send` answers the refusal in words, or null.
 */
function useSend(onClose: () => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (send: () => Promise<string | null>) => {
    setBusy(true);
    setError(null);
    const problem = await send();
    setBusy(false);
    if (problem) setError(problem);
    else onClose();
  };
  return { busy, error, setError, run };
}

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name.localeCompare(b.name);
}

/** Available and free first, then the busy ones, then those away; by name within each. */
function colleagueOrder(a: ColleagueView, b: ColleagueView): number {
  const rank = (c: ColleagueView) =>
    c.unavailableReason === null ? 0 : c.unavailableReason === "at_limit" ? 1 : 2;
  return rank(a) - rank(b) || byName(a, b);
}

/** One colleague's availability and load, in words and as "2/3". */
function ColleagueState({ c, reason }: { c: ColleagueView; reason: string | null }) {
  return (
    <span class="pick-state">
      <span class={`presence ${c.available ? "presence-on" : "presence-off"}`}>
        <span class="presence-dot" aria-hidden="true" />
        {c.available ? t("presenceAvailable") : t("presenceAway")}
      </span>
      <span class="pick-load" title={t("loadTitle", { sessions: c.sessions, max: c.maxSessions })}>
        <span aria-hidden="true">
          {c.sessions}/{c.maxSessions}
        </span>
        <span class="visually-hidden">{t("loadTitle", { sessions: c.sessions, max: c.maxSessions })}</span>
      </span>
      {reason && <span class="pick-reason">{reason}</span>}
    </span>
  );
}

function transferReason(c: ColleagueView): string | null {
  if (c.unavailableReason === "unavailable") return t("reasonUnavailable");
  if (c.unavailableReason === "at_limit") return t("reasonAtLimit");
  return null;
}

/** The owner picks a colleague or a portal, adds a note, and sends the session on. */
export function TransferDialog({
  session,
  onClose,
  returnFocus,
}: {
  session: SessionView;
  onClose: () => void;
  returnFocus: () => HTMLElement | null;
}) {
  const { data, error: loadError } = useColleagues();
  const [target, setTarget] = useState<string | null>(null);
  const [note, setNote] = useState("");
  const { busy, error, setError, run } = useSend(onClose);
  const name = customerLabel(session.request);
  const agents = [...(data?.agents ?? [])].sort(colleagueOrder);
  const portals = [...(data?.portals ?? [])].sort(byName);
  const idBase = `transfer-${session.id}`;

  // Someone chosen who is no longer free (the list refreshes): the choice is dropped.
  const chosen = parseTarget(target);
  const chosenStillOk =
    chosen === null ||
    ("toAgentId" in chosen
      ? agents.some((a) => a.id === chosen.toAgentId && a.unavailableReason === null)
      : portals.some((p) => p.id === chosen.toPortalId && p.availableAgents > 0));
  useEffect(() => {
    if (data && !chosenStillOk) setTarget(null);
  }, [data, chosenStillOk]);

  const submit = async () => {
    if (!chosen) {
      setError(t("transferChooseFirst"));
      return;
    }
    await run(() => transferSession(session.id, chosen, note));
  };

  return (
    <Modal
      title={t("transferTitle", { name })}
      onClose={onClose}
      class="modal-team"
      returnFocus={returnFocus}
      initialFocus="title"
    >
      <form
        class="team-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <p class="hint modal-intro">{t("transferIntro")}</p>
        {loadError && (
          <p class="form-error" role="alert">
            {loadError}
          </p>
        )}
        {!data && !loadError && (
          <p class="muted" role="status">
            {t("loading")}
          </p>
        )}
        {data && (
          <>
            <fieldset class="pick-group">
              <legend>{t("transferToColleague")}</legend>
              {agents.length === 0 ? (
                <p class="empty">{t("noColleagues")}</p>
              ) : (
                <ul class="pick-list">
                  {agents.map((c) => {
                    const reason = transferReason(c);
                    const value = `agent:${c.id}`;
                    return (
                      <li key={c.id}>
                        <label
                          class={`pick-row ${reason ? "is-disabled" : ""} ${target === value ? "is-chosen" : ""}`}
                        >
                          <input
                            type="radio"
                            name={`${idBase}-target`}
                            value={value}
                            checked={target === value}
                            disabled={reason !== null}
                            onChange={() => setTarget(value)}
                          />
                          <span class="pick-main">
                            <span class="pick-name">{c.name}</span>
                            <span class="pick-role">{t(ROLE_KEYS[c.role])}</span>
                          </span>
                          <ColleagueState c={c} reason={reason} />
                        </label>
                      </li>
                    );
                  })}
                </ul>
              )}
            </fieldset>
            {portals.length > 0 && (
              <fieldset class="pick-group">
                <legend>{t("transferToPortal")}</legend>
                <p class="hint">{t("transferToPortalHint")}</p>
                <ul class="pick-list">
                  {portals.map((p) => {
                    const value = `portal:${p.id}`;
                    const none = p.availableAgents === 0;
                    return (
                      <li key={p.id}>
                        <label
                          class={`pick-row ${none ? "is-disabled" : ""} ${target === value ? "is-chosen" : ""}`}
                        >
                          <input
                            type="radio"
                            name={`${idBase}-target`}
                            value={value}
                            checked={target === value}
                            disabled={none}
                            onChange={() => setTarget(value)}
                          />
                          <span class="pick-main">
                            <span class="pick-name">{p.name}</span>
                            {p.queue && <span class="pick-role">{t("kind_queue")}</span>}
                          </span>
                          <span class="pick-state">
                            <span class={`presence ${none ? "presence-off" : "presence-on"}`}>
                              <span class="presence-dot" aria-hidden="true" />
                              {none ? t("portalNobody") : t("portalAvailable", { count: p.availableAgents })}
                            </span>
                          </span>
                        </label>
                      </li>
                    );
                  })}
                </ul>
              </fieldset>
            )}
          </>
        )}
        <label class="team-label" for={`${idBase}-note`}>
          {t("transferNote")}
        </label>
        <textarea
          id={`${idBase}-note`}
          rows={3}
          maxLength={TRANSFER_NOTE_MAX}
          value={note}
          aria-describedby={`${idBase}-note-count`}
          placeholder={t("transferNotePlaceholder")}
          onInput={(e) => setNote(e.currentTarget.value)}
        />
        <p id={`${idBase}-note-count`} class="hint">
          {t("charsLeft", { count: TRANSFER_NOTE_MAX - note.length, max: TRANSFER_NOTE_MAX })}
        </p>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <div class="modal-actions">
          <button type="submit" class="btn btn-primary" disabled={busy || !data}>
            {busy ? t("sending") : t("transferSend")}
          </button>
          <button type="button" class="btn" onClick={onClose}>
            {t("cancel")}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function parseTarget(value: string | null): TransferTarget | null {
  if (!value) return null;
  const [kind, id] = value.split(":", 2);
  if (!id) return null;
  return kind === "agent" ? { toAgentId: id } : { toPortalId: id };
}

/** The owner picks colleagues to invite into the session (at most seven in it at once). */
export function InviteDialog({
  session,
  onClose,
  returnFocus,
}: {
  session: SessionView;
  onClose: () => void;
  returnFocus: () => HTMLElement | null;
}) {
  const { data, error: loadError } = useColleagues();
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set());
  const { busy, error, setError, run } = useSend(onClose);
  const name = customerLabel(session.request);
  const members = new Map(session.members.map((m) => [m.userId, m]));
  const inSession = session.members.filter((m) => m.role === "participant").length;
  const room = Math.max(0, MAX_PARTICIPANTS - inSession);
  const agents = [...(data?.agents ?? [])].sort(colleagueOrder);
  const idBase = `invite-${session.id}`;

  const reasonOf = (c: ColleagueView): string | null => {
    const member = members.get(c.id);
    if (member) return member.state === "invited" ? t("reasonInvited") : t("reasonInSession");
    // Invitations do not count toward the session limit: only someone away cannot be invited.
    if (c.unavailableReason === "unavailable") return t("reasonUnavailable");
    return null;
  };

  const toggle = (id: string, on: boolean) => {
    const next = new Set(picked);
    if (on) next.add(id);
    else next.delete(id);
    setPicked(next);
    setError(null);
  };

  const submit = async () => {
    if (picked.size === 0) {
      setError(t("inviteChooseFirst"));
      return;
    }
    await run(() => inviteColleagues(session.id, [...picked]));
  };

  return (
    <Modal
      title={t("inviteTitle", { name })}
      onClose={onClose}
      class="modal-team"
      returnFocus={returnFocus}
      initialFocus="title"
    >
      <form
        class="team-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <p class="hint modal-intro">{t("inviteIntro", { max: MAX_PARTICIPANTS })}</p>
        {loadError && (
          <p class="form-error" role="alert">
            {loadError}
          </p>
        )}
        {!data && !loadError && (
          <p class="muted" role="status">
            {t("loading")}
          </p>
        )}
        {data && (
          <fieldset class="pick-group" aria-describedby={`${idBase}-room`}>
            <legend>{t("inviteColleagues")}</legend>
            <p id={`${idBase}-room`} class="hint" aria-live="polite">
              {room === 0
                ? t("inviteNoRoom", { max: MAX_PARTICIPANTS })
                : t("inviteRoom", { count: picked.size, room })}
            </p>
            {agents.length === 0 ? (
              <p class="empty">{t("noColleagues")}</p>
            ) : (
              <ul class="pick-list">
                {agents.map((c) => {
                  const reason = reasonOf(c);
                  const on = picked.has(c.id);
                  const full = !on && picked.size >= room;
                  return (
                    <li key={c.id}>
                      <label
                        class={`pick-row ${reason || full ? "is-disabled" : ""} ${on ? "is-chosen" : ""}`}
                      >
                        <input
                          type="checkbox"
                          checked={on}
                          disabled={reason !== null || full}
                          onChange={(e) => toggle(c.id, e.currentTarget.checked)}
                        />
                        <span class="pick-main">
                          <span class="pick-name">{c.name}</span>
                          <span class="pick-role">{t(ROLE_KEYS[c.role])}</span>
                        </span>
                        <ColleagueState c={c} reason={reason} />
                      </label>
                    </li>
                  );
                })}
              </ul>
            )}
          </fieldset>
        )}
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <div class="modal-actions">
          <button type="submit" class="btn btn-primary" disabled={busy || !data}>
            {busy ? t("sending") : t("inviteSend")}
          </button>
          <button type="button" class="btn" onClick={onClose}>
            {t("cancel")}
          </button>
        </div>
      </form>
    </Modal>
  );
}
