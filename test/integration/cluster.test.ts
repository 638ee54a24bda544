import path from "node:path";
import type { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { AgentServerMessage, ChatMessage, CustomerServerMessage } from "../../src/shared/protocol.js";
import {
  type ClusterStorage,
  clusterStorage,
  cookieOf,
  nodeApi,
  nodeLogin,
  type ServerNode,
  startNode as startClusterNode,
  stopNode,
  waitExit,
} from "../support/nodes.js";
import { eventually, killConnectionsNamed, REDIS_URL } from "../support/redis.js";
import { SocketClient } from "../support/ws.js";

type AgentSocket = SocketClient<AgentServerMessage>;
type CustomerSocket = SocketClient<CustomerServerMessage>;

const OPERATOR = { email: "ops@cluster.example", password: "cluster-operator-pass" };
const PASSWORD = "cluster-agent-pass";
/** Short, so a killed node's agents must drop out of presence within seconds. */
const PRESENCE_TTL_S = 2;
const _ROOT = path.resolve(import.meta.dirname, "../..");

type Node = ServerNode;

/** A same-origin JSON call to one node, as that node's own pages would make it. */
const api = nodeApi;
const login = nodeLogin;

interface AgentSeed {
  id: string;
  name: string;
  email: string;
  node: Node;
}

interface Agent extends AgentSeed {
  cookie: string;
  socket: AgentSocket;
}

const messagesOf = (received: { type: string }[]): ChatMessage[] =>
  (received as (AgentServerMessage | CustomerServerMessage)[]).flatMap((m) =>
    m.type === "message" ? [m.message] : [],
  );

describe.skipIf(!inject("postgres") || !inject("redis"))("a 3-node cluster on PostgreSQL + Redis", () => {
  let store: ClusterStorage;
  let prefix = "";
  let dataDir = "";
  const nodes: Node[] = [];
  const sockets: Pick<SocketClient, "socket">[] = [];
  let redis: Redis;
  let operatorCookie = "";
  let databaseUrl = "";

  const node = (i: 1 | 2 | 3): Node => {
    const n = nodes[i - 1];
    if (!n) throw new Error(`node ${i} did not start`);
    return n;
  };

  function startNode(name: string): Promise<Node> {
    return startClusterNode(name, {
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      HELPGATE_REDIS_PREFIX: prefix,
      HELPGATE_PRESENCE_TTL: String(PRESENCE_TTL_S),
      // Portal pages stay cached for a minute: only the bus event can refresh them in a test.
      HELPGATE_PORTAL_PAGE_CACHE_MS: "60000",
      HELPGATE_DEMO: "0",
      HELPGATE_ADMIN_EMAIL: OPERATOR.email,
      HELPGATE_ADMIN_PASSWORD: OPERATOR.password,
      HELPGATE_DATA_DIR: dataDir,
    });
  }

  async function agentSocket(agent: AgentSeed & { cookie: string }): Promise<AgentSocket> {
    const s = await SocketClient.connect<AgentServerMessage>(agent.node.ws, {
      cookie: agent.cookie,
      origin: agent.node.url,
    });
    sockets.push(s);
    await s.next((m) => m.type === "snapshot");
    return s;
  }

  async function customerSocket(n: Node, requestId: string, cookie: string, since = 0) {
    const s = await SocketClient.connect<CustomerServerMessage>(
      `${n.ws}?request=${requestId}&since=${since}`,
      {
        cookie,
        origin: n.url,
      },
    );
    sockets.push(s);
    return s;
  }

  /** An account with agents, each signed in (and connected, available) on the node given. */
  async function seedTeam(
    tag: string,
    mode: "web" | "queue",
    agentNodes: Node[],
  ): Promise<{ accountId: string; agents: AgentSeed[] }> {
    const created = await api<{ account: { id: string } }>(node(1), "POST", "/api/v1/accounts", {
      cookie: operatorCookie,
      body: {
        name: `Cluster ${tag}`,
        mode,
        admin: { email: `admin@${tag}.example`, displayName: "Admin", password: PASSWORD },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const accountId = created.body.account.id;
    const agents: AgentSeed[] = [];
    for (const [i, n] of agentNodes.entries()) {
      const name = `${tag} Agent ${i + 1}`;
      const email = `agent${i + 1}@${tag}.example`;
      // Created through the agent's own node: the operator's sign-in (in the database) holds on every node.
      const u = await api<{ user: { id: string } }>(n, "POST", `/api/v1/accounts/${accountId}/users`, {
        cookie: operatorCookie,
        body: { email, displayName: name, role: "agent", password: PASSWORD },
      });
      expect(u.status, JSON.stringify(u.body)).toBe(201);
      agents.push({ id: u.body.user.id, name, email, node: n });
    }
    return { accountId, agents };
  }

  async function portal(accountId: string, slug: string, type: string, agentIds: string[]): Promise<void> {
    const r = await api(node(1), "POST", `/api/v1/accounts/${accountId}/portals`, {
      cookie: operatorCookie,
      body: { slug, type, name: slug, agentIds },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }

  /** Signs the agent in on their node, opens the console socket there, and sets them available. */
  async function goOnline(seed: AgentSeed): Promise<Agent> {
    const cookie = await login(seed.node, seed.email, PASSWORD);
    const socket = await agentSocket({ ...seed, cookie });
    const r = await api(seed.node, "PUT", "/api/v1/console/availability", {
      cookie,
      body: { available: true },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return { ...seed, cookie, socket };
  }

  async function submit(n: Node, slug: string, name: string, body: Record<string, unknown> = {}) {
    const r = await api<{ requestId: string }>(n, "POST", `/api/v1/portals/${slug}/requests`, {
      body: { values: { name, question: `${name} needs help` }, ...body },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return { requestId: r.body.requestId, cookie: cookieOf(r.res) };
  }

  beforeAll(async () => {
    store = await clusterStorage("cluster");
    ({ redis, prefix, dataDir, databaseUrl } = store);
    // All three at once on an empty database: migrations and the first start must not trip over each other.
    const started = await Promise.allSettled([startNode("node 1"), startNode("node 2"), startNode("node 3")]);
    for (const s of started) if (s.status === "fulfilled") nodes.push(s.value);
    const failed = started.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
    operatorCookie = await login(node(1), OPERATOR.email, OPERATOR.password);
  });

  afterAll(async () => {
    for (const s of sockets) s.socket.terminate();
    await Promise.all(nodes.map(stopNode));
    await store?.drop();
  });

  it("started three nodes at once on one empty database, each reporting itself as a cluster node", async () => {
    expect(nodes).toHaveLength(3);
    const users = new pg.Client({ connectionString: databaseUrl });
    await users.connect();
    const { rows } = await users.query<{ n: string }>(
      "select count(*) as n from users where role = 'operator'",
    );
    await users.end();
    expect(Number(rows[0]?.n)).toBe(1);
    for (const n of nodes) expect(n.output.join("")).toMatch(/runs as a cluster node/);
    // Three distinct live nodes in the shared presence registry.
    await eventually(
      async () => (await redis.zcard(`${prefix}presence:nodes`)) === 3,
      2000,
      "three live nodes in the registry",
    );
  });

  it("broadcasts an alert to agents on two other nodes, and exactly one of them wins the accept", async () => {
    const { accountId, agents } = await seedTeam("alert", "web", [node(2), node(3)]);
    await portal(
      accountId,
      "cluster-alert",
      "question",
      agents.map((x) => x.id),
    );
    const [a, b] = await Promise.all(agents.map(goOnline));
    if (!a || !b) throw new Error("two agents expected");

    const { requestId } = await submit(node(1), "cluster-alert", "Carla");
    const [alertA, alertB] = await Promise.all([
      a.socket.next((m) => m.type === "alert" && m.request.id === requestId),
      b.socket.next((m) => m.type === "alert" && m.request.id === requestId),
    ]);
    expect(alertA.type === "alert" && alertA.request.question).toBe("Carla needs help");
    expect(alertB.type).toBe("alert");

    const [ra, rb] = await Promise.all([
      api<{ message?: string; agentId?: string }>(a.node, "POST", `/api/v1/requests/${requestId}/accept`, {
        cookie: a.cookie,
      }),
      api<{ message?: string; agentId?: string }>(b.node, "POST", `/api/v1/requests/${requestId}/accept`, {
        cookie: b.cookie,
      }),
    ]);
    expect([ra.status, rb.status].sort()).toEqual([200, 409]);
    const [winner, loser, lost] = ra.status === 200 ? [a, b, rb] : [b, a, ra];
    expect(lost.body.message).toBe(`Already taken by ${winner.name}.`);
    // The loser's console hears it from another node.
    const update = await loser.socket.next(
      (m) => m.type === "request.updated" && m.request.id === requestId && m.request.state === "accepted",
      3000,
    );
    expect(update.type === "request.updated" && update.request.agentId).toBe(winner.id);
    await winner.socket.next((m) => m.type === "session.started" && m.session.id === requestId, 3000);

    // The database agrees: one accepted transition, one session.
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    const accepted = await c.query(
      "select * from request_events where request_id = $1 and state = 'accepted'",
      [requestId],
    );
    const sessions = await c.query("select * from sessions where request_id = $1", [requestId]);
    await c.end();
    expect(accepted.rowCount).toBe(1);
    expect(sessions.rowCount).toBe(1);
  });

  it("queue mode: concurrent submissions on every node never double an offer", async () => {
    const { accountId, agents } = await seedTeam("queue", "queue", [node(2), node(3)]);
    await portal(
      accountId,
      "cluster-queue",
      "question",
      agents.map((x) => x.id),
    );
    const [a, b] = await Promise.all(agents.map(goOnline));
    if (!a || !b) throw new Error("two agents expected");

    const on = [node(1), node(2), node(3), node(1), node(2)];
    const submitted = await Promise.all(on.map((n, i) => submit(n, "cluster-queue", `Queued ${i + 1}`)));
    const ids = new Set(submitted.map((s) => s.requestId));

    await Promise.all([
      a.socket.next((m) => m.type === "offer", 5000),
      b.socket.next((m) => m.type === "offer", 5000),
    ]);
    // Every dispatch the five submissions (and the capacity changes) started has settled.
    await new Promise((r) => setTimeout(r, 1000));
    const offersTo = (s: AgentSocket) => s.received.flatMap((m) => (m.type === "offer" ? [m.offer] : []));
    expect(offersTo(a.socket)).toHaveLength(1);
    expect(offersTo(b.socket)).toHaveLength(1);
    expect(offersTo(a.socket)[0]?.request.id).not.toBe(offersTo(b.socket)[0]?.request.id);

    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    const { rows } = await c.query<{ request_id: string; agent_id: string; state: string }>(
      "select request_id, agent_id, state from offers where account_id = $1",
      [accountId],
    );
    const perAgent = await c.query(
      "select agent_id from offers where state = 'pending' group by agent_id having count(*) > 1",
    );
    const perRequest = await c.query(
      "select request_id from offers where state = 'pending' group by request_id having count(*) > 1",
    );
    await c.end();
    expect(perAgent.rowCount).toBe(0);
    expect(perRequest.rowCount).toBe(0);
    // Exactly two offers were ever made — none made, withdrawn and made again — to two agents, for two requests.
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.state === "pending" && ids.has(r.request_id))).toBe(true);
    expect(new Set(rows.map((r) => r.agent_id))).toEqual(new Set([a.id, b.id]));
    expect(new Set(rows.map((r) => r.request_id)).size).toBe(2);
  });

  it("counts a customer's pages on every node before calling the customer gone", async () => {
    const { accountId, agents } = await seedTeam("gone", "web", [node(2)]);
    await portal(
      accountId,
      "cluster-gone",
      "question",
      agents.map((x) => x.id),
    );
    await Promise.all(agents.map(goOnline));
    const { requestId, cookie } = await submit(node(1), "cluster-gone", "Tabby");
    const tab2 = await customerSocket(node(2), requestId, cookie);
    const tab3 = await customerSocket(node(3), requestId, cookie);
    await tab2.next((m) => m.type === "status");
    await tab3.next((m) => m.type === "status");
    const goneAt = async () => {
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      const { rows } = await c.query<{ customer_gone_at: string | null }>(
        "select customer_gone_at from requests where id = $1",
        [requestId],
      );
      await c.end();
      return rows[0]?.customer_gone_at ?? null;
    };
    // Closing the tab on node 2 while the one on node 3 is open: the customer is still there.
    await tab2.close();
    await new Promise((r) => setTimeout(r, 500));
    expect(await goneAt()).toBeNull();
    // Closing the last one starts the grace period.
    await tab3.close();
    await eventually(async () => (await goneAt()) !== null, 3000, "customer_gone_at to be set");
  });

  it("a portal page cached on node 1 changes at once when an agent on node 2 goes away or comes back", async () => {
    const { agents, accountId } = await seedTeam("pages", "web", [node(2)]);
    await portal(
      accountId,
      "cluster-pages",
      "question",
      agents.map((x) => x.id),
    );
    const page = async () => (await fetch(`${node(1).url}/p/cluster-pages`)).text();
    const offline = "No agent is available right now";
    // Nobody signed in: the offline form, now in node 1's page cache (for a minute, in this test),
    // so only the event from node 2 can refresh it.
    expect(await page()).toContain(offline);
    expect(await page()).toContain(offline);
    const [agent] = await Promise.all(agents.map(goOnline));
    if (!agent) throw new Error("no agent");
    await eventually(async () => !(await page()).includes(offline), 400, "the form on node 1");
    const off = await api(node(2), "PUT", "/api/v1/console/availability", {
      cookie: agent.cookie,
      body: { available: false },
    });
    expect(off.status).toBe(200);
    await eventually(async () => (await page()).includes(offline), 400, "the offline form on node 1");
  });

  it("disabling an agent on node 1 closes their console on node 2, and signing out on node 1 that sign-in's on node 3", async () => {
    const { accountId, agents } = await seedTeam("signout", "web", [node(2), node(3)]);
    const [disabled, leaving] = await Promise.all(agents.map(goOnline));
    if (!disabled || !leaving) throw new Error("two agents expected");
    const closed = (s: AgentSocket) =>
      new Promise<number>((resolve) => {
        if (s.closed) resolve(s.closed.code);
        else s.socket.once("close", (code) => resolve(code));
      });
    const [disabledClosed, leavingClosed] = [closed(disabled.socket), closed(leaving.socket)];
    const patched = await api(node(1), "PATCH", `/api/v1/accounts/${accountId}/users/${disabled.id}`, {
      cookie: operatorCookie,
      body: { disabled: true },
    });
    expect(patched.status).toBe(200);
    expect(await disabledClosed).toBe(4401);
    const out = await api(node(1), "POST", "/api/v1/auth/logout", { cookie: leaving.cookie });
    expect(out.status).toBe(204);
    expect(await leavingClosed).toBe(4401);
  });

  describe("chat across nodes, and node 1 killed mid-chat", () => {
    let agent: Agent;
    let watched: Agent;
    let requestId = "";
    let customerCookie = "";
    let customer: CustomerSocket;
    let resumed: CustomerSocket;
    const pickSlug = "cluster-pick";

    it("carries messages both ways with sequence numbers 1, 2, 3", async () => {
      const { accountId, agents } = await seedTeam("chat", "web", [node(2), node(1)]);
      const [first, second] = agents;
      if (!first || !second) throw new Error("two agents expected");
      await portal(accountId, "cluster-chat", "question", [first.id]);
      await portal(accountId, pickSlug, "pick-agent", [first.id, second.id]);
      [agent, watched] = await Promise.all([goOnline(first), goOnline(second)]);

      const picked = await api<{ agents: { id: string; status: string }[] }>(
        node(3),
        "GET",
        `/api/v1/portals/${pickSlug}/agents`,
      );
      expect(picked.body.agents.find((x) => x.id === watched.id)?.status).toBe("available");

      ({ requestId, cookie: customerCookie } = await submit(node(1), "cluster-chat", "Dana"));
      await agent.socket.next((m) => m.type === "alert" && m.request.id === requestId);
      customer = await customerSocket(node(1), requestId, customerCookie);
      await customer.next((m) => m.type === "status" && m.status.state === "waiting");
      const accepted = await api(agent.node, "POST", `/api/v1/requests/${requestId}/accept`, {
        cookie: agent.cookie,
      });
      expect(accepted.status).toBe(200);
      await customer.next((m) => m.type === "status" && m.status.state === "accepted", 3000);

      customer.send({ type: "send", body: "hello from node 1", ref: "c1" });
      await customer.next((m) => m.type === "ack" && m.ref === "c1");
      await agent.socket.next((m) => m.type === "message" && m.message.seq === 1, 3000);
      agent.socket.send({ type: "send", sessionId: requestId, body: "hello from node 2", ref: "a1" });
      await customer.next((m) => m.type === "message" && m.message.seq === 2, 3000);
      customer.send({ type: "send", body: "third", ref: "c2" });
      await agent.socket.next((m) => m.type === "message" && m.message.seq === 3, 3000);
      await customer.next((m) => m.type === "message" && m.message.seq === 3, 3000);

      expect(messagesOf(customer.received).map((m) => [m.seq, m.sender, m.body])).toEqual([
        [1, "customer", "hello from node 1"],
        [2, "agent", "hello from node 2"],
        [3, "customer", "third"],
      ]);
    });

    it("after kill -9 of node 1 the customer resumes on node 2 with exactly the missed messages", async () => {
      const lastSeq = Math.max(...messagesOf(customer.received).map((m) => m.seq));
      expect(lastSeq).toBe(3);
      const killedAt = Date.now();
      node(1).child.kill("SIGKILL");
      expect(await waitExit(node(1).child, 5000)).toBe(true);
      await eventually(() => customer.closed !== null, 5000, "the customer's socket to drop");

      // The agent on node 2 keeps working while the customer is away.
      agent.socket.send({ type: "send", sessionId: requestId, body: "are you still there?", ref: "a2" });
      await agent.socket.next((m) => m.type === "ack" && m.ref === "a2", 3000);
      agent.socket.send({ type: "send", sessionId: requestId, body: "I'll wait", ref: "a3" });
      await agent.socket.next((m) => m.type === "ack" && m.ref === "a3", 3000);

      resumed = await customerSocket(node(2), requestId, customerCookie, lastSeq);
      await resumed.next((m) => m.type === "status" && m.status.state === "accepted");
      await resumed.next((m) => m.type === "message" && m.message.seq === 5, 3000);
      resumed.send({ type: "send", body: "back, via node 2", ref: "c3" });
      await resumed.next((m) => m.type === "ack" && m.ref === "c3" && m.seq === 6, 3000);
      await agent.socket.next((m) => m.type === "message" && m.message.seq === 6, 3000);
      await resumed.next((m) => m.type === "message" && m.message.seq === 6, 3000);
      expect(messagesOf(resumed.received).map((m) => m.seq)).toEqual([4, 5, 6]);

      // A fresh page (since=0) on node 3 gets the whole conversation, in order, nothing doubled.
      const fresh = await customerSocket(node(3), requestId, customerCookie, 0);
      await fresh.next((m) => m.type === "message" && m.message.seq === 6, 3000);
      await new Promise((r) => setTimeout(r, 200));
      expect(messagesOf(fresh.received).map((m) => [m.seq, m.sender, m.body])).toEqual([
        [1, "customer", "hello from node 1"],
        [2, "agent", "hello from node 2"],
        [3, "customer", "third"],
        [4, "agent", "are you still there?"],
        [5, "agent", "I'll wait"],
        [6, "customer", "back, via node 2"],
      ]);
      // Typing (like the other session signals) crosses nodes the same way: node 3 → node 2 and back.
      fresh.send({ type: "typing" });
      await agent.socket.next((m) => m.type === "typing" && m.sessionId === requestId, 3000);
      agent.socket.send({ type: "typing", sessionId: requestId });
      await fresh.next((m) => m.type === "typing", 3000);
      // The agent, on a node that never went down, saw every message once.
      expect(messagesOf(agent.socket.received).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6]);

      // The agent whose console was on node 1 drops out of presence within the TTL.
      await eventually(
        async () => {
          const r = await api<{ agents: { id: string; status: string }[] }>(
            node(2),
            "GET",
            `/api/v1/portals/${pickSlug}/agents`,
          );
          return r.body.agents.find((x) => x.id === watched.id)?.status === "offline";
        },
        PRESENCE_TTL_S * 1000 + 2000,
        "the killed node's agent to go offline",
      );
      expect(Date.now() - killedAt).toBeLessThanOrEqual(PRESENCE_TTL_S * 1000 + 3000);
      const still = await api<{ agents: { id: string; status: string }[] }>(
        node(3),
        "GET",
        `/api/v1/portals/${pickSlug}/agents`,
      );
      // The agent on node 2 is still there, busy with the session or available.
      expect(still.body.agents.find((x) => x.id === agent.id)?.status).not.toBe("offline");
      // The survivors' next heartbeat removes the dead node from the registry.
      await eventually(
        async () => (await redis.zcard(`${prefix}presence:nodes`)) === 2,
        2000,
        "the dead node to leave the registry",
      );
    });

    it("resyncs every socket from the database when a node's Redis subscription was cut", async () => {
      const agentFrom = agent.socket.received.length;
      const customerFrom = resumed.received.length;
      // Every surviving node loses its subscriber connection (as in a network blip or a Redis restart).
      expect(await killConnectionsNamed(redis, `${prefix}bus-sub`)).toBe(2);
      const snapshot = await agent.socket.next((m) => m.type === "snapshot", 5000, agentFrom);
      expect(snapshot.type === "snapshot" && snapshot.snapshot.sessions.map((x) => x.id)).toContain(
        requestId,
      );
      await resumed.next((m) => m.type === "status" && m.status.state === "accepted", 5000, customerFrom);
      // Nothing new was said, so the customer page is sent no message twice.
      expect(messagesOf(resumed.received.slice(customerFrom))).toEqual([]);
      // And the bus works again, across nodes.
      agent.socket.send({ type: "send", sessionId: requestId, body: "after the blip", ref: "a4" });
      const got = await resumed.next((m) => m.type === "message" && m.message.seq === 7, 3000);
      expect(got.type === "message" && got.message.body).toBe("after the blip");
    });
  });
});
