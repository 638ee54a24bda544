import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, migratorOf } from "../../src/server/db/database.js";
import { SESSION_OWN_ID } from "../../src/server/http/responses.js";
import { findRequest, insertRequest } from "../../src/server/store/requests.js";
import type {
  AgentServerMessage,
  CodeView,
  ConsoleSnapshot,
  CustomerStatus,
  RequestView,
  SessionView,
} from "../../src/shared/protocol.js";
import { call } from "../support/app.js";
import { createTestDatabase, dialects, type TestDatabase } from "../support/databases.js";
import {
  type Agent,
  type AgentSocket,
  accept,
  ask,
  createPortal,
  isAlertFor,
  onlineAgent,
  requestOf,
  seedAgent,
  seedTenant,
  startWorld,
  type World,
} from "../support/scenario.js";

/**
 * The 9-digit number people read out as "Session ID" is `sessionNumber` (requests.session_number
 * since migration 007). The old field `sessionId` carries the same number for one release,
 * marked deprecated in the OpenAPI document.
 */

const DEPRECATION = "the same 9-digit number as sessionNumber; removed in the next release";

interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  deprecated?: boolean;
  description?: string;
  [key: string]: unknown;
}

/** Every object schema in the document's responses that has a `sessionId` property, with where it is. */
function schemasWithSessionId(node: unknown, where: string, out: { where: string; schema: JsonSchema }[]) {
  if (Array.isArray(node)) {
    for (const [i, n] of node.entries()) schemasWithSessionId(n, `${where}[${i}]`, out);
    return out;
  }
  if (typeof node !== "object" || node === null) return out;
  const schema = node as JsonSchema;
  // A session's own id (a transfer's, a team alert's) is not the number and carries no deprecation.
  const own = schema.properties?.sessionId?.description === SESSION_OWN_ID;
  if (schema.properties && "sessionId" in schema.properties && !own) out.push({ where, schema });
  for (const [key, value] of Object.entries(schema)) schemasWithSessionId(value, `${where}.${key}`, out);
  return out;
}

/** Both names of the number are there, equal, and 9 digits. */
function expectBoth(answer: { sessionNumber?: unknown; sessionId?: unknown }, what: string): string {
  expect(answer.sessionNumber, what).toMatch(/^\d{9}$/);
  expect(answer.sessionId, what).toBe(answer.sessionNumber);
  return answer.sessionNumber as string;
}

