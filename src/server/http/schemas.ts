import { type TSchema, Type } from "typebox";
import { WEEKDAYS } from "../../shared/businessHours.js";
import {
  COLOR_PATTERN,
  CONNECTION_MODES,
  EMAIL_PATTERN,
  FIELD_KINDS,
  LANGUAGES,
  LIMITS,
  MODES,
  PORTAL_TYPES,
  ROLES,
  SLUG_PATTERN,
} from "../../shared/model.js";

/** TypeBox schemas: validation, TypeScript types and the OpenAPI document from one source. */

const URL_PATTERN = "^(https?://|/)\\S*$";
export const strict = { additionalProperties: false } as const;

export const Id = Type.String({ minLength: 1, maxLength: 64 });
export const Email = Type.String({ minLength: 3, maxLength: LIMITS.email, pattern: EMAIL_PATTERN });
export const Password = Type.String({ minLength: LIMITS.passwordMin, maxLength: LIMITS.passwordMax });
export const DisplayName = Type.String({ minLength: 1, maxLength: LIMITS.userName });
export const OptionalUrl = Type.Union([
  Type.String({ maxLength: LIMITS.url, pattern: URL_PATTERN }),
  Type.Null(),
]);
export const ModeSchema = Type.Enum([...MODES]);
export const RoleSchema = Type.Enum([...ROLES]);
export const PortalTypeSchema = Type.Enum([...PORTAL_TYPES]);
export const ConnectionModeSchema = Type.Enum([...CONNECTION_MODES]);
export const LanguageSchema = Type.Enum([...LANGUAGES]);
export const MaxSessions = Type.Integer({ minimum: LIMITS.maxSessionsMin, maximum: LIMITS.maxSessionsMax });

export const ErrorSchema = Type.Object({
  error: Type.String(),
  message: Type.String(),
  params: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]))),
  fields: Type.Optional(
    Type.Record(
      Type.String(),
      Type.Object({
        code: Type.String(),
        message: Type.String(),
        params: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]))),
      }),
    ),
  ),
});

/** What the routes of a signed-in user may answer besides success. */
export const SignedInErrors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
};

/** A query string is text; `since` (the last message seen) arrives as digits and is read as a number. */
export const SinceQuery = Type.Object({ since: Type.Optional(Type.String({ pattern: "^[0-9]{1,15}$" })) });

/** A transcript download: plain text (default) or JSON. */
export const TranscriptQuery = Type.Object({ format: Type.Optional(Type.Enum(["txt", "json"])) });

export const AccountSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  mode: ModeSchema,
  webChatEnabled: Type.Boolean(),
  upgradeEnabled: Type.Boolean(),
  offerTimeoutSeconds: Type.Integer(),
  tellCustomerMonitored: Type.Boolean(),
  timeZone: Type.String({ description: "IANA time zone of the reports' days and hours" }),
  createdAt: Type.Number(),
});

export const UserSchema = Type.Object({
  id: Type.String(),
  accountId: Type.Union([Type.String(), Type.Null()]),
  email: Type.String(),
  displayName: Type.String(),
  avatarUrl: Type.Union([Type.String(), Type.Null()]),
  role: Type.String(),
  maxSessions: Type.Integer(),
  disabled: Type.Boolean(),
  portalIds: Type.Array(Type.String()),
  language: LanguageSchema,
  invited: Type.Boolean(),
  createdAt: Type.Number(),
});

const FieldSchema = Type.Object(
  {
    kind: Type.Enum([...FIELD_KINDS]),
    label: Type.Optional(Type.String({ maxLength: LIMITS.fieldLabel })),
    required: Type.Optional(Type.Boolean()),
    options: Type.Optional(
      Type.Array(Type.String({ maxLength: LIMITS.selectOption }), { maxItems: LIMITS.selectOptions }),
    ),
  },
  strict,
);

const IntervalSchema = Type.Object(
  {
    start: Type.String({ maxLength: 5, description: "HH:MM, local time" }),
    end: Type.String({ maxLength: 5, description: "HH:MM after the start, at most 24:00" }),
  },
  strict,
);
const weekdays = <T extends TSchema>(item: () => T) =>
  Object.fromEntries(WEEKDAYS.map((d) => [d, item()])) as Record<(typeof WEEKDAYS)[number], T>;

/** Business hours as saved (src/shared/businessHours.ts). */
function BusinessHoursSchema() {
  return Type.Object({
    timeZone: Type.String(),
    weekly: Type.Object(weekdays(() => Type.Array(IntervalSchema))),
    closures: Type.Array(Type.Object({ from: Type.String(), to: Type.String(), message: Type.String() })),
  });
}

/** Business hours as sent: a missing weekday is closed all day; a closure's `to` defaults to its `from`. */
function BusinessHoursInputSchema() {
  return Type.Object(
    {
      timeZone: Type.String({ maxLength: 100, description: "IANA time zone, e.g. Europe/Berlin" }),
      weekly: Type.Object(
        weekdays(() => Type.Optional(Type.Array(IntervalSchema, { maxItems: 50 }))),
        strict,
      ),
      closures: Type.Optional(
        Type.Array(
          Type.Object(
            {
              from: Type.Optional(
                Type.String({ maxLength: 20, description: "YYYY-MM-DD, the first closed day" }),
              ),
              to: Type.Optional(
                Type.String({ maxLength: 20, description: "YYYY-MM-DD, the last closed day" }),
              ),
              message: Type.Optional(Type.String({ maxLength: 2000 })),
            },
            strict,
          ),
          { maxItems: 200 },
        ),
      ),
    },
    strict,
  );
}

