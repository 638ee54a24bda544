import type { ComponentChildren, JSX } from "preact";

/** What a form control needs to be tied to its label, hint and error message. */
export interface ControlProps {
  id: string;
  "aria-describedby"?: string;
  "aria-invalid"?: "true";
}

function describedBy(...ids: (string | false | undefined)[]): string | undefined {
  const list = ids.filter((id): id is string => typeof id === "string");
  return list.length > 0 ? list.join(" ") : undefined;
}

/** The ids of a control's hint and error (each only when shown), and both for aria-describedby. */
function partIds(id: string, hint: ComponentChildren, error: string | undefined) {
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  return { hintId, errorId, by: describedBy(hintId, errorId) };
}

function Hint({ id, text }: { id: string | undefined; text: ComponentChildren }) {
  if (!text) return null;
  return (
    <p id={id} class="hint">
      {text}
    </p>
  );
}

export interface FieldProps {
  id: string;
  label: ComponentChildren;
  hint?: ComponentChildren;
  error?: string | undefined;
  class?: string;
  /** Renders the control with the props that connect it to label, hint and error. */
  children: (control: ControlProps) => JSX.Element;
}

/** A labelled form control with an optional hint and its error right below it. */
export function Field({ id, label, hint, error, class: extra, children }: FieldProps) {
  const { hintId, errorId, by } = partIds(id, hint, error);
  const control: ControlProps = { id };
  if (by) control["aria-describedby"] = by;
  if (error) control["aria-invalid"] = "true";
  return (
    <div class={`field${error ? " has-error" : ""}${extra ? ` ${extra}` : ""}`}>
      <label for={id}>{label}</label>
      <Hint id={hintId} text={hint} />
      {children(control)}
      <FieldError id={errorId} text={error} />
    </div>
  );
}

export function FieldError({ id, text }: { id: string | undefined; text: string | undefined }) {
  if (!text || !id) return null;
  return (
    <p id={id} class="field-error">
      <span aria-hidden="true" class="field-error-icon">
        !
      </span>
      {text}
    </p>
  );
}

export interface GroupProps {
  id: string;
  legend: ComponentChildren;
  hint?: ComponentChildren;
  error?: string | undefined;
  /** "radiogroup" for a set of radio buttons (may carry aria-invalid); plain group otherwise. */
  radio?: boolean;
  class?: string;
  children: ComponentChildren;
}

/** A fieldset of radio buttons or checkboxes with a legend, hint and error. */
export function ChoiceGroup({ id, legend, hint, error, radio, class: extra, children }: GroupProps) {
  const { hintId, errorId, by } = partIds(id, hint, error);
  return (
    <fieldset
      id={id}
      class={`field group${error ? " has-error" : ""}${extra ? ` ${extra}` : ""}`}
      role={radio ? "radiogroup" : undefined}
      aria-describedby={by}
      aria-invalid={radio && error ? "true" : undefined}
      tabIndex={error ? -1 : undefined}
    >
      <legend>{legend}</legend>
      <Hint id={hintId} text={hint} />
      {children}
      <FieldError id={errorId} text={error} />
    </fieldset>
  );
}

/** The message on top of a form: errors that belong to no single field, or a pointer to the marked ones. */
export function FormAlert({ text }: { text: string | null }) {
  if (!text) return null;
  return (
    <div class="form-alert" role="alert" tabIndex={-1}>
      {text}
    </div>
  );
}

/** A checkbox shown as an on/off switch; a screen reader announces it as a switch. */
export function Switch(props: {
  id: string;
  label: ComponentChildren;
  hint?: ComponentChildren;
  error?: string | undefined;
  checked: boolean;
  disabled?: boolean;
  onChange: (checked: boolean) => void;
}) {
  const { hintId, errorId, by } = partIds(props.id, props.hint, props.error);
  return (
    <div class={`field switch-field${props.error ? " has-error" : ""}`}>
      <div class="switch-row">
        <input
          type="checkbox"
          role="switch"
          class="switch"
          id={props.id}
          checked={props.checked}
          aria-checked={props.checked}
          disabled={props.disabled}
          aria-describedby={by}
          aria-invalid={props.error ? "true" : undefined}
          onChange={(e) => props.onChange(e.currentTarget.checked)}
        />
        <label for={props.id}>{props.label}</label>
      </div>
      <Hint id={hintId} text={props.hint} />
      <FieldError id={errorId} text={props.error} />
    </div>
  );
}
