/**
 * What the report statements cost against a seeded history, and why: runs the 30-day summary,
 * by-agent and by-day reports and the first batches of the raw export in this process (the
 * report queries themselves, on a connection of their own), captures every statement they send,
 * and shows each to the planner — SQLite `EXPLAIN QUERY PLAN` (and the statement timed once),
 * PostgreSQL `EXPLAIN (ANALYZE, BUFFERS)`.
 */
import SQLite from "better-sqlite3";
import pg from "pg";
import { InProcessBus } from "../../src/server/bus/inProcessBus.js";
import { InProcessPresence } from "../../src/server/bus/presence.js";
import { RequestOutcomes } from "../../src/server/bus/requestOutcomes.js";
import type { Deps } from "../../src/server/commands/context.js";
import { loadConfig } from "../../src/server/config.js";
import { openDatabase } from "../../src/server/db/database.js";
import { noReactions } from "../../src/server/events/reactions.js";
import {
  type ReportFilter,
  reportAgents,
  reportDays,
  reportSummary,
  requestsExport,
} from "../../src/server/queries/reports.js";
import { findUserById } from "../../src/server/store/users.js";

export interface ExplainedStatement {
  /** Which report sent it. */
  report: string;
  sql: string;
  /** SQLite: the statement run once more on its own; PostgreSQL: EXPLAIN ANALYZE's execution time. */
  ms: number;
  plan: string[];
}

interface Captured {
  report: string;
  sql: string;
  parameters: readonly unknown[];
}

const silent = () => {};

export async function explainReports(
  databaseUrl: string,
  accountId: string,
  exportFilter: ReportFilter,
): Promise<ExplainedStatement[]> {
  let current = "";
  const captured: Captured[] = [];
  const db = openDatabase(databaseUrl, {
    onQuery: (q) => {
      if (current && /^\s*select/i.test(q.sql) && /\b(requests|sessions)\b/.test(q.sql))
        captured.push({ report: current, sql: q.sql, parameters: q.parameters });
    },
  });
  try {
    const deps: Deps = {
      db,
      config: loadConfig({ DATABASE_URL: databaseUrl, PUBLIC_URL: "http://127.0.0.1", LOG_LEVEL: "warn" }),
      now: Date.now,
      log: { info: silent, warn: silent, error: silent },
      bus: new InProcessBus(),
      presence: new InProcessPresence(),
      events: noReactions,
      outcomes: new RequestOutcomes(),
      signIns: { forgetUser: () => {} },
      outbox: { wake: () => {} },
    };
    const admin = await db.kysely
      .selectFrom("users")
      .select("id")
      .where("account_id", "=", accountId)
      .where("role", "=", "admin")
      .executeTakeFirstOrThrow();
    const user = await findUserById(db.kysely, admin.id);
    if (!user) throw new Error("no admin");
    const actor = { user };
    const last30: ReportFilter = { period: "last30" };
    current = "summary";
    await reportSummary(deps, actor, accountId, last30);
    current = "agents";
    await reportAgents(deps, actor, accountId, last30);
    current = "days";
    await reportDays(deps, actor, accountId, last30);
    current = "requests.csv (first two batches)";
    const { batches } = await requestsExport(deps, actor, accountId, exportFilter);
    let n = 0;
    for await (const _ of batches) if (++n >= 2) break;
    current = "";
  } finally {
    await db.close();
  }
  const out: ExplainedStatement[] = [];
  if (databaseUrl.startsWith("postgres")) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      for (const q of captured) {
        const res = await client.query<{ "QUERY PLAN": string }>(
          `EXPLAIN (ANALYZE, BUFFERS) ${q.sql}`,
          q.parameters as unknown[],
        );
        const plan = res.rows.map((r) => r["QUERY PLAN"]);
        const time = /Execution Time: ([\d.]+) ms/.exec(plan.join("\n"));
        out.push({ report: q.report, sql: q.sql, ms: Number(time?.[1] ?? Number.NaN), plan });
      }
    } finally {
      await client.end();
    }
    return out;
  }
  const sqlite = new SQLite(databaseUrl.replace(/^sqlite:/, ""), { readonly: true });
  try {
    for (const q of captured) {
      const params = q.parameters as unknown[];
      const rows = sqlite.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...params) as { detail: string }[];
      const t0 = performance.now();
      sqlite.prepare(q.sql).all(...params);
      out.push({ report: q.report, sql: q.sql, ms: performance.now() - t0, plan: rows.map((r) => r.detail) });
    }
  } finally {
    sqlite.close();
  }
  return out;
}

/** The statements and their plans as text, slowest first. */
export function plansText(title: string, statements: readonly ExplainedStatement[]): string {
  const lines = [`== ${title}`];
  for (const s of [...statements].sort((a, b) => b.ms - a.ms)) {
    lines.push(
      `-- ${s.report}: ${s.ms.toFixed(1)} ms`,
      s.sql.replace(/\s+/g, " "),
      ...s.plan.map((p) => `   ${p}`),
      "",
    );
  }
  return lines.join("\n");
}