export const PortalSchema = Type.Object({
  id: Type.String(),
  accountId: Type.String(),
  slug: Type.String(),
  url: Type.String(),
  type: PortalTypeSchema,
  name: Type.String(),
  title: Type.String(),
  welcomeText: Type.String(),
  language: LanguageSchema,
  primaryColor: Type.String(),
  logoUrl: Type.Union([Type.String(), Type.Null()]),
  fields: Type.Array(
    Type.Object({
      kind: Type.String(),
      key: Type.String(),
      label: Type.String(),
      required: Type.Boolean(),
      options: Type.Array(Type.String()),
    }),
  ),
  connectionMode: ConnectionModeSchema,
  enabled: Type.Boolean(),
  maxWaitSeconds: Type.Integer(),
  greeting: Type.String(),
  agentIds: Type.Array(Type.String()),
  notifyEmails: Type.Array(Type.String()),
  businessHours: Type.Union([BusinessHoursSchema(), Type.Null()]),
  createdAt: Type.Number(),
  updatedAt: Type.Number(),
});

export const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: LIMITS.email }),
    password: Type.String({ minLength: 1, maxLength: LIMITS.passwordMax }),
  },
  strict,
);

export const AccountParams = Type.Object({ accountId: Id });
export const UserParams = Type.Object({ accountId: Id, userId: Id });
export const PortalParams = Type.Object({ accountId: Id, portalId: Id });

export const NewAccountBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: LIMITS.accountName }),
    mode: ModeSchema,
    webChatEnabled: Type.Optional(Type.Boolean()),
    upgradeEnabled: Type.Optional(Type.Boolean()),
    timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    admin: Type.Object({ email: Email, displayName: DisplayName, password: Type.Optional(Password) }, strict),
  },
  strict,
);

export const AccountPatchBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.accountName })),
    mode: Type.Optional(ModeSchema),
    webChatEnabled: Type.Optional(Type.Boolean()),
    upgradeEnabled: Type.Optional(Type.Boolean()),
    offerTimeoutSeconds: Type.Optional(
      Type.Integer({ minimum: LIMITS.offerTimeoutMin, maximum: LIMITS.offerTimeoutMax }),
    ),
    tellCustomerMonitored: Type.Optional(Type.Boolean()),
    timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  strict,
);

export const NewUserBody = Type.Object(
  {
    email: Email,
    displayName: DisplayName,
    role: RoleSchema,
    password: Type.Optional(Password),
    avatarUrl: Type.Optional(OptionalUrl),
    maxSessions: Type.Optional(MaxSessions),
    portalIds: Type.Optional(Type.Array(Id, { maxItems: 500 })),
    language: Type.Optional(LanguageSchema),
    /** Send a set-password link by email instead of setting a password (needs SMTP_URL). */
    invite: Type.Optional(Type.Boolean()),
  },
  strict,
);

export const UserPatchBody = Type.Object(
  {
    email: Type.Optional(Email),
    displayName: Type.Optional(DisplayName),
    role: Type.Optional(RoleSchema),
    avatarUrl: Type.Optional(OptionalUrl),
    maxSessions: Type.Optional(MaxSessions),
    disabled: Type.Optional(Type.Boolean()),
    portalIds: Type.Optional(Type.Array(Id, { maxItems: 500 })),
    language: Type.Optional(LanguageSchema),
  },
  strict,
);

export const PasswordResetBody = Type.Object({ password: Type.Optional(Password) }, strict);

const portalFields = {
  slug: Type.String({ minLength: LIMITS.slugMin, maxLength: LIMITS.slugMax, pattern: SLUG_PATTERN }),
  type: PortalTypeSchema,
  name: Type.String({ minLength: 1, maxLength: LIMITS.portalName }),
  title: Type.Optional(Type.String({ maxLength: LIMITS.portalTitle })),
  welcomeText: Type.Optional(Type.String({ maxLength: LIMITS.welcomeText })),
  language: Type.Optional(LanguageSchema),
  primaryColor: Type.Optional(Type.String({ pattern: COLOR_PATTERN })),
  logoUrl: Type.Optional(OptionalUrl),
  fields: Type.Optional(Type.Array(FieldSchema, { maxItems: 5 + LIMITS.customFields })),
  connectionMode: Type.Optional(ConnectionModeSchema),
  enabled: Type.Optional(Type.Boolean()),
  maxWaitSeconds: Type.Optional(Type.Integer({ minimum: LIMITS.maxWaitMin, maximum: LIMITS.maxWaitMax })),
  greeting: Type.Optional(Type.String({ maxLength: LIMITS.greeting })),
  agentIds: Type.Optional(Type.Array(Id, { maxItems: 500 })),
  notifyEmails: Type.Optional(Type.Array(Email, { maxItems: 10 })),
  /** null: open around the clock. The rules (overlaps, zones, closures) are the domain's, naming each field. */
  businessHours: Type.Optional(Type.Union([BusinessHoursInputSchema(), Type.Null()])),
};

export const NewPortalBody = Type.Object(portalFields, strict);
export const PortalPatchBody = Type.Partial(Type.Object(portalFields), strict);
