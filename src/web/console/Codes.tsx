import { useEffect, useRef, useState } from "preact/hooks";
import type { CodeView } from "../../shared/protocol.js";
import { copyText } from "../common/copy.js";
import { ApiFailure, api } from "./api.js";
import { formatCode } from "./format.js";
import { t } from "./i18n.js";
import { errorText } from "./live.js";
import { Pane } from "./panes/Pane.js";
import { Table } from "./panes/Table.js";
import { codePortals, codes, emailEnabled, now } from "./state.js";
import { Countdown } from "./timers.js";

const MAX_LIVE_CODES = 8;
/** The note that says why "Send by email" is disabled (the server sends no email). */
const EMAIL_OFF_ID = "codes-email-off";

/** Session codes (phone mode): create one for a caller, read it out, copy its links, cancel it. */
export function Codes() {
  const list = codes.value;
  const n = now.value;
  const live = list.filter((c) => c.expiresAt > n);
  // With a single code portal its name in every row says nothing new.
  const showPortal = codePortals.value.length > 1;
  return (
    <Pane id="codes" title={t("paneCodes")} count={live.length}>
      <p class="muted">{t("codesIntro")}</p>
      <CodeForm />
      {!emailEnabled.value && live.length > 0 && (
        <p id={EMAIL_OFF_ID} class="hint codes-email-off">
          {t("emailOffReason")}
        </p>
      )}
      {live.length === 0 ? (
        <p class="empty">{t("codesEmpty")}</p>
      ) : (
        <Table
          columns={[t("colCode"), t("colName"), ...(showPortal ? [t("colPortal")] : []), t("colExpires")]}
          actions
        >
          {live.map((c) => (
            <CodeRow key={c.id} c={c} showPortal={showPortal} />
          ))}
        </Table>
      )}
    </Pane>
  );
}

