import type { SessionMember, SessionView } from "../../shared/protocol.js";
import { formatDuration } from "./format.js";
import { t } from "./i18n.js";
import { EyeIcon } from "./icons.js";
import { closeTab, dismissTeamNotice, now, type SessionTab, type TeamNotice, user } from "./state.js";
import { cancelTransfer, makeOwner, removeMember } from "./team.js";

/** Who is in the session besides its owner: invited and joined colleagues, supervisors watching. */
export function Members({ tab }: { tab: SessionTab }) {
  const s = tab.session;
  const closed = tab.ended !== null || tab.left !== null;
  const me = user.value?.id;
  const owner = s.role === "owner" && !closed;
  const ownerName = s.role === "owner" ? t("you") : (s.request.agentName ?? "");
  // Out of the session: who is in it is no longer this agent's to know.
  if (tab.left || (s.members.length === 0 && s.role === "owner")) return null;
  return (
    <section class="members" aria-label={t("membersTitle")}>
      <h4 class="members-title">{t("membersTitle")}</h4>
      <ul class="member-list">
        <li class="member">
          <span class="member-name">{ownerName}</span>
          <span class="tag tag-owner">{t("memberOwner")}</span>
        </li>
        {s.members.map((m) => (
          <MemberRow key={m.id} m={m} sessionId={s.id} mine={m.userId === me} owner={owner} />
        ))}
      </ul>
    </section>
  );
}

function MemberRow({
  m,
  sessionId,
  mine,
  owner,
}: {
  m: SessionMember;
  sessionId: string;
  mine: boolean;
  owner: boolean;
}) {
  const name = mine ? t("you") : m.name;
  const invited = m.state === "invited";
  return (
    <li class={`member ${invited ? "is-invited" : ""}`}>
      <span class="member-name">{name}</span>
      {m.role === "monitor" ? (
        <span class="tag tag-monitor">
          <EyeIcon /> {t("memberMonitor")}
        </span>
      ) : (
        <span class="tag tag-participant">{invited ? t("memberInvited") : t("memberParticipant")}</span>
      )}
      {owner && m.role === "participant" && (
        <span class="member-actions">
          {!invited && (
            <button type="button" class="btn btn-small" onClick={() => void makeOwner(sessionId, m.userId)}>
              {t("makeOwner")} <span class="visually-hidden">{m.name}</span>
            </button>
          )}
          <button
            type="button"
            class="btn btn-small btn-danger"
            onClick={() => void removeMember(sessionId, m)}
          >
            {invited ? t("withdrawInvite") : t("removeMember")} <span class="visually-hidden">{m.name}</span>
          </button>
        </span>
      )}
    </li>
  );
}

/** "Waiting for Robin to accept… 0:21 — Cancel": a transfer out for its receiver. */
export function TransferPending({ session }: { session: SessionView }) {
  const tr = session.transfer;
  if (!tr) return null;
  // A portal's transfer goes to its agents (a queue portal's: one at a time): "someone at …".
  const who = tr.toPortalName ? t("anyoneAt", { portal: tr.toPortalName }) : (tr.toAgentName ?? "");
  const left = tr.expiresAt - now.value;
  return (
    <div class="team-banner transfer-pending" role="status">
      <span class="team-banner-text">
        <span class="tag tag-transfer">{t("kind_transfer")}</span> {t("transferWaiting", { who })}{" "}
        <span class="mono">{formatDuration(Math.max(0, left))}</span>
      </span>
      {session.role === "owner" && (
        <button type="button" class="btn btn-small" onClick={() => void cancelTransfer(session.id)}>
          {t("cancelTransfer")}
        </button>
      )}
    </div>
  );
}

/** The agent is out of the session: why, and Close. */
export function LeftBanner({ tab }: { tab: SessionTab }) {
  const left = tab.left;
  if (!left) return null;
  const text =
    left.reason === "transferred"
      ? left.toName
        ? t("leftTransferred", { name: left.toName })
        : t("leftTransferredNoName")
      : left.reason === "removed"
        ? t("leftRemoved")
        : t("leftSelf");
  return (
    <div class="team-banner left-banner" role="status">
      <span class="team-banner-text">
        <strong>{text}</strong> {t("leftReadOnly")}
      </span>
      <button type="button" class="btn btn-small" onClick={() => closeTab(tab.session.id)}>
        {t("closeTab")}
      </button>
    </div>
  );
}

export function noticeText(n: TeamNotice): string {
  return t(`notice_${n.kind}`, { name: n.name });
}

/** What the owner should know: a declined transfer, an invitation nobody answered. */
export function TeamNotices({ tab }: { tab: SessionTab }) {
  return (
    <div class="team-notices" role="status">
      {tab.notices.map((n) => (
        <p key={n.id} class="team-banner team-notice">
          <span class="team-banner-text">{noticeText(n)}</span>
          <button
            type="button"
            class="icon-button"
            aria-label={t("dismiss")}
            title={t("dismiss")}
            onClick={() => dismissTeamNotice(tab.session.id, n.id)}
          >
            ×
          </button>
        </p>
      ))}
    </div>
  );
}
