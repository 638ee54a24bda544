/** Table shapes as Kysely sees them. Times are epoch milliseconds, flags are 0/1 (same in SQLite and PostgreSQL). */
export interface AccountTable {
  id: string;
  name: string;
  mode: string;
  web_chat_enabled: number;
  upgrade_enabled: number;
  created_at: number;
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

export interface Database {
  accounts: AccountTable;
  users: UserTable;
  portals: PortalTable;
  portal_agents: PortalAgentTable;
  auth_sessions: AuthSessionTable;
}
