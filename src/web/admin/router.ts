import { signal } from "@preact/signals";

/** The admin pages' own path (History API); every page is a URL that can be reloaded and shared. */
export const path = signal(location.pathname);
/** Counts in-app navigations, so pages know to move focus to their heading (not on first load). */
export const navigations = signal(0);

window.addEventListener("popstate", () => {
  path.value = location.pathname;
  navigations.value += 1;
});

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === location.pathname) return;
  if (options.replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  path.value = to;
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
  | { page: "notFound" };

export function parseRoute(pathname: string): Route {
  const parts = pathname.replace(/\/+$/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] !== "admin") return { page: "notFound" };
  const [, section, id, ...rest] = parts;
  if (rest.length > 0) return { page: "notFound" };
  switch (section) {
    case undefined:
      return { page: "home" };
    case "account":
      return id === undefined ? { page: "account" } : { page: "notFound" };
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
    default:
      return "/admin/account";
  }
}
