import type { FastifySchema, RouteOptions } from "fastify";
import { type Static, type TSchema, Type } from "typebox";
import { CONNECTION_MODES } from "../../shared/model.js";
import type {
  AgentStats,
  AgentStatus,
  ChatMessage,
  CodeView,
  ColleagueView,
  ConsoleSnapshot,
  CustomerStatus,
  IceServer,
  OfferView,
  PortalTargetView,
  QueueStat,
  RequestView,
  SessionMember,
  SessionSummary,
  SessionView,
  SupervisorView,
  SystemEventKind,
  TeamAlert,
  TransferView,
} from "../../shared/protocol.js";
import { ErrorSchema } from "./schemas.js";

/**
 * The documented answers of /api/v1, as TypeBox schemas derived from the types in
 * `shared/protocol.ts`. Fastify serializes a response with fast-json-stringify from its schema
 * and silently drops every property the schema does not list, so each schema here must be
 * complete: the `Exactly` checks at the bottom fail to compile when a protocol type gains,
 * loses or changes a field that its schema does not.
 */

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const REQUEST_STATES = [
  "waiting",
  "accepted",
  "canceled",
  "declined",
  "no-response",
  "offline",
  "ended",
] as const;
const ALERT_KINDS = ["broadcast", "targeted", "code", "queue"] as const;
const AGENT_STATUSES = ["available", "busy", "offline"] as const;
const CUSTOMER_REASONS = ["agent_unavailable", "no_response", "canceled", "ended", "offline"] as const;
const OUTCOMES = ["resolved", "unresolved", "unknown"] as const;

/** The 9-digit number the customer and the agent see as "Session ID" (not the session's id). */
const SessionNumber = Type.String({
  pattern: "^[0-9]{9}$",
  description: 'The 9-digit number the customer and the agent see as "Session ID"',
});
/** The old name of the session number, kept for one release. */
const DeprecatedSessionId = Type.String({
  pattern: "^[0-9]{9}$",
  deprecated: true,
  description: "Deprecated: the same 9-digit number as sessionNumber; removed in the next release.",
});

export const RequestViewSchema = Type.Object({
  id: Type.String(),
  sessionNumber: SessionNumber,
  sessionId: DeprecatedSessionId,
  portalId: Type.String(),
  portalName: Type.String(),
  kind: Type.Enum([...ALERT_KINDS]),
  state: Type.Enum([...REQUEST_STATES]),
  targetAgentId: Nullable(Type.String()),
  customerName: Type.String(),
  customerEmail: Type.String(),
  question: Type.String(),
  contact: Type.Record(Type.String(), Type.String()),
  createdAt: Type.Number(),
  deadlineAt: Nullable(Type.Number()),
  agentId: Nullable(Type.String()),
  agentName: Nullable(Type.String()),
  stateAt: Type.Number(),
});

const SYSTEM_EVENT_KINDS = [
  "owner.changed",
  "transfer.requested",
  "transfer.declined",
  "transfer.timed-out",
  "transfer.canceled",
  "invited",
  "invite.declined",
  "invite.expired",
  "joined",
  "left",
  "removed",
  "monitor.started",
  "monitor.stopped",
  "share.stopped",
] as const satisfies readonly SystemEventKind[];

export const SystemEventSchema = Type.Object({
  kind: Type.Enum([...SYSTEM_EVENT_KINDS]),
  name: Type.Optional(Type.String()),
  by: Type.Optional(Type.String()),
  from: Type.Optional(Type.String()),
  portal: Type.Optional(Type.Boolean()),
});

export const ChatMessageSchema = Type.Object({
  seq: Type.Integer(),
  sender: Type.Enum(["customer", "agent", "system", "note"]),
  authorName: Type.String(),
  body: Type.String(),
  at: Type.Number(),
  authorId: Type.Optional(Type.String()),
  visibility: Type.Optional(Type.Literal("agents")),
  event: Type.Optional(SystemEventSchema),
});

