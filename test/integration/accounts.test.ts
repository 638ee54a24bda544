import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Account } from "../../src/shared/api.js";
import { LIMITS } from "../../src/shared/model.js";
import {
  accountOf,
  bodyOf,
  type CreatedUserBody,
  expectBodyErrors,
  expectError,
  expectTooLong,
  GENERATED_PASSWORD,
  long,
  NO_SUCH_ID,
  portalOf,
} from "../support/api.js";
import {
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

interface CreatedAccountBody {
  account: Account;
  admin: CreatedUserBody["user"];
  generatedPassword: string | null;
}

describe.each(dialects())("accounts API on %s", (dialect) => {
  let app: TestApp;
  let acme: SeededAccount;
  let other: SeededAccount;
  let operator: string;
  let admin: string;
  let manager: string;
  let agent: string;

  beforeAll(async () => {
    app = await startTestApp(dialect);
    acme = await seedAccount(app, "acme");
    other = await seedAccount(app, "other", "queue");
    await seedUser(app, null, "op@helpgate.test.example", "operator");
    await seedUser(app, acme.account.id, "manager@acme.test.example", "manager");
    await seedUser(app, acme.account.id, "agent@acme.test.example", "agent");
    operator = await login(app, "op@helpgate.test.example");
    admin = await login(app, acme.admin.email);
    manager = await login(app, "manager@acme.test.example");
    agent = await login(app, "agent@acme.test.example");
  });
  afterAll(async () => {
    await app.close();
  });

  const newAccount = (tag: string) => ({
    name: `New ${tag}`,
    mode: "phone",
    admin: { email: `first@${tag}.test.example`, displayName: `First ${tag}` },
  });

  describe("GET /accounts", () => {
    it("an admin, manager or agent sees their own account only", async () => {
      for (const cookie of [admin, manager, agent]) {
        const r = await call(app, cookie, "GET", "/api/v1/accounts");
        expect(r.status).toBe(200);
        expect(bodyOf<Account[]>(r)).toEqual([acme.account]);
      }
    });

    it("an operator sees every account", async () => {
      const r = await call(app, operator, "GET", "/api/v1/accounts");
      expect(r.status).toBe(200);
      const ids = bodyOf<Account[]>(r).map((a) => a.id);
      expect(ids).toEqual(expect.arrayContaining([acme.account.id, other.account.id]));
    });

    it("without a cookie: 401", async () => {
      expectError(await call(app, null, "GET", "/api/v1/accounts"), 401, "signed_out");
    });
  });

  describe("POST /accounts", () => {
    it("an operator creates an account with a first admin whose generated password works", async () => {
      const r = await call(app, operator, "POST", "/api/v1/accounts", newAccount("gen"));
      expect(r.status).toBe(201);
      const created = bodyOf<CreatedAccountBody>(r);
      expect(created.account).toMatchObject({
        name: "New gen",
        mode: "phone",
        webChatEnabled: true,
        upgradeEnabled: true,
      });
      expect(created.admin).toMatchObject({
        accountId: created.account.id,
        email: "first@gen.test.example",
        role: "admin",
        disabled: false,
      });
      expect(created.admin).not.toHaveProperty("passwordHash");
      expect(created.generatedPassword).toMatch(GENERATED_PASSWORD);
      const cookie = await login(app, "first@gen.test.example", created.generatedPassword ?? "");
      const mine = await call(app, cookie, "GET", "/api/v1/accounts");
      expect(bodyOf<Account[]>(mine).map((a) => a.id)).toEqual([created.account.id]);
      // The operator sees it in the list, and can read it.
      const got = await call(app, operator, "GET", `/api/v1/accounts/${created.account.id}`);
      expect(got.status).toBe(200);
      expect(accountOf(got)).toEqual(created.account);
    });

    it("with an explicit password and switches, returns no generated password", async () => {
      const r = await call(app, operator, "POST", "/api/v1/accounts", {
        name: "  Spaced Name  ",
        mode: "web",
        webChatEnabled: false,
        upgradeEnabled: false,
        admin: { email: "First@Explicit.test.example", displayName: "First", password: "explicit-password" },
      });
      expect(r.status).toBe(201);
      const created = bodyOf<CreatedAccountBody>(r);
      expect(created.generatedPassword).toBeNull();
      expect(created.account).toMatchObject({
        name: "Spaced Name",
        webChatEnabled: false,
        upgradeEnabled: false,
      });
      expect(created.admin.email).toBe("first@explicit.test.example");
      await login(app, "first@explicit.test.example", "explicit-password");
    });

    it("refuses a duplicate admin email with 409 naming admin.email, and creates nothing", async () => {
      const before = bodyOf<Account[]>(await call(app, operator, "GET", "/api/v1/accounts")).length;
      const r = await call(app, operator, "POST", "/api/v1/accounts", {
        ...newAccount("dup"),
        admin: { email: acme.admin.email.toUpperCase(), displayName: "Dup" },
      });
      const body = expectError(r, 409, "duplicate", "admin.email", "duplicate");
      expect(body.message).toContain(acme.admin.email);
      const after = bodyOf<Account[]>(await call(app, operator, "GET", "/api/v1/accounts")).length;
      expect(after).toBe(before);
    });

    it("admins, managers and agents may not create accounts (403)", async () => {
      for (const cookie of [admin, manager, agent]) {
        const r = await call(app, cookie, "POST", "/api/v1/accounts", newAccount("nope"));
        expect(expectError(r, 403, "forbidden").message).toContain("operator");
      }
    });

    it("without a cookie: 401", async () => {
      expectError(await call(app, null, "POST", "/api/v1/accounts", newAccount("anon")), 401, "signed_out");
    });

    it("validates every field", async () => {
      const post = (body: unknown) => call(app, operator, "POST", "/api/v1/accounts", body);
      const base = newAccount("val");
      const { name: _n, ...noName } = base;
      const { mode: _m, ...noMode } = base;
      const { admin: _a, ...noAdmin } = base;
      expectError(await post(noName), 400, "validation", "name", "required");
      expectError(await post(noMode), 400, "validation", "mode", "required");
      expectError(await post(noAdmin), 400, "validation", "admin", "required");
      expectError(await post({ ...base, name: "" }), 400, "validation", "name", "required");
      expectTooLong(await post({ ...base, name: long(LIMITS.accountName + 1) }), "name", LIMITS.accountName);
      const mode = expectError(
        await post({ ...base, mode: "fax" }),
        400,
        "validation",
        "mode",
        "not_allowed",
      );
      expect(mode.fields?.mode?.message).toBe("must be one of: web, phone, queue");
      expectError(
        await post({ ...base, webChatEnabled: "yes" }),
        400,
        "validation",
        "webChatEnabled",
        "wrong_type",
      );
      const email = expectError(
        await post({ ...base, admin: { ...base.admin, email: "not-an-email" } }),
        400,
        "validation",
        "admin.email",
        "invalid",
      );
      expect(email.fields?.["admin.email"]?.message).toContain("email address");
      expectTooLong(
        await post({ ...base, admin: { ...base.admin, displayName: long(LIMITS.userName + 1) } }),
        "admin.displayName",
        LIMITS.userName,
      );
      expectError(
        await post({ ...base, admin: { email: base.admin.email } }),
        400,
        "validation",
        "admin.displayName",
        "required",
      );
      const short = expectError(
        await post({ ...base, admin: { ...base.admin, password: "short" } }),
        400,
        "validation",
        "admin.password",
        "too_short",
      );
      expect(short.fields?.["admin.password"]?.params).toEqual({ limit: LIMITS.passwordMin });
      expectError(await post({ ...base, plan: "gold" }), 400, "validation", "plan", "unknown_field");
      expectError(
        await post({ ...base, admin: { ...base.admin, role: "operator" } }),
        400,
        "validation",
        "admin.role",
        "unknown_field",
      );
      await expectBodyErrors(app, operator, "POST", "/api/v1/accounts");
      // Nothing was created by any of these.
      const list = bodyOf<Account[]>(await call(app, operator, "GET", "/api/v1/accounts"));
      expect(list.some((a) => a.name === "New val")).toBe(false);
    });
  });

  describe("GET /accounts/:accountId", () => {
    it("every role reads its own account", async () => {
      for (const cookie of [admin, manager, agent]) {
        const r = await call(app, cookie, "GET", `/api/v1/accounts/${acme.account.id}`);
        expect(r.status).toBe(200);
        expect(accountOf(r).id).toBe(acme.account.id);
      }
    });

    it("another account's id and an unknown id both answer 404 with the same body", async () => {
      const foreign = await call(app, admin, "GET", `/api/v1/accounts/${other.account.id}`);
      const unknown = await call(app, admin, "GET", `/api/v1/accounts/${NO_SUCH_ID}`);
      expect(expectError(foreign, 404, "not_found").message).toBe("Account not found.");
      expect(foreign.body).toEqual(unknown.body);
      expectError(await call(app, operator, "GET", `/api/v1/accounts/${NO_SUCH_ID}`), 404, "not_found");
    });

    it("an operator reads any account; without a cookie 401", async () => {
      const r = await call(app, operator, "GET", `/api/v1/accounts/${other.account.id}`);
      expect(r.status).toBe(200);
      expect(accountOf(r)).toEqual(other.account);
      expectError(await call(app, null, "GET", `/api/v1/accounts/${acme.account.id}`), 401, "signed_out");
    });
  });

  describe("PATCH /accounts/:accountId", () => {
    it("an admin renames the account and toggles upgrade", async () => {
      const url = `/api/v1/accounts/${acme.account.id}`;
      const r = await call(app, admin, "PATCH", url, { name: "  Acme Renamed ", upgradeEnabled: false });
      expect(r.status).toBe(200);
      expect(accountOf(r)).toMatchObject({ name: "Acme Renamed", upgradeEnabled: false, mode: "web" });
      const again = await call(app, admin, "GET", url);
      expect(accountOf(again)).toMatchObject({ name: "Acme Renamed", upgradeEnabled: false });
      // An empty patch changes nothing.
      const noop = await call(app, admin, "PATCH", url, {});
      expect(noop.status).toBe(200);
      expect(accountOf(noop)).toEqual(accountOf(again));
      await call(app, admin, "PATCH", url, { upgradeEnabled: true });
    });

    it("managers and agents may not change the account (403); other or unknown accounts 404", async () => {
      const url = `/api/v1/accounts/${acme.account.id}`;
      expectError(await call(app, manager, "PATCH", url, { name: "Mine" }), 403, "forbidden");
      expectError(await call(app, agent, "PATCH", url, { name: "Mine" }), 403, "forbidden");
      expectError(
        await call(app, admin, "PATCH", `/api/v1/accounts/${other.account.id}`, { name: "X" }),
        404,
        "not_found",
      );
      expectError(
        await call(app, admin, "PATCH", `/api/v1/accounts/${NO_SUCH_ID}`, { name: "X" }),
        404,
        "not_found",
      );
      expectError(await call(app, null, "PATCH", url, { name: "X" }), 401, "signed_out");
      expect(accountOf(await call(app, admin, "GET", url)).name).not.toBe("Mine");
      expect(accountOf(await call(app, operator, "GET", `/api/v1/accounts/${other.account.id}`)).name).toBe(
        other.account.name,
      );
    });

    it("validates every field", async () => {
      const url = `/api/v1/accounts/${acme.account.id}`;
      const patch = (body: unknown) => call(app, admin, "PATCH", url, body);
      expectError(await patch({ name: "" }), 400, "validation", "name", "required");
      expectTooLong(await patch({ name: long(LIMITS.accountName + 1) }), "name", LIMITS.accountName);
      expectError(await patch({ mode: "kiosk" }), 400, "validation", "mode", "not_allowed");
      expectError(await patch({ webChatEnabled: 1 }), 400, "validation", "webChatEnabled", "wrong_type");
      expectError(await patch({ upgradeEnabled: "no" }), 400, "validation", "upgradeEnabled", "wrong_type");
      expectError(await patch({ id: NO_SUCH_ID }), 400, "validation", "id", "unknown_field");
      await expectBodyErrors(app, admin, "PATCH", url);
    });

    it("refuses a mode whose portal types conflict with existing portals, listing them", async () => {
      const seeded = await seedAccount(app, "modes", "web");
      const cookie = await login(app, seeded.admin.email);
      const base = `/api/v1/accounts/${seeded.account.id}`;
      for (const [slug, type] of [
        ["modes-pick", "pick-agent"],
        ["modes-ask", "question"],
        ["modes-button", "button"],
      ]) {
        const r = await call(app, cookie, "POST", `${base}/portals`, { slug, type, name: slug });
        expect(r.status).toBe(201);
      }
      const toQueue = expectError(
        await call(app, cookie, "PATCH", base, { mode: "queue" }),
        409,
        "mode_conflicts_with_portals",
        "mode",
        "mode_conflicts_with_portals",
      );
      expect(toQueue.message).toContain("modes-pick (pick-agent)");
      expect(toQueue.message).toContain("modes-button (button)");
      expect(toQueue.message).not.toContain("modes-ask");
      const toPhone = expectError(
        await call(app, cookie, "PATCH", base, { mode: "phone" }),
        409,
        "mode_conflicts_with_portals",
      );
      for (const slug of ["modes-pick", "modes-ask", "modes-button"]) expect(toPhone.message).toContain(slug);
      // The refused change left everything as it was, including the other fields of the same patch.
      const refused = await call(app, cookie, "PATCH", base, { mode: "queue", name: "Renamed in vain" });
      expect(refused.status).toBe(409);
      expect(accountOf(await call(app, cookie, "GET", base))).toMatchObject({
        mode: "web",
        name: "Account modes",
      });
    });

    it("allows a mode change when no portal conflicts", async () => {
      const seeded = await seedAccount(app, "switch", "web");
      const cookie = await login(app, seeded.admin.email);
      const base = `/api/v1/accounts/${seeded.account.id}`;
      expect(
        (
          await call(app, cookie, "POST", `${base}/portals`, {
            slug: "switch-q",
            type: "question",
            name: "Q",
          })
        ).status,
      ).toBe(201);
      const r = await call(app, cookie, "PATCH", base, { mode: "queue" });
      expect(r.status).toBe(200);
      expect(accountOf(r).mode).toBe("queue");
      // Now the queue mode's rule applies to new portals.
      const refused = await call(app, cookie, "POST", `${base}/portals`, {
        slug: "switch-b",
        type: "button",
        name: "B",
      });
      expect(expectError(refused, 409, "type_not_allowed", "type").message).toContain("allows: question");
      // An empty account can switch to any mode.
      const empty = await seedAccount(app, "empty", "web");
      const emptyCookie = await login(app, empty.admin.email);
      const toPhone = await call(app, emptyCookie, "PATCH", `/api/v1/accounts/${empty.account.id}`, {
        mode: "phone",
      });
      expect(toPhone.status).toBe(200);
      expect(accountOf(toPhone).mode).toBe("phone");
    });

    it("web chat cannot be switched off while chat-first portals exist; chat-first needs web chat", async () => {
      const seeded = await seedAccount(app, "chat", "web");
      const cookie = await login(app, seeded.admin.email);
      const base = `/api/v1/accounts/${seeded.account.id}`;
      const created = await call(app, cookie, "POST", `${base}/portals`, {
        slug: "chat-first-one",
        type: "question",
        name: "Q",
      });
      expect(portalOf(created).connectionMode).toBe("chat-first");
      const off = expectError(
        await call(app, cookie, "PATCH", base, { webChatEnabled: false }),
        409,
        "chat_first_portals",
        "webChatEnabled",
        "chat_first_portals",
      );
      expect(off.message).toContain("chat-first-one");
      expect(accountOf(await call(app, cookie, "GET", base)).webChatEnabled).toBe(true);

      const portalUrl = `${base}/portals/${portalOf(created).id}`;
      expect((await call(app, cookie, "PATCH", portalUrl, { connectionMode: "direct" })).status).toBe(200);
      const r = await call(app, cookie, "PATCH", base, { webChatEnabled: false });
      expect(r.status).toBe(200);
      expect(accountOf(r).webChatEnabled).toBe(false);

      // With web chat off: chat-first is refused on create and on change; direct is the default.
      const chatFirst = await call(app, cookie, "POST", `${base}/portals`, {
        slug: "chat-first-two",
        type: "button",
        name: "B",
        connectionMode: "chat-first",
      });
      expect(expectError(chatFirst, 409, "chat_disabled", "connectionMode").message).toContain("web chat");
      const back = await call(app, cookie, "PATCH", portalUrl, { connectionMode: "chat-first" });
      expectError(back, 409, "chat_disabled", "connectionMode", "chat_disabled");
      const plain = await call(app, cookie, "POST", `${base}/portals`, {
        slug: "direct-two",
        type: "button",
        name: "B",
      });
      expect(plain.status).toBe(201);
      expect(portalOf(plain).connectionMode).toBe("direct");
      // Switching web chat on again allows chat-first once more.
      expect((await call(app, cookie, "PATCH", base, { webChatEnabled: true })).status).toBe(200);
      expect((await call(app, cookie, "PATCH", portalUrl, { connectionMode: "chat-first" })).status).toBe(
        200,
      );
    });

    it("a mode change racing a portal create never leaves a portal the mode forbids", async () => {
      for (let round = 0; round < 5; round++) {
        const seeded = await seedAccount(app, `race${round}`, "web");
        const cookie = await login(app, seeded.admin.email);
        const base = `/api/v1/accounts/${seeded.account.id}`;
        const [mode, portal, chat, chatPortal] = await Promise.all([
          call(app, cookie, "PATCH", base, { mode: "queue" }),
          call(app, cookie, "POST", `${base}/portals`, {
            slug: `race-${round}-b`,
            type: "button",
            name: "B",
          }),
          call(app, cookie, "PATCH", base, { webChatEnabled: false }),
          call(app, cookie, "POST", `${base}/portals`, {
            slug: `race-${round}-q`,
            type: "question",
            name: "Q",
            connectionMode: "chat-first",
          }),
        ]);
        for (const r of [mode, portal, chat, chatPortal]) expect([200, 201, 409]).toContain(r.status);
        const account = accountOf(await call(app, cookie, "GET", base));
        const portals = bodyOf<{ type: string; connectionMode: string }[]>(
          await call(app, cookie, "GET", `${base}/portals`),
        );
        if (account.mode === "queue") expect(portals.some((p) => p.type === "button")).toBe(false);
        if (!account.webChatEnabled)
          expect(portals.some((p) => p.connectionMode === "chat-first")).toBe(false);
        // Of the mode change and the button portal, exactly one won.
        expect([mode.status === 200, portal.status === 201].filter(Boolean)).toHaveLength(1);
      }
    });

    it("an operator changes any account", async () => {
      const url = `/api/v1/accounts/${other.account.id}`;
      const r = await call(app, operator, "PATCH", url, { name: "Renamed by operator" });
      expect(r.status).toBe(200);
      expect(accountOf(r).name).toBe("Renamed by operator");
      // Its own admin still signs in as before.
      await login(app, other.admin.email, PASSWORD);
    });
  });
});
