import { randomBytes } from "node:crypto";
import ipaddr from "ipaddr.js";
import type { WebhookEventType } from "../../shared/api.js";
import { WEBHOOK_EVENT_TYPES } from "../../shared/api.js";
import { fieldError } from "./errors.js";

/** Webhook rules (pure): what a valid endpoint is, which addresses it may reach, its secret. */

export const MAX_WEBHOOKS_PER_ACCOUNT = 20;
export const MAX_URL_LENGTH = 2000;
/** Standard Webhooks secrets: "whsec_" and the base64 of the key; 24–64 bytes of key. */
const SECRET_PREFIX = "whsec_";
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;
export const MAX_SECRET_LENGTH = SECRET_PREFIX.length + Math.ceil(MAX_SECRET_BYTES / 3) * 4;

export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString("base64");
}

export function checkSecret(secret: string): string {
  if (secret.length > MAX_SECRET_LENGTH)
    throw fieldError(400, "secret", "too_long", `At most ${MAX_SECRET_LENGTH} characters.`, {
      limit: MAX_SECRET_LENGTH,
    });
  const body = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : null;
  const bytes = body !== null && /^[A-Za-z0-9+/]+={0,2}$/.test(body) ? Buffer.from(body, "base64").length : 0;
  if (bytes < MIN_SECRET_BYTES || bytes > MAX_SECRET_BYTES)
    throw fieldError(
      400,
      "secret",
      "invalid_secret",
      `A secret is "whsec_" followed by ${MIN_SECRET_BYTES}–${MAX_SECRET_BYTES} bytes in base64; leave it empty to have one made.`,
    );
  return secret;
}

export function secretPreview(secret: string): string {
  return `${secret.slice(0, SECRET_PREFIX.length + 4)}…`;
}

export function checkEvents(events: readonly string[]): WebhookEventType[] {
  const known = new Set<string>(WEBHOOK_EVENT_TYPES);
  const unknown = events.filter((e) => !known.has(e));
  if (unknown.length > 0)
    throw fieldError(
      400,
      "events",
      "unknown_event",
      `Unknown event ${unknown.join(", ")}; known are ${WEBHOOK_EVENT_TYPES.join(", ")}.`,
      { event: unknown.join(", ") },
    );
  if (events.length === 0) throw fieldError(400, "events", "no_events", "Choose at least one event.");
  return [...new Set(events)] as WebhookEventType[];
}

/** Address ranges a webhook may not reach unless the installation allows private targets. */
const BLOCKED_RANGES = new Set([
  "unspecified",
  "broadcast",
  "multicast",
  "linkLocal",
  "loopback",
  "carrierGradeNat",
  "private",
  "reserved",
  "uniqueLocal",
  "ipv4Mapped",
  "rfc6145",
  "rfc6052",
  "6to4",
  "teredo",
  "benchmarking",
  "amt",
  "as112",
  "as112v6",
  "orchid2",
  "droneRemoteIdProtocolEntityTags",
  "deprecated",
]);

/** True for loopback, private, link-local and other non-public addresses (IPv4-mapped IPv6 included). */
export function isPrivateAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  const parsed = ipaddr.process(address);
  return BLOCKED_RANGES.has(parsed.range());
}

/** A literal IP in a URL's host ("[::1]" → "::1"), else null. */
export function literalAddress(hostname: string): string | null {
  const bare = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(bare) ? bare : null;
}

/**
 * A webhook URL as it is saved: http(s), no credentials, not too long; a literal private address
 * or a name of this machine is refused unless `allowPrivate` (names are checked again when resolved).
 */
export function checkWebhookUrl(raw: string, allowPrivate: boolean): string {
  const value = raw.trim();
  if (value.length > MAX_URL_LENGTH)
    throw fieldError(400, "url", "too_long", `At most ${MAX_URL_LENGTH} characters.`, {
      limit: MAX_URL_LENGTH,
    });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw fieldError(400, "url", "invalid_url", "Enter a full address starting with https:// or http://.");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw fieldError(400, "url", "invalid_url", "A webhook address starts with https:// or http://.");
  if (url.username || url.password)
    throw fieldError(
      400,
      "url",
      "invalid_url",
      "Put no user name or password in the address; the signature proves the sender.",
    );
  if (!allowPrivate) {
    const host = url.hostname.toLowerCase();
    const literal = literalAddress(host);
    const privateName =
      literal === null &&
      (host === "localhost" ||
        host.endsWith(".localhost") ||
        host.endsWith(".local") ||
        host.endsWith(".internal") ||
        !host.includes("."));
    if ((literal !== null && isPrivateAddress(literal)) || privateName)
      throw fieldError(
        400,
        "url",
        "private_target",
        "Webhooks may not reach loopback, private or link-local addresses on this server.",
      );
  }
  return url.toString();
}
