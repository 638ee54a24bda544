import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepRequests } from "../../src/server/sweeper.js";
import type {
  ApiError,
  Delivery,
  DeliveryAttempt,
  Integrations,
  NewApiToken,
  Portal,
  Webhook,
  WebhookWithSecret,
} from "../../src/shared/api.js";
import { WEBHOOK_EVENT_TYPES } from "../../src/shared/api.js";
import { expectError, NO_SUCH_ID } from "../support/api.js";
import { type Call, call, login, seedAccount, seedUser, startTestApp, type TestApp } from "../support/app.js";
import { dialects } from "../support/databases.js";
import {
  type Agent,
  type AgentSocket,
  accept,
  ask,
  createPortal,
  onlineAgent,
  patchUser,
  seedAgent,
  seedTenant,
  startWorld,
  type Tenant,
  type World,
} from "../support/scenario.js";
import { startSmtp, type TestSmtp, toAddresses } from "../support/smtp.js";
import {
  type ReceivedRequest,
  startWebhookReceiver,
  typeOf,
  type WebhookEnvelope,
  type WebhookReceiver,
} from "../support/webhookReceiver.js";

/**
 * A 400 naming `field` (with that problem code when given). Domain checks answer with the problem
 * code as the error; schema checks with "validation".
 */
function expectField(r: Call, field: string, code?: string): ApiError {
  if (r.status !== 400)
    throw new Error(`expected 400 naming ${field}, got ${r.status} ${JSON.stringify(r.body)}`);
  const body = r.body as ApiError;
  expect(Object.keys(body.fields ?? {}), JSON.stringify(body)).toContain(field);
  if (code !== undefined) {
    expect(body.fields?.[field]?.code, JSON.stringify(body)).toBe(code);
    expect([code, "validation"]).toContain(body.error);
  }
  expect(body.message.length).toBeGreaterThan(0);
  return body;
}

/**
 * Issue 14: webhooks. Real receivers (node:http on 127.0.0.1) get signed deliveries from the
 * server's outbox; every body is checked with the standardwebhooks library against the secret.
 */

const ENV = {
  HELPGATE_WEBHOOKS_ALLOW_PRIVATE: "1",
  HELPGATE_OUTBOX_POLL_MS: "50",
  HELPGATE_WEBHOOK_TIMEOUT_MS: "300",
};

type Data = Record<string, unknown>;
const obj = (v: unknown): Data => (v && typeof v === "object" ? (v as Data) : {});

