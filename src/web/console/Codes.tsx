import { useEffect, useState } from "preact/hooks";
import type { CodeView } from "../../shared/protocol.js";
import { copyText } from "../common/copy.js";
import { ApiFailure, api } from "./api.js";
import { formatCode } from "./format.js";
import { t } from "./i18n.js";
import { errorText } from "./live.js";
import { Pane } from "./panes/Pane.js";
import { Table } from "./panes/Table.js";
import { codePortals, codes, now } from "./state.js";
import { Countdown } from "./timers.js";

const MAX_LIVE_CODES = 8;

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
  const what = t("codeFor", { name: c.name });
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
  return (
    <tr>
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
            type="button"
            class="btn btn-small btn-danger"
            disabled={busy}
            onClick={() => void cancel()}
          >
            {t("cancelCode")} <span class="visually-hidden">{what}</span>
          </button>
        </div>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
      </td>
    </tr>
  );
}
