import { useState } from "preact/hooks";
import { portalText } from "../../../shared/i18n/portal.js";
import { FIELD_KINDS, type FieldKind, type Language, LIMITS } from "../../../shared/model.js";
import { FieldError } from "../../common/Field.js";
import { t } from "../../common/i18n.js";
import { Icon } from "../components/Icon.js";
import { type FieldDraft, fieldDraft, isCustom, isStandard, standardLabel } from "./portalDraft.js";

interface Props {
  fields: FieldDraft[];
  portalLanguage: Language;
  errors: Record<string, string>;
  onChange: (fields: FieldDraft[]) => void;
}

/** The name of a row as the admin reads it: "Email", "Custom text 2". */
function rowName(fields: FieldDraft[], index: number): string {
  const f = fields[index];
  if (!f) return "";
  if (isStandard(f.kind)) return t(`portals.field.${f.kind}`);
  const n = fields.slice(0, index + 1).filter((x) => isCustom(x.kind)).length;
  return `${t(`portals.field.${f.kind}`)} ${n}`;
}

/**
 * The contact fields of a portal: standard ones (each at most once) and up to ten custom text or
 * choice fields, each with a label, a required switch and, for choices, options one per line.
 */
export function FieldsEditor({ fields, portalLanguage, errors, onChange }: Props) {
  const customCount = fields.filter((f) => isCustom(f.kind)).length;
  const addable = FIELD_KINDS.filter((kind) =>
    isStandard(kind) ? !fields.some((f) => f.kind === kind) : customCount < LIMITS.customFields,
  );
  const [toAdd, setToAdd] = useState<FieldKind | "">("");
  const chosen = toAdd !== "" && addable.includes(toAdd) ? toAdd : (addable[0] ?? "");

  const update = (uid: number, patch: Partial<FieldDraft>) =>
    onChange(fields.map((f) => (f.uid === uid ? { ...f, ...patch } : f)));
  const move = (index: number, by: -1 | 1) => {
    const next = [...fields];
    const [row] = next.splice(index, 1);
    if (row) next.splice(index + by, 0, row);
    onChange(next);
  };
  const listError = errors.fields;

  return (
    <section class="panel" aria-labelledby="fields-title">
      <h2 id="fields-title" class="panel-title">
        {t("portals.fields")}
      </h2>
      <p class="hint" id="fields-hint">
        {t("portals.fieldsHint", { limit: LIMITS.customFields })}
      </p>
      <FieldError id={listError ? "fields-error" : undefined} text={listError} />
      {fields.length === 0 ? <p class="muted">{t("portals.fieldsNone")}</p> : null}
      <ol class="field-rows">
        {fields.map((f, i) => {
          const name = rowName(fields, i);
          const id = `pf-${f.uid}`;
          const rowError = errors[`fields.${i}`];
          const labelError = errors[`fields.${i}.label`];
          const optionsError = errors[`fields.${i}.options`];
          return (
            <li key={f.uid} class={`field-row${rowError || labelError || optionsError ? " has-error" : ""}`}>
              <div class="field-row-head">
                <h3 id={`${id}-name`}>
                  {name}
                  {isCustom(f.kind) ? null : <span class="tag small">{t("portals.standard")}</span>}
                </h3>
                <div class="row-buttons">
                  <button
                    type="button"
                    class="icon-button"
                    disabled={i === 0}
                    aria-label={t("portals.field.up", { name })}
                    title={t("portals.field.up", { name })}
                    onClick={() => move(i, -1)}
                  >
                    <Icon name="up" />
                  </button>
                  <button
                    type="button"
                    class="icon-button"
                    disabled={i === fields.length - 1}
                    aria-label={t("portals.field.down", { name })}
                    title={t("portals.field.down", { name })}
                    onClick={() => move(i, 1)}
                  >
                    <Icon name="down" />
                  </button>
                  <button
                    type="button"
                    class="button small ghost danger-text"
                    onClick={() => onChange(fields.filter((x) => x.uid !== f.uid))}
                  >
                    {t("portals.field.remove")}
                    <span class="visually-hidden"> {name}</span>
                  </button>
                </div>
              </div>
              <FieldError id={rowError ? `${id}-error` : undefined} text={rowError} />
              <div class="field-row-body">
                <div class={`field${labelError ? " has-error" : ""}`}>
                  <label for={`${id}-label`}>
                    {t("portals.field.label")}
                    <span class="visually-hidden"> ({name})</span>
                  </label>
                  <input
                    id={`${id}-label`}
                    type="text"
                    value={f.label}
                    placeholder={standardLabel(portalText[portalLanguage], f.kind)}
                    aria-invalid={labelError ? "true" : undefined}
                    aria-describedby={labelError ? `${id}-label-error` : undefined}
                    onInput={(e) => update(f.uid, { label: e.currentTarget.value })}
                  />
                  <FieldError id={labelError ? `${id}-label-error` : undefined} text={labelError} />
                </div>
                <label class="check required-check">
                  <input
                    type="checkbox"
                    checked={f.required}
                    onChange={(e) => update(f.uid, { required: e.currentTarget.checked })}
                  />
                  <span>
                    {t("portals.field.required")}
                    <span class="visually-hidden"> ({name})</span>
                  </span>
                </label>
                {f.kind === "select" ? (
                  <div class={`field options-field${optionsError ? " has-error" : ""}`}>
                    <label for={`${id}-options`}>
                      {t("portals.field.options")}
                      <span class="visually-hidden"> ({name})</span>
                    </label>
                    <textarea
                      id={`${id}-options`}
                      rows={4}
                      value={f.options}
                      aria-invalid={optionsError ? "true" : undefined}
                      aria-describedby={optionsError ? `${id}-options-error` : undefined}
                      onInput={(e) => update(f.uid, { options: e.currentTarget.value })}
                    />
                    <FieldError id={optionsError ? `${id}-options-error` : undefined} text={optionsError} />
                  </div>
                ) : null}
              </div>
            </li>
          );
        })}
      </ol>
      {addable.length > 0 ? (
        <div class="add-field">
          <div class="field">
            <label for="field-to-add">{t("portals.field.toAdd")}</label>
            <select
              id="field-to-add"
              value={chosen}
              onChange={(e) => setToAdd(e.currentTarget.value as FieldKind)}
            >
              {addable.map((kind) => (
                <option key={kind} value={kind}>
                  {t(`portals.field.${kind}`)}
                </option>
              ))}
            </select>
          </div>
          <button
            type="button"
            class="button secondary"
            onClick={() => {
              if (chosen === "") return;
              onChange([...fields, fieldDraft(chosen)]);
              setToAdd("");
            }}
          >
            {t("portals.field.add")}
          </button>
        </div>
      ) : (
        <p class="hint">{t("portals.fieldsFull")}</p>
      )}
    </section>
  );
}
