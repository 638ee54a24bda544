import type { Dialect } from "../../src/server/db/database.js";
import type { Portal } from "../../src/shared/api.js";
import type {
  AgentServerMessage,
  ChatMessage,
  CustomerServerMessage,
  SessionView,
} from "../../src/shared/protocol.js";
import { type Call, call } from "./app.js";
import { startLiveServer } from "./browser.js";
import {
  type Agent,
  type AgentSocket,
  accept,
  ask,
  barrier,
  Clock,
  type CustomerSocket,
  createPortal,
  eventsOf,
  isStatus,
  onlineAgent,
  patchUser,
  seedAgent,
  seedTenant,
  type Tenant,
  type World,
} from "./scenario.js";
import { SocketClient } from "./ws.js";

export const GREETING = "Hello, this is Dana from support. How can I help?";

/** A clock that can stand still, so a duration can be measured exactly. */
export class StepClock extends Clock {
  private frozenAt: number | null = null;
  private skipped = 0;
  override readonly now = (): number => this.frozenAt ?? Date.now() + this.skipped;
  override advance(ms: number): void {
    if (this.frozenAt !== null) this.frozenAt += ms;
    else this.skipped += ms;
  }
  freeze(): number {
    this.frozenAt = this.now();
    return this.frozenAt;
  }
  /** Runs on from where it stood (never backwards). */
  thaw(): void {
    if (this.frozenAt === null) return;
    this.skipped = this.frozenAt - Date.now();
    this.frozenAt = null;
  }
}

interface Closable {
  close(): Promise<void>;
}

/** A customer and an agent in an accepted session, both sockets open. */
export interface LiveSession {
  requestId: string;
  /** The customer's request cookie header (`hgc_<id>=<token>`). */
  cookie: string;
  /** The token inside that cookie. */
  token: string;
  cws: CustomerSocket;
  agent: Agent;
  agentWs: AgentSocket;
}

/**
 * One account with a portal that greets, an available agent (Dana) with her console open, and a
 * second agent (Eli) on the same portal for checks that events do not leak to other sessions.
 */
export interface SessionWorld {
  world: World;
  clock: StepClock;
  tenant: Tenant;
  portal: Portal;
  agent: Agent;
  /** Dana's console; a test that reconnects it puts the new socket here. */
  agentWs: AgentSocket;
  other: Agent;
  otherWs: AgentSocket;
  /** Opens a session: the customer asks, connects, and `by` (default Dana) accepts. */
  open(name?: string, by?: "agent" | "other"): Promise<LiveSession>;
  /** Every socket opened through this world; closed by `close`. */
  track<S extends Closable>(socket: S): S;
  close(): Promise<void>;
}

export async function startSessionWorld(dialect: Dialect): Promise<SessionWorld> {
  const clock = new StepClock();
  const live = await startLiveServer(dialect, {}, { now: clock.now, sweepEveryMs: 0 });
  const world: World = {
    live,
    app: live.app,
    clock,
    wsUrl: `${live.baseUrl.replace(/^http/, "ws")}/ws`,
    origin: live.baseUrl,
    close: () => live.close(),
  };
  const tenant = await seedTenant(world, "sessions");
  const agent = await seedAgent(world, tenant, "dana");
  const other = await seedAgent(world, tenant, "eli");
  await patchUser(world, tenant, agent, { maxSessions: 20 });
  await patchUser(world, tenant, other, { maxSessions: 20 });
  const portal = await createPortal(world, tenant, "question", [agent, other], { greeting: GREETING });
  const sockets: Closable[] = [];
  const track = <S extends Closable>(socket: S): S => {
    sockets.push(socket);
    return socket;
  };
  const agentWs = track(await onlineAgent(world, agent));
  const otherWs = track(await onlineAgent(world, other));

  const open = async (name = "Carla", by: "agent" | "other" = "agent"): Promise<LiveSession> => {
    const taker = by === "agent" ? agent : other;
    // The world's current console of that agent (a test may replace it after a reconnect).
    const takerWs = by === "agent" ? sw.agentWs : sw.otherWs;
    const s = await ask(world, portal.slug, { name, question: `${name} needs help` });
    const cws = track(await connectCustomerSince(world, s.requestId, s.cookie, 0));
    const accepted = await accept(world, taker, s.requestId);
    if (accepted.status !== 200)
      throw new Error(`accept failed: ${accepted.status} ${JSON.stringify(accepted.body)}`);
    await cws.next(isStatus("accepted"));
    await takerWs.next((m) => m.type === "session.started" && m.session.id === s.requestId);
    return {
      requestId: s.requestId,
      cookie: s.cookie,
      token: s.cookie.split("=")[1] ?? "",
      cws,
      agent: taker,
      agentWs: takerWs,
    };
  };

  const sw: SessionWorld = {
    world,
    clock,
    tenant,
    portal,
    agent,
    agentWs,
    other,
    otherWs,
    open,
    track,
    close: async () => {
      await Promise.all(sockets.map((s) => s.close()));
      await world.close();
    },
  };
  return sw;
}

