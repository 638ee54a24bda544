import { useEffect, useRef, useState } from "preact/hooks";
import type { Account, DeliveryAttempt, Webhook, WebhookEventType } from "../../../../shared/api.js";
import { WEBHOOK_EVENT_TYPES } from "../../../../shared/api.js";
import { ChoiceGroup, Field, FormAlert } from "../../../common/Field.js";
import {
  checkText,
  type FormErrors,
  focusFirstInvalid,
  hasProblems,
  NO_ERRORS,
  type Problems,
  placeIn,
} from "../../../common/forms.js";
import { t } from "../../../common/i18n.js";
import { useLoad } from "../../../common/useLoad.js";
import { api, type WebhookInput } from "../../api.js";
import { flash } from "../../components/Flash.js";
import { OneTimeSecret } from "../../components/OneTimeSecret.js";
import { PageHeader } from "../../components/PageHeader.js";
import { LoadError, Loading } from "../../components/Status.js";
import { Link } from "../../Link.js";
import { navigate } from "../../router.js";
import { tx, when, xFailureText, xFormErrors } from "../../texts.js";
import { ConfirmAction, Moment, Section, StatusCode } from "./parts.js";

const SHOWN = ["url", "description", "events", "secret"];
const place = (field: string) => placeIn(SHOWN)(field.split(".")[0] ?? field);
const URL_MAX = 2000;
const DESCRIPTION_MAX = 200;

interface Draft {
  url: string;
  description: string;
  events: WebhookEventType[];
  secret: string;
}

function validate(d: Draft, isNew: boolean): Problems {
  const p: Problems = {};
  checkText(p, "url", d.url, { required: true, max: URL_MAX });
  if (!p.url && !/^https?:\/\/[^\s/]+/i.test(d.url.trim())) {
    p.url = { code: "invalid_url", message: "is not a valid URL" };
  }
  checkText(p, "description", d.description, { max: DESCRIPTION_MAX });
  if (d.events.length === 0) p.events = { code: "no_events", message: "choose at least one event" };
  if (isNew) checkText(p, "secret", d.secret, { max: 200 });
  return p;
}

/** /admin/integrations/webhooks/new and /admin/integrations/webhooks/:id. */
export function WebhookPage({ account, webhookId }: { account: Account; webhookId: string | null }) {
  const { result, reload, replace } = useLoad(
    () => (webhookId === null ? Promise.resolve(null) : api.webhook(account.id, webhookId)),
    [account.id, webhookId],
  );
  const webhook = result.state === "ready" ? result.data : null;
  const title = webhookId === null ? tx("ig.webhook.newTitle") : tx("ig.webhook.editTitle");
  return (
    <div class="page">
      <p class="breadcrumb">
        <Link href="/admin/integrations">{tx("ig.title")}</Link>
        <span aria-hidden="true"> / </span>
        <Link href="/admin/integrations">{tx("ig.webhooks.title")}</Link>
        <span aria-hidden="true"> / </span>
      </p>
      <PageHeader title={webhook ? webhook.url : title} intro={webhook?.description || undefined} />
      {result.state === "loading" ? <Loading /> : null}
      {result.state === "failed" ? <LoadError error={result.error} retry={reload} /> : null}
      {result.state === "ready" ? (
        result.data === null ? (
          <WebhookEditor account={account} webhook={null} onSaved={() => undefined} />
        ) : (
          <>
            <div class="split">
              <WebhookEditor key={result.data.id} account={account} webhook={result.data} onSaved={replace} />
              <WebhookSide account={account} webhook={result.data} onChanged={replace} />
            </div>
            <DeliveryLog account={account} webhook={result.data} />
          </>
        )
      ) : null}
    </div>
  );
}

