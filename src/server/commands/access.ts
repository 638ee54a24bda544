import type { Account } from "../../shared/api.js";
import type { Principal } from "../../shared/model.js";
import { DomainError, notFound } from "../domain/errors.js";
import { findAccount } from "../store/accounts.js";
import type { Actor, Deps } from "./context.js";

const RANK: Record<Principal, number> = { agent: 1, manager: 2, admin: 3, operator: 4 };

export function hasRole(actor: Actor, min: Principal): boolean {
  return RANK[actor.user.role] >= RANK[min];
}

/**
 * The account an actor may act in with at least role `min`. Another account's id answers 404,
 * exactly like an id that does not exist, so nothing about other tenants leaks.
 */
export async function accountFor(
  deps: Deps,
  actor: Actor,
  accountId: string,
  min: Principal,
): Promise<Account> {
  const isOperator = actor.user.role === "operator";
  if (!isOperator && actor.user.accountId !== accountId) throw notFound("Account");
  const account = await findAccount(deps.db.kysely, accountId);
  if (!account) throw notFound("Account");
  if (!hasRole(actor, min)) {
    throw new DomainError(
      403,
      "forbidden",
      `This needs the ${min} role; you are signed in as ${actor.user.role}.`,
    );
  }
  return account;
}

export function requireOperator(actor: Actor): void {
  if (actor.user.role !== "operator") {
    throw new DomainError(403, "forbidden", "Only an operator of this installation can do this.");
  }
}
