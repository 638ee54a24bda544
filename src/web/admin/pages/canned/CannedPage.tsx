import type { RefObject } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Account } from "../../../../shared/api.js";
import {
  CANNED_LIMITS,
  type CannedInput,
  type CannedResponse,
  CONTACT_KEYS,
  placeholderList,
  SHORTCUT_PATTERN,
  unknownPlaceholders,
} from "../../../../shared/canned.js";
import { LANGUAGES, type Language } from "../../../../shared/model.js";
import { apiRequest } from "../../../common/api.js";
import { Field, FormAlert } from "../../../common/Field.js";
import {
  checkText,
  type FormErrors,
  focusFirstInvalid,
  hasProblems,
  NO_ERRORS,
  type Problems,
  placeIn,
} from "../../../common/forms.js";
import { language } from "../../../common/i18n.js";
import { useLoad } from "../../../common/useLoad.js";
import { ConfirmDialog } from "../../components/ConfirmDialog.js";
import { Flash, flash } from "../../components/Flash.js";
import { Icon } from "../../components/Icon.js";
import { PageHeader } from "../../components/PageHeader.js";
import { LoadError, Loading } from "../../components/Status.js";
import { xFailureText } from "../../texts.js";
import { cannedFormErrors, cx, placeholderText } from "./texts.js";
import "./canned.css";

/** /admin/canned: the account's canned responses (managers, admins, operators), with the placeholders as help. */

const seg = encodeURIComponent;
const cannedApi = {
  list: (accountId: string) =>
    apiRequest<CannedResponse[]>("GET", `/accounts/${seg(accountId)}/canned-responses`),
  create: (accountId: string, body: CannedInput) =>
    apiRequest<CannedResponse>("POST", `/accounts/${seg(accountId)}/canned-responses`, body),
  update: (accountId: string, id: string, body: CannedInput) =>
    apiRequest<CannedResponse>("PUT", `/accounts/${seg(accountId)}/canned-responses/${seg(id)}`, body),
  remove: (accountId: string, id: string) =>
    apiRequest<null>("DELETE", `/accounts/${seg(accountId)}/canned-responses/${seg(id)}`),
};

const LANGUAGE_NAMES: Record<Language, string> = { en: "English", de: "Deutsch" };
const MAIN_PLACEHOLDERS = ["customer.name", "customer.email", "agent.name", "portal.name", "session.number"];

type Editing = { mode: "new" } | { mode: "edit"; response: CannedResponse } | null;

