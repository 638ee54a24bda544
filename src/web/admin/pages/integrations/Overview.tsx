import type { Account, Webhook } from "../../../../shared/api.js";
import { WEBHOOK_EVENT_TYPES } from "../../../../shared/api.js";
import { t } from "../../../common/i18n.js";
import { useLoad } from "../../../common/useLoad.js";
import { api } from "../../api.js";
import { Flash } from "../../components/Flash.js";
import { Icon } from "../../components/Icon.js";
import { PageHeader } from "../../components/PageHeader.js";
import { LoadError, Loading } from "../../components/Status.js";
import { Link } from "../../Link.js";
import { tx, when } from "../../texts.js";
import { EmailStatus, IntegrationTabs, Moment, Section, StatusCode } from "./parts.js";

/** /admin/integrations: email status and the account's webhooks. */
export function IntegrationsPage({ account }: { account: Account }) {
  const { result, reload } = useLoad(
    () => Promise.all([api.integrations(account.id), api.webhooks(account.id)]),
    [account.id],
  );
  return (
    <div class="page">
      <PageHeader title={tx("ig.title")} intro={tx("ig.intro", { account: account.name })} />
      <IntegrationTabs />
      <Flash />
      {result.state === "loading" ? <Loading /> : null}
      {result.state === "failed" ? <LoadError error={result.error} retry={reload} /> : null}
      {result.state === "ready" ? (
        <>
          <EmailStatus integrations={result.data[0]} />
          <Section
            id="webhooks-title"
            title={tx("ig.webhooks.title")}
            intro={tx("ig.webhooks.intro")}
            actions={
              <Link class="button primary" href="/admin/integrations/webhooks/new">
                <Icon name="plus" />
                {tx("ig.webhooks.new")}
              </Link>
            }
          >
            <WebhookTable webhooks={result.data[1]} />
          </Section>
        </>
      ) : null}
    </div>
  );
}

export function eventsText(events: readonly string[]): string {
  if (WEBHOOK_EVENT_TYPES.every((e) => events.includes(e))) return tx("ig.webhooks.allEvents");
  return events.join(", ");
}

function WebhookStatus({ webhook }: { webhook: Webhook }) {
  return (
    <span class="status-stack">
      <span class={`badge ${webhook.enabled ? "on" : "off"}`}>
        {webhook.enabled ? tx("ig.webhooks.enabled") : tx("ig.webhooks.disabled")}
      </span>
      {webhook.disabledReason ? <span class="sub warn">{webhook.disabledReason}</span> : null}
      {webhook.failingSince !== null ? (
        <span class="sub warn">{tx("ig.webhooks.failing", { when: when(webhook.failingSince) })}</span>
      ) : null}
    </span>
  );
}

function WebhookTable({ webhooks }: { webhooks: Webhook[] }) {
  if (webhooks.length === 0) return <p class="empty">{tx("ig.webhooks.none")}</p>;
  return (
    <div class="table-wrap">
      <table class="list">
        <caption class="visually-hidden">{tx("ig.webhooks.caption")}</caption>
        <thead>
          <tr>
            <th scope="col">{tx("ig.webhooks.url")}</th>
            <th scope="col">{tx("ig.webhooks.events")}</th>
            <th scope="col">{tx("ig.webhooks.status")}</th>
            <th scope="col" class="num">
              {tx("ig.webhooks.queue")}
            </th>
            <th scope="col">{tx("ig.webhooks.last")}</th>
            <th scope="col">
              <span class="visually-hidden">{t("admin.actions")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {webhooks.map((w) => (
            <tr key={w.id} class={w.enabled ? undefined : "dimmed"}>
              <th scope="row" class="cell-main">
                <Link href={`/admin/integrations/webhooks/${w.id}`} class="row-title break">
                  {w.url}
                </Link>
                {w.description ? <span class="sub">{w.description}</span> : null}
              </th>
              <td data-label={tx("ig.webhooks.events")} class="wrap events-cell">
                {eventsText(w.events)}
              </td>
              <td data-label={tx("ig.webhooks.status")}>
                <WebhookStatus webhook={w} />
              </td>
              <td data-label={tx("ig.webhooks.queue")} class="num">
                <span>
                  {w.stats.pending} /{" "}
                  <span class={w.stats.dead > 0 ? "dead-count" : undefined}>{w.stats.dead}</span>
                </span>
              </td>
              <td data-label={tx("ig.webhooks.last")}>
                {w.stats.lastDeliveryAt === null ? (
                  <span class="muted">{tx("ig.webhooks.never")}</span>
                ) : (
                  <span class="inline-pair">
                    <Moment ms={w.stats.lastDeliveryAt} />
                    <StatusCode status={w.stats.lastStatus} />
                  </span>
                )}
              </td>
              <td class="cell-actions">
                <Link href={`/admin/integrations/webhooks/${w.id}`} class="button small secondary">
                  {t("admin.edit")}
                  <span class="visually-hidden"> {w.url}</span>
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
