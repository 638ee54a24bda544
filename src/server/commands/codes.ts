import { randomBytes, randomUUID } from "node:crypto";
import type { ApiCode } from "../../shared/api.js";
import { EMAIL_PATTERN, LIMITS } from "../../shared/model.js";
import type { CodeView, SessionView } from "../../shared/protocol.js";
import { isUniqueViolation } from "../db/database.js";
import {
  CODE_LIFETIME_MS,
  GLOBAL_BRAKE_DELAY_MS,
  GLOBAL_FAILURE_BRAKE_PER_MINUTE,
  MAX_LIVE_CODES_PER_AGENT,
  newCode,
  normaliseCode,
  REDEEM_FAILURE_WINDOW_MS,
  REDEEM_FAILURES_PER_CLIENT,
} from "../domain/codes.js";
import { DomainError, fieldError, notFound } from "../domain/errors.js";
import { emailRow, sessionCodeEmail } from "../outbox/emails.js";
import { assertAssignedTo, consoleAccount, isAssignedTo } from "../policy.js";
import { toCodeView } from "../queries/codes.js";
import { startedSession } from "../queries/sessions.js";
import { agentName } from "../store/agents.js";
import {
  cancelCodeRow,
  countRedeemFailures,
  expireCodes,
  findLiveCode,
  insertCode,
  listLiveCodes,
  pruneRedeemFailures,
  recordRedeemFailure,
  redeemCodeRow,
} from "../store/codes.js";
import { enqueue } from "../store/outbox.js";
import { findPortal, listPortals } from "../store/portals.js";
import { findRequest, insertWithSessionNumber, type RequestRecord } from "../store/requests.js";
import { openSession } from "../store/sessions.js";
import { findUser, lockUser, type UserRow } from "../store/users.js";
import { accountFor, openPortal } from "./access.js";
import { hashToken } from "./auth.js";
import type { Actor, Deps } from "./context.js";

/** BEHAVIOUR.md §6: 9 crypto-random digits, unique among live codes, 20 minutes, at most 8 live per agent. */
export async function createCode(
  deps: Deps,
  actor: Actor,
  portalId: string,
  name: string,
): Promise<CodeView> {
  return issueCode(deps, actor.user, consoleAccount(actor.user), portalId, name, true);
}

/** A code of `agent` at one of their code portals. */
async function issueCode(
  deps: Deps,
  agent: UserRow,
  accountId: string,
  portalId: string,
  name: string,
  /** The agent asks for their own code (the console) rather than a system for them. */
  own: boolean,
): Promise<CodeView> {
  const db = deps.db.kysely;
  const portal = await findPortal(db, accountId, portalId);
  if (!portal) throw fieldError(404, "portalId", "not_found", "Portal not found.");
  if (portal.type !== "code") {
    throw fieldError(
      409,
      "portalId",
      "not_code_portal",
      `${portal.name} is not a code portal; choose a code portal.`,
    );
  }
  try {
    assertAssignedTo(agent, portal);
  } catch (err) {
    if (err instanceof DomainError) throw fieldError(err.status, "portalId", err.code, err.message);
    throw err;
  }
  const now = deps.now();
  await expireCodes(db, now);
  const id = randomUUID();
  // A new code that clashes with another live one (10^9 numbers: unlikely) is a unique violation
  // that rolls the transaction back; it is tried again with another number.
  for (let attempt = 0; ; attempt++) {
    try {
      await db.transaction().execute(async (trx) => {
        // The agent's row locked: concurrent creates are counted one after the other.
        await lockUser(trx, agent.id);
        const live = await listLiveCodes(trx, accountId, agent.id, now);
        if (live.length >= MAX_LIVE_CODES_PER_AGENT) {
          throw new DomainError(
            409,
            "too_many_codes",
            `${own ? "You have" : `${agent.displayName} has`} ${MAX_LIVE_CODES_PER_AGENT} live codes, the most allowed; cancel one first.`,
          ).withParams({ limit: MAX_LIVE_CODES_PER_AGENT });
        }
        await insertCode(trx, {
          id,
          accountId,
          portalId,
          agentId: agent.id,
          code: newCode(),
          name: name.trim(),
          createdAt: now,
          expiresAt: now + CODE_LIFETIME_MS,
        });
      });
      break;
    } catch (err) {
      if (!isUniqueViolation(err) || attempt >= 8) throw err;
    }
  }
  await deps.events.emit({ type: "codes.changed", agentId: agent.id });
  const created = (await listLiveCodes(db, accountId, agent.id, now)).find((c) => c.id === id);
  if (!created) throw new Error("code vanished after insert");
  return toCodeView(deps, created);
}

const EMAIL = new RegExp(EMAIL_PATTERN);

/**
 * Another system (a CRM, a phone system) creates a code for one of the account's agents — for
 * the caller that agent is talking to — and may have it emailed to the caller at once.
 */
