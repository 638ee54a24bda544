import { Chat } from "./Chat.js";
import { customerLabel } from "./customer.js";
import { t } from "./i18n.js";
import { EyeIcon } from "./icons.js";
import { activeTab, isClosed, type SessionTab, showTab, tabs } from "./state.js";

/** One tab per session (accepted or joined by code), with an unread mark; the chat below. */
export function SessionTabs() {
  const list = tabs.value;
  const active = list.find((tab) => tab.session.id === activeTab.value) ?? list[0] ?? null;
  return (
    <section class="session-area" aria-labelledby="session-area-title">
      <h2 id="session-area-title" class="visually-hidden">
        {t("sessionArea")}
      </h2>
      {list.length === 0 ? (
        <p class="empty session-empty">{t("noSessions")}</p>
      ) : (
        <>
          <div
            class="tablist"
            role="tablist"
            aria-label={t("sessionTabs")}
            onKeyDown={(e) => onArrows(e, list)}
          >
            {list.map((tab) => (
              <TabButton key={tab.session.id} tab={tab} selected={tab === active} />
            ))}
          </div>
          {active && (
            <div
              class="tabpanel"
              role="tabpanel"
              id={`panel-${active.session.id}`}
              aria-labelledby={`tab-${active.session.id}`}
            >
              <Chat key={active.session.id} tab={active} />
            </div>
          )}
        </>
      )}
    </section>
  );
}

function TabButton({ tab, selected }: { tab: SessionTab; selected: boolean }) {
  const name = customerLabel(tab.session.request);
  const id = tab.session.id;
  const closed = isClosed(tab);
  const role = tab.session.role;
  return (
    <button
      type="button"
      role="tab"
      id={`tab-${id}`}
      aria-selected={selected}
      aria-controls={selected ? `panel-${id}` : undefined}
      tabIndex={selected ? 0 : -1}
      class={`tab ${closed ? "is-ended" : ""} ${tab.unread > 0 ? "has-unread" : ""}`}
      onClick={() => showTab(id)}
    >
      <span class={closed ? "dot dot-ended" : "dot dot-live"} aria-hidden="true" />
      <span class="tab-name">{name}</span>
      {!closed && role === "monitor" && (
        <span class="tab-role" title={t("monitoringBadge")}>
          <EyeIcon />
          <span class="visually-hidden">{t("monitoringBadge")}</span>
        </span>
      )}
      {!closed && role === "participant" && <span class="tab-role">{t("participantShort")}</span>}
      {!closed && tab.session.transfer && <span class="tab-role tab-transfer">{t("transferShort")}</span>}
      {tab.unread > 0 && (
        <span class="unread">
          <span aria-hidden="true">{tab.unread}</span>
          <span class="visually-hidden">{t("unread", { count: tab.unread })}</span>
        </span>
      )}
    </button>
  );
}

/** Left/right arrows move between tabs, as the tabs pattern expects. */
function onArrows(e: KeyboardEvent, list: SessionTab[]) {
  if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
  const i = list.findIndex((tab) => tab.session.id === activeTab.value);
  const next = list[(i + (e.key === "ArrowRight" ? 1 : list.length - 1)) % list.length];
  if (!next) return;
  e.preventDefault();
  showTab(next.session.id);
  document.getElementById(`tab-${next.session.id}`)?.focus();
}
