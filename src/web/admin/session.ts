import { computed, signal } from "@preact/signals";
import type { Account, Me, User } from "../../shared/api.js";

const ACCOUNT_KEY = "helpgate.admin.account";

/** Who is signed in: undefined while asking the server, null when signed out. */
export const me = signal<Me | null | undefined>(undefined);
/** Why the sign-in page is shown again (e.g. the session ended), if not simply signed out. */
export const signInNotice = signal<string | null>(null);
/** The account the admin pages work on; operators switch it, everyone else has one. */
export const accountId = signal<string | null>(null);

export const currentUser = computed<User | null>(() => me.value?.user ?? null);
export const accounts = computed<Account[]>(() => me.value?.accounts ?? []);
export const currentAccount = computed<Account | null>(
  () => accounts.value.find((a) => a.id === accountId.value) ?? null,
);
export const isOperator = computed(() => currentUser.value?.role === "operator");
export const canAdmin = computed(() => {
  const role = currentUser.value?.role;
  return role === "admin" || role === "operator";
});

/** Reports: managers, admins and operators (agents never see them). */
export const canReport = computed(() => {
  const role = currentUser.value?.role;
  return role === "manager" || role === "admin" || role === "operator";
});

function remembered(): string | null {
  try {
    return localStorage.getItem(ACCOUNT_KEY);
  } catch {
    return null;
  }
}

export function signedIn(next: Me): void {
  me.value = next;
  signInNotice.value = null;
  const wanted = next.user.accountId ?? remembered();
  const found = next.accounts.find((a) => a.id === wanted) ?? next.accounts[0];
  accountId.value = found?.id ?? null;
}

export function signedOut(notice: string | null = null): void {
  me.value = null;
  signInNotice.value = notice;
}

export function switchAccount(id: string): void {
  accountId.value = id;
  try {
    localStorage.setItem(ACCOUNT_KEY, id);
  } catch {
    // Remembered for this page only.
  }
}

/** Puts a changed or new account into the list the switcher shows. */
export function storeAccount(account: Account): void {
  const current = me.value;
  if (!current) return;
  const exists = current.accounts.some((a) => a.id === account.id);
  const list = exists
    ? current.accounts.map((a) => (a.id === account.id ? account : a))
    : [...current.accounts, account];
  me.value = { ...current, accounts: list };
}

/** After editing oneself (name, role), keep the top bar and the access check right. */
export function storeSelf(user: User): void {
  const current = me.value;
  if (current && current.user.id === user.id) me.value = { ...current, user };
}
