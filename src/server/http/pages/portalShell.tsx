import type { ComponentChildren } from "preact";
import type { PortalTexts } from "../../../shared/i18n/portal.js";
import type { Language } from "../../../shared/model.js";
import { Layout } from "./Layout.js";

/** The customer bundle: a stable address, served with `cache-control: no-cache`. */
export const PORTAL_SCRIPT = "/assets/portal.js";

/** Whose page this is: a company portal's branding, or Helpgate's own (the global /join). */
export interface Brand {
  name: string;
  logoUrl: string | null;
  /** The portal's slug, for its colours at /p/<slug>/theme.css; null for Helpgate's own pages. */
  slug: string | null;
}

export interface ShellProps {
  lang: Language;
  t: PortalTexts;
  title: string;
  brand: Brand;
  head?: ComponentChildren;
  children: ComponentChildren;
}

/** Every customer page: the brand bar (banner), one main card, the footer (contentinfo). */
export function PortalShell({ lang, t, title, brand, head, children }: ShellProps) {
  return (
    <Layout
      lang={lang}
      title={title}
      stylesheets={brand.slug ? [`/p/${brand.slug}/theme.css`] : []}
      scripts={[PORTAL_SCRIPT]}
      head={head}
    >
      <header class={brand.slug ? "brand" : "brand neutral"}>
        <div class="brand-inner">
          {brand.logoUrl ? <img src={brand.logoUrl} alt="" class="logo" /> : null}
          <span class="brand-name">{brand.name}</span>
        </div>
      </header>
      {children}
      <footer class="page-footer muted small">{t.poweredBy}</footer>
    </Layout>
  );
}
