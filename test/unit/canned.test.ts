import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkCanned } from "../../src/server/domain/canned.js";
import { DomainError } from "../../src/server/domain/errors.js";
import {
  assertAccountCanned,
  assertMayManageAccountCanned,
  assertMayReadAccountCanned,
  assertOwnsPersonalCanned,
} from "../../src/server/policy.js";
import {
  type CannedResponse,
  fillPlaceholders,
  orderForLanguage,
  PLACEHOLDERS,
  placeholderValues,
  searchCanned,
  unknownPlaceholders,
  usedPlaceholders,
} from "../../src/shared/canned.js";
import type { Principal } from "../../src/shared/model.js";

/** Issue 18, canned responses: the one definition of placeholders, the filler, the picker's order and search. */

const source = {
  customerName: "Carla Ruiz",
  customerEmail: "carla@example.com",
  portalName: "Printers",
  sessionNumber: "230521685",
  contact: { name: "Carla Ruiz", email: "carla@example.com", phone: "+49 30 1234", custom2: "Order 77" },
};

function response(partial: Partial<CannedResponse> & { id: string; title: string }): CannedResponse {
  return {
    scope: "account",
    shortcut: null,
    text: "",
    language: null,
    createdAt: 0,
    updatedAt: 0,
    ...partial,
  };
}

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("placeholders", () => {
  it("lists the customer, agent, portal, session and every contact key (standard kinds, custom1…custom10)", () => {
    expect(PLACEHOLDERS).toEqual(
      expect.arrayContaining([
        "customer.name",
        "customer.email",
        "agent.name",
        "portal.name",
        "session.number",
        "contact.name",
        "contact.email",
        "contact.phone",
        "contact.company",
        "contact.problem",
        "contact.custom1",
        "contact.custom10",
      ]),
    );
    expect(PLACEHOLDERS).not.toContain("contact.custom11");
    expect(new Set(PLACEHOLDERS).size).toBe(PLACEHOLDERS.length);
  });

  it("finds unknown ones: misspelt, wrong case, spaces inside, unknown contact keys; each once", () => {
    expect(
      unknownPlaceholders("Hi {customer.nmae}, {Customer.Name} and { agent.name } {customer.nmae}"),
    ).toEqual(["{customer.nmae}", "{Customer.Name}", "{ agent.name }"]);
    expect(unknownPlaceholders("{contact.custom11} {contact.fax} {name} {foo.bar.baz}")).toEqual([
      "{contact.custom11}",
      "{contact.fax}",
      "{name}",
      "{foo.bar.baz}",
    ]);
  });

  it("leaves braces that are no placeholder alone: JSON, smileys, empty braces, numbers", () => {
    const text = 'Send {"a": 1} or {:-)} or {} or {1} or {{ or }} — thanks {customer.name}';
    expect(unknownPlaceholders(text)).toEqual([]);
    expect(usedPlaceholders(text)).toEqual(["customer.name"]);
  });

  it("fills every placeholder from the session; the session number as the customer reads it", () => {
    const values = placeholderValues(source, "Dana");
    const filled = fillPlaceholders(
      "Hello {customer.name} ({customer.email}), I am {agent.name} of {portal.name}. Your session: {session.number}. Phone {contact.phone}, {contact.custom2}.",
      values,
    );
    expect(filled).toBe(
      "Hello Carla Ruiz (carla@example.com), I am Dana of Printers. Your session: 230 521 685. Phone +49 30 1234, Order 77.",
    );
  });

  it("a placeholder without a value becomes empty text", () => {
    const values = placeholderValues(
      { customerName: "", customerEmail: "", portalName: "Help", sessionNumber: "", contact: {} },
      "Dana",
    );
    expect(fillPlaceholders("Hi {customer.name}! [{contact.company}] [{session.number}]", values)).toBe(
      "Hi ! [] []",
    );
  });

  it("takes the customer's name from the contact fields when the request has none of its own", () => {
    const values = placeholderValues(
      { ...source, customerName: "", customerEmail: "", contact: { name: "Ina", email: "ina@example.com" } },
      "Dana",
    );
    expect(values["customer.name"]).toBe("Ina");
    expect(values["customer.email"]).toBe("ina@example.com");
  });

  it("inserts values as they are and never fills them again (a value with braces stays literal)", () => {
    const values = placeholderValues({ ...source, customerName: "{agent.name}" }, "Dana");
    expect(fillPlaceholders("{customer.name}", values)).toBe("{agent.name}");
  });

  it("filling leaves no known placeholder behind and keeps everything else (property)", () => {
    const piece = fc.oneof(
      fc.constantFrom(...PLACEHOLDERS.map((p) => `{${p}}`)),
      fc.string({ maxLength: 12 }).filter((s) => !s.includes("{")),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }), (pieces) => {
        const text = pieces.join("");
        const filled = fillPlaceholders(text, {});
        expect(usedPlaceholders(filled)).toEqual([]);
        expect(filled).toBe(pieces.filter((p) => !p.startsWith("{")).join(""));
      }),
    );
  });
});

