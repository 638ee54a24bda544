import type { Kysely, Selectable } from "kysely";
import type { Account } from "../../shared/api.js";
import type { Mode } from "../../shared/model.js";
import type { AccountTable, Database } from "../db/schema.js";
import { serverTimeZone } from "../domain/timeZones.js";

export function toAccount(r: Selectable<AccountTable>): Account {
  return {
    id: r.id,
    name: r.name,
    mode: r.mode as Mode,
    webChatEnabled: r.web_chat_enabled === 1,
    upgradeEnabled: r.upgrade_enabled === 1,
    offerTimeoutSeconds: r.offer_timeout_seconds,
    tellCustomerMonitored: r.tell_customer_monitored !== 0,
    timeZone: r.time_zone ?? serverTimeZone(),
    createdAt: r.created_at,
  };
}

export async function insertAccount(db: Kysely<Database>, a: Account): Promise<void> {
  await db
    .insertInto("accounts")
    .values({
      id: a.id,
      name: a.name,
      mode: a.mode,
      web_chat_enabled: a.webChatEnabled ? 1 : 0,
      upgrade_enabled: a.upgradeEnabled ? 1 : 0,
      offer_timeout_seconds: a.offerTimeoutSeconds,
      tell_customer_monitored: a.tellCustomerMonitored ? 1 : 0,
      time_zone: a.timeZone,
      created_at: a.createdAt,
    })
    .execute();
}

/** An account as stored, with where its generated demo history ends (null: none). */
export type AccountRecord = Account & { demoHistoryUntil: number | null };

export async function findAccount(db: Kysely<Database>, accountId: string): Promise<AccountRecord | null> {
  const r = await db.selectFrom("accounts").selectAll().where("id", "=", accountId).executeTakeFirst();
  return r ? { ...toAccount(r), demoHistoryUntil: r.demo_history_until } : null;
}

/**
 * Reads an account and holds its row lock until the transaction ends, so checks that span several
 * rows of one account (the last admin, the mode against the portals, web chat against chat-first
 * portals) cannot interleave on PostgreSQL. SQLite runs one write transaction at a time anyway.
 */
export async function lockAccount(db: Kysely<Database>, accountId: string): Promise<Account | null> {
  await db
    .updateTable("accounts")
    .set((eb) => ({ name: eb.ref("name") }))
    .where("id", "=", accountId)
    .execute();
  return findAccount(db, accountId);
}

export async function listAccounts(db: Kysely<Database>): Promise<Account[]> {
  const rows = await db.selectFrom("accounts").selectAll().orderBy("created_at").orderBy("name").execute();
  return rows.map(toAccount);
}

export async function updateAccountRow(db: Kysely<Database>, a: Account): Promise<void> {
  await db
    .updateTable("accounts")
    .set({
      name: a.name,
      mode: a.mode,
      web_chat_enabled: a.webChatEnabled ? 1 : 0,
      upgrade_enabled: a.upgradeEnabled ? 1 : 0,
      offer_timeout_seconds: a.offerTimeoutSeconds,
      tell_customer_monitored: a.tellCustomerMonitored ? 1 : 0,
      time_zone: a.timeZone,
    })
    .where("id", "=", a.id)
    .execute();
}

/** Queue mode: how long an agent has to answer an offer (ms). */
export async function offerTimeoutMs(db: Kysely<Database>, accountId: string): Promise<number> {
  const r = await db
    .selectFrom("accounts")
    .select("offer_timeout_seconds")
    .where("id", "=", accountId)
    .executeTakeFirst();
  return (r?.offer_timeout_seconds ?? 30) * 1000;
}

/** Whether the account lets agents ask customers to share their screen. */
export async function upgradeEnabled(db: Kysely<Database>, accountId: string): Promise<boolean> {
  const a = await db
    .selectFrom("accounts")
    .select("upgrade_enabled")
    .where("id", "=", accountId)
    .executeTakeFirst();
  return a?.upgrade_enabled === 1;
}

/** Whether the account tells a customer (a line in the chat) that a supervisor is watching their session. */
export async function tellsCustomerMonitored(db: Kysely<Database>, accountId: string): Promise<boolean> {
  const r = await db
    .selectFrom("accounts")
    .select("tell_customer_monitored")
    .where("id", "=", accountId)
    .executeTakeFirst();
  return r?.tell_customer_monitored !== 0;
}
