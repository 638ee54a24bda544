import { type Problem, problemText, textsFor } from "../../../shared/i18n/portal.js";
import type { Language } from "../../../shared/model.js";
import { ErrorSummary } from "./formParts.js";
import { renderPage } from "./Layout.js";
import { CodeForm } from "./portalPage.js";
import { PortalShell } from "./portalShell.js";

export interface JoinPageModel {
  lang: Language;
  code: string;
  error?: Problem | null;
  general?: string | null;
}

/** GET /join and /join/<code>: the global code portal, in Helpgate's own neutral branding. */
export function joinPage(model: JoinPageModel): string {
  const t = textsFor(model.lang);
  const error = model.error ? problemText(t, "code", model.error) : undefined;
  return renderPage(
    <PortalShell
      lang={model.lang}
      t={t}
      title={`${t.joinTitle} · Helpgate`}
      brand={{ name: "Helpgate", logoUrl: null, slug: null }}
    >
      <main id="main" class="card portal portal-join" data-view="form">
        <h1>{t.joinTitle}</h1>
        <p class="welcome">{t.joinText}</p>
        <ErrorSummary
          t={t}
          entries={error ? [{ field: "code", label: t.codeLabel, message: error }] : []}
          general={model.general ?? null}
        />
        <CodeForm t={t} action="/join" slug={null} value={model.code} error={error} />
      </main>
    </PortalShell>,
  );
}

/** A refusal that is no form error (a foreign Origin, an unreadable form): a friendly page. */
export function problemPage(lang: Language, message: string | null): string {
  const t = textsFor(lang);
  return renderPage(
    <PortalShell
      lang={lang}
      t={t}
      title={t.errorPageTitle}
      brand={{ name: "Helpgate", logoUrl: null, slug: null }}
    >
      <main id="main" class="card narrow">
        <h1>{t.errorPageTitle}</h1>
        {message ? <p>{message}</p> : null}
        <p class="muted">{t.errorPageText}</p>
      </main>
    </PortalShell>,
  );
}
