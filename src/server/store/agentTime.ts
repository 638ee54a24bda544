import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../db/schema.js";

/**
 * The agents' time for reports (issue 12): one `signed-in` row per console connection, kept alive
 * by `seen_at`, and one `available` row per spell of the Available toggle. Read by where they end,
 * so a report reads its period's rows and the few still open, never the whole past.
 */

/** How often an open console connection says it is still there. */
export const CONSOLE_SEEN_EVERY_MS = 60_000;
/** A signed-in row not seen for this long belongs to a node that stopped without closing it. */
export const CONSOLE_GONE_AFTER_MS = 3 * CONSOLE_SEEN_EVERY_MS;

export async function openSignedIn(
  db: Kysely<Database>,
  accountId: string,
  userId: string,
  now: number,
): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto("agent_intervals")
    .values({
      id,
      account_id: accountId,
      user_id: userId,
      kind: "signed-in",
      started_at: now,
      ended_at: null,
      seen_at: now,
    })
    .execute();
  return id;
}

export async function closeSignedIn(db: Kysely<Database>, id: string, now: number): Promise<void> {
  await db
    .updateTable("agent_intervals")
    .set({ ended_at: now, seen_at: now })
    .where("id", "=", id)
    .where("ended_at", "is", null)
    .execute();
}

export async function seenSignedIn(db: Kysely<Database>, id: string, now: number): Promise<void> {
  await db
    .updateTable("agent_intervals")
    .set({ seen_at: now })
    .where("id", "=", id)
    .where("ended_at", "is", null)
    .execute();
}

/** Starts or ends the agent's Available spell; called in the transaction that flips the toggle. */
export async function recordAvailable(
  db: Kysely<Database>,
  accountId: string,
  userId: string,
  available: boolean,
  now: number,
): Promise<void> {
  await db
    .updateTable("agent_intervals")
    .set({ ended_at: now, seen_at: now })
    .where("user_id", "=", userId)
    .where("kind", "=", "available")
    .where("ended_at", "is", null)
    .execute();
  if (!available) return;
  await db
    .insertInto("agent_intervals")
    .values({
      id: randomUUID(),
      account_id: accountId,
      user_id: userId,
      kind: "available",
      started_at: now,
      ended_at: null,
      seen_at: now,
    })
    .execute();
}

/** Ends the connections of nodes that stopped without ending them, where they were last seen. */
export async function closeGoneSignedIn(db: Kysely<Database>, now: number): Promise<number> {
  const result = await db
    .updateTable("agent_intervals")
    .set((eb) => ({ ended_at: eb.ref("seen_at") }))
    .where("kind", "=", "signed-in")
    .where("ended_at", "is", null)
    .where("seen_at", "<", now - CONSOLE_GONE_AFTER_MS)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export interface AgentSpell {
  userId: string;
  kind: "signed-in" | "available";
  start: number;
  end: number;
}

/**
 * The spells of the account's agents that overlap [from, to), clipped to it; open ones last until
 * now (a connection not seen for CONSOLE_GONE_AFTER_MS ended when it was last seen).
 */
export async function agentSpells(
  db: Kysely<Database>,
  accountId: string,
  from: number,
  to: number,
  now: number,
): Promise<AgentSpell[]> {
  const columns = ["user_id", "kind", "started_at", "ended_at", "seen_at"] as const;
  const [ended, open] = await Promise.all([
    db
      .selectFrom("agent_intervals")
      .select(columns)
      .where("account_id", "=", accountId)
      .where("kind", "in", ["signed-in", "available"])
      .where("ended_at", ">", from)
      .where("started_at", "<", to)
      .execute(),
    db
      .selectFrom("agent_intervals")
      .select(columns)
      .where("account_id", "=", accountId)
      .where("kind", "in", ["signed-in", "available"])
      .where("ended_at", "is", null)
      .where("started_at", "<", to)
      .execute(),
  ]);
  const spells: AgentSpell[] = [];
  for (const r of [...ended, ...open]) {
    const seen = Number(r.seen_at);
    const lastEnd =
      r.ended_at !== null
        ? Number(r.ended_at)
        : r.kind === "signed-in" && now - seen > CONSOLE_GONE_AFTER_MS
          ? seen
          : now;
    const start = Math.max(Number(r.started_at), from);
    const end = Math.min(lastEnd, to);
    if (end > start) spells.push({ userId: r.user_id, kind: r.kind, start, end });
  }
  return spells;
}

/** The length of the union of intervals (overlapping connections of one agent count once). */
export function unionLength(spans: readonly { start: number; end: number }[]): number {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  let total = 0;
  let curStart = Number.NEGATIVE_INFINITY;
  let curEnd = Number.NEGATIVE_INFINITY;
  for (const s of sorted) {
    if (s.start > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart;
      curStart = s.start;
      curEnd = s.end;
    } else curEnd = Math.max(curEnd, s.end);
  }
  if (curEnd > curStart) total += curEnd - curStart;
  return total;
}

/** The length of the intersection of two unions of intervals. */
export function overlapLength(
  a: readonly { start: number; end: number }[],
  b: readonly { start: number; end: number }[],
): number {
  // |A ∩ B| = |A| + |B| − |A ∪ B|
  return unionLength(a) + unionLength(b) - unionLength([...a, ...b]);
}
