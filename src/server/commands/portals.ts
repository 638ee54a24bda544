import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Account, Portal } from "../../shared/api.js";
import { type ConnectionMode, defaultFields, type Language, type PortalType } from "../../shared/model.js";
import { isUniqueViolation } from "../db/database.js";
import type { Database } from "../db/schema.js";
import { type BusinessHoursInput, checkBusinessHours } from "../domain/businessHours.js";
import { DomainError, fieldError, notFound } from "../domain/errors.js";
import {
  assertConnectionModeAllowed,
  assertPortalTypeAllowed,
  type FieldInput,
  normaliseFields,
} from "../domain/portals.js";
import { lockAccount } from "../store/accounts.js";
import { cancelPortalCodes } from "../store/codes.js";
import {
  findPortal,
  findPortalBySlug,
  insertPortal,
  listPortals,
  markPortalDeleted,
  type PortalRow,
  portalBusy,
  setPortalAgents,
  updatePortalRow,
} from "../store/portals.js";
import { countUserIdsInAccount } from "../store/users.js";
import { accountFor } from "./access.js";
import type { Actor, Deps } from "./context.js";

export interface PortalInput {
  slug: string;
  type: PortalType;
  name: string;
  title?: string;
  welcomeText?: string;
  language?: Language;
  primaryColor?: string;
  logoUrl?: string | null;
  fields?: FieldInput[];
  connectionMode?: ConnectionMode;
  enabled?: boolean;
  maxWaitSeconds?: number;
  greeting?: string;
  agentIds?: string[];
  notifyEmails?: string[];
  /** null: open around the clock. */
  businessHours?: BusinessHoursInput | null;
}

export type PortalPatch = Partial<Omit<PortalInput, "type">> & { type?: PortalType };

export const DEFAULT_COLOR = "#1f6feb";

/** A portal's notification addresses: trimmed, lower case, each once. */
function normaliseEmails(list: string[]): string[] {
  return [...new Set(list.map((e) => e.trim().toLowerCase()).filter((e) => e !== ""))];
}

export function portalUrl(publicUrl: string, slug: string): string {
  return `${publicUrl}/p/${slug}`;
}

export function withUrl(deps: Deps, p: PortalRow): Portal {
  return { ...p, url: portalUrl(deps.config.publicUrl, p.slug) };
}

const duplicateSlug = (slug: string) =>
  fieldError(409, "slug", "duplicate", `The address /p/${slug} is taken; choose another slug.`, { slug });

async function assertAgentsInAccount(
  db: Kysely<Database>,
  accountId: string,
  agentIds: string[],
): Promise<void> {
  if ((await countUserIdsInAccount(db, accountId, agentIds)) !== agentIds.length) {
    throw fieldError(
      400,
      "agentIds",
      "unknown_agent",
      "One of the chosen agents is not a user of this account.",
    );
  }
}

async function save(trx: Kysely<Database>, row: PortalRow, isNew: boolean): Promise<void> {
  const holder = await findPortalBySlug(trx, row.slug);
  if (holder && holder.id !== row.id) throw duplicateSlug(row.slug);
  try {
    if (isNew) await insertPortal(trx, row);
    else await updatePortalRow(trx, row);
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateSlug(row.slug);
    throw err;
  }
}

/** Inserts a portal after checking every domain rule; shared by the API and first start. */
export async function insertNewPortal(
  trx: Kysely<Database>,
  account: Account,
  input: PortalInput,
  now: number,
): Promise<PortalRow> {
  assertPortalTypeAllowed(account.mode, input.type);
  const connectionMode = input.connectionMode ?? (account.webChatEnabled ? "chat-first" : "direct");
  assertConnectionModeAllowed(connectionMode, account.webChatEnabled);
  const agentIds = [...new Set(input.agentIds ?? [])].sort();
  await assertAgentsInAccount(trx, account.id, agentIds);
  const name = input.name.trim();
  const row: PortalRow = {
    id: randomUUID(),
    accountId: account.id,
    slug: input.slug,
    type: input.type,
    name,
    title: input.title?.trim() || name,
    welcomeText: input.welcomeText ?? "",
    language: input.language ?? "en",
    primaryColor: input.primaryColor ?? DEFAULT_COLOR,
    logoUrl: input.logoUrl ?? null,
    fields: input.fields ? normaliseFields(input.fields) : defaultFields(input.type),
    connectionMode,
    enabled: input.enabled ?? true,
    maxWaitSeconds: input.maxWaitSeconds ?? 600,
    greeting: input.greeting?.trim() ?? "",
    agentIds,
    notifyEmails: normaliseEmails(input.notifyEmails ?? []),
    businessHours: input.businessHours ? checkBusinessHours(input.businessHours) : null,
    createdAt: now,
    updatedAt: now,
  };
  await save(trx, row, true);
  await setPortalAgents(trx, account.id, row.id, agentIds);
  return row;
}

export async function createPortal(
  deps: Deps,
  actor: Actor,
  accountId: string,
  input: PortalInput,
): Promise<Portal> {
  await accountFor(deps, actor, accountId, "admin");
  const row = await deps.db.kysely.transaction().execute(async (trx) => {
    // The mode and web-chat switch as they are now, held until this portal is in.
    const account = await lockAccount(trx, accountId);
    if (!account) throw notFound("Account");
    return insertNewPortal(trx, account, input, deps.now());
  });
  // Its agents' sign-ins now stand for one more portal (every node's sign-in cache forgets them).
  await deps.events.emit(...row.agentIds.map((userId) => ({ type: "user.changed" as const, userId })));
  return withUrl(deps, row);
}

