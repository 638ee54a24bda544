import type { Kysely, Selectable } from "kysely";
import type { Portal } from "../../shared/api.js";
import type { ConnectionMode, ContactField, Language, PortalType } from "../../shared/model.js";
import type { Database, PortalTable } from "../db/schema.js";

export type PortalRow = Omit<Portal, "url">;

function toPortalRow(r: Selectable<PortalTable>, agentIds: string[]): PortalRow {
  return {
    id: r.id,
    accountId: r.account_id,
    slug: r.slug,
    type: r.type as PortalType,
    name: r.name,
    title: r.title,
    welcomeText: r.welcome_text,
    language: r.language as Language,
    primaryColor: r.primary_color,
    logoUrl: r.logo_url,
    fields: JSON.parse(r.fields) as ContactField[],
    connectionMode: r.connection_mode as ConnectionMode,
    enabled: r.enabled === 1,
    maxWaitSeconds: r.max_wait_seconds,
    greeting: r.greeting,
    agentIds,
    notifyEmails: JSON.parse(r.notify_emails) as string[],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

async function agentIdsOf(db: Kysely<Database>, portalIds: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  if (portalIds.length === 0) return map;
  const rows = await db
    .selectFrom("portal_agents")
    .select(["portal_id", "user_id"])
    .where("portal_id", "in", portalIds)
    .orderBy("user_id")
    .execute();
  for (const r of rows) {
    const list = map.get(r.portal_id) ?? [];
    list.push(r.user_id);
    map.set(r.portal_id, list);
  }
  return map;
}

function columns(p: PortalRow) {
  return {
    slug: p.slug,
    type: p.type,
    name: p.name,
    title: p.title,
    welcome_text: p.welcomeText,
    language: p.language,
    primary_color: p.primaryColor,
    logo_url: p.logoUrl,
    fields: JSON.stringify(p.fields),
    connection_mode: p.connectionMode,
    enabled: p.enabled ? 1 : 0,
    max_wait_seconds: p.maxWaitSeconds,
    greeting: p.greeting,
    notify_emails: JSON.stringify(p.notifyEmails),
    updated_at: p.updatedAt,
  };
}

export async function insertPortal(db: Kysely<Database>, p: PortalRow): Promise<void> {
  await db
    .insertInto("portals")
    .values({ id: p.id, account_id: p.accountId, created_at: p.createdAt, ...columns(p) })
    .execute();
}

export async function updatePortalRow(db: Kysely<Database>, p: PortalRow): Promise<void> {
  await db
    .updateTable("portals")
    .set(columns(p))
    .where("account_id", "=", p.accountId)
    .where("id", "=", p.id)
    .execute();
}

export async function findPortal(
  db: Kysely<Database>,
  accountId: string,
  portalId: string,
): Promise<PortalRow | null> {
  const r = await db
    .selectFrom("portals")
    .selectAll()
    .where("account_id", "=", accountId)
    .where("id", "=", portalId)
    .executeTakeFirst();
  if (!r) return null;
  return toPortalRow(r, (await agentIdsOf(db, [r.id])).get(r.id) ?? []);
}

/** The public lookup behind `/p/<slug>`: a slug is global, the portal tells which account it belongs to. */
export async function findPortalBySlug(db: Kysely<Database>, slug: string): Promise<PortalRow | null> {
  const r = await db.selectFrom("portals").selectAll().where("slug", "=", slug).executeTakeFirst();
  if (!r) return null;
  return toPortalRow(r, (await agentIdsOf(db, [r.id])).get(r.id) ?? []);
}

/** A portal as customers' pages need it: without its agent list, which those pages never read. */
export type PublicPortal = Omit<PortalRow, "agentIds">;

export async function findPublicPortalBySlug(
  db: Kysely<Database>,
  slug: string,
): Promise<PublicPortal | null> {
  const r = await db.selectFrom("portals").selectAll().where("slug", "=", slug).executeTakeFirst();
  if (!r) return null;
  const { agentIds: _unused, ...portal } = toPortalRow(r, []);
  return portal;
}

export async function listPortals(db: Kysely<Database>, accountId: string): Promise<PortalRow[]> {
  const rows = await db
    .selectFrom("portals")
    .selectAll()
    .where("account_id", "=", accountId)
    .orderBy("name")
    .orderBy("slug")
    .execute();
  const agents = await agentIdsOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toPortalRow(r, agents.get(r.id) ?? []));
}

export async function countPortalIdsInAccount(
  db: Kysely<Database>,
  accountId: string,
  portalIds: string[],
): Promise<number> {
  if (portalIds.length === 0) return 0;
  const rows = await db
    .selectFrom("portals")
    .select("id")
    .where("account_id", "=", accountId)
    .where("id", "in", portalIds)
    .execute();
  return rows.length;
}

/** Replaces the agents assigned to a portal; the caller has checked they belong to the account. */
export async function setPortalAgents(
  db: Kysely<Database>,
  accountId: string,
  portalId: string,
  userIds: string[],
): Promise<void> {
  await db
    .deleteFrom("portal_agents")
    .where("account_id", "=", accountId)
    .where("portal_id", "=", portalId)
    .execute();
  if (userIds.length > 0) {
    await db
      .insertInto("portal_agents")
      .values(userIds.map((user_id) => ({ portal_id: portalId, user_id, account_id: accountId })))
      .execute();
  }
}
