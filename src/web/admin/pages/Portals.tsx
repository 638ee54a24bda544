import type { Account, Portal } from "../../../shared/api.js";
import { t } from "../../common/i18n.js";
import { useLoad } from "../../common/useLoad.js";
import { api } from "../api.js";
import { CopyButton } from "../components/CopyButton.js";
import { Flash } from "../components/Flash.js";
import { Icon } from "../components/Icon.js";
import { PageHeader } from "../components/PageHeader.js";
import { PortalUrl } from "../components/PortalUrl.js";
import { LoadError, Loading } from "../components/Status.js";
import { Link } from "../Link.js";
import { typeNames } from "./Account.js";

export function PortalsPage({ account }: { account: Account }) {
  const { result, reload } = useLoad(() => api.portals(account.id), [account.id]);
  return (
    <div class="page">
      <PageHeader
        title={t("admin.nav.portals")}
        intro={t("portals.intro", {
          mode: t(`account.mode.${account.mode}`),
          types: typeNames(account.mode),
        })}
      >
        <Link class="button primary" href="/admin/portals/new">
          <Icon name="plus" />
          {t("portals.new")}
        </Link>
      </PageHeader>
      <Flash />
      {result.state === "loading" ? <Loading /> : null}
      {result.state === "failed" ? <LoadError error={result.error} retry={reload} /> : null}
      {result.state === "ready" ? <PortalTable portals={result.data} /> : null}
    </div>
  );
}

function PortalTable({ portals }: { portals: Portal[] }) {
  if (portals.length === 0) {
    return (
      <div class="empty panel">
        <p>{t("portals.none")}</p>
        <p class="muted">{t("portals.noneHint")}</p>
      </div>
    );
  }
  return (
    <div class="table-wrap">
      <table class="list">
        <caption class="visually-hidden">{t("portals.caption")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("admin.name")}</th>
            <th scope="col">{t("portals.type")}</th>
            <th scope="col">{t("portals.url")}</th>
            <th scope="col">{t("users.status")}</th>
            <th scope="col">
              <span class="visually-hidden">{t("admin.actions")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {portals.map((p) => (
            <tr key={p.id} class={p.enabled ? undefined : "dimmed"}>
              <th scope="row" class="cell-main">
                <span class="portal-name">
                  <span class="swatch" aria-hidden="true" style={{ backgroundColor: p.primaryColor }} />
                  <span>
                    <Link href={`/admin/portals/${p.id}`} class="row-title">
                      {p.name}
                    </Link>
                    <span class="sub">{p.title}</span>
                  </span>
                </span>
              </th>
              <td data-label={t("portals.type")}>
                <span class="tag">{t(`portals.type.${p.type}`)}</span>
              </td>
              <td data-label={t("portals.url")} class="cell-url">
                <PortalUrl url={p.url} />
                <span class="url-actions">
                  <CopyButton text={p.url} label={t("portals.copyLabel", { name: p.name })} />
                  <a class="button small secondary" href={p.url} target="_blank" rel="noopener">
                    {t("portals.open")}
                    <span class="visually-hidden">
                      {" "}
                      {p.name} ({t("admin.newTab")})
                    </span>
                    <Icon name="external" />
                  </a>
                </span>
              </td>
              <td data-label={t("users.status")} class="cell-status">
                <span class={`badge ${p.enabled ? "on" : "off"}`}>
                  {p.enabled ? t("portals.on") : t("portals.off")}
                </span>
                <span class="sub">
                  {p.agentIds.length === 1
                    ? t("portals.agentCountOne")
                    : t("portals.agentCount", { count: p.agentIds.length })}
                </span>
              </td>
              <td class="cell-actions">
                <Link href={`/admin/portals/${p.id}`} class="button small secondary">
                  {t("admin.edit")}
                  <span class="visually-hidden"> {p.name}</span>
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