export const SessionMemberSchema = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  name: Type.String(),
  role: Type.Enum(["participant", "monitor"]),
  state: Type.Enum(["invited", "joined"]),
  since: Type.Number(),
});

/** `sessionId` where it is a session's own id (the UUID of /sessions/{sessionId}), never the 9-digit number. */
export const SESSION_OWN_ID =
  "The session's own id (as in /api/v1/sessions/{sessionId}), not the 9-digit number.";
const SessionOwnId = Type.String({ description: SESSION_OWN_ID });

export const TransferViewSchema = Type.Object({
  id: Type.String(),
  sessionId: SessionOwnId,
  fromAgentId: Type.String(),
  fromName: Type.String(),
  toAgentId: Nullable(Type.String()),
  toAgentName: Nullable(Type.String()),
  toPortalId: Nullable(Type.String()),
  toPortalName: Nullable(Type.String()),
  note: Type.String(),
  createdAt: Type.Number(),
  expiresAt: Type.Number(),
});

export const SessionViewSchema = Type.Object({
  id: Type.String(),
  request: RequestViewSchema,
  agentId: Type.String(),
  agentName: Type.String(),
  startedAt: Type.Number(),
  endedAt: Nullable(Type.Number()),
  lastSeq: Type.Integer(),
  role: Type.Enum(["owner", "participant", "monitor"]),
  members: Type.Array(SessionMemberSchema),
  transfer: Nullable(TransferViewSchema),
  share: Nullable(Type.Enum(["requested", "declined", "sharing", "stopped", "failed"])),
});

export const TeamAlertSchema = Type.Object({
  id: Type.String(),
  kind: Type.Enum(["transfer", "invite"]),
  sessionId: SessionOwnId,
  request: RequestViewSchema,
  fromName: Type.String(),
  note: Type.String(),
  portalName: Nullable(Type.String()),
  createdAt: Type.Number(),
  expiresAt: Type.Number(),
  messages: Type.Array(ChatMessageSchema),
});

export const ColleagueViewSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Type.Enum(["agent", "manager", "admin"]),
  available: Type.Boolean(),
  sessions: Type.Integer(),
  maxSessions: Type.Integer(),
  unavailableReason: Nullable(Type.Enum(["unavailable", "at_limit"])),
});

export const PortalTargetViewSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  queue: Type.Boolean(),
  availableAgents: Type.Integer(),
});

const NamedUser = Type.Object({ userId: Type.String(), name: Type.String() });

export const LiveSessionRowSchema = Type.Object({
  sessionId: SessionOwnId,
  request: RequestViewSchema,
  agentId: Type.String(),
  agentName: Type.String(),
  startedAt: Type.Number(),
  waitedMs: Type.Number(),
  participants: Type.Array(NamedUser),
  monitors: Type.Array(NamedUser),
  transferPending: Type.Boolean(),
  sharing: Type.Boolean(),
});

export const SupervisorViewSchema = Type.Object({
  sessions: Type.Array(LiveSessionRowSchema),
  waiting: Type.Array(RequestViewSchema),
  tellCustomerMonitored: Type.Boolean(),
  serverTime: Type.Number(),
});

export const CodeViewSchema = Type.Object({
  id: Type.String(),
  code: Type.String(),
  name: Type.String(),
  portalId: Type.String(),
  portalName: Type.String(),
  portalSlug: Type.String(),
  createdAt: Type.Number(),
  expiresAt: Type.Number(),
  joinUrl: Type.String(),
  portalUrl: Type.String(),
});

export const OfferViewSchema = Type.Object({
  id: Type.String(),
  request: RequestViewSchema,
  createdAt: Type.Number(),
  expiresAt: Type.Number(),
});

export const QueueStatSchema = Type.Object({
  portalId: Type.String(),
  length: Type.Integer(),
  oldestSince: Nullable(Type.Number()),
});

