import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

/**
 * A real HTTP endpoint on 127.0.0.1 that records every request a webhook sender makes and answers
 * as the test programs it: a status per request, a delay, or a hang (never answer until closed).
 */

export interface ReceivedRequest {
  /** 1-based arrival number. */
  n: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The body exactly as received (what the signature covers). */
  rawBody: string;
  /** Date.now() when the body had fully arrived. */
  at: number;
  /** The status answered (null while the answer is pending or when the request hung). */
  answeredStatus: number | null;
  /** The client went away before an answer (sender timeout, kill). */
  aborted: boolean;
}

export interface WebhookEnvelope {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

export interface ReceiverAnswer {
  /** HTTP status; 200 when omitted. */
  status?: number;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (the connection stays open until the sender gives up or the receiver closes). */
  hang?: boolean;
  body?: string;
  /** Extra response headers (e.g. a Location for a redirect). */
  headers?: Record<string, string>;
}

export type Responder = (req: ReceivedRequest, n: number) => ReceiverAnswer;

export interface WebhookReceiver {
  port: number;
  /** http://127.0.0.1:<port>/hook */
  url: string;
  requests: ReceivedRequest[];
  /** Replace the answer program (applies to requests arriving from now on). */
  respond(responder: Responder): void;
  /** Waits until `count` requests arrived, or until one matching the predicate did (returns it last). */
  waitFor(what: number | ((r: ReceivedRequest) => boolean), timeoutMs?: number): Promise<ReceivedRequest[]>;
  /** Verifies a request's standardwebhooks signature against the secret; throws when it is wrong. */
  verify(req: ReceivedRequest, secret: string): WebhookEnvelope;
  /** The request's JSON body (no signature check). */
  json(req: ReceivedRequest): WebhookEnvelope;
  /** Requests with that webhook-id header. */
  byId(id: string): ReceivedRequest[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(
  options: { respond?: Responder; port?: number } = {},
): Promise<WebhookReceiver> {
  let responder: Responder = options.respond ?? (() => ({ status: 200 }));
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const w of [...waiters]) w();
  };
  const pending = new Set<http.ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
      }
      const record: ReceivedRequest = {
        n: requests.length + 1,
        method: req.method ?? "",
        path: req.url ?? "",
        headers,
        rawBody: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
        answeredStatus: null,
        aborted: false,
      };
      requests.push(record);
      res.on("close", () => {
        pending.delete(res);
        if (!res.writableEnded) {
          record.aborted = true;
          notify();
        }
      });
      let answer: ReceiverAnswer;
      try {
        answer = responder(record, record.n);
      } catch {
        answer = { status: 500 };
      }
      notify();
      if (answer.hang) {
        pending.add(res);
        return;
      }
      const send = (): void => {
        if (res.destroyed) return;
        const status = answer.status ?? 200;
        record.answeredStatus = status;
        res.writeHead(status, { "content-type": "text/plain", ...(answer.headers ?? {}) });
        res.end(answer.body ?? "ok");
        // Waiters on the answer (answeredStatus) hear of it too.
        notify();
      };
      if (answer.delayMs && answer.delayMs > 0) {
        pending.add(res);
        const t = setTimeout(() => {
          timers.delete(t);
          send();
        }, answer.delayMs);
        timers.add(t);
      } else {
        send();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  const waitFor = (
    what: number | ((r: ReceivedRequest) => boolean),
    timeoutMs = 10_000,
  ): Promise<ReceivedRequest[]> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        let done = false;
        if (typeof what === "number") done = requests.length >= what;
        else done = requests.some(what);
        if (!done) return;
        waiters.delete(check);
        clearTimeout(timer);
        if (typeof what === "number") resolve([...requests]);
        else {
          const hit = requests.find(what);
          resolve([...requests.filter((r) => r !== hit), ...(hit ? [hit] : [])]);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        const seen = requests.map((r) => `${r.n} ${r.headers["webhook-id"] ?? "?"} ${typeOf(r)}`);
        reject(
          new Error(
            `webhook receiver: condition not met within ${timeoutMs} ms (${requests.length} requests: ${JSON.stringify(seen)})`,
          ),
        );
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  return {
    port,
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    respond(next) {
      responder = next;
    },
    waitFor,
    verify(req, secret) {
      return new Webhook(secret).verify(req.rawBody, {
        "webhook-id": req.headers["webhook-id"] ?? "",
        "webhook-timestamp": req.headers["webhook-timestamp"] ?? "",
        "webhook-signature": req.headers["webhook-signature"] ?? "",
      }) as WebhookEnvelope;
    },
    json(req) {
      return JSON.parse(req.rawBody) as WebhookEnvelope;
    },
    byId(id) {
      return requests.filter((r) => r.headers["webhook-id"] === id);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        for (const res of pending) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The event type of a recorded request ("?" when its body is no JSON envelope). */
export function typeOf(r: ReceivedRequest): string {
  try {
    const parsed = JSON.parse(r.rawBody) as { type?: unknown };
    return typeof parsed.type === "string" ? parsed.type : "?";
  } catch {
    return "?";
  }
}
