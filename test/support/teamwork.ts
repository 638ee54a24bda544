import { expect } from "vitest";
import type { ApiError, Portal } from "../../src/shared/api.js";
import type {
  AgentServerMessage,
  ChatMessage,
  CustomerServerMessage,
  SessionView,
  TeamAlert,
  TransferView,
} from "../../src/shared/protocol.js";
import { type Call, call, login, seedUser } from "./app.js";
import {
  type Agent,
  type AgentSocket,
  accept,
  ask,
  barrier,
  type CustomerSocket,
  connectCustomer,
  createPortal,
  isStatus,
  onlineAgent,
  seedAgent,
  seedTenant,
  type Tenant,
  type World,
} from "./scenario.js";

/** Helpers of the teamwork suites (issue 11): transfers, invitations, notes, supervisors. */

export type Method = "GET" | "POST" | "PATCH" | "DELETE";

/**
 * A JSON call as the console makes it. The server's clock moves on a millisecond first, so two
 * steps are never stored with the same time and the story (session_log, by time) has one order.
 */
export function api(world: World, who: Agent, method: Method, url: string, payload?: unknown): Promise<Call> {
  world.clock.advance(1);
  return call(world.app, who.cookie, method, `/api/v1${url}`, payload);
}

export function errorOf(res: Call): ApiError {
  return res.body as ApiError;
}

/** The answer must be this error (status and code); returns its body for more checks. */
export function expectError(res: Call, status: number, code: string): ApiError {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  const body = errorOf(res);
  expect(body.error, JSON.stringify(body)).toBe(code);
  expect(typeof body.message).toBe("string");
  return body;
}

export function expectOk(res: Call, status = 200): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
}

/** A manager (or admin) of the tenant, signed in: a supervisor who can also take sessions. */
export async function seedSupervisor(
  world: World,
  tenant: Tenant,
  name: string,
  role: "manager" | "admin" = "manager",
): Promise<Agent> {
  const user = await seedUser(world.app, tenant.account.id, `${name}@${tenant.tag}.example`, role);
  return { user, cookie: await login(world.app, user.email) };
}

export interface Team {
  tenant: Tenant;
  agents: Agent[];
  ws: AgentSocket[];
  portal: Portal;
}

/** An account with agents (each signed in, console open, available) and a question portal of theirs. */
export async function seedTeam(
  world: World,
  prefix: string,
  names: string[],
  mode: "web" | "queue" = "web",
): Promise<Team> {
  const tenant = await seedTenant(world, prefix, mode);
  const agents: Agent[] = [];
  for (const n of names) agents.push(await seedAgent(world, tenant, n));
  const portal = await createPortal(world, tenant, "question", agents);
  const ws: AgentSocket[] = [];
  for (const a of agents) ws.push(await onlineAgent(world, a));
  return { tenant, agents, ws, portal };
}

/** A customer in a live session with `owner`: the request's id is the session's. */
export interface Live {
  sessionId: string;
  /** The customer's request cookie. */
  cookie: string;
  customer: CustomerSocket;
  customerName: string;
}

/** A customer asks at `slug`, opens the request page's socket, and `owner` accepts. */
export async function liveSession(
  world: World,
  slug: string,
  owner: Agent,
  customerName = "Carla",
  question = "My printer is on fire",
): Promise<Live> {
  const s = await ask(world, slug, { name: customerName, question });
  const customer = await connectCustomer(world, s.requestId, s.cookie);
  const res = await accept(world, owner, s.requestId);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  await customer.next(isStatus("accepted"));
  return { sessionId: s.requestId, cookie: s.cookie, customer, customerName };
}

export type TeamAlertMessage = Extract<AgentServerMessage, { type: "team.alert" }>;

export const isTeamAlert =
  (sessionId: string, kind?: TeamAlert["kind"]) =>
  (m: AgentServerMessage): m is TeamAlertMessage =>
    m.type === "team.alert" &&
    m.alert.sessionId === sessionId &&
    (kind === undefined || m.alert.kind === kind);

/** Waits for the socket's team alert of this session (from `fromIndex` on). */
export async function teamAlert(
  ws: AgentSocket,
  sessionId: string,
  kind?: TeamAlert["kind"],
  fromIndex = 0,
): Promise<TeamAlert> {
  const m = await ws.next(isTeamAlert(sessionId, kind), 5000, fromIndex);
  if (m.type !== "team.alert") throw new Error(`expected team.alert, got ${m.type}`);
  return m.alert;
}

export const isAlertClosed = (alertId: string) => (m: AgentServerMessage) =>
  m.type === "team.alert.closed" && m.alertId === alertId;

export const isSessionStarted = (sessionId: string) => (m: AgentServerMessage) =>
  m.type === "session.started" && m.session.id === sessionId;

export const isSessionLeft = (sessionId: string) => (m: AgentServerMessage) =>
  m.type === "session.left" && m.sessionId === sessionId;

export const isNotice = (sessionId: string) => (m: AgentServerMessage) =>
  m.type === "team.notice" && m.sessionId === sessionId;

export const isAgentMessage =
  (sessionId: string, pred: (m: ChatMessage) => boolean) => (m: AgentServerMessage) =>
    m.type === "message" && m.sessionId === sessionId && pred(m.message);

export const isCustomerMessage = (pred: (m: ChatMessage) => boolean) => (m: CustomerServerMessage) =>
  m.type === "message" && pred(m.message);