export async function updatePortal(
  deps: Deps,
  actor: Actor,
  accountId: string,
  portalId: string,
  patch: PortalPatch,
): Promise<Portal> {
  await accountFor(deps, actor, accountId, "admin");
  const row = await deps.db.kysely.transaction().execute(async (trx) => {
    const account = await lockAccount(trx, accountId);
    if (!account) throw notFound("Account");
    const current = await findPortal(trx, accountId, portalId);
    if (!current) throw notFound("Portal");
    const type = patch.type ?? current.type;
    if (patch.type !== undefined) assertPortalTypeAllowed(account.mode, type);
    const connectionMode = patch.connectionMode ?? current.connectionMode;
    if (patch.connectionMode !== undefined)
      assertConnectionModeAllowed(connectionMode, account.webChatEnabled);
    const next: PortalRow = {
      ...current,
      slug: patch.slug ?? current.slug,
      type,
      name: patch.name?.trim() ?? current.name,
      title:
        patch.title !== undefined ? patch.title.trim() || (patch.name ?? current.name).trim() : current.title,
      welcomeText: patch.welcomeText ?? current.welcomeText,
      language: patch.language ?? current.language,
      primaryColor: patch.primaryColor ?? current.primaryColor,
      logoUrl: patch.logoUrl !== undefined ? patch.logoUrl : current.logoUrl,
      fields: patch.fields ? normaliseFields(patch.fields) : current.fields,
      connectionMode,
      enabled: patch.enabled ?? current.enabled,
      maxWaitSeconds: patch.maxWaitSeconds ?? current.maxWaitSeconds,
      greeting: patch.greeting !== undefined ? patch.greeting.trim() : current.greeting,
      notifyEmails:
        patch.notifyEmails !== undefined ? normaliseEmails(patch.notifyEmails) : current.notifyEmails,
      businessHours:
        patch.businessHours === undefined
          ? current.businessHours
          : patch.businessHours === null
            ? null
            : checkBusinessHours(patch.businessHours),
      updatedAt: deps.now(),
    };
    await save(trx, next, false);
    const before = current.agentIds;
    if (patch.agentIds !== undefined) {
      const agentIds = [...new Set(patch.agentIds)].sort();
      await assertAgentsInAccount(trx, accountId, agentIds);
      await setPortalAgents(trx, accountId, portalId, agentIds);
      next.agentIds = agentIds;
    }
    return { row: next, before };
  });
  // Agents added or removed: their sign-ins stand for other portals now.
  const after = new Set(row.row.agentIds);
  const moved = new Set(row.row.agentIds);
  for (const id of row.before) {
    if (after.has(id)) moved.delete(id);
    else moved.add(id);
  }
  await deps.events.emit(
    { type: "portals.changed", accountId },
    ...[...moved].map((userId) => ({ type: "user.changed" as const, userId })),
  );
  return withUrl(deps, row.row);
}

const portalBusyError = () =>
  new DomainError(
    409,
    "portal_busy",
    "This portal has customers waiting or in a session. Wait until they are done, or disable the portal first so no one new arrives, then delete it.",
  );

/**
 * Deletes a portal (issue 12): its address stops working at once and is free for a new portal, it
 * is gone from every page and list, its agents are no longer assigned to it and its live session
 * codes are canceled; its requests and sessions stay, so the reports still add up. Refused while
 * a customer waits there, a session of it is open or a session is being transferred to it.
 */
export async function deletePortal(
  deps: Deps,
  actor: Actor,
  accountId: string,
  portalId: string,
): Promise<void> {
  await accountFor(deps, actor, accountId, "admin");
  const now = deps.now();
  const done = await deps.db.kysely.transaction().execute(async (trx) => {
    // Held until this commits: a change of the same portal (which locks the account first) waits
    // for the delete and then finds no portal.
    const account = await lockAccount(trx, accountId);
    if (!account) throw notFound("Account");
    const current = await findPortal(trx, accountId, portalId);
    if (!current) throw notFound("Portal");
    // The writes first, the check last: a code redeemed or a request committed before these
    // writes is seen by the check (and refuses the delete); a redeem after them finds its code
    // canceled. (A submit that read the portal just before and commits just after still writes
    // its request — nobody is assigned any more, so it ends as no-response at its deadline.)
    if (!(await markPortalDeleted(trx, accountId, portalId, now))) throw notFound("Portal");
    const codeAgents = await cancelPortalCodes(trx, accountId, portalId);
    if (await portalBusy(trx, accountId, portalId, now)) throw portalBusyError();
    await setPortalAgents(trx, accountId, portalId, []);
    return { agentIds: current.agentIds, codeAgents };
  });
  // As when a portal is disabled and its agents are taken off it: every node drops the account's
  // pages, the agents' sign-ins stand for one portal fewer, and consoles drop the canceled codes.
  await deps.events.emit(
    { type: "portals.changed", accountId },
    ...done.agentIds.map((userId) => ({ type: "user.changed" as const, userId })),
    ...done.codeAgents.map((agentId) => ({ type: "codes.changed" as const, agentId })),
  );
}

export async function listAccountPortals(deps: Deps, actor: Actor, accountId: string): Promise<Portal[]> {
  await accountFor(deps, actor, accountId, "agent");
  return (await listPortals(deps.db.kysely, accountId)).map((p) => withUrl(deps, p));
}

export async function getPortal(
  deps: Deps,
  actor: Actor,
  accountId: string,
  portalId: string,
): Promise<Portal> {
  await accountFor(deps, actor, accountId, "agent");
  const p = await findPortal(deps.db.kysely, accountId, portalId);
  if (!p) throw notFound("Portal");
  return withUrl(deps, p);
}
