import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiError, Portal } from "../../src/shared/api.js";
import type {
  AgentServerMessage,
  ChatMessage,
  ConsoleSnapshot,
  CustomerServerMessage,
  CustomerStatus,
} from "../../src/shared/protocol.js";
import { call } from "../support/app.js";
import { dialects } from "../support/databases.js";
import {
  type AgentSocket,
  accept,
  ask,
  barrier,
  type CustomerSocket,
  closedWith,
  createPortal,
  eventsOf,
  isStatus,
  onlineAgent,
  patchUser,
  seedAgent,
} from "../support/scenario.js";
import {
  agentChat,
  agentHistory,
  agentSays,
  connectConsole,
  connectCustomerSince,
  customerCall,
  customerChat,
  customerHistory,
  customerSays,
  GREETING,
  type LiveSession,
  lines,
  type SessionWorld,
  snapshotSession,
  startSessionWorld,
} from "../support/session.js";
import { SocketClient } from "../support/ws.js";

const greetingLine = (agentName = "dana") => ({
  seq: 1,
  sender: "agent",
  authorName: agentName,
  body: GREETING,
});
const pick = (m: ChatMessage) => ({ seq: m.seq, sender: m.sender, authorName: m.authorName, body: m.body });

/** Events of one kind that reached a socket (barrier answers left out). */
function kinds<M extends { type: string }>(ws: SocketClient<M>, type: string, from = 0): M[] {
  return eventsOf(ws, from).filter((m) => m.type === type);
}

