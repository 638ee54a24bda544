import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pruneOld } from "../../src/server/sweeper.js";
import type { Delivery, Webhook } from "../../src/shared/api.js";
import { call, login, seedAccount, startTestApp, type TestApp } from "../support/app.js";
import { dialects } from "../support/databases.js";
import { startSmtp, type TestSmtp } from "../support/smtp.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhookReceiver.js";

const HOUR = 60 * 60_000;

/**
 * An endpoint whose every delivery fails for 72 hours is switched off, its waiting deliveries
 * are given up, and the account's admins are emailed; switched on again, it starts afresh.
 * The server's clock is moved instead of waiting three days.
 */
describe.each(dialects())("a webhook failing for days, on %s", (dialect) => {
  let app: TestApp;
  let smtp: TestSmtp;
  let receiver: WebhookReceiver;
  let clock = Date.now();

  beforeAll(async () => {
    smtp = await startSmtp();
    receiver = await startWebhookReceiver({ respond: () => ({ status: 503 }) });
    app = await startTestApp(
      dialect,
      { SMTP_URL: smtp.url, HELPGATE_WEBHOOKS_ALLOW_PRIVATE: "1", HELPGATE_OUTBOX_POLL_MS: "50" },
      { now: () => clock },
    );
  });
  afterAll(async () => {
    await app.close();
    await receiver.close();
    await smtp.close();
  });

  async function until<T>(what: () => Promise<T | null>, timeoutMs = 10_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await what();
      if (v !== null) return v;
      if (Date.now() > end) throw new Error("condition not met in time");
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it("switches the endpoint off after 72 hours, gives up its deliveries and tells the admins", async () => {
    const { account, admin } = await seedAccount(app, `disable-${dialect}`);
    // Sign-ins last 12 hours: the admin signs in again after each jump of the clock.
    let cookie = await login(app, admin.email);
    const base = `/api/v1/accounts/${account.id}`;
    const created = await call(app, cookie, "POST", `${base}/webhooks`, {
      url: receiver.url,
      events: ["session.ended"],
    });
    expect(created.status).toBe(201);
    const hook = created.body as Webhook;
    const first = (await call(app, cookie, "POST", `${base}/webhooks/${hook.id}/test`)).body as Delivery;
    // The first failure starts the clock of the endpoint.
    const failing = await until(async () => {
      const w = (await call(app, cookie, "GET", `${base}/webhooks/${hook.id}`)).body as Webhook;
      return w.failingSince !== null ? w : null;
    });
    expect(failing.enabled).toBe(true);
    expect(failing.stats.lastStatus).toBe(503);
    // 71 hours on: still failing, still on.
    clock += 71 * HOUR;
    cookie = await login(app, admin.email);
    const second = (await call(app, cookie, "POST", `${base}/webhooks/${hook.id}/test`)).body as Delivery;
    await until(async () => {
      const d = (await call(app, cookie, "GET", `${base}/deliveries?webhookId=${hook.id}`))
        .body as Delivery[];
      return d.find((x) => x.id === second.id && x.attempts >= 1) ?? null;
    });
    expect(((await call(app, cookie, "GET", `${base}/webhooks/${hook.id}`)).body as Webhook).enabled).toBe(
      true,
    );
    // Past 72 hours: the next failure switches it off.
    clock += 2 * HOUR;
    cookie = await login(app, admin.email);
    await call(app, cookie, "POST", `${base}/webhooks/${hook.id}/test`);
    const off = await until(async () => {
      const w = (await call(app, cookie, "GET", `${base}/webhooks/${hook.id}`)).body as Webhook;
      return w.enabled ? null : w;
    });
    expect(off.disabledReason).toMatch(/72 hours/);
    const mail = await smtp.waitFor((m) => m.subject?.startsWith("Webhook switched off") === true);
    expect(mail.to && "text" in mail.to ? mail.to.text : "").toContain(admin.email);
    expect(mail.text).toContain(receiver.url);
    expect(mail.text).toContain("/admin/integrations");
    // Nothing of it waits any more: every delivery is delivered or dead.
    const all = (await call(app, cookie, "GET", `${base}/deliveries?webhookId=${hook.id}`))
      .body as Delivery[];
    expect(all.filter((d) => d.state === "pending")).toEqual([]);
    expect(all.map((d) => d.id)).toContain(first.id);
    // A redeliver to a switched-off endpoint is refused with a reason, and so is a test event.
    expect((await call(app, cookie, "POST", `${base}/deliveries/${first.id}/redeliver`)).status).toBe(409);
    expect((await call(app, cookie, "POST", `${base}/webhooks/${hook.id}/test`)).status).toBe(409);
    // On again: a fresh start, and a healthy receiver gets the redelivery.
    receiver.respond(() => ({ status: 204 }));
    const on = (await call(app, cookie, "PATCH", `${base}/webhooks/${hook.id}`, { enabled: true }))
      .body as Webhook;
    expect(on.enabled).toBe(true);
    expect(on.failingSince).toBeNull();
    expect(on.disabledReason).toBeNull();
    expect((await call(app, cookie, "POST", `${base}/deliveries/${first.id}/redeliver`)).status).toBe(202);
    await receiver.waitFor(
      (r) => r.headers["webhook-id"] === first.id && receiver.byId(first.id).length >= 2,
    );
    const delivered = await until(async () => {
      const d = (await call(app, cookie, "GET", `${base}/deliveries?webhookId=${hook.id}`))
        .body as Delivery[];
      return d.find((x) => x.id === first.id && x.state === "delivered") ?? null;
    });
    expect(delivered.lastStatus).toBe(204);
    // A month on, what is over is forgotten: the deliveries and the log's tries.
    clock += 31 * 24 * HOUR;
    expect(await pruneOld(app.deps)).toBeGreaterThanOrEqual(3);
    cookie = await login(app, admin.email);
    expect((await call(app, cookie, "GET", `${base}/deliveries?webhookId=${hook.id}`)).body).toEqual([]);
    expect((await call(app, cookie, "GET", `${base}/webhooks/${hook.id}/attempts`)).body).toEqual([]);
  });
});
