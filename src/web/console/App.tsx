import { useEffect } from "preact/hooks";
import { AlertPopups } from "./AlertPopups.js";
import { ConnectionBanner, NoticeBanner } from "./Banners.js";
import { Codes } from "./Codes.js";
import { t } from "./i18n.js";
import { PaneBar } from "./PaneBar.js";
import { Details } from "./panes/Details.js";
import { History } from "./panes/History.js";
import { Incoming } from "./panes/Incoming.js";
import { InSession } from "./panes/InSession.js";
import { Offline } from "./panes/Offline.js";
import { Supervisor } from "./panes/Supervisor.js";
import { QueueBar } from "./QueueBar.js";
import { SessionTabs } from "./SessionTabs.js";
import { OperatorNotice, SignIn } from "./SignIn.js";
import { panes } from "./settings.js";
import { activeTab, codePortals, markRead, phase, tabs } from "./state.js";
import { canSupervise } from "./supervisor.js";
import { TopBar } from "./TopBar.js";

export function App() {
  switch (phase.value) {
    case "loading":
      return (
        <p class="loading" role="status">
          {t("loading")}
        </p>
      );
    case "signed-out":
      return <SignIn />;
    case "operator":
      return <OperatorNotice />;
    case "console":
      return <Console />;
  }
}

function Console() {
  const shown = panes.value;
  const hasSessions = tabs.value.length > 0;
  useEffect(() => {
    const onVisible = () => {
      if (document.visibilityState === "visible" && activeTab.value) markRead(activeTab.value);
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => document.removeEventListener("visibilitychange", onVisible);
  }, []);
  return (
    <div class="console">
      <a class="skip-link" href="#main">
        {t("skipToMain")}
      </a>
      <TopBar />
      <ConnectionBanner />
      <NoticeBanner />
      <QueueBar />
      <PaneBar />
      <main id="main" class={`workspace ${hasSessions ? "has-sessions" : ""}`}>
        <div class="lists">
          {shown.incoming && <Incoming />}
          {shown.sessions && <InSession />}
          {shown.supervisor && canSupervise.value && <Supervisor />}
          {shown.details && <Details />}
          {shown.codes && codePortals.value.length > 0 && <Codes />}
          {shown.history && <History />}
          {shown.offline && <Offline />}
        </div>
        <SessionTabs />
      </main>
      <AlertPopups />
    </div>
  );
}
