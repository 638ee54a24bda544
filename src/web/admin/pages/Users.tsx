import { useState } from "preact/hooks";
import type { Account, Portal, User } from "../../../shared/api.js";
import { FormAlert } from "../../common/Field.js";
import { t } from "../../common/i18n.js";
import { useLoad } from "../../common/useLoad.js";
import { api } from "../api.js";
import { Avatar } from "../components/Avatar.js";
import { Flash } from "../components/Flash.js";
import { Icon } from "../components/Icon.js";
import { PageHeader } from "../components/PageHeader.js";
import { LoadError, Loading } from "../components/Status.js";
import { Link } from "../Link.js";
import { me } from "../session.js";
import { tx, xFailureText } from "../texts.js";

function portalNames(user: User, portals: Portal[]): string {
  const names = portals.filter((p) => user.portalIds.includes(p.id)).map((p) => p.name);
  return names.length > 0 ? names.join(", ") : "—";
}

export function UsersPage({ account }: { account: Account }) {
  const { result, reload } = useLoad(
    () => Promise.all([api.users(account.id), api.portals(account.id)]),
    [account.id],
  );
  return (
    <div class="page">
      <PageHeader title={t("admin.nav.users")} intro={t("users.intro", { account: account.name })}>
        <Link class="button primary" href="/admin/users/new">
          <Icon name="plus" />
          {t("users.new")}
        </Link>
      </PageHeader>
      <Flash />
      {result.state === "loading" ? <Loading /> : null}
      {result.state === "failed" ? <LoadError error={result.error} retry={reload} /> : null}
      {result.state === "ready" ? (
        <UserTable account={account} users={result.data[0]} portals={result.data[1]} />
      ) : null}
    </div>
  );
}

/** "Send invitation again" for a user who has not set a password yet. */
function useResend(account: Account) {
  const [busy, setBusy] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  async function resend(user: User) {
    setBusy(user.id);
    setNote(null);
    setError(null);
    try {
      await api.resendInvitation(account.id, user.id);
      setNote(tx("users.resent", { email: user.email }));
    } catch (err) {
      setError(xFailureText(err));
    } finally {
      setBusy(null);
    }
  }
  return { busy, note, error, resend };
}

function UserTable({ account, users, portals }: { account: Account; users: User[]; portals: Portal[] }) {
  const { busy, note, error, resend } = useResend(account);
  const emailEnabled = me.value?.emailEnabled === true;
  if (users.length === 0) return <p class="empty">{t("users.none")}</p>;
  return (
    <>
      <FormAlert text={error} />
      <p class="status-line" role="status">
        {note ?? ""}
      </p>
      <div class="table-wrap">
        <table class="list">
          <caption class="visually-hidden">{t("users.caption")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("users.displayName")}</th>
              <th scope="col">{t("users.role")}</th>
              <th scope="col">{t("users.status")}</th>
              <th scope="col" class="num">
                {t("users.limitShort")}
              </th>
              <th scope="col">{t("users.portals")}</th>
              <th scope="col">
                <span class="visually-hidden">{t("admin.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id} class={u.disabled ? "dimmed" : undefined}>
                <th scope="row" class="cell-main">
                  <span class="person">
                    <Avatar name={u.displayName} url={u.avatarUrl} />
                    <span>
                      <Link href={`/admin/users/${u.id}`} class="row-title">
                        {u.displayName}
                      </Link>
                      <span class="sub">{u.email}</span>
                    </span>
                  </span>
                </th>
                <td data-label={t("users.role")}>
                  <span class={`tag role-${u.role}`}>{t(`users.role.${u.role}`)}</span>
                </td>
                <td data-label={t("users.status")}>
                  <span class="status-stack">
                    <span class={`badge ${u.disabled ? "off" : "on"}`}>
                      {u.disabled ? t("users.disabled") : t("users.enabled")}
                    </span>
                    {u.invited ? <span class="badge invited">{tx("users.invited")}</span> : null}
                  </span>
                </td>
                <td data-label={t("users.limitShort")} class="num">
                  {u.maxSessions}
                </td>
                <td data-label={t("users.portals")} class="wrap">
                  {portalNames(u, portals)}
                </td>
                <td class="cell-actions">
                  <span class="row-buttons-inline">
                    {u.invited && emailEnabled ? (
                      <button
                        type="button"
                        class="button small secondary"
                        disabled={busy === u.id}
                        onClick={() => resend(u)}
                      >
                        {tx("users.resend")}
                        <span class="visually-hidden"> ({u.displayName})</span>
                      </button>
                    ) : null}
                    <Link href={`/admin/users/${u.id}`} class="button small secondary">
                      {t("admin.edit")}
                      <span class="visually-hidden"> {u.displayName}</span>
                    </Link>
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
