import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentServerMessage, CustomerServerMessage } from "../../src/shared/protocol.js";
import { call, login, ORIGIN, seedAccount, seedUser, type TestApp } from "../support/app.js";
import { type LiveServer, startLiveServer } from "../support/browser.js";
import { dialects } from "../support/databases.js";
import { SocketClient } from "../support/ws.js";

describe.each(dialects())("request → alert → accept → chat on %s", (dialect) => {
  let live: LiveServer;
  let app: TestApp;
  beforeAll(async () => {
    live = await startLiveServer(dialect);
    app = live.app;
  });
  afterAll(async () => {
    await live.close();
  });

  it("connects a customer and an agent", async () => {
    const { account, admin } = await seedAccount(app, `flow-${dialect}`, "web");
    const agent = await seedUser(app, account.id, `agent@flow-${dialect}.example`, "agent");
    const adminCookie = await login(app, admin.email);
    const portal = await call(app, adminCookie, "POST", `/api/v1/accounts/${account.id}/portals`, {
      slug: `flow-${dialect}`,
      type: "question",
      name: "Flow",
      agentIds: [agent.id],
    });
    expect(portal.status).toBe(201);

    const agentCookie = await login(app, agent.email);
    const wsUrl = live.baseUrl.replace("http", "ws");
    const origin = live.baseUrl;
    const agentWs = await SocketClient.connect<AgentServerMessage>(`${wsUrl}/ws`, {
      cookie: agentCookie,
      origin,
    });
    await agentWs.next((m) => m.type === "snapshot");
    const avail = await fetch(`${live.baseUrl}/api/v1/console/availability`, {
      method: "PUT",
      headers: { cookie: agentCookie, origin, "content-type": "application/json" },
      body: JSON.stringify({ available: true }),
    });
    expect(avail.status).toBe(200);

    const submit = await fetch(`${live.baseUrl}/api/v1/portals/flow-${dialect}/requests`, {
      method: "POST",
      headers: { origin, "content-type": "application/json" },
      body: JSON.stringify({ values: { name: "Carla", question: "My printer is on fire" } }),
    });
    expect(submit.status).toBe(201);
    const { requestId } = (await submit.json()) as { requestId: string };
    const customerCookie = submit.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    const alert = await agentWs.next((m) => m.type === "alert");
    expect(alert.type === "alert" && alert.request.question).toBe("My printer is on fire");

    const customerWs = await SocketClient.connect<CustomerServerMessage>(`${wsUrl}/ws?request=${requestId}`, {
      cookie: customerCookie,
      origin,
    });
    await customerWs.next((m) => m.type === "status" && m.status.state === "waiting");

    const accepted = await fetch(`${live.baseUrl}/api/v1/requests/${requestId}/accept`, {
      method: "POST",
      headers: { cookie: agentCookie, origin },
    });
    expect(accepted.status).toBe(200);
    await customerWs.next((m) => m.type === "status" && m.status.state === "accepted");

    customerWs.send({ type: "send", body: "hello agent", ref: "c1" });
    await customerWs.next((m) => m.type === "ack" && m.ref === "c1");
    const got = await agentWs.next((m) => m.type === "message");
    expect(got.type === "message" && got.message.body).toBe("hello agent");

    agentWs.send({ type: "send", sessionId: requestId, body: "hello customer", ref: "a1" });
    const reply = await customerWs.next((m) => m.type === "message" && m.message.sender === "agent");
    expect(reply.type === "message" && reply.message.seq).toBe(2);

    customerWs.send("not json");
    await customerWs.next((m) => m.type === "error" && m.code === "bad_message");
    expect(ORIGIN).toBeDefined();
    await agentWs.close();
    await customerWs.close();
  });
});
