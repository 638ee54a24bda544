import type { BusinessHours } from "./businessHours.js";
import type { ConnectionMode, ContactField, Language, Mode, PortalType, Principal, Role } from "./model.js";

/** Payloads of the REST API under /api/v1, as the browser sees them. */

export interface Account {
  id: string;
  name: string;
  mode: Mode;
  webChatEnabled: boolean;
  upgradeEnabled: boolean;
  /** Queue mode: how long an agent has to answer an offer before it passes on. */
  offerTimeoutSeconds: number;
  /** Whether a customer is told (a line in the chat) that a supervisor is watching their session. */
  tellCustomerMonitored: boolean;
  /** The IANA time zone reports count days and hours in (e.g. "Europe/Berlin"). */
  timeZone: string;
  createdAt: number;
}

export interface User {
  id: string;
  accountId: string | null;
  email: string;
  displayName: string;
  avatarUrl: string | null;
  role: Principal;
  maxSessions: number;
  disabled: boolean;
  portalIds: string[];
  /** The language of the emails Helpgate sends this user (and of their console, when saved there). */
  language: Language;
  /** Invited by email and has not set a password yet. */
  invited: boolean;
  createdAt: number;
}

export interface Portal {
  id: string;
  accountId: string;
  slug: string;
  url: string;
  type: PortalType;
  name: string;
  title: string;
  welcomeText: string;
  language: Language;
  primaryColor: string;
  logoUrl: string | null;
  fields: ContactField[];
  connectionMode: ConnectionMode;
  enabled: boolean;
  /** Queue mode: after this long in line a request ends as no-response. */
  maxWaitSeconds: number;
  /** The first chat message of every session of this portal (at most 1,000 characters; empty: none). */
  greeting: string;
  agentIds: string[];
  /** Who is emailed an offline message or a request nobody answered (at most 10 addresses). */
  notifyEmails: string[];
  /** The portal's business hours (issue 16); null: open around the clock. */
  businessHours: BusinessHours | null;
  createdAt: number;
  updatedAt: number;
}

export interface Me {
  user: User;
  accounts: Account[];
  /** Whether this server sends email (SMTP_URL is set); when false, email features say so. */
  emailEnabled: boolean;
}

export interface ApiFieldProblem {
  code: string;
  message: string;
  params?: Record<string, string | number>;
}

export interface ApiError {
  error: string;
  message: string;
  /** The values the message was built from (a name, a limit), so a client words it in its own language. */
  params?: Record<string, string | number>;
  fields?: Record<string, ApiFieldProblem>;
}

export type { Role };

/** Integrations (issue 14): webhooks, API tokens, the outbox's deliveries. */