function EventChoice(props: {
  value: WebhookEventType[];
  error: string | undefined;
  onChange: (events: WebhookEventType[]) => void;
}) {
  const { value } = props;
  return (
    <ChoiceGroup
      id="webhook-events"
      legend={tx("ig.webhook.events")}
      hint={tx("ig.webhook.eventsHint")}
      error={props.error}
    >
      <div class="choice-tools">
        <button
          type="button"
          class="button small ghost-light"
          onClick={() => props.onChange([...WEBHOOK_EVENT_TYPES])}
        >
          {tx("ig.webhook.allEvents")}
        </button>
        <button type="button" class="button small ghost-light" onClick={() => props.onChange([])}>
          {tx("ig.webhook.noEvents")}
        </button>
      </div>
      <div class="checks explained">
        {WEBHOOK_EVENT_TYPES.map((ev) => (
          <label key={ev} class="check">
            <input
              type="checkbox"
              checked={value.includes(ev)}
              aria-describedby={`event-${ev.replace(/\W/g, "-")}-hint`}
              onChange={(e) =>
                props.onChange(
                  e.currentTarget.checked
                    ? WEBHOOK_EVENT_TYPES.filter((x) => x === ev || value.includes(x))
                    : value.filter((x) => x !== ev),
                )
              }
            />
            <span>
              <code class="event-name">{ev}</code>
              <span id={`event-${ev.replace(/\W/g, "-")}-hint`} class="hint block">
                {tx(`ig.event.${ev}`)}
              </span>
            </span>
          </label>
        ))}
      </div>
    </ChoiceGroup>
  );
}

function WebhookEditor(props: { account: Account; webhook: Webhook | null; onSaved: (w: Webhook) => void }) {
  const { account, webhook } = props;
  const isNew = webhook === null;
  const [draft, setDraft] = useState<Draft>(() => ({
    url: webhook?.url ?? "",
    description: webhook?.description ?? "",
    events: webhook?.events ?? [...WEBHOOK_EVENT_TYPES],
    secret: "",
  }));
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const [created, setCreated] = useState<{ id: string; secret: string } | null>(null);
  const form = useRef<HTMLFormElement>(null);
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  async function submit(e: Event) {
    e.preventDefault();
    setSaved(false);
    const problems = validate(draft, isNew);
    if (hasProblems(problems)) {
      setErrors(xFormErrors(problems, place));
      focusFirstInvalid(form.current);
      return;
    }
    setBusy(true);
    const input: WebhookInput = {
      url: draft.url.trim(),
      events: draft.events,
      description: draft.description.trim(),
    };
    try {
      if (isNew) {
        const res = await api.createWebhook(
          account.id,
          draft.secret.trim() === "" ? input : { ...input, secret: draft.secret.trim() },
        );
        setErrors(NO_ERRORS);
        setCreated({ id: res.id, secret: res.secret });
      } else {
        const next = await api.updateWebhook(account.id, webhook.id, input);
        setErrors(NO_ERRORS);
        props.onSaved(next);
        setSaved(true);
      }
    } catch (err) {
      setErrors(xFormErrors(err, place));
      focusFirstInvalid(form.current);
    } finally {
      setBusy(false);
    }
  }

  if (created) {
    return (
      <OneTimeSecret
        title={tx("ig.webhook.createdTitle")}
        text={tx("ig.webhook.secretOnce")}
        secret={created.secret}
        label={tx("ig.webhook.secretLabel")}
        copyLabel={tx("ig.webhook.copySecret")}
        doneLabel={tx("ig.secretDone")}
        onDone={() => navigate(`/admin/integrations/webhooks/${created.id}`, { replace: true })}
      />
    );
  }

  const e = errors.fields;
  return (
    <form ref={form} class="panel form" onSubmit={submit} noValidate aria-labelledby="webhook-form-title">
      <FormAlert text={errors.general} />
      <h2 id="webhook-form-title" class="panel-title">
        {tx("ig.webhook.settings")}
      </h2>
      <Field id="webhook-url" label={tx("ig.webhook.url")} hint={tx("ig.webhook.urlHint")} error={e.url}>
        {(c) => (
          <input
            {...c}
            type="url"
            inputMode="url"
            autoComplete="off"
            spellcheck={false}
            placeholder="https://"
            value={draft.url}
            onInput={(ev) => set("url", ev.currentTarget.value)}
          />
        )}
      </Field>
      <Field
        id="webhook-description"
        label={tx("ig.webhook.description")}
        hint={tx("ig.webhook.descriptionHint")}
        error={e.description}
      >
        {(c) => (
          <input
            {...c}
            type="text"
            value={draft.description}
            onInput={(ev) => set("description", ev.currentTarget.value)}
          />
        )}
      </Field>
      <EventChoice value={draft.events} error={e.events} onChange={(events) => set("events", events)} />
      {isNew ? (
        <Field
          id="webhook-secret"
          label={tx("ig.webhook.secret")}
          hint={tx("ig.webhook.secretHint")}
          error={e.secret}
        >
          {(c) => (
            <input
              {...c}
              type="text"
              autoComplete="off"
              spellcheck={false}
              class="mono"
              placeholder="whsec_…"
              value={draft.secret}
              onInput={(ev) => set("secret", ev.currentTarget.value)}
            />
          )}
        </Field>
      ) : null}
      <div class="form-buttons">
        <button type="submit" class="button primary" disabled={busy}>
          {isNew ? tx("ig.webhook.createButton") : t("admin.save")}
        </button>
        <Link href="/admin/integrations" class="button secondary">
          {t("admin.cancel")}
        </Link>
        <span class="saved-note" role="status">
          {saved ? t("admin.saved") : ""}
        </span>
      </div>
    </form>
  );
}

