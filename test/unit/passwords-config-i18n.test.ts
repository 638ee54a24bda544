import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseLogFormat } from "../../src/server/config.js";
import { DomainError } from "../../src/server/domain/errors.js";
import {
  assertPasswordRules,
  generatePassword,
  hashPassword,
  verifyPassword,
} from "../../src/server/domain/passwords.js";
import { validationBody } from "../../src/server/http/errors.js";
import { textColourOn } from "../../src/shared/colour.js";
import { catalogs, format, pickLanguage } from "../../src/shared/i18n/index.js";

describe("passwords", () => {
  it("accepts 8 to 128 characters", () => {
    expect(() => assertPasswordRules("x".repeat(8))).not.toThrow();
    expect(() => assertPasswordRules("x".repeat(128))).not.toThrow();
    for (const bad of ["x".repeat(7), "x".repeat(129), ""]) {
      expect(() => assertPasswordRules(bad)).toThrow(DomainError);
    }
  });

  it("hashes with argon2id and verifies", async () => {
    const h = await hashPassword("correct horse");
    expect(h.startsWith("$argon2id$")).toBe(true);
    expect(await verifyPassword(h, "correct horse")).toBe(true);
    expect(await verifyPassword(h, "wrong horse")).toBe(false);
    expect(await verifyPassword("not a hash", "x")).toBe(false);
  });

  it("generates readable passwords that pass the rules and differ", () => {
    const a = generatePassword();
    expect(a).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    expect(() => assertPasswordRules(a)).not.toThrow();
    expect(generatePassword()).not.toBe(a);
  });
});

describe("configuration", () => {
  it("has safe defaults", () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.publicUrl).toBe("http://localhost:3000");
    expect(c.databaseUrl).toMatch(/^sqlite:.*data\/helpgate\.sqlite$/);
    expect(c.redisUrl).toBeNull();
    expect(c.iceServers).toEqual([]);
    expect(c.demo).toBe(true);
  });

  it("reads every variable", () => {
    const c = loadConfig(
      {
        PORT: "8080",
        HOST: "127.0.0.1",
        PUBLIC_URL: "https://help.example.com/",
        DATABASE_URL: "postgres://u@db/helpgate",
        REDIS_URL: "redis://r:6379",
        ICE_SERVERS: '[{"urls":"stun:stun.example.com"}]',
        LOG_LEVEL: "warn",
        HELPGATE_ADMIN_EMAIL: "ops@example.com",
        HELPGATE_ADMIN_PASSWORD: "s3cret-pass",
        HELPGATE_DEMO: "0",
        TRUST_PROXY: "1",
      },
      [],
    );
    expect(c).toMatchObject({
      port: 8080,
      host: "127.0.0.1",
      publicUrl: "https://help.example.com",
      databaseUrl: "postgres://u@db/helpgate",
      redisUrl: "redis://r:6379",
      iceServers: [{ urls: "stun:stun.example.com" }],
      logLevel: "warn",
      adminEmail: "ops@example.com",
      adminPassword: "s3cret-pass",
      demo: false,
      trustProxy: true,
    });
    expect(loadConfig({}, ["--no-demo"]).demo).toBe(false);
  });

  it("refuses bad values with a clear message", () => {
    expect(() => loadConfig({ PORT: "eighty" })).toThrow(/PORT/);
    expect(() => loadConfig({ ICE_SERVERS: "{" })).toThrow(ConfigError);
    expect(() => loadConfig({ ICE_SERVERS: '[{"url":"x"}]' })).toThrow(/urls/);
    expect(() => loadConfig({ DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ LOG_LEVEL: "loud" })).toThrow(/LOG_LEVEL/);
    expect(() => loadConfig({ PUBLIC_URL: "not a url" })).toThrow(/PUBLIC_URL/);
    for (const bad of ["-1", "1.5", "soon", "600001"]) {
      expect(() => loadConfig({ HELPGATE_PORTAL_PAGE_CACHE_MS: bad })).toThrow(
        /HELPGATE_PORTAL_PAGE_CACHE_MS/,
      );
    }
  });

  it("caches portal pages for a second unless told otherwise", () => {
    expect(loadConfig({}).portalPageCacheMs).toBe(1000);
    expect(loadConfig({ HELPGATE_PORTAL_PAGE_CACHE_MS: "0" }).portalPageCacheMs).toBe(0);
    expect(loadConfig({ HELPGATE_PORTAL_PAGE_CACHE_MS: "250" }).portalPageCacheMs).toBe(250);
  });

  it("drains for 10 seconds unless told otherwise, and refuses a drain time that is not whole seconds", () => {
    expect(loadConfig({}).drainSeconds).toBe(10);
    expect(loadConfig({ HELPGATE_DRAIN_SECONDS: "30" }).drainSeconds).toBe(30);
    expect(loadConfig({ HELPGATE_DRAIN_SECONDS: "0" }).drainSeconds).toBe(0);
    for (const bad of ["-1", "-0.5", "2.5", "soon", "10s", "3601"]) {
      expect(() => loadConfig({ HELPGATE_DRAIN_SECONDS: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ HELPGATE_DRAIN_SECONDS: bad })).toThrow(
        new RegExp(`HELPGATE_DRAIN_SECONDS must be a whole number from 0 to 3600, got "${bad}"`),
      );
    }
  });
});

