import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/server/config.js";
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
