import type { CodeView } from "../../shared/protocol.js";
import type { Actor, Deps } from "../commands/context.js";
import { consoleAccount } from "../policy.js";
import { type CodeRecord, listLiveCodes } from "../store/codes.js";

export function toCodeView(deps: Deps, c: CodeRecord): CodeView {
  const base = deps.config.publicUrl;
  return {
    id: c.id,
    code: c.code,
    name: c.name,
    portalId: c.portalId,
    portalName: c.portalName,
    portalSlug: c.portalSlug,
    createdAt: c.createdAt,
    expiresAt: c.expiresAt,
    joinUrl: `${base}/join/${c.code}`,
    portalUrl: `${base}/p/${c.portalSlug}?code=${c.code}`,
  };
}

/** The agent's live session codes with their join links. */
export async function listCodes(deps: Deps, actor: Actor): Promise<CodeView[]> {
  const accountId = consoleAccount(actor.user);
  return (await listLiveCodes(deps.db.kysely, accountId, actor.user.id, deps.now())).map((c) =>
    toCodeView(deps, c),
  );
}