describe.each(dialects())("the session number and its deprecated old name, on %s", (dialect) => {
  let world: World;
  let agent: Agent;
  let agentWs: AgentSocket;
  let slug: string;
  let offlineSlug: string;
  let phoneAgent: Agent;
  let codePortalId: string;
  const sockets: AgentSocket[] = [];

  beforeAll(async () => {
    world = await startWorld(dialect);
    const tenant = await seedTenant(world, "sn");
    agent = await seedAgent(world, tenant, "nora");
    const away = await seedAgent(world, tenant, "otto");
    slug = (await createPortal(world, tenant, "question", [agent])).slug;
    offlineSlug = (await createPortal(world, tenant, "question", [away])).slug;
    agentWs = await onlineAgent(world, agent);
    sockets.push(agentWs);
    const phone = await seedTenant(world, "snp", "phone");
    phoneAgent = await seedAgent(world, phone, "paul");
    codePortalId = (await createPortal(world, phone, "code", [phoneAgent])).id;
    sockets.push(await onlineAgent(world, phoneAgent));
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world.close();
  });

  it("every answer that carries the number has sessionNumber and the same value in sessionId", async () => {
    const mark = agentWs.received.length;
    const s = await ask(world, slug, { name: "Carla", question: "Which number?" });
    const body = s.res.body as { sessionNumber?: string; sessionId?: string };
    const number = expectBoth(body, "submit answer");
    expect(s.sessionNumber).toBe(number);

    const row = await world.app.deps.db.kysely
      .selectFrom("requests")
      .select("session_number")
      .where("id", "=", s.requestId)
      .executeTakeFirstOrThrow();
    expect(row.session_number).toBe(number);

    // The customer's status, over HTTP.
    const status = await world.app.server.inject({
      method: "GET",
      url: `/api/v1/customer/requests/${s.requestId}`,
      headers: { cookie: s.cookie, origin: world.origin },
    });
    expect(status.statusCode).toBe(200);
    expect(expectBoth(JSON.parse(status.body) as CustomerStatus, "customer status")).toBe(number);

    // The alert over the socket, and the console snapshot.
    const alert = requestOf(
      await agentWs.next((m: AgentServerMessage) => isAlertFor(s.requestId)(m), 5000, mark),
    );
    expect(expectBoth(alert, "alert")).toBe(number);
    const snapshot = (await call(world.app, agent.cookie, "GET", "/api/v1/console")).body as ConsoleSnapshot;
    const incoming = snapshot.incoming.find((r: RequestView) => r.id === s.requestId);
    expect(incoming).toBeDefined();
    expect(expectBoth(incoming as RequestView, "console incoming")).toBe(number);

    // Accepting answers with the session, whose request carries both.
    const accepted = await accept(world, agent, s.requestId);
    expect(accepted.status).toBe(200);
    const session = accepted.body as SessionView;
    expect(session.id).toBe(s.requestId);
    expect(expectBoth(session.request, "accept answer")).toBe(number);

    // An offline message's receipt.
    const left = await call(world.app, null, "POST", `/api/v1/portals/${offlineSlug}/offline`, {
      values: { name: "Finn", email: "finn@example.com", question: "Call me back" },
    });
    expect(left.status).toBe(201);
    expectBoth(left.body as { sessionNumber?: string; sessionId?: string }, "offline receipt");

    // A redeemed code.
    const created = await call(world.app, phoneAgent.cookie, "POST", "/api/v1/codes", {
      portalId: codePortalId,
      name: "On the phone",
    });
    expect(created.status).toBe(201);
    const joined = await call(world.app, null, "POST", "/api/v1/join", {
      code: (created.body as CodeView).code,
    });
    expect(joined.status).toBe(201);
    expectBoth(joined.body as { sessionNumber?: string; sessionId?: string }, "redeem answer");
  });

  it("the OpenAPI document marks sessionId deprecated wherever it names the number, next to sessionNumber", async () => {
    const res = await world.app.server.inject({ method: "GET", url: "/api/docs/json" });
    expect(res.statusCode).toBe(200);
    const doc = JSON.parse(res.body) as { paths: Record<string, Record<string, { responses?: unknown }>> };
    const found: { where: string; schema: JsonSchema }[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        schemasWithSessionId(operation.responses, `${method.toUpperCase()} ${path}`, found);
      }
    }
    const where = found.map((f) => f.where).join("\n");
    for (const route of [
      "POST /api/v1/portals/{slug}/requests",
      "POST /api/v1/portals/{slug}/offline",
      "POST /api/v1/join",
      "GET /api/v1/customer/requests/{requestId}",
      "GET /api/v1/console",
      "POST /api/v1/requests/{requestId}/accept",
    ]) {
      expect(where, route).toContain(`${route}.`);
    }
    for (const { where: at, schema } of found) {
      const old = schema.properties?.sessionId;
      const current = schema.properties?.sessionNumber;
      expect(old?.deprecated, at).toBe(true);
      expect(old?.description, at).toContain(DEPRECATION);
      expect(current, at).toBeDefined();
      expect(current?.deprecated, at).toBeUndefined();
    }
    // The session's own id in paths is a different thing and stays as it is.
    expect(Object.keys(doc.paths)).toContain("/api/v1/sessions/{sessionId}/messages");
  });
});

