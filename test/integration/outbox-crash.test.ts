import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Delivery, WebhookWithSecret } from "../../src/shared/api.js";
import { createTestDatabase, dialects, type TestDatabase } from "../support/databases.js";
import {
  type ClusterStorage,
  clusterStorage,
  nodeApi,
  nodeLogin,
  type ServerNode,
  startNode,
  stopNode,
  waitExit,
} from "../support/nodes.js";
import { REDIS_URL } from "../support/redis.js";
import { startSmtp, type TestSmtp, toAddresses } from "../support/smtp.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhookReceiver.js";

/**
 * Issue 14: the outbox is durable. Deliveries are rows written with the change; a node that is
 * killed (SIGKILL) while it delivers loses none of them: once its claims' leases run out, the next
 * node delivers them (at least once, under the same webhook-id). Two nodes never claim one row twice.
 */

const OPERATOR = { email: "ops@outbox-crash.example", password: "outbox-operator-pass" };
const LEASE_MS = 1500;

const baseEnv = (databaseUrl: string, dataDir: string): Record<string, string> => ({
  DATABASE_URL: databaseUrl,
  HELPGATE_DATA_DIR: dataDir,
  HELPGATE_DEMO: "0",
  HELPGATE_ADMIN_EMAIL: OPERATOR.email,
  HELPGATE_ADMIN_PASSWORD: OPERATOR.password,
  HELPGATE_WEBHOOKS_ALLOW_PRIVATE: "1",
  HELPGATE_OUTBOX_POLL_MS: "50",
  HELPGATE_OUTBOX_LEASE_MS: String(LEASE_MS),
  HELPGATE_WEBHOOK_TIMEOUT_MS: "1000",
});

