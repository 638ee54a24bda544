import fs from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import {
  Kysely,
  type KyselyConfig,
  type Migration,
  type MigrationProvider,
  Migrator,
  PostgresDialect,
  type SqliteDatabase,
  SqliteDialect,
  sql,
} from "kysely";
import pg from "pg";
import type { Tracing } from "../tracing.js";
import * as m001 from "./migrations/001_foundation.js";
import * as m002 from "./migrations/002_requests.js";
import * as m003 from "./migrations/003_queue.js";
import * as m004 from "./migrations/004_sessions.js";
import * as m005 from "./migrations/005_history_indexes.js";
import * as m006 from "./migrations/006_login_failures.js";
import * as m007 from "./migrations/007_session_number.js";
import * as m008 from "./migrations/008_teamwork.js";
import * as m009 from "./migrations/009_integrations.js";
import * as m010 from "./migrations/010_reports.js";
import * as m011 from "./migrations/011_report_indexes.js";
import * as m012 from "./migrations/012_report_history.js";
import * as m013 from "./migrations/013_report_rollups.js";
import * as m014 from "./migrations/014_canned_responses.js";
import * as m015 from "./migrations/015_business_hours.js";
import type { Database } from "./schema.js";

export type Dialect = "sqlite" | "postgres";

export interface Db {
  kysely: Kysely<Database>;
  dialect: Dialect;
  close(): Promise<void>;
}

/** A statement as it was sent to the database: its SQL text and the values bound to it. */
export interface ExecutedQuery {
  sql: string;
  parameters: readonly unknown[];
}

export interface OpenOptions {
  /**
   * Called after every statement the database ran (tests: which queries a flow runs, and their
   * plans). Unset in the server, so nothing is logged or timed per query.
   */
  onQuery?: (query: ExecutedQuery) => void;
  /** OpenTelemetry (OTEL_EXPORTER_OTLP_ENDPOINT): a span per statement, its SQL text, never its parameters. */
  tracing?: Tracing;
}

// bigint (int8) and numeric counts arrive from pg as strings; epoch milliseconds fit a JS number exactly.
pg.types.setTypeParser(20, (v) => Number(v));

const migrations: Record<string, Migration> = {
  "001_foundation": m001,
  "002_requests": m002,
  "003_queue": m003,
  "004_sessions": m004,
  "005_history_indexes": m005,
  "006_login_failures": m006,
  "007_session_number": m007,
  "008_teamwork": m008,
  "009_integrations": m009,
  "010_reports": m010,
  "011_report_indexes": m011,
  "012_report_history": m012,
  "013_report_rollups": m013,
  "014_canned_responses": m014,
  "015_business_hours": m015,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export function openDatabase(databaseUrl: string, options: OpenOptions = {}): Db {
  const { onQuery, tracing } = options;
  const dialect: Dialect = databaseUrl.startsWith("postgres") ? "postgres" : "sqlite";
  const log: KyselyConfig["log"] =
    onQuery || tracing
      ? (event) => {
          if (event.level === "query")
            onQuery?.({ sql: event.query.sql, parameters: event.query.parameters });
          tracing?.query(
            dialect,
            event.query.sql,
            event.queryDurationMillis,
            event.level === "error" ? event.error : undefined,
          );
        }
      : undefined;
  if (dialect === "postgres") {
    // A database that does not answer fails a query after 5 s (a 503), instead of hanging it.
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 10, connectionTimeoutMillis: 5000 });
    // An idle client that loses its server must not take the process down; the next query reports it.
    pool.on("error", () => {});
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...(log ? { log } : {}) });
    return { kysely, dialect: "postgres", close: () => kysely.destroy() };
  }
  const file = databaseUrl.replace(/^sqlite:/, "");
  if (file !== ":memory:") createPrivately(file);
  const sqlite = new SQLite(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  const kysely = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
    ...(log ? { log } : {}),
  });
  return { kysely, dialect: "sqlite", close: () => kysely.destroy() };
}

/**
 * The database holds every conversation and password hash: a directory Helpgate creates is
 * 0700 and a new database file 0600 (SQLite gives its -wal and -shm files the database file's
 * mode), under any umask that leaves the owner's bits alone. An existing file or directory keeps the mode its owner gave it.
 */
function createPrivately(file: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  try {
    fs.closeSync(
      fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600),
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
}

/**
 * Kysely prepares every query anew, and compiling SQL is much of what a small SQLite query costs
 * (the benchmark's profile: better-sqlite3 `prepare` beside the query itself). The same SQL text
 * reuses its compiled statement here, the most recently used `max` of them.
 */
function withStatementCache(sqlite: SQLite.Database, max = 1000): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      const cached = cache.get(text);
      // A statement still being iterated (a streamed query) cannot run again until it is done.
      if (cached && !cached.busy) {
        cache.delete(text);
        cache.set(text, cached);
        return cached;
      }
      const statement = sqlite.prepare(text);
      if (!cached) {
        cache.set(text, statement);
        if (cache.size > max) {
          const oldest = cache.keys().next().value;
          if (oldest !== undefined) cache.delete(oldest);
        }
      }
      return statement;
    },
  };
}

/**
 * The migrator of every migration above. 006 was written before 005 (numbers reserved per
 * change): a database that already ran 006 runs 005 after it instead of refusing to start.
 * Tests use it to build a database as an older release left it (`migrateTo`).
 */
export function migratorOf(db: Db): Migrator {
  return new Migrator({ db: db.kysely, provider, allowUnorderedMigrations: true });
}

export async function migrate(db: Db): Promise<void> {
  const { error, results } = await migratorOf(db).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new Error(
      `database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

export async function ping(db: Db): Promise<boolean> {
  try {
    await sql`select 1`.execute(db.kysely);
    return true;
  } catch {
    return false;
  }
}

/** True when the error is a unique-constraint violation in either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    e?.code === "23505" ||
    e?.code === "SQLITE_CONSTRAINT_UNIQUE" ||
    e?.code === "SQLITE_CONSTRAINT_PRIMARYKEY"
  );
}
