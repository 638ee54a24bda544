import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { t } from "./i18n.js";

let modalCount = 0;

/**
 * A modal dialog on the native <dialog> (showModal): the page behind is inert, focus stays inside,
 * Escape closes it. Focus goes to the first field (or `initialFocus`) when it opens and back to
 * the control that opened it when it closes — or to `returnFocus` when that control is gone.
 */
export function Modal(props: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  class?: string;
  /** A selector inside the dialog for the element to focus first, or "title" for its heading. */
  initialFocus?: string;
  /** The element to focus afterwards when the opener no longer exists (e.g. its button went away). */
  returnFocus?: () => HTMLElement | null;
  describedBy?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const idRef = useRef<string>("");
  if (idRef.current === "") {
    modalCount += 1;
    idRef.current = `modal-${modalCount}`;
  }
  const titleId = `${idRef.current}-title`;
  const close = useRef(props.onClose);
  close.current = props.onClose;
  const returnFocus = useRef(props.returnFocus);
  returnFocus.current = props.returnFocus;
  const initial = props.initialFocus;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    const first =
      (initial === "title"
        ? dialog.querySelector<HTMLElement>(".modal-head h2")
        : initial
          ? dialog.querySelector<HTMLElement>(initial)
          : null) ??
      dialog.querySelector<HTMLElement>(
        "input:not([disabled]), textarea:not([disabled]), select:not([disabled]), .modal-body button:not([disabled])",
      );
    first?.focus();
    const onCancel = (e: Event) => {
      // Escape: the owner of the dialog decides (it unmounts it).
      e.preventDefault();
      close.current();
    };
    dialog.addEventListener("cancel", onCancel);
    return () => {
      dialog.removeEventListener("cancel", onCancel);
      if (dialog.open) dialog.close();
      const target = opener?.isConnected ? opener : (returnFocus.current?.() ?? null);
      target?.focus();
    };
  }, [initial]);

  return (
    <dialog
      ref={ref}
      class={`modal ${props.class ?? ""}`}
      aria-labelledby={titleId}
      aria-describedby={props.describedBy}
    >
      <div class="modal-head">
        <h2 id={titleId} tabIndex={-1}>
          {props.title}
        </h2>
        <button
          type="button"
          class="icon-button"
          aria-label={t("closeDialog")}
          title={t("closeDialog")}
          onClick={() => close.current()}
        >
          ×
        </button>
      </div>
      <div class="modal-body">{props.children}</div>
    </dialog>
  );
}

/** A yes/no question in a modal: the confirming button is named by `confirm`. */
export function ConfirmDialog(props: {
  title: string;
  text: string;
  confirm: string;
  busy?: boolean;
  error?: string | null;
  danger?: boolean;
  onConfirm: () => void;
  onClose: () => void;
  returnFocus?: () => HTMLElement | null;
}) {
  const textId = useRef(`confirm-${Math.random().toString(36).slice(2)}`).current;
  return (
    <Modal
      title={props.title}
      onClose={props.onClose}
      class="modal-small"
      describedBy={textId}
      initialFocus=".confirm-cancel"
      {...(props.returnFocus ? { returnFocus: props.returnFocus } : {})}
    >
      <p id={textId} class="modal-text">
        {props.text}
      </p>
      {props.error && (
        <p class="form-error" role="alert">
          {props.error}
        </p>
      )}
      <div class="modal-actions">
        <button
          type="button"
          class={props.danger ? "btn btn-danger-solid" : "btn btn-primary"}
          disabled={props.busy}
          onClick={props.onConfirm}
        >
          {props.confirm}
        </button>
        <button type="button" class="btn confirm-cancel" onClick={props.onClose}>
          {t("cancel")}
        </button>
      </div>
    </Modal>
  );
}