describe("checking a canned response before it is saved", () => {
  it("accepts a good one, trimming title and shortcut; an empty shortcut is none", () => {
    expect(
      checkCanned({ title: "  Greeting ", shortcut: " greet ", text: "Hi {customer.name}", language: "de" }),
    ).toEqual({ title: "Greeting", shortcut: "greet", text: "Hi {customer.name}", language: "de" });
    expect(checkCanned({ title: "G", shortcut: "", text: "x" }).shortcut).toBeNull();
    expect(checkCanned({ title: "G", text: "x", language: null }).language).toBeNull();
  });

  it("refuses unknown placeholders naming the field text, with the valid ones in the message", () => {
    const err = refusal(() => checkCanned({ title: "G", text: "Hi {customer.nmae}" }));
    expect(err.status).toBe(400);
    expect(Object.keys(err.fields)).toEqual(["text"]);
    expect(err.fields.text?.code).toBe("unknown_placeholder");
    expect(err.message).toContain("{customer.nmae}");
    for (const p of PLACEHOLDERS) expect(err.message).toContain(`{${p}}`);
  });

  it("refuses a blank title, a title with a line break, a bad shortcut, a blank or over-long text, a language it does not know", () => {
    const field = (fn: () => unknown) => Object.keys(refusal(fn).fields);
    expect(field(() => checkCanned({ title: "   ", text: "x" }))).toEqual(["title"]);
    expect(field(() => checkCanned({ title: "a\nb", text: "x" }))).toEqual(["title"]);
    for (const shortcut of ["Greet", "greet me", "-greet", "grüß", "g_reet", "x".repeat(33)])
      expect(
        field(() => checkCanned({ title: "G", shortcut, text: "x" })),
        shortcut,
      ).toEqual(["shortcut"]);
    expect(field(() => checkCanned({ title: "G", text: " \n\t " }))).toEqual(["text"]);
    expect(field(() => checkCanned({ title: "G", text: "x".repeat(5001) }))).toEqual(["text"]);
    expect(field(() => checkCanned({ title: "G", text: "x", language: "fr" as "en" }))).toEqual(["language"]);
  });

  it("accepts a text of exactly 5,000 characters and shortcuts of letters, digits and dashes", () => {
    expect(checkCanned({ title: "G", text: "x".repeat(5000) }).text).toHaveLength(5000);
    for (const shortcut of ["greet", "reset-pw", "2fa", "a"])
      expect(checkCanned({ title: "G", shortcut, text: "x" }).shortcut).toBe(shortcut);
  });
});

