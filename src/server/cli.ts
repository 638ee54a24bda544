import { parseArgs } from "node:util";
import { MODES, type Mode, ROLES, type Role } from "../shared/model.js";
import { BackupRefusal, backup, restore } from "./backup.js";
import { InProcessBus } from "./bus/inProcessBus.js";
import { InProcessPresence } from "./bus/presence.js";
import { RequestOutcomes } from "./bus/requestOutcomes.js";
import { insertNewAccount } from "./commands/accounts.js";
import type { Deps } from "./commands/context.js";
import { setPassword } from "./commands/users.js";
import { ConfigError, loadConfig } from "./config.js";
import { type Db, migrate, openDatabase } from "./db/database.js";
import { DomainError } from "./domain/errors.js";
import { noReactions } from "./events/reactions.js";
import { findAccount, listAccounts } from "./store/accounts.js";
import { insertNewUser } from "./store/newUser.js";
import { findUserByEmail, listUsers } from "./store/users.js";

const USAGE = `Helpgate operator CLI — works on the database DATABASE_URL points at (default: ./data/helpgate.sqlite).

Usage:
  helpgate account list
  helpgate account create --name <name> --mode <web|phone|queue> --admin-email <email> --admin-name <name> [--admin-password <pw>]
  helpgate user create --account <account id> --email <email> --name <display name> --role <admin|manager|agent> [--password <pw>] [--max-sessions <n>]
  helpgate user list --account <account id>
  helpgate user reset-password --email <email> [--password <pw>]
  helpgate backup <file> [--force]
  helpgate restore <file> [--force]

Without a password one is generated and printed once.
backup copies the live SQLite database (the server may keep running); restore puts a backup in
its place and refuses while the database is in use unless --force (then restart the server).
PostgreSQL: pg_dump -Fc / pg_restore --clean (README, Backups).
`;

class UsageError extends Error {}