export const AgentStatsSchema = Type.Object({
  sessionsToday: Type.Integer(),
  acceptedToday: Type.Integer(),
  averageWaitSeconds: Nullable(Type.Number()),
  averageSessionSeconds: Nullable(Type.Number()),
});

export const SessionSummarySchema = Type.Object({
  id: Type.String(),
  request: RequestViewSchema,
  startedAt: Type.Number(),
  endedAt: Type.Number(),
  endedBy: Nullable(Type.Enum(["agent", "customer"])),
  outcome: Nullable(Type.Enum([...OUTCOMES])),
  notes: Nullable(Type.String()),
  ticket: Nullable(Type.String()),
  rating: Nullable(Type.Integer()),
  comment: Nullable(Type.String()),
});

export const IceServerSchema = Type.Object({
  urls: Type.Union([Type.String(), Type.Array(Type.String())]),
  username: Type.Optional(Type.String()),
  credential: Type.Optional(Type.String()),
});

export const ConsoleSnapshotSchema = Type.Object({
  available: Type.Boolean(),
  incoming: Type.Array(RequestViewSchema),
  sessions: Type.Array(SessionViewSchema),
  history: Type.Array(RequestViewSchema),
  offline: Type.Array(RequestViewSchema),
  codes: Type.Array(CodeViewSchema),
  stats: AgentStatsSchema,
  offer: Nullable(OfferViewSchema),
  queues: Type.Array(QueueStatSchema),
  ended: Type.Array(SessionSummarySchema),
  teamAlerts: Type.Array(TeamAlertSchema),
  upgradeEnabled: Type.Boolean(),
  iceServers: Type.Array(IceServerSchema),
  serverTime: Type.Number(),
});

export const CustomerStatusSchema = Type.Object({
  requestId: Type.String(),
  sessionNumber: SessionNumber,
  sessionId: DeprecatedSessionId,
  state: Type.Enum([...REQUEST_STATES]),
  createdAt: Type.Number(),
  agentName: Nullable(Type.String()),
  reason: Nullable(Type.Enum([...CUSTOMER_REASONS])),
  connectionMode: Type.Enum([...CONNECTION_MODES]),
  upgradeEnabled: Type.Boolean(),
  iceServers: Type.Array(IceServerSchema),
  surveyed: Type.Boolean(),
  serverTime: Type.Number(),
});

/** `GET /portals/:slug/agents`: whether anyone can answer, and (pick-agent portals only) who. */
export const PortalAgentsSchema = Type.Object({
  anyAvailable: Type.Boolean(),
  agents: Type.Array(
    Type.Object({
      id: Type.String(),
      displayName: Type.String(),
      avatarUrl: Nullable(Type.String()),
      status: Type.Enum([...AGENT_STATUSES]),
    }),
  ),
});
export type PortalAgents = Static<typeof PortalAgentsSchema>;

/** A customer got through: their request, its session number and the page to go to (the cookie is set). */
export const TicketSchema = Type.Object({
  requestId: Type.String(),
  sessionNumber: SessionNumber,
  sessionId: DeprecatedSessionId,
  url: Type.String(),
});
export type TicketAnswer = Static<typeof TicketSchema>;

export const OfflineReceiptSchema = Type.Object({
  sessionNumber: SessionNumber,
  sessionId: DeprecatedSessionId,
});

/** A transcript download: text by default, JSON with `?format=json`. */
export const TranscriptResponse = {
  description: "The conversation as a download (Content-Disposition: attachment)",
  content: {
    "text/plain": { schema: Type.String() },
    "application/json": {
      schema: Type.Object({ session: RequestViewSchema, messages: Type.Array(ChatMessageSchema) }),
    },
  },
};

// ── refusals every route may give, documented once (see documentCommonResponses) ──────────
const RetryAfter = {
  "retry-after": { type: "integer", description: "Seconds to wait before trying again" },
};

