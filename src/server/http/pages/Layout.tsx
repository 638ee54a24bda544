import type { ComponentChildren } from "preact";
import { render } from "preact-render-to-string";
import type { Language } from "../../../shared/model.js";

export interface LayoutProps {
  lang: Language;
  title: string;
  stylesheets?: string[];
  /** Module scripts by address (CSP: script-src 'self', so never inline). */
  scripts?: string[];
  /** More elements for the head, e.g. a <noscript> meta refresh. */
  head?: ComponentChildren;
  children: ComponentChildren;
}

export function Layout({ lang, title, stylesheets = [], scripts = [], head, children }: LayoutProps) {
  return (
    <html lang={lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title}</title>
        <link rel="stylesheet" href="/static/page.css" />
        {stylesheets.map((href) => (
          <link rel="stylesheet" href={href} key={href} />
        ))}
        {scripts.map((src) => (
          <script type="module" src={src} key={src} />
        ))}
        {head}
      </head>
      <body>{children}</body>
    </html>
  );
}

/** Renders a page to HTML; preact-render-to-string escapes every text, so nothing typed becomes markup. */
export function renderPage(page: preact.VNode): string {
  return `<!doctype html>${render(page)}`;
}
