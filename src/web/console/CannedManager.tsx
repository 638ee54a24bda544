import { signal } from "@preact/signals";
import { useEffect, useRef, useState } from "preact/hooks";
import {
  CANNED_LIMITS,
  type CannedInput,
  type CannedResponse,
  placeholderList,
  SHORTCUT_PATTERN,
  unknownPlaceholders,
} from "../../shared/canned.js";
import { LANGUAGES, type Language } from "../../shared/model.js";
import { cannedApi, cannedProblems, refreshCanned } from "./canned.js";
import { ct, languageLabel } from "./cannedTexts.js";
import { errorText } from "./errors.js";
import { Modal } from "./Modal.js";
import "./canned.css";

/** Whether the personal canned responses manager is open (Settings → My canned responses). */
export const cannedManagerOpen = signal(false);

/** Where the manager lives: outside the settings panel, which closes when it opens. */
export function CannedManagerHost({ returnFocus }: { returnFocus: () => HTMLElement | null }) {
  if (!cannedManagerOpen.value) return null;
  const close = () => {
    cannedManagerOpen.value = false;
  };
  return <CannedManager onClose={close} returnFocus={returnFocus} />;
}

type Editing = { mode: "new" } | { mode: "edit"; response: CannedResponse } | null;

function CannedManager({
  onClose,
  returnFocus,
}: {
  onClose: () => void;
  returnFocus: () => HTMLElement | null;
}) {
  const [items, setItems] = useState<CannedResponse[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [editing, setEditing] = useState<Editing>(null);
  const [asking, setAsking] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [actionError, setActionError] = useState<string | null>(null);
  const addButton = useRef<HTMLButtonElement>(null);

  const load = async () => {
    try {
      const all = await cannedApi.usable(null);
      setItems(all.filter((r) => r.scope === "personal"));
      setLoadError(null);
    } catch (err) {
      setLoadError(errorText(err));
    }
  };
  useEffect(() => {
    void load();
  }, []);

  const focusLater = (find: () => HTMLElement | null) => requestAnimationFrame(() => find()?.focus());

  const remove = async (r: CannedResponse) => {
    setActionError(null);
    try {
      await cannedApi.remove(r.id);
      setAsking(null);
      setStatus(ct("deleted", { title: r.title }));
      if (editing?.mode === "edit" && editing.response.id === r.id) setEditing(null);
      await load();
      void refreshCanned(null);
      focusLater(() => addButton.current);
    } catch (err) {
      setActionError(errorText(err));
    }
  };

  return (
    <Modal
      title={ct("managerTitle")}
      onClose={onClose}
      class="canned-manager"
      returnFocus={returnFocus}
      initialFocus=".canned-add"
    >
      <p class="modal-intro">{ct("managerIntro")}</p>
      <p class="visually-hidden" role="status">
        {status}
      </p>
      {status ? (
        <p class="hint" aria-hidden="true">
          {status}
        </p>
      ) : null}
      {editing ? (
        <CannedForm
          key={editing.mode === "edit" ? editing.response.id : "new"}
          editing={editing}
          onCancel={() => {
            const id = editing.mode === "edit" ? editing.response.id : null;
            setEditing(null);
            focusLater(() => (id ? document.getElementById(`canned-edit-${id}`) : addButton.current));
          }}
          onSaved={async (saved, created) => {
            setEditing(null);
            setStatus(ct(created ? "created" : "saved", { title: saved.title }));
            await load();
            void refreshCanned(null);
            focusLater(() => document.getElementById(`canned-edit-${saved.id}`) ?? addButton.current);
          }}
        />
      ) : (
        <div class="modal-actions canned-add-row">
          <button
            ref={addButton}
            type="button"
            class="btn btn-primary canned-add"
            onClick={() => {
              setStatus("");
              setEditing({ mode: "new" });
            }}
          >
            {ct("managerAdd")}
          </button>
        </div>
      )}
      {loadError ? (
        <p class="form-error" role="alert">
          {loadError}
        </p>
      ) : null}
      {actionError ? (
        <p class="form-error" role="alert">
          {actionError}
        </p>
      ) : null}
      {items !== null && items.length === 0 ? <p class="hint">{ct("managerNone")}</p> : null}
      {items !== null && items.length > 0 ? (
        <ul class="canned-manager-list" aria-label={ct("managerListLabel")}>
          {items.map((r) => (
            <li key={r.id} class="canned-manager-item">
              <span class="canned-manager-main">
                <strong>{r.title}</strong>
                <span class="canned-option-head">
                  {r.shortcut ? <span class="canned-option-shortcut">/{r.shortcut}</span> : null}
                  <span class="canned-badge">{languageLabel(r.language)}</span>
                </span>
                <span class="canned-manager-text">
                  {r.text.length > 160 ? `${r.text.slice(0, 159)}…` : r.text}
                </span>
              </span>
              {asking === r.id ? (
                <fieldset class="canned-confirm">
                  <legend>{ct("deleteConfirm", { title: r.title })}</legend>
                  <button type="button" class="btn btn-small btn-danger-solid" onClick={() => void remove(r)}>
                    {ct("deleteYes")}
                  </button>
                  <button
                    type="button"
                    class="btn btn-small canned-confirm-no"
                    onClick={() => {
                      setAsking(null);
                      focusLater(() => document.getElementById(`canned-delete-${r.id}`));
                    }}
                  >
                    {ct("cancel")}
                  </button>
                </fieldset>
              ) : (
                <span class="canned-manager-actions">
                  <button
                    id={`canned-edit-${r.id}`}
                    type="button"
                    class="btn btn-small"
                    onClick={() => {
                      setStatus("");
                      setEditing({ mode: "edit", response: r });
                    }}
                  >
                    {ct("edit")}
                    <span class="visually-hidden"> {r.title}</span>
                  </button>
                  <button
                    id={`canned-delete-${r.id}`}
                    type="button"
                    class="btn btn-small btn-danger"
                    onClick={() => {
                      setAsking(r.id);
                      focusLater(() => document.querySelector<HTMLElement>(".canned-confirm-no"));
                    }}
                  >
                    {ct("delete")}
                    <span class="visually-hidden"> {r.title}</span>
                  </button>
                </span>
              )}
            </li>
          ))}
        </ul>
      ) : null}
    </Modal>
  );
}

type FieldName = "title" | "shortcut" | "language" | "text";

function checkLocally(v: {
  title: string;
  shortcut: string;
  text: string;
}): Partial<Record<FieldName, string>> {
  const p: Partial<Record<FieldName, string>> = {};
  const title = v.title.trim();
  if (title === "") p.title = ct("errRequired", { field: ct("fieldNameTitle") });
  else if (title.length > CANNED_LIMITS.title) p.title = ct("errTitleLong", { max: CANNED_LIMITS.title });
  const shortcut = v.shortcut.trim();
  if (
    shortcut !== "" &&
    (shortcut.length > CANNED_LIMITS.shortcut || !new RegExp(SHORTCUT_PATTERN).test(shortcut))
  )
    p.shortcut = ct("errShortcut");
  if (v.text.trim() === "") p.text = ct("errRequired", { field: ct("fieldNameText") });
  else if (v.text.length > CANNED_LIMITS.text) p.text = ct("errTextLong", { max: CANNED_LIMITS.text });
  else {
    const unknown = unknownPlaceholders(v.text);
    if (unknown.length > 0)
      p.text = ct("errUnknown", { placeholders: unknown.join(", "), valid: placeholderList() });
  }
  return p;
}

function CannedForm(props: {
  editing: Exclude<Editing, null>;
  onCancel: () => void;
  onSaved: (saved: CannedResponse, created: boolean) => Promise<void>;
}) {
  const start = props.editing.mode === "edit" ? props.editing.response : null;
  const [title, setTitle] = useState(start?.title ?? "");
  const [shortcut, setShortcut] = useState(start?.shortcut ?? "");
  const [lang, setLang] = useState<Language | "">(start?.language ?? "");
  const [text, setText] = useState(start?.text ?? "");
  const [problems, setProblems] = useState<Partial<Record<FieldName, string>>>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const id = "canned-form";

  useEffect(() => {
    form.current?.querySelector<HTMLElement>("input")?.focus();
  }, []);

  const focusFirstProblem = () =>
    requestAnimationFrame(() => form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());

  const submit = async (e: Event) => {
    e.preventDefault();
    const local = checkLocally({ title, shortcut, text });
    if (Object.keys(local).length > 0) {
      setProblems(local);
      setGeneral(null);
      focusFirstProblem();
      return;
    }
    const body: CannedInput = {
      title: title.trim(),
      shortcut: shortcut.trim() === "" ? null : shortcut.trim(),
      text,
      language: lang === "" ? null : lang,
    };
    setBusy(true);
    try {
      const saved =
        props.editing.mode === "edit"
          ? await cannedApi.update(props.editing.response.id, body)
          : await cannedApi.create(body);
      await props.onSaved(saved, props.editing.mode === "new");
    } catch (err) {
      const found = cannedProblems(err);
      setProblems(found.fields as Partial<Record<FieldName, string>>);
      setGeneral(found.general);
      focusFirstProblem();
    } finally {
      setBusy(false);
    }
  };

  const control = (name: FieldName, hint?: boolean) => {
    const problem = problems[name];
    const ids = [hint ? `${id}-${name}-hint` : "", problem ? `${id}-${name}-error` : ""]
      .filter(Boolean)
      .join(" ");
    return {
      id: `${id}-${name}`,
      ...(ids ? { "aria-describedby": ids } : {}),
      ...(problem ? { "aria-invalid": "true" as const } : {}),
    };
  };
  const problemLine = (name: FieldName) =>
    problems[name] ? (
      <p id={`${id}-${name}-error`} class="field-problem">
        {problems[name]}
      </p>
    ) : null;

  return (
    <form ref={form} class="canned-form" onSubmit={submit} noValidate aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`}>
        {props.editing.mode === "edit"
          ? ct("managerEditTitle", { title: props.editing.response.title })
          : ct("managerNewTitle")}
      </h3>
      {general ? (
        <p class="form-error" role="alert">
          {general}
        </p>
      ) : null}
      <div class="canned-form-row">
        <div>
          <label for={`${id}-title`}>{ct("fieldTitle")}</label>
          <input
            {...control("title")}
            type="text"
            autoComplete="off"
            maxLength={CANNED_LIMITS.title}
            value={title}
            onInput={(e) => setTitle(e.currentTarget.value)}
          />
          {problemLine("title")}
        </div>
        <div>
          <label for={`${id}-language`}>{ct("fieldLanguage")}</label>
          <select
            {...control("language")}
            value={lang}
            onChange={(e) => setLang(e.currentTarget.value as Language | "")}
          >
            <option value="">{ct("anyLanguage")}</option>
            {LANGUAGES.map((l) => (
              <option key={l} value={l}>
                {languageLabel(l)}
              </option>
            ))}
          </select>
          {problemLine("language")}
        </div>
      </div>
      <label for={`${id}-shortcut`}>{ct("fieldShortcut")}</label>
      <p id={`${id}-shortcut-hint`} class="hint">
        {ct("fieldShortcutHint")}
      </p>
      <input
        {...control("shortcut", true)}
        type="text"
        autoComplete="off"
        spellcheck={false}
        autoCapitalize="none"
        maxLength={CANNED_LIMITS.shortcut}
        value={shortcut}
        onInput={(e) => setShortcut(e.currentTarget.value)}
      />
      {problemLine("shortcut")}
      <label for={`${id}-text`}>{ct("fieldText")}</label>
      <p id={`${id}-text-hint`} class="hint canned-placeholders">
        {ct("fieldTextHint", { max: CANNED_LIMITS.text, list: placeholderList() })}
      </p>
      <textarea
        {...control("text", true)}
        rows={5}
        maxLength={CANNED_LIMITS.text}
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
      />
      {problemLine("text")}
      <div class="modal-actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>
          {props.editing.mode === "edit" ? ct("save") : ct("create")}
        </button>
        <button type="button" class="btn" onClick={props.onCancel}>
          {ct("cancel")}
        </button>
      </div>
    </form>
  );
}
