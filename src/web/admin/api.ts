import type { Account, Me, Portal, User } from "../../shared/api.js";
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
}

const a = (accountId: string) => `/accounts/${encodeURIComponent(accountId)}`;

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
  updateAccount: (accountId: string, input: Partial<AccountInput>) =>
    apiRequest<Account>("PATCH", a(accountId), input),

  users: (accountId: string) => apiRequest<User[]>("GET", `${a(accountId)}/users`),
  user: (accountId: string, userId: string) =>
    apiRequest<User>("GET", `${a(accountId)}/users/${encodeURIComponent(userId)}`),
  createUser: (accountId: string, input: UserInput & { password?: string }) =>
    apiRequest<{ user: User; generatedPassword: string | null }>("POST", `${a(accountId)}/users`, input),
  updateUser: (accountId: string, userId: string, input: Partial<UserInput> & { disabled?: boolean }) =>
    apiRequest<User>("PATCH", `${a(accountId)}/users/${encodeURIComponent(userId)}`, input),
  resetPassword: (accountId: string, userId: string, password?: string) =>
    apiRequest<{ generatedPassword: string | null }>(
      "POST",
      `${a(accountId)}/users/${encodeURIComponent(userId)}/password`,
      password === undefined ? {} : { password },
    ),

  portals: (accountId: string) => apiRequest<Portal[]>("GET", `${a(accountId)}/portals`),
  portal: (accountId: string, portalId: string) =>
    apiRequest<Portal>("GET", `${a(accountId)}/portals/${encodeURIComponent(portalId)}`),
  createPortal: (accountId: string, input: PortalInput) =>
    apiRequest<Portal>("POST", `${a(accountId)}/portals`, input),
  updatePortal: (accountId: string, portalId: string, input: PortalInput) =>
    apiRequest<Portal>("PATCH", `${a(accountId)}/portals/${encodeURIComponent(portalId)}`, input),
};
