import { useState } from "preact/hooks";
import type { Account, Delivery, DeliveryState } from "../../../../shared/api.js";
import { FormAlert } from "../../../common/Field.js";
import { t } from "../../../common/i18n.js";
import { useLoad } from "../../../common/useLoad.js";
import { api } from "../../api.js";
import { PageHeader } from "../../components/PageHeader.js";
import { LoadError, Loading } from "../../components/Status.js";
import { tx, when, xFailureText } from "../../texts.js";
import { DeliveryStateBadge, IntegrationTabs, Moment, StatusCode } from "./parts.js";

const STATES: DeliveryState[] = ["pending", "delivered", "dead"];
const KINDS: Delivery["kind"][] = ["email", "webhook"];

/** /admin/integrations/deliveries: the outbox of this account, filtered by state and kind. */
export function DeliveriesPage({ account }: { account: Account }) {
  const [state, setState] = useState<DeliveryState | "">("");
  const [kind, setKind] = useState<Delivery["kind"] | "">("");
  const { result, reload, replace } = useLoad(
    () =>
      api.deliveries(account.id, {
        ...(state === "" ? {} : { state }),
        ...(kind === "" ? {} : { kind }),
        limit: 100,
      }),
    [account.id, state, kind],
  );
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  async function redeliver(d: Delivery, rows: Delivery[]) {
    setBusy(d.id);
    setError(null);
    setNote(null);
    try {
      const next = await api.redeliver(account.id, d.id);
      replace(rows.map((r) => (r.id === next.id ? next : r)));
      setNote(tx("ig.redelivered", { event: d.eventType }));
    } catch (err) {
      setError(xFailureText(err));
    } finally {
      setBusy(null);
    }
  }

  return (
    <div class="page">
      <PageHeader title={tx("ig.title")} intro={tx("ig.intro", { account: account.name })} />
      <IntegrationTabs />
      <div class="section-head">
        <div>
          <h2 class="section-title">{tx("ig.deliveries.title")}</h2>
          <p class="intro">{tx("ig.deliveries.intro")}</p>
        </div>
      </div>
      <form class="filters" aria-label={tx("ig.deliveries.filter")} onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="filter-state">{tx("ig.deliveries.state")}</label>
          <select
            id="filter-state"
            value={state}
            onChange={(e) => setState(e.currentTarget.value as DeliveryState | "")}
          >
            <option value="">{tx("ig.deliveries.any")}</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {tx(`ig.deliveries.state.${s}`)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-kind">{tx("ig.deliveries.kind")}</label>
          <select
            id="filter-kind"
            value={kind}
            onChange={(e) => setKind(e.currentTarget.value as Delivery["kind"] | "")}
          >
            <option value="">{tx("ig.deliveries.any")}</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {tx(`ig.deliveries.kind.${k}`)}
              </option>
            ))}
          </select>
        </div>
        <button type="button" class="button secondary" onClick={reload}>
          {tx("ig.log.refresh")}
        </button>
      </form>
      <FormAlert text={error} />
      <p class="status-line" role="status">
        {note ?? ""}
      </p>
      {result.state === "loading" ? <Loading /> : null}
      {result.state === "failed" ? <LoadError error={result.error} retry={reload} /> : null}
      {result.state === "ready" ? (
        <DeliveryTable rows={result.data} busy={busy} onRedeliver={(d) => redeliver(d, result.data)} />
      ) : null}
    </div>
  );
}

function DeliveryTable(props: { rows: Delivery[]; busy: string | null; onRedeliver: (d: Delivery) => void }) {
  if (props.rows.length === 0) return <p class="empty">{tx("ig.deliveries.none")}</p>;
  return (
    <div class="table-wrap">
      <table class="list deliveries">
        <caption class="visually-hidden">{tx("ig.deliveries.caption")}</caption>
        <thead>
          <tr>
            <th scope="col">{tx("ig.deliveries.what")}</th>
            <th scope="col">{tx("ig.deliveries.to")}</th>
            <th scope="col">{tx("ig.deliveries.state")}</th>
            <th scope="col">{tx("ig.deliveries.created")}</th>
            <th scope="col" class="num">
              {tx("ig.deliveries.attempts")}
            </th>
            <th scope="col">{tx("ig.deliveries.result")}</th>
            <th scope="col">
              <span class="visually-hidden">{t("admin.actions")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((d) => (
            <tr key={d.id} class={d.state === "dead" ? "dead" : undefined}>
              <th scope="row" class="cell-main">
                <span class={`tag kind-${d.kind}`}>{tx(`ig.deliveries.kind.${d.kind}`)}</span>{" "}
                <code class="event-name">{d.eventType}</code>
              </th>
              <td data-label={tx("ig.deliveries.to")} class="wrap break recipient">
                {d.recipient}
              </td>
              <td data-label={tx("ig.deliveries.state")}>
                <DeliveryStateBadge state={d.state} />
              </td>
              <td data-label={tx("ig.deliveries.created")}>
                <Moment ms={d.createdAt} />
              </td>
              <td data-label={tx("ig.deliveries.attempts")} class="num">
                {d.attempts}
              </td>
              <td data-label={tx("ig.deliveries.result")} class="wrap">
                <span class="result-stack">
                  <StatusCode status={d.lastStatus} />
                  {d.lastError ? <span class="sub error-text">{d.lastError}</span> : null}
                  {d.state === "delivered" && d.deliveredAt !== null ? (
                    <span class="sub">{when(d.deliveredAt)}</span>
                  ) : null}
                  {d.state === "pending" && d.nextAttemptAt !== null ? (
                    <span class="sub">
                      {tx("ig.log.next")}: {when(d.nextAttemptAt)}
                    </span>
                  ) : null}
                </span>
              </td>
              <td class="cell-actions">
                {d.state !== "pending" ? (
                  <button
                    type="button"
                    class="button small secondary"
                    disabled={props.busy === d.id}
                    aria-label={tx("ig.redeliverLabel", { event: d.eventType, when: when(d.createdAt) })}
                    onClick={() => props.onRedeliver(d)}
                  >
                    {tx("ig.redeliver")}
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
