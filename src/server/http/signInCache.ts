import type { Actor } from "../commands/context.js";

/**
 * Each node's memory of recent sign-ins: the stored token hash of a cookie → who it is, so an
 * agent's every click and a race of accepts do not cost two database reads each. An entry lives
 * at most `ttlMs` (and never past its sign-in's expiry); every change that matters — sign-out, a
 * disabled user, a password reset, new role, portals or limit — drops the user's entries on every
 * node at once (the `sign-ins.changed` bus event, reactions/signIns.ts), and a node that may have
 * missed bus events forgets everything. Only sign-ins that exist are kept, so random cookies
 * cannot fill it. `ttlMs` 0 turns it off.
 */
export class SignInCache {
  private readonly entries = new Map<string, { actor: Actor; until: number }>();
  /**
   * Counts every forgetting. A lookup notes it before it reads the database and keeps its answer
   * only if nothing was forgotten meanwhile: a sign-out committing during the read cannot leave
   * the old answer cached.
   */
  epoch = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly max = 20_000,
  ) {}

  get(authSession: string): Actor | undefined {
    const e = this.entries.get(authSession);
    if (!e) return undefined;
    if (e.until <= this.now()) {
      this.entries.delete(authSession);
      return undefined;
    }
    return e.actor;
  }

  set(authSession: string, actor: Actor, expiresAt: number, epochAtLookup = this.epoch): void {
    if (this.ttlMs <= 0 || epochAtLookup !== this.epoch) return;
    if (this.entries.size >= this.max) {
      // The oldest entry goes (Map keeps insertion order).
      const first = this.entries.keys().next();
      if (!first.done) this.entries.delete(first.value);
    }
    this.entries.set(authSession, { actor, until: Math.min(this.now() + this.ttlMs, expiresAt) });
  }

  forgetUser(userId: string): void {
    this.epoch++;
    for (const [key, e] of this.entries) if (e.actor.user.id === userId) this.entries.delete(key);
  }

  clear(): void {
    this.epoch++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