export async function createCodeForAgent(
  deps: Deps,
  actor: Actor,
  accountId: string,
  input: {
    agentId: string;
    portalId?: string | undefined;
    name?: string | undefined;
    email?: string | undefined;
  },
): Promise<ApiCode> {
  await accountFor(deps, actor, accountId, "admin");
  const db = deps.db.kysely;
  const agent = await findUser(db, accountId, input.agentId);
  if (!agent || agent.disabled)
    throw fieldError(404, "agentId", "not_found", "No enabled user with this id in the account.");
  const email = input.email?.trim() ?? "";
  if (email !== "" && (email.length > LIMITS.email || !EMAIL.test(email)))
    throw fieldError(400, "email", "invalid_email", "Enter an email address such as name@example.com.");
  if (email !== "" && deps.config.smtpUrl === null)
    throw new DomainError(
      409,
      "email_off",
      "Email is off on this server (SMTP_URL is not set); leave out the email.",
    );
  let portalId = input.portalId;
  if (portalId === undefined) {
    const portals = await listPortals(db, accountId);
    const own = portals.find((p) => p.type === "code" && p.enabled && isAssignedTo(agent, p.id));
    if (!own)
      throw fieldError(
        409,
        "agentId",
        "no_code_portal",
        `${agent.displayName} is not assigned to a code portal.`,
      );
    portalId = own.id;
  }
  const code = await issueCode(deps, agent, accountId, portalId, input.name ?? "", false);
  if (email !== "") {
    const now = deps.now();
    await enqueue(
      db,
      [emailRow(accountId, sessionCodeEmail(code, agent.displayName, email, agent.language, now, code.name))],
      now,
    );
    deps.outbox.wake();
  }
  return { code: code.code, joinUrl: code.joinUrl, expiresAt: code.expiresAt, emailed: email !== "" };
}

export async function cancelCode(deps: Deps, actor: Actor, codeId: string): Promise<void> {
  const accountId = consoleAccount(actor.user);
  if (!(await cancelCodeRow(deps.db.kysely, accountId, actor.user.id, codeId))) throw notFound("Code");
  await deps.events.emit({ type: "codes.changed", agentId: actor.user.id });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Refuses a client with too many recent failures, and slows everyone when failures spike (logged). */
async function brake(deps: Deps, client: string, now: number): Promise<void> {
  const db = deps.db.kysely;
  const mine = await countRedeemFailures(db, now - REDEEM_FAILURE_WINDOW_MS, client);
  if (mine.count >= REDEEM_FAILURES_PER_CLIENT) {
    const freeAt = (mine.oldest ?? now) + REDEEM_FAILURE_WINDOW_MS;
    const minutes = Math.max(1, Math.ceil((freeAt - now) / 60_000));
    throw new DomainError(
      429,
      "too_many_attempts",
      `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
      {
        code: {
          code: "too_many_attempts",
          message: `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
          params: { minutes },
        },
      },
      Math.ceil((freeAt - now) / 1000),
    );
  }
  const everyone = await countRedeemFailures(db, now - 60_000);
  if (everyone.count >= GLOBAL_FAILURE_BRAKE_PER_MINUTE) {
    deps.log.warn(
      { failuresLastMinute: everyone.count },
      "code redemption brake: unusual failure rate, slowing all redemptions",
    );
    await sleep(GLOBAL_BRAKE_DELAY_MS);
  }
}

const unknownCode = () =>
  fieldError(
    404,
    "code",
    "unknown_code",
    "This code is not valid (it may have expired or been used). Check it with the agent.",
  );

export interface RedeemInput {
  code: string;
  /** The company code portal the customer typed it at; absent at the global /join portal. */
  slug?: string | undefined;
  client: string;
  language: string;
}

/**
 * Redeeming connects the customer straight to the code's agent; nobody else is alerted. A
 * company portal accepts only its own account's codes; /join accepts any account's.
 */
export async function redeemCode(
  deps: Deps,
  input: RedeemInput,
): Promise<{ request: RequestRecord; token: string; session: SessionView }> {
  const db = deps.db.kysely;
  const now = deps.now();
  await brake(deps, input.client, now);
  // A company portal takes only its own account's codes, and only if it is a code portal.
  const scopePortal = input.slug ? await openPortal(deps, input.slug) : null;
  if (scopePortal && scopePortal.type !== "code") {
    throw new DomainError(409, "not_code_portal", "This portal does not take session codes.");
  }
  const accountScope = scopePortal?.accountId ?? null;
  let code: string;
  try {
    code = normaliseCode(input.code);
  } catch (err) {
    await recordRedeemFailure(db, randomUUID(), input.client, now);
    throw err;
  }
  const found = await findLiveCode(db, code, now);
  if (!found || (accountScope !== null && found.accountId !== accountScope)) {
    await recordRedeemFailure(db, randomUUID(), input.client, now);
    if (Math.random() < 0.01) await pruneRedeemFailures(db, now - REDEEM_FAILURE_WINDOW_MS);
    throw unknownCode();
  }
  const name = await agentName(db, found.agentId);
  const token = randomBytes(24).toString("base64url");
  const requestId = randomUUID();
  const started = await db.transaction().execute(async (trx) => {
    if (!(await redeemCodeRow(trx, found.id, requestId, now))) return null;
    await insertWithSessionNumber(trx, {
      id: requestId,
      accountId: found.accountId,
      portalId: found.portalId,
      kind: "code",
      state: "accepted",
      targetAgentId: found.agentId,
      agentId: found.agentId,
      customerName: found.name,
      customerEmail: "",
      contact: {},
      question: "",
      language: input.language,
      customerTokenHash: hashToken(token),
      codeId: found.id,
      createdAt: now,
      deadlineAt: null,
    });
    const opened = await openSession(trx, {
      accountId: found.accountId,
      requestId,
      agentId: found.agentId,
      startedAt: now,
      portalId: found.portalId,
      agentName: name,
    });
    const inserted = await findRequest(trx, found.accountId, requestId);
    if (!inserted) throw new Error("request vanished after insert");
    const event = {
      type: "session.started" as const,
      ...startedSession(inserted, { id: found.agentId, name }, now, opened.lastSeq),
    };
    await deps.events.stage(trx, event);
    return event;
  });
  if (started === null) {
    await recordRedeemFailure(db, randomUUID(), input.client, now);
    throw unknownCode();
  }
  await deps.events.emit(started, { type: "codes.changed", agentId: found.agentId });
  return { request: started.request, token, session: started.session };
}
