interface Entry {
  accountId: string;
  html: string;
  until: number;
}

/**
 * The portal pages as everyone who opens them right now sees them, rendered once and served to
 * the next visitors of the same portal. A busy portal gets hundreds of views a second; loading the
 * portal, asking whether an agent is free and rendering the page cost ≈ 0.2 ms of CPU each time.
 *
 * A change that shows on a portal page (portal or account settings, an agent signing in or out,
 * going available, taking or ending a session, an agent's name) publishes `portals.changed` for
 * its account, on every node (customerPagesChanged); this node then drops the account's pages.
 * An entry also lives at most ttlMs (HELPGATE_PORTAL_PAGE_CACHE_MS, 1 s by default), for what no event announces: a crashed node's
 * agents dropping out of presence. A render that started before a change is not kept after it.
 */
export class PortalPageCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;

  constructor(
    private readonly now: () => number,
    private readonly ttlMs: number,
  ) {}

  get(slug: string): string | null {
    const entry = this.entries.get(slug);
    if (!entry) return null;
    if (entry.until <= this.now()) {
      this.entries.delete(slug);
      return null;
    }
    return entry.html;
  }

  /** A token to pass to `set`: the page is kept only if nothing changed since it was taken. */
  begin(): number {
    return this.generation;
  }

  set(slug: string, accountId: string, html: string, token: number): void {
    if (token !== this.generation || this.ttlMs <= 0) return;
    this.entries.set(slug, { accountId, html, until: this.now() + this.ttlMs });
  }

  forgetAccount(accountId: string): void {
    this.generation++;
    for (const [slug, entry] of this.entries) if (entry.accountId === accountId) this.entries.delete(slug);
  }
}