/** A customer page connecting with the last sequence number it has, after its first status. */
export async function connectCustomerSince(
  world: World,
  requestId: string,
  cookie: string,
  since: number,
): Promise<CustomerSocket> {
  const ws = await SocketClient.connect<CustomerServerMessage>(
    `${world.wsUrl}?request=${requestId}&since=${since}`,
    {
      cookie,
      origin: world.origin,
    },
  );
  await ws.next((m) => m.type === "status");
  return ws;
}

/** The agent's console socket, after its first snapshot. */
export async function connectConsole(world: World, agent: Agent): Promise<AgentSocket> {
  const ws = await SocketClient.connect<AgentServerMessage>(world.wsUrl, {
    cookie: agent.cookie,
    origin: world.origin,
  });
  await ws.next((m) => m.type === "snapshot");
  return ws;
}

type Answer<M> = Extract<M, { type: "ack" } | { type: "error" }>;

/** The customer sends a message and gets its ack (or error) back. */
export async function customerSays(
  cws: CustomerSocket,
  body: string,
  ref: string,
): Promise<Answer<CustomerServerMessage>> {
  const from = cws.received.length;
  cws.send({ type: "send", body, ref });
  const m = await cws.next((x) => (x.type === "ack" || x.type === "error") && x.ref === ref, 5000, from);
  return m as Answer<CustomerServerMessage>;
}

/** The agent sends a message into a session and gets its ack (or error) back. */
export async function agentSays(
  aws: AgentSocket,
  sessionId: string,
  body: string,
  ref: string,
): Promise<Answer<AgentServerMessage>> {
  const from = aws.received.length;
  aws.send({ type: "send", sessionId, body, ref });
  const m = await aws.next((x) => (x.type === "ack" || x.type === "error") && x.ref === ref, 5000, from);
  return m as Answer<AgentServerMessage>;
}

/** Chat messages the customer's socket got (from an index on). */
export function customerChat(ws: CustomerSocket, from = 0): ChatMessage[] {
  return eventsOf(ws, from).flatMap((m) => (m.type === "message" ? [m.message] : []));
}

/** Chat messages of one session the agent's socket got (from an index on). */
export function agentChat(ws: AgentSocket, sessionId: string, from = 0): ChatMessage[] {
  return eventsOf(ws, from).flatMap((m) =>
    m.type === "message" && m.sessionId === sessionId ? [m.message] : [],
  );
}

/** "seq:sender:body" lines, to compare conversations exactly. */
export function lines(list: ChatMessage[]): string[] {
  return list.map((m) => `${m.seq}:${m.sender}:${m.body}`);
}

/**
 * Asks the agent socket for a session's messages after `since` and waits until the last one is
 * there (the server sends them in one go), then until nothing else is on its way.
 */
export async function agentHistory(
  aws: AgentSocket,
  sessionId: string,
  since: number,
  lastSeq: number,
): Promise<ChatMessage[]> {
  const from = await barrier(aws);
  aws.send({ type: "history", sessionId, since });
  if (lastSeq > since) {
    await aws.next(
      (m) => m.type === "message" && m.sessionId === sessionId && m.message.seq === lastSeq,
      5000,
      from,
    );
  }
  await barrier(aws);
  return agentChat(aws, sessionId, from);
}

/** The customer's `history` request, answered in full. */
export async function customerHistory(
  cws: CustomerSocket,
  since: number,
  lastSeq: number,
): Promise<ChatMessage[]> {
  const from = await barrier(cws);
  cws.send({ type: "history", since });
  if (lastSeq > since) {
    await cws.next((m) => m.type === "message" && m.message.seq === lastSeq, 5000, from);
  }
  await barrier(cws);
  return customerChat(cws, from);
}

/** The session as the agent's console snapshot shows it (fresh from the database). */
export async function snapshotSession(
  sw: SessionWorld,
  agent: Agent,
  sessionId: string,
): Promise<SessionView | null> {
  const res = await call(sw.world.app, agent.cookie, "GET", "/api/v1/console");
  const snap = res.body as { sessions: SessionView[] };
  return snap.sessions.find((s) => s.id === sessionId) ?? null;
}

/** A customer API call with a given cookie header. */
export function customerCall(
  sw: SessionWorld,
  cookie: string,
  method: "GET" | "POST",
  path: string,
  payload?: unknown,
): Promise<Call> {
  return call(sw.world.app, cookie, method, `/api/v1/customer/requests/${path}`, payload);
}