function need(values: Record<string, string | undefined>, name: string): string {
  const v = values[name];
  if (v === undefined || v.trim() === "") throw new UsageError(`--${name} is required`);
  return v;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${flag} must be one of ${allowed.join(", ")}, got "${value}"`);
  }
  return value as T;
}

/** Length and format checks the API does by schema, for input that arrives on the command line. */
function checkText(value: string, flag: string, max: number): string {
  if (value.length > max) throw new UsageError(`--${flag} must be at most ${max} characters`);
  return value;
}

function checkEmail(value: string, flag: string): string {
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) || value.length > 254) {
    throw new UsageError(`--${flag} must be an email address such as name@example.com`);
  }
  return value;
}

function print(lines: string[]): void {
  process.stdout.write(`${lines.join("\n")}\n`);
}

async function run(argv: string[], deps: Deps): Promise<void> {
  const [group, action, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      name: { type: "string" },
      mode: { type: "string" },
      "admin-email": { type: "string" },
      "admin-name": { type: "string" },
      "admin-password": { type: "string" },
      account: { type: "string" },
      email: { type: "string" },
      role: { type: "string" },
      password: { type: "string" },
      "max-sessions": { type: "string" },
    },
    strict: true,
  });
  const db = deps.db.kysely;
  const key = `${group ?? ""} ${action ?? ""}`;
  switch (key) {
    case "account list": {
      const accounts = await listAccounts(db);
      if (accounts.length === 0) return print(["No accounts yet."]);
      print(accounts.map((a) => `${a.id}  ${a.mode.padEnd(5)}  ${a.name}`));
      return;
    }
    case "account create": {
      const mode = oneOf<Mode>(need(values, "mode"), MODES, "mode");
      const password = values["admin-password"];
      const created = await insertNewAccount(deps, {
        name: checkText(need(values, "name"), "name", 100),
        mode,
        admin: {
          email: checkEmail(need(values, "admin-email"), "admin-email"),
          displayName: checkText(need(values, "admin-name"), "admin-name", 100),
          ...(password !== undefined ? { password } : {}),
        },
      });
      print([
        `Created account ${created.account.name} (${created.account.mode} mode): ${created.account.id}`,
        `Admin ${created.admin.email}${created.generatedPassword ? ` — password: ${created.generatedPassword} (shown only now)` : ""}`,
      ]);
      return;
    }
    case "user create": {
      const accountId = need(values, "account");
      const account = await findAccount(db, accountId);
      if (!account) throw new UsageError(`no account with id ${accountId} (see: helpgate account list)`);
      const role = oneOf<Role>(need(values, "role"), ROLES, "role");
      const maxRaw = values["max-sessions"];
      const maxSessions = maxRaw === undefined ? undefined : Number(maxRaw);
      if (
        maxSessions !== undefined &&
        (!Number.isInteger(maxSessions) || maxSessions < 1 || maxSessions > 20)
      ) {
        throw new UsageError("--max-sessions must be a whole number from 1 to 20");
      }
      const password = values.password;
      const created = await db.transaction().execute((trx) =>
        insertNewUser(
          trx,
          account.id,
          {
            email: checkEmail(need(values, "email"), "email"),
            displayName: checkText(need(values, "name"), "name", 100),
            role,
            ...(password !== undefined ? { password } : {}),
            ...(maxSessions !== undefined ? { maxSessions } : {}),
          },
          deps.now(),
        ),
      );
      print([
        `Created ${role} ${created.user.email} in ${account.name}: ${created.user.id}`,
        ...(created.generatedPassword ? [`Password: ${created.generatedPassword} (shown only now)`] : []),
      ]);
      return;
    }
    case "user list": {
      const accountId = need(values, "account");
      if (!(await findAccount(db, accountId))) throw new UsageError(`no account with id ${accountId}`);
      const users = await listUsers(db, accountId);
      print(
        users.map(
          (u) => `${u.id}  ${u.role.padEnd(7)}  ${u.disabled ? "disabled " : ""}${u.email}  ${u.displayName}`,
        ),
      );
      return;
    }
    case "user reset-password": {
      const email = need(values, "email");
      const user = await findUserByEmail(db, email);
      if (!user) throw new UsageError(`no user with email ${email}`);
      const result = await setPassword(deps, user.id, values.password);
      print([
        `Password of ${user.email} changed; they are signed out everywhere.`,
        ...(result.generatedPassword ? [`New password: ${result.generatedPassword} (shown only now)`] : []),
      ]);
      return;
    }
    default:
      throw new UsageError(
        group ? `unknown command "${[group, action].filter(Boolean).join(" ")}"` : "no command given",
      );
  }
}

/** `backup <file>` and `restore <file>`: they work on the database file, never open it with the migrator. */
async function runBackup(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    options: { force: { type: "boolean" } },
    allowPositionals: true,
    strict: true,
  });
  const [file, ...extra] = positionals;
  if (file === undefined || file.trim() === "")
    throw new UsageError(`${command} needs a file: helpgate ${command} <file>`);
  if (extra.length > 0) throw new UsageError(`${command} takes one file, got ${positionals.length}`);
  const { databaseUrl } = loadConfig(process.env);
  const force = values.force === true;
  print(
    command === "backup"
      ? await backup({ databaseUrl, target: file, force })
      : await restore({ databaseUrl, file, force }),
  );
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv.includes("--help") || argv.includes("-h") || argv[0] === "help") {
    process.stdout.write(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  let db: Db | null = null;
  try {
    if (argv[0] === "backup" || argv[0] === "restore") {
      await runBackup(argv);
      return 0;
    }
    const config = loadConfig(process.env);
    db = openDatabase(config.databaseUrl);
    await migrate(db);
    const deps: Deps = {
      db,
      config,
      now: Date.now,
      log: { info: () => {}, warn: () => {}, error: (o: unknown) => console.error(o) },
      bus: new InProcessBus(),
      presence: new InProcessPresence(),
      events: noReactions,
      outcomes: new RequestOutcomes(),
      signIns: { forgetUser: () => {} },
      outbox: { wake: () => {} },
    };
    await run(argv, deps);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && "code" in err)) {
      process.stderr.write(`helpgate: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof BackupRefusal) {
      process.stderr.write(`helpgate: ${err.message}\n`);
      return 1;
    }
    if (err instanceof DomainError || err instanceof ConfigError) {
      const fields = err instanceof DomainError ? Object.entries(err.fields) : [];
      const detail = fields
        .filter(([, p]) => p.message !== err.message)
        .map(([f, p]) => ` (${f}: ${p.message})`)
        .join("");
      process.stderr.write(`helpgate: ${err.message}${detail}\n`);
      return 1;
    }
    process.stderr.write(`helpgate: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await db?.close();
  }
}

const invokedDirectly = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ""));
if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
