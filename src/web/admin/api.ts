import type {
  Account,
  AgentReportRow,
  ApiToken,
  ApiTokenScope,
  Delivery,
  DeliveryAttempt,
  DeliveryState,
  Integrations,
  Me,
  NewApiToken,
  Portal,
  PortalReportRow,
  QueueReport,
  ReportPeriod,
  ReportScope,
  ReportSummary,
  User,
  VolumeRow,
  Webhook,
  WebhookEventType,
  WebhookWithSecret,
} from "../../shared/api.js";
import type { BusinessHoursInput } from "../../shared/businessHours.js";
import type { ConnectionMode, FieldKind, Language, Mode, PortalType, Role } from "../../shared/model.js";
import { apiRequest } from "../common/api.js";

/** The admin pages' calls to /api/v1, typed by the shared payloads. */

export interface AccountInput {
  name: string;
  mode: Mode;
  webChatEnabled: boolean;
  upgradeEnabled: boolean;
  offerTimeoutSeconds: number;
  tellCustomerMonitored: boolean;
  /** IANA zone the reports count days and hours in. */
  timeZone: string;
}

export interface NewAccountInput {
  name: string;
  mode: Mode;
  admin: { email: string; displayName: string; password?: string };
}

export interface UserInput {
  email: string;
  displayName: string;
  role: Role;
  avatarUrl: string | null;
  maxSessions: number;
  portalIds: string[];
  language?: Language;
}

export interface FieldInput {
  kind: FieldKind;
  label: string;
  required: boolean;
  options: string[];
}

export interface PortalInput {
  slug: string;
  type: PortalType;
  name: string;
  title: string;
  welcomeText: string;
  language: Language;
  primaryColor: string;
  logoUrl: string | null;
  fields: FieldInput[];
  connectionMode: ConnectionMode;
  enabled: boolean;
  agentIds: string[];
  maxWaitSeconds?: number;
  greeting?: string;
  notifyEmails?: string[];
  /** null: open around the clock. */
  businessHours?: BusinessHoursInput | null;
}

export interface WebhookInput {
  url: string;
  events: WebhookEventType[];
  description?: string;
  secret?: string;
}

export interface DeliveryFilter {
  state?: DeliveryState;
  kind?: Delivery["kind"];
  webhookId?: string;
  limit?: number;
}

export interface ApiTokenInput {
  name: string;
  scopes: ApiTokenScope[];
  expiresInDays: number | null;
}

/** The filters of a report, as the reports API takes them in its query string. */
export interface ReportFilter {
  period: ReportPeriod;
  /** "YYYY-MM-DD", custom periods only. */
  from?: string;
  to?: string;
  portalId?: string;
  agentId?: string;
}

export type ReportTable = "summary" | "agents" | "portals" | "days" | "hours" | "queue" | "requests";

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s === "" ? "" : `?${s}`;
}

const a = (accountId: string) => `/accounts/${encodeURIComponent(accountId)}`;

export function reportQuery(filter: ReportFilter): string {
  const custom = filter.period === "custom";
  return query({
    period: filter.period,
    from: custom ? filter.from : undefined,
    to: custom ? filter.to : undefined,
    portalId: filter.portalId,
    agentId: filter.agentId,
  });
}

const report = (accountId: string, table: ReportTable, filter: ReportFilter) =>
  `${a(accountId)}/reports/${table}${reportQuery(filter)}`;

/** The address of a report's CSV download (same query as the table). */
export function reportCsvUrl(accountId: string, table: ReportTable, filter: ReportFilter): string {
  return `/api/v1${a(accountId)}/reports/${table}.csv${reportQuery(filter)}`;
}

