import { useRef, useState } from "preact/hooks";
import type { Account, Portal, User } from "../../../shared/api.js";
import {
  CONNECTION_MODES,
  LANGUAGES,
  LIMITS,
  type PortalType,
  portalTypesFor,
} from "../../../shared/model.js";
import { ChoiceGroup, Field, FormAlert, Switch } from "../../common/Field.js";
import { type FormErrors, focusFirstInvalid, hasProblems, NO_ERRORS } from "../../common/forms.js";
import { t } from "../../common/i18n.js";
import { useLoad } from "../../common/useLoad.js";
import { api } from "../api.js";
import { Avatar } from "../components/Avatar.js";
import { ConfirmDialog } from "../components/ConfirmDialog.js";
import { CopyButton } from "../components/CopyButton.js";
import { flash } from "../components/Flash.js";
import { Icon } from "../components/Icon.js";
import { LANGUAGE_NAMES } from "../components/LanguageSwitch.js";
import { PageHeader } from "../components/PageHeader.js";
import { PortalUrl } from "../components/PortalUrl.js";
import { LoadError, Loading } from "../components/Status.js";
import { Link } from "../Link.js";
import { navigate } from "../router.js";
import { me } from "../session.js";
import { xFormErrors as formErrors, tx, xFailureText } from "../texts.js";
import { typeNames } from "./Account.js";
import { BusinessHoursEditor } from "./BusinessHoursEditor.js";
import { FieldsEditor } from "./FieldsEditor.js";
import { PortalPreview } from "./PortalPreview.js";
import {
  DEFAULT_COLOR,
  defaultFieldDrafts,
  draftOf,
  emailList,
  hasDefaultFields,
  inputOf,
  isColour,
  isQueuePortal,
  isValidSlug,
  MAX_WAIT_MAX_MINUTES,
  MAX_WAIT_MIN_MINUTES,
  NOTIFY_EMAILS_MAX,
  type PortalDraft,
  placePortalProblem,
  slugify,
  validate,
} from "./portalDraft.js";

export function PortalForm({ account, portalId }: { account: Account; portalId: string | null }) {
  const { result, reload } = useLoad(
    () =>
      Promise.all([
        portalId === null ? Promise.resolve(null) : api.portal(account.id, portalId),
        api.users(account.id),
      ]),
    [account.id, portalId],
  );
  const portal = result.state === "ready" ? result.data[0] : null;
  return (
    <div class="page">
      <p class="breadcrumb">
        <Link href="/admin/portals">{t("admin.nav.portals")}</Link>
        <span aria-hidden="true"> / </span>
      </p>
      <PageHeader title={portal ? portal.name : portalId === null ? t("portals.new") : t("portals.edit")}>
        {portal ? (
          <span class="url-actions">
            <PortalUrl url={portal.url} />
            <CopyButton text={portal.url} label={t("portals.copyLabel", { name: portal.name })} />
            <a class="button small secondary" href={portal.url} target="_blank" rel="noopener">
              {t("portals.open")}
              <span class="visually-hidden"> ({t("admin.newTab")})</span>
              <Icon name="external" />
            </a>
          </span>
        ) : null}
      </PageHeader>
      {result.state === "loading" ? <Loading /> : null}
      {result.state === "failed" ? <LoadError error={result.error} retry={reload} /> : null}
      {result.state === "ready" ? (
        <PortalEditor account={account} portal={result.data[0]} users={result.data[1]} />
      ) : null}
    </div>
  );
}

