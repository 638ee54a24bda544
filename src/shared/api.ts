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
  createdAt: number;
  updatedAt: number;
}

export interface Me {
  user: User;
  accounts: Account[];
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
