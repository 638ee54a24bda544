import fs from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { insertNewAccount } from "../../src/server/commands/accounts.js";
import { credentialsFile, firstStart } from "../../src/server/firstStart.js";
import type { Account, Portal, User } from "../../src/shared/api.js";
import { PORTAL_TYPES_BY_MODE } from "../../src/shared/model.js";
import { bodyOf, GENERATED_PASSWORD } from "../support/api.js";
import { call, login, startTestApp, type TestApp } from "../support/app.js";
import { dialects } from "../support/databases.js";

const ADMIN_ENV = { HELPGATE_ADMIN_EMAIL: "Root@Example.org", HELPGATE_ADMIN_PASSWORD: "root-password-1" };

describe.each(dialects())("first start on %s", (dialect) => {
  let app: TestApp | null = null;
  afterEach(async () => {
    await app?.close();
    app = null;
  });

  async function countRows(a: TestApp): Promise<{ users: number; accounts: number; portals: number }> {
    const db = a.deps.db.kysely;
    const count = async (table: "users" | "accounts" | "portals") =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return {
      users: await count("users"),
      accounts: await count("accounts"),
      portals: await count("portals"),
    };
  }

  it("creates the operator from the environment and a demo account per mode", async () => {
    app = await startTestApp(dialect, ADMIN_ENV);
    const result = await firstStart(app.deps);
    if (!result) throw new Error("first start did nothing on an empty database");

    // The operator, with the given password (so none is generated for it).
    expect(result.credentials[0]).toEqual({
      who: "Operator (all accounts)",
      email: "root@example.org",
      password: null,
    });
    const operator = await login(app, "root@example.org", ADMIN_ENV.HELPGATE_ADMIN_PASSWORD);
    const me = await call(app, operator, "GET", "/api/v1/auth/me");
    expect(bodyOf<{ user: User }>(me).user).toMatchObject({ role: "operator", accountId: null });

    // Three accounts, one per mode, each with one portal of every type its mode allows.
    const accounts = bodyOf<Account[]>(await call(app, operator, "GET", "/api/v1/accounts"));
    expect(accounts.map((a) => a.mode).sort()).toEqual(["phone", "queue", "web"]);
    for (const account of accounts) {
      const portals = bodyOf<Portal[]>(
        await call(app, operator, "GET", `/api/v1/accounts/${account.id}/portals`),
      );
      expect(portals.map((p) => p.type).sort()).toEqual([...PORTAL_TYPES_BY_MODE[account.mode]].sort());
      const users = bodyOf<User[]>(await call(app, operator, "GET", `/api/v1/accounts/${account.id}/users`));
      expect(users.map((u) => u.role).sort()).toEqual(["admin", "agent", "agent"]);
      const agentIds = users
        .filter((u) => u.role === "agent")
        .map((u) => u.id)
        .sort();
      for (const p of portals) {
        expect(p.enabled).toBe(true);
        expect(p.agentIds).toEqual(agentIds);
        expect(p.url).toBe(`${app.config.publicUrl}/p/${p.slug}`);
        // Every demo portal page answers (a placeholder is fine), never an error.
        const page = await app.server.inject({ method: "GET", url: `/p/${p.slug}` });
        expect(page.statusCode).toBe(200);
        expect(page.headers["content-type"]).toContain("text/html");
      }
    }
    expect(result.portalUrls).toHaveLength(5);

    // Every demo user has a generated password that works and is written to the credentials file.
    const demo = result.credentials.slice(1);
    expect(demo).toHaveLength(9);
    const file = credentialsFile(app.config.dataDir);
    expect(result.credentialsFile).toBe(file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const text = fs.readFileSync(file, "utf8");
    for (const c of demo) {
      expect(c.password).toMatch(GENERATED_PASSWORD);
      expect(text).toContain(`${c.email}\t${c.password}`);
    }
    expect(text).not.toContain(ADMIN_ENV.HELPGATE_ADMIN_PASSWORD);
    for (const c of demo.filter((d) => d.who.endsWith("admin"))) {
      const cookie = await login(app, c.email, c.password ?? "");
      const mine = bodyOf<Account[]>(await call(app, cookie, "GET", "/api/v1/accounts"));
      expect(mine).toHaveLength(1);
    }
    const agentCred = demo.find((d) => d.who.endsWith("agent"));
    await login(app, agentCred?.email ?? "", agentCred?.password ?? "");
  });

  it("a second call does nothing: no new users, accounts or portals, the file untouched", async () => {
    app = await startTestApp(dialect, ADMIN_ENV);
    expect(await firstStart(app.deps)).not.toBeNull();
    const file = credentialsFile(app.config.dataDir);
    const before = await countRows(app);
    const textBefore = fs.readFileSync(file, "utf8");
    expect(await firstStart(app.deps)).toBeNull();
    expect(await countRows(app)).toEqual(before);
    expect(fs.readFileSync(file, "utf8")).toBe(textBefore);
    expect(before).toEqual({ users: 10, accounts: 3, portals: 5 });
  });

  it("without HELPGATE_ADMIN_* generates the operator's password, shown once and in the file", async () => {
    app = await startTestApp(dialect, { HELPGATE_DEMO: "0" });
    const result = await firstStart(app.deps);
    if (!result) throw new Error("first start did nothing on an empty database");
    expect(result.credentials).toHaveLength(1);
    const [op] = result.credentials;
    expect(op?.email).toBe("operator@helpgate.local");
    expect(op?.password).toMatch(GENERATED_PASSWORD);
    const file = result.credentialsFile ?? "";
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, "utf8")).toContain(op?.password ?? "missing");
    const cookie = await login(app, "operator@helpgate.local", op?.password ?? "");
    expect(bodyOf<Account[]>(await call(app, cookie, "GET", "/api/v1/accounts"))).toEqual([]);
  });

  it("HELPGATE_DEMO=0 skips the demo: only the operator, and no file when no password was generated", async () => {
    app = await startTestApp(dialect, { ...ADMIN_ENV, HELPGATE_DEMO: "0" });
    const result = await firstStart(app.deps);
    expect(result?.credentials).toHaveLength(1);
    expect(result?.portalUrls).toEqual([]);
    expect(result?.credentialsFile).toBeNull();
    expect(fs.existsSync(credentialsFile(app.config.dataDir))).toBe(false);
    expect(await countRows(app)).toEqual({ users: 1, accounts: 0, portals: 0 });
    await login(app, ADMIN_ENV.HELPGATE_ADMIN_EMAIL, ADMIN_ENV.HELPGATE_ADMIN_PASSWORD);
  });

  it("does nothing on a database that already has users, even without an operator", async () => {
    app = await startTestApp(dialect, ADMIN_ENV);
    const operatorCount = async () =>
      (await app?.deps.db.kysely.selectFrom("users").select("id").where("role", "=", "operator").execute())
        ?.length;
    await insertNewAccount(app.deps, {
      name: "Existing",
      mode: "web",
      admin: { email: "existing@example.org", displayName: "Existing", password: "existing-password" },
    });
    expect(await firstStart(app.deps)).toBeNull();
    expect(await operatorCount()).toBe(0);
    expect(await countRows(app)).toEqual({ users: 1, accounts: 1, portals: 0 });
  });
});
