import type { Generated } from "kysely";

/** Table shapes as Kysely sees them. Times are epoch milliseconds, flags are 0/1 (same in SQLite and PostgreSQL). */
export interface AccountTable {
  id: string;
  name: string;
  mode: string;
  web_chat_enabled: number;
  upgrade_enabled: number;
  created_at: number;
  offer_timeout_seconds: Generated<number>;
  /** Whether the customer is told (a line in the chat) that a supervisor watches their session. */
  tell_customer_monitored: Generated<number>;
  /** IANA zone reports count days in; null: the server's zone. */
  time_zone: string | null;
  /** The demo installation's generated history ends here (reports say so); null: real data only. */
  demo_history_until: number | null;
}

export interface UserTable {
  id: string;
  account_id: string | null;
  email: string;
  display_name: string;
  avatar_url: string | null;
  role: string;
  max_sessions: number;
  disabled: number;
  password_hash: string;
  failed_logins: number;
  locked_until: number | null;
  created_at: number;
  available: Generated<number>;
  available_since: number | null;
  idle_since: number | null;
  language: Generated<string>;
  invited: Generated<number>;
}

export interface PortalTable {
  id: string;
  account_id: string;
  slug: string;
  type: string;
  name: string;
  title: string;
  welcome_text: string;
  language: string;
  primary_color: string;
  logo_url: string | null;
  fields: string;
  connection_mode: string;
  enabled: number;
  created_at: number;
  updated_at: number;
  max_wait_seconds: Generated<number>;
  greeting: Generated<string>;
  /** JSON array of the addresses offline messages and unanswered requests are emailed to. */
  notify_emails: Generated<string>;
  /** The business hours as JSON (migration 015); null: open around the clock. */
  business_hours: string | null;
  /** Deleted portals keep their history (reports) but are gone from every page and list. */
  deleted_at: number | null;
}

export interface PortalAgentTable {
  portal_id: string;
  user_id: string;
  account_id: string;
}

export interface AuthSessionTable {
  token_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
}

export interface RequestTable {
  id: string;
  account_id: string;
  portal_id: string;
  /** The 9-digit number people see as "Session ID" (unique; renamed from session_id in 007). */
  session_number: string;
  kind: string;
  state: string;
  target_agent_id: string | null;
  agent_id: string | null;
  customer_name: string;
  customer_email: string;
  contact: string;
  question: string;
  language: string;
  customer_token_hash: string;
  code_id: string | null;
  created_at: number;
  state_at: number;
  deadline_at: number | null;
  customer_gone_at: number | null;
  round: Generated<number>;
  /** 1: an offline message left while the portal was closed (migration 015). */
  outside_hours: Generated<number>;
}

export interface RequestEventTable {
  id: string;
  request_id: string;
  account_id: string;
  state: string;
  agent_id: string | null;
  at: number;
}

export interface SessionTable {
  id: string;
  account_id: string;
  request_id: string;
  agent_id: string;
  started_at: number;
  ended_at: number | null;
  last_seq: Generated<number>;
  ended_by: string | null;
  outcome: string | null;
  notes: string | null;
  ticket: string | null;
  rating: number | null;
  comment: string | null;
  agent_delivered_seq: Generated<number>;
  agent_read_seq: Generated<number>;
  customer_delivered_seq: Generated<number>;
  customer_read_seq: Generated<number>;
  /** The screen share's last state (ShareState), null until the agent first asks. */
  share_state: string | null;
}

export interface MessageTable {
  session_id: string;
  seq: number;
  account_id: string;
  sender: string;
  author_name: string;
  body: string;
  created_at: number;
  /** "all", or "agents" for private notes and agents-only system lines (never sent to the customer). */
  visibility: Generated<string>;
  /** The agent who wrote it (agent messages and notes). */
  author_id: string | null;
  /** A system line's meaning as JSON (SystemEvent), for each side to word in its language. */
  event: string | null;
}

export interface SessionMemberTable {
  id: string;
  account_id: string;
  session_id: string;
  user_id: string;
  role: string;
  state: string;
  invited_by: string | null;
  created_at: number;
  expires_at: number | null;
  joined_at: number | null;
  ended_at: number | null;
}

export interface SessionTransferTable {
  id: string;
  account_id: string;
  session_id: string;
  from_agent_id: string;
  to_agent_id: string | null;
  to_portal_id: string | null;
  note: Generated<string>;
  recipients: Generated<string>;
  declined: Generated<string>;
  state: string;
  created_at: number;
  expires_at: number;
  decided_at: number | null;
  decided_by: string | null;
}

