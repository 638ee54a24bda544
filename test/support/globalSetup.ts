import fs from "node:fs";
import { Redis } from "ioredis";
import pg from "pg";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    postgres: boolean;
    redis: boolean;
    chromium: boolean;
  }
}

export const PG_ADMIN_URL = process.env.HELPGATE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.HELPGATE_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function redisReachable(): Promise<boolean> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 2000,
    commandTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on("error", () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/**
 * Finds out which real dependencies this machine has. Under CI=true a missing one fails the run;
 * elsewhere the suites that need it are skipped, and this says so loudly.
 */
export default async function setup(project: TestProject): Promise<void> {
  const ci = process.env.CI === "true" || process.env.CI === "1";
  const [postgres, redis] = await Promise.all([postgresReachable(), redisReachable()]);
  const chromium = fs.existsSync(CHROMIUM);
  const missing: string[] = [];
  if (!postgres) missing.push(`PostgreSQL at ${PG_ADMIN_URL}`);
  if (!redis) missing.push(`Redis at ${REDIS_URL}`);
  if (project.name === "e2e" && !chromium) missing.push(`Chromium at ${CHROMIUM}`);
  if (missing.length > 0) {
    const text = `MISSING: ${missing.join(", ")} — the suites that need it ${ci ? "cannot run" : "are SKIPPED"}.`;
    if (ci) throw new Error(`${text} CI=true makes this a failure.`);
    console.warn(`\n!!!!!!!!!!!!!!!!!!!!!!!!\n${text}\n!!!!!!!!!!!!!!!!!!!!!!!!\n`);
  }
  project.provide("postgres", postgres);
  project.provide("redis", redis);
  project.provide("chromium", chromium);
}
