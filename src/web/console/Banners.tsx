import { useEffect, useRef, useState } from "preact/hooks";
import { t } from "./i18n.js";
import { connection, notice } from "./state.js";

/** "Reconnecting…" while the socket is down, and a short "connected again" once it is back. */
export function ConnectionBanner() {
  const status = connection.value;
  const wasDown = useRef(false);
  const [back, setBack] = useState(false);
  useEffect(() => {
    if (status === "reconnecting") {
      wasDown.current = true;
      setBack(false);
    } else if (status === "open" && wasDown.current) {
      wasDown.current = false;
      setBack(true);
      const timer = setTimeout(() => setBack(false), 4000);
      return () => clearTimeout(timer);
    }
    return undefined;
  }, [status]);
  return (
    <div class="banner-slot" role="status">
      {status === "reconnecting" && (
        <p class="banner banner-warn">
          <span class="spinner" aria-hidden="true" />
          {t("reconnecting")}
        </p>
      )}
      {status === "connecting" && <p class="banner banner-info">{t("connecting")}</p>}
      {status === "open" && back && <p class="banner banner-ok">{t("reconnected")}</p>}
    </div>
  );
}

/** A message everyone must notice, e.g. "Already taken by Sam." after a late Accept. */
export function NoticeBanner() {
  const n = notice.value;
  return (
    <div class="notice-slot" role="alert">
      {n && (
        <p class="banner banner-error" key={n.id}>
          <span>{n.text}</span>
          <button type="button" class="btn btn-small" onClick={() => (notice.value = null)}>
            {t("dismiss")}
          </button>
        </p>
      )}
    </div>
  );
}
