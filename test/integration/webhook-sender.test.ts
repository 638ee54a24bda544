import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newWebhookSecret } from "../../src/server/domain/webhooks.js";
import { WebhookSender } from "../../src/server/outbox/webhookSender.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhookReceiver.js";

/**
 * The sender checks addresses again when it connects: a name that resolves to a private address
 * (here `localhost`, from /etc/hosts) is refused at connection time, whatever was checked when
 * the URL was saved — the defence against a DNS name that later points inward.
 */
describe("the webhook sender's connection-time address check", () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });

  const request = (url: string) => ({
    id: "d-1",
    url,
    secret: newWebhookSecret(),
    body: '{"type":"webhook.test"}',
    at: Date.now(),
  });

  it("refuses a name that resolves to loopback, and a literal private address, sending nothing", async () => {
    const sender = new WebhookSender({ timeoutMs: 2000, allowPrivate: false });
    try {
      const byName = await sender.send(request(`http://localhost:${receiver.port}/hook`));
      expect(byName.ok).toBe(false);
      expect(byName.error).toMatch(/refused: .*private address/);
      const literal = await sender.send(request(`http://127.0.0.1:${receiver.port}/hook`));
      expect(literal.ok).toBe(false);
      expect(literal.error).toMatch(/refused/);
      expect(receiver.requests).toHaveLength(0);
    } finally {
      sender.close();
    }
  });

  it("with private targets allowed, delivers signed to the same name", async () => {
    const sender = new WebhookSender({ timeoutMs: 2000, allowPrivate: true });
    try {
      const req = request(`http://localhost:${receiver.port}/hook`);
      const res = await sender.send(req);
      expect(res).toMatchObject({ ok: true, status: 200, error: null });
      const [got] = await receiver.waitFor(1);
      expect(got && receiver.verify(got, req.secret).type).toBe("webhook.test");
    } finally {
      sender.close();
    }
  });
});