export const WEBHOOK_EVENT_TYPES = [
  "request.submitted",
  "request.ended",
  "session.started",
  "session.ended",
  "session.outcome",
  "offline_message.received",
  "survey.answered",
  "code.redeemed",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const API_TOKEN_SCOPES = [
  "sessions:read",
  "reports:read",
  "codes:create",
  "portals:manage",
  "users:manage",
  "webhooks:manage",
] as const;
export type ApiTokenScope = (typeof API_TOKEN_SCOPES)[number];

export interface Integrations {
  email: { configured: boolean; from: string | null };
  webhookEvents: WebhookEventType[];
  tokenScopes: ApiTokenScope[];
  /** HELPGATE_WEBHOOKS_ALLOW_PRIVATE: webhooks may target loopback and private addresses. */
  allowPrivateTargets: boolean;
}

export interface Webhook {
  id: string;
  accountId: string;
  url: string;
  description: string;
  events: WebhookEventType[];
  enabled: boolean;
  /** Why it was switched off automatically (failing for days), else null. */
  disabledReason: string | null;
  /** The first failure since the last success, else null. */
  failingSince: number | null;
  /** The secret's first characters, e.g. "whsec_AbCd…". */
  secretPreview: string;
  createdAt: number;
  updatedAt: number;
  stats: { pending: number; dead: number; lastDeliveryAt: number | null; lastStatus: number | null };
}

/** Only when created and when its secret is rotated. */
export interface WebhookWithSecret extends Webhook {
  secret: string;
}

export type DeliveryState = "pending" | "delivered" | "dead";

/** One row of the outbox: an email or a webhook delivery. Its id is the webhook-id / Message-ID. */
export interface Delivery {
  id: string;
  kind: "email" | "webhook";
  webhookId: string | null;
  /** The webhook event type, or the email's kind ("offline-message", "invitation", …). */
  eventType: string;
  /** The webhook's URL, or the email's addresses joined by ", ". */
  recipient: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: number | null;
  lastError: string | null;
  /** HTTP status (webhooks) or SMTP reply code (email) of the last try. */
  lastStatus: number | null;
  createdAt: number;
  deliveredAt: number | null;
}

/** One try of a webhook delivery, as the endpoint's delivery log shows it. */
export interface DeliveryAttempt {
  id: string;
  deliveryId: string;
  eventType: string;
  attempt: number;
  at: number;
  durationMs: number;
  status: number | null;
  error: string | null;
  /** When the next try is due after this failure; null when delivered or given up. */
  nextAttemptAt: number | null;
}

export interface ApiToken {
  id: string;
  accountId: string;
  name: string;
  scopes: ApiTokenScope[];
  /** The secret's first characters, to recognise it ("hg_3fKq9Az"). */
  prefix: string;
  createdBy: { id: string; name: string } | null;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** A token as created: its secret is shown this once and stored only hashed. */
export interface NewApiToken {
  token: ApiToken;
  secret: string;
}

/** A session code created through the API (a CRM for a caller on the phone). */
export interface ApiCode {
  code: string;
  joinUrl: string;
  expiresAt: number;
  emailed: boolean;
}

/** Reports (issue 12): what happened to every request of a period, in the account's time zone. */

export const REPORT_PERIODS = [
  "today",
  "yesterday",
  "last7",
  "last30",
  "thisMonth",
  "lastMonth",
  "custom",
] as const;
export type ReportPeriod = (typeof REPORT_PERIODS)[number];

/** The period and filters a report was computed for (echoed in every answer). */
export interface ReportScope {
  period: ReportPeriod;
  /** Inclusive start and exclusive end, epoch ms, computed in `timeZone`. */
  from: number;
  to: number;
  /** First and last calendar day of the period in the account's zone ("2026-11-01"). */
  fromDay: string;
  toDay: string;
  timeZone: string;
  portalId: string | null;
  agentId: string | null;
  /** The demo installation's generated history ends here (epoch ms); null: the account's own data only. */
  demoHistoryUntil: number | null;
}

export interface Percentiles {
  /** Seconds; null when there is nothing to measure. */
  median: number | null;
  p90: number | null;
  max: number | null;
}

export interface ReportSummary {
  scope: ReportScope;
  /** Live requests created in the period (not offline messages, not code redemptions). */
  submitted: number;
  /** Sessions started from them, plus code redemptions (counted apart in `codeSessions`). */
  accepted: number;
  codeSessions: number;
  declined: number;
  noResponse: number;
  /** The customer canceled or left, by how long they had waited. */
  canceled: { total: number; under30s: number; under2m: number; under5m: number; over5m: number };
  /** Still waiting at the period's end (not counted as missed). */
  waiting: number;
  /** Offline messages (of any kind), those left outside business hours included. */
  offline: number;
  /** Of `offline`, the ones left while the portal was closed (its business hours): not missed. */
  outsideHours: number;
  /** accepted / (submitted − waiting); null when nothing was decided. */
  answerRate: number | null;
  timeToAccept: Percentiles;
  sessionDuration: Omit<Percentiles, "max">;
  outcomes: { resolved: number; unresolved: number; unknown: number; notRecorded: number };
  rating: {
    answered: number;
    average: number | null;
    distribution: [number, number, number, number, number];
  };
  comments: {
    /** The request (and its session: the same id). */
    requestId: string;
    sessionNumber: string;
    at: number;
    rating: number;
    comment: string;
    agentName: string;
  }[];
}

export interface AgentReportRow {
  agentId: string;
  name: string;
  disabled: boolean;
  sessions: number;
  /** Seconds. */
  medianHandle: number | null;
  medianTimeToAccept: number | null;
  declines: number;
  offersTimedOut: number;
  ratingAverage: number | null;
  ratings: number;
  /** Seconds of the period with the console open (several tabs count once). */
  signedIn: number;
  /** Seconds of those set Available. */
  available: number;
}

export interface PortalReportRow {
  portalId: string;
  name: string;
  /** A deleted portal (listed only with requests in the period). */
  deleted: boolean;
  submitted: number;
  accepted: number;
  declined: number;
  noResponse: number;
  canceled: number;
  offline: number;
  /** Of `offline`, the ones left while the portal was closed. */
  outsideHours: number;
  medianTimeToAccept: number | null;
}

/** One day (in the account's zone) or one hour of the day (0–23, all days of the period together). */
export interface VolumeRow {
  key: string;
  accepted: number;
  declined: number;
  noResponse: number;
  canceled: number;
  offline: number;
  waitMedian: number | null;
  waitP90: number | null;
}

export interface QueueReport {
  scope: ReportScope;
  offersMade: number;
  offersAccepted: number;
  offersDeclined: number;
  offersTimedOut: number;
  /** Seconds the longest-waiting queue request waited (until taken or ended). */
  longestWait: number | null;
  /** Queue requests that ended because they hit the portal's maximum wait. */
  hitMaxWait: number;
}