/** Status, secret, test and delete: the panels beside an endpoint's settings. */
function WebhookSide(props: { account: Account; webhook: Webhook; onChanged: (w: Webhook) => void }) {
  const { account, webhook } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    setNote(null);
    try {
      await action();
    } catch (err) {
      setError(xFailureText(err));
    } finally {
      setBusy(false);
    }
  }

  const toggle = () =>
    run(async () => {
      props.onChanged(await api.updateWebhook(account.id, webhook.id, { enabled: !webhook.enabled }));
    });
  const rotate = () =>
    run(async () => {
      const res = await api.rotateWebhookSecret(account.id, webhook.id);
      const { secret: s, ...rest } = res;
      props.onChanged(rest);
      setSecret(s);
    });
  const test = () =>
    run(async () => {
      await api.testWebhook(account.id, webhook.id);
      setNote(tx("ig.webhook.testSent"));
      window.dispatchEvent(new CustomEvent("helpgate:delivery-sent"));
    });
  const remove = () =>
    run(async () => {
      await api.deleteWebhook(account.id, webhook.id);
      flash.value = tx("ig.webhook.deletedFlash", { url: webhook.url });
      navigate("/admin/integrations");
    });

  return (
    <div class="side">
      <FormAlert text={error} />
      <section class="panel" aria-labelledby="wh-status-title">
        <h2 id="wh-status-title" class="panel-title">
          {tx("ig.webhook.status")}
        </h2>
        <p>
          <span class={`badge ${webhook.enabled ? "on" : "off"}`}>
            {webhook.enabled ? tx("ig.webhooks.enabled") : tx("ig.webhooks.disabled")}
          </span>{" "}
          <span class="muted small-text">
            {tx("ig.webhook.stats", { pending: webhook.stats.pending, dead: webhook.stats.dead })}
          </span>
        </p>
        {webhook.disabledReason ? (
          <p class="warn-box">{tx("ig.webhook.autoDisabled", { reason: webhook.disabledReason })}</p>
        ) : null}
        {webhook.failingSince !== null ? (
          <p class="warn-box">{tx("ig.webhooks.failing", { when: when(webhook.failingSince) })}</p>
        ) : null}
        <p class="hint">{webhook.enabled ? tx("ig.webhook.disableHint") : tx("ig.webhook.enableHint")}</p>
        <button
          type="button"
          class={`button ${webhook.enabled ? "secondary" : "primary"}`}
          disabled={busy}
          onClick={toggle}
        >
          {webhook.enabled ? tx("ig.webhook.disable") : tx("ig.webhook.enable")}
        </button>
      </section>
      <section class="panel" aria-labelledby="wh-test-title">
        <h2 id="wh-test-title" class="panel-title">
          {tx("ig.webhook.test")}
        </h2>
        <p class="hint">{tx("ig.webhook.testHint")}</p>
        <button type="button" class="button secondary" disabled={busy} onClick={test}>
          {tx("ig.webhook.test")}
        </button>
        <p class="status-line" role="status">
          {note ?? ""}
        </p>
      </section>
      {secret ? (
        <OneTimeSecret
          title={tx("ig.webhook.rotatedTitle")}
          text={tx("ig.webhook.rotatedOnce")}
          secret={secret}
          label={tx("ig.webhook.secretLabel")}
          copyLabel={tx("ig.webhook.copySecret")}
          doneLabel={tx("ig.secretDone")}
          onDone={() => setSecret(null)}
        />
      ) : (
        <section class="panel" aria-labelledby="wh-secret-title">
          <h2 id="wh-secret-title" class="panel-title">
            {tx("ig.webhook.secretLabel")}
          </h2>
          <p>
            <code class="url">{webhook.secretPreview}</code>
          </p>
          <ConfirmAction
            id="wh-rotate"
            label={tx("ig.webhook.rotate")}
            question={tx("ig.webhook.rotateConfirm")}
            busy={busy}
            onConfirm={rotate}
          />
        </section>
      )}
      <section class="panel" aria-labelledby="wh-delete-title">
        <h2 id="wh-delete-title" class="panel-title">
          {tx("ig.webhook.delete")}
        </h2>
        <ConfirmAction
          id="wh-delete"
          label={tx("ig.webhook.delete")}
          question={tx("ig.webhook.deleteConfirm")}
          danger
          busy={busy}
          onConfirm={remove}
        />
      </section>
    </div>
  );
}

