/**
 * Seeds a fresh Helpgate database for the benchmark, straight through the store (before the
 * server starts, same DATABASE_URL): one web account, A agents assigned to a question portal
 * (broadcast alerts) and a pick-agent portal (one targeted request per chat session), a signed-in
 * console session per agent, and C customers served earlier today whose pages stay open.
 *
 * Why not the REST API: 500 users cost 500 argon2 hashes and 500 sign-ins another 500 argon2
 * verifications (and the sign-in rate limit is 20 a minute per address). Here the agents share one
 * password hash and get their session tokens the way a sign-in would store them (hashed).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { InProcessBus } from "../src/server/bus/inProcessBus.js";
import { InProcessPresence } from "../src/server/bus/presence.js";
import { RequestOutcomes } from "../src/server/bus/requestOutcomes.js";
import { insertNewAccount } from "../src/server/commands/accounts.js";
import { AUTH_SESSION_MS, hashToken } from "../src/server/commands/auth.js";
import type { Deps } from "../src/server/commands/context.js";
import { insertNewPortal } from "../src/server/commands/portals.js";
import { loadConfig } from "../src/server/config.js";
import { migrate, openDatabase } from "../src/server/db/database.js";
import { hashPassword } from "../src/server/domain/passwords.js";
import { noReactions } from "../src/server/events/reactions.js";
import { insertAuthSession } from "../src/server/store/authSessions.js";
import { insertRequest, markEnded } from "../src/server/store/requests.js";
import { endSessionRow, insertSession } from "../src/server/store/sessions.js";
import { insertUser, type UserRow } from "../src/server/store/users.js";

export const AGENT_PASSWORD = "bench-agent-password";
export const QUESTION_SLUG = "bench-question";
export const PICK_SLUG = "bench-pick";

export interface SeededAgent {
  id: string;
  name: string;
  /** The hg_session cookie value. */
  token: string;
}

export interface SeededCustomer {
  requestId: string;
  /** The hgc_<requestId> cookie value. */
  token: string;
}

export interface Seed {
  accountId: string;
  /** The account admin's hg_session cookie value (webhooks and other admin routes). */
  adminToken: string;
  agents: SeededAgent[];
  idleCustomers: SeededCustomer[];
}

export interface SeedOptions {
  databaseUrl: string;
  publicUrl: string;
  agents: number;
  idleCustomers: number;
  maxSessions: number;
}

const silent = () => {};

export async function seed(options: SeedOptions): Promise<Seed> {
  const db = openDatabase(options.databaseUrl);
  try {
    await migrate(db);
    const deps: Deps = {
      db,
      config: loadConfig({
        DATABASE_URL: options.databaseUrl,
        PUBLIC_URL: options.publicUrl,
        LOG_LEVEL: "warn",
      }),
      now: Date.now,
      log: { info: silent, warn: silent, error: silent },
      bus: new InProcessBus(),
      presence: new InProcessPresence(),
      events: noReactions,
      outcomes: new RequestOutcomes(),
      signIns: { forgetUser: () => {} },
      outbox: { wake: () => {} },
    };
    const now = Date.now();
    const { account, admin } = await insertNewAccount(deps, {
      name: "Bench Support",
      mode: "web",
      admin: { email: "admin@bench.example.com", displayName: "Bench Admin", password: AGENT_PASSWORD },
    });
    const passwordHash = await hashPassword(AGENT_PASSWORD);
    const agents: SeededAgent[] = [];
    const k = db.kysely;
    const adminToken = randomBytes(32).toString("base64url");
    await insertAuthSession(k, hashToken(adminToken), admin.id, now, now + AUTH_SESSION_MS);
    await k.transaction().execute(async (trx) => {
      for (let i = 0; i < options.agents; i++) {
        const row: UserRow = {
          id: randomUUID(),
          accountId: account.id,
          email: `agent${i}@bench.example.com`,
          displayName: `Agent ${String(i).padStart(4, "0")}`,
          avatarUrl: null,
          role: "agent",
          maxSessions: options.maxSessions,
          disabled: false,
          portalIds: [],
          language: "en",
          invited: false,
          createdAt: now,
          passwordHash,
          failedLogins: 0,
          lockedUntil: null,
        };
        await insertUser(trx, row);
        const token = randomBytes(32).toString("base64url");
        await insertAuthSession(trx, hashToken(token), row.id, now, now + AUTH_SESSION_MS);
        agents.push({ id: row.id, name: row.displayName, token });
      }
      const agentIds = agents.map((a) => a.id);
      await insertNewPortal(
        trx,
        account,
        { slug: QUESTION_SLUG, type: "question", name: "Bench — ask a question", agentIds },
        now,
      );
      await insertNewPortal(
        trx,
        account,
        { slug: PICK_SLUG, type: "pick-agent", name: "Bench — pick your agent", agentIds },
        now,
      );
    });

    const portal = await k
      .selectFrom("portals")
      .select("id")
      .where("slug", "=", QUESTION_SLUG)
      .executeTakeFirstOrThrow();
    // Customers who were served earlier today and keep the request page open (transcript, survey).
    const idleCustomers: SeededCustomer[] = [];
    const batch = 1000;
    for (let from = 0; from < options.idleCustomers; from += batch) {
      await k.transaction().execute(async (trx) => {
        for (let i = from; i < Math.min(options.idleCustomers, from + batch); i++) {
          const agent = agents[i % agents.length] as SeededAgent;
          const id = randomUUID();
          const token = randomBytes(24).toString("base64url");
          const createdAt = now - 60 * 60_000 + i;
          const startedAt = createdAt + 20_000;
          await insertRequest(trx, {
            id,
            accountId: account.id,
            portalId: portal.id,
            sessionNumber: String(100_000_000 + i),
            kind: "broadcast",
            state: "accepted",
            targetAgentId: null,
            agentId: agent.id,
            customerName: `Served ${i}`,
            customerEmail: `served${i}@customer.example.com`,
            contact: {},
            question: "How do I reset my router?",
            language: "en",
            customerTokenHash: hashToken(token),
            codeId: null,
            createdAt,
            deadlineAt: null,
          });
          await insertSession(trx, {
            id,
            accountId: account.id,
            requestId: id,
            agentId: agent.id,
            startedAt,
          });
          await endSessionRow(trx, account.id, id, startedAt + 5 * 60_000, "agent");
          await markEnded(trx, account.id, id, startedAt + 5 * 60_000);
          idleCustomers.push({ requestId: id, token });
        }
      });
    }
    return { accountId: account.id, adminToken, agents, idleCustomers };
  } finally {
    await db.close();
  }
}
