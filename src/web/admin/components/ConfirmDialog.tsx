import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { t } from "../../common/i18n.js";

let dialogCount = 0;

/**
 * A yes/no question in a modal on the native <dialog> (showModal): the page behind is inert, focus
 * starts on Cancel (the safe answer), Escape cancels, and focus goes back to the control that
 * opened it. A refusal of the action (`error`) shows inside it, so the question stays answerable.
 */
export function ConfirmDialog(props: {
  title: string;
  children: ComponentChildren;
  /** The confirming button's label. */
  confirm: string;
  danger?: boolean;
  busy?: boolean;
  error?: string | null;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const id = useRef("");
  if (id.current === "") {
    dialogCount += 1;
    id.current = `confirm-dialog-${dialogCount}`;
  }
  const close = useRef(props.onClose);
  close.current = props.onClose;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    cancel.current?.focus();
    const onCancel = (e: Event) => {
      // Escape: the owner unmounts the dialog.
      e.preventDefault();
      close.current();
    };
    dialog.addEventListener("cancel", onCancel);
    return () => {
      dialog.removeEventListener("cancel", onCancel);
      if (dialog.open) dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      class="confirm-dialog"
      aria-labelledby={`${id.current}-title`}
      aria-describedby={`${id.current}-text`}
    >
      <h2 id={`${id.current}-title`} class="confirm-dialog-title">
        {props.title}
      </h2>
      <div id={`${id.current}-text`} class="confirm-dialog-text">
        {props.children}
      </div>
      {props.error ? (
        <p class="form-alert" role="alert">
          {props.error}
        </p>
      ) : null}
      <div class="confirm-dialog-buttons">
        <button
          type="button"
          class={`button ${props.danger ? "danger" : "primary"}`}
          disabled={props.busy}
          onClick={props.onConfirm}
        >
          {props.confirm}
        </button>
        <button ref={cancel} type="button" class="button secondary" onClick={() => close.current()}>
          {t("admin.cancel")}
        </button>
      </div>
    </dialog>
  );
}
