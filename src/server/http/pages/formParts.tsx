import type { ComponentChildren } from "preact";
import type { PortalTexts } from "../../../shared/i18n/portal.js";
import { counterText } from "../../../shared/i18n/portal.js";

/** One error in the summary at the top: a link to the field, its label and the message. */
export interface SummaryEntry {
  field: string;
  label: string;
  message: string;
}

export const fieldId = (key: string) => `f-${key}`;
export const errorId = (key: string) => `f-${key}-error`;

/**
 * The list of problems at the top of a form. Always in the page (hidden when empty), so the
 * bundle can fill it without a reload; server-rendered errors show here and next to each field.
 */
export function ErrorSummary({
  t,
  entries,
  general,
}: {
  t: PortalTexts;
  entries: SummaryEntry[];
  general?: string | null;
}) {
  const empty = entries.length === 0 && !general;
  return (
    <div class="error-summary" id="error-summary" tabindex={-1} role="alert" hidden={empty} data-summary>
      <h2 class="error-summary-title" data-summary-title hidden={entries.length === 0}>
        {t.summaryTitle}
      </h2>
      <p class="error-summary-general" data-summary-general hidden={!general}>
        {general ?? ""}
      </p>
      <ul data-summary-list>
        {entries.map((e) => (
          <li key={e.field}>
            <a href={`#${fieldId(e.field)}`}>
              {e.label}: {e.message}
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}

export type FieldControl =
  | { type: "text" | "email" | "tel"; autocomplete?: string; maxLength?: number }
  | { type: "textarea"; rows: number; counterLimit?: number }
  | { type: "select"; options: string[] };

export interface FieldProps {
  t: PortalTexts;
  name: string;
  label: string;
  required: boolean;
  control: FieldControl;
  value: string;
  error?: string | undefined;
  hint?: string;
  extraClass?: string;
  inputMode?: "numeric" | "text";
  autocompleteOff?: boolean;
}

/** A labelled control with its hint, its error (aria-invalid + aria-describedby) and optional counter. */
export function Field(props: FieldProps) {
  const { t, name, label, required, control, value, error, hint } = props;
  const id = fieldId(name);
  const described = [
    hint ? `${id}-hint` : null,
    control.type === "textarea" && control.counterLimit ? `${id}-counter` : null,
    error ? errorId(name) : null,
  ].filter((x): x is string => x !== null);
  const common = {
    id,
    name,
    "aria-invalid": error ? ("true" as const) : undefined,
    "aria-required": required ? ("true" as const) : undefined,
    "aria-describedby": described.length > 0 ? described.join(" ") : undefined,
  };
  let input: ComponentChildren;
  if (control.type === "textarea") {
    input = (
      <textarea
        {...common}
        rows={control.rows}
        data-counter={control.counterLimit ? `${id}-counter` : undefined}
        data-limit={control.counterLimit}
      >
        {value}
      </textarea>
    );
  } else if (control.type === "select") {
    input = (
      <select {...common}>
        <option value="">{t.choose}</option>
        {control.options.map((o) => (
          <option value={o} selected={o === value} key={o}>
            {o}
          </option>
        ))}
      </select>
    );
  } else {
    input = (
      <input
        {...common}
        type={control.type}
        value={value}
        autocomplete={props.autocompleteOff ? "off" : control.autocomplete}
        maxLength={control.maxLength}
        inputMode={props.inputMode}
        spellcheck={props.autocompleteOff ? false : undefined}
      />
    );
  }
  const over =
    control.type === "textarea" && control.counterLimit ? value.length > control.counterLimit : false;
  return (
    <div class={`field${error ? " has-error" : ""}${props.extraClass ? ` ${props.extraClass}` : ""}`}>
      <label for={id}>
        {label}
        {required ? null : <span class="optional"> ({t.optional})</span>}
      </label>
      {hint ? (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {input}
      {control.type === "textarea" && control.counterLimit ? (
        <p class={`counter${over ? " over" : ""}`} id={`${id}-counter`}>
          {counterText(t, value.length, control.counterLimit)}
        </p>
      ) : null}
      <p class="field-error" id={errorId(name)} hidden={!error}>
        {error ?? ""}
      </p>
    </div>
  );
}
