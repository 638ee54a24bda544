import http from "node:http";
import { now } from "./util.js";

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** performance.now() when the request was handed to the socket layer and when the response ended. */
  sentAt: number;
  doneAt: number;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  json?: unknown;
  agent?: http.Agent;
  timeoutMs?: number;
}

/** One HTTP request to 127.0.0.1, as a browser would send it (JSON body, cookies set by the caller). */
export function httpRequest(url: string, options: HttpOptions = {}): Promise<HttpResult> {
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    headers["content-length"] = String(Buffer.byteLength(body));
  }
  return new Promise((resolve, reject) => {
    const sentAt = now();
    const req = http.request(
      url,
      {
        method: options.method ?? "GET",
        headers,
        agent: options.agent,
        timeout: options.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
            sentAt,
            doneAt: now(),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`HTTP timeout: ${options.method ?? "GET"} ${url}`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** Parses a JSON response body, naming the request when it is not what was expected. */
export function jsonOf<T>(res: HttpResult, expect: number, what: string): T {
  if (res.status !== expect) {
    throw new Error(`${what}: expected HTTP ${expect}, got ${res.status}: ${res.body.slice(0, 300)}`);
  }
  return JSON.parse(res.body) as T;
}

/** The value of a cookie from Set-Cookie headers. */
export function cookieFrom(res: HttpResult, name: string): string | null {
  for (const line of res.headers["set-cookie"] ?? []) {
    const [pair] = line.split(";");
    const eq = pair?.indexOf("=") ?? -1;
    if (pair && eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return null;
}