describe.each(dialects())("sessions on %s", (dialect) => {
  let sw: SessionWorld;
  beforeAll(async () => {
    sw = await startSessionWorld(dialect);
  });
  afterAll(async () => {
    await sw?.close();
  });

  const patchPortal = (portal: Portal, patch: Record<string, unknown>) =>
    call(
      sw.world.app,
      sw.tenant.adminCookie,
      "PATCH",
      `/api/v1/accounts/${sw.tenant.account.id}/portals/${portal.id}`,
      patch,
    );

  it("posts the portal's greeting (up to 1,000 characters) as message 1 from the agent", async () => {
    const s = await sw.open("Greta");
    // The customer's page asks for history when the session is accepted; the greeting is there.
    expect((await customerHistory(s.cws, 0, 1)).map(pick)).toEqual([greetingLine()]);
    expect((await agentHistory(s.agentWs, s.requestId, 0, 1)).map(pick)).toEqual([greetingLine()]);
    const rest = await customerCall(sw, s.cookie, "GET", `${s.requestId}/messages`);
    expect((rest.body as ChatMessage[]).map(pick)).toEqual([greetingLine()]);
    expect((await snapshotSession(sw, sw.agent, s.requestId))?.lastSeq).toBe(1);
    // The customer's first words are message 2.
    expect(await customerSays(s.cws, "Hi Dana", "g1")).toEqual({ type: "ack", ref: "g1", seq: 2 });

    // 1,000 characters are allowed, 1,001 are refused with the limit named.
    const longest = "g".repeat(1000);
    const ok = await patchPortal(sw.portal, { greeting: longest });
    expect(ok.status).toBe(200);
    expect((ok.body as Portal).greeting).toBe(longest);
    const tooLong = await patchPortal(sw.portal, { greeting: "g".repeat(1001) });
    expect(tooLong.status).toBe(400);
    expect((tooLong.body as ApiError).fields?.greeting).toEqual({
      code: "too_long",
      message: "must be at most 1000 characters",
      params: { limit: 1000 },
    });
    const longSession = await sw.open("Lena");
    const got = await customerHistory(longSession.cws, 0, 1);
    expect(got.map((m) => [m.seq, m.sender, m.body.length])).toEqual([[1, "agent", 1000]]);

    // Without a greeting the customer's first message is message 1.
    expect((await patchPortal(sw.portal, { greeting: "" })).status).toBe(200);
    const plain = await sw.open("Pia");
    expect(await customerSays(plain.cws, "first", "p1")).toEqual({ type: "ack", ref: "p1", seq: 1 });
    expect((await patchPortal(sw.portal, { greeting: GREETING })).status).toBe(200);
  });

  it("resumes after a reconnect with a gap: exactly the missed messages, in order, nothing doubled", async () => {
    const s = await sw.open("Rita");
    expect(await customerSays(s.cws, "my screen is black", "r1")).toEqual({ type: "ack", ref: "r1", seq: 2 });
    // The customer's socket drops; the agent keeps talking.
    await s.cws.close();
    const acks = [];
    for (const [i, body] of ["Is it plugged in?", "Try another cable.", "Any lights on?"].entries()) {
      acks.push(await agentSays(s.agentWs, s.requestId, body, `gap${i}`));
    }
    expect(acks.map((a) => (a.type === "ack" ? a.seq : a.code))).toEqual([3, 4, 5]);

    // Back with "I have up to 2": exactly 3, 4, 5.
    const again = sw.track(await connectCustomerSince(sw.world, s.requestId, s.cookie, 2));
    await barrier(again);
    expect(lines(customerChat(again))).toEqual([
      "3:agent:Is it plugged in?",
      "4:agent:Try another cable.",
      "5:agent:Any lights on?",
    ]);
    // `history` does the same on an open socket.
    expect(lines(await customerHistory(again, 3, 5))).toEqual([
      "4:agent:Try another cable.",
      "5:agent:Any lights on?",
    ]);
    expect(await customerHistory(again, 5, 5)).toEqual([]);

    // The agent's side: the console drops, the customer writes twice, the console comes back.
    await s.agentWs.close();
    expect(await customerSays(again, "Green light now", "r2")).toEqual({ type: "ack", ref: "r2", seq: 6 });
    expect(await customerSays(again, "It works!", "r3")).toEqual({ type: "ack", ref: "r3", seq: 7 });
    const console2 = sw.track(await connectConsole(sw.world, sw.agent));
    const snap = console2.received.find((m) => m.type === "snapshot");
    const view =
      snap?.type === "snapshot" ? snap.snapshot.sessions.find((x) => x.id === s.requestId) : undefined;
    expect(view?.lastSeq).toBe(7);
    expect(lines(await agentHistory(console2, s.requestId, 5, 7))).toEqual([
      "6:customer:Green light now",
      "7:customer:It works!",
    ]);
    // From the start: all seven, once each, the same on both sides and in the database.
    const everything = [
      `1:agent:${GREETING}`,
      "2:customer:my screen is black",
      "3:agent:Is it plugged in?",
      "4:agent:Try another cable.",
      "5:agent:Any lights on?",
      "6:customer:Green light now",
      "7:customer:It works!",
    ];
    expect(lines(await agentHistory(console2, s.requestId, 0, 7))).toEqual(everything);
    const fresh = sw.track(await connectCustomerSince(sw.world, s.requestId, s.cookie, 0));
    await barrier(fresh);
    expect(lines(customerChat(fresh))).toEqual(everything);
    const stored = await sw.world.app.deps.db.kysely
      .selectFrom("messages")
      .select(["seq"])
      .where("session_id", "=", s.requestId)
      .orderBy("seq")
      .execute();
    expect(stored.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);

    // The fresh console is the one live now: a new message reaches it once.
    expect(await customerSays(fresh, "thanks", "r4")).toEqual({ type: "ack", ref: "r4", seq: 8 });
    await console2.next((m) => m.type === "message" && m.message.seq === 8);
    await barrier(console2);
    expect(agentChat(console2, s.requestId).filter((m) => m.seq === 8)).toHaveLength(1);
    // Dana's main console is gone for later tests: replace it.
    sw.agentWs = console2;
  });

  it("sends typing and receipts only to the other party; receipts are stored, move only forward, clamp to the last message", async () => {
    const s = await sw.open("Tess");
    const bystander = await sw.open("Bea", "other");
    const watch = () => ({
      agent: s.agentWs.received.length,
      customer: s.cws.received.length,
      otherAgent: bystander.agentWs.received.length,
      otherCustomer: bystander.cws.received.length,
    });
    const quiet = async (from: ReturnType<typeof watch>, type: string, except: "agent" | "customer") => {
      await Promise.all([
        barrier(s.agentWs),
        barrier(s.cws),
        barrier(bystander.agentWs),
        barrier(bystander.cws),
      ]);
      if (except !== "agent") expect(kinds(s.agentWs, type, from.agent), `agent got ${type}`).toEqual([]);
      if (except !== "customer")
        expect(kinds(s.cws, type, from.customer), `customer got ${type}`).toEqual([]);
      expect(kinds(bystander.agentWs, type, from.otherAgent)).toEqual([]);
      expect(kinds(bystander.cws, type, from.otherCustomer)).toEqual([]);
    };

    // The customer types: only Dana hears it, for this session.
    let from = watch();
    s.cws.send({ type: "typing" });
    expect(await s.agentWs.next((m) => m.type === "typing", 5000, from.agent)).toEqual({
      type: "typing",
      sessionId: s.requestId,
    });
    await quiet(from, "typing", "agent");
    expect(kinds(s.agentWs, "typing", from.agent)).toHaveLength(1);

    // Dana types: only this customer hears it.
    from = watch();
    s.agentWs.send({ type: "typing", sessionId: s.requestId });
    // The customer hears who types (a session may have several agents).
    expect(await s.cws.next((m) => m.type === "typing", 5000, from.customer)).toEqual({
      type: "typing",
      name: "dana",
    });
    await quiet(from, "typing", "customer");

    expect(await customerSays(s.cws, "one", "t1")).toEqual({ type: "ack", ref: "t1", seq: 2 });
    expect(await agentSays(s.agentWs, s.requestId, "two", "t2")).toEqual({ type: "ack", ref: "t2", seq: 3 });

    // The customer's device got up to 3 and read 1: Dana sees it.
    from = watch();
    s.cws.send({ type: "receipt", delivered: 3, read: 1 });
    expect(await s.agentWs.next((m) => m.type === "receipt", 5000, from.agent)).toEqual({
      type: "receipt",
      sessionId: s.requestId,
      receipt: { delivered: 3, read: 1 },
    });
    await quiet(from, "receipt", "agent");
    // An older receipt (another tab behind) never moves the marks back.
    from = watch();
    s.cws.send({ type: "receipt", delivered: 2, read: 0 });
    expect(await s.agentWs.next((m) => m.type === "receipt", 5000, from.agent)).toEqual({
      type: "receipt",
      sessionId: s.requestId,
      receipt: { delivered: 3, read: 1 },
    });
    // Marks past the last message clamp to it.
    from = watch();
    s.cws.send({ type: "receipt", delivered: 99, read: 50 });
    expect(await s.agentWs.next((m) => m.type === "receipt", 5000, from.agent)).toEqual({
      type: "receipt",
      sessionId: s.requestId,
      receipt: { delivered: 3, read: 3 },
    });
    // Dana read everything: the customer sees it, nobody else.
    from = watch();
    s.agentWs.send({ type: "receipt", sessionId: s.requestId, delivered: 3, read: 2 });
    expect(await s.cws.next((m) => m.type === "receipt", 5000, from.customer)).toEqual({
      type: "receipt",
      receipt: { delivered: 3, read: 2 },
    });
    await quiet(from, "receipt", "customer");

    const row = await sw.world.app.deps.db.kysely
      .selectFrom("sessions")
      .select(["agent_delivered_seq", "agent_read_seq", "customer_delivered_seq", "customer_read_seq"])
      .where("id", "=", s.requestId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      agent_delivered_seq: 3,
      agent_read_seq: 2,
      customer_delivered_seq: 3,
      customer_read_seq: 3,
    });
    // Nonsense marks are refused on the socket, which stays open.
    from = watch();
    s.cws.send({ type: "receipt", delivered: -1, read: 0 });
    expect(await s.cws.next((m) => m.type === "error", 5000, from.customer)).toEqual({
      type: "error",
      code: "invalid",
      message: "delivered and read are sequence numbers (whole numbers ≥ 0).",
    });
    expect(s.cws.closed).toBeNull();
    // The bystanders' own session kept its marks at zero.
    const theirs = await sw.world.app.deps.db.kysely
      .selectFrom("sessions")
      .select(["agent_read_seq", "customer_read_seq"])
      .where("id", "=", bystander.requestId)
      .executeTakeFirstOrThrow();
    expect(theirs).toEqual({ agent_read_seq: 0, customer_read_seq: 0 });
  });

  it("keeps a customer out of another session, even with a valid token of their own", async () => {
    const mine = await sw.open("Mia");
    const theirs = await sw.open("Tom");
    expect(await customerSays(theirs.cws, "my secret order number is 4711", "s1")).toMatchObject({
      type: "ack",
    });

    // Sanity: Mia's cookie opens her own request.
    expect((await customerCall(sw, mine.cookie, "GET", `${mine.requestId}/messages`)).status).toBe(200);
    // Her cookie as it is, and her token under the other request's cookie name: 404 everywhere.
    for (const cookie of [mine.cookie, `hgc_${theirs.requestId}=${mine.token}`]) {
      const read = await customerCall(sw, cookie, "GET", `${theirs.requestId}/messages`);
      expect(read.status).toBe(404);
      expect((read.body as ApiError).error).toBe("not_found");
      expect((await customerCall(sw, cookie, "GET", `${theirs.requestId}/transcript`)).status).toBe(404);
      expect(
        (await customerCall(sw, cookie, "GET", `${theirs.requestId}/transcript?format=json`)).status,
      ).toBe(404);
      const write = await customerCall(sw, cookie, "POST", `${theirs.requestId}/messages`, {
        body: "hijack",
      });
      expect(write.status).toBe(404);
      expect((await customerCall(sw, cookie, "POST", `${theirs.requestId}/end`)).status).toBe(404);

      const ws = sw.track(
        await SocketClient.connect<CustomerServerMessage>(
          `${sw.world.wsUrl}?request=${theirs.requestId}&since=0`,
          {
            cookie,
            origin: sw.world.origin,
          },
        ),
      );
      expect(await closedWith(ws)).toEqual({ code: 4404, reason: "Request not found." });
      expect(ws.received).toEqual([{ type: "error", code: "refused", message: "Request not found." }]);
    }
    // Eli (another agent) cannot read Dana's session either.
    expect(
      (await call(sw.world.app, sw.other.cookie, "GET", `/api/v1/sessions/${theirs.requestId}/messages`))
        .status,
    ).toBe(404);
    expect(await agentSays(sw.otherWs, theirs.requestId, "peek", "peek")).toEqual({
      type: "error",
      code: "not_found",
      message: "Session not found.",
      ref: "peek",
    });
    // Nothing was written into Tom's session.
    const list = await customerCall(sw, theirs.cookie, "GET", `${theirs.requestId}/messages`);
    expect(lines(list.body as ChatMessage[])).toEqual([
      `1:agent:${GREETING}`,
      "2:customer:my secret order number is 4711",
    ]);
  });

  it("limits text to 5,000 characters, refuses empty messages, and keeps text as typed", async () => {
    const s = await sw.open("Kim");
    expect(await customerSays(s.cws, "x".repeat(5000), "k1")).toEqual({ type: "ack", ref: "k1", seq: 2 });
    expect(await customerSays(s.cws, "x".repeat(5001), "k2")).toEqual({
      type: "error",
      code: "too_long",
      message: "A message can have at most 5000 characters; this one has 5001.",
      ref: "k2",
    });
    expect(await agentSays(s.agentWs, s.requestId, "y".repeat(5001), "k3")).toMatchObject({
      type: "error",
      code: "too_long",
      ref: "k3",
    });
    expect(await customerSays(s.cws, "", "k4")).toEqual({
      type: "error",
      code: "required",
      message: "Type a message first.",
      ref: "k4",
    });
    expect(await agentSays(s.agentWs, s.requestId, "   ", "k5")).toMatchObject({
      type: "error",
      code: "required",
    });

    const from = s.agentWs.received.length;
    expect(await customerSays(s.cws, "<b>x</b>", "k6")).toEqual({ type: "ack", ref: "k6", seq: 3 });
    const got = await s.agentWs.next((m) => m.type === "message" && m.message.seq === 3, 5000, from);
    expect(got.type === "message" && got.message.body).toBe("<b>x</b>");
    const json = await customerCall(sw, s.cookie, "GET", `${s.requestId}/transcript?format=json`);
    const messages = (JSON.parse(json.res.body) as { messages: ChatMessage[] }).messages;
    expect(messages.map((m) => [m.seq, m.body.length])).toEqual([
      [1, GREETING.length],
      [2, 5000],
      [3, 8],
    ]);
    expect(messages[2]?.body).toBe("<b>x</b>");
    const txt = await customerCall(sw, s.cookie, "GET", `${s.requestId}/transcript`);
    expect(txt.res.body).toContain("Kim: <b>x</b>\n");
  });

  it("relays screen sharing: request, consent states, WebRTC signals both ways, the agent's pointer", async () => {
    const s = await sw.open("Sam");
    let from = s.cws.received.length;
    s.agentWs.send({ type: "share.request", sessionId: s.requestId });
    expect(await s.cws.next((m) => m.type === "share", 5000, from)).toEqual({
      type: "share",
      state: "requested",
    });

    for (const [state, reason] of [
      ["sharing", undefined],
      ["stopped", undefined],
      ["failed", "NotAllowedError"],
      ["declined", undefined],
    ] as const) {
      const aFrom = s.agentWs.received.length;
      s.cws.send({ type: "share", state, ...(reason ? { reason } : {}) });
      expect(await s.agentWs.next((m) => m.type === "share", 5000, aFrom)).toEqual({
        type: "share",
        sessionId: s.requestId,
        state,
        ...(reason ? { reason } : {}),
      });
    }
    // A customer cannot claim the agent's states.
    from = s.cws.received.length;
    s.cws.send({ type: "share", state: "requested" });
    expect(await s.cws.next((m) => m.type === "error", 5000, from)).toEqual({
      type: "error",
      code: "bad_message",
      message: "share.state is one of declined, sharing, stopped, failed.",
    });

    // Signals, both ways, exactly as sent.
    const offer = { kind: "offer", sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n" } as const;
    from = s.cws.received.length;
    s.agentWs.send({ type: "rtc", sessionId: s.requestId, signal: offer });
    expect(await s.cws.next((m) => m.type === "rtc", 5000, from)).toEqual({ type: "rtc", signal: offer });
    const answer = { kind: "answer", sdp: "v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n" } as const;
    const candidate = {
      kind: "candidate",
      candidate: "candidate:1 1 udp 2122260223 10.0.0.5 54321 typ host",
      sdpMid: "0",
      sdpMLineIndex: 0,
    } as const;
    let aFrom = s.agentWs.received.length;
    s.cws.send({ type: "rtc", signal: answer });
    s.cws.send({ type: "rtc", signal: candidate });
    await s.agentWs.next((m) => m.type === "rtc" && m.signal.kind === "candidate", 5000, aFrom);
    expect(kinds(s.agentWs, "rtc", aFrom)).toEqual([
      { type: "rtc", sessionId: s.requestId, signal: answer },
      { type: "rtc", sessionId: s.requestId, signal: candidate },
    ]);
    // Malformed signals are refused without closing either socket.
    aFrom = s.agentWs.received.length;
    s.agentWs.send({ type: "rtc", sessionId: s.requestId, signal: { kind: "offer" } });
    expect(await s.agentWs.next((m) => m.type === "error", 5000, aFrom)).toMatchObject({
      type: "error",
      code: "bad_signal",
    });
    from = s.cws.received.length;
    s.cws.send({ type: "rtc", signal: { kind: "candidate", candidate: 42 } });
    expect(await s.cws.next((m) => m.type === "error", 5000, from)).toMatchObject({
      type: "error",
      code: "bad_signal",
    });
    s.cws.send({ type: "rtc", signal: { kind: "answer", sdp: "x".repeat(20_001) } });
    expect(await s.cws.next((m) => m.type === "error", 5000, s.cws.received.length)).toMatchObject({
      code: "bad_signal",
    });
    expect(s.cws.closed).toBeNull();
    expect(s.agentWs.closed).toBeNull();
    from = s.cws.received.length;
    s.agentWs.send({ type: "rtc", sessionId: s.requestId, signal: candidate });
    expect(await s.cws.next((m) => m.type === "rtc", 5000, from)).toEqual({ type: "rtc", signal: candidate });

    // The pointer goes from the agent to the customer; out of range is refused.
    from = s.cws.received.length;
    s.agentWs.send({ type: "pointer", sessionId: s.requestId, x: 0.25, y: 0.75 });
    expect(await s.cws.next((m) => m.type === "pointer", 5000, from)).toEqual({
      type: "pointer",
      x: 0.25,
      y: 0.75,
    });
    aFrom = s.agentWs.received.length;
    s.agentWs.send({ type: "pointer", sessionId: s.requestId, x: 1.5, y: 0.5 });
    expect(await s.agentWs.next((m) => m.type === "error", 5000, aFrom)).toEqual({
      type: "error",
      code: "invalid",
      message: "x and y are fractions of the shared screen, from 0 to 1.",
    });
    // A customer has no pointer.
    from = s.cws.received.length;
    s.cws.send({ type: "pointer", x: 0.5, y: 0.5 });
    const refused = await s.cws.next((m) => m.type === "error", 5000, from);
    expect(refused).toMatchObject({ type: "error", code: "bad_message" });
    expect(refused.type === "error" && refused.message.startsWith("Unknown message type")).toBe(true);
    await barrier(s.cws);
    expect(kinds(s.cws, "pointer", from)).toEqual([]);
    await barrier(s.agentWs);
    expect(kinds(s.agentWs, "pointer")).toEqual([]);
  });

  it("refuses to ask for the screen while the account's upgrade switch is off", async () => {
    const s = await sw.open("Uma");
    const account = `/api/v1/accounts/${sw.tenant.account.id}`;
    const off = await call(sw.world.app, sw.tenant.adminCookie, "PATCH", account, { upgradeEnabled: false });
    expect(off.status).toBe(200);
    try {
      const status = await customerCall(sw, s.cookie, "GET", s.requestId);
      expect((status.body as CustomerStatus).upgradeEnabled).toBe(false);
      const from = s.cws.received.length;
      const aFrom = s.agentWs.received.length;
      s.agentWs.send({ type: "share.request", sessionId: s.requestId });
      expect(await s.agentWs.next((m) => m.type === "error", 5000, aFrom)).toEqual({
        type: "error",
        code: "upgrade_disabled",
        message: "Screen sharing is switched off for this account.",
      });
      await barrier(s.cws);
      expect(kinds(s.cws, "share", from)).toEqual([]);
    } finally {
      const on = await call(sw.world.app, sw.tenant.adminCookie, "PATCH", account, { upgradeEnabled: true });
      expect(on.status).toBe(200);
    }
    const from = s.cws.received.length;
    s.agentWs.send({ type: "share.request", sessionId: s.requestId });
    expect(await s.cws.next((m) => m.type === "share", 5000, from)).toEqual({
      type: "share",
      state: "requested",
    });
  });

  it("ends from either side, then takes the outcome form and the survey once; transcripts and History show it", async () => {
    // The clock stands still so the session's duration is exact.
    const startedAt = sw.clock.freeze();
    let s: LiveSession;
    try {
      s = await sw.open("Olga");
      expect(await customerSays(s.cws, "Printer says PC LOAD LETTER", "e1")).toMatchObject({ seq: 2 });
      expect(await agentSays(s.agentWs, s.requestId, "Load letter-size paper.", "e2")).toMatchObject({
        seq: 3,
      });
      sw.clock.advance(754_000);

      // Before the end: no outcome, no survey.
      const early = await call(
        sw.world.app,
        sw.agent.cookie,
        "POST",
        `/api/v1/sessions/${s.requestId}/outcome`,
        {
          outcome: "resolved",
        },
      );
      expect(early.status).toBe(409);
      expect((early.body as ApiError).error).toBe("session_open");
      const earlySurvey = await customerCall(sw, s.cookie, "POST", `${s.requestId}/survey`, { rating: 5 });
      expect(earlySurvey.status).toBe(409);
      expect((earlySurvey.body as ApiError).error).toBe("session_open");

      // The customer ends: both hear it, the customer's status says ended.
      const aFrom = s.agentWs.received.length;
      const cFrom = s.cws.received.length;
      expect((await customerCall(sw, s.cookie, "POST", `${s.requestId}/end`)).status).toBe(204);
      expect(await s.agentWs.next((m) => m.type === "session.ended", 5000, aFrom)).toEqual({
        type: "session.ended",
        sessionId: s.requestId,
        endedAt: startedAt + 754_000,
        endedBy: "customer",
      });
      expect(await s.cws.next((m) => m.type === "session.ended", 5000, cFrom)).toEqual({
        type: "session.ended",
        endedAt: startedAt + 754_000,
        endedBy: "customer",
      });
      const ended = await s.cws.next(isStatus("ended"), 5000, cFrom);
      expect(ended.type === "status" && [ended.status.state, ended.status.reason]).toEqual([
        "ended",
        "ended",
      ]);
    } finally {
      sw.clock.thaw();
    }

    // Talking after the end: 409 session_ended on every way in.
    expect(await customerSays(s.cws, "hello?", "late")).toEqual({
      type: "error",
      code: "session_ended",
      message: "This session has ended.",
      ref: "late",
    });
    const lateRest = await customerCall(sw, s.cookie, "POST", `${s.requestId}/messages`, { body: "hello?" });
    expect(lateRest.status).toBe(409);
    expect((lateRest.body as ApiError).error).toBe("session_ended");
    const lateAgent = await call(
      sw.world.app,
      sw.agent.cookie,
      "POST",
      `/api/v1/sessions/${s.requestId}/messages`,
      {
        body: "bye",
      },
    );
    expect(lateAgent.status).toBe(409);
    expect((lateAgent.body as ApiError).error).toBe("session_ended");

    // The outcome form: validated, then stored.
    const outcomeUrl = `/api/v1/sessions/${s.requestId}/outcome`;
    const bad = await call(sw.world.app, sw.agent.cookie, "POST", outcomeUrl, { outcome: "maybe" });
    expect(bad.status).toBe(400);
    const foreign = await call(sw.world.app, sw.other.cookie, "POST", outcomeUrl, { outcome: "resolved" });
    expect(foreign.status).toBe(404);
    const form = await call(sw.world.app, sw.agent.cookie, "POST", outcomeUrl, {
      outcome: "resolved",
      notes: "  Loaded letter paper.  ",
      ticket: "T-4711",
    });
    expect(form.status).toBe(200);
    expect(form.body).toMatchObject({
      id: s.requestId,
      outcome: "resolved",
      notes: "Loaded letter paper.",
      ticket: "T-4711",
      endedBy: "customer",
      startedAt,
      endedAt: startedAt + 754_000,
    });

    // The survey: 1–5, once.
    for (const rating of [0, 6, 2.5]) {
      const r = await customerCall(sw, s.cookie, "POST", `${s.requestId}/survey`, { rating });
      expect(r.status, String(rating)).toBe(400);
    }
    const survey = await customerCall(sw, s.cookie, "POST", `${s.requestId}/survey`, {
      rating: 4,
      comment: "Quick and kind",
    });
    expect(survey.status).toBe(204);
    const twice = await customerCall(sw, s.cookie, "POST", `${s.requestId}/survey`, { rating: 1 });
    expect(twice.status).toBe(409);
    expect((twice.body as ApiError).error).toBe("already_answered");
    const status = await customerCall(sw, s.cookie, "GET", s.requestId);
    expect((status.body as CustomerStatus).surveyed).toBe(true);
    // Only the customer answers the survey; a signed-in agent has no customer cookie for it.
    expect(
      (
        await call(sw.world.app, sw.agent.cookie, "POST", `/api/v1/customer/requests/${s.requestId}/survey`, {
          rating: 1,
        })
      ).status,
    ).toBe(404);

    // Transcripts for both sides: every message line in text, every message with its seq in JSON.
    const expectedLines = [
      `: dana: ${GREETING}`,
      ": Olga: Printer says PC LOAD LETTER",
      ": dana: Load letter-size paper.",
    ];
    for (const [who, url, cookie] of [
      ["customer", `/api/v1/customer/requests/${s.requestId}/transcript`, s.cookie],
      ["agent", `/api/v1/sessions/${s.requestId}/transcript`, sw.agent.cookie],
    ] as const) {
      const txt = await call(sw.world.app, cookie, "GET", `${url}?format=txt`);
      expect(txt.status, who).toBe(200);
      expect(txt.res.headers["content-type"]).toBe("text/plain; charset=utf-8");
      const messageLines = txt.res.body
        .split("\n")
        .filter((l) => /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] /.test(l));
      expect(messageLines.map((l) => l.slice(l.indexOf("]")))).toEqual(
        expectedLines.map((l) => `]${l.slice(1)}`),
      );
      const json = await call(sw.world.app, cookie, "GET", `${url}?format=json`);
      expect(json.status, who).toBe(200);
      expect(json.res.headers["content-disposition"]).toMatch(
        /attachment; filename="helpgate-session-\d{9}\.json"/,
      );
      const parsed = JSON.parse(json.res.body) as { session: { id: string }; messages: ChatMessage[] };
      expect(parsed.session.id).toBe(s.requestId);
      expect(lines(parsed.messages)).toEqual([
        `1:agent:${GREETING}`,
        "2:customer:Printer says PC LOAD LETTER",
        "3:agent:Load letter-size paper.",
      ]);
    }

    // The console's History shows the ended session with outcome, rating and its times.
    const snap = (await call(sw.world.app, sw.agent.cookie, "GET", "/api/v1/console"))
      .body as ConsoleSnapshot;
    const summary = snap.ended.find((e) => e.id === s.requestId);
    expect(summary).toMatchObject({
      outcome: "resolved",
      notes: "Loaded letter paper.",
      ticket: "T-4711",
      rating: 4,
      comment: "Quick and kind",
      endedBy: "customer",
      startedAt,
      endedAt: startedAt + 754_000,
    });
    expect(summary?.request.customerName).toBe("Olga");
    expect(summary?.request.state).toBe("ended");
    expect(snap.sessions.some((x) => x.id === s.requestId)).toBe(false);
    // Eli's History does not show Dana's session.
    const eli = (await call(sw.world.app, sw.other.cookie, "GET", "/api/v1/console")).body as ConsoleSnapshot;
    expect(eli.ended.some((e) => e.id === s.requestId)).toBe(false);
  });

  it("tells the customer when the agent ends, and the agent's end is final", async () => {
    const s = await sw.open("Vera");
    const cFrom = s.cws.received.length;
    const aFrom = s.agentWs.received.length;
    const end = await call(sw.world.app, sw.agent.cookie, "POST", `/api/v1/sessions/${s.requestId}/end`);
    expect(end.status).toBe(204);
    const told = await s.cws.next((m) => m.type === "session.ended", 5000, cFrom);
    expect(told.type === "session.ended" && told.endedBy).toBe("agent");
    const status = await s.cws.next(isStatus("ended"), 5000, cFrom);
    expect(status.type === "status" && status.status.reason).toBe("ended");
    const mine = await s.agentWs.next((m) => m.type === "session.ended", 5000, aFrom);
    expect(mine).toMatchObject({ sessionId: s.requestId, endedBy: "agent" });
    expect(await agentSays(s.agentWs, s.requestId, "one more thing", "after")).toEqual({
      type: "error",
      code: "session_ended",
      message: "This session has ended.",
      ref: "after",
    });
    // The customer ending afterwards changes nothing (ending twice is harmless).
    expect((await customerCall(sw, s.cookie, "POST", `${s.requestId}/end`)).status).toBe(204);
    const row = await sw.world.app.deps.db.kysely
      .selectFrom("sessions")
      .select(["ended_by"])
      .where("id", "=", s.requestId)
      .executeTakeFirstOrThrow();
    expect(row.ended_by).toBe("agent");
    await barrier(s.cws);
    expect(kinds(s.cws, "session.ended", cFrom)).toHaveLength(1);
    // A reload after the end still shows the conversation and the ended status.
    const reload = sw.track(await connectCustomerSince(sw.world, s.requestId, s.cookie, 0));
    const first = reload.received[0];
    expect(first?.type === "status" && first.status.state).toBe("ended");
    await barrier(reload);
    expect(lines(customerChat(reload))).toEqual([`1:agent:${GREETING}`]);
  });

  it("runs several sessions per agent up to the limit; at the limit accepting is refused until one ends", async () => {
    const fay = await seedAgent(sw.world, sw.tenant, "fay");
    await patchUser(sw.world, sw.tenant, fay, { maxSessions: 2 });
    const portal = await createPortal(sw.world, sw.tenant, "question", [fay]);
    const fayWs: AgentSocket = sw.track(await onlineAgent(sw.world, fay));
    const requests = [];
    for (const name of ["Ada", "Ben", "Cy"])
      requests.push(await ask(sw.world, portal.slug, { name, question: "help" }));
    const [a, b, c] = requests as [(typeof requests)[0], (typeof requests)[0], (typeof requests)[0]];

    expect((await accept(sw.world, fay, a.requestId)).status).toBe(200);
    expect((await accept(sw.world, fay, b.requestId)).status).toBe(200);
    const third = await accept(sw.world, fay, c.requestId);
    expect(third.status).toBe(409);
    expect(third.body).toMatchObject({
      error: "at_limit",
      message: "You are at your limit of 2 sessions; end one first.",
    });
    // At the limit she counts as busy for the portal.
    const agents = await call(sw.world.app, null, "GET", `/api/v1/portals/${portal.slug}/agents`);
    expect((agents.body as { anyAvailable: boolean }).anyAvailable).toBe(false);

    // Both sessions run side by side, each with its own conversation.
    const ca: CustomerSocket = sw.track(await connectCustomerSince(sw.world, a.requestId, a.cookie, 1));
    const cb: CustomerSocket = sw.track(await connectCustomerSince(sw.world, b.requestId, b.cookie, 1));
    expect(await agentSays(fayWs, a.requestId, "for Ada", "fa")).toEqual({ type: "ack", ref: "fa", seq: 1 });
    expect(await agentSays(fayWs, b.requestId, "for Ben", "fb")).toEqual({ type: "ack", ref: "fb", seq: 1 });
    await ca.next((m) => m.type === "message");
    await cb.next((m) => m.type === "message");
    await Promise.all([barrier(ca), barrier(cb)]);
    expect(lines(customerChat(ca))).toEqual(["1:agent:for Ada"]);
    expect(lines(customerChat(cb))).toEqual(["1:agent:for Ben"]);
    const snap = (await call(sw.world.app, fay.cookie, "GET", "/api/v1/console")).body as ConsoleSnapshot;
    expect(snap.sessions.map((x) => x.id).sort()).toEqual([a.requestId, b.requestId].sort());

    expect((await call(sw.world.app, fay.cookie, "POST", `/api/v1/sessions/${a.requestId}/end`)).status).toBe(
      204,
    );
    const free = await call(sw.world.app, null, "GET", `/api/v1/portals/${portal.slug}/agents`);
    expect((free.body as { anyAvailable: boolean }).anyAvailable).toBe(true);
    const taken = await accept(sw.world, fay, c.requestId);
    expect(taken.status).toBe(200);
    await fayWs.next((m: AgentServerMessage) => m.type === "session.started" && m.session.id === c.requestId);
  });
});