/** An account with a webhook to the receiver, made by the operator on `node`. */
async function accountWithWebhook(
  node: ServerNode,
  cookie: string,
  label: string,
  receiverUrl: string,
): Promise<{ accountId: string; hook: WebhookWithSecret }> {
  const created = await nodeApi<{ account: { id: string } }>(node, "POST", "/api/v1/accounts", {
    cookie,
    body: {
      name: `Outbox ${label}`,
      mode: "web",
      admin: { email: `admin@${label}.example`, displayName: "Admin", password: "outbox-admin-password" },
    },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const accountId = created.body.account.id;
  const hook = await nodeApi<WebhookWithSecret>(node, "POST", `/api/v1/accounts/${accountId}/webhooks`, {
    cookie,
    body: { url: receiverUrl, events: ["request.submitted"] },
  });
  expect(hook.status, JSON.stringify(hook.body)).toBe(201);
  return { accountId, hook: hook.body };
}

async function sendTest(
  node: ServerNode,
  cookie: string,
  accountId: string,
  hookId: string,
): Promise<string> {
  const r = await nodeApi<Delivery>(node, "POST", `/api/v1/accounts/${accountId}/webhooks/${hookId}/test`, {
    cookie,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  return r.body.id;
}

async function kill9(node: ServerNode): Promise<void> {
  node.child.kill("SIGKILL");
  expect(await waitExit(node.child, 5000)).toBe(true);
  expect(node.child.signalCode).toBe("SIGKILL");
}

/** Polls until every id has been answered 200 at the receiver. */
async function allDelivered(rc: WebhookReceiver, ids: string[], timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const missing = ids.filter(
      (id) => !rc.byId(id).some((r) => r.answeredStatus !== null && r.answeredStatus < 300),
    );
    if (missing.length === 0) return;
    if (Date.now() > until)
      throw new Error(
        `${missing.length} of ${ids.length} deliveries never arrived: ${missing.slice(0, 5).join(", ")}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(dialects())("outbox across kill -9 on %s", (dialect) => {
  let database: TestDatabase;
  let dataDir: string;
  const nodes: ServerNode[] = [];
  let rc: WebhookReceiver;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "helpgate-outbox-crash-"));
    rc = await startWebhookReceiver({ respond: () => ({ hang: true }) });
  });
  afterAll(async () => {
    await Promise.all(nodes.map(stopNode));
    await rc?.close();
    await database?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("delivers every webhook after the node was killed mid-delivery and another one started", async () => {
    const env = baseEnv(database.url, dataDir);
    const first = await startNode("node 1", env);
    nodes.push(first);
    const operator = await nodeLogin(first, OPERATOR.email, OPERATOR.password);
    const { accountId, hook } = await accountWithWebhook(first, operator, `crash-${dialect}`, rc.url);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await sendTest(first, operator, accountId, hook.id));
    // The node is delivering: the receiver holds its request open. Kill it now.
    await rc.waitFor(1, 10_000);
    await kill9(first);
    const inFlight = rc.requests.map((r) => r.headers["webhook-id"] ?? "");
    expect(inFlight.length).toBeGreaterThanOrEqual(1);
    // None of those tries was answered: the node died holding them.
    expect(rc.requests.every((r) => r.answeredStatus === null)).toBe(true);
    // From now on the receiver is healthy.
    rc.respond(() => ({ status: 200 }));

    const second = await startNode("node 2", env);
    nodes.push(second);
    await allDelivered(rc, ids, 30_000);
    // The deliveries the dead node held came again after their lease ran out, under the same id.
    for (const id of inFlight) {
      const tries = rc.byId(id);
      expect(tries.length, id).toBeGreaterThanOrEqual(2);
      expect(tries[tries.length - 1]?.answeredStatus).toBe(200);
    }
    // At least once, always under the delivery's id, always correctly signed.
    for (const id of ids) {
      const got = rc.byId(id);
      expect(got.length, id).toBeGreaterThanOrEqual(1);
      for (const r of got) expect(rc.verify(r, hook.secret)).toMatchObject({ type: "webhook.test" });
    }
    expect(rc.requests.every((r) => ids.includes(r.headers["webhook-id"] ?? ""))).toBe(true);
    // The outbox agrees: every delivery delivered, none pending or dead.
    const cookie = await nodeLogin(second, OPERATOR.email, OPERATOR.password);
    const until = Date.now() + 10_000;
    let list: Delivery[] = [];
    for (;;) {
      const r = await nodeApi<Delivery[]>(
        second,
        "GET",
        `/api/v1/accounts/${accountId}/deliveries?limit=100`,
        {
          cookie,
        },
      );
      expect(r.status).toBe(200);
      list = r.body;
      if (list.length === ids.length && list.every((d) => d.state === "delivered")) break;
      if (Date.now() > until) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(list.map((d) => d.id).sort()).toEqual([...ids].sort());
    expect(list.filter((d) => d.state !== "delivered")).toEqual([]);
  }, 120_000);
});

describe.each(dialects())("outbox rows committed with the change on %s", (dialect) => {
  let database: TestDatabase;
  let dataDir: string;
  const nodes: ServerNode[] = [];
  let rc: WebhookReceiver;
  let smtp: TestSmtp;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "helpgate-outbox-commit-"));
    rc = await startWebhookReceiver();
    smtp = await startSmtp();
  });
  afterAll(async () => {
    await Promise.all(nodes.map(stopNode));
    await rc?.close();
    await smtp?.close();
    await database?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("sends the webhook and the email of a change whose node died right after the commit", async () => {
    const env = { ...baseEnv(database.url, dataDir), SMTP_URL: smtp.url };
    const doomed = await startNode("doomed node", {
      ...env,
      HELPGATE_FAILPOINT: "crash-before-reactions:request.offline",
    });
    nodes.push(doomed);
    const operator = await nodeLogin(doomed, OPERATOR.email, OPERATOR.password);
    const created = await nodeApi<{ account: { id: string } }>(doomed, "POST", "/api/v1/accounts", {
      cookie: operator,
      body: {
        name: "Committed",
        mode: "web",
        admin: {
          email: `admin@committed-${dialect}.example`,
          displayName: "Admin",
          password: "outbox-admin-password",
        },
      },
    });
    expect(created.status).toBe(201);
    const accountId = created.body.account.id;
    const agent = await nodeApi<{ user: { id: string } }>(
      doomed,
      "POST",
      `/api/v1/accounts/${accountId}/users`,
      {
        cookie: operator,
        body: {
          email: `agent@committed-${dialect}.example`,
          displayName: "Ann",
          role: "agent",
          password: "outbox-agent-password",
        },
      },
    );
    expect(agent.status).toBe(201);
    const portal = await nodeApi(doomed, "POST", `/api/v1/accounts/${accountId}/portals`, {
      cookie: operator,
      body: {
        slug: `committed-${dialect}`,
        type: "question",
        name: "Committed",
        agentIds: [agent.body.user.id],
        notifyEmails: ["desk@committed.example"],
      },
    });
    expect(portal.status, JSON.stringify(portal.body)).toBe(201);
    const hook = await nodeApi<WebhookWithSecret>(doomed, "POST", `/api/v1/accounts/${accountId}/webhooks`, {
      cookie: operator,
      body: { url: rc.url, events: ["offline_message.received"] },
    });
    expect(hook.status).toBe(201);

    const answer = await fetch(`${doomed.url}/api/v1/portals/committed-${dialect}/offline`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: doomed.url },
      body: JSON.stringify({
        values: { name: "Stranded", email: "s@customer.example", question: "Still there?" },
      }),
    }).then(
      (r) => r.status,
      () => "connection lost",
    );
    expect(answer).toBe("connection lost");
    expect(await waitExit(doomed.child, 5000)).toBe(true);
    expect(doomed.child.signalCode).toBe("SIGKILL");
    expect(rc.requests).toHaveLength(0);

    nodes.push(await startNode("next node", env));
    const [got] = await rc.waitFor(1, 20_000);
    const envelope = rc.verify(got as NonNullable<typeof got>, hook.body.secret);
    expect(envelope.type).toBe("offline_message.received");
    expect(JSON.stringify(envelope.data)).toContain("Still there?");
    const mail = await smtp.waitFor((m) => toAddresses(m).includes("desk@committed.example"), 20_000);
    expect(mail.text).toContain("Still there?");
  }, 120_000);
});

describe.skipIf(!inject("postgres") || !inject("redis"))("two nodes on PostgreSQL share the outbox", () => {
  let store: ClusterStorage;
  const nodes: ServerNode[] = [];
  let rc: WebhookReceiver;

  beforeAll(async () => {
    store = await clusterStorage("outbox2");
    // Every delivery's first try fails (503), so all 300 come due again at about the same time and
    // both nodes' polls reach for the same rows; the second try is answered 200 after a short delay.
    const seen = new Set<string>();
    rc = await startWebhookReceiver({
      respond: (r) => {
        const id = r.headers["webhook-id"] ?? "";
        if (!seen.has(id)) {
          seen.add(id);
          return { status: 503 };
        }
        return { status: 200, delayMs: Math.floor(Math.random() * 20) };
      },
    });
    const env = {
      ...baseEnv(store.databaseUrl, store.dataDir),
      REDIS_URL,
      HELPGATE_REDIS_PREFIX: store.prefix,
      // A busy machine must not turn a quick 200 into a timeout (and a legitimate third try): this
      // test counts claims, so every answer has the full default time to arrive.
      HELPGATE_WEBHOOK_TIMEOUT_MS: "5000",
      // No node dies here: the default lease, so a stalled renewal cannot hand a row to the other node.
      HELPGATE_OUTBOX_LEASE_MS: "60000",
    };
    nodes.push(await startNode("node A", env));
    nodes.push(await startNode("node B", env));
  });
  afterAll(async () => {
    await Promise.all(nodes.map(stopNode));
    await rc?.close();
    await store?.drop();
  });

  it("delivers 300 events, each webhook-id exactly once at a healthy receiver (after one failed try each)", async () => {
    const [a, b] = nodes as [ServerNode, ServerNode];
    const cookieA = await nodeLogin(a, OPERATOR.email, OPERATOR.password);
    const cookieB = await nodeLogin(b, OPERATOR.email, OPERATOR.password);
    const { accountId, hook } = await accountWithWebhook(a, cookieA, "two-nodes", rc.url);
    const ids: string[] = [];
    // Written on both nodes, in parallel batches; both nodes poll the same table.
    for (let batch = 0; batch < 30; batch++) {
      const made = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          i % 2 === 0 ? sendTest(a, cookieA, accountId, hook.id) : sendTest(b, cookieB, accountId, hook.id),
        ),
      );
      ids.push(...made);
    }
    expect(new Set(ids).size).toBe(300);
    await allDelivered(rc, ids, 60_000);
    // Give a second claim, if there were one, the time to show: until both nodes' outboxes are idle
    // (every row delivered) and a marker sent after that arrived.
    const until = Date.now() + 20_000;
    for (;;) {
      const r = await nodeApi<Delivery[]>(
        a,
        "GET",
        `/api/v1/accounts/${accountId}/deliveries?state=pending&limit=100`,
        {
          cookie: cookieA,
        },
      );
      expect(r.status).toBe(200);
      if (r.body.length === 0) break;
      if (Date.now() > until) throw new Error(`still pending: ${r.body.length}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    const marker = await sendTest(b, cookieB, accountId, hook.id);
    await allDelivered(rc, [marker], 10_000);
    const counts = new Map<string, number>();
    for (const r of rc.requests) {
      const id = r.headers["webhook-id"] ?? "";
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    // Exactly two tries each: the failed first one and the delivered second; no row was claimed twice.
    const wrong = [...counts].filter(([, n]) => n !== 2);
    expect(wrong).toEqual([]);
    expect(counts.size).toBe(301);
    const answered200 = new Map<string, number>();
    for (const r of rc.requests.filter((x) => x.answeredStatus === 200)) {
      const id = r.headers["webhook-id"] ?? "";
      answered200.set(id, (answered200.get(id) ?? 0) + 1);
    }
    expect([...answered200.values()].every((n) => n === 1)).toBe(true);
    expect(answered200.size).toBe(301);
    for (const r of rc.requests.slice(0, 20))
      expect(rc.verify(r, hook.secret)).toMatchObject({ type: "webhook.test" });
  }, 180_000);
});
