import { catalogs } from "../../../shared/i18n/index.js";
import type { Language } from "../../../shared/model.js";
import { Layout, renderPage } from "./Layout.js";

export function notFoundPage(lang: Language): string {
  const t = catalogs[lang];
  return renderPage(
    <Layout lang={lang} title={t["page.notFound.title"]}>
      <main class="card narrow">
        <p class="big" aria-hidden="true">
          404
        </p>
        <h1>{t["page.notFound.title"]}</h1>
        <p>{t["page.notFound.text"]}</p>
        <p class="muted">{t["page.notFound.hint"]}</p>
      </main>
    </Layout>,
  );
}

export function homePage(lang: Language): string {
  const t = catalogs[lang];
  return renderPage(
    <Layout lang={lang} title={t["page.home.title"]}>
      <main class="card narrow">
        <h1>{t["page.home.title"]}</h1>
        <p>{t["page.home.text"]}</p>
        <ul class="links">
          <li>
            <a href="/admin">{t["page.home.admin"]}</a>
          </li>
          <li>
            <a href="/console">{t["page.home.console"]}</a>
          </li>
          <li>
            <a href="/join">{t["page.home.join"]}</a>
          </li>
        </ul>
      </main>
    </Layout>,
  );
}

export function notBuiltPage(lang: Language): string {
  const t = catalogs[lang];
  return renderPage(
    <Layout lang={lang} title="Helpgate">
      <main class="card narrow">
        <h1>Helpgate</h1>
        <p>{t["page.notBuilt"]}</p>
      </main>
    </Layout>,
  );
}
