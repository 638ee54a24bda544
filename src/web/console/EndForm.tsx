import { useState } from "preact/hooks";
import { LIMITS } from "../../shared/model.js";
import type { Outcome } from "../../shared/protocol.js";
import { api } from "./api.js";
import { endedSessions, putEnded } from "./ended.js";
import { t } from "./i18n.js";
import { errorText } from "./live.js";

const OUTCOMES: readonly Outcome[] = ["resolved", "unresolved", "unknown"];

/** After the end: outcome (Resolved / Unresolved / Unknown), notes, optional ticket; and the transcript. */
export function EndForm({ sessionId }: { sessionId: string }) {
  const known = endedSessions.value.find((s) => s.id === sessionId);
  const [outcome, setOutcome] = useState<Outcome | null>(known?.outcome ?? null);
  const [notes, setNotes] = useState(known?.notes ?? "");
  const [ticket, setTicket] = useState(known?.ticket ?? "");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const id = `end-${sessionId}`;

  const save = async () => {
    if (!outcome) {
      setMessage({ text: t("outcomeRequired"), error: true });
      return;
    }
    setBusy(true);
    try {
      putEnded(
        await api.saveOutcome(sessionId, {
          outcome,
          ...(notes.trim() ? { notes } : {}),
          ...(ticket.trim() ? { ticket } : {}),
        }),
      );
      setMessage({ text: t("outcomeSaved"), error: false });
    } catch (err) {
      setMessage({ text: errorText(err), error: true });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      class="end-form"
      aria-labelledby={`${id}-title`}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <h4 id={`${id}-title`}>{t("endFormTitle")}</h4>
      <fieldset class="end-outcomes">
        <legend>{t("outcome")}</legend>
        {OUTCOMES.map((o) => (
          <label key={o} class="radio">
            <input
              type="radio"
              name={`${id}-outcome`}
              value={o}
              checked={outcome === o}
              onChange={() => setOutcome(o)}
            />{" "}
            {t(`outcome_${o}`)}
          </label>
        ))}
      </fieldset>
      <label for={`${id}-notes`}>{t("notes")}</label>
      <textarea
        id={`${id}-notes`}
        rows={3}
        maxLength={LIMITS.notes}
        value={notes}
        onInput={(e) => setNotes(e.currentTarget.value)}
      />
      <label for={`${id}-ticket`}>{t("ticket")}</label>
      <input
        id={`${id}-ticket`}
        type="text"
        maxLength={LIMITS.ticket}
        value={ticket}
        onInput={(e) => setTicket(e.currentTarget.value)}
      />
      <div class="end-actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>
          {busy ? t("saving") : t("save")}
        </button>
        <span role="status" class={message?.error ? "form-error" : "hint"}>
          {message?.text ?? ""}
        </span>
      </div>
    </form>
  );
}
