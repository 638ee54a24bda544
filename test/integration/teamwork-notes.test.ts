import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentServerMessage, ChatMessage, SessionView } from "../../src/shared/protocol.js";
import { call } from "../support/app.js";
import { dialects } from "../support/databases.js";
import {
  type Agent,
  type AgentSocket,
  barrier,
  type CustomerSocket,
  connectAgent,
  connectCustomer,
  onlineAgent,
  startWorld,
  type World,
} from "../support/scenario.js";
import {
  agentHistory,
  agentMessages,
  agentSays,
  api,
  customerHistory,
  customerMessages,
  customerSays,
  expectError,
  expectIncreasing,
  expectNothingPrivate,
  expectOk,
  isPrivate,
  type Live,
  liveSession,
  seedSupervisor,
  seedTeam,
  startedSession,
  storedMessages,
  teamAlert,
  transfer,
} from "../support/teamwork.js";

/**
 * Private notes (issue 11): agents of a session (owner, participants, a supervisor watching)
 * write and read them; the customer never gets one — not on the socket, not over REST, not in
 * the transcript, not after a reconnect. The agents' transcript has them.
 */
describe.each(dialects())("private notes on %s", (dialect) => {
  let world: World;
  const sockets: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    world = await startWorld(dialect);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world.close();
  });

  interface Scene {
    anna: Agent;
    ben: Agent;
    cleo: Agent;
    mia: Agent;
    annaWs: AgentSocket;
    benWs: AgentSocket;
    cleoWs: AgentSocket;
    miaWs: AgentSocket;
    live: Live;
  }

  /** Anna owns the session, ben joined it, mia (a manager) watches it, cleo is a colleague outside it. */
  async function scene(prefix: string): Promise<Scene> {
    const t = await seedTeam(world, prefix, ["anna", "ben", "cleo"]);
    sockets.push(...t.ws);
    const [anna, ben, cleo] = t.agents as [Agent, Agent, Agent];
    const [annaWs, benWs, cleoWs] = t.ws as [AgentSocket, AgentSocket, AgentSocket];
    const mia = await seedSupervisor(world, t.tenant, "mia");
    const miaWs = await connectAgent(world, mia);
    sockets.push(miaWs);
    const live = await liveSession(world, t.portal.slug, anna);
    sockets.push(live.customer);
    const inv = await api(world, anna, "POST", `/sessions/${live.sessionId}/invitations`, {
      agentIds: [ben.user.id],
    });
    expect(inv.status, JSON.stringify(inv.body)).toBe(201);
    const alert = await teamAlert(benWs, live.sessionId, "invite");
    expectOk(await api(world, ben, "POST", `/invitations/${alert.id}/accept`));
    await startedSession(benWs, live.sessionId);
    const watching = await api(world, mia, "POST", `/sessions/${live.sessionId}/monitor`);
    expectOk(watching);
    expect((watching.body as SessionView).role).toBe("monitor");
    await startedSession(miaWs, live.sessionId);
    return { anna, ben, cleo, mia, annaWs, benWs, cleoWs, miaWs, live };
  }

  const isNote = (body: string) => (m: AgentServerMessage) =>
    m.type === "message" && m.message.sender === "note" && m.message.body === body;

  it("written over the socket and over REST, they reach the owner, participants and the watching manager — and never the customer, on any channel", async () => {
    const s = await scene("notes");
    const { sessionId, customer } = s.live;
    const secrets = [
      "N1 owner's socket note",
      "N2 participant's REST note",
      "N3 supervisor's socket note",
      "N4 supervisor's REST note",
    ];
    await customerSays(customer, "C1 my printer", "c1");
    expect((await agentSays(s.annaWs, sessionId, "A1 let me look", "a1")).type).toBe("ack");

    const n1 = await agentSays(s.annaWs, sessionId, secrets[0] as string, "n1", "note");
    expect(n1.type === "ack" && typeof n1.seq).toBe("number");
    const viaRest = await api(world, s.ben, "POST", `/sessions/${sessionId}/notes`, { body: secrets[1] });
    expect(viaRest.status, JSON.stringify(viaRest.body)).toBe(201);
    expect(viaRest.body as ChatMessage).toMatchObject({
      sender: "note",
      visibility: "agents",
      authorName: s.ben.user.displayName,
      body: secrets[1],
    });
    // A supervisor watching cannot chat with the customer, but writes notes.
    expect(await agentSays(s.miaWs, sessionId, "hello customer", "m0")).toMatchObject({
      type: "error",
      code: "monitor_read_only",
    });
    expect((await agentSays(s.miaWs, sessionId, secrets[2] as string, "m1", "note")).type).toBe("ack");
    expect(
      (await api(world, s.mia, "POST", `/sessions/${sessionId}/notes`, { body: secrets[3] })).status,
    ).toBe(201);
    await customerSays(customer, "C2 still smoking", "c2");

    // Every agent of the session got every note live, marked as a note.
    for (const ws of [s.annaWs, s.benWs, s.miaWs]) {
      for (const body of secrets) {
        const m = await ws.next(isNote(body));
        expect(m.type === "message" && m.message.visibility).toBe("agents");
      }
    }
    const fromOwner = s.benWs.received.find(isNote(secrets[0] as string));
    expect(fromOwner?.type === "message" && fromOwner.message.authorName).toBe(s.anna.user.displayName);
    // A colleague outside the session heard none.
    await barrier(s.cleoWs);
    expect(agentMessages(s.cleoWs, sessionId)).toEqual([]);

    // The customer's socket: the chat, never a note or an agents-only line.
    await customer.next((m) => m.type === "message" && m.message.body === "A1 let me look");
    await expectNothingPrivate(customer, secrets);
    expect(customerMessages(customer).map((m) => m.body)).toEqual(
      expect.arrayContaining(["C1 my printer", "A1 let me look", "C2 still smoking"]),
    );
    expectIncreasing(customerMessages(customer).map((m) => m.seq));
    // Notes share the chat's sequence: the customer sees a gap, never a note.
    const stored = await storedMessages(world, sessionId);
    expect(stored.filter((m) => m.sender === "note").map((m) => m.body)).toEqual(secrets);
    expect(customerMessages(customer).map((m) => m.seq)).toEqual(
      stored.filter((m) => m.visibility === "all").map((m) => m.seq),
    );

    // The customer's REST history, from the start and from the middle.
    for (const since of [0, 1, 2]) {
      const history = await customerHistory(world, s.live, since);
      expect(history.filter(isPrivate)).toEqual([]);
      for (const secret of secrets) expect(JSON.stringify(history)).not.toContain(secret);
    }
    expect((await customerHistory(world, s.live)).map((m) => m.body)).toEqual(
      expect.arrayContaining(["C1 my printer", "A1 let me look", "C2 still smoking"]),
    );

    // The customer's transcript, as text and as JSON.
    for (const format of ["txt", "json"]) {
      const t = await call(
        world.app,
        s.live.cookie,
        "GET",
        `/api/v1/customer/requests/${sessionId}/transcript?format=${format}`,
      );
      expect(t.status).toBe(200);
      const text = t.res.body;
      expect(text).toContain("C1 my printer");
      for (const secret of secrets) expect(text, format).not.toContain(secret);
      expect(text).not.toContain("private note");
      if (format === "json") {
        const messages = (t.body as { messages: ChatMessage[] }).messages;
        expect(messages.filter(isPrivate)).toEqual([]);
      }
    }

    // The request page as the server renders it on a reload (works without JavaScript).
    const page = await call(world.app, s.live.cookie, "GET", `/r/${sessionId}`);
    expect(page.status).toBe(200);
    expect(page.res.body).toContain("C2 still smoking");
    for (const secret of secrets) expect(page.res.body).not.toContain(secret);

    // A reconnect (a reload: history since 0) and a resume from the middle.
    await customer.close();
    const reloaded: CustomerSocket = await connectCustomer(world, sessionId, s.live.cookie);
    sockets.push(reloaded);
    await reloaded.next((m) => m.type === "message" && m.message.body === "C2 still smoking");
    await expectNothingPrivate(reloaded, secrets);
    expect(customerMessages(reloaded).map((m) => m.seq)).toEqual(
      stored.filter((m) => m.visibility === "all").map((m) => m.seq),
    );
    reloaded.send({ type: "history", since: 0 });
    reloaded.send({ type: "history", since: n1.type === "ack" ? (n1.seq ?? 0) - 1 : 0 });
    await expectNothingPrivate(reloaded, secrets);
    // A customer cannot write a note: not over the socket, not over the agents' route.
    const before = (await storedMessages(world, sessionId)).length;
    reloaded.send({ type: "note", sessionId, body: "customer's note", ref: "x1" });
    await reloaded.next((m) => m.type === "error");
    const asCustomer = await call(world.app, s.live.cookie, "POST", `/api/v1/sessions/${sessionId}/notes`, {
      body: "customer's note",
    });
    expect(asCustomer.status).toBe(401);
    expect((await storedMessages(world, sessionId)).length).toBe(before);

    // The agents' history and transcript have them, marked.
    const annaHistory = await agentHistory(world, s.anna, sessionId);
    expect(annaHistory.filter((m) => m.sender === "note").map((m) => m.body)).toEqual(secrets);
    for (const who of [s.anna, s.ben, s.mia]) {
      const txt = await api(world, who, "GET", `/sessions/${sessionId}/transcript?format=txt`);
      expect(txt.status).toBe(200);
      expect(txt.res.body).toContain(`(private note) ${s.anna.user.displayName}: ${secrets[0]}`);
      for (const secret of secrets) expect(txt.res.body).toContain(secret);
      const json = await api(world, who, "GET", `/sessions/${sessionId}/transcript?format=json`);
      const notes = (json.body as { messages: ChatMessage[] }).messages.filter((m) => m.sender === "note");
      expect(notes.map((m) => m.body)).toEqual(secrets);
    }
    // A colleague outside the session reads no transcript.
    expectError(await api(world, s.cleo, "GET", `/sessions/${sessionId}/transcript`), 404, "not_found");

    // After the end, still the same on both sides.
    expect((await api(world, s.anna, "POST", `/sessions/${sessionId}/end`)).status).toBe(204);
    const ended = await call(
      world.app,
      s.live.cookie,
      "GET",
      `/api/v1/customer/requests/${sessionId}/transcript`,
    );
    for (const secret of secrets) expect(ended.res.body).not.toContain(secret);
    expect((await customerHistory(world, s.live)).filter(isPrivate)).toEqual([]);
    const late: CustomerSocket = await connectCustomer(world, sessionId, s.live.cookie);
    sockets.push(late);
    await late.next((m) => m.type === "message" && m.message.body === "C2 still smoking");
    await expectNothingPrivate(late, secrets);
    // No note can be added to an ended session.
    expectError(
      await api(world, s.anna, "POST", `/sessions/${sessionId}/notes`, { body: "late" }),
      409,
      "session_ended",
    );
  });

  it("agents-only lines (invited, a transfer asked) stay with the agents too; a previous owner hears no more notes", async () => {
    const t = await seedTeam(world, "notes-lines", ["anna", "ben", "cleo"]);
    sockets.push(...t.ws);
    const [anna, ben, cleo] = t.agents as [Agent, Agent, Agent];
    const [annaWs, benWs, cleoWs] = t.ws as [AgentSocket, AgentSocket, AgentSocket];
    const live = await liveSession(world, t.portal.slug, anna);
    sockets.push(live.customer);
    const { sessionId, customer } = live;
    expect(
      (await api(world, anna, "POST", `/sessions/${sessionId}/invitations`, { agentIds: [cleo.user.id] }))
        .status,
    ).toBe(201);
    await teamAlert(cleoWs, sessionId, "invite");
    const tr = await transfer(world, anna, sessionId, {
      toAgentId: ben.user.id,
      note: "TRANSFER-NOTE-SECRET",
    });
    const alert = await teamAlert(benWs, sessionId, "transfer");
    expect(alert.id).toBe(tr.id);
    await annaWs.next((m) => m.type === "message" && m.message.event?.kind === "transfer.requested");
    await annaWs.next((m) => m.type === "message" && m.message.event?.kind === "invited");
    expectOk(await api(world, ben, "POST", `/transfers/${tr.id}/accept`));
    await annaWs.next((m) => m.type === "session.left" && m.sessionId === sessionId);
    await startedSession(benWs, sessionId);
    const annaMark = annaWs.received.length;
    expect((await agentSays(benWs, sessionId, "NOTE-AFTER-TRANSFER", "b1", "note")).type).toBe("ack");
    await barrier(annaWs);
    expect(agentMessages(annaWs, sessionId, annaMark)).toEqual([]);
    const history = await customerHistory(world, live);
    expect(history.filter(isPrivate)).toEqual([]);
    expect(history.map((m) => m.event?.kind).filter(Boolean)).toEqual(["owner.changed"]);
    await expectNothingPrivate(customer, ["TRANSFER-NOTE-SECRET", "NOTE-AFTER-TRANSFER"]);
    // The agents' view has each line, the agents-only ones marked so.
    const agents = await agentHistory(world, ben, sessionId);
    const lines = agents.filter((m) => m.sender === "system");
    expect(lines.map((m) => [m.event?.kind, m.visibility ?? "all"])).toEqual([
      ["invited", "agents"],
      ["transfer.requested", "agents"],
      ["owner.changed", "all"],
    ]);
  });

  it("bad notes get a clear answer, never a 500", async () => {
    const t = await seedTeam(world, "notes-bad", ["anna", "eve"]);
    sockets.push(...t.ws);
    const [anna, eve] = t.agents as [Agent, Agent];
    const annaWs = t.ws[0] as AgentSocket;
    const live = await liveSession(world, t.portal.slug, anna);
    sockets.push(live.customer);
    const url = `/sessions/${live.sessionId}/notes`;
    expectError(await api(world, anna, "POST", url, { body: "   " }), 400, "required");
    expectError(await api(world, anna, "POST", url, { body: "x".repeat(5001) }), 400, "validation");
    expectError(await api(world, anna, "POST", url, {}), 400, "validation");
    expectError(await api(world, anna, "POST", url, { body: 12 }), 400, "validation");
    expectError(await api(world, anna, "POST", url, { body: "ok", visibility: "all" }), 400, "validation");
    expectError(await api(world, anna, "POST", url, { body: "bell\u0007" }), 400, "validation");
    expectError(
      await api(world, anna, "POST", "/sessions/no-such-session/notes", { body: "hi" }),
      404,
      "not_found",
    );
    expectError(await api(world, eve, "POST", url, { body: "not mine" }), 404, "not_found");
    // Over the socket.
    annaWs.send({ type: "note", sessionId: live.sessionId, body: "no ref" });
    expect(await annaWs.next((m) => m.type === "error" && m.code === "bad_message")).toBeTruthy();
    annaWs.send({ type: "note", sessionId: live.sessionId, body: 5, ref: "r2" });
    await annaWs.next((m) => m.type === "error" && m.code === "bad_message" && m.message.includes("note"));
    expect(await agentSays(annaWs, live.sessionId, "   ", "r3", "note")).toMatchObject({ type: "error" });
    expect(await agentSays(annaWs, "no-such-session", "hi", "r4", "note")).toMatchObject({
      type: "error",
      code: "not_found",
    });
    const eveWs = await onlineAgent(world, eve);
    sockets.push(eveWs);
    expect(await agentSays(eveWs, live.sessionId, "not mine", "e1", "note")).toMatchObject({
      type: "error",
      code: "not_found",
    });
    expect((await storedMessages(world, live.sessionId)).filter((m) => m.sender === "note")).toEqual([]);
  });
});
