import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { inject } from "vitest";
import {
  type Db,
  type Dialect,
  migrate,
  type OpenOptions,
  openDatabase,
} from "../../src/server/db/database.js";

const PG_ADMIN_URL = process.env.HELPGATE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** The databases this run tests against: SQLite always, PostgreSQL when reachable (required under CI). */
export function dialects(): Dialect[] {
  return inject("postgres") ? ["sqlite", "postgres"] : ["sqlite"];
}

export interface TestDatabase {
  db: Db;
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database of its own: a temp SQLite file, or a PostgreSQL database with a
 * unique name. `unmigrated: true` leaves it empty (a test of the migrations runs them itself).
 */
export async function createTestDatabase(
  dialect: Dialect,
  options: OpenOptions & { unmigrated?: boolean } = {},
): Promise<TestDatabase> {
  const { unmigrated = false, ...open } = options;
  const suffix = `${process.pid}_${randomBytes(4).toString("hex")}`;
  if (dialect === "sqlite") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helpgate-test-"));
    const url = `sqlite:${path.join(dir, "test.sqlite")}`;
    const db = openDatabase(url, open);
    if (!unmigrated) await migrate(db);
    return {
      db,
      url,
      drop: async () => {
        await db.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `helpgate_test_${suffix}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const db = openDatabase(url.toString(), open);
  if (!unmigrated) await migrate(db);
  return {
    db,
    url: url.toString(),
    drop: async () => {
      await db.close();
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
