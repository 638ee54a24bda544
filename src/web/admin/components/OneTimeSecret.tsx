import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { t } from "../../common/i18n.js";
import { CopyButton } from "./CopyButton.js";

/** A generated password, shown once with a copy button and a reminder that it will not be shown again. */
export function OneTimeSecret(props: {
  title: string;
  text: string;
  secret: string;
  onDone: () => void;
  /** What the secret is, for screen readers and the copy button (default: a password). */
  label?: string;
  copyLabel?: string;
  /** The button that closes it (default: "Done, I have passed it on"). */
  doneLabel?: string;
  /** Shown between the secret and the buttons (e.g. an example of its use). */
  extra?: ComponentChildren;
  children?: ComponentChildren;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  // Shown after a save: move focus here, so keyboard and screen reader users find the password.
  useEffect(() => heading.current?.focus(), []);
  return (
    <section class="secret" aria-labelledby="secret-title">
      <h2 id="secret-title" ref={heading} tabIndex={-1}>
        {props.title}
      </h2>
      <p>{props.text}</p>
      <div class="secret-value">
        <span class="visually-hidden">{props.label ?? t("secret.password")}: </span>
        <code>{props.secret}</code>
        <CopyButton text={props.secret} label={props.copyLabel ?? t("secret.copy")} />
      </div>
      {props.extra}
      <div class="actions">
        {props.children}
        <button type="button" class="button secondary" onClick={props.onDone}>
          {props.doneLabel ?? t("secret.done")}
        </button>
      </div>
    </section>
  );
}
