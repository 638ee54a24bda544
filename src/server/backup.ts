import fs from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import { DEFAULT_MIGRATION_TABLE } from "kysely";
import { migratorOf, openDatabase } from "./db/database.js";

/**
 * `helpgate backup` and `helpgate restore` (README, Backups): a consistent copy of a live SQLite
 * database through SQLite's online backup API, and bringing one back. PostgreSQL has pg_dump.
 */

/** A refusal with a message for the operator: the CLI prints it and exits with code 1. */
export class BackupRefusal extends Error {}

/** Kysely's migrator (database.ts, default options) keeps the migrations a database ran in this table. */
const MIGRATION_TABLE = DEFAULT_MIGRATION_TABLE;

const POSTGRES_HINT =
  "backup and restore work on SQLite only; for PostgreSQL use pg_dump -Fc and pg_restore --clean (README, Backups)";

export interface BackupOptions {
  databaseUrl: string;
  target: string;
  force: boolean;
}

/** The SQLite file of a DATABASE_URL, or a refusal for PostgreSQL and in-memory databases. */
function sqliteFile(databaseUrl: string): string {
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) throw new BackupRefusal(POSTGRES_HINT);
  const file = databaseUrl.replace(/^sqlite:/, "");
  if (file === ":memory:" || file === "")
    throw new BackupRefusal("an in-memory database cannot be backed up");
  return path.resolve(file);
}

/** A temp file next to `target` (same directory, so the rename that publishes it is atomic). */
function tempNextTo(target: string, what: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${what}-${process.pid}.tmp`);
}

function removeQuietly(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) fs.rmSync(f, { force: true });
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function count(db: SQLite.Database, table: string): number {
  const row = db.prepare(`select count(*) as n from ${table}`).get() as { n: number };
  return row.n;
}

/** Copies the live database to `target`: written to a temp file, renamed when complete. Returns the lines to print. */
export async function backup(options: BackupOptions): Promise<string[]> {
  const started = Date.now();
  const source = sqliteFile(options.databaseUrl);
  const target = path.resolve(options.target);
  if (!fs.existsSync(source)) throw new BackupRefusal(`there is no database at ${source} (DATABASE_URL)`);
  if (target === source) throw new BackupRefusal("the backup cannot be the database itself");
  if (!fs.existsSync(path.dirname(target))) {
    throw new BackupRefusal(`the directory ${path.dirname(target)} does not exist`);
  }
  if (fs.existsSync(target) && !options.force) {
    throw new BackupRefusal(`${target} already exists; choose another name or add --force to overwrite it`);
  }
  if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
    throw new BackupRefusal(`${target} is a directory; name a file`);
  }
  const temp = tempNextTo(target, "backup");
  removeQuietly(temp);
  // A connection of its own to the live database. In WAL mode the server keeps writing meanwhile.
  const live = new SQLite(source, { fileMustExist: true, timeout: 5000 });
  let accounts = 0;
  let requests = 0;
  try {
    // All pages in one step, inside one read transaction: a consistent snapshot, and no write by the
    // server can restart the copy (which the API does between steps when another connection writes).
    await live.backup(temp, { progress: () => 0x7fffffff });
    const copy = new SQLite(temp, { fileMustExist: true });
    try {
      // A file of its own: no -wal beside it, readable anywhere (the server switches WAL on again).
      copy.pragma("journal_mode = DELETE");
      const check = copy.pragma("quick_check", { simple: true });
      if (check !== "ok") throw new BackupRefusal(`the copy failed SQLite's check: ${String(check)}`);
      accounts = count(copy, "accounts");
      requests = count(copy, "requests");
    } finally {
      copy.close();
    }
    fs.chmodSync(temp, 0o600);
    fs.renameSync(temp, target);
  } catch (err) {
    removeQuietly(temp);
    throw err;
  } finally {
    live.close();
  }
  const size = fs.statSync(target).size;
  return [
    `Backed up ${source}`,
    `  to ${target} (${formatBytes(size)})`,
    `  ${accounts} account${accounts === 1 ? "" : "s"}, ${requests} request${requests === 1 ? "" : "s"}, in ${Date.now() - started} ms`,
  ];
}

export interface RestoreOptions {
  databaseUrl: string;
  file: string;
  force: boolean;
}

/** The names of every migration this version knows (asked of the migrator on an empty in-memory database). */
async function knownMigrations(): Promise<Set<string>> {
  const scratch = openDatabase(":memory:");
  try {
    return new Set((await migratorOf(scratch).getMigrations()).map((m) => m.name));
  } finally {
    await scratch.close();
  }
}

function isSqliteFile(file: string): boolean {
  const header = Buffer.alloc(16);
  const fd = fs.openSync(file, "r");
  try {
    return fs.readSync(fd, header, 0, 16, 0) === 16 && header.toString("latin1") === "SQLite format 3\u0000";
  } finally {
    fs.closeSync(fd);
  }
}

