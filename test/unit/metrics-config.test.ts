import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/server/config.js";
import { metricsRefusal } from "../../src/server/http/health.js";

describe("metrics settings", () => {
  it("are off by default: no token, no separate address", () => {
    const c = loadConfig({});
    expect(c.metricsToken).toBeNull();
    expect(c.metricsListen).toBeNull();
  });

  it("read HELPGATE_METRICS_TOKEN and HELPGATE_METRICS_LISTEN (IPv4, IPv6 in brackets, a name)", () => {
    const token = "0123456789abcdef0123";
    expect(loadConfig({ HELPGATE_METRICS_TOKEN: token }).metricsToken).toBe(token);
    expect(loadConfig({ HELPGATE_METRICS_LISTEN: "127.0.0.1:9464" }).metricsListen).toEqual({
      host: "127.0.0.1",
      port: 9464,
    });
    expect(loadConfig({ HELPGATE_METRICS_LISTEN: "[::1]:9464" }).metricsListen).toEqual({
      host: "::1",
      port: 9464,
    });
    expect(loadConfig({ HELPGATE_METRICS_LISTEN: "metrics.internal:9100" }).metricsListen).toEqual({
      host: "metrics.internal",
      port: 9100,
    });
  });

  it("refuse a short or spaced token and an address without a valid port, naming the variable", () => {
    for (const bad of ["short", "has a space in it!!", "x".repeat(257)]) {
      expect(() => loadConfig({ HELPGATE_METRICS_TOKEN: bad })).toThrow(/HELPGATE_METRICS_TOKEN/);
    }
    for (const bad of ["9464", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "::1:9464", "host:port"]) {
      expect(() => loadConfig({ HELPGATE_METRICS_LISTEN: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ HELPGATE_METRICS_LISTEN: bad })).toThrow(/HELPGATE_METRICS_LISTEN/);
    }
  });

  it("a scrape needs exactly the bearer token", () => {
    const token = "0123456789abcdef0123";
    expect(metricsRefusal(undefined, token)?.status).toBe(401);
    expect(metricsRefusal(`Basic ${token}`, token)?.status).toBe(401);
    expect(metricsRefusal(`Bearer ${token}0`, token)?.status).toBe(403);
    expect(metricsRefusal(`Bearer ${token}`, token)).toBeNull();
    expect(metricsRefusal(`bearer  ${token}`, token)).toBeNull();
  });
});