describe.each(dialects())("webhooks on %s", (dialect) => {
  let world: World;
  const receivers: WebhookReceiver[] = [];
  const sockets: AgentSocket[] = [];

  beforeAll(async () => {
    world = await startWorld(dialect, ENV);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await Promise.all(receivers.map((r) => r.close()));
    await world?.close();
  });

  async function receiver(respond?: Parameters<typeof startWebhookReceiver>[0]): Promise<WebhookReceiver> {
    const r = await startWebhookReceiver(respond);
    receivers.push(r);
    return r;
  }

  const hooksUrl = (t: Tenant) => `/api/v1/accounts/${t.account.id}/webhooks`;

  async function createHook(
    t: Tenant,
    url: string,
    events: readonly string[] = WEBHOOK_EVENT_TYPES,
    extra: Data = {},
  ): Promise<WebhookWithSecret> {
    const r = await call(world.app, t.adminCookie, "POST", hooksUrl(t), { url, events, ...extra });
    if (r.status !== 201) throw new Error(`webhook not created: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as WebhookWithSecret;
  }

  async function deliveries(t: Tenant, query = ""): Promise<Delivery[]> {
    const r = await call(
      world.app,
      t.adminCookie,
      "GET",
      `/api/v1/accounts/${t.account.id}/deliveries${query}`,
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as Delivery[];
  }

  async function attempts(t: Tenant, hook: Webhook): Promise<DeliveryAttempt[]> {
    const r = await call(world.app, t.adminCookie, "GET", `${hooksUrl(t)}/${hook.id}/attempts`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as DeliveryAttempt[];
  }

  /** Polls the deliveries list until `check` holds for the delivery (the outbox works on its own time). */
  async function deliveryUntil(
    t: Tenant,
    id: string,
    check: (d: Delivery) => boolean,
    timeoutMs = 15_000,
  ): Promise<Delivery> {
    const until = Date.now() + timeoutMs;
    let last: Delivery | undefined;
    while (Date.now() < until) {
      last = (await deliveries(t)).find((d) => d.id === id);
      if (last && check(last)) return last;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`delivery ${id} did not reach the expected state: ${JSON.stringify(last)}`);
  }

  /**
   * Makes a retry due: the server's clock skips past the longest first back-off (5 s with jitter),
   * so the test need not wait for it in real time (well inside standardwebhooks' 5-minute tolerance).
   */
  const skipBackoff = () => world.clock.advance(6_000);

  const isEvent =
    (type: string, check: (data: Data) => boolean = () => true) =>
    (r: ReceivedRequest) => {
      if (typeOf(r) !== type) return false;
      try {
        return check(obj((JSON.parse(r.rawBody) as WebhookEnvelope).data));
      } catch {
        return false;
      }
    };

  async function arrived(rc: WebhookReceiver, type: string, check?: (data: Data) => boolean, ms = 10_000) {
    const list = await rc.waitFor(isEvent(type, check), ms);
    const last = list[list.length - 1];
    if (!last) throw new Error("no request");
    return last;
  }

  describe("the API", () => {
    it("creates, lists, reads, patches and deletes a webhook; the secret is shown only when created", async () => {
      const t = await seedTenant(world, "wh-crud");
      const rc = await receiver();
      const created = await createHook(t, rc.url, ["request.submitted", "session.ended"], {
        description: "CRM sync",
      });
      expect(created).toMatchObject({
        accountId: t.account.id,
        url: rc.url,
        description: "CRM sync",
        events: ["request.submitted", "session.ended"],
        enabled: true,
        disabledReason: null,
        failingSince: null,
      });
      expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
      expect(created.secret.startsWith(created.secretPreview.replace(/…$/, ""))).toBe(true);
      expect(created.secretPreview.length).toBeLessThan(created.secret.length);

      const list = await call(world.app, t.adminCookie, "GET", hooksUrl(t));
      expect(list.status).toBe(200);
      const listed = list.body as Webhook[];
      expect(listed.map((h) => h.id)).toEqual([created.id]);
      expect(list.res.body).not.toContain(created.secret);
      expect("secret" in (listed[0] ?? {})).toBe(false);

      const one = await call(world.app, t.adminCookie, "GET", `${hooksUrl(t)}/${created.id}`);
      expect(one.status).toBe(200);
      expect(one.res.body).not.toContain(created.secret);
      expect((one.body as Webhook).stats).toMatchObject({ pending: 0, dead: 0 });

      const patched = await call(world.app, t.adminCookie, "PATCH", `${hooksUrl(t)}/${created.id}`, {
        events: ["session.started"],
        description: "Only starts",
        enabled: false,
      });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      expect(patched.body).toMatchObject({
        id: created.id,
        events: ["session.started"],
        description: "Only starts",
        enabled: false,
      });
      expect(patched.res.body).not.toContain(created.secret);
      const badPatch = await call(world.app, t.adminCookie, "PATCH", `${hooksUrl(t)}/${created.id}`, {
        url: "ftp://example.com/x",
      });
      expectField(badPatch, "url");

      const integrations = await call(
        world.app,
        t.adminCookie,
        "GET",
        `/api/v1/accounts/${t.account.id}/integrations`,
      );
      expect(integrations.status).toBe(200);
      const i = integrations.body as Integrations;
      expect(i.webhookEvents).toEqual([...WEBHOOK_EVENT_TYPES]);
      expect(i.allowPrivateTargets).toBe(true);

      expect((await call(world.app, t.adminCookie, "DELETE", `${hooksUrl(t)}/${created.id}`)).status).toBe(
        204,
      );
      expectError(
        await call(world.app, t.adminCookie, "GET", `${hooksUrl(t)}/${created.id}`),
        404,
        "not_found",
      );
      expect((await call(world.app, t.adminCookie, "GET", hooksUrl(t))).body).toEqual([]);
      expectError(
        await call(world.app, t.adminCookie, "GET", `${hooksUrl(t)}/${NO_SUCH_ID}`),
        404,
        "not_found",
      );
    });

    it("answers bad inputs with 400 naming the field", async () => {
      const t = await seedTenant(world, "wh-bad");
      const post = (body: Data) => call(world.app, t.adminCookie, "POST", hooksUrl(t), body);
      const good = { url: "https://93.184.215.14/hook", events: ["request.submitted"] };
      for (const url of ["ftp://example.com/hook", "not a url", "javascript:alert(1)", "", "http://"]) {
        expectField(await post({ ...good, url }), "url");
      }
      expectField(await post({ ...good, url: `https://example.com/${"x".repeat(3000)}` }), "url", "too_long");
      expectField(await post({ ...good, secret: `whsec_${"A".repeat(1000)}` }), "secret", "too_long");
      expectField(await post({ ...good, secret: "whsec_abc" }), "secret");
      const unknown = expectField(
        await post({ ...good, events: ["request.submitted", "pizza.ordered"] }),
        "events",
        "unknown_event",
      );
      const param = unknown.params?.event ?? unknown.fields?.events?.params?.event;
      expect(param).toBe("pizza.ordered");
      expectField(await post({ ...good, events: [] }), "events", "no_events");
      // Nothing was created by any of these.
      expect((await call(world.app, t.adminCookie, "GET", hooksUrl(t))).body).toEqual([]);
      // A secret of the caller's own, in the standard form, is taken.
      const own = `whsec_${Buffer.from("0123456789abcdef0123456789abcdef").toString("base64")}`;
      const withSecret = await post({ ...good, secret: own });
      expect(withSecret.status, JSON.stringify(withSecret.body)).toBe(201);
      expect((withSecret.body as WebhookWithSecret).secret).toBe(own);
    });

    it("allows 20 webhooks per account (409 too_many_webhooks), and takes another after a delete", async () => {
      const t = await seedTenant(world, "wh-cap");
      const made: WebhookWithSecret[] = [];
      for (let i = 0; i < 20; i++)
        made.push(await createHook(t, `https://93.184.215.14/hook/${i}`, ["request.submitted"]));
      const over = await call(world.app, t.adminCookie, "POST", hooksUrl(t), {
        url: "https://93.184.215.14/hook/21",
        events: ["request.submitted"],
      });
      expectError(over, 409, "too_many_webhooks");
      expect((await call(world.app, t.adminCookie, "GET", hooksUrl(t))).body).toHaveLength(20);
      const first = made[0] as WebhookWithSecret;
      expect((await call(world.app, t.adminCookie, "DELETE", `${hooksUrl(t)}/${first.id}`)).status).toBe(204);
      await createHook(t, "https://93.184.215.14/hook/21", ["request.submitted"]);
    });

    it("holds the limit of 20 under concurrent creates", async () => {
      const t = await seedTenant(world, "wh-cap-race");
      const answers = await Promise.all(
        Array.from({ length: 26 }, (_, i) =>
          call(world.app, t.adminCookie, "POST", hooksUrl(t), {
            url: `https://93.184.215.14/race/${i}`,
            events: ["request.submitted"],
          }),
        ),
      );
      const created = answers.filter((a) => a.status === 201).length;
      const refused = answers.filter((a) => a.status === 409).length;
      expect([created, refused]).toEqual([20, 6]);
      expect((await call(world.app, t.adminCookie, "GET", hooksUrl(t))).body).toHaveLength(20);
    });

    it("keeps accounts apart (404) and lets only admins in (agents and managers 403)", async () => {
      const a = await seedTenant(world, "wh-iso-a");
      const b = await seedTenant(world, "wh-iso-b");
      const rc = await receiver();
      const hook = await createHook(a, rc.url, ["request.submitted"]);
      const test = await call(world.app, a.adminCookie, "POST", `${hooksUrl(a)}/${hook.id}/test`);
      expect(test.status, JSON.stringify(test.body)).toBe(202);
      const delivery = test.body as Delivery;
      await rc.waitFor(1);

      const bCookie = b.adminCookie;
      const aBase = `/api/v1/accounts/${a.account.id}`;
      const bBase = `/api/v1/accounts/${b.account.id}`;
      const foreign: [Call, string][] = [
        [await call(world.app, bCookie, "GET", `${aBase}/webhooks`), "list A"],
        [await call(world.app, bCookie, "GET", `${aBase}/deliveries`), "deliveries A"],
        [await call(world.app, bCookie, "GET", `${aBase}/integrations`), "integrations A"],
        [
          await call(world.app, bCookie, "POST", `${aBase}/webhooks`, {
            url: rc.url,
            events: ["request.submitted"],
          }),
          "create in A",
        ],
        [await call(world.app, bCookie, "GET", `${bBase}/webhooks/${hook.id}`), "read via B"],
        [
          await call(world.app, bCookie, "PATCH", `${bBase}/webhooks/${hook.id}`, { enabled: false }),
          "patch via B",
        ],
        [await call(world.app, bCookie, "DELETE", `${bBase}/webhooks/${hook.id}`), "delete via B"],
        [
          await call(world.app, bCookie, "POST", `${bBase}/webhooks/${hook.id}/rotate-secret`),
          "rotate via B",
        ],
        [await call(world.app, bCookie, "POST", `${bBase}/webhooks/${hook.id}/test`), "test via B"],
        [await call(world.app, bCookie, "GET", `${bBase}/webhooks/${hook.id}/attempts`), "attempts via B"],
        [
          await call(world.app, bCookie, "POST", `${bBase}/deliveries/${delivery.id}/redeliver`),
          "redeliver via B",
        ],
        [
          await call(world.app, bCookie, "PATCH", `${aBase}/webhooks/${hook.id}`, { enabled: false }),
          "patch in A",
        ],
        [await call(world.app, bCookie, "DELETE", `${aBase}/webhooks/${hook.id}`), "delete in A"],
        [
          await call(world.app, bCookie, "POST", `${aBase}/deliveries/${delivery.id}/redeliver`),
          "redeliver in A",
        ],
      ];
      for (const [r, what] of foreign) expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBe(404);
      expect((await call(world.app, bCookie, "GET", `${bBase}/deliveries`)).body).toEqual([]);
      expect((await call(world.app, bCookie, "GET", `${bBase}/webhooks`)).body).toEqual([]);
      // A's webhook is untouched and still enabled, and nothing was redelivered.
      const still = await call(world.app, a.adminCookie, "GET", `${hooksUrl(a)}/${hook.id}`);
      expect(still.status).toBe(200);
      expect((still.body as Webhook).enabled).toBe(true);
      expect(rc.requests).toHaveLength(1);

      // Agents and managers of A itself: 403 on every route.
      const agent = await seedAgent(world, a, "wh-agent");
      const managerUser = await seedUser(world.app, a.account.id, `manager@${a.tag}.example`, "manager");
      const manager = await login(world.app, managerUser.email);
      for (const [who, cookie] of [
        ["agent", agent.cookie],
        ["manager", manager],
      ] as const) {
        const attemptsOf = [
          await call(world.app, cookie, "GET", `${aBase}/webhooks`),
          await call(world.app, cookie, "POST", `${aBase}/webhooks`, {
            url: rc.url,
            events: ["request.submitted"],
          }),
          await call(world.app, cookie, "GET", `${aBase}/webhooks/${hook.id}`),
          await call(world.app, cookie, "PATCH", `${aBase}/webhooks/${hook.id}`, { enabled: false }),
          await call(world.app, cookie, "DELETE", `${aBase}/webhooks/${hook.id}`),
          await call(world.app, cookie, "POST", `${aBase}/webhooks/${hook.id}/rotate-secret`),
          await call(world.app, cookie, "POST", `${aBase}/webhooks/${hook.id}/test`),
          await call(world.app, cookie, "GET", `${aBase}/webhooks/${hook.id}/attempts`),
          await call(world.app, cookie, "GET", `${aBase}/deliveries`),
          await call(world.app, cookie, "POST", `${aBase}/deliveries/${delivery.id}/redeliver`),
        ];
        for (const r of attemptsOf) expect(r.status, `${who}: ${JSON.stringify(r.body)}`).toBe(403);
        for (const r of attemptsOf) expectError(r, 403, "forbidden");
      }
      expect((await call(world.app, a.adminCookie, "GET", hooksUrl(a))).body).toHaveLength(1);
      expect(rc.requests).toHaveLength(1);
    });
  });

  describe("events", () => {
    interface Desk {
      tenant: Tenant;
      agent: Agent;
      ws: AgentSocket;
      portal: Portal;
    }
    async function desk(prefix: string): Promise<Desk> {
      const tenant = await seedTenant(world, prefix);
      const agent = await seedAgent(world, tenant, "dana");
      const portal = await createPortal(world, tenant, "question", [agent]);
      const ws = await onlineAgent(world, agent);
      sockets.push(ws);
      return { tenant, agent, ws, portal };
    }

    it("sends request.submitted, session.started, request.ended, session.ended and session.outcome, each signed", async () => {
      const d = await desk("wh-flow");
      const rc = await receiver();
      const hook = await createHook(d.tenant, rc.url);
      const s = await ask(world, d.portal.slug, { name: "Carla", question: "Printer on fire" });
      const submitted = await arrived(rc, "request.submitted", (x) => obj(x.request).id === s.requestId);
      const accepted = await accept(world, d.agent, s.requestId);
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
      const started = await arrived(rc, "session.started", (x) => obj(x.session).requestId === s.requestId);
      const reqEnded = await arrived(rc, "request.ended", (x) => obj(x.request).id === s.requestId);
      const end = await call(world.app, d.agent.cookie, "POST", `/api/v1/sessions/${s.requestId}/end`);
      expect(end.status).toBe(204);
      const sesEnded = await arrived(rc, "session.ended", (x) => obj(x.session).requestId === s.requestId);
      const outcome = await call(
        world.app,
        d.agent.cookie,
        "POST",
        `/api/v1/sessions/${s.requestId}/outcome`,
        {
          outcome: "resolved",
          ticket: "T-4711",
          notes: "Unplugged it",
        },
      );
      expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
      const sesOutcome = await arrived(rc, "session.outcome", (x) => obj(x.session).ticket === "T-4711");

      for (const r of [submitted, started, reqEnded, sesEnded, sesOutcome]) {
        const env = rc.verify(r, hook.secret);
        expect(r.method).toBe("POST");
        expect(r.headers["content-type"]).toContain("application/json");
        expect(r.headers["user-agent"]).toBe("Helpgate-Webhooks/1");
        expect(r.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
        expect(Math.abs(Number(r.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(120);
        expect(new Date(env.timestamp).toISOString()).toBe(env.timestamp);
        // A wrong secret does not verify.
        const wrong = `whsec_${Buffer.from("a-different-secret-of-32-bytes!!").toString("base64")}`;
        expect(() => rc.verify(r, wrong)).toThrow();
      }
      const ids = [submitted, started, reqEnded, sesEnded, sesOutcome].map((r) => r.headers["webhook-id"]);
      expect(new Set(ids).size).toBe(5);

      const sub = obj(rc.json(submitted).data);
      expect(obj(sub.request)).toMatchObject({
        id: s.requestId,
        sessionNumber: s.sessionNumber,
        portal: { id: d.portal.id, slug: d.portal.slug, name: d.portal.name },
        customer: { name: "Carla" },
        question: "Printer on fire",
      });
      const st = obj(rc.json(started).data);
      expect(obj(st.session)).toMatchObject({
        requestId: s.requestId,
        agent: { id: d.agent.user.id },
        endedAt: null,
      });
      expect(obj(st.request).id).toBe(s.requestId);
      expect(obj(obj(rc.json(reqEnded).data).request).outcome).toBe("accepted");
      const en = obj(obj(rc.json(sesEnded).data).session);
      expect(en).toMatchObject({ requestId: s.requestId, endedBy: "agent" });
      // The outcome form comes after the end: session.ended carries the fields (still empty), session.outcome fills them.
      expect(en).toHaveProperty("outcome");
      expect(en).toHaveProperty("ticket");
      expect(typeof en.endedAt).toBe("string");
      expect(obj(obj(rc.json(sesEnded).data).request).id).toBe(s.requestId);
      const oc = obj(obj(rc.json(sesOutcome).data).session);
      expect(oc).toMatchObject({ outcome: "resolved", ticket: "T-4711" });

      // The transcript URL works with an admin's cookie and with a sessions:read token, not without.
      const transcriptUrl = String(en.transcriptUrl);
      expect(
        transcriptUrl.startsWith(`${world.origin}/api/v1/accounts/${d.tenant.account.id}/sessions/`),
      ).toBe(true);
      expect(String(oc.transcriptUrl ?? transcriptUrl)).toBe(transcriptUrl);
      const withCookie = await fetch(transcriptUrl, { headers: { cookie: d.tenant.adminCookie } });
      expect(withCookie.status).toBe(200);
      expect(await withCookie.text()).toContain("Carla");
      const tokenRes = await call(
        world.app,
        d.tenant.adminCookie,
        "POST",
        `/api/v1/accounts/${d.tenant.account.id}/api-tokens`,
        {
          name: "transcripts",
          scopes: ["sessions:read"],
        },
      );
      expect(tokenRes.status, JSON.stringify(tokenRes.body)).toBe(201);
      const token = (tokenRes.body as NewApiToken).secret;
      const withToken = await fetch(transcriptUrl, { headers: { authorization: `Bearer ${token}` } });
      expect(withToken.status).toBe(200);
      expect(await withToken.text()).toContain("Carla");
      expect((await fetch(transcriptUrl)).status).toBe(401);

      // The deliveries list shows them delivered, with the receiver's status.
      const list = await deliveries(d.tenant, `?webhookId=${hook.id}`);
      for (const id of ids) {
        const dl = list.find((x) => x.id === id);
        expect(dl, String(id)).toBeDefined();
      }
      const done = await deliveryUntil(d.tenant, String(ids[0]), (x) => x.state === "delivered");
      expect(done).toMatchObject({ kind: "webhook", webhookId: hook.id, lastStatus: 200, attempts: 1 });
      expect(done.deliveredAt).not.toBeNull();
    });

    it("sends only the events a webhook subscribed to, and nothing to a disabled one", async () => {
      const d = await desk("wh-filter");
      const only = await receiver();
      const off = await receiver();
      await createHook(d.tenant, only.url, ["session.started"]);
      const disabled = await createHook(d.tenant, off.url);
      const patched = await call(
        world.app,
        d.tenant.adminCookie,
        "PATCH",
        `${hooksUrl(d.tenant)}/${disabled.id}`,
        {
          enabled: false,
        },
      );
      expect(patched.status).toBe(200);
      const s = await ask(world, d.portal.slug);
      expect((await accept(world, d.agent, s.requestId)).status).toBe(200);
      await arrived(only, "session.started", (x) => obj(x.session).requestId === s.requestId);
      // The outbox rows are written in the changes' transactions: only the subscribed event has one.
      const byType = (await deliveries(d.tenant)).map(
        (x) => `${x.webhookId === disabled.id ? "off" : "on"}:${x.eventType}`,
      );
      expect(byType).toEqual(["on:session.started"]);
      expect(only.requests.map(typeOf)).toEqual(["session.started"]);
      expect(off.requests).toHaveLength(0);
    });

    it("writes no delivery for a change that was refused (an accept over the session limit)", async () => {
      const d = await desk("wh-rollback");
      await patchUser(world, d.tenant, d.agent, { maxSessions: 1 });
      const rc = await receiver();
      const hook = await createHook(d.tenant, rc.url, ["session.started", "request.ended"]);
      const first = await ask(world, d.portal.slug, { name: "First", question: "One" });
      const second = await ask(world, d.portal.slug, { name: "Second", question: "Two" });
      expect((await accept(world, d.agent, first.requestId)).status).toBe(200);
      await arrived(rc, "session.started", (x) => obj(x.session).requestId === first.requestId);
      const refused = await accept(world, d.agent, second.requestId);
      expect(refused.status, JSON.stringify(refused.body)).toBe(409);
      // The outbox rows are written in the change's transaction: none for the refused accept.
      const types = (await deliveries(d.tenant, `?webhookId=${hook.id}`)).map((x) => x.eventType).sort();
      expect(types).toEqual(["request.ended", "session.started"]);
      // And the receiver never hears of the second request: a test event sent after it arrives alone.
      const marker = await call(
        world.app,
        d.tenant.adminCookie,
        "POST",
        `${hooksUrl(d.tenant)}/${hook.id}/test`,
      );
      expect(marker.status).toBe(202);
      await rc.waitFor((r) => r.headers["webhook-id"] === (marker.body as Delivery).id);
      const aboutSecond = rc.requests.filter((r) => r.rawBody.includes(second.requestId));
      expect(aboutSecond).toEqual([]);
    });
  });

  describe("races", () => {
    it("sends one session.started and one request.ended when five agents accept at once", async () => {
      const t = await seedTenant(world, "wh-race");
      const agents: Agent[] = [];
      for (let i = 0; i < 5; i++) agents.push(await seedAgent(world, t, `racer${i}`));
      const portal = await createPortal(world, t, "question", agents);
      for (const a of agents) sockets.push(await onlineAgent(world, a));
      const rc = await receiver();
      const hook = await createHook(t, rc.url, ["session.started", "request.ended"]);
      const s = await ask(world, portal.slug, { name: "Prize", question: "Who takes me?" });
      const answers = await Promise.all(agents.map((a) => accept(world, a, s.requestId)));
      expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
      const rows = await deliveries(t, `?webhookId=${hook.id}`);
      expect(rows.map((d) => d.eventType).sort()).toEqual(["request.ended", "session.started"]);
      await rc.waitFor(2);
      const marker = await call(world.app, t.adminCookie, "POST", `${hooksUrl(t)}/${hook.id}/test`);
      await rc.waitFor((r) => r.headers["webhook-id"] === (marker.body as Delivery).id);
      expect(rc.requests.map(typeOf).sort()).toEqual(["request.ended", "session.started", "webhook.test"]);
    });
  });

  describe("delivery", () => {
    it("retries after a 500 with the same webhook-id and delivers; the attempts log shows both", async () => {
      const t = await seedTenant(world, "wh-retry");
      const rc = await receiver({ respond: (_r, n) => ({ status: n === 1 ? 500 : 200 }) });
      const hook = await createHook(t, rc.url, ["request.submitted"]);
      const test = await call(world.app, t.adminCookie, "POST", `${hooksUrl(t)}/${hook.id}/test`);
      expect(test.status, JSON.stringify(test.body)).toBe(202);
      const delivery = test.body as Delivery;
      expect(delivery).toMatchObject({
        kind: "webhook",
        webhookId: hook.id,
        eventType: "webhook.test",
        state: "pending",
      });
      await rc.waitFor(1);
      const failed = await deliveryUntil(t, delivery.id, (x) => x.attempts === 1 && x.lastStatus === 500);
      expect(failed.state).toBe("pending");
      expect(failed.nextAttemptAt).not.toBeNull();
      expect(failed.lastError).not.toBeNull();
      const failing = (await call(world.app, t.adminCookie, "GET", `${hooksUrl(t)}/${hook.id}`))
        .body as Webhook;
      expect(failing.failingSince).not.toBeNull();
      skipBackoff();
      await rc.waitFor(2, 15_000);
      const done = await deliveryUntil(t, delivery.id, (x) => x.state === "delivered");
      expect(done).toMatchObject({ attempts: 2, lastStatus: 200 });
      const [first, second] = rc.requests as [ReceivedRequest, ReceivedRequest];
      expect(first.headers["webhook-id"]).toBe(delivery.id);
      expect(second.headers["webhook-id"]).toBe(delivery.id);
      // Each try is signed afresh; both verify, the body is the same event.
      expect(rc.verify(first, hook.secret)).toEqual(rc.verify(second, hook.secret));
      expect(rc.json(second)).toMatchObject({ type: "webhook.test", data: { webhookId: hook.id } });
      const log = await attempts(t, hook);
      expect(log.map((a) => [a.deliveryId, a.attempt, a.status])).toEqual([
        [delivery.id, 2, 200],
        [delivery.id, 1, 500],
      ]);
      expect(log[0]?.nextAttemptAt).toBeNull();
      expect(log[1]?.nextAttemptAt).not.toBeNull();
      const healthy = (await call(world.app, t.adminCookie, "GET", `${hooksUrl(t)}/${hook.id}`))
        .body as Webhook;
      expect(healthy.failingSince).toBeNull();
      expect(healthy.stats).toMatchObject({ pending: 0, dead: 0, lastStatus: 200 });
    });

    it("pages the attempts log; re-enabling clears failingSince", async () => {
      const t = await seedTenant(world, "wh-pages");
      const rc = await receiver({ respond: () => ({ status: 502 }) });
      const hook = await createHook(t, rc.url, ["request.submitted"]);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await call(world.app, t.adminCookie, "POST", `${hooksUrl(t)}/${hook.id}/test`);
        expect(r.status).toBe(202);
        ids.push((r.body as Delivery).id);
      }
      for (const id of ids) await deliveryUntil(t, id, (x) => x.attempts === 1);
      const all = await attempts(t, hook);
      expect(all).toHaveLength(3);
      expect(new Set(all.map((a) => a.deliveryId))).toEqual(new Set(ids));
      for (let i = 1; i < all.length; i++)
        expect((all[i - 1] as DeliveryAttempt).at).toBeGreaterThanOrEqual((all[i] as DeliveryAttempt).at);
      expect(all.every((a) => a.status === 502 && a.eventType === "webhook.test")).toBe(true);
      const page1 = (
        await call(world.app, t.adminCookie, "GET", `${hooksUrl(t)}/${hook.id}/attempts?limit=2`)
      ).body as DeliveryAttempt[];
      expect(page1.map((a) => a.id)).toEqual(all.slice(0, 2).map((a) => a.id));
      const last = page1[1] as DeliveryAttempt;
      const page2 = (
        await call(
          world.app,
          t.adminCookie,
          "GET",
          `${hooksUrl(t)}/${hook.id}/attempts?limit=2&before=${last.at}`,
        )
      ).body as DeliveryAttempt[];
      expect(page2.every((a) => a.at <= last.at)).toBe(true);
      expect(page2.map((a) => a.id)).toContain((all[2] as DeliveryAttempt).id);
      expect(page2.map((a) => a.id)).not.toContain((all[0] as DeliveryAttempt).id);

      const failing = (await call(world.app, t.adminCookie, "GET", `${hooksUrl(t)}/${hook.id}`))
        .body as Webhook;
      expect(failing.failingSince).not.toBeNull();
      expect(failing.stats).toMatchObject({ pending: 3, lastStatus: 502 });
      const off = await call(world.app, t.adminCookie, "PATCH", `${hooksUrl(t)}/${hook.id}`, {
        enabled: false,
      });
      expect((off.body as Webhook).enabled).toBe(false);
      const on = await call(world.app, t.adminCookie, "PATCH", `${hooksUrl(t)}/${hook.id}`, {
        enabled: true,
      });
      expect(on.status).toBe(200);
      expect(on.body).toMatchObject({ enabled: true, failingSince: null, disabledReason: null });
    });

    it("gives up on a receiver that hangs past HELPGATE_WEBHOOK_TIMEOUT_MS, records a timeout and retries", async () => {
      const t = await seedTenant(world, "wh-timeout");
      const rc = await receiver({ respond: (_r, n) => (n === 1 ? { hang: true } : { status: 204 }) });
      const hook = await createHook(t, rc.url, ["request.submitted"]);
      const test = await call(world.app, t.adminCookie, "POST", `${hooksUrl(t)}/${hook.id}/test`);
      expect(test.status).toBe(202);
      const delivery = test.body as Delivery;
      const failed = await deliveryUntil(t, delivery.id, (x) => x.attempts === 1 && x.state === "pending");
      expect(failed.lastError ?? "").toMatch(/time/i);
      expect(failed.lastStatus).toBeNull();
      // The sender gave up on its own (the receiver never answered) within about the timeout.
      await new Promise<void>((resolve, reject) => {
        const until = Date.now() + 5000;
        const tick = () => {
          if (rc.requests[0]?.aborted) resolve();
          else if (Date.now() > until) reject(new Error("the sender did not close the hung request"));
          else setTimeout(tick, 20);
        };
        tick();
      });
      const log1 = await attempts(t, hook);
      expect(log1).toHaveLength(1);
      expect(log1[0]).toMatchObject({ deliveryId: delivery.id, attempt: 1, status: null });
      expect(log1[0]?.error ?? "").toMatch(/time/i);
      expect(log1[0]?.durationMs ?? 0).toBeGreaterThanOrEqual(250);
      expect(log1[0]?.durationMs ?? 0).toBeLessThan(3000);
      skipBackoff();
      await deliveryUntil(t, delivery.id, (x) => x.state === "delivered");
      expect(rc.requests.map((r) => r.headers["webhook-id"])).toEqual([delivery.id, delivery.id]);
      expect((await attempts(t, hook)).map((a) => a.status)).toEqual([204, null]);
    });

    it("does not follow a redirect: a 3xx is a failed try", async () => {
      const t = await seedTenant(world, "wh-redirect");
      const elsewhere = await receiver();
      const rc = await receiver({
        respond: () => ({ status: 307, headers: { location: elsewhere.url } }),
      });
      const hook = await createHook(t, rc.url, ["request.submitted"]);
      const test = await call(world.app, t.adminCookie, "POST", `${hooksUrl(t)}/${hook.id}/test`);
      const failed = await deliveryUntil(t, (test.body as Delivery).id, (x) => x.attempts === 1);
      expect(failed).toMatchObject({ state: "pending", lastStatus: 307 });
      expect(rc.requests).toHaveLength(1);
      expect(elsewhere.requests).toHaveLength(0);
    });

    it("sends a test event and redelivers a delivered one under the same id", async () => {
      const t = await seedTenant(world, "wh-redeliver");
      const rc = await receiver();
      const hook = await createHook(t, rc.url, ["session.ended"]);
      const test = await call(world.app, t.adminCookie, "POST", `${hooksUrl(t)}/${hook.id}/test`);
      expect(test.status).toBe(202);
      const delivery = test.body as Delivery;
      const [got] = await rc.waitFor(1);
      if (!got) throw new Error("no test event");
      expect(rc.verify(got, hook.secret)).toMatchObject({
        type: "webhook.test",
        data: { webhookId: hook.id },
      });
      expect(typeof obj(rc.json(got).data).message).toBe("string");
      await deliveryUntil(t, delivery.id, (x) => x.state === "delivered");

      const again = await call(
        world.app,
        t.adminCookie,
        "POST",
        `/api/v1/accounts/${t.account.id}/deliveries/${delivery.id}/redeliver`,
      );
      expect(again.status, JSON.stringify(again.body)).toBe(202);
      expect(again.body).toMatchObject({ id: delivery.id, state: "pending" });
      const both = await rc.waitFor(2);
      expect(both.map((r) => r.headers["webhook-id"])).toEqual([delivery.id, delivery.id]);
      expect(rc.verify(both[1] as ReceivedRequest, hook.secret)).toMatchObject({ type: "webhook.test" });
      await deliveryUntil(t, delivery.id, (x) => x.state === "delivered");
      expectError(
        await call(
          world.app,
          t.adminCookie,
          "POST",
          `/api/v1/accounts/${t.account.id}/deliveries/${NO_SUCH_ID}/redeliver`,
        ),
        404,
        "not_found",
      );
      // Filters of the deliveries list.
      expect((await deliveries(t, "?kind=webhook")).map((x) => x.id)).toEqual([delivery.id]);
      expect(await deliveries(t, "?kind=email")).toEqual([]);
      expect((await deliveries(t, "?state=delivered")).map((x) => x.id)).toEqual([delivery.id]);
      expect(await deliveries(t, "?state=dead")).toEqual([]);
    });

    it("rotates the secret: later deliveries verify with the new one only", async () => {
      const t = await seedTenant(world, "wh-rotate");
      const rc = await receiver();
      const hook = await createHook(t, rc.url, ["request.submitted"]);
      const rotated = await call(world.app, t.adminCookie, "POST", `${hooksUrl(t)}/${hook.id}/rotate-secret`);
      expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
      const fresh = rotated.body as WebhookWithSecret;
      expect(fresh.id).toBe(hook.id);
      expect(fresh.secret).toMatch(/^whsec_/);
      expect(fresh.secret).not.toBe(hook.secret);
      expect(fresh.secretPreview).not.toBe(hook.secretPreview);
      const listed = await call(world.app, t.adminCookie, "GET", hooksUrl(t));
      expect(listed.res.body).not.toContain(fresh.secret);
      expect((await call(world.app, t.adminCookie, "POST", `${hooksUrl(t)}/${hook.id}/test`)).status).toBe(
        202,
      );
      const [got] = await rc.waitFor(1);
      if (!got) throw new Error("no test event");
      expect(rc.verify(got, fresh.secret)).toMatchObject({ type: "webhook.test" });
      expect(() => rc.verify(got, hook.secret)).toThrow();
    });

    it("stops the pending deliveries of a deleted webhook", async () => {
      const t = await seedTenant(world, "wh-delete");
      const rc = await receiver({ respond: () => ({ status: 503 }) });
      const hook = await createHook(t, rc.url, ["request.submitted"]);
      const test = await call(world.app, t.adminCookie, "POST", `${hooksUrl(t)}/${hook.id}/test`);
      const delivery = test.body as Delivery;
      await deliveryUntil(t, delivery.id, (x) => x.attempts === 1);
      expect((await call(world.app, t.adminCookie, "DELETE", `${hooksUrl(t)}/${hook.id}`)).status).toBe(204);
      const after = (await deliveries(t)).find((x) => x.id === delivery.id);
      expect(after === undefined || after.state === "dead").toBe(true);
      rc.respond(() => ({ status: 200 }));
      skipBackoff();
      // A later test event of another webhook arrives; the deleted one's delivery never comes back.
      const rc2 = await receiver();
      const other = await createHook(t, rc2.url, ["request.submitted"]);
      const marker = await call(world.app, t.adminCookie, "POST", `${hooksUrl(t)}/${other.id}/test`);
      expect(marker.status).toBe(202);
      await rc2.waitFor(1);
      await deliveryUntil(t, (marker.body as Delivery).id, (x) => x.state === "delivered");
      expect(rc.requests).toHaveLength(1);
    });
  });
});

describe.each(dialects())("webhook targets without HELPGATE_WEBHOOKS_ALLOW_PRIVATE on %s", (dialect) => {
  let app: TestApp;
  let cookie: string;
  let base: string;
  beforeAll(async () => {
    app = await startTestApp(dialect, { HELPGATE_OUTBOX_POLL_MS: "50" });
    const seeded = await seedAccount(app, "wh-private");
    cookie = await login(app, seeded.admin.email);
    base = `/api/v1/accounts/${seeded.account.id}`;
  });
  afterAll(async () => {
    await app?.close();
  });

  it("refuses loopback, private, link-local and localhost targets (400 url private_target)", async () => {
    for (const url of [
      "http://127.0.0.1/hook",
      "http://127.0.0.1:8080/hook",
      "http://10.0.0.1/hook",
      "http://192.168.1.20/hook",
      "http://169.254.169.254/latest/meta-data",
      "http://[::1]/hook",
      "http://[::1]:8080/hook",
      "http://localhost/hook",
      "http://LOCALHOST:3000/hook",
      "http://api.localhost/hook",
      // The same places written differently: the URL parser's forms of 127.0.0.1, IPv4-mapped IPv6.
      "http://2130706433/hook",
      "http://0x7f.0.0.1/hook",
      "http://127.1/hook",
      "http://0.0.0.0/hook",
      "http://[::ffff:127.0.0.1]/hook",
      "http://[::ffff:a9fe:a9fe]/hook",
      "http://[fd00::1]/hook",
      "http://[fe80::1]/hook",
      "http://100.64.0.1/hook",
      "http://172.16.0.1/hook",
    ]) {
      const r = await call(app, cookie, "POST", `${base}/webhooks`, { url, events: ["request.submitted"] });
      expect(r.status, `${url}: ${JSON.stringify(r.body)}`).toBe(400);
      const body: ApiError = expectField(r, "url", "private_target");
      expect(body.message.length, url).toBeGreaterThan(0);
    }
    const integrations = await call(app, cookie, "GET", `${base}/integrations`);
    expect((integrations.body as Integrations).allowPrivateTargets).toBe(false);
    // A public address is fine.
    const ok = await call(app, cookie, "POST", `${base}/webhooks`, {
      url: "https://93.184.215.14/hook",
      events: ["request.submitted"],
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    // And a patch cannot move it onto a private address either.
    const moved = await call(app, cookie, "PATCH", `${base}/webhooks/${(ok.body as Webhook).id}`, {
      url: "http://169.254.169.254/",
    });
    expectField(moved, "url", "private_target");
  });
});

describe.each(dialects())("a webhook failing for days on %s", (dialect) => {
  let smtp: TestSmtp;
  let world: World;
  let rc: WebhookReceiver;
  beforeAll(async () => {
    smtp = await startSmtp();
    world = await startWorld(dialect, { ...ENV, SMTP_URL: smtp.url });
    rc = await startWebhookReceiver({ respond: () => ({ status: 500 }) });
  });
  afterAll(async () => {
    await world?.close();
    await rc?.close();
    await smtp?.close();
  });

  /** Skips the server's clock once no delivery is in flight (a jump mid-try would expire its lease). */
  async function skip(ms: number): Promise<void> {
    const until = Date.now() + 10_000;
    for (;;) {
      const inFlight = await world.app.deps.db.kysely
        .selectFrom("outbox")
        .select("id")
        .where("state", "=", "pending")
        .where("lease_until", "is not", null)
        .execute();
      if (inFlight.length === 0) break;
      if (Date.now() > until) throw new Error("deliveries stayed in flight");
      await new Promise((r) => setTimeout(r, 20));
    }
    world.clock.advance(ms);
  }

  it("gives a delivery up after 24 h, switches the endpoint off after 72 h and emails the admins", async () => {
    const t = await seedTenant(world, "wh-days");
    // Days pass on the server's clock; the admin signs in again after each jump.
    let cookie = t.adminCookie;
    const base = `/api/v1/accounts/${t.account.id}`;
    const created = await call(world.app, cookie, "POST", `${base}/webhooks`, {
      url: rc.url,
      events: ["request.submitted"],
    });
    expect(created.status).toBe(201);
    const hook = created.body as WebhookWithSecret;
    const test = await call(world.app, cookie, "POST", `${base}/webhooks/${hook.id}/test`);
    const id = (test.body as Delivery).id;
    const list = async (): Promise<Delivery[]> => {
      const r = await call(world.app, cookie, "GET", `${base}/deliveries`);
      if (r.status !== 200) throw new Error(`deliveries: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as Delivery[];
    };
    const until = async (check: (d: Delivery | undefined) => boolean, what: string) => {
      const end = Date.now() + 15_000;
      for (;;) {
        const d = (await list()).find((x) => x.id === id);
        if (check(d)) return d;
        if (Date.now() > end) throw new Error(`${what}: ${JSON.stringify(d)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await until((d) => (d?.attempts ?? 0) >= 1, "first try");
    // 25 hours on: the next try fails too, and the delivery is given up.
    await skip(25 * 3_600_000);
    cookie = await login(world.app, t.admin.email);
    const dead = await until((d) => d?.state === "dead", "dead after 24 h");
    expect(dead?.attempts).toBeGreaterThanOrEqual(2);
    expect((await call(world.app, cookie, "GET", `${base}/deliveries?state=dead`)).body).toHaveLength(1);

    // A second delivery keeps failing; 72 hours after the first failure the endpoint is switched off.
    const second = await call(world.app, cookie, "POST", `${base}/webhooks/${hook.id}/test`);
    const secondId = (second.body as Delivery).id;
    const end = Date.now() + 15_000;
    while (!(await list()).some((x) => x.id === secondId && x.attempts >= 1)) {
      if (Date.now() > end) throw new Error("second delivery never tried");
      await new Promise((r) => setTimeout(r, 50));
    }
    await skip(48 * 3_600_000);
    cookie = await login(world.app, t.admin.email);
    const deadline = Date.now() + 15_000;
    let w: Webhook;
    for (;;) {
      w = (await call(world.app, cookie, "GET", `${base}/webhooks/${hook.id}`)).body as Webhook;
      if (!w.enabled) break;
      if (Date.now() > deadline) throw new Error(`not switched off: ${JSON.stringify(w)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(w.disabledReason).not.toBeNull();
    expect(w.failingSince).not.toBeNull();
    const d2 = (await list()).find((x) => x.id === secondId);
    expect(d2?.state).toBe("dead");
    const mail = await smtp.waitFor((m) => toAddresses(m).includes(t.admin.email.toLowerCase()));
    expect(mail.subject).toContain(rc.url);
    // Switching it on again clears the reason; new events go out again.
    const on = await call(world.app, cookie, "PATCH", `${base}/webhooks/${hook.id}`, {
      enabled: true,
    });
    expect(on.body).toMatchObject({ enabled: true, disabledReason: null, failingSince: null });
    rc.respond(() => ({ status: 200 }));
    const third = await call(world.app, cookie, "POST", `${base}/webhooks/${hook.id}/test`);
    const thirdId = (third.body as Delivery).id;
    await rc.waitFor((r) => r.headers["webhook-id"] === thirdId && r.answeredStatus === 200);
    // A dead delivery can be sent again by hand, under its own id.
    const again = await call(world.app, cookie, "POST", `${base}/deliveries/${id}/redeliver`);
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    expect(again.body).toMatchObject({ id, state: "pending" });
    await rc.waitFor((r) => r.headers["webhook-id"] === id && r.answeredStatus === 200);
    await until((d) => d?.state === "delivered", "redelivered");
  });
});

describe.each(dialects())("the other webhook events on %s", (dialect) => {
  let world: World;
  const receivers: WebhookReceiver[] = [];
  const sockets: AgentSocket[] = [];
  beforeAll(async () => {
    world = await startWorld(dialect, ENV);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await Promise.all(receivers.map((r) => r.close()));
    await world?.close();
  });

  async function hooked(t: Tenant): Promise<{ rc: WebhookReceiver; secret: string }> {
    const rc = await startWebhookReceiver();
    receivers.push(rc);
    const r = await call(world.app, t.adminCookie, "POST", `/api/v1/accounts/${t.account.id}/webhooks`, {
      url: rc.url,
      events: [...WEBHOOK_EVENT_TYPES],
    });
    expect(r.status).toBe(201);
    return { rc, secret: (r.body as WebhookWithSecret).secret };
  }

  async function event(rc: WebhookReceiver, secret: string, type: string, check: (d: Data) => boolean) {
    const list = await rc.waitFor((r) => {
      if (typeOf(r) !== type) return false;
      return check(obj((JSON.parse(r.rawBody) as WebhookEnvelope).data));
    });
    const r = list[list.length - 1] as ReceivedRequest;
    return obj(rc.verify(r, secret).data);
  }

  it("sends offline_message.received, request.ended canceled, survey.answered and code.redeemed", async () => {
    const t = await seedTenant(world, "wh-more");
    const { rc, secret } = await hooked(t);
    const agent = await seedAgent(world, t, "dana");
    const portal = await createPortal(world, t, "question", [agent]);
    const left = await call(world.app, null, "POST", `/api/v1/portals/${portal.slug}/offline`, {
      values: { name: "Olli", email: "olli@customer.example", question: "Call me" },
    });
    expect(left.status).toBe(201);
    const offline = await event(
      rc,
      secret,
      "offline_message.received",
      (d) => obj(d.request).question === "Call me",
    );
    expect(obj(offline.request)).toMatchObject({
      state: "offline",
      customer: { name: "Olli", email: "olli@customer.example" },
    });

    sockets.push(await onlineAgent(world, agent));
    const gone = await ask(world, portal.slug, { name: "Quitter", question: "Never mind" });
    const cancel = await call(
      world.app,
      gone.cookie,
      "POST",
      `/api/v1/customer/requests/${gone.requestId}/cancel`,
    );
    expect([200, 204]).toContain(cancel.status);
    const canceled = await event(rc, secret, "request.ended", (d) => obj(d.request).id === gone.requestId);
    expect(obj(canceled.request).outcome).toBe("canceled");
    expect(typeof obj(canceled.request).endedAt).toBe("string");

    const s = await ask(world, portal.slug, { name: "Rater", question: "Rate me" });
    expect((await accept(world, agent, s.requestId)).status).toBe(200);
    expect(
      (await call(world.app, s.cookie, "POST", `/api/v1/customer/requests/${s.requestId}/end`)).status,
    ).toBe(204);
    const ended = await event(rc, secret, "session.ended", (d) => obj(d.session).requestId === s.requestId);
    expect(obj(ended.session).endedBy).toBe("customer");
    const survey = await call(
      world.app,
      s.cookie,
      "POST",
      `/api/v1/customer/requests/${s.requestId}/survey`,
      {
        rating: 5,
        comment: "Great",
      },
    );
    expect(survey.status).toBe(204);
    const answered = await event(
      rc,
      secret,
      "survey.answered",
      (d) => obj(d.session).requestId === s.requestId,
    );
    expect(answered).toMatchObject({ rating: 5, comment: "Great" });

    const phone = await seedTenant(world, "wh-more-phone", "phone");
    const ph = await hooked(phone);
    const phoebe = await seedAgent(world, phone, "phoebe");
    const codePortal = await createPortal(world, phone, "code", [phoebe]);
    sockets.push(await onlineAgent(world, phoebe));
    const made = await call(world.app, phoebe.cookie, "POST", "/api/v1/codes", {
      portalId: codePortal.id,
      name: "Caller",
    });
    expect(made.status).toBe(201);
    const code = made.body as { id: string; code: string };
    const joined = await world.app.server.inject({
      method: "POST",
      url: "/api/v1/join",
      headers: { origin: world.origin },
      payload: { code: code.code },
    });
    expect(joined.statusCode, joined.body).toBe(201);
    const requestId = (JSON.parse(joined.body) as { requestId: string }).requestId;
    // Redeeming an agent's code connects the customer to that agent at once.
    const redeemed = await event(ph.rc, ph.secret, "code.redeemed", (d) => obj(d.request).id === requestId);
    expect(obj(redeemed.code)).toMatchObject({ id: code.id, agent: { id: phoebe.user.id } });
    expect(obj(redeemed.session).requestId).toBe(requestId);
    // Nothing of one account reached the other's endpoint.
    expect(rc.requests.some((r) => r.rawBody.includes(requestId))).toBe(false);
    expect(ph.rc.requests.some((r) => r.rawBody.includes(s.requestId))).toBe(false);
  });

  it("sends request.ended no_response when nobody answered", async () => {
    const t = await seedTenant(world, "wh-noanswer");
    const { rc, secret } = await hooked(t);
    const agent = await seedAgent(world, t, "dana");
    const portal = await createPortal(world, t, "question", [agent]);
    sockets.push(await onlineAgent(world, agent));
    const s = await ask(world, portal.slug, { name: "Waiter", question: "Hello?" });
    await event(rc, secret, "request.submitted", (d) => obj(d.request).id === s.requestId);
    world.clock.advance(11 * 60_000);
    await sweepRequests(world.app.deps);
    // The webhook-timestamp follows the server's (skipped) clock; check the body's signature only
    // where it is within the library's 5-minute tolerance, so read this one unverified.
    const list = await rc.waitFor((r) => typeOf(r) === "request.ended" && r.rawBody.includes(s.requestId));
    const r = list[list.length - 1] as ReceivedRequest;
    expect(obj(obj(rc.json(r).data).request).outcome).toBe("no_response");
  });
});
