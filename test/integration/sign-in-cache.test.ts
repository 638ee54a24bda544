import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SignInCache } from "../../src/server/http/signInCache.js";
import type { UserRow } from "../../src/server/store/users.js";
import { call, login } from "../support/app.js";
import { dialects } from "../support/databases.js";
import {
  ask,
  createPortal,
  onlineAgent,
  patchUser,
  seedAgent,
  seedTenant,
  startWorld,
  type World,
} from "../support/scenario.js";

/**
 * Each node caches sign-ins for a few seconds (HELPGATE_SIGN_IN_CACHE_MS) so clicks and accept
 * races do not read the database twice each; every change that matters must still count at once.
 */

describe("SignInCache", () => {
  const actor = (id: string) => ({ user: { id } as UserRow });
  it("keeps an entry no longer than its TTL or its sign-in's expiry, and forgets a user's entries", () => {
    let now = 1000;
    const cache = new SignInCache(5000, () => now);
    cache.set("t1", actor("u1"), 3000);
    cache.set("t2", actor("u1"), 99_000);
    cache.set("t3", actor("u2"), 99_000);
    expect(cache.get("t1")?.user.id).toBe("u1");
    now = 3000;
    expect(cache.get("t1")).toBeUndefined(); // the sign-in expired
    expect(cache.get("t2")?.user.id).toBe("u1");
    cache.forgetUser("u1");
    expect(cache.get("t2")).toBeUndefined();
    expect(cache.get("t3")?.user.id).toBe("u2");
    now = 6001;
    expect(cache.get("t3")).toBeUndefined(); // TTL
  });

  it("does not keep an answer read while a forget happened (a sign-out committing during the lookup)", () => {
    const cache = new SignInCache(5000, () => 0);
    const epoch = cache.epoch;
    cache.forgetUser("u1"); // the sign-out's event, while the lookup was reading
    cache.set("t1", actor("u1"), 10_000, epoch);
    expect(cache.get("t1")).toBeUndefined();
    cache.set("t1", actor("u1"), 10_000, cache.epoch);
    expect(cache.get("t1")?.user.id).toBe("u1");
  });

  it("is bounded, and off at TTL 0", () => {
    const cache = new SignInCache(5000, () => 0, 3);
    for (let i = 0; i < 5; i++) cache.set(`t${i}`, actor(`u${i}`), 10_000);
    expect(cache.size).toBe(3);
    expect(cache.get("t0")).toBeUndefined();
    const off = new SignInCache(0, () => 0);
    off.set("t", actor("u"), 10_000);
    expect(off.get("t")).toBeUndefined();
  });
});

describe.each(dialects())("the sign-in cache never outlives a change, on %s", (dialect) => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld(dialect, { HELPGATE_SIGN_IN_CACHE_MS: "60000" });
  });
  afterAll(async () => {
    await world.close();
  });

  it("a disabled agent's cached cookie is refused on the very next request", async () => {
    const tenant = await seedTenant(world, "cache-disable");
    const agent = await seedAgent(world, tenant, "cdis");
    expect((await call(world.app, agent.cookie, "GET", "/api/v1/console")).status).toBe(200);
    await patchUser(world, tenant, agent, { disabled: true });
    expect((await call(world.app, agent.cookie, "GET", "/api/v1/console")).status).toBe(401);
  });

  it("a sign-out ends that cookie at once; the user's other sign-in goes on", async () => {
    const tenant = await seedTenant(world, "cache-out");
    const agent = await seedAgent(world, tenant, "cout");
    const second = await login(world.app, agent.user.email);
    expect((await call(world.app, agent.cookie, "GET", "/api/v1/console")).status).toBe(200);
    expect((await call(world.app, second, "GET", "/api/v1/console")).status).toBe(200);
    expect((await call(world.app, agent.cookie, "POST", "/api/v1/auth/logout")).status).toBeLessThan(300);
    expect((await call(world.app, agent.cookie, "GET", "/api/v1/console")).status).toBe(401);
    expect((await call(world.app, second, "GET", "/api/v1/console")).status).toBe(200);
  });

  it("a password reset ends every cached sign-in of the user", async () => {
    const tenant = await seedTenant(world, "cache-reset");
    const agent = await seedAgent(world, tenant, "creset");
    expect((await call(world.app, agent.cookie, "GET", "/api/v1/console")).status).toBe(200);
    const reset = await call(
      world.app,
      tenant.adminCookie,
      "POST",
      `/api/v1/accounts/${tenant.account.id}/users/${agent.user.id}/password`,
      { password: "a-brand-new-password" },
    );
    expect(reset.status).toBeLessThan(300);
    expect((await call(world.app, agent.cookie, "GET", "/api/v1/console")).status).toBe(401);
  });

  it("a new portal assignment counts on the next request (accepting there works at once)", async () => {
    const tenant = await seedTenant(world, "cache-portal");
    const anna = await seedAgent(world, tenant, "canna");
    const ben = await seedAgent(world, tenant, "cben");
    const portal = await createPortal(world, tenant, "question", [ben]);
    const bens = await onlineAgent(world, ben);
    const s = await ask(world, portal.slug, { name: "Ola", question: "q" });
    // Anna's cookie is cached without the portal: refused.
    const before = await call(world.app, anna.cookie, "POST", `/api/v1/requests/${s.requestId}/accept`);
    expect(before.status).toBe(403);
    await patchUser(world, tenant, anna, { portalIds: [portal.id] });
    const after = await call(world.app, anna.cookie, "POST", `/api/v1/requests/${s.requestId}/accept`);
    expect(after.status).toBe(200);
    await bens.close();
  });

  it("a change of a portal's agents counts at once for the agents added and removed", async () => {
    const tenant = await seedTenant(world, "cache-portal-agents");
    const cara = await seedAgent(world, tenant, "ccara");
    const dirk = await seedAgent(world, tenant, "cdirk");
    const portal = await createPortal(world, tenant, "question", [cara]);
    const caras = await onlineAgent(world, cara);
    const first = await ask(world, portal.slug, { name: "Pia", question: "q" });
    // Both cookies cached: Dirk is not on the portal yet.
    expect((await call(world.app, dirk.cookie, "GET", "/api/v1/console")).status).toBe(200);
    expect((await call(world.app, cara.cookie, "GET", "/api/v1/console")).status).toBe(200);
    const moved = await call(
      world.app,
      tenant.adminCookie,
      "PATCH",
      `/api/v1/accounts/${tenant.account.id}/portals/${portal.id}`,
      { agentIds: [dirk.user.id] },
    );
    expect(moved.status).toBe(200);
    // Cara, just removed, can no longer take its customer; Dirk, just added, can.
    const removed = await call(world.app, cara.cookie, "POST", `/api/v1/requests/${first.requestId}/accept`);
    expect(removed.status).toBe(403);
    const added = await call(world.app, dirk.cookie, "POST", `/api/v1/requests/${first.requestId}/accept`);
    expect(added.status).toBe(200);
    await caras.close();
  });
});
