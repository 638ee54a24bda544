import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startTestApp, type TestApp } from "../support/app.js";
import { dialects } from "../support/databases.js";

/** Who may read /metrics is tested in hardening.test.ts. */
const METRICS_TOKEN = "health-test-metrics-token";

describe.each(dialects())("health and metrics on %s", (dialect) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(dialect, { HELPGATE_METRICS_TOKEN: METRICS_TOKEN });
  });
  afterAll(async () => {
    await app.close();
  });

  it("GET /healthz answers ok when the database is reachable", async () => {
    const r = await call(app, null, "GET", "/healthz");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ok: true });
  });

  it("GET /metrics with the metrics token serves Prometheus text with Helpgate's metrics", async () => {
    await call(app, null, "GET", "/healthz");
    const res = await app.server.inject({
      method: "GET",
      url: "/metrics",
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/plain");
    expect(res.body).toContain("helpgate_http_request_duration_seconds");
    expect(res.body).toContain("helpgate_process_resident_memory_bytes");
  });
});
