import fs from "node:fs";
import path from "node:path";
import { h } from "preact";
import { renderToString } from "preact-render-to-string";
import { afterEach, describe, expect, it, vi } from "vitest";

// The console's and admin's modules read the browser's languages (and set <html lang>) when they
// load; Node has neither, so give them an English browser before anything is imported.
vi.hoisted(() => {
  const g = globalThis as Record<string, unknown>;
  if (!("navigator" in g)) {
    Object.defineProperty(g, "navigator", {
      value: { languages: ["en-US"], language: "en-US" },
      configurable: true,
    });
  }
  if (!("document" in g)) {
    Object.defineProperty(g, "document", { value: { documentElement: { lang: "" } }, configurable: true });
  }
});

import { MessageItem } from "../../src/server/http/pages/chatView.js";
import { catalogs } from "../../src/shared/i18n/index.js";
import { textsFor } from "../../src/shared/i18n/portal.js";
import type { ChatMessage } from "../../src/shared/protocol.js";
import { formatClock, formatDateAndTime } from "../../src/shared/time.js";
import { isValidSlug } from "../../src/web/admin/pages/portalDraft.js";
import { customerLabel } from "../../src/web/console/customer.js";
import { formatDateTime, formatTime } from "../../src/web/console/format.js";
import { lang, t } from "../../src/web/console/i18n.js";

/**
 * Issue 18, part 5: what a new user noticed. One clock for customer pages and console, one wording
 * for "marked fields", the same Enter hint, clear German column headers, numbered nameless
 * customers, and a slug hint that previews only valid addresses.
 */

afterEach(() => {
  lang.value = "en";
});

const AT = Date.UTC(2026, 0, 5, 1, 16);

describe("one time formatter for customer pages and console", () => {
  it("follows the page's language in its own short style", () => {
    // ICU versions differ in the space before "AM" (a narrow no-break space in some).
    const plain = (s: string) => s.replace(/\s/g, " ");
    expect(plain(formatClock(AT, "en", "UTC"))).toBe("1:16 AM");
    expect(formatClock(AT, "de", "UTC")).toBe("01:16");
    expect(plain(formatDateAndTime(AT, "en", "UTC"))).toBe("Jan 5, 2026, 1:16 AM");
    expect(formatDateAndTime(AT, "de", "UTC")).toBe("05.01.2026, 01:16");
  });

  it("the customer's chat (server-rendered) and the console show the same moment alike", () => {
    const message: ChatMessage = { seq: 1, sender: "agent", authorName: "Ada", body: "Hello", at: AT };
    for (const language of ["en", "de"] as const) {
      lang.value = language;
      const html = renderToString(h(MessageItem, { t: textsFor(language), lang: language, m: message }));
      const shown = /<time[^>]*>([^<]*)<\/time>/.exec(html)?.[1];
      expect(shown, language).toBe(formatTime(AT));
      expect(formatTime(AT), language).toBe(formatClock(AT, language));
      expect(formatDateTime(AT), language).toBe(formatDateAndTime(AT, language));
    }
  });

  it("no page formats times on its own any more", () => {
    const files = [
      "src/web/portal/requestPage.ts",
      "src/server/http/pages/chatView.tsx",
      "src/web/console/format.ts",
    ];
    for (const file of files) {
      const source = fs.readFileSync(path.resolve(file), "utf8");
      expect(source, file).not.toMatch(/new Intl\.DateTimeFormat/);
      expect(source, file).toMatch(/shared\/time\.js/);
    }
  });
});

describe("the same words on admin and customer pages, and in the console", () => {
  it("asks to correct the marked fields in one wording", () => {
    expect(textsFor("en").summaryTitle).toBe(catalogs.en["form.checkFields"]);
    expect(textsFor("de").summaryTitle).toBe(catalogs.de["form.checkFields"]);
    expect(catalogs.en["form.checkFields"]).toBe("Please correct the marked fields.");
    expect(catalogs.de["form.checkFields"]).toBe("Bitte korrigieren Sie die markierten Felder.");
  });

  it("gives the same Enter hint in the console and on the customer page", () => {
    for (const language of ["en", "de"] as const) {
      lang.value = language;
      expect(t("enterHint"), language).toBe(textsFor(language).chatHint);
    }
    lang.value = "de";
    expect(t("enterHint")).toBe("Eingabetaste sendet, Umschalt+Eingabetaste beginnt eine neue Zeile.");
  });

  it("German: Incoming's two time columns say different, clear things; the details hint reads naturally", () => {
    lang.value = "de";
    expect(t("colTimer")).toBe("Wartezeit");
    expect(t("colPosted")).toBe("Eingegangen");
    expect(t("colTimer")).not.toBe(t("colPosted"));
    expect(t("detailsEmpty")).toBe("Wählen Sie eine Zeile aus, um die Details anzuzeigen.");
  });
});

describe("customers without a name", () => {
  it("are told apart by their session number, in the console's language", () => {
    const nameless = { customerName: "", sessionNumber: "230521685" };
    // The number's groups are held together by no-break spaces (a narrow title breaks before it).
    expect(customerLabel(nameless)).toBe("Customer 230\u00a0521\u00a0685");
    expect(customerLabel({ ...nameless, customerName: "   " })).toBe("Customer 230\u00a0521\u00a0685");
    expect(customerLabel({ ...nameless, customerName: "Carla" })).toBe("Carla");
    expect(customerLabel({ ...nameless, sessionNumber: "230521686" })).not.toBe(customerLabel(nameless));
    lang.value = "de";
    expect(customerLabel(nameless)).toBe("Kunde 230\u00a0521\u00a0685");
  });

  it("one function names them everywhere in the console", () => {
    const root = path.resolve("src/web/console");
    const files = fs
      .readdirSync(root, { recursive: true, encoding: "utf8" })
      .filter((f) => /\.tsx?$/.test(f) && f !== "customer.ts");
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      const source = fs.readFileSync(path.join(root, file), "utf8");
      expect(source, file).not.toMatch(/customerName\s*\|\|/);
      expect(source, file).not.toMatch(/t\("noName"\)/);
    }
  });
});

describe("the admin's slug hint", () => {
  it("counts only slugs the server would take as valid", () => {
    for (const good of ["abc", "web-shop", "a1b", " help ", "x".repeat(64)]) {
      expect(isValidSlug(good), good).toBe(true);
    }
    for (const bad of ["", "ab", "Web Shop", "-abc", "abc-", "a_b", "ä-shop", "x".repeat(65), "web shop"]) {
      expect(isValidSlug(bad), bad).toBe(false);
    }
  });

  it("has a pending text in both languages that does not look like an address", () => {
    for (const language of ["en", "de"] as const) {
      const text = catalogs[language]["portals.slugHintPending"];
      expect(text, language).toMatch(/3–64/);
      expect(text, language).not.toMatch(/\/p\//);
    }
  });
});
