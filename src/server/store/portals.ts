import type { Kysely, Selectable } from "kysely";
import type { Portal } from "../../shared/api.js";
import type { BusinessHours } from "../../shared/businessHours.js";
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
    businessHours: r.business_hours === null ? null : (JSON.parse(r.business_hours) as BusinessHours),
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
    business_hours: p.businessHours === null ? null : JSON.stringify(p.businessHours),
    updated_at: p.updatedAt,
  };
}

export async function insertPortal(db: Kysely<Database>, p: PortalRow): Promise<void> {
  await db
    .insertInto("portals")
    .values({ id: p.id, account_id: p.accountId, created_at: p.createdAt, ...columns(p) })
    .execute();
}

/** A deleted portal is never written again (a change read before the delete committed changes nothing). */
export async function updatePortalRow(db: Kysely<Database>, p: PortalRow): Promise<void> {
  await db
    .updateTable("portals")
    .set(columns(p))
    .where("account_id", "=", p.accountId)
    .where("id", "=", p.id)
    .where("deleted_at", "is", null)
    .execute();
}

/**
 * A portal of the account; a deleted one only with `includeDeleted` — for what keeps its history
 * (a customer's own request page, the email about an unanswered request). Every other read of
 * portals here leaves deleted ones out.
 */
export async function findPortal(
  db: Kysely<Database>,
  accountId: string,
  portalId: string,
  options: { includeDeleted?: boolean } = {},
): Promise<PortalRow | null> {
  let q = db.selectFrom("portals").selectAll().where("account_id", "=", accountId).where("id", "=", portalId);
  if (!options.includeDeleted) q = q.where("deleted_at", "is", null);
  const r = await q.executeTakeFirst();
  if (!r) return null;
  return toPortalRow(r, (await agentIdsOf(db, [r.id])).get(r.id) ?? []);
}

/** The public lookup behind `/p/<slug>`: a slug is global, the portal tells which account it belongs to. */
export async function findPortalBySlug(db: Kysely<Database>, slug: string): Promise<PortalRow | null> {
  const r = await db
    .selectFrom("portals")
    .selectAll()
    .where("slug", "=", slug)
    .where("deleted_at", "is", null)
    .executeTakeFirst();
  if (!r) return null;
  return toPortalRow(r, (await agentIdsOf(db, [r.id])).get(r.id) ?? []);
}

/** A portal as customers' pages need it: without its agent list, which those pages never read. */
export type PublicPortal = Omit<PortalRow, "agentIds">;

export async function findPublicPortalBySlug(
  db: Kysely<Database>,
  slug: string,
): Promise<PublicPortal | null> {
  const r = await db
    .selectFrom("portals")
    .selectAll()
    .where("slug", "=", slug)
    .where("deleted_at", "is", null)
    .executeTakeFirst();
  if (!r) return null;
  const { agentIds: _unused, ...portal } = toPortalRow(r, []);
  return portal;
}

/** The types of the account's portals among `portalIds` (deleted ones left out), in one read. */
export async function portalTypes(
  db: Kysely<Database>,
  accountId: string,
  portalIds: readonly string[],
): Promise<Map<string, PortalRow["type"]>> {
  if (portalIds.length === 0) return new Map();
  const rows = await db
    .selectFrom("portals")
    .select(["id", "type"])
    .where("account_id", "=", accountId)
    .where("id", "in", [...portalIds])
    .where("deleted_at", "is", null)
    .execute();
  return new Map(rows.map((r) => [r.id, r.type as PortalRow["type"]]));
}

export async function listPortals(db: Kysely<Database>, accountId: string): Promise<PortalRow[]> {
  const rows = await db
    .selectFrom("portals")
    .selectAll()
    .where("account_id", "=", accountId)
    .where("deleted_at", "is", null)
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
    .where("deleted_at", "is", null)
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

/**
 * The slug a deleted portal keeps: unique (the column is UNIQUE across the installation) and one no
 * user can type (slugs are lower-case letters, digits and dashes), so its old address is free.
 */
export function deletedSlug(portalId: string): string {
  return `~deleted-${portalId}`;
}

/**
 * Deletes a live portal softly: gone from every page and list, its rows (requests, sessions) kept
 * for the reports. Returns false when there is no such live portal. On PostgreSQL the portal's row
 * stays locked until the caller's transaction ends.
 */
export async function markPortalDeleted(
  db: Kysely<Database>,
  accountId: string,
  portalId: string,
  now: number,
): Promise<boolean> {
  const r = await db
    .updateTable("portals")
    .set({ deleted_at: now, enabled: 0, slug: deletedSlug(portalId), updated_at: now })
    .where("account_id", "=", accountId)
    .where("id", "=", portalId)
    .where("deleted_at", "is", null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * Whether the portal has work in progress: a waiting request, an open session (its request is
 * still `accepted` until the session ends) or a pending transfer of a session to it.
 */
export async function portalBusy(
  db: Kysely<Database>,
  accountId: string,
  portalId: string,
  now: number,
): Promise<boolean> {
  const live = await db
    .selectFrom("requests")
    .select("id")
    .where("account_id", "=", accountId)
    .where("portal_id", "=", portalId)
    .where("state", "in", ["waiting", "accepted"])
    .limit(1)
    .executeTakeFirst();
  if (live) return true;
  const transfer = await db
    .selectFrom("session_transfers")
    .select("id")
    .where("account_id", "=", accountId)
    .where("to_portal_id", "=", portalId)
    .where("state", "=", "pending")
    .where("expires_at", ">", now)
    .limit(1)
    .executeTakeFirst();
  return transfer !== undefined;
}
