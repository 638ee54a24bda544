import type { Dialect } from "../../src/server/db/database.js";
import type { Portal, User } from "../../src/shared/api.js";
import type { PortalType } from "../../src/shared/model.js";
import type {
  AgentServerMessage,
  CustomerServerMessage,
  CustomerStatus,
  RequestView,
  SessionView,
} from "../../src/shared/protocol.js";
import {
  type Call,
  call,
  login,
  type SeededAccount,
  seedAccount,
  seedUser,
  type TestApp,
  type TestAppOptions,
} from "./app.js";
import { type LiveServer, startLiveServer } from "./browser.js";
import { SocketClient } from "./ws.js";

export type AgentSocket = SocketClient<AgentServerMessage>;
export type CustomerSocket = SocketClient<CustomerServerMessage>;

/** The server's clock: real time plus whatever the test has skipped ahead. */
export class Clock {
  private offset = 0;
  readonly now = (): number => Date.now() + this.offset;
  advance(ms: number): void {
    this.offset += ms;
  }
}

/** A real listening server on one dialect, its clock under the test's control and its sweeper off. */
export interface World {
  live: LiveServer;
  app: TestApp;
  clock: Clock;
  wsUrl: string;
  origin: string;
  close(): Promise<void>;
}

export async function startWorld(
  dialect: Dialect,
  env: Record<string, string> = {},
  options: Pick<TestAppOptions, "onQuery"> = {},
): Promise<World> {
  const clock = new Clock();
  const live = await startLiveServer(dialect, env, { ...options, now: clock.now, sweepEveryMs: 0 });
  return {
    live,
    app: live.app,
    clock,
    wsUrl: `${live.baseUrl.replace(/^http/, "ws")}/ws`,
    origin: live.baseUrl,
    close: () => live.close(),
  };
}

let tagCounter = 0;
/** A tag unique in this test file's process, for slugs and emails. */
export function uniqueTag(prefix: string): string {
  tagCounter += 1;
  return `${prefix}-${process.pid}-${tagCounter}`;
}

export interface Tenant extends SeededAccount {
  tag: string;
  adminCookie: string;
}

export async function seedTenant(world: World, prefix: string, mode: "web" | "phone" | "queue" = "web") {
  const tag = uniqueTag(prefix);
  const seeded = await seedAccount(world.app, tag, mode);
  const adminCookie = await login(world.app, seeded.admin.email);
  const tenant: Tenant = { ...seeded, tag, adminCookie };
  return tenant;
}

export interface Agent {
  user: User;
  cookie: string;
}

/** A user of the tenant with the agent role, signed in through the real route. */
export async function seedAgent(world: World, tenant: Tenant, name: string): Promise<Agent> {
  const user = await seedUser(world.app, tenant.account.id, `${name}@${tenant.tag}.example`, "agent");
  const cookie = await login(world.app, user.email);
  return { user, cookie };
}

