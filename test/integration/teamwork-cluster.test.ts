import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type {
  AgentServerMessage,
  ChatMessage,
  CustomerServerMessage,
  SessionView,
  TeamAlert,
  TransferView,
} from "../../src/shared/protocol.js";
import {
  nodeApi as api,
  type ClusterStorage,
  clusterStorage,
  cookieOf,
  nodeLogin as login,
  type ServerNode,
  startNode as startClusterNode,
  stopNode,
  waitExit,
} from "../support/nodes.js";
import { REDIS_URL } from "../support/redis.js";
import { SocketClient } from "../support/ws.js";

type AgentSocket = SocketClient<AgentServerMessage>;
type CustomerSocket = SocketClient<CustomerServerMessage>;
type Node = ServerNode;

const OPERATOR = { email: "ops@teamcluster.example", password: "cluster-operator-pass" };
const PASSWORD = "cluster-agent-pass";
const PRESENCE_TTL_S = 2;

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
const isPrivate = (m: ChatMessage) => m.sender === "note" || m.visibility === "agents";

/**
 * Teamwork across a 3-node cluster (issue 11): a transfer from an agent on node 2 to one on node 3
 * with the customer on node 1, private notes that never reach the customer's node, and a transfer
 * whose receiver's node dies before the accept.
 */
