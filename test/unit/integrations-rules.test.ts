import { describe, expect, it } from "vitest";
import { renderEmail } from "../../src/server/domain/email.js";
import { DomainError } from "../../src/server/domain/errors.js";
import {
  afterAttempt,
  DISABLE_ENDPOINT_AFTER_MS,
  FIRST_RETRY_MS,
  GIVE_UP_AFTER_MS,
  MAX_RETRY_GAP_MS,
  retryDelay,
  shouldDisableEndpoint,
} from "../../src/server/domain/outbox.js";
import {
  checkEvents,
  checkSecret,
  checkWebhookUrl,
  isPrivateAddress,
  newWebhookSecret,
} from "../../src/server/domain/webhooks.js";
import { assertTokenMay } from "../../src/server/policy.js";

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("outbox retries", () => {
  it("doubles from 5 s with equal jitter, never more than an hour apart", () => {
    expect(retryDelay(1, 0)).toBe(FIRST_RETRY_MS / 2);
    expect(retryDelay(1, 1)).toBe(FIRST_RETRY_MS);
    expect(retryDelay(2, 1)).toBe(FIRST_RETRY_MS * 2);
    expect(retryDelay(3, 0.5)).toBe(Math.round(FIRST_RETRY_MS * 4 * 0.75));
    for (let n = 1; n < 60; n++) {
      const d = retryDelay(n, Math.random());
      expect(d).toBeGreaterThanOrEqual(FIRST_RETRY_MS / 2);
      expect(d).toBeLessThanOrEqual(MAX_RETRY_GAP_MS);
    }
  });

  it("delivered on success, pending while within 24 h, dead after", () => {
    const created = 1_000_000;
    expect(afterAttempt(true, { attempts: 3, createdAt: created }, created + 10)).toEqual({
      state: "delivered",
    });
    const next = afterAttempt(false, { attempts: 0, createdAt: created }, created, 1);
    expect(next).toEqual({ state: "pending", nextAt: created + FIRST_RETRY_MS });
    expect(
      afterAttempt(false, { attempts: 20, createdAt: created }, created + GIVE_UP_AFTER_MS - 1000, 1),
    ).toEqual({
      state: "dead",
    });
  });

  it("switches an endpoint off after 72 hours of failures, not before", () => {
    expect(shouldDisableEndpoint(null, 10 ** 12)).toBe(false);
    expect(shouldDisableEndpoint(0, DISABLE_ENDPOINT_AFTER_MS - 1)).toBe(false);
    expect(shouldDisableEndpoint(0, DISABLE_ENDPOINT_AFTER_MS)).toBe(true);
  });
});

describe("webhook endpoints", () => {
  it("refuses loopback, private, link-local and mapped addresses; public ones pass", () => {
    for (const a of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "::1",
      "fc00::1",
      "fe80::1",
      "::ffff:127.0.0.1",
      "0.0.0.0",
    ])
      expect(isPrivateAddress(a), a).toBe(true);
    for (const a of ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
      expect(isPrivateAddress(a), a).toBe(false);
  });

  it("names the field and the reason for a bad URL", () => {
    expect(refusal(() => checkWebhookUrl("ftp://example.com/x", false)).fields.url?.code).toBe("invalid_url");
    expect(refusal(() => checkWebhookUrl("not a url", false)).fields.url?.code).toBe("invalid_url");
    expect(refusal(() => checkWebhookUrl("https://user:pw@example.com/", false)).fields.url?.code).toBe(
      "invalid_url",
    );
    for (const u of [
      "http://127.0.0.1:8080/h",
      "http://[::1]/h",
      "http://localhost/h",
      "http://intranet/h",
      "http://10.0.0.1/h",
      "http://169.254.169.254/latest",
    ])
      expect(refusal(() => checkWebhookUrl(u, false)).fields.url?.code, u).toBe("private_target");
    expect(checkWebhookUrl("http://127.0.0.1:8080/h", true)).toBe("http://127.0.0.1:8080/h");
    expect(checkWebhookUrl("https://crm.example.com/hooks", false)).toBe("https://crm.example.com/hooks");
    expect(
      refusal(() => checkWebhookUrl(`https://example.com/${"a".repeat(2100)}`, false)).fields.url?.code,
    ).toBe("too_long");
  });

  it("checks events and secrets", () => {
    expect(refusal(() => checkEvents(["session.ended", "session.exploded"])).fields.events?.code).toBe(
      "unknown_event",
    );
    expect(refusal(() => checkEvents([])).fields.events?.code).toBe("no_events");
    expect(checkEvents(["session.ended", "session.ended"])).toEqual(["session.ended"]);
    expect(checkSecret(newWebhookSecret())).toMatch(/^whsec_/);
    expect(refusal(() => checkSecret("whsec_short")).fields.secret?.code).toBe("invalid_secret");
    expect(refusal(() => checkSecret(`whsec_${"A".repeat(200)}`)).fields.secret?.code).toBe("too_long");
  });
});

describe("API token scopes (policy)", () => {
  const token = { accountId: "a1", scopes: ["sessions:read"] };
  it("allows a route of its scope in its account only", () => {
    expect(() => assertTokenMay(token, "sessions:read", "a1")).not.toThrow();
    expect(refusal(() => assertTokenMay(token, "codes:create", "a1")).code).toBe("token_scope");
    expect(refusal(() => assertTokenMay(token, "sessions:read", "a2")).code).toBe("token_account");
    expect(refusal(() => assertTokenMay(token, undefined, "a1")).code).toBe("token_route");
  });
});

describe("emails", () => {
  it("are rendered in the recipient's language, text and HTML, with what people typed escaped", () => {
    const en = renderEmail(
      { kind: "password-reset", link: "https://help.example.com/password?token=abc" },
      ["a@example.com"],
      "en",
    );
    const de = renderEmail(
      { kind: "password-reset", link: "https://help.example.com/password?token=abc" },
      ["a@example.com"],
      "de",
    );
    expect(en.subject).toBe("Reset your Helpgate password");
    expect(de.subject).toBe("Neues Passwort für Helpgate");
    expect(de.html).toContain('<html lang="de">');
    expect(en.text).toContain("https://help.example.com/password?token=abc");
    const offline = renderEmail(
      {
        kind: "offline-message",
        request: {
          portalName: "Billing",
          sessionNumber: "123456789",
          customerName: "<script>x</script>",
          customerEmail: "c@example.com",
          contact: {},
          question: "Hi & bye",
          at: 0,
          consoleUrl: "https://help.example.com/console",
        },
      },
      ["team@example.com"],
      "en",
      "c@example.com",
    );
    expect(offline.replyTo).toBe("c@example.com");
    expect(offline.html).not.toContain("<script>");
    expect(offline.html).toContain("&lt;script&gt;");
    expect(offline.text).toContain("123 456 789");
  });
});