const PAGE = 50;

/** Every try of this endpoint, newest first; refreshed every few seconds while it is open. */
function DeliveryLog({ account, webhook }: { account: Account; webhook: Webhook }) {
  const { result, reload, replace } = useLoad(
    () => api.webhookAttempts(account.id, webhook.id, PAGE),
    [account.id, webhook.id],
  );
  const [older, setOlder] = useState<DeliveryAttempt[]>([]);
  const [more, setMore] = useState(true);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [fast, setFast] = useState(0);

  // Quietly fetch the newest page again: often just after a send, then every 10 s.
  useEffect(() => {
    let live = true;
    const refresh = () =>
      api.webhookAttempts(account.id, webhook.id, PAGE).then(
        (rows) => live && replace(rows),
        () => undefined,
      );
    const timer = setInterval(refresh, fast > 0 ? 1500 : 10_000);
    const stop = fast > 0 ? setTimeout(() => setFast(0), 20_000) : undefined;
    return () => {
      live = false;
      clearInterval(timer);
      if (stop) clearTimeout(stop);
    };
  }, [account.id, webhook.id, fast]);
  useEffect(() => {
    const sent = () => setFast((n) => n + 1);
    window.addEventListener("helpgate:delivery-sent", sent);
    return () => window.removeEventListener("helpgate:delivery-sent", sent);
  }, []);

  async function redeliver(a: DeliveryAttempt) {
    setBusy(a.deliveryId);
    setError(null);
    setNote(null);
    try {
      await api.redeliver(account.id, a.deliveryId);
      setNote(tx("ig.redelivered", { event: a.eventType }));
      setFast((n) => n + 1);
    } catch (err) {
      setError(xFailureText(err));
    } finally {
      setBusy(null);
    }
  }

  async function loadOlder(rows: DeliveryAttempt[]) {
    const last = rows[rows.length - 1];
    if (!last) return;
    try {
      const next = await api.webhookAttempts(account.id, webhook.id, PAGE, last.at);
      setOlder((o) => [...o, ...next]);
      if (next.length < PAGE) setMore(false);
    } catch (err) {
      setError(xFailureText(err));
    }
  }

  const rows =
    result.state === "ready"
      ? [...result.data, ...older.filter((o) => !result.data.some((r) => r.id === o.id))]
      : [];
  const seen = new Set<string>();
  return (
    <Section
      id="log-title"
      title={tx("ig.log.title")}
      intro={tx("ig.log.intro")}
      actions={
        <button type="button" class="button small secondary" onClick={reload}>
          {tx("ig.log.refresh")}
        </button>
      }
    >
      <FormAlert text={error} />
      <p class="status-line" role="status">
        {note ?? ""}
      </p>
      {result.state === "loading" ? <Loading /> : null}
      {result.state === "failed" ? <LoadError error={result.error} retry={reload} /> : null}
      {result.state === "ready" && rows.length === 0 ? <p class="empty">{tx("ig.log.none")}</p> : null}
      {rows.length > 0 ? (
        <div class="table-wrap">
          <table class="list log">
            <caption class="visually-hidden">{tx("ig.log.caption")}</caption>
            <thead>
              <tr>
                <th scope="col">{tx("ig.log.time")}</th>
                <th scope="col">{tx("ig.log.event")}</th>
                <th scope="col" class="num">
                  {tx("ig.log.attempt")}
                </th>
                <th scope="col">{tx("ig.log.status")}</th>
                <th scope="col" class="num">
                  {tx("ig.log.duration")}
                </th>
                <th scope="col">{tx("ig.log.error")}</th>
                <th scope="col">{tx("ig.log.next")}</th>
                <th scope="col">
                  <span class="visually-hidden">{t("admin.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((a) => {
                // The newest try of each delivery carries its Redeliver button.
                const newest = !seen.has(a.deliveryId);
                seen.add(a.deliveryId);
                const failed = a.status === null || a.status < 200 || a.status >= 300;
                return (
                  <tr key={a.id} class={failed ? "failed" : undefined}>
                    <th scope="row">
                      <Moment ms={a.at} seconds />
                    </th>
                    <td data-label={tx("ig.log.event")}>
                      <code class="event-name">{a.eventType}</code>
                    </td>
                    <td data-label={tx("ig.log.attempt")} class="num">
                      {a.attempt}
                    </td>
                    <td data-label={tx("ig.log.status")}>
                      <StatusCode status={a.status} />
                    </td>
                    <td data-label={tx("ig.log.duration")} class="num nowrap">
                      {tx("time.ms", { n: a.durationMs })}
                    </td>
                    <td data-label={tx("ig.log.error")} class="wrap error-text">
                      {a.error ?? <span class="muted">—</span>}
                    </td>
                    <td data-label={tx("ig.log.next")}>
                      <Moment ms={a.nextAttemptAt} seconds />
                    </td>
                    <td class="cell-actions">
                      {newest ? (
                        <button
                          type="button"
                          class="button small secondary"
                          disabled={busy === a.deliveryId}
                          aria-label={tx("ig.redeliverLabel", { event: a.eventType, when: when(a.at, true) })}
                          onClick={() => redeliver(a)}
                        >
                          {tx("ig.redeliver")}
                        </button>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      {result.state === "ready" && more && result.data.length >= PAGE ? (
        <p>
          <button type="button" class="button small secondary" onClick={() => loadOlder(rows)}>
            {tx("ig.log.more")}
          </button>
        </p>
      ) : null}
    </Section>
  );
}