describe.skipIf(!inject("postgres") || !inject("redis"))("teamwork on a 3-node cluster", () => {
  let store: ClusterStorage;
  const nodes: Node[] = [];
  const sockets: Pick<SocketClient, "socket">[] = [];
  let operatorCookie = "";

  const node = (i: 1 | 2 | 3): Node => {
    const n = nodes[i - 1];
    if (!n) throw new Error(`node ${i} did not start`);
    return n;
  };

  function startNode(name: string): Promise<Node> {
    return startClusterNode(name, {
      DATABASE_URL: store.databaseUrl,
      REDIS_URL,
      HELPGATE_REDIS_PREFIX: store.prefix,
      HELPGATE_PRESENCE_TTL: String(PRESENCE_TTL_S),
      HELPGATE_DEMO: "0",
      HELPGATE_ADMIN_EMAIL: OPERATOR.email,
      HELPGATE_ADMIN_PASSWORD: OPERATOR.password,
      HELPGATE_DATA_DIR: store.dataDir,
    });
  }

  async function sql<R extends Record<string, unknown>>(text: string, values: unknown[] = []): Promise<R[]> {
    const c = new pg.Client({ connectionString: store.databaseUrl });
    await c.connect();
    try {
      return (await c.query<R>(text, values)).rows;
    } finally {
      await c.end();
    }
  }

  async function seedAccount(tag: string, mode: "web" | "queue", agentNodes: Node[]) {
    const created = await api<{ account: { id: string } }>(node(1), "POST", "/api/v1/accounts", {
      cookie: operatorCookie,
      body: {
        name: `Team ${tag}`,
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
      const u = await api<{ user: { id: string } }>(n, "POST", `/api/v1/accounts/${accountId}/users`, {
        cookie: operatorCookie,
        body: { email, displayName: name, role: "agent", password: PASSWORD },
      });
      expect(u.status, JSON.stringify(u.body)).toBe(201);
      agents.push({ id: u.body.user.id, name, email, node: n });
    }
    return { accountId, agents };
  }

  async function portal(accountId: string, slug: string, agentIds: string[]): Promise<string> {
    const r = await api<{ id: string }>(node(1), "POST", `/api/v1/accounts/${accountId}/portals`, {
      cookie: operatorCookie,
      body: { slug, type: "question", name: slug, agentIds },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.id;
  }

  async function goOnline(seed: AgentSeed): Promise<Agent> {
    const cookie = await login(seed.node, seed.email, PASSWORD);
    const socket = await SocketClient.connect<AgentServerMessage>(seed.node.ws, {
      cookie,
      origin: seed.node.url,
    });
    sockets.push(socket);
    await socket.next((m) => m.type === "snapshot");
    const r = await api(seed.node, "PUT", "/api/v1/console/availability", {
      cookie,
      body: { available: true },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await socket.next((m) => m.type === "availability" && m.available);
    return { ...seed, cookie, socket };
  }

  async function customerOn(n: Node, slug: string, name: string) {
    const r = await api<{ requestId: string }>(n, "POST", `/api/v1/portals/${slug}/requests`, {
      body: { values: { name, question: `${name} needs help` } },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const cookie = cookieOf(r.res);
    const requestId = r.body.requestId;
    const socket = await customerSocket(n, requestId, cookie);
    return { requestId, cookie, socket };
  }

  async function customerSocket(
    n: Node,
    requestId: string,
    cookie: string,
    since = 0,
  ): Promise<CustomerSocket> {
    const s = await SocketClient.connect<CustomerServerMessage>(
      `${n.ws}?request=${requestId}&since=${since}`,
      {
        cookie,
        origin: n.url,
      },
    );
    sockets.push(s);
    await s.next((m) => m.type === "status");
    return s;
  }

  async function customerSays(ws: CustomerSocket, body: string, ref: string): Promise<number> {
    const from = ws.received.length;
    ws.send({ type: "send", body, ref });
    const ack = await ws.next((m) => m.type === "ack" && m.ref === ref, 5000, from);
    if (ack.type !== "ack" || ack.seq === undefined) throw new Error("no ack");
    return ack.seq;
  }

  async function agentSays(
    a: Agent,
    sessionId: string,
    body: string,
    ref: string,
    type: "send" | "note" = "send",
  ) {
    const from = a.socket.received.length;
    a.socket.send({ type, sessionId, body, ref });
    const m = await a.socket.next((x) => x.type === "ack" && x.ref === ref, 5000, from);
    if (m.type !== "ack" || m.seq === undefined) throw new Error("no ack");
    return m.seq;
  }

  /** A socket has all the server sent it so far once the answer to a bad frame is back. */
  async function settle<M extends { type: string }>(ws: SocketClient<M>): Promise<void> {
    const from = ws.received.length;
    ws.send("barrier: not json");
    await ws.next((m) => m.type === "error", 5000, from);
  }

  async function visibleSeqs(sessionId: string): Promise<number[]> {
    const rows = await sql<{ seq: number }>(
      "select seq from messages where session_id = $1 and visibility = 'all' order by seq",
      [sessionId],
    );
    return rows.map((r) => Number(r.seq));
  }

  beforeAll(async () => {
    store = await clusterStorage("teamcluster");
    const started = await Promise.allSettled([startNode("node 1"), startNode("node 2"), startNode("node 3")]);
    for (const s of started) if (s.status === "fulfilled") nodes.push(s.value);
    const failed = started.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
    operatorCookie = await login(node(1), OPERATOR.email, OPERATOR.password);
  }, 90_000);

  afterAll(async () => {
    for (const s of sockets) s.socket.terminate();
    await Promise.all(nodes.map(stopNode));
    await store?.drop();
  });

  it("a transfer from node 2 to node 3 with the customer on node 1; notes never reach node 1's customer; nothing lost or doubled", async () => {
    const { accountId, agents } = await seedAccount("tw", "web", [node(2), node(3)]);
    await portal(
      accountId,
      "team-cluster",
      agents.map((a) => a.id),
    );
    const [anna, ben] = (await Promise.all(agents.map(goOnline))) as [Agent, Agent];
    // A manager of the account, her console on node 3.
    const monaEmail = "mona@tw.example";
    const mona = await api<{ user: { id: string } }>(node(3), "POST", `/api/v1/accounts/${accountId}/users`, {
      cookie: operatorCookie,
      body: { email: monaEmail, displayName: "Mona Manager", role: "manager", password: PASSWORD },
    });
    expect(mona.status, JSON.stringify(mona.body)).toBe(201);
    const monaCookie = await login(node(3), monaEmail, PASSWORD);
    const monaWs = await SocketClient.connect<AgentServerMessage>(node(3).ws, {
      cookie: monaCookie,
      origin: node(3).url,
    });
    sockets.push(monaWs);
    await monaWs.next((m) => m.type === "snapshot");
    const monaFrom = monaWs.received.length;
    const c = await customerOn(node(1), "team-cluster", "Nora Node");
    const sessionId = c.requestId;
    await anna.socket.next((m) => m.type === "alert" && m.request.id === sessionId);
    const accepted = await api(anna.node, "POST", `/api/v1/requests/${sessionId}/accept`, {
      cookie: anna.cookie,
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    await c.socket.next((m) => m.type === "status" && m.status.state === "accepted");
    // The session started on node 2: the manager's console on node 3 is told to look again.
    await monaWs.next((m) => m.type === "supervisor.changed", 5000, monaFrom);

    await customerSays(c.socket, "hello from node 1", "c1");
    await agentSays(anna, sessionId, "hello from node 2", "a1");
    await agentSays(anna, sessionId, "NOTE-ON-NODE-2", "n1", "note");

    const t = await api<TransferView>(anna.node, "POST", `/api/v1/sessions/${sessionId}/transfer`, {
      cookie: anna.cookie,
      body: { toAgentId: ben.id, note: "CLUSTER-TRANSFER-NOTE" },
    });
    expect(t.status, JSON.stringify(t.body)).toBe(201);
    const alertMsg = await ben.socket.next((m) => m.type === "team.alert" && m.alert.sessionId === sessionId);
    const alert = (alertMsg as { alert: TeamAlert }).alert;
    expect(alert).toMatchObject({ id: t.body.id, kind: "transfer", note: "CLUSTER-TRANSFER-NOTE" });
    expect(alert.request.customerName).toBe("Nora Node");
    expect(alert.messages.map((m) => m.body)).toEqual(
      expect.arrayContaining(["hello from node 1", "hello from node 2", "NOTE-ON-NODE-2"]),
    );

    await customerSays(c.socket, "while it waits", "c2");
    const [acc] = await Promise.all([
      api<SessionView>(ben.node, "POST", `/api/v1/transfers/${t.body.id}/accept`, { cookie: ben.cookie }),
      customerSays(c.socket, "during the accept", "c3"),
    ]);
    expect(acc.status, JSON.stringify(acc.body)).toBe(200);
    expect(acc.body.agentId).toBe(ben.id);
    const left = await anna.socket.next((m) => m.type === "session.left" && m.sessionId === sessionId);
    expect(left).toMatchObject({ reason: "transferred", toName: ben.name });
    await ben.socket.next((m) => m.type === "session.started" && m.session.id === sessionId);
    await c.socket.next((m) => m.type === "status" && m.status.agentName === ben.name);
    await c.socket.next((m) => m.type === "message" && m.message.event?.kind === "owner.changed");

    // Ben on node 3 has the whole history and chats with the customer on node 1.
    const history = await api<ChatMessage[]>(ben.node, "GET", `/api/v1/sessions/${sessionId}/messages`, {
      cookie: ben.cookie,
    });
    expect(history.body.map((m) => m.body)).toEqual(
      expect.arrayContaining(["hello from node 1", "NOTE-ON-NODE-2", "while it waits", "during the accept"]),
    );
    await agentSays(ben, sessionId, "ben from node 3", "b1");
    const line = await c.socket.next((m) => m.type === "message" && m.message.body === "ben from node 3");
    expect(line.type === "message" && line.message.authorName).toBe(ben.name);
    const after = await customerSays(c.socket, "after, from node 1", "c4");
    await ben.socket.next((m) => m.type === "message" && m.message.seq === after);

    // Notes from node 3, and over REST on node 1 itself (the customer's node): never the customer's.
    await agentSays(ben, sessionId, "NOTE-ON-NODE-3", "n2", "note");
    const restNote = await api(node(1), "POST", `/api/v1/sessions/${sessionId}/notes`, {
      cookie: ben.cookie,
      body: { body: "NOTE-VIA-NODE-1" },
    });
    expect(restNote.status, JSON.stringify(restNote.body)).toBe(201);
    await ben.socket.next((m) => m.type === "message" && m.message.body === "NOTE-VIA-NODE-1");
    const last = await agentSays(ben, sessionId, "the last line", "b2");
    await c.socket.next((m) => m.type === "message" && m.message.seq === last);
    await settle(c.socket);
    const secrets = ["NOTE-ON-NODE-2", "NOTE-ON-NODE-3", "NOTE-VIA-NODE-1", "CLUSTER-TRANSFER-NOTE"];
    const got = messagesOf(c.socket.received);
    expect(got.filter(isPrivate)).toEqual([]);
    for (const s of secrets) expect(JSON.stringify(c.socket.received)).not.toContain(s);
    // Every message for the customer arrived once; lines written at the same moment (the accept's
    // and the customer's own) may be announced in either order, their seq orders them.
    const seqs = got.map((m) => m.seq);
    expect(seqs.length).toBe(new Set(seqs).size);
    expect([...seqs].sort((a, b) => a - b)).toEqual(await visibleSeqs(sessionId));
    // Anna heard nothing of the session after she left it.
    await settle(anna.socket);
    const annaAfter = anna.socket.received.slice(anna.socket.received.indexOf(left));
    expect(messagesOf(annaAfter)).toEqual([]);

    // A reload on node 1 (history since 0) and the REST history on node 2: no note there either.
    const reloaded = await customerSocket(node(1), sessionId, c.cookie, 0);
    await reloaded.next((m) => m.type === "message" && m.message.seq === last);
    await settle(reloaded);
    expect(messagesOf(reloaded.received).filter(isPrivate)).toEqual([]);
    expect(messagesOf(reloaded.received).map((m) => m.seq)).toEqual(await visibleSeqs(sessionId));
    const rest = await api<ChatMessage[]>(node(2), "GET", `/api/v1/customer/requests/${sessionId}/messages`, {
      cookie: c.cookie,
    });
    expect(rest.status).toBe(200);
    expect(rest.body.filter(isPrivate)).toEqual([]);
    const owner = await sql<{ agent_id: string }>("select agent_id from sessions where id = $1", [sessionId]);
    expect(owner).toEqual([{ agent_id: ben.id }]);

    // Mona watches from node 3: the customer on node 1 is told; her notes reach ben, never the customer.
    const watch = await api<SessionView>(node(3), "POST", `/api/v1/sessions/${sessionId}/monitor`, {
      cookie: monaCookie,
    });
    expect(watch.status, JSON.stringify(watch.body)).toBe(200);
    expect(watch.body.role).toBe("monitor");
    await monaWs.next((m) => m.type === "session.started" && m.session.id === sessionId);
    await reloaded.next((m) => m.type === "message" && m.message.event?.kind === "monitor.started");
    const heard = await customerSays(reloaded, "who is watching?", "c5");
    await monaWs.next((m) => m.type === "message" && m.message.seq === heard);
    monaWs.send({ type: "note", sessionId, body: "NOTE-FROM-MONA", ref: "m1" });
    await monaWs.next((m) => m.type === "ack" && m.ref === "m1");
    await ben.socket.next((m) => m.type === "message" && m.message.body === "NOTE-FROM-MONA");
    const closing = await agentSays(ben, sessionId, "closing line", "b3");
    await reloaded.next((m) => m.type === "message" && m.message.seq === closing);
    await settle(reloaded);
    await settle(c.socket);
    for (const ws of [reloaded, c.socket]) {
      expect(messagesOf(ws.received).filter(isPrivate)).toEqual([]);
      expect(JSON.stringify(ws.received)).not.toContain("NOTE-FROM-MONA");
    }
  });

  it("the receiver's node dies before the accept: the transfer times out, the session stays with its first agent, no message lost or doubled", async () => {
    const { accountId, agents } = await seedAccount("twdead", "queue", [node(2), node(3)]);
    const [ownerSeed, xenaSeed] = agents as [AgentSeed, AgentSeed];
    const patched = await api(node(1), "PATCH", `/api/v1/accounts/${accountId}`, {
      cookie: operatorCookie,
      body: { offerTimeoutSeconds: 5 },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    await portal(accountId, "dead-front", [ownerSeed.id]);
    const deskId = await portal(accountId, "dead-desk", [xenaSeed.id]);
    const owner = await goOnline(ownerSeed);
    const xena = await goOnline(xenaSeed);
    const c = await customerOn(node(1), "dead-front", "Dana Dead");
    const sessionId = c.requestId;
    const offer = await owner.socket.next((m) => m.type === "offer" && m.offer.request.id === sessionId);
    if (offer.type !== "offer") throw new Error("no offer");
    const took = await api(owner.node, "POST", `/api/v1/offers/${offer.offer.id}/accept`, {
      cookie: owner.cookie,
    });
    expect(took.status, JSON.stringify(took.body)).toBe(200);
    await c.socket.next((m) => m.type === "status" && m.status.state === "accepted");
    await customerSays(c.socket, "before the transfer", "d1");

    const t = await api<TransferView>(owner.node, "POST", `/api/v1/sessions/${sessionId}/transfer`, {
      cookie: owner.cookie,
      body: { toPortalId: deskId },
    });
    expect(t.status, JSON.stringify(t.body)).toBe(201);
    await xena.socket.next((m) => m.type === "team.alert" && m.alert.id === t.body.id);
    const mark = c.socket.received.length;

    // Node 3, with the only receiver on it, dies before anyone accepts.
    node(3).child.kill("SIGKILL");
    expect(await waitExit(node(3).child, 5000)).toBe(true);
    // The chat goes on meanwhile.
    const seqs = [
      await customerSays(c.socket, "are you there?", "d2"),
      await agentSays(owner, sessionId, "yes, one moment", "o1"),
      await customerSays(c.socket, "ok", "d3"),
    ];
    // The sweep on a surviving node times the transfer out; the owner is told.
    const notice = await owner.socket.next(
      (m) => m.type === "team.notice" && m.sessionId === sessionId,
      15_000,
    );
    expect(notice).toMatchObject({ kind: "transfer.timed-out", name: "dead-desk" });
    const rows = await sql<{ state: string }>("select state from session_transfers where id = $1", [
      t.body.id,
    ]);
    expect(rows).toEqual([{ state: "timed-out" }]);
    const owners = await sql<{ agent_id: string; ended_at: string | null }>(
      "select agent_id, ended_at from sessions where id = $1",
      [sessionId],
    );
    expect(owners).toEqual([{ agent_id: owner.id, ended_at: null }]);

    // The session carries on with its first agent; the customer saw only the chat.
    const next = await customerSays(c.socket, "still here", "d4");
    await owner.socket.next((m) => m.type === "message" && m.message.seq === next);
    await agentSays(owner, sessionId, "so am I", "o2");
    await c.socket.next((m) => m.type === "message" && m.message.body === "so am I");
    await settle(c.socket);
    const since = c.socket.received.slice(mark);
    expect(since.filter((m) => m.type === "status")).toEqual([]);
    expect(messagesOf(since).filter((m) => m.sender === "system")).toEqual([]);
    expect(messagesOf(c.socket.received).map((m) => m.seq)).toEqual(await visibleSeqs(sessionId));
    const ownerSeen = messagesOf(owner.socket.received)
      .filter((m) => !isPrivate(m))
      .map((m) => m.seq);
    for (const s of [...seqs, next]) expect(ownerSeen.filter((x) => x === s)).toHaveLength(1);
  }, 60_000);
});