function CodeForm() {
  const options = codePortals.value;
  const [name, setName] = useState("");
  const [portalId, setPortalId] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ text: string; field: "name" | "portalId" | null } | null>(null);
  const chosen = options.some((p) => p.id === portalId) ? portalId : (options[0]?.id ?? "");

  const submit = async (event: Event) => {
    event.preventDefault();
    if (name.trim() === "") {
      setError({ text: t("codeNameRequired"), field: "name" });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const created = await api.createCode(chosen, name.trim());
      if (!codes.value.some((c) => c.id === created.id)) codes.value = [...codes.value, created];
      setName("");
    } catch (err) {
      const field = err instanceof ApiFailure ? Object.keys(err.fields)[0] : undefined;
      setError({
        text: errorText(err),
        field: field === "name" || field === "portalId" ? field : null,
      });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="code-form" onSubmit={submit} noValidate>
      <div class="field">
        <label for="code-name">{t("codeName")}</label>
        <input
          id="code-name"
          value={name}
          maxLength={100}
          autocomplete="off"
          onInput={(e) => setName(e.currentTarget.value)}
          aria-invalid={error?.field === "name" ? "true" : undefined}
          aria-describedby={error ? "code-error" : undefined}
        />
      </div>
      <div class="field">
        <label for="code-portal">{t("codePortal")}</label>
        <select
          id="code-portal"
          value={chosen}
          onChange={(e) => setPortalId(e.currentTarget.value)}
          aria-invalid={error?.field === "portalId" ? "true" : undefined}
        >
          {options.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" class="btn btn-primary" disabled={busy || !chosen}>
        {busy ? t("creatingCode") : t("createCode")}
      </button>
      <p class="hint">{t("codesLimit", { max: MAX_LIVE_CODES })}</p>
      {error && (
        <p id="code-error" class="form-error" role="alert">
          {error.text}
        </p>
      )}
    </form>
  );
}

function CopyButton({ text, label, what }: { text: string; label: string; what: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const timer = setTimeout(() => setState("idle"), 2500);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <button
      type="button"
      class={`btn btn-small ${state === "copied" ? "is-done" : ""}`}
      onClick={async () => setState((await copyText(text)) ? "copied" : "failed")}
      title={text}
    >
      <span aria-live="polite">
        {state === "copied" ? t("copied") : state === "failed" ? t("copyFailed") : label}
      </span>
      {state === "idle" && <span class="visually-hidden"> {what}</span>}
    </button>
  );
}

function CodeRow({ c, showPortal }: { c: CodeView; showPortal: boolean }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [emailOpen, setEmailOpen] = useState(false);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const toggle = useRef<HTMLButtonElement>(null);
  const what = t("codeFor", { name: c.name });
  const canEmail = emailEnabled.value;
  const formId = `code-email-${c.id}`;
  const columns = 4 + (showPortal ? 1 : 0);
  const cancel = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.cancelCode(c.id);
      codes.value = codes.value.filter((x) => x.id !== c.id);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  const closeEmail = (to: string | null) => {
    setEmailOpen(false);
    if (to !== null) setSentTo(to);
    toggle.current?.focus();
  };
  return (
    <>
      <tr class={emailOpen ? "has-detail" : undefined}>
        <td class="nowrap" data-label={t("colCode")}>
          <strong class="code-digits mono">{formatCode(c.code)}</strong>
        </td>
        <td data-label={t("colName")}>{c.name}</td>
        {showPortal && <td data-label={t("colPortal")}>{c.portalName}</td>}
        <td class="nowrap mono" data-label={t("colExpires")}>
          <Countdown until={c.expiresAt} />
        </td>
        <td class="actions">
          <div class="button-row">
            <CopyButton text={c.joinUrl} label={t("copyJoinLink")} what={what} />
            <CopyButton text={c.portalUrl} label={t("copyPortalLink")} what={what} />
            <button
              ref={toggle}
              type="button"
              class={`btn btn-small${emailOpen ? " is-active" : ""}`}
              disabled={!canEmail}
              title={canEmail ? undefined : t("emailOffShort")}
              aria-describedby={canEmail ? undefined : EMAIL_OFF_ID}
              aria-expanded={canEmail ? emailOpen : undefined}
              aria-controls={emailOpen ? formId : undefined}
              onClick={() => {
                setSentTo(null);
                setEmailOpen(!emailOpen);
              }}
            >
              {t("sendByEmail")} <span class="visually-hidden">{what}</span>
            </button>
            <button
              type="button"
              class="btn btn-small btn-danger"
              disabled={busy}
              onClick={() => void cancel()}
            >
              {t("cancelCode")} <span class="visually-hidden">{what}</span>
            </button>
          </div>
          {sentTo !== null && (
            <p class="hint code-email-sent" role="status">
              {t("sentTo", { to: sentTo })}
            </p>
          )}
          {error && (
            <p class="form-error" role="alert">
              {error}
            </p>
          )}
        </td>
      </tr>
      {emailOpen && (
        <tr class="code-email-row">
          <td colSpan={columns} class="code-email-cell">
            <CodeEmailForm c={c} id={formId} onClose={closeEmail} />
          </td>
        </tr>
      )}
    </>
  );
}

/** The inline form under a code's row: the customer's email (and name) → the code by email. */
function CodeEmailForm({
  c,
  id,
  onClose,
}: {
  c: CodeView;
  id: string;
  onClose: (sentTo: string | null) => void;
}) {
  const [email, setEmail] = useState("");
  const [name, setName] = useState(c.name);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ text: string; field: "email" | "name" | null } | null>(null);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (email.trim() === "") {
      setError({ text: t("emailRequiredCustomer"), field: "email" });
      first.current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      // The code already carries its name; only a changed one is sent along.
      const changed = name.trim() !== "" && name.trim() !== c.name ? name.trim() : undefined;
      const { to } = await api.emailCode(c.id, email.trim(), changed);
      onClose(to);
    } catch (err) {
      const field = err instanceof ApiFailure ? Object.keys(err.fields)[0] : undefined;
      setError({ text: errorText(err), field: field === "email" || field === "name" ? field : null });
      setBusy(false);
    }
  };

  return (
    <form
      id={id}
      class="code-email-form"
      onSubmit={submit}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.preventDefault();
          onClose(null);
        }
      }}
      noValidate
      aria-label={t("codeEmailLegend", { code: formatCode(c.code) })}
    >
      <div class="field">
        <label for={`${id}-email`}>{t("codeEmailAddress")}</label>
        <input
          ref={first}
          id={`${id}-email`}
          type="email"
          value={email}
          maxLength={320}
          autocomplete="off"
          onInput={(e) => setEmail(e.currentTarget.value)}
          aria-invalid={error?.field === "email" ? "true" : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
        />
      </div>
      <div class="field">
        <label for={`${id}-name`}>{t("codeEmailName")}</label>
        <input
          id={`${id}-name`}
          value={name}
          maxLength={100}
          autocomplete="off"
          onInput={(e) => setName(e.currentTarget.value)}
          aria-invalid={error?.field === "name" ? "true" : undefined}
        />
      </div>
      <div class="button-row">
        <button type="submit" class="btn btn-primary" disabled={busy}>
          {busy ? t("sending") : t("codeEmailSend")}
        </button>
        <button type="button" class="btn" onClick={() => onClose(null)}>
          {t("cancel")}
        </button>
      </div>
      {error && (
        <p id={`${id}-error`} class="form-error" role="alert">
          {error.text}
        </p>
      )}
    </form>
  );
}
