import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startTestApp, type TestApp } from "../support/app.js";
import { dialects } from "../support/databases.js";

describe.each(dialects())("health and metrics on %s", (dialect) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(dialect);
  });
  afterAll(async () => {
    await app.close();
  });

  it("GET /healthz answers ok when the database is reachable", async () => {
    const r = await call(app, null, "GET", "/healthz");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ok: true });
  });

  it("GET /metrics serves Prometheus text with Helpgate's metrics", async () => {
    await call(app, null, "GET", "/healthz");
    const r = await call(app, null, "GET", "/metrics");
    expect(r.status).toBe(200);
    expect(r.res.headers["content-type"]).toContain("text/plain");
    expect(r.res.body).toContain("helpgate_http_request_duration_seconds");
    expect(r.res.body).toContain("helpgate_process_resident_memory_bytes");
  });
});
