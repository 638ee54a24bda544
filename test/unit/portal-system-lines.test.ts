import { describe, expect, it } from "vitest";
import { messageText, portalText } from "../../src/shared/i18n/portal.js";
import type { ChatMessage, SystemEvent } from "../../src/shared/protocol.js";

/** The customer's page words a session's system lines (transfer, colleagues, supervisor) in its own language. */
describe("system lines on the customer's page", () => {
  const line = (event: SystemEvent | undefined, body = "English body"): ChatMessage => ({
    seq: 1,
    sender: "system",
    authorName: "",
    body,
    at: 0,
    ...(event ? { event } : {}),
  });

  it("words every kind the customer gets, in English and German", () => {
    const cases: [SystemEvent, string, string][] = [
      [{ kind: "owner.changed", name: "Jo" }, "You are now talking to Jo", "Sie sprechen jetzt mit Jo"],
      [{ kind: "joined", name: "Jo" }, "Jo joined the conversation", "Jo ist dem Gespräch beigetreten"],
      [{ kind: "left", name: "Jo" }, "Jo left the conversation", "Jo hat das Gespräch verlassen"],
      [
        { kind: "removed", name: "Jo", by: "Ann" },
        "Jo left the conversation",
        "Jo hat das Gespräch verlassen",
      ],
      [
        { kind: "monitor.started", name: "Mo" },
        "A supervisor (Mo) is following the conversation",
        "Eine Teamleitung (Mo) verfolgt das Gespräch",
      ],
      [
        { kind: "monitor.stopped", name: "Mo" },
        "The supervisor stopped following the conversation",
        "Die Teamleitung verfolgt das Gespräch nicht mehr",
      ],
      [
        { kind: "share.stopped" },
        "Screen sharing stopped because another agent took over the conversation",
        "Die Bildschirmfreigabe wurde beendet, weil ein anderer Mitarbeiter das Gespräch übernommen hat",
      ],
    ];
    for (const [event, en, de] of cases) {
      expect(messageText(portalText.en, line(event))).toBe(en);
      expect(messageText(portalText.de, line(event))).toBe(de);
    }
  });

  it("keeps the body for unknown kinds, a missing name, no event, and anyone's own words", () => {
    expect(messageText(portalText.de, line({ kind: "transfer.requested", name: "Jo" }))).toBe("English body");
    expect(messageText(portalText.de, line({ kind: "joined" }))).toBe("English body");
    expect(messageText(portalText.de, line({ kind: "joined", name: "  " }))).toBe("English body");
    expect(messageText(portalText.de, line(undefined))).toBe("English body");
    const agentSaid: ChatMessage = {
      ...line({ kind: "joined", name: "Jo" }, "Hello, I am Jo"),
      sender: "agent",
      authorName: "Jo",
    };
    expect(messageText(portalText.de, agentSaid)).toBe("Hello, I am Jo");
  });

  it("a name is put in as text, never read as a placeholder", () => {
    expect(messageText(portalText.en, line({ kind: "joined", name: "{name} <b>" }))).toBe(
      "{name} <b> joined the conversation",
    );
  });
});