interface Checked {
  migrations: number;
  accounts: number;
  requests: number;
  messages: number;
}

/** Checks a copy of the backup: SQLite, intact, Helpgate's, no migration newer than this version. */
async function checkBackup(copy: string, shownAs: string): Promise<Checked> {
  if (!isSqliteFile(copy)) throw new BackupRefusal(`${shownAs} is not a SQLite database`);
  let db: SQLite.Database;
  try {
    db = new SQLite(copy, { fileMustExist: true });
  } catch (err) {
    throw new BackupRefusal(
      `${shownAs} cannot be opened: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  try {
    let check: unknown;
    try {
      check = db.pragma("quick_check", { simple: true });
    } catch (err) {
      throw new BackupRefusal(`${shownAs} is damaged: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (check !== "ok") throw new BackupRefusal(`${shownAs} is damaged: ${String(check)}`);
    const hasTable = db
      .prepare("select 1 from sqlite_master where type = 'table' and name = ?")
      .get(MIGRATION_TABLE);
    if (!hasTable) {
      throw new BackupRefusal(
        `${shownAs} is a SQLite database but not Helpgate's (no ${MIGRATION_TABLE} table)`,
      );
    }
    const ran = (db.prepare(`select name from ${MIGRATION_TABLE}`).all() as { name: string }[]).map(
      (r) => r.name,
    );
    const known = await knownMigrations();
    const unknown = ran.filter((name) => !known.has(name));
    if (unknown.length > 0) {
      throw new BackupRefusal(
        `${shownAs} was made by a newer Helpgate (migration ${unknown.join(", ")} unknown here): upgrade first`,
      );
    }
    for (const table of ["accounts", "requests", "messages"]) {
      const present = db.prepare("select 1 from sqlite_master where type = 'table' and name = ?").get(table);
      if (!present) throw new BackupRefusal(`${shownAs} lacks Helpgate's ${table} table`);
    }
    return {
      migrations: ran.length,
      accounts: count(db, "accounts"),
      requests: count(db, "requests"),
      messages: count(db, "messages"),
    };
  } finally {
    db.close();
  }
}

/**
 * Whether another process has the database open: a running server keeps a lock on its WAL
 * database as long as it runs, so an exclusive lock cannot be had. Taking and releasing it also
 * checkpoints what a crashed server left in the -wal file into the database file.
 */
function inUse(file: string): boolean {
  const probe = new SQLite(file, { fileMustExist: true, timeout: 1000 });
  try {
    probe.pragma("locking_mode = EXCLUSIVE");
    probe.exec("BEGIN EXCLUSIVE");
    probe.exec("COMMIT");
    return false;
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith("SQLITE_BUSY")) return true;
    throw err;
  } finally {
    probe.close();
  }
}

/** Puts the backup in place of the database DATABASE_URL names (temp copy + rename). Returns the lines to print. */
export async function restore(options: RestoreOptions): Promise<string[]> {
  const target = sqliteFile(options.databaseUrl);
  const file = path.resolve(options.file);
  if (!fs.existsSync(file)) throw new BackupRefusal(`there is no file ${file}`);
  if (!fs.statSync(file).isFile()) throw new BackupRefusal(`${file} is not a file`);
  if (file === target) throw new BackupRefusal("the backup is the database itself");
  fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  const temp = tempNextTo(target, "restore");
  removeQuietly(temp);
  // Checked on a copy next to the database: the backup itself stays untouched, and the copy is
  // exactly what the rename puts in place.
  fs.copyFileSync(file, temp);
  try {
    fs.chmodSync(temp, 0o600);
    const checked = await checkBackup(temp, file);
    let running = false;
    if (fs.existsSync(target)) {
      running = inUse(target);
      if (running && !options.force) {
        throw new BackupRefusal(
          `the database ${target} is in use (a running Helpgate?): stop it first, or add --force and restart it right after`,
        );
      }
    }
    fs.renameSync(temp, target);
    // The old database's -wal and -shm belong to the file just replaced: left, SQLite would apply
    // them to the restored one. (The lock probe has checkpointed and removed them when nothing runs.)
    for (const f of [`${target}-wal`, `${target}-shm`, `${target}-journal`]) fs.rmSync(f, { force: true });
    return [
      `Restored ${file}`,
      `  to ${target}`,
      `  ${checked.accounts} account${checked.accounts === 1 ? "" : "s"}, ${checked.requests} request${checked.requests === 1 ? "" : "s"}, ${checked.messages} message${checked.messages === 1 ? "" : "s"}, ${checked.migrations} migrations`,
      running
        ? "The database was in use (--force): restart Helpgate now; what it writes until then is lost."
        : "Start Helpgate: migrations newer than the backup run on start.",
    ];
  } catch (err) {
    removeQuietly(temp);
    throw err;
  }
}
