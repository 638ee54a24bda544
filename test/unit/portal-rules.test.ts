import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/server/domain/errors.js";
import {
  assertConnectionModeAllowed,
  assertModeChangeAllowed,
  assertPortalTypeAllowed,
  assertWebChatSwitchAllowed,
  normaliseFields,
  portalsForbiddenByMode,
} from "../../src/server/domain/portals.js";
import { LIMITS, MODES, PORTAL_TYPES, PORTAL_TYPES_BY_MODE } from "../../src/shared/model.js";

function refusal(fn: () => void): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error("expected a DomainError");
}

describe("mode ↔ portal type (BEHAVIOUR.md §2)", () => {
  it("allows exactly the table's types", () => {
    expect(PORTAL_TYPES_BY_MODE).toEqual({
      web: ["pick-agent", "question", "button"],
      phone: ["code"],
      queue: ["question"],
    });
  });

  it("refuses every other type with 409 naming the allowed ones", () => {
    fc.assert(
      fc.property(fc.constantFrom(...MODES), fc.constantFrom(...PORTAL_TYPES), (mode, type) => {
        const allowed = PORTAL_TYPES_BY_MODE[mode];
        if (allowed.includes(type)) {
          expect(() => assertPortalTypeAllowed(mode, type)).not.toThrow();
        } else {
          const err = refusal(() => assertPortalTypeAllowed(mode, type));
          expect(err.status).toBe(409);
          expect(err.fields.type?.code).toBe("type_not_allowed");
          for (const t of allowed) expect(err.message).toContain(t);
        }
      }),
    );
  });

  it("lists the portals that block a mode change", () => {
    const portals = [
      { slug: "a", type: "pick-agent" as const },
      { slug: "b", type: "question" as const },
      { slug: "c", type: "code" as const },
    ];
    expect(portalsForbiddenByMode("queue", portals).map((p) => p.slug)).toEqual(["a", "c"]);
    const err = refusal(() => assertModeChangeAllowed("queue", portals));
    expect(err.status).toBe(409);
    expect(err.message).toContain("a (pick-agent)");
    expect(err.message).toContain("c (code)");
    expect(err.message).not.toContain("b (question)");
    expect(() => assertModeChangeAllowed("web", [portals[0]!, portals[1]!])).not.toThrow();
  });

  it("a mode change is allowed exactly when every portal's type fits the new mode", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...MODES),
        fc.array(fc.record({ slug: fc.string(), type: fc.constantFrom(...PORTAL_TYPES) }), { maxLength: 8 }),
        (mode, portals) => {
          const fits = portals.every((p) => PORTAL_TYPES_BY_MODE[mode].includes(p.type));
          if (fits) expect(() => assertModeChangeAllowed(mode, portals)).not.toThrow();
          else expect(refusal(() => assertModeChangeAllowed(mode, portals)).status).toBe(409);
        },
      ),
    );
  });
});

describe("connection mode and web chat (BEHAVIOUR.md §7)", () => {
  it("chat-first needs web chat", () => {
    expect(() => assertConnectionModeAllowed("chat-first", true)).not.toThrow();
    expect(() => assertConnectionModeAllowed("direct", false)).not.toThrow();
    expect(refusal(() => assertConnectionModeAllowed("chat-first", false)).fields.connectionMode?.code).toBe(
      "chat_disabled",
    );
  });

  it("web chat cannot be switched off under chat-first portals", () => {
    expect(() => assertWebChatSwitchAllowed(false, [])).not.toThrow();
    const err = refusal(() => assertWebChatSwitchAllowed(false, ["shop", "help"]));
    expect(err.status).toBe(409);
    expect(err.message).toContain("shop, help");
  });
});

describe("contact fields", () => {
  it("keeps standard fields once and numbers custom ones", () => {
    const fields = normaliseFields([
      { kind: "name", required: true },
      { kind: "text", label: " Order number ", required: true },
      { kind: "select", label: "Product", options: ["A", " ", "B "] },
    ]);
    expect(fields).toEqual([
      { kind: "name", key: "name", label: "", required: true, options: [] },
      { kind: "text", key: "custom1", label: "Order number", required: true, options: [] },
      { kind: "select", key: "custom2", label: "Product", required: false, options: ["A", "B"] },
    ]);
  });

  it("refuses a standard field twice, a custom field without label, a select without options", () => {
    expect(
      refusal(() => normaliseFields([{ kind: "email" }, { kind: "email" }])).fields["fields.1"]?.code,
    ).toBe("duplicate_field");
    expect(
      refusal(() => normaliseFields([{ kind: "text", label: "  " }])).fields["fields.0.label"]?.code,
    ).toBe("required");
    expect(
      refusal(() => normaliseFields([{ kind: "select", label: "X" }])).fields["fields.0.options"]?.code,
    ).toBe("options_required");
    expect(refusal(() => normaliseFields([{ kind: "html" }])).status).toBe(400);
  });

  it("allows at most ten custom fields", () => {
    const custom = (n: number) => Array.from({ length: n }, (_, i) => ({ kind: "text", label: `F${i}` }));
    expect(normaliseFields(custom(LIMITS.customFields))).toHaveLength(10);
    const err = refusal(() => normaliseFields(custom(LIMITS.customFields + 1)));
    expect(err.fields.fields?.code).toBe("too_many_custom_fields");
  });
});
