import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { Webhook } from "standardwebhooks";
import { isPrivateAddress, literalAddress } from "../domain/webhooks.js";

/** What one try of a webhook delivery came to. */
export interface SendResult {
  ok: boolean;
  status: number | null;
  error: string | null;
  durationMs: number;
}

export interface WebhookRequest {
  id: string;
  url: string;
  secret: string;
  body: string;
  /** The instant of this try (the webhook-timestamp header). */
  at: number;
}

/** Where a name resolved to a private address while that is not allowed. */
class PrivateTarget extends Error {}

/**
 * Posts signed webhooks (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature over
 * `id.timestamp.body`). Names are resolved by a lookup that refuses loopback, private and link-local
 * addresses (unless the installation allows them), so a name pointing inward is caught at
 * connection time too, not only when the URL was saved. Redirects are not followed.
 */
export class WebhookSender {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(private readonly options: { timeoutMs: number; allowPrivate: boolean; userAgent?: string }) {
    const lookup: LookupFunction = (hostname, opts, callback) => {
      dns.lookup(hostname, { ...opts, all: true }, (err, addresses) => {
        if (err) return callback(err, "", 4);
        const list = addresses as dns.LookupAddress[];
        const usable = options.allowPrivate ? list : list.filter((a) => !isPrivateAddress(a.address));
        if (usable.length === 0)
          return callback(new PrivateTarget(`${hostname} resolves to a private address`), "", 4);
        if (opts.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, usable);
        const first = usable[0] as dns.LookupAddress;
        callback(null, first.address, first.family);
      });
    };
    const agentOptions = {
      keepAlive: true,
      maxSockets: 64,
      maxFreeSockets: 64,
      timeout: options.timeoutMs * 2,
      lookup,
    };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
  }

  send(req: WebhookRequest): Promise<SendResult> {
    const started = performance.now();
    const done = (ok: boolean, status: number | null, error: string | null): SendResult => ({
      ok,
      status,
      error,
      durationMs: Math.round(performance.now() - started),
    });
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return Promise.resolve(done(false, null, "invalid URL"));
    }
    const literal = literalAddress(url.hostname);
    if (literal !== null && !this.options.allowPrivate && isPrivateAddress(literal))
      return Promise.resolve(done(false, null, "refused: a private address"));
    let signature: string;
    try {
      signature = new Webhook(req.secret).sign(req.id, new Date(req.at), req.body);
    } catch (err) {
      return Promise.resolve(done(false, null, `cannot sign: ${(err as Error).message}`));
    }
    const secure = url.protocol === "https:";
    const body = Buffer.from(req.body);
    return new Promise<SendResult>((resolve) => {
      let settled = false;
      const finish = (r: SendResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      const request = (secure ? https : http).request(
        url,
        {
          method: "POST",
          agent: secure ? this.httpsAgent : this.httpAgent,
          headers: {
            "content-type": "application/json",
            "content-length": String(body.length),
            "user-agent": this.options.userAgent ?? "Helpgate-Webhooks/1",
            "webhook-id": req.id,
            "webhook-timestamp": String(Math.floor(req.at / 1000)),
            "webhook-signature": signature,
          },
        },
        (res) => {
          const status = res.statusCode ?? 0;
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (c: Buffer) => {
            if (size < 512) chunks.push(c);
            size += c.length;
          });
          res.on("end", () => {
            const ok = status >= 200 && status < 300;
            const snippet = Buffer.concat(chunks).toString("utf8").slice(0, 200).replace(/\s+/g, " ").trim();
            finish(done(ok, status, ok ? null : `HTTP ${status}${snippet ? `: ${snippet}` : ""}`));
          });
          res.on("error", (err) => finish(done(false, status, err.message)));
        },
      );
      const timer = setTimeout(() => {
        finish(done(false, null, `timeout after ${this.options.timeoutMs} ms`));
        request.destroy();
      }, this.options.timeoutMs);
      request.on("error", (err) => {
        const message =
          err instanceof PrivateTarget
            ? `refused: ${err.message}`
            : (err as NodeJS.ErrnoException).code
              ? `${(err as NodeJS.ErrnoException).code}: ${err.message}`
              : err.message;
        finish(done(false, null, message));
      });
      request.end(body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
