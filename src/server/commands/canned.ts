import { CANNED_LIMITS, type CannedInput, type CannedResponse } from "../../shared/canned.js";
import { isUniqueViolation } from "../db/database.js";
import { type CannedFields, checkCanned } from "../domain/canned.js";
import { DomainError, notFound } from "../domain/errors.js";
import {
  assertAccountCanned,
  assertMayManageAccountCanned,
  assertOwnsPersonalCanned,
  consoleAccount,
} from "../policy.js";
import { findAccount, lockAccount } from "../store/accounts.js";
import {
  type CannedRecord,
  countCanned,
  deleteCannedRow,
  findCanned,
  insertCanned,
  toCannedResponse,
  updateCannedRow,
} from "../store/canned.js";
import type { Actor, Deps } from "./context.js";

/**
 * Canned responses (issue 18): the account's, managed in /admin by managers, admins and
 * operators, and each agent's personal ones, managed in the console. A shortcut is unique within
 * its scope (a unique index decides, so it holds across nodes): a duplicate is a 409 naming it.
 */

/** Whose responses a write is about: the account's (owner null) or one agent's. */
interface Scope {
  accountId: string;
  ownerId: string | null;
}

function duplicateShortcut(scope: Scope, shortcut: string | null): DomainError {
  const whose =
    scope.ownerId === null ? "Another canned response of this account" : "Another of your responses";
  const message = `${whose} already has the shortcut "${shortcut ?? ""}"; choose another.`;
  return new DomainError(409, "duplicate_shortcut", message, {
    shortcut: { code: "duplicate_shortcut", message, params: { shortcut: shortcut ?? "" } },
  }).withParams({ shortcut: shortcut ?? "" });
}

async function insertInScope(deps: Deps, actor: Actor, scope: Scope, fields: CannedFields) {
  const limit = scope.ownerId === null ? CANNED_LIMITS.perAccount : CANNED_LIMITS.perAgent;
  try {
    return await deps.db.kysely.transaction().execute(async (trx) => {
      // The account's row locked: concurrent creates are counted one after the other.
      await lockAccount(trx, scope.accountId);
      if ((await countCanned(trx, scope.accountId, scope.ownerId)) >= limit)
        throw new DomainError(
          409,
          "too_many_canned",
          `At most ${limit} canned responses ${scope.ownerId === null ? "per account" : "per agent"}; delete one first.`,
        ).withParams({ limit });
      return insertCanned(trx, {
        accountId: scope.accountId,
        ownerId: scope.ownerId,
        ...fields,
        createdBy: actor.user.id,
        createdAt: deps.now(),
      });
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateShortcut(scope, fields.shortcut);
    throw err;
  }
}

async function updateInScope(deps: Deps, scope: Scope, id: string, fields: CannedFields): Promise<void> {
  try {
    const changed = await updateCannedRow(
      deps.db.kysely,
      scope.accountId,
      id,
      scope.ownerId,
      fields,
      deps.now(),
    );
    // Deleted meanwhile.
    if (!changed) throw notFound("Canned response");
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateShortcut(scope, fields.shortcut);
    throw err;
  }
}

async function reread(deps: Deps, accountId: string, id: string): Promise<CannedResponse> {
  const found = await findCanned(deps.db.kysely, accountId, id);
  if (!found) throw notFound("Canned response");
  return toCannedResponse(found);
}

// ── the account's responses (/admin) ─────────────────────────────────────────────────────────────

/** The account the actor manages canned responses of (policy), and that it exists. */
async function managedAccount(deps: Deps, actor: Actor, accountId: string): Promise<Scope> {
  assertMayManageAccountCanned(actor.user, accountId);
  if (!(await findAccount(deps.db.kysely, accountId))) throw notFound("Account");
  return { accountId, ownerId: null };
}

async function accountResponse(deps: Deps, scope: Scope, id: string): Promise<CannedRecord> {
  const found = await findCanned(deps.db.kysely, scope.accountId, id);
  if (!found) throw notFound("Canned response");
  assertAccountCanned(found);
  return found;
}

export async function createAccountCanned(
  deps: Deps,
  actor: Actor,
  accountId: string,
  input: CannedInput,
): Promise<CannedResponse> {
  const scope = await managedAccount(deps, actor, accountId);
  const fields = checkCanned(input);
  return toCannedResponse(await insertInScope(deps, actor, scope, fields));
}

export async function updateAccountCanned(
  deps: Deps,
  actor: Actor,
  accountId: string,
  cannedId: string,
  input: CannedInput,
): Promise<CannedResponse> {
  const scope = await managedAccount(deps, actor, accountId);
  await accountResponse(deps, scope, cannedId);
  await updateInScope(deps, scope, cannedId, checkCanned(input));
  return reread(deps, accountId, cannedId);
}

export async function deleteAccountCanned(
  deps: Deps,
  actor: Actor,
  accountId: string,
  cannedId: string,
): Promise<void> {
  const scope = await managedAccount(deps, actor, accountId);
  await accountResponse(deps, scope, cannedId);
  if (!(await deleteCannedRow(deps.db.kysely, accountId, cannedId, null))) throw notFound("Canned response");
}

// ── an agent's personal responses (the console) ──────────────────────────────────────────────────

function personalScope(actor: Actor): Scope {
  return { accountId: consoleAccount(actor.user), ownerId: actor.user.id };
}

async function personalResponse(deps: Deps, actor: Actor, scope: Scope, id: string): Promise<CannedRecord> {
  const found = await findCanned(deps.db.kysely, scope.accountId, id);
  if (!found) throw notFound("Canned response");
  assertOwnsPersonalCanned(actor.user, found);
  return found;
}

export async function createPersonalCanned(
  deps: Deps,
  actor: Actor,
  input: CannedInput,
): Promise<CannedResponse> {
  const scope = personalScope(actor);
  const fields = checkCanned(input);
  return toCannedResponse(await insertInScope(deps, actor, scope, fields));
}

export async function updatePersonalCanned(
  deps: Deps,
  actor: Actor,
  cannedId: string,
  input: CannedInput,
): Promise<CannedResponse> {
  const scope = personalScope(actor);
  await personalResponse(deps, actor, scope, cannedId);
  await updateInScope(deps, scope, cannedId, checkCanned(input));
  return reread(deps, scope.accountId, cannedId);
}

export async function deletePersonalCanned(deps: Deps, actor: Actor, cannedId: string): Promise<void> {
  const scope = personalScope(actor);
  await personalResponse(deps, actor, scope, cannedId);
  if (!(await deleteCannedRow(deps.db.kysely, scope.accountId, cannedId, scope.ownerId)))
    throw notFound("Canned response");
}
