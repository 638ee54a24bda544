import { signal } from "@preact/signals";

/** The admin pages' own path (History API); every page is a URL that can be reloaded and shared. */
export const path = signal(location.pathname);
/** The query string of the current URL ("?period=last7"), for pages whose state lives in it (reports). */
export const search = signal(location.search);
/** Counts in-app navigations, so pages know to move focus to their heading (not on first load). */
export const navigations = signal(0);

window.addEventListener("popstate", () => {
  path.value = location.pathname;
  search.value = location.search;
  navigations.value += 1;
});

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  path.value = location.pathname;
  search.value = location.search;
  navigations.value += 1;
  window.scrollTo(0, 0);
}

export type Route =
  | { page: "home" }
  | { page: "account" }
  | { page: "users" }
  | { page: "newUser" }
  | { page: "user"; id: string }
  | { page: "portals" }
  | { page: "newPortal" }
  | { page: "portal"; id: string }
  | { page: "accounts" }
  | { page: "integrations" }
  | { page: "newWebhook" }
  | { page: "webhook"; id: string }
  | { page: "deliveries" }
  | { page: "tokens" }
  | { page: "newToken" }
  | { page: "reports" }
  | { page: "canned" }
  | { page: "notFound" };

/** /admin/integrations[/webhooks/new | /webhooks/:id | /deliveries | /tokens | /tokens/new]. */
function integrationsRoute(rest: string[]): Route {
  const [first, second, ...more] = rest;
  if (more.length > 0) return { page: "notFound" };
  if (first === undefined) return { page: "integrations" };
  if (first === "webhooks") {
    if (second === undefined) return { page: "integrations" };
    return second === "new" ? { page: "newWebhook" } : { page: "webhook", id: second };
  }
  if (first === "deliveries") return second === undefined ? { page: "deliveries" } : { page: "notFound" };
  if (first === "tokens") {
    if (second === undefined) return { page: "tokens" };
    return second === "new" ? { page: "newToken" } : { page: "notFound" };
  }
  return { page: "notFound" };
}

export function parseRoute(pathname: string): Route {
  const parts = pathname.replace(/\/+$/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] !== "admin") return { page: "notFound" };
  const [, section, id, ...rest] = parts;
  if (section === "integrations") return integrationsRoute(parts.slice(2));
  if (rest.length > 0) return { page: "notFound" };
  switch (section) {
    case undefined:
      return { page: "home" };
    case "account":
      return id === undefined ? { page: "account" } : { page: "notFound" };
    case "reports":
      return id === undefined ? { page: "reports" } : { page: "notFound" };
    case "canned":
      return id === undefined ? { page: "canned" } : { page: "notFound" };
    case "accounts":
      return id === undefined ? { page: "accounts" } : { page: "notFound" };
    case "users":
      if (id === undefined) return { page: "users" };
      return id === "new" ? { page: "newUser" } : { page: "user", id };
    case "portals":
      if (id === undefined) return { page: "portals" };
      return id === "new" ? { page: "newPortal" } : { page: "portal", id };
    default:
      return { page: "notFound" };
  }
}

/** The list page of the section a route belongs to (used when the account changes). */
export function sectionOf(route: Route): string {
  switch (route.page) {
    case "home":
      return "/admin/portals";
    case "users":
    case "newUser":
    case "user":
      return "/admin/users";
    case "portals":
    case "newPortal":
    case "portal":
      return "/admin/portals";
    case "accounts":
      return "/admin/accounts";
    case "reports":
      return "/admin/reports";
    case "canned":
      return "/admin/canned";
    case "integrations":
    case "newWebhook":
    case "webhook":
    case "deliveries":
    case "tokens":
    case "newToken":
      return "/admin/integrations";
    default:
      return "/admin/account";
  }
}

/** Replaces the query string of the current page (a filter change: shareable, one history entry each). */
export function setSearch(query: string): void {
  const next = query === "" ? location.pathname : `${location.pathname}?${query}`;
  if (next === location.pathname + location.search) return;
  history.pushState(null, "", next);
  search.value = location.search;
}
