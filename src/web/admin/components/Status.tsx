import { failureText } from "../../common/forms.js";
import { t } from "../../common/i18n.js";

export function Loading() {
  return (
    <p class="loading" role="status">
      <span class="spinner" aria-hidden="true" />
      {t("admin.loading")}
    </p>
  );
}

export function LoadError({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div class="form-alert" role="alert">
      <p>{failureText(error)}</p>
      {retry ? (
        <button type="button" class="button secondary small" onClick={retry}>
          {t("admin.retry")}
        </button>
      ) : null}
    </div>
  );
}

/** A short-lived confirmation such as "Saved." next to a form's buttons. */
export function SavedNote({ show }: { show: boolean }) {
  return (
    <span class="saved-note" role="status">
      {show ? t("admin.saved") : ""}
    </span>
  );
}