describe.each(dialects())(
  "migration 007 on %s: a database from before keeps its session numbers",
  (dialect) => {
    let old: TestDatabase;
    let fresh: TestDatabase;
    beforeAll(async () => {
      old = await createTestDatabase(dialect, { unmigrated: true });
      fresh = await createTestDatabase(dialect);
    });
    afterAll(async () => {
      await old?.drop();
      await fresh?.drop();
    });

    it("renames requests.session_id to session_number with every value and its uniqueness", async () => {
      const k = old.db.kysely;
      const to006 = await migratorOf(old.db).migrateTo("006_login_failures");
      expect(to006.error).toBeUndefined();
      expect(to006.results?.map((r) => r.migrationName).at(-1)).toBe("006_login_failures");

      // What a release before 007 wrote: the number in requests.session_id.
      const now = Date.now();
      await sql`insert into accounts (id, name, mode, created_at) values ('a1', 'Old Co', 'web', ${now})`.execute(
        k,
      );
      await sql`insert into portals (id, account_id, slug, type, name, title, welcome_text, language,
      primary_color, fields, connection_mode, created_at, updated_at)
      values ('p1', 'a1', 'old-portal', 'question', 'Old portal', 'Help', '', 'en', '#000000', '[]',
      'chat-first', ${now}, ${now})`.execute(k);
      for (const [id, number] of [
        ["00000000-0000-4000-8000-000000000001", "000123456"],
        ["00000000-0000-4000-8000-000000000002", "987654321"],
      ]) {
        await sql`insert into requests (id, account_id, portal_id, session_id, kind, state, customer_name,
        customer_email, contact, question, language, customer_token_hash, created_at, state_at)
        values (${id}, 'a1', 'p1', ${number}, 'broadcast', 'ended', 'Carla', '', '{}', 'Q', 'en', 'h',
        ${now}, ${now})`.execute(k);
      }

      await migrate(old.db);

      const rows = await k.selectFrom("requests").select(["id", "session_number"]).orderBy("id").execute();
      expect(rows).toEqual([
        { id: "00000000-0000-4000-8000-000000000001", session_number: "000123456" },
        { id: "00000000-0000-4000-8000-000000000002", session_number: "987654321" },
      ]);
      const view = await findRequest(k, "a1", "00000000-0000-4000-8000-000000000001");
      expect(view?.sessionNumber).toBe("000123456");
      expect(view?.sessionId).toBe("000123456");

      // The number is still unique: a new request with a taken number is not written.
      const refused = await insertRequest(k, {
        id: "00000000-0000-4000-8000-000000000003",
        accountId: "a1",
        portalId: "p1",
        sessionNumber: "987654321",
        kind: "broadcast",
        state: "waiting",
        targetAgentId: null,
        agentId: null,
        customerName: "Dora",
        customerEmail: "",
        contact: {},
        question: "Q",
        language: "en",
        customerTokenHash: "h2",
        codeId: null,
        createdAt: now,
        deadlineAt: null,
      });
      expect(refused).toBe(false);
      const count = await k
        .selectFrom("requests")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(2);
    });

    it("leaves the upgraded database's requests table the same as a fresh one's", async () => {
      const shape = async (db: TestDatabase) => {
        if (dialect === "sqlite") {
          const r = await sql<{ type: string; name: string; sql: string | null }>`
          select type, name, sql from sqlite_master where tbl_name = 'requests' order by name`.execute(
            db.db.kysely,
          );
          return r.rows;
        }
        const columns = await sql<{ column_name: string; data_type: string; is_nullable: string }>`
        select column_name, data_type, is_nullable from information_schema.columns
        where table_schema = 'public' and table_name = 'requests' order by column_name`.execute(db.db.kysely);
        const indexes = await sql<{ indexname: string; indexdef: string }>`
        select indexname, indexdef from pg_indexes
        where schemaname = 'public' and tablename = 'requests' order by indexname`.execute(db.db.kysely);
        const constraints = await sql<{ conname: string; def: string }>`
        select conname, pg_get_constraintdef(oid) as def from pg_constraint
        where conrelid = 'public.requests'::regclass order by conname`.execute(db.db.kysely);
        return { columns: columns.rows, indexes: indexes.rows, constraints: constraints.rows };
      };
      const upgraded = await shape(old);
      expect(upgraded).toEqual(await shape(fresh));
      expect(JSON.stringify(upgraded)).toContain("session_number");
      expect(JSON.stringify(upgraded)).not.toMatch(/\bsession_id\b/);
      if (dialect === "postgres") {
        expect(JSON.stringify(upgraded)).toContain('"requests_session_number_key"');
      }
    });
  },
);
