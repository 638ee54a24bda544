import { randomUUID } from "node:crypto";
import type { Account, User } from "../../shared/api.js";
import type { Mode } from "../../shared/model.js";
import { DomainError } from "../domain/errors.js";
import { assertModeChangeAllowed, assertWebChatSwitchAllowed } from "../domain/portals.js";
import { checkTimeZone, serverTimeZone } from "../domain/timeZones.js";
import { visibleAccounts } from "../policy.js";
import {
  findAccount,
  insertAccount,
  listAccounts,
  lockAccount,
  updateAccountRow,
} from "../store/accounts.js";
import { insertNewUser } from "../store/newUser.js";
import { listPortals } from "../store/portals.js";
import { accountFor, requireOperator } from "./access.js";
import type { Actor, Deps } from "./context.js";

export interface NewAccount {
  name: string;
  mode: Mode;
  webChatEnabled?: boolean;
  upgradeEnabled?: boolean;
  admin: { email: string; displayName: string; password?: string };
  /** IANA zone of the reports; the server's when left out. */
  timeZone?: string | undefined;
}

export interface CreatedAccount {
  account: Account;
  admin: User;
  generatedPassword: string | null;
}

/** Creates an account with its first admin in one transaction (API for operators, CLI, first start). */
export async function insertNewAccount(deps: Deps, input: NewAccount): Promise<CreatedAccount> {
  const now = deps.now();
  const account: Account = {
    id: randomUUID(),
    name: input.name.trim(),
    mode: input.mode,
    webChatEnabled: input.webChatEnabled ?? true,
    upgradeEnabled: input.upgradeEnabled ?? true,
    offerTimeoutSeconds: 30,
    tellCustomerMonitored: true,
    timeZone: input.timeZone === undefined ? serverTimeZone() : checkTimeZone(input.timeZone),
    createdAt: now,
  };
  return deps.db.kysely.transaction().execute(async (trx) => {
    await insertAccount(trx, account);
    const created = await insertNewUser(trx, account.id, { ...input.admin, role: "admin" }, now);
    return { account, admin: created.user, generatedPassword: created.generatedPassword };
  });
}

export async function createAccount(deps: Deps, actor: Actor, input: NewAccount): Promise<CreatedAccount> {
  requireOperator(actor);
  try {
    return await insertNewAccount(deps, input);
  } catch (err) {
    // The first admin's fields sit under `admin` in this body (as schema errors name them): admin.email.
    if (err instanceof DomainError && Object.keys(err.fields).length > 0) {
      const fields = Object.fromEntries(Object.entries(err.fields).map(([k, v]) => [`admin.${k}`, v]));
      throw new DomainError(err.status, err.code, err.message, fields, err.retryAfterSeconds);
    }
    throw err;
  }
}

/** Operators see every account; everyone else sees their own. */
export async function accountsOf(deps: Deps, actor: Actor): Promise<Account[]> {
  const visible = visibleAccounts(actor.user);
  if (visible === "all") return listAccounts(deps.db.kysely);
  if (visible === null) return [];
  const own = await findAccount(deps.db.kysely, visible);
  return own ? [own] : [];
}

export async function getAccount(deps: Deps, actor: Actor, accountId: string): Promise<Account> {
  return accountFor(deps, actor, accountId, "agent");
}

export interface AccountPatch {
  name?: string;
  mode?: Mode;
  webChatEnabled?: boolean;
  upgradeEnabled?: boolean;
  offerTimeoutSeconds?: number;
  tellCustomerMonitored?: boolean;
  timeZone?: string;
}

export async function updateAccount(
  deps: Deps,
  actor: Actor,
  accountId: string,
  patch: AccountPatch,
): Promise<Account> {
  await accountFor(deps, actor, accountId, "admin");
  const { previous, updated } = await deps.db.kysely.transaction().execute(async (trx) => {
    const current = await lockAccount(trx, accountId);
    if (!current) throw new Error("account vanished inside its own transaction");
    const next: Account = {
      ...current,
      name: patch.name?.trim() ?? current.name,
      mode: patch.mode ?? current.mode,
      webChatEnabled: patch.webChatEnabled ?? current.webChatEnabled,
      upgradeEnabled: patch.upgradeEnabled ?? current.upgradeEnabled,
      offerTimeoutSeconds: patch.offerTimeoutSeconds ?? current.offerTimeoutSeconds,
      tellCustomerMonitored: patch.tellCustomerMonitored ?? current.tellCustomerMonitored,
      timeZone: patch.timeZone === undefined ? current.timeZone : checkTimeZone(patch.timeZone),
    };
    const portals = await listPortals(trx, accountId);
    if (next.mode !== current.mode) assertModeChangeAllowed(next.mode, portals);
    if (!next.webChatEnabled && current.webChatEnabled) {
      assertWebChatSwitchAllowed(
        false,
        portals.filter((p) => p.connectionMode === "chat-first").map((p) => p.slug),
      );
    }
    await updateAccountRow(trx, next);
    return { previous: current, updated: next };
  });
  await deps.events.emit(
    { type: "portals.changed", accountId },
    { type: "account.changed", account: updated, previous },
  );
  return updated;
}