/** 429 with Retry-After: a rate limit or lockout. */
export const RateLimited = Type.Object(ErrorSchema.properties, {
  description: "Too many attempts; try again after Retry-After seconds",
  headers: RetryAfter,
});

const Unavailable = Type.Object(ErrorSchema.properties, {
  description: "The database cannot be reached; nothing was saved. Try again after Retry-After seconds",
  headers: RetryAfter,
});
const TooLarge = Type.Object(ErrorSchema.properties, { description: "The body is over 256 KB" });
const UnsupportedMediaType = Type.Object(ErrorSchema.properties, {
  description: "The body is not application/json",
});

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

/**
 * The @fastify/swagger transform: only /api/v1 is documented, and every route of it gets the
 * refusals the server gives whatever the route — 503 with Retry-After when the database is away,
 * and for methods with a body 413 (over the body limit) and 415 (not JSON). Documentation only:
 * these answers are built by the error handler, not serialized from the route's schema.
 */
export function documentCommonResponses({
  schema,
  url,
  route,
}: {
  schema: FastifySchema;
  url: string;
  route: Pick<RouteOptions, "method" | "config">;
}): { schema: FastifySchema; url: string } {
  if (!url.startsWith("/api/v1")) return { schema: { ...schema, hide: true }, url };
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const withBody = methods.some((m) => BODY_METHODS.has(m.toUpperCase()));
  // Routes an API token may use say so (and with which scope); all others need a sign-in.
  const scope = (route.config as { tokenScope?: string } | undefined)?.tokenScope;
  const described = schema as FastifySchema & { description?: string; security?: unknown };
  return {
    schema: {
      ...schema,
      ...(scope
        ? {
            security: [{ cookieAuth: [] }, { bearerAuth: [] }],
            description: `${described.description ? `${described.description}\n\n` : ""}API tokens need the scope \`${scope}\`.`,
          }
        : {}),
      response: {
        ...(withBody ? { 413: TooLarge, 415: UnsupportedMediaType } : {}),
        503: Unavailable,
        ...((schema.response as Record<string, unknown> | undefined) ?? {}),
      },
    },
    url,
  };
}

// ── the schemas match the protocol types exactly ─────────────────────────────────────────
type Exactly<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function matches<_T extends true>(): void {}
matches<Exactly<Static<typeof RequestViewSchema>, RequestView>>();
matches<Exactly<Static<typeof ChatMessageSchema>, ChatMessage>>();
matches<Exactly<Static<typeof SessionViewSchema>, SessionView>>();
matches<Exactly<Static<typeof SessionMemberSchema>, SessionMember>>();
matches<Exactly<Static<typeof TransferViewSchema>, TransferView>>();
matches<Exactly<Static<typeof TeamAlertSchema>, TeamAlert>>();
matches<Exactly<Static<typeof ColleagueViewSchema>, ColleagueView>>();
matches<Exactly<Static<typeof PortalTargetViewSchema>, PortalTargetView>>();
matches<Exactly<Static<typeof SupervisorViewSchema>, SupervisorView>>();
matches<Exactly<Static<typeof CodeViewSchema>, CodeView>>();
matches<Exactly<Static<typeof OfferViewSchema>, OfferView>>();
matches<Exactly<Static<typeof QueueStatSchema>, QueueStat>>();
matches<Exactly<Static<typeof AgentStatsSchema>, AgentStats>>();
matches<Exactly<Static<typeof SessionSummarySchema>, SessionSummary>>();
matches<Exactly<Static<typeof IceServerSchema>, IceServer>>();
matches<Exactly<Static<typeof ConsoleSnapshotSchema>, ConsoleSnapshot>>();
matches<Exactly<Static<typeof CustomerStatusSchema>, CustomerStatus>>();
matches<Exactly<PortalAgents["agents"][number]["status"], AgentStatus>>();
