import type { Account, Portal, User } from "../../../shared/api.js";
import { t } from "../../common/i18n.js";
import { useLoad } from "../../common/useLoad.js";
import { api } from "../api.js";
import { Avatar } from "../components/Avatar.js";
import { Flash } from "../components/Flash.js";
import { Icon } from "../components/Icon.js";
import { PageHeader } from "../components/PageHeader.js";
import { LoadError, Loading } from "../components/Status.js";
import { Link } from "../Link.js";

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
      {result.state === "ready" ? <UserTable users={result.data[0]} portals={result.data[1]} /> : null}
    </div>
  );
}

function UserTable({ users, portals }: { users: User[]; portals: Portal[] }) {
  if (users.length === 0) return <p class="empty">{t("users.none")}</p>;
  return (
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
                <span class={`badge ${u.disabled ? "off" : "on"}`}>
                  {u.disabled ? t("users.disabled") : t("users.enabled")}
                </span>
              </td>
              <td data-label={t("users.limitShort")} class="num">
                {u.maxSessions}
              </td>
              <td data-label={t("users.portals")} class="wrap">
                {portalNames(u, portals)}
              </td>
              <td class="cell-actions">
                <Link href={`/admin/users/${u.id}`} class="button small secondary">
                  {t("admin.edit")}
                  <span class="visually-hidden"> {u.displayName}</span>
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
