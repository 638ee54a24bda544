import { useState } from "preact/hooks";
import { api } from "./api.js";
import { errorText } from "./errors.js";
import { t } from "./i18n.js";
import { emailEnabled } from "./state.js";

/**
 * "Email me the transcript": sends the session's transcript to the signed-in agent's own
 * address and says where it went (or why not) next to the button. Disabled, with the reason,
 * when the server sends no email.
 */
export function TranscriptEmailButton({
  sessionId,
  what,
  short = false,
}: {
  sessionId: string;
  /** For screen readers: whose transcript ("the transcript of the session with Carla"). */
  what: string;
  /** The short label ("Email") for a table cell. */
  short?: boolean;
}) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ text: string; error: boolean } | null>(null);
  const enabled = emailEnabled.value;
  const offId = `transcript-email-off-${sessionId}`;
  const send = async () => {
    setBusy(true);
    setResult(null);
    try {
      const { to } = await api.emailTranscript(sessionId);
      setResult({ text: t("sentTo", { to }), error: false });
    } catch (err) {
      setResult({ text: errorText(err), error: true });
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="transcript-email">
      <button
        type="button"
        class="link-button"
        disabled={busy || !enabled}
        aria-describedby={enabled ? undefined : offId}
        title={enabled ? undefined : t("emailOffShort")}
        onClick={() => void send()}
      >
        {busy ? t("sending") : short ? t("emailTranscriptShort") : t("emailTranscript")}
        <span class="visually-hidden"> {what}</span>
      </button>
      {!enabled && (
        <span id={offId} class="visually-hidden">
          {t("emailOffShort")}
        </span>
      )}
      <span role="status" class={result?.error ? "transcript-email-note is-error" : "transcript-email-note"}>
        {result ? ` ${result.text}` : ""}
      </span>
    </span>
  );
}
