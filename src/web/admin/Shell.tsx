import type { ComponentChildren } from "preact";
import { failureText } from "../common/forms.js";
import { t } from "../common/i18n.js";
import { api } from "./api.js";
import { LanguageSwitch } from "./components/LanguageSwitch.js";
import { Link } from "./Link.js";
import { cx } from "./pages/canned/texts.js";
import { rx } from "./reportTexts.js";
import { navigate, parseRoute, path, sectionOf } from "./router.js";
import {
  accountId,
  accounts,
  canAdmin,
  canReport,
  currentAccount,
  currentUser,
  isOperator,
  signedOut,
  switchAccount,
} from "./session.js";
import { tx } from "./texts.js";

function AccountSwitcher() {
  if (!isOperator.value || accounts.value.length === 0) return null;
  return (
    <div class="account-switcher">
      <label for="account-switcher">{t("admin.account")}</label>
      <select
        id="account-switcher"
        value={accountId.value ?? ""}
        onChange={(e) => {
          switchAccount(e.currentTarget.value);
          const section = sectionOf(parseRoute(path.value));
          navigate(section === "/admin/accounts" ? "/admin/account" : section);
        }}
      >
        {accounts.value.map((a) => (
          <option key={a.id} value={a.id}>
            {a.name}
          </option>
        ))}
      </select>
    </div>
  );
}

async function signOut() {
  try {
    await api.logout();
  } catch (err) {
    // Signed out locally anyway; the cookie is HttpOnly, so tell what happened.
    signedOut(failureText(err));
    return;
  }
  signedOut();
}

export function TopBar({ signedIn }: { signedIn: boolean }) {
  const user = currentUser.value;
  return (
    <header class="topbar">
      <a class="product" href="/admin">
        <span class="logo-mark" aria-hidden="true">
          H
        </span>
        <span>
          Helpgate <span class="product-sub">{t("admin.productSub")}</span>
        </span>
      </a>
      <div class="topbar-tools">
        {signedIn ? <AccountSwitcher /> : null}
        <LanguageSwitch />
        {signedIn && user ? (
          <div class="user-menu">
            <span class="who" title={user.email}>
              <span class="visually-hidden">{t("admin.signedInAs", { name: user.displayName })}</span>
              <span aria-hidden="true">{user.displayName}</span>
              <span class="role-tag">{t(`users.role.${user.role}`)}</span>
            </span>
            <button type="button" class="button small ghost" onClick={signOut}>
              {t("admin.signOut")}
            </button>
          </div>
        ) : null}
      </div>
    </header>
  );
}

function NavLink({ href, children }: { href: string; children: ComponentChildren }) {
  const active = sectionOf(parseRoute(path.value)) === href;
  return (
    <li>
      <Link href={href} class={active ? "active" : undefined} aria-current={active ? "page" : undefined}>
        {children}
      </Link>
    </li>
  );
}

export function SideNav() {
  const account = currentAccount.value;
  return (
    <nav class="sidenav" aria-label={t("admin.nav.label")}>
      {account ? (
        <>
          <p class="nav-account" aria-hidden="true">
            {account.name}
          </p>
          <ul>
            {canAdmin.value ? (
              <>
                <NavLink href="/admin/portals">{t("admin.nav.portals")}</NavLink>
                <NavLink href="/admin/users">{t("admin.nav.users")}</NavLink>
              </>
            ) : null}
            {canReport.value ? <NavLink href="/admin/reports">{rx("nav.reports")}</NavLink> : null}
            {canReport.value ? <NavLink href="/admin/canned">{cx("nav.canned")}</NavLink> : null}
            {canAdmin.value ? (
              <>
                <NavLink href="/admin/integrations">{tx("nav.integrations")}</NavLink>
                <NavLink href="/admin/account">{t("admin.nav.account")}</NavLink>
              </>
            ) : null}
          </ul>
        </>
      ) : null}
      {isOperator.value ? (
        <ul class="nav-operator">
          <NavLink href="/admin/accounts">{t("admin.nav.accounts")}</NavLink>
        </ul>
      ) : null}
    </nav>
  );
}
