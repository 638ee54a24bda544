import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Account, Me, Portal, User } from "../../src/shared/api.js";
import { bodyOf, expectError, NO_SUCH_ID, portalOf } from "../support/api.js";
import {
  type Call,
  call,
  login,
  PASSWORD,
  type SeededAccount,
  seedAccount,
  seedUser,
  startTestApp,
  type TestApp,
} from "../support/app.js";
import { dialects } from "../support/databases.js";

type Method = "GET" | "POST" | "PATCH";

interface Probe {
  name: string;
  method: Method;
  url: string;
  payload?: Record<string, unknown>;
}

interface Snapshot {
  account: Account;
  users: User[];
  portals: Portal[];
}

/**
 * An admin of account A tries every read and write of account B's users and portals. Every one
 * must answer 404, with the same body as for an id that exists nowhere, and change nothing.
 */
describe.each(dialects())("tenant isolation on %s", (dialect) => {
  let app: TestApp;
  let a: SeededAccount;
  let b: SeededAccount;
  let aAdmin: string;
  let aManager: string;
  let aAgent: string;
  let bAdmin: string;
  let bAgent: User;
  let bManager: User;
  let bPortal: Portal;
  let aPortal: Portal;
  let before: Snapshot;

  async function snapshotOfB(): Promise<Snapshot> {
    const base = `/api/v1/accounts/${b.account.id}`;
    const account = await call(app, bAdmin, "GET", base);
    const users = await call(app, bAdmin, "GET", `${base}/users`);
    const portals = await call(app, bAdmin, "GET", `${base}/portals`);
    expect([account.status, users.status, portals.status]).toEqual([200, 200, 200]);
    return {
      account: bodyOf<Account>(account),
      users: bodyOf<User[]>(users),
      portals: bodyOf<Portal[]>(portals),
    };
  }

  beforeAll(async () => {
    app = await startTestApp(dialect);
    a = await seedAccount(app, "tenant-a", "web");
    b = await seedAccount(app, "tenant-b", "web");
    await seedUser(app, a.account.id, "manager@tenant-a.test.example", "manager");
    await seedUser(app, a.account.id, "agent@tenant-a.test.example", "agent");
    bManager = await seedUser(app, b.account.id, "manager@tenant-b.test.example", "manager");
    bAgent = await seedUser(app, b.account.id, "agent@tenant-b.test.example", "agent");
    aAdmin = await login(app, a.admin.email);
    aManager = await login(app, "manager@tenant-a.test.example");
    aAgent = await login(app, "agent@tenant-a.test.example");
    bAdmin = await login(app, b.admin.email);
    const bp = await call(app, bAdmin, "POST", `/api/v1/accounts/${b.account.id}/portals`, {
      slug: "tenant-b-help",
      type: "pick-agent",
      name: "B help",
      agentIds: [bAgent.id],
    });
    expect(bp.status).toBe(201);
    bPortal = portalOf(bp);
    const ap = await call(app, aAdmin, "POST", `/api/v1/accounts/${a.account.id}/portals`, {
      slug: "tenant-a-help",
      type: "question",
      name: "A help",
    });
    expect(ap.status).toBe(201);
    aPortal = portalOf(ap);
    before = await snapshotOfB();
  });
  afterAll(async () => {
    await app.close();
  });

  /** Every read and write of B, through B's own account path. */
  function viaBPath(): Probe[] {
    const base = `/api/v1/accounts/${b.account.id}`;
    const user = `${base}/users/${bAgent.id}`;
    const portal = `${base}/portals/${bPortal.id}`;
    return [
      { name: "GET account B", method: "GET", url: base },
      { name: "PATCH account B", method: "PATCH", url: base, payload: { name: "Taken over", mode: "queue" } },
      { name: "PATCH account B web chat", method: "PATCH", url: base, payload: { webChatEnabled: true } },
      { name: "list B's users", method: "GET", url: `${base}/users` },
      {
        name: "create a user in B",
        method: "POST",
        url: `${base}/users`,
        payload: {
          email: "spy@tenant-a.test.example",
          displayName: "Spy",
          role: "admin",
          password: PASSWORD,
        },
      },
      { name: "GET B's user", method: "GET", url: user },
      { name: "GET B's admin", method: "GET", url: `${base}/users/${b.admin.id}` },
      {
        name: "PATCH B's user",
        method: "PATCH",
        url: user,
        payload: { role: "admin", displayName: "Hacked" },
      },
      {
        name: "disable B's admin",
        method: "PATCH",
        url: `${base}/users/${b.admin.id}`,
        payload: { disabled: true },
      },
      { name: "reset B's user's password", method: "POST", url: `${user}/password`, payload: {} },
      {
        name: "set B's admin's password",
        method: "POST",
        url: `${base}/users/${b.admin.id}/password`,
        payload: { password: "attacker-password" },
      },
      { name: "list B's portals", method: "GET", url: `${base}/portals` },
      {
        name: "create a portal in B",
        method: "POST",
        url: `${base}/portals`,
        payload: { slug: "tenant-b-spy", type: "question", name: "Spy" },
      },
      { name: "GET B's portal", method: "GET", url: portal },
      {
        name: "PATCH B's portal",
        method: "PATCH",
        url: portal,
        payload: { enabled: false, title: "Hacked" },
      },
    ];
  }

  /** B's user and portal ids, through A's own account path. */
  function viaAPath(): Probe[] {
    const base = `/api/v1/accounts/${a.account.id}`;
    const user = `${base}/users/${bAgent.id}`;
    const portal = `${base}/portals/${bPortal.id}`;
    return [
      { name: "GET B's user", method: "GET", url: user },
      { name: "GET B's manager", method: "GET", url: `${base}/users/${bManager.id}` },
      { name: "GET B's admin", method: "GET", url: `${base}/users/${b.admin.id}` },
      {
        name: "PATCH B's user",
        method: "PATCH",
        url: user,
        payload: { role: "admin", displayName: "Hacked" },
      },
      {
        name: "disable B's admin",
        method: "PATCH",
        url: `${base}/users/${b.admin.id}`,
        payload: { disabled: true },
      },
      { name: "reset B's user's password", method: "POST", url: `${user}/password`, payload: {} },
      {
        name: "set B's admin's password",
        method: "POST",
        url: `${base}/users/${b.admin.id}/password`,
        payload: { password: "attacker-password" },
      },
      { name: "GET B's portal", method: "GET", url: portal },
      {
        name: "PATCH B's portal",
        method: "PATCH",
        url: portal,
        payload: { enabled: false, title: "Hacked" },
      },
    ];
  }

  /** The same probe with the id of B replaced by one that exists nowhere: the answer to compare with. */
  function unknownTwin(p: Probe): Probe {
    const url = p.url
      .replace(b.account.id, NO_SUCH_ID)
      .replace(bAgent.id, NO_SUCH_ID)
      .replace(bManager.id, NO_SUCH_ID)
      .replace(b.admin.id, NO_SUCH_ID)
      .replace(bPortal.id, NO_SUCH_ID);
    return { ...p, url };
  }

  const send = (cookie: string, p: Probe): Promise<Call> => call(app, cookie, p.method, p.url, p.payload);

  it("an admin of A gets 404 for every read and write of B through B's account path", async () => {
    for (const probe of viaBPath()) {
      const r = await send(aAdmin, probe);
      const body = expectError(r, 404, "not_found");
      expect(body.message, probe.name).toBe("Account not found.");
      const twin = await send(aAdmin, unknownTwin(probe));
      expect(r.body, probe.name).toEqual(twin.body);
      expect(r.res.body, probe.name).not.toContain(b.account.name);
    }
  });

  it("an admin of A gets 404 for B's users and portals through A's account path", async () => {
    for (const probe of viaAPath()) {
      const r = await send(aAdmin, probe);
      expectError(r, 404, "not_found");
      const twin = await send(aAdmin, unknownTwin(probe));
      expect(twin.status, probe.name).toBe(404);
      expect(r.body, probe.name).toEqual(twin.body);
      expect(r.res.body, probe.name).not.toContain("tenant-b");
    }
  });

  it("managers and agents of A get 404 on B's path, never a 403 that would confirm B exists", async () => {
    for (const cookie of [aManager, aAgent]) {
      for (const probe of viaBPath()) {
        const r = await send(cookie, probe);
        expect(r.status, probe.name).toBe(404);
        expect(r.body, probe.name).toEqual((await send(cookie, unknownTwin(probe))).body);
      }
      // On A's own path they get what they would get for any id there (404, or 403 for admin
      // writes they may not make in A at all): the same answer as for an id that exists nowhere.
      for (const probe of viaAPath()) {
        const r = await send(cookie, probe);
        expect([403, 404], probe.name).toContain(r.status);
        const twin = await send(cookie, unknownTwin(probe));
        expect(r.status, probe.name).toBe(twin.status);
        expect(r.body, probe.name).toEqual(twin.body);
      }
    }
  });

  it("B's users and portals cannot be attached to A's portals and users (400, like unknown ids)", async () => {
    const base = `/api/v1/accounts/${a.account.id}`;
    const attempts: [Probe, string][] = [
      [
        {
          name: "create A user on B's portal",
          method: "POST",
          url: `${base}/users`,
          payload: {
            email: "x@tenant-a.test.example",
            displayName: "X",
            role: "agent",
            portalIds: [bPortal.id],
          },
        },
        "portalIds",
      ],
      [
        {
          name: "move A admin onto B's portal",
          method: "PATCH",
          url: `${base}/users/${a.admin.id}`,
          payload: { portalIds: [bPortal.id] },
        },
        "portalIds",
      ],
      [
        {
          name: "create A portal with B's agent",
          method: "POST",
          url: `${base}/portals`,
          payload: { slug: "tenant-a-spy", type: "pick-agent", name: "Spy", agentIds: [bAgent.id] },
        },
        "agentIds",
      ],
      [
        {
          name: "assign B's agent to A's portal",
          method: "PATCH",
          url: `${base}/portals/${aPortal.id}`,
          payload: { agentIds: [bAgent.id, bManager.id] },
        },
        "agentIds",
      ],
    ];
    for (const [probe, field] of attempts) {
      const r = await send(aAdmin, probe);
      expectError(r, 400, field === "portalIds" ? "unknown_portal" : "unknown_agent", field);
      const payload = { ...probe.payload, [field]: [NO_SUCH_ID] };
      const twin = await send(aAdmin, { ...probe, payload });
      expect(r.body, probe.name).toEqual(twin.body);
    }
    // A's side is unchanged too.
    const portal = await call(app, aAdmin, "GET", `${base}/portals/${aPortal.id}`);
    expect(portalOf(portal).agentIds).toEqual([]);
    const admin = await call(app, aAdmin, "GET", `${base}/users/${a.admin.id}`);
    expect(bodyOf<User>(admin).portalIds).toEqual([]);
  });

  it("A's lists, its /auth/me and its account list never include B", async () => {
    const base = `/api/v1/accounts/${a.account.id}`;
    const users = bodyOf<User[]>(await call(app, aAdmin, "GET", `${base}/users`));
    expect(users.every((u) => u.accountId === a.account.id)).toBe(true);
    expect(users.map((u) => u.id)).not.toContain(bAgent.id);
    const portals = bodyOf<Portal[]>(await call(app, aAdmin, "GET", `${base}/portals`));
    expect(portals.map((p) => p.id)).toEqual([aPortal.id]);
    for (const cookie of [aAdmin, aManager, aAgent]) {
      const accounts = bodyOf<Account[]>(await call(app, cookie, "GET", "/api/v1/accounts"));
      expect(accounts.map((x) => x.id)).toEqual([a.account.id]);
      const me = bodyOf<Me>(await call(app, cookie, "GET", "/api/v1/auth/me"));
      expect(me.accounts.map((x) => x.id)).toEqual([a.account.id]);
    }
  });

  it("afterwards B is exactly as it was: data, passwords and sessions", async () => {
    expect(await snapshotOfB()).toEqual(before);
    // B's admin still signs in with the old password, and the old session still works.
    expect((await call(app, bAdmin, "GET", "/api/v1/auth/me")).status).toBe(200);
    await login(app, b.admin.email, PASSWORD);
    await login(app, bAgent.email, PASSWORD);
    // Nobody was created in B or elsewhere by the attempts.
    const unknownLogin = await app.server.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      remoteAddress: "203.0.113.9",
      payload: { email: "spy@tenant-a.test.example", password: PASSWORD },
    });
    expect(unknownLogin.statusCode).toBe(401);
    const page = await app.server.inject({ method: "GET", url: "/p/tenant-b-help" });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain("Hacked");
    expect((await app.server.inject({ method: "GET", url: "/p/tenant-b-spy" })).statusCode).toBe(404);
  });
});