export async function startedSession(
  ws: AgentSocket,
  sessionId: string,
  fromIndex = 0,
): Promise<SessionView> {
  const m = await ws.next(isSessionStarted(sessionId), 5000, fromIndex);
  if (m.type !== "session.started") throw new Error(`expected session.started, got ${m.type}`);
  return m.session;
}

/** Every chat message a customer socket received. */
export function customerMessages(ws: CustomerSocket, fromIndex = 0): ChatMessage[] {
  return ws.received.slice(fromIndex).flatMap((m) => (m.type === "message" ? [m.message] : []));
}

/** Every chat message of one session an agent socket received. */
export function agentMessages(ws: AgentSocket, sessionId: string, fromIndex = 0): ChatMessage[] {
  return ws.received
    .slice(fromIndex)
    .flatMap((m) => (m.type === "message" && m.sessionId === sessionId ? [m.message] : []));
}

/** What only agents may see: a private note or an agents-only line. */
export function isPrivate(m: ChatMessage): boolean {
  return m.sender === "note" || m.visibility === "agents";
}

/**
 * Everything this customer socket received so far (after a barrier, so nothing is still on its
 * way) holds no private note and no agents-only line, and no text of `secrets`.
 */
export async function expectNothingPrivate(ws: CustomerSocket, secrets: string[] = []): Promise<void> {
  await barrier(ws);
  const got = customerMessages(ws);
  expect(got.filter(isPrivate)).toEqual([]);
  const raw = JSON.stringify(ws.received);
  for (const s of secrets) expect(raw).not.toContain(s);
}

/** The customer's REST history (GET /api/v1/customer/requests/:id/messages). */
export async function customerHistory(world: World, live: Live, since = 0): Promise<ChatMessage[]> {
  const res = await call(
    world.app,
    live.cookie,
    "GET",
    `/api/v1/customer/requests/${live.sessionId}/messages?since=${since}`,
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as ChatMessage[];
}

/** An agent's REST history of a session (GET /api/v1/sessions/:id/messages). */
export async function agentHistory(world: World, who: Agent, sessionId: string): Promise<ChatMessage[]> {
  const res = await api(world, who, "GET", `/sessions/${sessionId}/messages`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as ChatMessage[];
}

export async function transfer(
  world: World,
  owner: Agent,
  sessionId: string,
  target: { toAgentId?: string; toPortalId?: string; note?: string },
): Promise<TransferView> {
  const res = await api(world, owner, "POST", `/sessions/${sessionId}/transfer`, target);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as TransferView;
}

/** The story stored for a session (session_log), oldest first. */
export async function sessionLogOf(world: World, sessionId: string) {
  return world.app.deps.db.kysely
    .selectFrom("session_log")
    .select(["kind", "actor_id", "subject_id", "at", "detail", "account_id"])
    .where("session_id", "=", sessionId)
    .orderBy("at")
    .orderBy("kind")
    .execute();
}

/** The messages stored for a session, straight from the table. */
export async function storedMessages(world: World, sessionId: string) {
  return world.app.deps.db.kysely
    .selectFrom("messages")
    .select(["seq", "sender", "body", "visibility"])
    .where("session_id", "=", sessionId)
    .orderBy("seq")
    .execute();
}

export async function ownerOf(world: World, sessionId: string): Promise<string> {
  const row = await world.app.deps.db.kysely
    .selectFrom("sessions")
    .select("agent_id")
    .where("id", "=", sessionId)
    .executeTakeFirstOrThrow();
  return row.agent_id;
}

/** Sequence numbers are unique and increasing. */
export function expectIncreasing(seqs: number[]): void {
  for (let i = 1; i < seqs.length; i++) {
    expect(seqs[i], `seq ${seqs[i]} after ${seqs[i - 1]} in ${seqs.join(",")}`).toBeGreaterThan(
      seqs[i - 1] as number,
    );
  }
}

/**
 * Every one of `expected` arrived exactly once (nothing lost, nothing doubled). Messages written
 * at the same moment by two sides may be announced in either order; their seq orders them.
 */
export function expectEachOnce(seqs: number[], expected: number[]): void {
  expect(seqs.length, `doubled: ${seqs.join(",")}`).toBe(new Set(seqs).size);
  expect([...seqs].sort((a, b) => a - b)).toEqual([...expected].sort((a, b) => a - b));
}

/** A customer sends a chat line over its socket and waits for the ack; returns its seq. */
export async function customerSays(ws: CustomerSocket, body: string, ref: string): Promise<number> {
  const from = ws.received.length;
  ws.send({ type: "send", body, ref });
  const ack = await ws.next(
    (m) => (m.type === "ack" && m.ref === ref) || (m.type === "error" && m.ref === ref),
    5000,
    from,
  );
  if (ack.type !== "ack" || ack.seq === undefined) throw new Error(`not acked: ${JSON.stringify(ack)}`);
  return ack.seq;
}

/** An agent sends a chat line (or a note) over the console socket; returns its seq or the error. */
export async function agentSays(
  ws: AgentSocket,
  sessionId: string,
  body: string,
  ref: string,
  type: "send" | "note" = "send",
): Promise<Extract<AgentServerMessage, { type: "ack" | "error" }>> {
  const from = ws.received.length;
  ws.send({ type, sessionId, body, ref });
  const m = await ws.next(
    (x) => (x.type === "ack" || x.type === "error") && "ref" in x && x.ref === ref,
    5000,
    from,
  );
  if (m.type !== "ack" && m.type !== "error") throw new Error("unreachable");
  return m;
}
