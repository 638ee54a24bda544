import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { User } from "../../src/shared/api.js";
import { LIMITS } from "../../src/shared/model.js";
import {
  bodyOf,
  type CreatedUserBody,
  expectBodyErrors,
  expectError,
  expectTooLong,
  GENERATED_PASSWORD,
  long,
  NO_SUCH_ID,
  portalOf,
  userOf,
} from "../support/api.js";
import {
  call,
  freshAddress,
  login,
  ORIGIN,
  PASSWORD,
  type SeededAccount,
  seedAccount,
  seedUser,
  startTestApp,
  type TestApp,
} from "../support/app.js";
import { dialects } from "../support/databases.js";

describe.each(dialects())("users API on %s", (dialect) => {
  let app: TestApp;
  let acme: SeededAccount;
  let other: SeededAccount;
  let admin: string;
  let manager: string;
  let agent: string;
  let managerUser: User;
  let agentUser: User;
  let portalId: string;
  let secondPortalId: string;
  let foreignPortalId: string;
  let users: string;
  let operator: string;

  /** A sign-in attempt that reports the status rather than throwing. */
  async function signInStatus(email: string, password: string, from = freshAddress()): Promise<number> {
    const res = await app.server.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      remoteAddress: from,
      headers: { origin: ORIGIN },
      payload: { email, password },
    });
    return res.statusCode;
  }

  beforeAll(async () => {
    app = await startTestApp(dialect);
    acme = await seedAccount(app, "acme");
    other = await seedAccount(app, "other");
    managerUser = await seedUser(app, acme.account.id, "manager@acme.test.example", "manager");
    agentUser = await seedUser(app, acme.account.id, "agent@acme.test.example", "agent");
    admin = await login(app, acme.admin.email);
    manager = await login(app, managerUser.email);
    agent = await login(app, agentUser.email);
    await seedUser(app, null, "op@helpgate.test.example", "operator");
    operator = await login(app, "op@helpgate.test.example");
    users = `/api/v1/accounts/${acme.account.id}/users`;
    const p = await call(app, admin, "POST", `/api/v1/accounts/${acme.account.id}/portals`, {
      slug: "acme-help",
      type: "question",
      name: "Help",
    });
    portalId = portalOf(p).id;
    const p2 = await call(app, admin, "POST", `/api/v1/accounts/${acme.account.id}/portals`, {
      slug: "acme-button",
      type: "button",
      name: "Button",
    });
    secondPortalId = portalOf(p2).id;
    const otherAdmin = await login(app, other.admin.email);
    const fp = await call(app, otherAdmin, "POST", `/api/v1/accounts/${other.account.id}/portals`, {
      slug: "other-help",
      type: "question",
      name: "Other help",
    });
    foreignPortalId = portalOf(fp).id;
  });
  afterAll(async () => {
    await app.close();
  });

  const listUsers = async (): Promise<User[]> => bodyOf<User[]>(await call(app, admin, "GET", users));

  describe("GET /accounts/:accountId/users", () => {
    it("admins and managers list the account's users, without secrets", async () => {
      for (const cookie of [admin, manager]) {
        const r = await call(app, cookie, "GET", users);
        expect(r.status).toBe(200);
        const list = bodyOf<User[]>(r);
        expect(list.map((u) => u.email)).toEqual(
          expect.arrayContaining([acme.admin.email, managerUser.email, agentUser.email]),
        );
        expect(list.every((u) => u.accountId === acme.account.id)).toBe(true);
        expect(list.some((u) => u.email === other.admin.email)).toBe(false);
        expect(r.res.body).not.toContain("argon2");
        expect(r.res.body).not.toContain("passwordHash");
      }
    });

    it("agents may not list users (403); no cookie 401; other or unknown account 404", async () => {
      expectError(await call(app, agent, "GET", users), 403, "forbidden");
      expectError(await call(app, null, "GET", users), 401, "signed_out");
      expectError(
        await call(app, admin, "GET", `/api/v1/accounts/${other.account.id}/users`),
        404,
        "not_found",
      );
      expectError(await call(app, admin, "GET", `/api/v1/accounts/${NO_SUCH_ID}/users`), 404, "not_found");
    });
  });

  describe("POST /accounts/:accountId/users", () => {
    it("creates a user with a generated password that is returned once and works", async () => {
      const r = await call(app, admin, "POST", users, {
        email: "New.Agent@Acme.test.example",
        displayName: "  New Agent ",
        role: "agent",
      });
      expect(r.status).toBe(201);
      const created = bodyOf<CreatedUserBody>(r);
      expect(created.user).toMatchObject({
        accountId: acme.account.id,
        email: "new.agent@acme.test.example",
        displayName: "New Agent",
        role: "agent",
        maxSessions: 3,
        disabled: false,
        avatarUrl: null,
        portalIds: [],
      });
      expect(created.generatedPassword).toMatch(GENERATED_PASSWORD);
      await login(app, "new.agent@acme.test.example", created.generatedPassword ?? "");
      // Reading the user back never shows the password again.
      const got = await call(app, admin, "GET", `${users}/${created.user.id}`);
      expect(got.status).toBe(200);
      expect(userOf(got)).toEqual(created.user);
      expect(got.res.body).not.toContain(created.generatedPassword ?? "");
    });

    it("creates a user with a given password, avatar, limit and portals", async () => {
      const r = await call(app, admin, "POST", users, {
        email: "full@acme.test.example",
        displayName: "Full",
        role: "manager",
        password: "given-password",
        avatarUrl: "https://cdn.example.com/a.png",
        maxSessions: LIMITS.maxSessionsMax,
        portalIds: [portalId, secondPortalId, portalId],
      });
      expect(r.status).toBe(201);
      const created = bodyOf<CreatedUserBody>(r);
      expect(created.generatedPassword).toBeNull();
      expect(created.user).toMatchObject({
        role: "manager",
        avatarUrl: "https://cdn.example.com/a.png",
        maxSessions: LIMITS.maxSessionsMax,
      });
      expect([...created.user.portalIds].sort()).toEqual([portalId, secondPortalId].sort());
      await login(app, "full@acme.test.example", "given-password");
      // The portal lists the user among its agents.
      const portal = await call(app, admin, "GET", `/api/v1/accounts/${acme.account.id}/portals/${portalId}`);
      expect(portalOf(portal).agentIds).toContain(created.user.id);
    });

    it("refuses a duplicate email, in any case and across accounts, with 409 naming email", async () => {
      const dup = await call(app, admin, "POST", users, {
        email: agentUser.email.toUpperCase(),
        displayName: "Dup",
        role: "agent",
      });
      const body = expectError(dup, 409, "duplicate", "email", "duplicate");
      expect(body.message).toContain(agentUser.email);
      const cross = await call(app, admin, "POST", users, {
        email: other.admin.email,
        displayName: "Dup",
        role: "agent",
      });
      expectError(cross, 409, "duplicate", "email", "duplicate");
    });

    it("refuses portals of another account with 400, exactly like unknown ones, and creates nothing", async () => {
      const before = (await listUsers()).length;
      const foreign = await call(app, admin, "POST", users, {
        email: "leak@acme.test.example",
        displayName: "Leak",
        role: "agent",
        portalIds: [portalId, foreignPortalId],
      });
      const body = expectError(foreign, 400, "unknown_portal", "portalIds", "unknown_portal");
      expect(body.message).not.toContain(foreignPortalId);
      const unknown = await call(app, admin, "POST", users, {
        email: "leak@acme.test.example",
        displayName: "Leak",
        role: "agent",
        portalIds: [NO_SUCH_ID],
      });
      expect(unknown.status).toBe(400);
      expect(unknown.body).toEqual(foreign.body);
      expect((await listUsers()).length).toBe(before);
      expect(await signInStatus("leak@acme.test.example", PASSWORD)).toBe(401);
    });

    it("managers and agents may not create users (403); no cookie 401; other account 404", async () => {
      const input = { email: "nope@acme.test.example", displayName: "Nope", role: "agent" };
      expectError(await call(app, manager, "POST", users, input), 403, "forbidden");
      expectError(await call(app, agent, "POST", users, input), 403, "forbidden");
      expectError(await call(app, null, "POST", users, input), 401, "signed_out");
      expectError(
        await call(app, admin, "POST", `/api/v1/accounts/${other.account.id}/users`, input),
        404,
        "not_found",
      );
      expect((await listUsers()).some((u) => u.email === "nope@acme.test.example")).toBe(false);
    });

    it("validates every field", async () => {
      const base = { email: "valid@acme.test.example", displayName: "Valid", role: "agent" };
      const post = (body: unknown) => call(app, admin, "POST", users, body);
      const { email: _e, ...noEmail } = base;
      const { displayName: _d, ...noName } = base;
      const { role: _r, ...noRole } = base;
      expectError(await post(noEmail), 400, "validation", "email", "required");
      expectError(await post(noName), 400, "validation", "displayName", "required");
      expectError(await post(noRole), 400, "validation", "role", "required");
      expectError(await post({ ...base, displayName: "" }), 400, "validation", "displayName", "required");
      expectTooLong(
        await post({ ...base, displayName: long(LIMITS.userName + 1) }),
        "displayName",
        LIMITS.userName,
      );
      expectTooLong(await post({ ...base, email: `${long(LIMITS.email)}@x.de` }), "email", LIMITS.email);
      const email = expectError(
        await post({ ...base, email: "no at sign" }),
        400,
        "validation",
        "email",
        "invalid",
      );
      expect(email.fields?.email?.message).toBe("must be an email address such as name@example.com");
      const role = expectError(
        await post({ ...base, role: "operator" }),
        400,
        "validation",
        "role",
        "not_allowed",
      );
      expect(role.fields?.role?.message).toBe("must be one of: admin, manager, agent");
      const short = expectError(
        await post({ ...base, password: "1234567" }),
        400,
        "validation",
        "password",
        "too_short",
      );
      expect(short.fields?.password?.params).toEqual({ limit: LIMITS.passwordMin });
      expect(short.message).toBe("Password must be at least 8 characters.");
      expectTooLong(
        await post({ ...base, password: long(LIMITS.passwordMax + 1) }),
        "password",
        LIMITS.passwordMax,
      );
      const low = expectError(
        await post({ ...base, maxSessions: 0 }),
        400,
        "validation",
        "maxSessions",
        "too_small",
      );
      expect(low.fields?.maxSessions?.params).toEqual({ limit: LIMITS.maxSessionsMin });
      const high = expectError(
        await post({ ...base, maxSessions: 21 }),
        400,
        "validation",
        "maxSessions",
        "too_large",
      );
      expect(high.fields?.maxSessions?.params).toEqual({ limit: LIMITS.maxSessionsMax });
      const frac = expectError(
        await post({ ...base, maxSessions: 2.5 }),
        400,
        "validation",
        "maxSessions",
        "wrong_type",
      );
      expect(frac.fields?.maxSessions?.message).toBe("must be an integer");
      expectError(
        await post({ ...base, avatarUrl: "javascript:alert(1)" }),
        400,
        "validation",
        "avatarUrl",
        "invalid",
      );
      expectTooLong(
        await post({ ...base, avatarUrl: `https://x.de/${long(LIMITS.url)}` }),
        "avatarUrl",
        LIMITS.url,
      );
      expectError(await post({ ...base, portalIds: "all" }), 400, "validation", "portalIds", "wrong_type");
      expectError(await post({ ...base, portalIds: [""] }), 400, "validation", "portalIds.0", "required");
      expectError(await post({ ...base, disabled: true }), 400, "validation", "disabled", "unknown_field");
      await expectBodyErrors(app, admin, "POST", users);
      expect((await listUsers()).some((u) => u.email === "valid@acme.test.example")).toBe(false);
    });
  });

  describe("GET /accounts/:accountId/users/:userId", () => {
    it("admins and managers read a user; agents 403; unknown 404; no cookie 401", async () => {
      for (const cookie of [admin, manager]) {
        const r = await call(app, cookie, "GET", `${users}/${agentUser.id}`);
        expect(r.status).toBe(200);
        expect(userOf(r)).toMatchObject({ id: agentUser.id, email: agentUser.email, role: "agent" });
      }
      expectError(await call(app, agent, "GET", `${users}/${agentUser.id}`), 403, "forbidden");
      const unknown = expectError(await call(app, admin, "GET", `${users}/${NO_SUCH_ID}`), 404, "not_found");
      expect(unknown.message).toBe("User not found.");
      expectError(await call(app, null, "GET", `${users}/${agentUser.id}`), 401, "signed_out");
    });
  });

  describe("PATCH /accounts/:accountId/users/:userId", () => {
    it("changes display name, email, role, avatar, limit and portals", async () => {
      const u = await seedUser(app, acme.account.id, "edit@acme.test.example", "agent");
      const url = `${users}/${u.id}`;
      const r = await call(app, admin, "PATCH", url, {
        displayName: " Edited ",
        email: "Edited@Acme.test.example",
        role: "manager",
        avatarUrl: "/avatars/e.png",
        maxSessions: 5,
        portalIds: [secondPortalId],
      });
      expect(r.status).toBe(200);
      expect(userOf(r)).toMatchObject({
        displayName: "Edited",
        email: "edited@acme.test.example",
        role: "manager",
        avatarUrl: "/avatars/e.png",
        maxSessions: 5,
        portalIds: [secondPortalId],
      });
      expect(userOf(await call(app, admin, "GET", url))).toEqual(userOf(r));
      // Sign-in follows the new email.
      await login(app, "edited@acme.test.example");
      // Clearing the avatar and the portals.
      const cleared = await call(app, admin, "PATCH", url, { avatarUrl: null, portalIds: [] });
      expect(userOf(cleared)).toMatchObject({ avatarUrl: null, portalIds: [] });
      const portal = await call(
        app,
        admin,
        "GET",
        `/api/v1/accounts/${acme.account.id}/portals/${secondPortalId}`,
      );
      expect(portalOf(portal).agentIds).not.toContain(u.id);
      // An empty patch changes nothing.
      const noop = await call(app, admin, "PATCH", url, {});
      expect(noop.status).toBe(200);
      expect(userOf(noop)).toEqual(userOf(cleared));
    });

    it("refuses an email another user has with 409 naming email", async () => {
      const u = await seedUser(app, acme.account.id, "clash@acme.test.example", "agent");
      const r = await call(app, admin, "PATCH", `${users}/${u.id}`, {
        email: managerUser.email.toUpperCase(),
      });
      expectError(r, 409, "duplicate", "email", "duplicate");
      expect(userOf(await call(app, admin, "GET", `${users}/${u.id}`)).email).toBe("clash@acme.test.example");
      // Its own email (in another case) is fine.
      const same = await call(app, admin, "PATCH", `${users}/${u.id}`, { email: "CLASH@acme.test.example" });
      expect(same.status).toBe(200);
    });

    it("refuses portals of another account with 400 like unknown ones, and changes nothing", async () => {
      const u = await seedUser(app, acme.account.id, "portals@acme.test.example", "agent");
      const url = `${users}/${u.id}`;
      const foreign = await call(app, admin, "PATCH", url, {
        displayName: "Changed",
        portalIds: [foreignPortalId],
      });
      expectError(foreign, 400, "unknown_portal", "portalIds", "unknown_portal");
      const unknown = await call(app, admin, "PATCH", url, {
        displayName: "Changed",
        portalIds: [NO_SUCH_ID],
      });
      expect(unknown.body).toEqual(foreign.body);
      const after = userOf(await call(app, admin, "GET", url));
      expect(after.displayName).toBe("portals");
      expect(after.portalIds).toEqual([]);
    });

    it("the last enabled admin can be neither demoted nor disabled", async () => {
      const solo = await seedAccount(app, "solo");
      const cookie = await login(app, solo.admin.email);
      const url = `/api/v1/accounts/${solo.account.id}/users/${solo.admin.id}`;
      const demote = expectError(
        await call(app, cookie, "PATCH", url, { role: "agent" }),
        409,
        "last_admin",
        "role",
      );
      expect(demote.message).toContain("at least one enabled admin");
      expectError(await call(app, cookie, "PATCH", url, { disabled: true }), 409, "last_admin", "disabled");
      expect(userOf(await call(app, cookie, "GET", url))).toMatchObject({ role: "admin", disabled: false });

      // A disabled second admin does not count.
      const second = await seedUser(app, solo.account.id, "second@solo.test.example", "admin");
      const secondUrl = `/api/v1/accounts/${solo.account.id}/users/${second.id}`;
      expect((await call(app, cookie, "PATCH", secondUrl, { disabled: true })).status).toBe(200);
      expectError(await call(app, cookie, "PATCH", url, { role: "manager" }), 409, "last_admin", "role");
      // An enabled second admin does: then the first may step down.
      expect((await call(app, cookie, "PATCH", secondUrl, { disabled: false })).status).toBe(200);
      const stepDown = await call(app, cookie, "PATCH", url, { role: "manager" });
      expect(stepDown.status).toBe(200);
      expect(userOf(stepDown).role).toBe("manager");
      // And now the second is the last one.
      const secondCookie = await login(app, second.email);
      expectError(
        await call(app, secondCookie, "PATCH", secondUrl, { disabled: true }),
        409,
        "last_admin",
        "disabled",
      );
    });

    it("two admins demoting each other at the same moment still leave one enabled admin", async () => {
      for (let round = 0; round < 5; round++) {
        const pair = await seedAccount(app, `pair${round}`);
        const second = await seedUser(app, pair.account.id, `second@pair${round}.test.example`, "admin");
        const [c1, c2] = await Promise.all([login(app, pair.admin.email), login(app, second.email)]);
        const base = `/api/v1/accounts/${pair.account.id}/users`;
        const results = await Promise.all([
          call(app, c1, "PATCH", `${base}/${second.id}`, { role: "agent" }),
          call(app, c2, "PATCH", `${base}/${pair.admin.id}`, { disabled: true }),
        ]);
        const statuses = results.map((r) => r.status).sort();
        expect(statuses).toEqual([200, 409]);
        const list = bodyOf<User[]>(await call(app, operator, "GET", base));
        expect(list.filter((u) => u.role === "admin" && !u.disabled)).toHaveLength(1);
      }
    });

    it("disabling a user ends their sessions and blocks sign-in; enabling lets them back", async () => {
      const u = await seedUser(app, acme.account.id, "disable@acme.test.example", "agent");
      const cookie = await login(app, u.email);
      expect((await call(app, cookie, "GET", "/api/v1/auth/me")).status).toBe(200);
      const r = await call(app, admin, "PATCH", `${users}/${u.id}`, { disabled: true });
      expect(r.status).toBe(200);
      expect(userOf(r).disabled).toBe(true);
      expectError(await call(app, cookie, "GET", "/api/v1/auth/me"), 401, "signed_out");
      expectError(await call(app, cookie, "GET", `/api/v1/accounts/${acme.account.id}`), 401, "signed_out");
      expect(await signInStatus(u.email, PASSWORD)).toBe(403);
      const back = await call(app, admin, "PATCH", `${users}/${u.id}`, { disabled: false });
      expect(userOf(back).disabled).toBe(false);
      // The old session stays ended; a new sign-in works.
      expectError(await call(app, cookie, "GET", "/api/v1/auth/me"), 401, "signed_out");
      const fresh = await login(app, u.email);
      expect((await call(app, fresh, "GET", "/api/v1/auth/me")).status).toBe(200);
    });

    it("managers and agents may not change users (403); unknown user 404; no cookie 401", async () => {
      const url = `${users}/${agentUser.id}`;
      expectError(await call(app, manager, "PATCH", url, { role: "admin" }), 403, "forbidden");
      expectError(await call(app, agent, "PATCH", url, { role: "admin" }), 403, "forbidden");
      expectError(
        await call(app, agent, "PATCH", `${users}/${agentUser.id}`, { maxSessions: 20 }),
        403,
        "forbidden",
      );
      expectError(
        await call(app, admin, "PATCH", `${users}/${NO_SUCH_ID}`, { role: "admin" }),
        404,
        "not_found",
      );
      expectError(await call(app, null, "PATCH", url, { role: "admin" }), 401, "signed_out");
      expect(userOf(await call(app, admin, "GET", url))).toMatchObject({ role: "agent", maxSessions: 3 });
    });

    it("validates every field", async () => {
      const url = `${users}/${agentUser.id}`;
      const patch = (body: unknown) => call(app, admin, "PATCH", url, body);
      expectError(await patch({ displayName: "" }), 400, "validation", "displayName", "required");
      expectTooLong(await patch({ displayName: long(LIMITS.userName + 1) }), "displayName", LIMITS.userName);
      expectError(await patch({ email: "x@y" }), 400, "validation", "email", "invalid");
      expectError(await patch({ role: "owner" }), 400, "validation", "role", "not_allowed");
      expectError(await patch({ maxSessions: 0 }), 400, "validation", "maxSessions", "too_small");
      expectError(await patch({ maxSessions: "3" }), 400, "validation", "maxSessions", "wrong_type");
      expectError(await patch({ disabled: "yes" }), 400, "validation", "disabled", "wrong_type");
      expectError(await patch({ avatarUrl: "data:x" }), 400, "validation", "avatarUrl", "invalid");
      expectError(await patch({ password: "new-password" }), 400, "validation", "password", "unknown_field");
      expectError(
        await patch({ accountId: other.account.id }),
        400,
        "validation",
        "accountId",
        "unknown_field",
      );
      await expectBodyErrors(app, admin, "PATCH", url);
      expect(userOf(await call(app, admin, "GET", url))).toMatchObject({
        email: agentUser.email,
        role: "agent",
      });
    });
  });

  describe("POST /accounts/:accountId/users/:userId/password", () => {
    it("generates a password, returned once; it works, the old one and old sessions do not", async () => {
      const u = await seedUser(app, acme.account.id, "reset@acme.test.example", "agent");
      const cookie = await login(app, u.email);
      const r = await call(app, admin, "POST", `${users}/${u.id}/password`, {});
      expect(r.status).toBe(200);
      const { generatedPassword } = bodyOf<{ generatedPassword: string | null }>(r);
      expect(generatedPassword).toMatch(GENERATED_PASSWORD);
      expectError(await call(app, cookie, "GET", "/api/v1/auth/me"), 401, "signed_out");
      expect(await signInStatus(u.email, PASSWORD)).toBe(401);
      await login(app, u.email, generatedPassword ?? "");
      // A second reset makes a different password.
      const again = await call(app, admin, "POST", `${users}/${u.id}/password`, {});
      expect(bodyOf<{ generatedPassword: string }>(again).generatedPassword).not.toBe(generatedPassword);
    });

    it("sets a given password and returns none; it also lifts a lockout", async () => {
      const u = await seedUser(app, acme.account.id, "given@acme.test.example", "agent");
      // Locked for the address the failures came from (the lockout is per user and address).
      const from = freshAddress();
      for (let i = 0; i < 5; i++) await signInStatus(u.email, "wrong-password", from);
      expect(await signInStatus(u.email, PASSWORD, from)).toBe(429);
      const r = await call(app, admin, "POST", `${users}/${u.id}/password`, {
        password: "brand-new-password",
      });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ generatedPassword: null });
      expect(await signInStatus(u.email, PASSWORD)).toBe(401);
      expect(await signInStatus(u.email, "brand-new-password", from)).toBe(200);
    });

    it("refuses a password too short or too long with 400 naming the limit", async () => {
      const url = `${users}/${agentUser.id}/password`;
      const short = expectError(
        await call(app, admin, "POST", url, { password: "short" }),
        400,
        "validation",
        "password",
        "too_short",
      );
      expect(short.fields?.password?.params).toEqual({ limit: LIMITS.passwordMin });
      expectTooLong(
        await call(app, admin, "POST", url, { password: long(LIMITS.passwordMax + 1) }),
        "password",
        LIMITS.passwordMax,
      );
      expectError(
        await call(app, admin, "POST", url, { password: 12345678 }),
        400,
        "validation",
        "password",
        "wrong_type",
      );
      expectError(
        await call(app, admin, "POST", url, { pw: "long-enough" }),
        400,
        "validation",
        "pw",
        "unknown_field",
      );
      await expectBodyErrors(app, admin, "POST", url);
      // The agent's password was not touched.
      expect(await signInStatus(agentUser.email, PASSWORD)).toBe(200);
    });

    it("managers and agents may not reset passwords (403); unknown user 404; no cookie 401", async () => {
      const url = `${users}/${acme.admin.id}/password`;
      expectError(await call(app, manager, "POST", url, { password: "taken-over-pw" }), 403, "forbidden");
      expectError(await call(app, agent, "POST", url, { password: "taken-over-pw" }), 403, "forbidden");
      expectError(await call(app, null, "POST", url, { password: "taken-over-pw" }), 401, "signed_out");
      expectError(await call(app, admin, "POST", `${users}/${NO_SUCH_ID}/password`, {}), 404, "not_found");
      expect(await signInStatus(acme.admin.email, "taken-over-pw")).toBe(401);
      expect(await signInStatus(acme.admin.email, PASSWORD)).toBe(200);
    });
  });

  describe("operators", () => {
    it("an operator lists, creates and changes users in any account", async () => {
      const op = operator;
      const otherUsers = `/api/v1/accounts/${other.account.id}/users`;
      const list = await call(app, op, "GET", otherUsers);
      expect(list.status).toBe(200);
      expect(bodyOf<User[]>(list).map((u) => u.email)).toContain(other.admin.email);
      const created = await call(app, op, "POST", otherUsers, {
        email: "by-operator@other.test.example",
        displayName: "By Operator",
        role: "agent",
        portalIds: [foreignPortalId],
      });
      expect(created.status).toBe(201);
      const body = bodyOf<CreatedUserBody>(created);
      expect(body.user).toMatchObject({ accountId: other.account.id, portalIds: [foreignPortalId] });
      const changed = await call(app, op, "PATCH", `${otherUsers}/${body.user.id}`, { role: "manager" });
      expect(userOf(changed).role).toBe("manager");
      const reset = await call(app, op, "POST", `${otherUsers}/${body.user.id}/password`, {});
      expect(reset.status).toBe(200);
      // The operator is a user of no account: it does not appear in any account's list.
      expect(bodyOf<User[]>(list).some((u) => u.role === "operator")).toBe(false);
    });
  });
});
