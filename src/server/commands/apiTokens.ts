import { randomBytes } from "node:crypto";
import { API_TOKEN_SCOPES, type ApiToken, type ApiTokenScope, type NewApiToken } from "../../shared/api.js";
import { DomainError, fieldError, notFound } from "../domain/errors.js";
import { tokenCreatorMayAct } from "../policy.js";
import {
  type ApiTokenRecord,
  findApiTokenByHash,
  insertApiToken,
  listApiTokens,
  revokeApiToken,
  toApiToken,
  touchApiToken,
} from "../store/apiTokens.js";
import { findUserById } from "../store/users.js";
import { accountFor } from "./access.js";
import { hashToken } from "./auth.js";
import type { Actor, Deps } from "./context.js";

/** API tokens: scripts and other systems acting in one account with the scopes an admin gave them. */

const TOKEN_PREFIX = "hg_";
const MAX_NAME = 100;
const MAX_DAYS = 730;
/** "Last used" is written at most this often per token (not on every request). */
const TOUCH_EVERY_MS = 60_000;

async function creatorNames(deps: Deps, tokens: ApiTokenRecord[]): Promise<Map<string, string>> {
  const ids = [...new Set(tokens.flatMap((t) => (t.createdBy ? [t.createdBy] : [])))];
  const names = new Map<string, string>();
  for (const id of ids) {
    const u = await findUserById(deps.db.kysely, id);
    if (u) names.set(id, u.displayName);
  }
  return names;
}

export async function listAccountTokens(deps: Deps, actor: Actor, accountId: string): Promise<ApiToken[]> {
  await accountFor(deps, actor, accountId, "admin");
  const tokens = await listApiTokens(deps.db.kysely, accountId);
  const names = await creatorNames(deps, tokens);
  return tokens.map((t) => toApiToken(t, names));
}

function checkScopes(scopes: readonly string[]): ApiTokenScope[] {
  const known = new Set<string>(API_TOKEN_SCOPES);
  const unknown = scopes.filter((s) => !known.has(s));
  if (unknown.length > 0)
    throw fieldError(
      400,
      "scopes",
      "unknown_scope",
      `Unknown scope ${unknown.join(", ")}; known are ${API_TOKEN_SCOPES.join(", ")}.`,
      { scope: unknown.join(", ") },
    );
  if (scopes.length === 0) throw fieldError(400, "scopes", "no_scopes", "Choose at least one scope.");
  return [...new Set(scopes)] as ApiTokenScope[];
}

export async function createApiToken(
  deps: Deps,
  actor: Actor,
  accountId: string,
  input: { name: string; scopes: string[]; expiresInDays?: number | null | undefined },
): Promise<NewApiToken> {
  await accountFor(deps, actor, accountId, "admin");
  const name = input.name.trim();
  if (name === "") throw fieldError(400, "name", "required", "Give the token a name (what uses it).");
  if (name.length > MAX_NAME)
    throw fieldError(400, "name", "too_long", `At most ${MAX_NAME} characters.`, { limit: MAX_NAME });
  const scopes = checkScopes(input.scopes);
  const days = input.expiresInDays ?? null;
  if (days !== null && (!Number.isInteger(days) || days < 1 || days > MAX_DAYS))
    throw fieldError(400, "expiresInDays", "out_of_range", `Between 1 and ${MAX_DAYS} days, or none.`, {
      min: 1,
      max: MAX_DAYS,
    });
  const secret = TOKEN_PREFIX + randomBytes(30).toString("base64url");
  const now = deps.now();
  const t = await insertApiToken(
    deps.db.kysely,
    {
      accountId,
      name,
      prefix: secret.slice(0, TOKEN_PREFIX.length + 7),
      scopes,
      createdBy: actor.user.id,
      createdAt: now,
      expiresAt: days === null ? null : now + days * 24 * 60 * 60_000,
    },
    hashToken(secret),
  );
  return { token: toApiToken(t, new Map([[actor.user.id, actor.user.displayName]])), secret };
}

export async function revokeToken(
  deps: Deps,
  actor: Actor,
  accountId: string,
  tokenId: string,
): Promise<void> {
  await accountFor(deps, actor, accountId, "admin");
  if ((await revokeApiToken(deps.db.kysely, accountId, tokenId, deps.now())) === "missing")
    throw notFound("Token");
}

const tokenRefused = (code: "token_invalid" | "token_expired" | "token_revoked", message: string) =>
  new DomainError(401, code, message);

/**
 * The token behind `Authorization: Bearer …`, read from the database on every request (so a
 * revocation holds at once on every node), and who it acts as: the admin who created it, as long
 * as they are still an enabled admin of the account.
 */
export async function actorForApiToken(
  deps: Deps,
  secret: string,
): Promise<{ actor: Actor; token: ApiTokenRecord }> {
  if (!secret.startsWith(TOKEN_PREFIX) || secret.length > 200)
    throw tokenRefused("token_invalid", "This API token is not valid.");
  const db = deps.db.kysely;
  const token = await findApiTokenByHash(db, hashToken(secret));
  if (!token) throw tokenRefused("token_invalid", "This API token is not valid.");
  const now = deps.now();
  if (token.revokedAt !== null) throw tokenRefused("token_revoked", "This API token was revoked.");
  if (token.expiresAt !== null && token.expiresAt <= now)
    throw tokenRefused("token_expired", "This API token has expired; ask an admin for a new one.");
  const creator = token.createdBy ? await findUserById(db, token.createdBy) : null;
  if (!creator || !tokenCreatorMayAct(creator, token.accountId))
    throw tokenRefused(
      "token_invalid",
      "The admin who created this API token can no longer use it (disabled or no longer an admin).",
    );
  if (token.lastUsedAt === null || now - token.lastUsedAt >= TOUCH_EVERY_MS)
    await touchApiToken(db, token.id, now);
  return { actor: { user: creator }, token };
}
