import { useRef, useState } from "preact/hooks";
import type { Account, ApiToken, ApiTokenScope, NewApiToken } from "../../../../shared/api.js";
import { API_TOKEN_SCOPES } from "../../../../shared/api.js";
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
import { api } from "../../api.js";
import { CopyButton } from "../../components/CopyButton.js";
import { Flash, flash } from "../../components/Flash.js";
import { Icon } from "../../components/Icon.js";
import { OneTimeSecret } from "../../components/OneTimeSecret.js";
import { PageHeader } from "../../components/PageHeader.js";
import { LoadError, Loading } from "../../components/Status.js";
import { Link } from "../../Link.js";
import { navigate } from "../../router.js";
import { tx, when, xFailureText, xFormErrors } from "../../texts.js";
import { ConfirmAction, IntegrationTabs, Moment, Section } from "./parts.js";

const NAME_MAX = 100;
const EXPIRIES = ["30", "90", "365", "never"] as const;
type Expiry = (typeof EXPIRIES)[number];

/** /admin/integrations/tokens: the account's API tokens, with revoke. */
export function TokensPage({ account }: { account: Account }) {
  const { result, reload, replace } = useLoad(() => api.apiTokens(account.id), [account.id]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  async function revoke(token: ApiToken, rows: ApiToken[]) {
    setBusy(token.id);
    setError(null);
    try {
      await api.revokeApiToken(account.id, token.id);
      flash.value = tx("ig.tokens.revokedFlash", { name: token.name });
      try {
        replace(await api.apiTokens(account.id));
      } catch {
        replace(rows.map((r) => (r.id === token.id ? { ...r, revokedAt: Date.now() } : r)));
      }
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
      <Flash />
      <Section
        id="tokens-title"
        title={tx("ig.tokens.title")}
        intro={tx("ig.tokens.intro")}
        actions={
          <Link class="button primary" href="/admin/integrations/tokens/new">
            <Icon name="plus" />
            {tx("ig.tokens.new")}
          </Link>
        }
      >
        <FormAlert text={error} />
        {result.state === "loading" ? <Loading /> : null}
        {result.state === "failed" ? <LoadError error={result.error} retry={reload} /> : null}
        {result.state === "ready" ? (
          <TokenTable rows={result.data} busy={busy} onRevoke={(tok) => revoke(tok, result.data)} />
        ) : null}
      </Section>
    </div>
  );
}

function TokenStatus({ token }: { token: ApiToken }) {
  if (token.revokedAt !== null) {
    return <span class="badge revoked">{tx("ig.tokens.revoked", { when: when(token.revokedAt) })}</span>;
  }
  if (token.expiresAt !== null && token.expiresAt <= Date.now()) {
    return <span class="badge off">{tx("ig.tokens.expired")}</span>;
  }
  return <span class="badge on">{tx("ig.tokens.active")}</span>;
}

function TokenTable(props: { rows: ApiToken[]; busy: string | null; onRevoke: (t: ApiToken) => void }) {
  if (props.rows.length === 0) return <p class="empty">{tx("ig.tokens.none")}</p>;
  return (
    <div class="table-wrap">
      <table class="list tokens">
        <caption class="visually-hidden">{tx("ig.tokens.caption")}</caption>
        <thead>
          <tr>
            <th scope="col">{tx("ig.tokens.name")}</th>
            <th scope="col">{tx("ig.tokens.scopes")}</th>
            <th scope="col">{tx("ig.tokens.created")}</th>
            <th scope="col">{tx("ig.tokens.expires")}</th>
            <th scope="col">{tx("ig.tokens.lastUsed")}</th>
            <th scope="col">{tx("ig.tokens.status")}</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((tok) => (
            <tr key={tok.id} class={tok.revokedAt !== null ? "dimmed" : undefined}>
              <th scope="row" class="cell-main">
                <strong>{tok.name}</strong>
                <span class="sub">
                  <code>{tok.prefix}…</code>
                </span>
              </th>
              <td data-label={tx("ig.tokens.scopes")} class="wrap">
                <span class="scope-list">
                  {tok.scopes.map((s) => (
                    <code key={s} class="scope">
                      {s}
                    </code>
                  ))}
                </span>
              </td>
              <td data-label={tx("ig.tokens.created")}>
                <span class="result-stack">
                  <Moment ms={tok.createdAt} dateOnly />
                  {tok.createdBy ? (
                    <span class="sub">{tx("ig.tokens.by", { name: tok.createdBy.name })}</span>
                  ) : null}
                </span>
              </td>
              <td data-label={tx("ig.tokens.expires")}>
                {tok.expiresAt === null ? tx("ig.tokens.noExpiry") : <Moment ms={tok.expiresAt} dateOnly />}
              </td>
              <td data-label={tx("ig.tokens.lastUsed")}>
                {tok.lastUsedAt === null ? (
                  <span class="muted">{tx("ig.tokens.never")}</span>
                ) : (
                  <Moment ms={tok.lastUsedAt} />
                )}
              </td>
              <td data-label={tx("ig.tokens.status")} class="token-status">
                <span class="status-stack">
                  <TokenStatus token={tok} />
                  {tok.revokedAt === null ? (
                    <ConfirmAction
                      id={`revoke-${tok.id}`}
                      label={tx("ig.tokens.revoke")}
                      ariaLabel={`${tx("ig.tokens.revoke")} ${tok.name}`}
                      question={tx("ig.tokens.revokeConfirm", { name: tok.name })}
                      danger
                      small
                      busy={props.busy === tok.id}
                      onConfirm={() => props.onRevoke(tok)}
                    />
                  ) : null}
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** /admin/integrations/tokens/new: name, scopes and expiry; the secret is shown once. */
export function NewTokenPage({ account }: { account: Account }) {
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<ApiTokenScope[]>(["sessions:read"]);
  const [expiry, setExpiry] = useState<Expiry>("90");
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<NewApiToken | null>(null);
  const form = useRef<HTMLFormElement>(null);
  const place = (field: string) => placeIn(["name", "scopes", "expiresInDays"])(field.split(".")[0] ?? field);

  async function submit(e: Event) {
    e.preventDefault();
    const problems: Problems = {};
    checkText(problems, "name", name, { required: true, max: NAME_MAX });
    if (scopes.length === 0) problems.scopes = { code: "no_scopes", message: "choose at least one scope" };
    if (hasProblems(problems)) {
      setErrors(xFormErrors(problems, place));
      focusFirstInvalid(form.current);
      return;
    }
    setBusy(true);
    try {
      const res = await api.createApiToken(account.id, {
        name: name.trim(),
        scopes,
        expiresInDays: expiry === "never" ? null : Number(expiry),
      });
      setErrors(NO_ERRORS);
      setCreated(res);
    } catch (err) {
      setErrors(xFormErrors(err, place));
      focusFirstInvalid(form.current);
    } finally {
      setBusy(false);
    }
  }

  const breadcrumb = (
    <p class="breadcrumb">
      <Link href="/admin/integrations">{tx("ig.title")}</Link>
      <span aria-hidden="true"> / </span>
      <Link href="/admin/integrations/tokens">{tx("ig.tokens.title")}</Link>
      <span aria-hidden="true"> / </span>
    </p>
  );

  if (created) {
    const example = `curl -H "Authorization: Bearer ${created.secret}" ${location.origin}/api/v1/accounts/${account.id}/sessions`;
    return (
      <div class="page narrow-page">
        {breadcrumb}
        <PageHeader title={tx("ig.token.newTitle")} />
        <OneTimeSecret
          title={tx("ig.token.createdTitle", { name: created.token.name })}
          text={tx("ig.token.secretOnce")}
          secret={created.secret}
          label={tx("ig.token.secretLabel")}
          copyLabel={tx("ig.token.copySecret")}
          doneLabel={tx("ig.secretDone")}
          extra={
            <div class="example">
              <p>{tx("ig.token.example")}</p>
              <pre>
                <code>{example}</code>
              </pre>
              <CopyButton text={example} label={tx("ig.token.copyExample")} />
            </div>
          }
          onDone={() => navigate("/admin/integrations/tokens")}
        />
      </div>
    );
  }

  return (
    <div class="page narrow-page">
      {breadcrumb}
      <PageHeader title={tx("ig.token.newTitle")} intro={tx("ig.tokens.intro")} />
      <form ref={form} class="panel form" onSubmit={submit} noValidate>
        <FormAlert text={errors.general} />
        <Field
          id="token-name"
          label={tx("ig.token.name")}
          hint={tx("ig.token.nameHint")}
          error={errors.fields.name}
        >
          {(c) => (
            <input
              {...c}
              type="text"
              autoComplete="off"
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          )}
        </Field>
        <ChoiceGroup
          id="token-scopes"
          legend={tx("ig.token.scopes")}
          hint={tx("ig.token.scopesHint")}
          error={errors.fields.scopes}
        >
          <div class="checks explained">
            {API_TOKEN_SCOPES.map((s) => {
              const hintId = `scope-${s.replace(/\W/g, "-")}-hint`;
              return (
                <label key={s} class="check">
                  <input
                    type="checkbox"
                    checked={scopes.includes(s)}
                    aria-describedby={hintId}
                    onChange={(e) =>
                      setScopes(
                        e.currentTarget.checked
                          ? API_TOKEN_SCOPES.filter((x) => x === s || scopes.includes(x))
                          : scopes.filter((x) => x !== s),
                      )
                    }
                  />
                  <span>
                    <code class="event-name">{s}</code>
                    <span id={hintId} class="hint block">
                      {tx(`ig.scope.${s}`)}
                    </span>
                  </span>
                </label>
              );
            })}
          </div>
        </ChoiceGroup>
        <ChoiceGroup
          id="token-expiresInDays"
          legend={tx("ig.token.expiry")}
          error={errors.fields.expiresInDays}
          radio
        >
          <div class="radio-row">
            {EXPIRIES.map((x) => (
              <label key={x} class="check">
                <input
                  type="radio"
                  name="token-expiry"
                  value={x}
                  checked={expiry === x}
                  onChange={() => setExpiry(x)}
                />
                <span>{tx(`ig.token.expiry.${x}`)}</span>
              </label>
            ))}
          </div>
        </ChoiceGroup>
        <div class="form-buttons">
          <button type="submit" class="button primary" disabled={busy}>
            {tx("ig.token.createButton")}
          </button>
          <Link href="/admin/integrations/tokens" class="button secondary">
            {t("admin.cancel")}
          </Link>
        </div>
      </form>
    </div>
  );
}