describe("the picker's order and search", () => {
  const list = [
    response({ id: "1", title: "Zugangsdaten", language: "de", shortcut: "login-de" }),
    response({ id: "2", title: "Password reset", language: "en", shortcut: "reset", text: "Click the link" }),
    response({
      id: "3",
      title: "Greeting",
      language: null,
      shortcut: "greet",
      text: "Hello {customer.name}",
    }),
    response({ id: "4", title: "Begrüßung", language: "de", shortcut: "hallo" }),
  ];

  it("puts the session's language first, then any language, then the rest; by title within each", () => {
    expect(orderForLanguage(list, "de").map((r) => r.id)).toEqual(["4", "1", "3", "2"]);
    expect(orderForLanguage(list, "en").map((r) => r.id)).toEqual(["2", "3", "4", "1"]);
    expect(orderForLanguage(list, null).map((r) => r.id)).toEqual(["4", "3", "2", "1"]);
  });

  it("finds by shortcut, title and text, every word, ignoring case and accents; shortcut matches first", () => {
    expect(searchCanned(list, "").map((r) => r.id)).toEqual(["1", "2", "3", "4"]);
    expect(searchCanned(list, "greet").map((r) => r.id)).toEqual(["3"]);
    expect(searchCanned(list, "BEGRUSSUNG").map((r) => r.id)).toEqual([]);
    expect(searchCanned(list, "begruß").map((r) => r.id)).toEqual(["4"]);
    expect(searchCanned(list, "click link").map((r) => r.id)).toEqual(["2"]);
    expect(searchCanned(list, "link click").map((r) => r.id)).toEqual(["2"]);
    expect(searchCanned(list, "nothing like it").map((r) => r.id)).toEqual([]);
    // "re": the shortcut "reset" starts with it, so it leads; "Greeting" matches in its title.
    expect(searchCanned(list, "re").map((r) => r.id)).toEqual(["2", "3"]);
  });
});

describe("policy: who may read and change canned responses", () => {
  const person = (role: Principal, accountId: string | null = "acc-a") => ({
    id: `${role}-1`,
    role,
    accountId,
  });
  const status = (fn: () => unknown): number | "ok" => {
    try {
      fn();
      return "ok";
    } catch (err) {
      if (err instanceof DomainError) return err.status;
      throw err;
    }
  };

  it("every user of the account reads the account's; another account's is a 404", () => {
    for (const role of ["agent", "manager", "admin"] as const) {
      expect(status(() => assertMayReadAccountCanned(person(role), "acc-a"))).toBe("ok");
      expect(status(() => assertMayReadAccountCanned(person(role), "acc-b"))).toBe(404);
    }
    expect(status(() => assertMayReadAccountCanned(person("operator", null), "acc-b"))).toBe("ok");
  });

  it("managers, admins and operators write the account's; agents get 403, other accounts 404", () => {
    expect(status(() => assertMayManageAccountCanned(person("agent"), "acc-a"))).toBe(403);
    expect(status(() => assertMayManageAccountCanned(person("agent"), "acc-b"))).toBe(404);
    for (const role of ["manager", "admin"] as const) {
      expect(status(() => assertMayManageAccountCanned(person(role), "acc-a"))).toBe("ok");
      expect(status(() => assertMayManageAccountCanned(person(role), "acc-b"))).toBe(404);
    }
    expect(status(() => assertMayManageAccountCanned(person("operator", null), "acc-b"))).toBe("ok");
  });

  it("a personal one is its owner's alone (404 for anyone else); an account-wide one is not personal (403)", () => {
    const me = person("agent");
    expect(status(() => assertOwnsPersonalCanned(me, { ownerId: me.id }))).toBe("ok");
    expect(status(() => assertOwnsPersonalCanned(me, { ownerId: "someone-else" }))).toBe(404);
    expect(status(() => assertOwnsPersonalCanned(person("admin"), { ownerId: me.id }))).toBe(404);
    const shared = refusal(() => assertOwnsPersonalCanned(me, { ownerId: null }));
    expect([shared.status, shared.code]).toEqual([403, "not_personal"]);
  });

  it("the account routes reach account-wide ones only", () => {
    expect(status(() => assertAccountCanned({ ownerId: null }))).toBe("ok");
    expect(status(() => assertAccountCanned({ ownerId: "agent-1" }))).toBe(404);
  });
});
