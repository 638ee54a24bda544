import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { AgentServerMessage } from "../../src/shared/protocol.js";
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
import { SocketClient } from "../support/ws.js";

/**
 * Issue 10, item 5: a node that dies between committing a queue request and dispatching it must
 * not strand the customer. Node A is started with a test-only failpoint that kills it (SIGKILL)
 * right after the submit's transaction committed and before any reaction ran; the agent is signed
 * in on node B, whose sweeper's reconcile pass must offer the request within a few seconds.
 */

const OPERATOR = { email: "ops@reconcile.example", password: "reconcile-operator-pass" };
const PASSWORD = "reconcile-agent-pass";

describe.skipIf(!inject("postgres") || !inject("redis"))(
  "queue reconcile after a crash between commit and dispatch",
  () => {
    const nodes: ServerNode[] = [];
    const sockets: Pick<SocketClient, "socket">[] = [];
    let store: ClusterStorage;

    const env = (extra: Record<string, string> = {}) => ({
      DATABASE_URL: store.databaseUrl,
      REDIS_URL,
      HELPGATE_REDIS_PREFIX: store.prefix,
      HELPGATE_DEMO: "0",
      HELPGATE_ADMIN_EMAIL: OPERATOR.email,
      HELPGATE_ADMIN_PASSWORD: OPERATOR.password,
      HELPGATE_DATA_DIR: store.dataDir,
      HELPGATE_RECONCILE_MS: "1000",
      ...extra,
    });

    beforeAll(async () => {
      store = await clusterStorage("reconcile");
      // B first (it runs the migrations and the first start); A crashes on its first queue submit.
      nodes.push(await startNode("node B", env()));
      nodes.push(
        await startNode("node A", env({ HELPGATE_FAILPOINT: "crash-before-reactions:request.submitted" })),
      );
    });

    afterAll(async () => {
      for (const s of sockets) s.socket.terminate();
      await Promise.all(nodes.map(stopNode));
      await store?.drop();
    });

    it("offers the request from node B's reconcile pass after node A died right after the commit", async () => {
      const [b, a] = nodes as [ServerNode, ServerNode];
      const operator = await nodeLogin(b, OPERATOR.email, OPERATOR.password);
      const created = await nodeApi<{ account: { id: string } }>(b, "POST", "/api/v1/accounts", {
        cookie: operator,
        body: {
          name: "Reconcile",
          mode: "queue",
          admin: { email: "admin@reconcile.example", displayName: "Admin", password: PASSWORD },
        },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const accountId = created.body.account.id;
      const agent = await nodeApi<{ user: { id: string } }>(
        b,
        "POST",
        `/api/v1/accounts/${accountId}/users`,
        {
          cookie: operator,
          body: { email: "agent@reconcile.example", displayName: "Rene", role: "agent", password: PASSWORD },
        },
      );
      expect(agent.status).toBe(201);
      const portal = await nodeApi(b, "POST", `/api/v1/accounts/${accountId}/portals`, {
        cookie: operator,
        body: { slug: "reconcile-queue", type: "question", name: "Queue", agentIds: [agent.body.user.id] },
      });
      expect(portal.status).toBe(201);

      // The agent is online and available on node B.
      const cookie = await nodeLogin(b, "agent@reconcile.example", PASSWORD);
      const socket = await SocketClient.connect<AgentServerMessage>(b.ws, { cookie, origin: b.url });
      sockets.push(socket);
      await socket.next((m) => m.type === "snapshot");
      expect(
        (await nodeApi(b, "PUT", "/api/v1/console/availability", { cookie, body: { available: true } }))
          .status,
      ).toBe(200);

      // The customer asks at node A, which commits the request and dies before dispatching it.
      const mark = socket.received.length;
      const answer = await fetch(`${a.url}/api/v1/portals/reconcile-queue/requests`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: a.url },
        body: JSON.stringify({ values: { name: "Stranded", question: "Is anyone there?" } }),
      }).then(
        (r) => r.status,
        () => "connection lost",
      );
      expect(answer).toBe("connection lost");
      expect(await waitExit(a.child, 5000)).toBe(true);
      expect(a.child.signalCode).toBe("SIGKILL");
      const db = new pg.Client({ connectionString: store.databaseUrl });
      await db.connect();
      try {
        const rows = await db.query("SELECT id, state FROM requests WHERE customer_name = 'Stranded'");
        expect(rows.rows).toHaveLength(1);
        expect(rows.rows[0].state).toBe("waiting");

        // Node B's reconcile pass (every second here, 5 s by default) offers it to the free agent.
        const offer = await socket.next(
          (m) => m.type === "offer" && m.offer.request.customerName === "Stranded",
          8000,
          mark,
        );
        expect(offer.type).toBe("offer");
        const offers = await db.query("SELECT agent_id, state FROM offers WHERE request_id = $1", [
          rows.rows[0].id,
        ]);
        expect(offers.rows).toEqual([{ agent_id: agent.body.user.id, state: "pending" }]);
      } finally {
        await db.end();
      }
    }, 60_000);
  },
);
