/** The product's vocabulary, shared by server and browser: modes, portal types, roles, limits. */

export const MODES = ["web", "phone", "queue"] as const;
export type Mode = (typeof MODES)[number];

export const PORTAL_TYPES = ["pick-agent", "question", "button", "code"] as const;
export type PortalType = (typeof PORTAL_TYPES)[number];

/** BEHAVIOUR.md §2: the mode decides which portal types an account may have. */
export const PORTAL_TYPES_BY_MODE: Record<Mode, readonly PortalType[]> = {
  web: ["pick-agent", "question", "button"],
  phone: ["code"],
  queue: ["question"],
};

export const ROLES = ["admin", "manager", "agent"] as const;
export type Role = (typeof ROLES)[number];
/** Operators run the installation; they belong to no account and may act as admin in any. */
export type Principal = Role | "operator";

export const CONNECTION_MODES = ["chat-first", "direct"] as const;
export type ConnectionMode = (typeof CONNECTION_MODES)[number];

export const LANGUAGES = ["en", "de"] as const;
export type Language = (typeof LANGUAGES)[number];

export const STANDARD_FIELD_KINDS = ["name", "email", "phone", "company", "problem"] as const;
export type StandardFieldKind = (typeof STANDARD_FIELD_KINDS)[number];
export const CUSTOM_FIELD_KINDS = ["text", "select"] as const;
export type CustomFieldKind = (typeof CUSTOM_FIELD_KINDS)[number];
export type FieldKind = StandardFieldKind | CustomFieldKind;
export const FIELD_KINDS: readonly FieldKind[] = [...STANDARD_FIELD_KINDS, ...CUSTOM_FIELD_KINDS];

/** One contact field of a portal's form. Standard kinds appear at most once; custom ones need a label. */
export interface ContactField {
  kind: FieldKind;
  /** Stable key the submitted value is stored under: the kind for standard fields, `custom1`… for custom ones. */
  key: string;
  label: string;
  required: boolean;
  options: string[];
}

export const LIMITS = {
  accountName: 100,
  userName: 100,
  email: 254,
  passwordMin: 8,
  passwordMax: 128,
  maxSessionsMin: 1,
  maxSessionsMax: 20,
  url: 2000,
  slugMin: 3,
  slugMax: 64,
  portalName: 100,
  portalTitle: 100,
  welcomeText: 2000,
  fieldLabel: 100,
  customFields: 10,
  selectOptions: 50,
  selectOption: 100,
  question: 2000,
  chatMessage: 5000,
  greeting: 1000,
  notes: 5000,
  ticket: 100,
  surveyComment: 2000,
  /** The note a transfer carries for its receiver. */
  transferNote: 500,
  /** Colleagues invited at once (and in a session besides its owner). */
  invitations: 7,
  offerTimeoutMin: 5,
  offerTimeoutMax: 300,
  maxWaitMin: 60,
  maxWaitMax: 4 * 60 * 60,
} as const;

export const SLUG_PATTERN = "^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$";
export const COLOR_PATTERN = "^#[0-9a-fA-F]{6}$";
export const EMAIL_PATTERN = "^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$";

export function portalTypesFor(mode: Mode): readonly PortalType[] {
  return PORTAL_TYPES_BY_MODE[mode];
}

export function defaultFields(type: PortalType): ContactField[] {
  const f = (kind: StandardFieldKind, required: boolean): ContactField => ({
    kind,
    key: kind,
    label: "",
    required,
    options: [],
  });
  switch (type) {
    case "pick-agent":
    case "question":
      return [f("name", true), f("email", false)];
    case "button":
    case "code":
      return [];
  }
}