export const api = {
  me: () => apiRequest<Me>("GET", "/auth/me"),
  login: (email: string, password: string) => apiRequest<Me>("POST", "/auth/login", { email, password }),
  logout: () => apiRequest<null>("POST", "/auth/logout"),

  createAccount: (input: NewAccountInput) =>
    apiRequest<{ account: Account; admin: User; generatedPassword: string | null }>(
      "POST",
      "/accounts",
      input,
    ),
  account: (accountId: string) => apiRequest<Account>("GET", a(accountId)),
  updateAccount: (accountId: string, input: Partial<AccountInput>) =>
    apiRequest<Account>("PATCH", a(accountId), input),

  users: (accountId: string) => apiRequest<User[]>("GET", `${a(accountId)}/users`),
  user: (accountId: string, userId: string) =>
    apiRequest<User>("GET", `${a(accountId)}/users/${encodeURIComponent(userId)}`),
  createUser: (accountId: string, input: UserInput & { password?: string; invite?: boolean }) =>
    apiRequest<{ user: User; generatedPassword: string | null }>("POST", `${a(accountId)}/users`, input),
  updateUser: (accountId: string, userId: string, input: Partial<UserInput> & { disabled?: boolean }) =>
    apiRequest<User>("PATCH", `${a(accountId)}/users/${encodeURIComponent(userId)}`, input),
  resetPassword: (accountId: string, userId: string, password?: string) =>
    apiRequest<{ generatedPassword: string | null }>(
      "POST",
      `${a(accountId)}/users/${encodeURIComponent(userId)}/password`,
      password === undefined ? {} : { password },
    ),

  resendInvitation: (accountId: string, userId: string) =>
    apiRequest<null>("POST", `${a(accountId)}/users/${encodeURIComponent(userId)}/invitation`, {}),

  portals: (accountId: string) => apiRequest<Portal[]>("GET", `${a(accountId)}/portals`),
  portal: (accountId: string, portalId: string) =>
    apiRequest<Portal>("GET", `${a(accountId)}/portals/${encodeURIComponent(portalId)}`),
  createPortal: (accountId: string, input: PortalInput) =>
    apiRequest<Portal>("POST", `${a(accountId)}/portals`, input),
  updatePortal: (accountId: string, portalId: string, input: PortalInput) =>
    apiRequest<Portal>("PATCH", `${a(accountId)}/portals/${encodeURIComponent(portalId)}`, input),
  deletePortal: (accountId: string, portalId: string) =>
    apiRequest<null>("DELETE", `${a(accountId)}/portals/${encodeURIComponent(portalId)}`),

  authOptions: () => apiRequest<{ emailEnabled: boolean }>("GET", "/auth/options"),

  integrations: (accountId: string) => apiRequest<Integrations>("GET", `${a(accountId)}/integrations`),
  webhooks: (accountId: string) => apiRequest<Webhook[]>("GET", `${a(accountId)}/webhooks`),
  webhook: (accountId: string, webhookId: string) =>
    apiRequest<Webhook>("GET", `${a(accountId)}/webhooks/${encodeURIComponent(webhookId)}`),
  createWebhook: (accountId: string, input: WebhookInput) =>
    apiRequest<WebhookWithSecret>("POST", `${a(accountId)}/webhooks`, input),
  updateWebhook: (
    accountId: string,
    webhookId: string,
    input: Partial<Omit<WebhookInput, "secret">> & { enabled?: boolean },
  ) => apiRequest<Webhook>("PATCH", `${a(accountId)}/webhooks/${encodeURIComponent(webhookId)}`, input),
  deleteWebhook: (accountId: string, webhookId: string) =>
    apiRequest<null>("DELETE", `${a(accountId)}/webhooks/${encodeURIComponent(webhookId)}`),
  rotateWebhookSecret: (accountId: string, webhookId: string) =>
    apiRequest<WebhookWithSecret>(
      "POST",
      `${a(accountId)}/webhooks/${encodeURIComponent(webhookId)}/rotate-secret`,
      {},
    ),
  testWebhook: (accountId: string, webhookId: string) =>
    apiRequest<Delivery>("POST", `${a(accountId)}/webhooks/${encodeURIComponent(webhookId)}/test`, {}),
  webhookAttempts: (accountId: string, webhookId: string, limit = 50, before?: number) =>
    apiRequest<DeliveryAttempt[]>(
      "GET",
      `${a(accountId)}/webhooks/${encodeURIComponent(webhookId)}/attempts${query({ limit, before })}`,
    ),
  deliveries: (accountId: string, filter: DeliveryFilter = {}) =>
    apiRequest<Delivery[]>(
      "GET",
      `${a(accountId)}/deliveries${query({ state: filter.state, kind: filter.kind, webhookId: filter.webhookId, limit: filter.limit })}`,
    ),
  redeliver: (accountId: string, deliveryId: string) =>
    apiRequest<Delivery>(
      "POST",
      `${a(accountId)}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`,
      {},
    ),

  reportSummary: (accountId: string, filter: ReportFilter) =>
    apiRequest<ReportSummary>("GET", report(accountId, "summary", filter)),
  reportAgents: (accountId: string, filter: ReportFilter) =>
    apiRequest<{ scope: ReportScope; rows: AgentReportRow[] }>("GET", report(accountId, "agents", filter)),
  reportPortals: (accountId: string, filter: ReportFilter) =>
    apiRequest<{ scope: ReportScope; rows: PortalReportRow[] }>("GET", report(accountId, "portals", filter)),
  reportDays: (accountId: string, filter: ReportFilter) =>
    apiRequest<{ scope: ReportScope; rows: VolumeRow[] }>("GET", report(accountId, "days", filter)),
  reportHours: (accountId: string, filter: ReportFilter) =>
    apiRequest<{ scope: ReportScope; rows: VolumeRow[] }>("GET", report(accountId, "hours", filter)),
  reportQueue: (accountId: string, filter: ReportFilter) =>
    apiRequest<QueueReport>("GET", report(accountId, "queue", filter)),

  apiTokens: (accountId: string) => apiRequest<ApiToken[]>("GET", `${a(accountId)}/api-tokens`),
  createApiToken: (accountId: string, input: ApiTokenInput) =>
    apiRequest<NewApiToken>("POST", `${a(accountId)}/api-tokens`, input),
  revokeApiToken: (accountId: string, tokenId: string) =>
    apiRequest<null>("DELETE", `${a(accountId)}/api-tokens/${encodeURIComponent(tokenId)}`),
};