describe("log settings", () => {
  it("writes JSON or pretty lines as LOG_FORMAT says; unset, pretty only on a terminal", () => {
    expect(loadConfig({ LOG_FORMAT: "json" }).logFormat).toBe("json");
    expect(loadConfig({ LOG_FORMAT: "pretty" }).logFormat).toBe("pretty");
    expect(loadConfig({ LOG_FORMAT: " Pretty " }).logFormat).toBe("pretty");
    expect(parseLogFormat(undefined, true)).toBe("pretty");
    expect(parseLogFormat("", true)).toBe("pretty");
    expect(parseLogFormat(undefined, false)).toBe("json");
    expect(parseLogFormat("json", true)).toBe("json");
    expect(parseLogFormat("pretty", false)).toBe("pretty");
  });

  it("refuses an unknown LOG_FORMAT or LOG_LEVEL, naming the variable", () => {
    for (const bad of ["yaml", "text", "jsonl", "1"]) {
      expect(() => loadConfig({ LOG_FORMAT: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ LOG_FORMAT: bad })).toThrow(
        `LOG_FORMAT must be json or pretty, got "${bad}"`,
      );
    }
    for (const bad of ["loud", "INFO", "warning", "30"]) {
      expect(() => loadConfig({ LOG_LEVEL: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ LOG_LEVEL: bad })).toThrow(
        /^LOG_LEVEL must be one of fatal, error, warn, info/,
      );
    }
    for (const level of ["fatal", "error", "warn", "info", "debug", "trace", "silent"]) {
      expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level);
    }
  });
});

describe("i18n", () => {
  it("German has every English key, none empty", () => {
    expect(Object.keys(catalogs.de).sort()).toEqual(Object.keys(catalogs.en).sort());
    for (const v of Object.values(catalogs.de)) expect(v.trim()).not.toBe("");
  });

  it("picks the browser's language, English otherwise", () => {
    expect(pickLanguage("de-DE,de;q=0.9,en;q=0.8")).toBe("de");
    expect(pickLanguage("fr-FR,en;q=0.5")).toBe("en");
    expect(pickLanguage(["fr", "de-AT"])).toBe("de");
    expect(pickLanguage(undefined)).toBe("en");
    expect(format("At most {limit} characters.", { limit: 100 })).toBe("At most 100 characters.");
  });
});

describe("validation messages", () => {
  it("names the field and the limit", () => {
    const body = validationBody(
      [
        { instancePath: "/name", keyword: "maxLength", params: { limit: 100 } },
        { instancePath: "", keyword: "required", params: { missingProperty: "slug" } },
      ],
      "body",
    );
    expect(body.fields?.name).toMatchObject({ code: "too_long", params: { limit: 100 } });
    expect(body.fields?.slug?.code).toBe("required");
    expect(body.message).toBe("Name must be at most 100 characters; slug is required.");
  });
});

describe("portal colours", () => {
  it("puts dark text on light brands and white on dark ones", () => {
    expect(textColourOn("#ffffff")).toBe("#111111");
    expect(textColourOn("#fde047")).toBe("#111111");
    expect(textColourOn("#1f6feb")).toBe("#ffffff");
    expect(textColourOn("#000000")).toBe("#ffffff");
  });
});

describe("load shedding settings", () => {
  it("sheds at 1 s of event-loop delay and 90 % of the heap limit unless told otherwise; 0 switches each off", () => {
    expect(loadConfig({}).shedding).toEqual({ eventLoopDelayMs: 1000, heapUsedPercent: 90 });
    expect(
      loadConfig({ HELPGATE_SHED_EVENT_LOOP_DELAY_MS: "250", HELPGATE_SHED_HEAP_USED_PERCENT: "75" })
        .shedding,
    ).toEqual({ eventLoopDelayMs: 250, heapUsedPercent: 75 });
    expect(
      loadConfig({ HELPGATE_SHED_EVENT_LOOP_DELAY_MS: "0", HELPGATE_SHED_HEAP_USED_PERCENT: "0" }).shedding,
    ).toEqual({ eventLoopDelayMs: 0, heapUsedPercent: 0 });
  });

  it("refuses to start on a limit that is not a whole number in range, naming the variable", () => {
    for (const bad of ["-1", "1.5", "soon", "1000ms", "60001"]) {
      expect(() => loadConfig({ HELPGATE_SHED_EVENT_LOOP_DELAY_MS: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ HELPGATE_SHED_EVENT_LOOP_DELAY_MS: bad })).toThrow(
        new RegExp(`HELPGATE_SHED_EVENT_LOOP_DELAY_MS must be a whole number from 0 to 60000, got "${bad}"`),
      );
    }
    for (const bad of ["-5", "0.9", "90%", "100", "half"]) {
      expect(() => loadConfig({ HELPGATE_SHED_HEAP_USED_PERCENT: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ HELPGATE_SHED_HEAP_USED_PERCENT: bad })).toThrow(
        new RegExp(`HELPGATE_SHED_HEAP_USED_PERCENT must be a whole number from 0 to 99, got "${bad}"`),
      );
    }
  });
});