function PortalEditor({
  account,
  portal,
  users,
}: {
  account: Account;
  portal: Portal | null;
  users: User[];
}) {
  const isNew = portal === null;
  const [draft, setDraft] = useState<PortalDraft>(() => draftOf(portal, account));
  const [slugTouched, setSlugTouched] = useState(!isNew);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const set = <K extends keyof PortalDraft>(key: K, value: PortalDraft[K]) =>
    setDraft((d) => ({ ...d, [key]: value }));
  const e = errors.fields;
  const allowed = portalTypesFor(account.mode);
  const queue = isQueuePortal(account.mode, draft.type);
  const types: readonly PortalType[] = allowed.includes(draft.type) ? allowed : [draft.type, ...allowed];
  const base = portal ? portal.url.slice(0, portal.url.length - portal.slug.length) : `${location.origin}/p/`;
  const agents = users.filter((u) => !u.disabled || draft.agentIds.includes(u.id));

  function changeType(type: PortalType) {
    setDraft((d) => ({
      ...d,
      type,
      fields: isNew && hasDefaultFields(d.fields, d.type) ? defaultFieldDrafts(type) : d.fields,
    }));
  }

  async function submit(ev: Event) {
    ev.preventDefault();
    const problems = validate(draft, queue);
    if (hasProblems(problems)) {
      setErrors(formErrors(problems, placePortalProblem));
      focusFirstInvalid(form.current);
      return;
    }
    setBusy(true);
    try {
      const saved = portal
        ? await api.updatePortal(account.id, portal.id, inputOf(draft, queue))
        : await api.createPortal(account.id, inputOf(draft, queue));
      flash.value = t(isNew ? "portals.createdFlash" : "portals.savedFlash", { name: saved.name });
      navigate("/admin/portals");
    } catch (err) {
      setErrors(formErrors(err, placePortalProblem));
      focusFirstInvalid(form.current);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="portal-layout">
      <form ref={form} class="form portal-form" onSubmit={submit} noValidate>
        <FormAlert text={errors.general} />
        <section class="panel" aria-labelledby="basics-title">
          <h2 id="basics-title" class="panel-title">
            {t("portals.basics")}
          </h2>
          <Field id="portal-name" label={t("portals.name")} hint={t("portals.nameHint")} error={e.name}>
            {(c) => (
              <input
                {...c}
                type="text"
                value={draft.name}
                onInput={(ev) => {
                  const name = ev.currentTarget.value;
                  setDraft((d) => ({ ...d, name, slug: slugTouched ? d.slug : slugify(name) }));
                }}
              />
            )}
          </Field>
          <Field
            id="portal-slug"
            label={t("portals.slug")}
            hint={
              isValidSlug(draft.slug)
                ? t("portals.slugHint", { url: `${base}${draft.slug.trim()}` })
                : t("portals.slugHintPending")
            }
            error={e.slug}
          >
            {(c) => (
              <div class="affix">
                <span class="affix-text" aria-hidden="true">
                  /p/
                </span>
                <input
                  {...c}
                  type="text"
                  autoCapitalize="none"
                  spellcheck={false}
                  value={draft.slug}
                  onInput={(ev) => {
                    setSlugTouched(true);
                    set("slug", ev.currentTarget.value);
                  }}
                />
              </div>
            )}
          </Field>
          <div class="row-2">
            <Field
              id="portal-type"
              label={t("portals.type")}
              hint={t("portals.allowedTypes", { types: typeNames(account.mode) })}
              error={e.type}
            >
              {(c) => (
                <select
                  {...c}
                  value={draft.type}
                  onChange={(ev) => changeType(ev.currentTarget.value as PortalType)}
                >
                  {types.map((type) => (
                    <option key={type} value={type}>
                      {t(`portals.type.${type}`)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Switch
              id="portal-enabled"
              label={t("portals.enabled")}
              hint={t("portals.enabledHint")}
              error={e.enabled}
              checked={draft.enabled}
              onChange={(v) => set("enabled", v)}
            />
          </div>
          <p class="hint type-explain">{t(`portals.typeHint.${draft.type}`)}</p>
        </section>

        <section class="panel" aria-labelledby="look-title">
          <h2 id="look-title" class="panel-title">
            {t("portals.look")}
          </h2>
          <Field id="portal-title" label={t("portals.title")} hint={t("portals.titleHint")} error={e.title}>
            {(c) => (
              <input
                {...c}
                type="text"
                value={draft.title}
                placeholder={draft.name}
                onInput={(ev) => set("title", ev.currentTarget.value)}
              />
            )}
          </Field>
          <Field id="portal-welcomeText" label={t("portals.welcomeText")} error={e.welcomeText}>
            {(c) => (
              <textarea
                {...c}
                rows={3}
                value={draft.welcomeText}
                onInput={(ev) => set("welcomeText", ev.currentTarget.value)}
              />
            )}
          </Field>
          <Field
            id="portal-greeting"
            label={t("portals.greeting")}
            hint={t("portals.greetingHint")}
            error={e.greeting}
          >
            {(c) => (
              <>
                <textarea
                  {...c}
                  rows={3}
                  aria-describedby={[c["aria-describedby"], "portal-greeting-count"]
                    .filter(Boolean)
                    .join(" ")}
                  value={draft.greeting}
                  onInput={(ev) => set("greeting", ev.currentTarget.value)}
                />
                <p
                  id="portal-greeting-count"
                  class={`hint counter${draft.greeting.length > LIMITS.greeting - 50 ? " near-limit" : ""}`}
                  aria-live="polite"
                >
                  {t("portals.greetingCount", { n: draft.greeting.length, max: LIMITS.greeting })}
                </p>
              </>
            )}
          </Field>
          {queue && (
            <Field
              id="portal-maxWait"
              label={t("portals.maxWait")}
              hint={t("portals.maxWaitHint", { min: MAX_WAIT_MIN_MINUTES, max: MAX_WAIT_MAX_MINUTES })}
              error={e.maxWaitSeconds}
            >
              {(c) => (
                <input
                  {...c}
                  type="number"
                  inputMode="numeric"
                  class="short-number"
                  min={MAX_WAIT_MIN_MINUTES}
                  max={MAX_WAIT_MAX_MINUTES}
                  step={1}
                  value={draft.maxWaitMinutes}
                  onInput={(ev) => set("maxWaitMinutes", ev.currentTarget.value)}
                />
              )}
            </Field>
          )}
          <div class="row-3">
            <Field id="portal-language" label={t("portals.language")} error={e.language}>
              {(c) => (
                <select
                  {...c}
                  value={draft.language}
                  onChange={(ev) => set("language", ev.currentTarget.value as PortalDraft["language"])}
                >
                  {LANGUAGES.map((l) => (
                    <option key={l} value={l}>
                      {LANGUAGE_NAMES[l]}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field id="portal-primaryColor" label={t("portals.color")} error={e.primaryColor}>
              {(c) => (
                <div class="colour">
                  <input
                    type="color"
                    aria-label={t("portals.colorPicker")}
                    value={isColour(draft.primaryColor) ? draft.primaryColor.toLowerCase() : DEFAULT_COLOR}
                    onInput={(ev) => set("primaryColor", ev.currentTarget.value)}
                  />
                  <input
                    {...c}
                    type="text"
                    class="short"
                    spellcheck={false}
                    value={draft.primaryColor}
                    onInput={(ev) => set("primaryColor", ev.currentTarget.value.trim())}
                  />
                </div>
              )}
            </Field>
          </div>
          <Field id="portal-logoUrl" label={t("portals.logo")} hint={t("portals.logoHint")} error={e.logoUrl}>
            {(c) => (
              <input
                {...c}
                type="url"
                placeholder="https://"
                value={draft.logoUrl}
                onInput={(ev) => set("logoUrl", ev.currentTarget.value)}
              />
            )}
          </Field>
        </section>

        <FieldsEditor
          fields={draft.fields}
          portalLanguage={draft.language}
          errors={e}
          onChange={(fields) => set("fields", fields)}
        />

        <section class="panel" aria-labelledby="routing-title">
          <h2 id="routing-title" class="panel-title">
            {t("portals.routing")}
          </h2>
          <ChoiceGroup
            id="portal-connectionMode"
            legend={t("portals.connectionMode")}
            hint={account.webChatEnabled ? undefined : t("portals.chatOff")}
            error={e.connectionMode}
            radio
          >
            {CONNECTION_MODES.map((mode) => (
              <label key={mode} class="check">
                <input
                  type="radio"
                  name="connectionMode"
                  value={mode}
                  checked={draft.connectionMode === mode}
                  disabled={mode === "chat-first" && !account.webChatEnabled && draft.connectionMode !== mode}
                  onChange={() => set("connectionMode", mode)}
                />
                <span>
                  <strong>{t(`portals.connection.${mode}`)}</strong>
                  <span class="hint block">{t(`portals.connectionHint.${mode}`)}</span>
                </span>
              </label>
            ))}
          </ChoiceGroup>
          <ChoiceGroup
            id="portal-agentIds"
            legend={t("portals.agents")}
            hint={t(draft.type === "pick-agent" ? "portals.agentsHintPick" : "portals.agentsHint")}
            error={e.agentIds}
          >
            {agents.length === 0 ? <p class="muted">{t("users.none")}</p> : null}
            <div class="checks agents">
              {agents.map((u) => (
                <label key={u.id} class="check agent-check">
                  <input
                    type="checkbox"
                    checked={draft.agentIds.includes(u.id)}
                    onChange={(ev) =>
                      set(
                        "agentIds",
                        ev.currentTarget.checked
                          ? [...draft.agentIds, u.id]
                          : draft.agentIds.filter((id) => id !== u.id),
                      )
                    }
                  />
                  <Avatar name={u.displayName} url={u.avatarUrl} size="small" />
                  <span>
                    {u.displayName}
                    <span class="muted"> · {t(`users.role.${u.role}`)}</span>
                    {u.disabled ? <span class="muted"> · {t("users.disabled")}</span> : null}
                  </span>
                </label>
              ))}
            </div>
          </ChoiceGroup>
        </section>

        {draft.type === "code" ? null : (
          <BusinessHoursEditor
            hours={draft.hours}
            onChange={(hours) => set("hours", hours)}
            errors={e}
            defaultTimeZone={account.timeZone}
          />
        )}

        <section class="panel" aria-labelledby="notify-title">
          <h2 id="notify-title" class="panel-title">
            {tx("portals.notifications")}
          </h2>
          {me.value?.emailEnabled === false ? (
            <p class="notice warn-notice">{tx("portals.notifyEmailsOff")}</p>
          ) : null}
          <Field
            id="portal-notifyEmails"
            label={tx("portals.notifyEmails")}
            hint={tx("portals.notifyEmailsHint")}
            error={e.notifyEmails}
          >
            {(c) => (
              <>
                <textarea
                  {...c}
                  rows={3}
                  spellcheck={false}
                  autoCapitalize="none"
                  placeholder="support@example.com"
                  aria-describedby={[
                    c["aria-describedby"],
                    e.notifyEmails ? null : "portal-notifyEmails-count",
                  ]
                    .filter(Boolean)
                    .join(" ")}
                  value={draft.notifyEmails}
                  onInput={(ev) => set("notifyEmails", ev.currentTarget.value)}
                />
                {e.notifyEmails ? null : (
                  <p
                    id="portal-notifyEmails-count"
                    class={`hint counter${emailList(draft.notifyEmails).length > NOTIFY_EMAILS_MAX ? " near-limit" : ""}`}
                  >
                    {emailList(draft.notifyEmails).length} / {NOTIFY_EMAILS_MAX}
                  </p>
                )}
              </>
            )}
          </Field>
        </section>

        <div class="form-buttons sticky-buttons">
          <button type="submit" class="button primary" disabled={busy}>
            {isNew ? t("portals.createButton") : t("admin.save")}
          </button>
          <Link href="/admin/portals" class="button secondary">
            {t("admin.cancel")}
          </Link>
        </div>
        {portal ? <DeletePortal account={account} portal={portal} /> : null}
      </form>
      <div class="preview-column">
        <PortalPreview draft={draft} agents={users} />
      </div>
    </div>
  );
}

/** Deleting the portal, after a question that says what it means; a refusal (409) shows in the dialog. */
function DeletePortal({ account, portal }: { account: Account; portal: Portal }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await api.deletePortal(account.id, portal.id);
      flash.value = tx("portals.deletedFlash", { name: portal.name });
      navigate("/admin/portals");
    } catch (err) {
      setError(xFailureText(err));
      setBusy(false);
    }
  }

  return (
    <section class="panel delete-panel" aria-labelledby="delete-title">
      <h2 id="delete-title" class="panel-title">
        {tx("portals.delete")}
      </h2>
      <p class="hint">{tx("portals.deleteIntro")}</p>
      <button
        type="button"
        class="button danger"
        onClick={() => {
          setError(null);
          setAsking(true);
        }}
      >
        {tx("portals.delete")}
      </button>
      {asking ? (
        <ConfirmDialog
          title={tx("portals.deleteTitle", { name: portal.name })}
          confirm={tx("portals.delete")}
          danger
          busy={busy}
          error={error}
          onConfirm={remove}
          onClose={() => setAsking(false)}
        >
          <p>{tx("portals.deleteAddress", { url: portal.url })}</p>
          <p>{tx("portals.deleteHistory")}</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