export function CannedPage({ account }: { account: Account }) {
  const { result, reload, replace } = useLoad(() => cannedApi.list(account.id), [account.id]);
  const [editing, setEditing] = useState<Editing>(null);
  const [deleting, setDeleting] = useState<CannedResponse | null>(null);
  const [deleteBusy, setDeleteBusy] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const textRef = useRef<HTMLTextAreaElement>(null);
  const [insertAt, setInsertAt] = useState<((p: string) => void) | null>(null);
  const newButton = useRef<HTMLButtonElement>(null);

  async function refresh(): Promise<void> {
    try {
      replace(await cannedApi.list(account.id));
    } catch {
      reload();
    }
  }

  async function confirmDelete() {
    if (!deleting) return;
    setDeleteBusy(true);
    setDeleteError(null);
    try {
      await cannedApi.remove(account.id, deleting.id);
      flash.value = cx("cn.deleted", { title: deleting.title });
      if (editing?.mode === "edit" && editing.response.id === deleting.id) setEditing(null);
      setDeleting(null);
      await refresh();
    } catch (err) {
      setDeleteError(xFailureText(err));
    } finally {
      setDeleteBusy(false);
    }
  }

  const closeForm = () => {
    setEditing(null);
    requestAnimationFrame(() => newButton.current?.focus());
  };

  return (
    <div class="page canned-page">
      <PageHeader title={cx("cn.title")} intro={cx("cn.intro", { account: account.name })}>
        <button
          ref={newButton}
          type="button"
          class="button primary"
          aria-expanded={editing?.mode === "new"}
          aria-controls={editing ? "canned-form" : undefined}
          onClick={() => setEditing({ mode: "new" })}
        >
          <Icon name="plus" />
          {cx("cn.new")}
        </button>
      </PageHeader>
      <Flash />
      <div class="split canned-layout">
        <div class="canned-main">
          {editing ? (
            <CannedForm
              key={editing.mode === "edit" ? editing.response.id : "new"}
              account={account}
              editing={editing}
              textRef={textRef}
              onInsertReady={(fn) => setInsertAt(() => fn)}
              onDone={async (saved, created) => {
                flash.value = cx(created ? "cn.created" : "cn.saved", { title: saved.title });
                closeForm();
                await refresh();
              }}
              onCancel={closeForm}
            />
          ) : null}
          {result.state === "loading" ? <Loading /> : null}
          {result.state === "failed" ? <LoadError error={result.error} retry={reload} /> : null}
          {result.state === "ready" ? (
            <CannedTable
              rows={result.data}
              onEdit={(r) => {
                setEditing({ mode: "edit", response: r });
                requestAnimationFrame(() => document.getElementById("canned-title")?.focus());
              }}
              onDelete={(r) => {
                setDeleteError(null);
                setDeleting(r);
              }}
            />
          ) : null}
        </div>
        <PlaceholderHelp onInsert={editing ? insertAt : null} />
      </div>
      {deleting ? (
        <ConfirmDialog
          title={cx("cn.deleteTitle")}
          confirm={cx("cn.delete")}
          danger
          busy={deleteBusy}
          error={deleteError}
          onConfirm={() => void confirmDelete()}
          onClose={() => setDeleting(null)}
        >
          <p>{cx("cn.deleteText", { title: deleting.title })}</p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}

function languageName(l: Language | null): string {
  return l === null ? cx("cn.anyLanguage") : LANGUAGE_NAMES[l];
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 140 ? `${flat.slice(0, 139)}…` : flat;
}

function CannedTable(props: {
  rows: CannedResponse[];
  onEdit: (r: CannedResponse) => void;
  onDelete: (r: CannedResponse) => void;
}) {
  if (props.rows.length === 0) return <p class="empty panel">{cx("cn.none")}</p>;
  return (
    <div class="table-wrap">
      <table class="list canned-list">
        <caption class="visually-hidden">{cx("cn.caption")}</caption>
        <thead>
          <tr>
            <th scope="col">{cx("cn.col.title")}</th>
            <th scope="col">{cx("cn.col.text")}</th>
            <th scope="col">
              <span class="visually-hidden">{cx("cn.edit")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr key={r.id}>
              <th scope="row" class="cell-main">
                <strong class="canned-row-title">{r.title}</strong>
                <span class="sub canned-row-meta">
                  {r.shortcut ? <code class="canned-shortcut">/{r.shortcut}</code> : null}
                  <span class="tag">
                    <span class="visually-hidden">{cx("cn.col.language")}: </span>
                    {languageName(r.language)}
                  </span>
                </span>
              </th>
              <td data-label={cx("cn.col.text")} class="canned-text-cell">
                {preview(r.text)}
              </td>
              <td class="cell-actions">
                <span class="row-buttons-inline canned-row-buttons">
                  <button type="button" class="button small secondary" onClick={() => props.onEdit(r)}>
                    {cx("cn.edit")}
                    <span class="visually-hidden"> {r.title}</span>
                  </button>
                  <button
                    type="button"
                    class="button small secondary danger-text"
                    onClick={() => props.onDelete(r)}
                  >
                    {cx("cn.delete")}
                    <span class="visually-hidden"> {r.title}</span>
                  </button>
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Problems the browser can see before asking the server: the same codes and texts as its answers. */
function checkForm(values: { title: string; shortcut: string; text: string }): Problems {
  const problems: Problems = {};
  checkText(problems, "title", values.title, { required: true, max: CANNED_LIMITS.title });
  checkText(problems, "shortcut", values.shortcut, {
    max: CANNED_LIMITS.shortcut,
    pattern: SHORTCUT_PATTERN,
  });
  checkText(problems, "text", values.text, { required: true, max: CANNED_LIMITS.text });
  const unknown = unknownPlaceholders(values.text);
  if (!problems.text && unknown.length > 0)
    problems.text = {
      code: "unknown_placeholder",
      message: "unknown placeholder",
      params: { placeholders: unknown.join(", "), valid: placeholderList() },
    };
  return problems;
}

function CannedForm(props: {
  account: Account;
  editing: Exclude<Editing, null>;
  textRef: RefObject<HTMLTextAreaElement>;
  onInsertReady: (insert: (placeholder: string) => void) => void;
  onDone: (saved: CannedResponse, created: boolean) => Promise<void>;
  onCancel: () => void;
}) {
  const start = props.editing.mode === "edit" ? props.editing.response : null;
  const [title, setTitle] = useState(start?.title ?? "");
  const [shortcut, setShortcut] = useState(start?.shortcut ?? "");
  const [lang, setLang] = useState<Language | "">(start?.language ?? "");
  const [text, setText] = useState(start?.text ?? "");
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const textValue = useRef(text);
  textValue.current = text;
  const place = placeIn(["title", "shortcut", "language", "text"]);

  useEffect(() => {
    if (props.editing.mode === "new") document.getElementById("canned-title")?.focus();
    props.onInsertReady((placeholder) => {
      const el = props.textRef.current;
      const token = `{${placeholder}}`;
      const current = textValue.current;
      const from = el ? el.selectionStart : current.length;
      const to = el ? el.selectionEnd : current.length;
      const next = current.slice(0, from) + token + current.slice(to);
      setText(next);
      requestAnimationFrame(() => {
        if (!el) return;
        el.focus();
        el.setSelectionRange(from + token.length, from + token.length);
      });
    });
  }, []);

  async function submit(e: Event) {
    e.preventDefault();
    const problems = checkForm({ title, shortcut, text });
    if (hasProblems(problems)) {
      setErrors(cannedFormErrors(problems, place));
      focusFirstInvalid(form.current);
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
          ? await cannedApi.update(props.account.id, props.editing.response.id, body)
          : await cannedApi.create(props.account.id, body);
      setErrors(NO_ERRORS);
      await props.onDone(saved, props.editing.mode === "new");
    } catch (err) {
      setErrors(cannedFormErrors(err, place));
      focusFirstInvalid(form.current);
    } finally {
      setBusy(false);
    }
  }

  const heading =
    props.editing.mode === "edit"
      ? cx("cn.editTitle", { title: props.editing.response.title })
      : cx("cn.newTitle");
  return (
    <form
      id="canned-form"
      ref={form}
      class="panel form canned-form"
      onSubmit={submit}
      noValidate
      aria-labelledby="canned-form-title"
    >
      <h2 id="canned-form-title" class="panel-title">
        {heading}
      </h2>
      <FormAlert text={errors.general} />
      <Field
        id="canned-title"
        label={cx("cn.field.title")}
        hint={cx("cn.field.titleHint", { max: CANNED_LIMITS.title })}
        error={errors.fields.title}
      >
        {(c) => (
          <input
            {...c}
            type="text"
            autoComplete="off"
            maxLength={CANNED_LIMITS.title}
            value={title}
            onInput={(e) => setTitle(e.currentTarget.value)}
          />
        )}
      </Field>
      <div class="row-2">
        <Field
          id="canned-shortcut"
          label={cx("cn.field.shortcut")}
          hint={cx("cn.field.shortcutHint")}
          error={errors.fields.shortcut}
        >
          {(c) => (
            <div class="canned-affix">
              <span class="canned-affix-slash" aria-hidden="true">
                /
              </span>
              <input
                {...c}
                type="text"
                class="short-input"
                autoComplete="off"
                spellcheck={false}
                autoCapitalize="none"
                maxLength={CANNED_LIMITS.shortcut}
                value={shortcut}
                onInput={(e) => setShortcut(e.currentTarget.value)}
              />
            </div>
          )}
        </Field>
        <Field
          id="canned-language"
          label={cx("cn.field.language")}
          hint={cx("cn.field.languageHint")}
          error={errors.fields.language}
        >
          {(c) => (
            <select {...c} value={lang} onChange={(e) => setLang(e.currentTarget.value as Language | "")}>
              <option value="">{cx("cn.anyLanguage")}</option>
              {LANGUAGES.map((l) => (
                <option key={l} value={l}>
                  {LANGUAGE_NAMES[l]}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <Field
        id="canned-text"
        label={cx("cn.field.text")}
        hint={cx("cn.field.textHint", { max: CANNED_LIMITS.text.toLocaleString(language.value) })}
        error={errors.fields.text}
      >
        {(c) => (
          <textarea
            {...c}
            ref={props.textRef}
            rows={7}
            maxLength={CANNED_LIMITS.text}
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
          />
        )}
      </Field>
      <p class="hint canned-count" aria-live="off">
        {cx("cn.count", {
          n: text.length.toLocaleString(language.value),
          max: CANNED_LIMITS.text.toLocaleString(language.value),
        })}
      </p>
      <div class="form-buttons">
        <button type="submit" class="button primary" disabled={busy}>
          {props.editing.mode === "edit" ? cx("cn.save") : cx("cn.create")}
        </button>
        <button type="button" class="button secondary" onClick={props.onCancel}>
          {cx("cn.cancel")}
        </button>
      </div>
    </form>
  );
}

/** The placeholders with what each stands for; while the form is open, each can be inserted at the cursor. */
function PlaceholderHelp({ onInsert }: { onInsert: ((p: string) => void) | null }) {
  // The contact fields are many: folded on narrow screens, where the help sits below the list.
  const [wide] = useState(() => window.matchMedia("(min-width: 1101px)").matches);
  const item = (p: string) => (
    <li key={p} class="placeholder-item">
      <span class="placeholder-main">
        <code class="placeholder-code">{`{${p}}`}</code>
        <span class="placeholder-what">{placeholderText(p)}</span>
      </span>
      {onInsert ? (
        <button
          type="button"
          class="button small secondary"
          aria-label={cx("cn.help.insert", { placeholder: `{${p}}` })}
          onClick={() => onInsert(p)}
        >
          <Icon name="plus" />
        </button>
      ) : null}
    </li>
  );
  return (
    <section class="panel placeholder-help" aria-labelledby="placeholder-help-title">
      <h2 id="placeholder-help-title" class="panel-title">
        {cx("cn.help.title")}
      </h2>
      <p class="hint">{cx("cn.help.intro")}</p>
      <ul class="placeholder-list">{MAIN_PLACEHOLDERS.map(item)}</ul>
      <details class="placeholder-more" open={wide}>
        <summary class="placeholder-sub">{cx("cn.help.contact")}</summary>
        <p class="hint">{cx("cn.help.contactIntro")}</p>
        <ul class="placeholder-list">{CONTACT_KEYS.map((k) => item(`contact.${k}`))}</ul>
      </details>
      <p class="hint placeholder-example">{cx("cn.help.example")}</p>
    </section>
  );
}
