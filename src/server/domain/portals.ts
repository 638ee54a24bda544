import {
  type ConnectionMode,
  type ContactField,
  CUSTOM_FIELD_KINDS,
  type CustomFieldKind,
  LIMITS,
  type Mode,
  type PortalType,
  portalTypesFor,
  STANDARD_FIELD_KINDS,
  type StandardFieldKind,
} from "../../shared/model.js";
import { fieldError } from "./errors.js";

/** BEHAVIOUR.md §2: refuse a portal type the account's mode does not allow. */
export function assertPortalTypeAllowed(mode: Mode, type: PortalType): void {
  const allowed = portalTypesFor(mode);
  if (!allowed.includes(type)) {
    throw fieldError(
      409,
      "type",
      "type_not_allowed",
      `A ${mode}-mode account cannot have a ${type} portal; it allows: ${allowed.join(", ")}.`,
      { mode, allowed: allowed.join(", ") },
    );
  }
}

export interface PortalSummary {
  slug: string;
  type: PortalType;
}

/** The portals that would break the mode rule if the account switched to `mode`. */
export function portalsForbiddenByMode(mode: Mode, portals: PortalSummary[]): PortalSummary[] {
  const allowed = portalTypesFor(mode);
  return portals.filter((p) => !allowed.includes(p.type));
}

export function assertModeChangeAllowed(mode: Mode, portals: PortalSummary[]): void {
  const bad = portalsForbiddenByMode(mode, portals);
  if (bad.length > 0) {
    const list = bad.map((p) => `${p.slug} (${p.type})`).join(", ");
    throw fieldError(
      409,
      "mode",
      "mode_conflicts_with_portals",
      `Cannot switch to ${mode} mode: these portals have types that mode does not allow: ${list}. Change or remove them first.`,
      { mode, portals: list },
    );
  }
}

/** BEHAVIOUR.md §7: a chat-first portal needs web chat enabled on its account. */
export function assertConnectionModeAllowed(connectionMode: ConnectionMode, webChatEnabled: boolean): void {
  if (connectionMode === "chat-first" && !webChatEnabled) {
    throw fieldError(
      409,
      "connectionMode",
      "chat_disabled",
      "Chat first needs web chat, which is switched off for this account. Choose direct, or switch web chat on in the account settings.",
    );
  }
}

export function assertWebChatSwitchAllowed(webChatEnabled: boolean, chatFirstPortals: string[]): void {
  if (!webChatEnabled && chatFirstPortals.length > 0) {
    throw fieldError(
      409,
      "webChatEnabled",
      "chat_first_portals",
      `Web chat is used by these chat-first portals: ${chatFirstPortals.join(", ")}. Set them to direct first.`,
      { portals: chatFirstPortals.join(", ") },
    );
  }
}

export interface FieldInput {
  kind: string;
  label?: string;
  required?: boolean;
  options?: string[];
}

/**
 * Checks and normalises a portal's contact fields: each standard kind at most once, at most
 * ten custom fields, each custom field with a label, select fields with options.
 */
export function normaliseFields(input: FieldInput[]): ContactField[] {
  const seen = new Set<string>();
  let custom = 0;
  const out: ContactField[] = [];
  input.forEach((f, i) => {
    const at = `fields.${i}`;
    if ((STANDARD_FIELD_KINDS as readonly string[]).includes(f.kind)) {
      const kind = f.kind as StandardFieldKind;
      if (seen.has(kind)) {
        throw fieldError(400, at, "duplicate_field", `The ${kind} field appears twice; keep one.`, { kind });
      }
      seen.add(kind);
      out.push({
        kind,
        key: kind,
        label: (f.label ?? "").trim(),
        required: f.required ?? false,
        options: [],
      });
      return;
    }
    if (!(CUSTOM_FIELD_KINDS as readonly string[]).includes(f.kind)) {
      throw fieldError(400, at, "unknown_field_kind", `Unknown field kind "${f.kind}".`, { kind: f.kind });
    }
    custom += 1;
    if (custom > LIMITS.customFields) {
      throw fieldError(
        400,
        "fields",
        "too_many_custom_fields",
        `At most ${LIMITS.customFields} custom fields.`,
        {
          limit: LIMITS.customFields,
        },
      );
    }
    const label = (f.label ?? "").trim();
    if (label === "") throw fieldError(400, `${at}.label`, "required", "A custom field needs a label.");
    const options = (f.options ?? []).map((o) => o.trim()).filter((o) => o !== "");
    if (f.kind === "select" && options.length === 0) {
      throw fieldError(400, `${at}.options`, "options_required", "A choice field needs at least one option.");
    }
    out.push({
      kind: f.kind as CustomFieldKind,
      key: `custom${custom}`,
      label,
      required: f.required ?? false,
      options: f.kind === "select" ? options : [],
    });
  });
  return out;
}
