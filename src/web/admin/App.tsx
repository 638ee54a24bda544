import type { ComponentChildren } from "preact";
import { useEffect } from "preact/hooks";
import { onUnauthorized } from "../common/api.js";
import { t } from "../common/i18n.js";
import { api } from "./api.js";
import { Loading } from "./components/Status.js";
import { AccountPage } from "./pages/Account.js";
import { AccountsPage } from "./pages/Accounts.js";
import { CannedPage } from "./pages/canned/CannedPage.js";
import { DeliveriesPage } from "./pages/integrations/Deliveries.js";
import { IntegrationsPage } from "./pages/integrations/Overview.js";
import { NewTokenPage, TokensPage } from "./pages/integrations/Tokens.js";
import { WebhookPage } from "./pages/integrations/WebhookPage.js";
import { NoAccess, NotFound } from "./pages/Misc.js";
import { PortalForm } from "./pages/PortalForm.js";
import { PortalsPage } from "./pages/Portals.js";
import { ReportsPage } from "./pages/reports/Reports.js";
import { SignIn } from "./pages/SignIn.js";
import { UserForm } from "./pages/UserForm.js";
import { UsersPage } from "./pages/Users.js";
import { parseRoute, path, type Route } from "./router.js";
import { SideNav, TopBar } from "./Shell.js";
import { canAdmin, canReport, currentAccount, isOperator, me, signedIn, signedOut } from "./session.js";

function Page({ route }: { route: Route }) {
  const account = currentAccount.value;
  if (route.page === "accounts") return isOperator.value ? <AccountsPage /> : <NotFound />;
  if (route.page === "notFound") return <NotFound />;
  if (!account) return isOperator.value ? <AccountsPage /> : <NotFound />;
  if (route.page === "reports") return <ReportsPage key={account.id} account={account} />;
  // Canned responses: managers too (canReport holds for everyone who gets this far).
  if (route.page === "canned") return <CannedPage key={account.id} account={account} />;
  // Managers see the reports and nothing else of /admin.
  if (!canAdmin.value) {
    const user = me.value?.user;
    if (route.page === "home") return <ReportsPage key={account.id} account={account} />;
    return user ? <NoAccess role={user.role} /> : <NotFound />;
  }
  // Keyed by account, so switching accounts starts each page afresh.
  switch (route.page) {
    case "home":
    case "portals":
      return <PortalsPage key={account.id} account={account} />;
    case "newPortal":
      return <PortalForm key={account.id} account={account} portalId={null} />;
    case "portal":
      return <PortalForm key={`${account.id}/${route.id}`} account={account} portalId={route.id} />;
    case "users":
      return <UsersPage key={account.id} account={account} />;
    case "newUser":
      return <UserForm key={account.id} account={account} userId={null} />;
    case "user":
      return <UserForm key={`${account.id}/${route.id}`} account={account} userId={route.id} />;
    case "account":
      return <AccountPage key={account.id} account={account} />;
    case "integrations":
      return <IntegrationsPage key={account.id} account={account} />;
    case "newWebhook":
      return <WebhookPage key={account.id} account={account} webhookId={null} />;
    case "webhook":
      return <WebhookPage key={`${account.id}/${route.id}`} account={account} webhookId={route.id} />;
    case "deliveries":
      return <DeliveriesPage key={account.id} account={account} />;
    case "tokens":
      return <TokensPage key={account.id} account={account} />;
    case "newToken":
      return <NewTokenPage key={account.id} account={account} />;
  }
}

/** A page without the side navigation: loading, sign-in, no access. */
function Centered({ signedIn, children }: { signedIn: boolean; children: ComponentChildren }) {
  return (
    <div class="app">
      <TopBar signedIn={signedIn} />
      <main id="main" class="main centered">
        {children}
      </main>
    </div>
  );
}

export function App() {
  useEffect(() => {
    api.me().then(signedIn, () => signedOut());
    return onUnauthorized(() => signedOut(t("admin.sessionEnded")));
  }, []);

  const session = me.value;
  const route = parseRoute(path.value);
  if (session === undefined) {
    return (
      <Centered signedIn={false}>
        <Loading />
      </Centered>
    );
  }
  if (session === null) {
    return (
      <Centered signedIn={false}>
        <SignIn />
      </Centered>
    );
  }
  if (!canReport.value) {
    return (
      <Centered signedIn>
        <NoAccess role={session.user.role} />
      </Centered>
    );
  }
  return (
    <div class="app">
      <a class="skip-link" href="#main">
        {t("admin.skip")}
      </a>
      <TopBar signedIn />
      <div class="layout">
        <SideNav />
        <main id="main" class="main" tabIndex={-1}>
          <Page route={route} />
        </main>
      </div>
    </div>
  );
}