export interface SessionLogTable {
  id: string;
  account_id: string;
  session_id: string;
  at: number;
  kind: string;
  actor_id: string | null;
  subject_id: string | null;
  detail: Generated<string>;
}

export interface CodeTable {
  id: string;
  account_id: string;
  portal_id: string;
  agent_id: string;
  code: string;
  name: string;
  state: string;
  created_at: number;
  expires_at: number;
  redeemed_at: number | null;
  request_id: string | null;
}

export interface RedeemFailureTable {
  id: string;
  client: string;
  at: number;
}

export interface LoginFailureTable {
  user_id: string;
  address: string;
  failures: number;
  locked_until: number | null;
  last_failed_at: number;
}

export interface OfferTable {
  id: string;
  account_id: string;
  portal_id: string;
  request_id: string;
  agent_id: string;
  round: number;
  state: string;
  created_at: number;
  expires_at: number;
  ended_at: number | null;
}

export interface Database {
  accounts: AccountTable;
  users: UserTable;
  portals: PortalTable;
  portal_agents: PortalAgentTable;
  auth_sessions: AuthSessionTable;
  requests: RequestTable;
  request_events: RequestEventTable;
  sessions: SessionTable;
  messages: MessageTable;
  codes: CodeTable;
  redeem_failures: RedeemFailureTable;
  offers: OfferTable;
  login_failures: LoginFailureTable;
  session_members: SessionMemberTable;
  session_transfers: SessionTransferTable;
  session_log: SessionLogTable;
  outbox: OutboxTable;
  webhooks: WebhookTable;
  webhook_attempts: WebhookAttemptTable;
  api_tokens: ApiTokenTable;
  password_tokens: PasswordTokenTable;
  agent_intervals: AgentIntervalTable;
  report_versions: ReportVersionTable;
  report_days: ReportDayTable;
  canned_responses: CannedResponseTable;
}

/** A spell of an agent's time: signed in (one console connection) or Available. */
export interface AgentIntervalTable {
  id: string;
  account_id: string;
  user_id: string;
  kind: "signed-in" | "available";
  started_at: number;
  /** Null while it lasts. */
  ended_at: number | null;
  /** A connection's last sign of life (a crashed node's connections end here). */
  seen_at: number;
}

export interface OutboxTable {
  id: string;
  account_id: string | null;
  kind: string;
  webhook_id: string | null;
  event_type: string;
  recipient: string;
  ref: string | null;
  payload: string;
  state: string;
  attempts: Generated<number>;
  next_attempt_at: number;
  lease_until: number | null;
  leased_by: string | null;
  last_error: string | null;
  last_status: number | null;
  created_at: number;
  delivered_at: number | null;
}

export interface WebhookTable {
  id: string;
  account_id: string;
  url: string;
  description: string;
  events: string;
  secret: string;
  enabled: number;
  disabled_reason: string | null;
  failing_since: number | null;
  last_delivery_at: number | null;
  last_status: number | null;
  created_at: number;
  updated_at: number;
}

export interface WebhookAttemptTable {
  id: string;
  account_id: string;
  webhook_id: string;
  delivery_id: string;
  event_type: string;
  attempt: number;
  at: number;
  duration_ms: number;
  status: number | null;
  error: string | null;
  next_attempt_at: number | null;
}

export interface ApiTokenTable {
  id: string;
  account_id: string;
  name: string;
  token_hash: string;
  prefix: string;
  scopes: string;
  created_by: string | null;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface PasswordTokenTable {
  token_hash: string;
  user_id: string;
  purpose: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** A change counter per account, UTC day of the requests' creation and shard (migration 013). */
export interface ReportVersionTable {
  account_id: string;
  utc_day: number;
  shard: number;
  version: number;
}

/** One local day's report figures, for everyone (agent_key '*') or one agent (migration 013). */
export interface ReportDayTable {
  account_id: string;
  time_zone: string;
  day: string;
  agent_key: string;
  /** The sum of the day's change counters when `data` was computed. */
  versions: number;
  /** The definition of the figures that computed `data` (FIGURES_VERSION). */
  definition: number;
  /** The figures as JSON (src/server/queries/reportDays.ts). */
  data: string;
}

/** A canned response (migration 014): account-wide (owner_id null) or one agent's personal one. */
export interface CannedResponseTable {
  id: string;
  account_id: string;
  owner_id: string | null;
  title: string;
  shortcut: string | null;
  /** The text with its placeholders ({customer.name} …). */
  body: string;
  /** en | de; null: any language. */
  language: string | null;
  created_by: string | null;
  created_at: number;
  updated_at: number;
}
