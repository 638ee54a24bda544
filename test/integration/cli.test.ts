import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, dialects, type TestDatabase } from "../support/databases.js";

const run = promisify(execFile);
const BIN = path.resolve("bin/helpgate.js");

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe.each(dialects())("operator CLI on %s", (dialect) => {
  let database: TestDatabase;
  const cli = async (...args: string[]): Promise<CliResult> => {
    try {
      const r = await run(process.execPath, [BIN, ...args], {
        env: { ...process.env, DATABASE_URL: database.url, LOG_LEVEL: "silent" },
      });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database.drop();
  });

  it("creates an account with its first admin, lists it, creates a user, resets a password", async () => {
    const created = await cli(
      "account",
      "create",
      "--name",
      "Acme",
      "--mode",
      "queue",
      "--admin-email",
      "Ann@Acme.example",
      "--admin-name",
      "Ann",
    );
    expect(created.code).toBe(0);
    const id = /: ([0-9a-f-]{36})/.exec(created.stdout)?.[1];
    expect(id).toBeDefined();
    expect(created.stdout).toMatch(/password: [a-z2-9-]{19} \(shown only now\)/);

    const list = await cli("account", "list");
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`${id}  queue  Acme`);

    const user = await cli(
      "user",
      "create",
      "--account",
      id as string,
      "--email",
      "bo@acme.example",
      "--name",
      "Bo",
      "--role",
      "agent",
      "--password",
      "long-enough-pw",
    );
    expect(user.code).toBe(0);
    expect(user.stdout).toContain("Created agent bo@acme.example in Acme");
    expect(user.stdout).not.toContain("Password:");

    const users = await cli("user", "list", "--account", id as string);
    expect(users.stdout).toContain("ann@acme.example");
    expect(users.stdout).toContain("bo@acme.example");

    const reset = await cli("user", "reset-password", "--email", "bo@acme.example");
    expect(reset.code).toBe(0);
    expect(reset.stdout).toMatch(/New password: [a-z2-9-]{19}/);
  });

  it("answers bad input with a clear message and a non-zero exit code", async () => {
    const noCommand = await cli();
    expect(noCommand.code).toBe(2);
    expect(noCommand.stdout).toContain("Usage:");

    const unknown = await cli("frobnicate");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');

    const badMode = await cli(
      "account",
      "create",
      "--name",
      "X",
      "--mode",
      "fax",
      "--admin-email",
      "x@x.example",
      "--admin-name",
      "X",
    );
    expect(badMode.code).toBe(2);
    expect(badMode.stderr).toContain("--mode must be one of web, phone, queue");

    const missing = await cli("account", "create", "--name", "X", "--mode", "web");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--admin-email is required");

    const badEmail = await cli(
      "account",
      "create",
      "--name",
      "X",
      "--mode",
      "web",
      "--admin-email",
      "nope",
      "--admin-name",
      "X",
    );
    expect(badEmail.code).toBe(2);
    expect(badEmail.stderr).toContain("--admin-email must be an email address");

    const dup = await cli(
      "account",
      "create",
      "--name",
      "Y",
      "--mode",
      "web",
      "--admin-email",
      "ann@acme.example",
      "--admin-name",
      "Y",
    );
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain("A user with the email ann@acme.example already exists.");

    const shortPw = await cli("user", "reset-password", "--email", "ann@acme.example", "--password", "short");
    expect(shortPw.code).toBe(1);
    expect(shortPw.stderr).toContain("8 to 128 characters");

    const noUser = await cli("user", "reset-password", "--email", "ghost@acme.example");
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toContain("no user with email ghost@acme.example");

    const badAccount = await cli(
      "user",
      "create",
      "--account",
      "nope",
      "--email",
      "a@b.example",
      "--name",
      "A",
      "--role",
      "agent",
    );
    expect(badAccount.code).toBe(2);
    expect(badAccount.stderr).toContain("no account with id nope");

    const unknownFlag = await cli("account", "list", "--colour", "red");
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toContain("--colour");

    const listed = await cli("account", "list");
    expect(listed.stdout.trim().split("\n")).toHaveLength(1);
  });
});