export async function createPortal(
  world: World,
  tenant: Tenant,
  type: PortalType,
  agents: Agent[],
  extra: Record<string, unknown> = {},
): Promise<Portal> {
  const res = await call(
    world.app,
    tenant.adminCookie,
    "POST",
    `/api/v1/accounts/${tenant.account.id}/portals`,
    {
      slug: uniqueTag(type),
      type,
      name: `${type} portal`,
      agentIds: agents.map((a) => a.user.id),
      ...extra,
    },
  );
  if (res.status !== 201) throw new Error(`portal not created: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Portal;
}

export async function patchUser(world: World, tenant: Tenant, agent: Agent, patch: Record<string, unknown>) {
  const res = await call(
    world.app,
    tenant.adminCookie,
    "PATCH",
    `/api/v1/accounts/${tenant.account.id}/users/${agent.user.id}`,
    patch,
  );
  if (res.status !== 200) throw new Error(`user not changed: ${res.status} ${JSON.stringify(res.body)}`);
}

/** The agent's console socket, after its first snapshot arrived. */
export async function connectAgent(world: World, agent: Agent): Promise<AgentSocket> {
  const ws = await SocketClient.connect<AgentServerMessage>(world.wsUrl, {
    cookie: agent.cookie,
    origin: world.origin,
  });
  await ws.next((m) => m.type === "snapshot");
  return ws;
}

export async function setAvailable(world: World, agent: Agent, available: boolean): Promise<void> {
  const res = await world.app.server.inject({
    method: "PUT",
    url: "/api/v1/console/availability",
    headers: { cookie: agent.cookie, origin: world.origin },
    payload: { available },
  });
  if (res.statusCode !== 200) throw new Error(`availability not set: ${res.statusCode} ${res.body}`);
}

/** Signed in, console open, set available: an agent who receives alerts. */
export async function onlineAgent(world: World, agent: Agent): Promise<AgentSocket> {
  const ws = await connectAgent(world, agent);
  await setAvailable(world, agent, true);
  await ws.next((m) => m.type === "availability" && m.available);
  return ws;
}

export interface Submitted {
  res: Call;
  requestId: string;
  /** The 9-digit number the customer sees as "Session ID". */
  sessionNumber: string;
  /** The customer's request cookie, as their browser would send it. */
  cookie: string;
}

/** A customer asks for help at a portal (the JSON route behind the portal form). */
export async function submit(
  world: World,
  slug: string,
  values: Record<string, string>,
  agentId?: string,
): Promise<Submitted> {
  const res = await call(world.app, null, "POST", `/api/v1/portals/${slug}/requests`, {
    values,
    ...(agentId ? { agentId } : {}),
  });
  const body = (res.body ?? {}) as { requestId?: string; sessionNumber?: string };
  const cookie = res.res.cookies
    .filter((c) => c.name.startsWith("hgc_"))
    .map((c) => `${c.name}=${c.value}`)
    .join("; ");
  return { res, requestId: body.requestId ?? "", sessionNumber: body.sessionNumber ?? "", cookie };
}

/** Like `submit`, but the customer must have got through (201). */
export async function ask(
  world: World,
  slug: string,
  values: Record<string, string> = { name: "Carla", question: "My printer is on fire" },
  agentId?: string,
): Promise<Submitted> {
  const s = await submit(world, slug, values, agentId);
  if (s.res.status !== 201) throw new Error(`submit failed: ${s.res.status} ${JSON.stringify(s.res.body)}`);
  return s;
}

export async function connectCustomer(
  world: World,
  requestId: string,
  cookie: string,
): Promise<CustomerSocket> {
  const ws = await SocketClient.connect<CustomerServerMessage>(`${world.wsUrl}?request=${requestId}`, {
    cookie,
    origin: world.origin,
  });
  await ws.next((m) => m.type === "status");
  return ws;
}

export function accept(world: World, agent: Agent, requestId: string): Promise<Call> {
  return call(world.app, agent.cookie, "POST", `/api/v1/requests/${requestId}/accept`);
}

export function decline(world: World, agent: Agent, requestId: string): Promise<Call> {
  return call(world.app, agent.cookie, "POST", `/api/v1/requests/${requestId}/decline`);
}

/** Resolves with the close code and reason once the socket is closed. */
export function closedWith<M extends { type: string }>(
  client: SocketClient<M>,
): Promise<{ code: number; reason: string }> {
  if (client.closed) return Promise.resolve(client.closed);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("socket was not closed within 5 s")), 5000);
    client.socket.once("close", (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: String(reason) });
    });
  });
}

/**
 * Waits until everything the server sent this socket so far has arrived: a message the server
 * answers with an error goes through the same ordered socket, so once its answer is here, every
 * earlier event is too. Returns the index after the barrier's answer.
 */
export async function barrier<M extends { type: string }>(client: SocketClient<M>): Promise<number> {
  const from = client.received.length;
  client.send("barrier: not json");
  await client.next((m) => m.type === "error", 5000, from);
  return client.received.length;
}

/** What the socket got apart from barrier answers. */
export function eventsOf<M extends { type: string }>(client: SocketClient<M>, fromIndex = 0): M[] {
  return client.received
    .slice(fromIndex)
    .filter((m) => !(m.type === "error" && "code" in m && m.code === "bad_message"));
}

export const isAlertFor = (requestId: string) => (m: AgentServerMessage) =>
  m.type === "alert" && m.request.id === requestId;

export const isUpdateOf = (requestId: string, state?: RequestView["state"]) => (m: AgentServerMessage) =>
  m.type === "request.updated" &&
  m.request.id === requestId &&
  (state === undefined || m.request.state === state);

export const isStatus = (state: CustomerStatus["state"]) => (m: CustomerServerMessage) =>
  m.type === "status" && m.status.state === state;

export function statusOf(m: CustomerServerMessage): CustomerStatus {
  if (m.type !== "status") throw new Error(`expected a status, got ${m.type}`);
  return m.status;
}

export function requestOf(m: AgentServerMessage): RequestView {
  if (m.type !== "alert" && m.type !== "request.updated")
    throw new Error(`expected a request, got ${m.type}`);
  return m.request;
}

export function sessionOf(m: AgentServerMessage): SessionView {
  if (m.type !== "session.started") throw new Error(`expected session.started, got ${m.type}`);
  return m.session;
}

/** The transitions stored for a request, oldest first. */
export async function transitionsOf(world: World, requestId: string) {
  return world.app.deps.db.kysely
    .selectFrom("request_events")
    .select(["state", "agent_id", "at"])
    .where("request_id", "=", requestId)
    .orderBy("at")
    .execute();
}

export async function requestRow(world: World, requestId: string) {
  return world.app.deps.db.kysely
    .selectFrom("requests")
    .selectAll()
    .where("id", "=", requestId)
    .executeTakeFirstOrThrow();
}

/** Polls until `check` holds (for effects of a socket close, which the server handles on its own time). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
