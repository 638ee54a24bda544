import { useRef, useState } from "preact/hooks";
import type { Account } from "../../../shared/api.js";
import { LIMITS, MODES, type Mode, portalTypesFor } from "../../../shared/model.js";
import { ApiFailure } from "../../common/api.js";
import { ChoiceGroup, Field, FormAlert, Switch } from "../../common/Field.js";
import {
  checkInteger,
  checkText,
  type FormErrors,
  focusFirstInvalid,
  formErrors,
  hasProblems,
  NO_ERRORS,
  type Problems,
  placeIn,
} from "../../common/forms.js";
import { t } from "../../common/i18n.js";
import { api } from "../api.js";
import { PageHeader } from "../components/PageHeader.js";
import { SavedNote } from "../components/Status.js";
import { rx } from "../reportTexts.js";
import { storeAccount } from "../session.js";

const SHOWN = [
  "name",
  "mode",
  "webChatEnabled",
  "upgradeEnabled",
  "offerTimeoutSeconds",
  "tellCustomerMonitored",
  "timeZone",
];

let zones: string[] | null = null;

/** The IANA zones this browser knows, offered as suggestions (any zone the server knows is accepted). */
function timeZoneNames(): string[] {
  if (zones === null) {
    try {
      zones = Intl.supportedValuesOf("timeZone");
    } catch {
      zones = [];
    }
  }
  return zones;
}

/** `formErrors`, with the reports' wording for an unknown time zone. */
function accountErrors(err: unknown): FormErrors {
  const errors = formErrors(err, placeIn(SHOWN));
  if (err instanceof ApiFailure && err.fields.timeZone?.code === "unknown_time_zone") {
    return { ...errors, fields: { ...errors.fields, timeZone: rx("error.unknown_time_zone") } };
  }
  return errors;
}

export function typeNames(mode: Mode): string {
  return portalTypesFor(mode)
    .map((type) => t(`portals.type.${type}`))
    .join(", ");
}

/** The mode choice with what each mode means; shared with the new-account form. */
export function ModeChoice(props: {
  id: string;
  value: Mode;
  hint: string;
  error?: string | undefined;
  onChange: (mode: Mode) => void;
}) {
  return (
    <ChoiceGroup id={props.id} legend={t("admin.mode")} hint={props.hint} error={props.error} radio>
      <div class="mode-options">
        {MODES.map((mode) => (
          <label key={mode} class={`mode-option${props.value === mode ? " selected" : ""}`}>
            <input
              type="radio"
              name={props.id}
              value={mode}
              checked={props.value === mode}
              onChange={() => props.onChange(mode)}
            />
            <span class="mode-text">
              <strong>{t(`account.mode.${mode}`)}</strong>
              <span class="mode-explain">{t(`admin.mode.${mode}`)}</span>
              <span class="mode-types">{t("account.modeTypes", { types: typeNames(mode) })}</span>
            </span>
          </label>
        ))}
      </div>
    </ChoiceGroup>
  );
}

export function AccountPage({ account }: { account: Account }) {
  const [name, setName] = useState(account.name);
  const [mode, setMode] = useState<Mode>(account.mode);
  const [webChat, setWebChat] = useState(account.webChatEnabled);
  const [upgrade, setUpgrade] = useState(account.upgradeEnabled);
  const [tellMonitored, setTellMonitored] = useState(account.tellCustomerMonitored);
  const [offerTimeout, setOfferTimeout] = useState(String(account.offerTimeoutSeconds));
  const [timeZone, setTimeZone] = useState(account.timeZone);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  /** Puts an account's stored settings into the form. */
  function show(stored: Account) {
    setName(stored.name);
    setMode(stored.mode);
    setWebChat(stored.webChatEnabled);
    setUpgrade(stored.upgradeEnabled);
    setTellMonitored(stored.tellCustomerMonitored);
    setOfferTimeout(String(stored.offerTimeoutSeconds));
    setTimeZone(stored.timeZone);
  }

  /**
   * A save the server refused as a whole (409: a switch or mode the account's portals do not
   * allow) changed nothing: the form goes back to what is stored, read afresh, so no switch shows
   * a state the account does not have. The refusal's message stays at its field.
   */
  async function showStored(err: ApiFailure) {
    const errors = accountErrors(err);
    setErrors({ ...errors, general: t("account.notSaved") });
    try {
      const stored = await api.account(account.id);
      storeAccount(stored);
      show(stored);
    } catch {
      show(account);
    }
  }

  async function submit(e: Event) {
    e.preventDefault();
    setSaved(false);
    const problems: Problems = {};
    checkText(problems, "name", name, { required: true, max: LIMITS.accountName });
    checkText(problems, "timeZone", timeZone, { required: true, max: 64 });
    if (mode === "queue") {
      checkInteger(
        problems,
        "offerTimeoutSeconds",
        offerTimeout,
        LIMITS.offerTimeoutMin,
        LIMITS.offerTimeoutMax,
      );
    }
    if (hasProblems(problems)) {
      setErrors(formErrors(problems, placeIn(SHOWN)));
      focusFirstInvalid(form.current);
      return;
    }
    setBusy(true);
    try {
      const next = await api.updateAccount(account.id, {
        name: name.trim(),
        mode,
        webChatEnabled: webChat,
        upgradeEnabled: upgrade,
        tellCustomerMonitored: tellMonitored,
        timeZone: timeZone.trim(),
        ...(mode === "queue" ? { offerTimeoutSeconds: Number(offerTimeout) } : {}),
      });
      storeAccount(next);
      setOfferTimeout(String(next.offerTimeoutSeconds));
      setTimeZone(next.timeZone);
      setErrors(NO_ERRORS);
      setSaved(true);
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 409) await showStored(err);
      else setErrors(accountErrors(err));
      focusFirstInvalid(form.current);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="page narrow-page">
      <PageHeader title={t("admin.nav.account")} intro={t("account.intro")} />
      <form ref={form} class="panel form" onSubmit={submit} noValidate>
        <FormAlert text={errors.general} />
        <Field id="account-name" label={t("account.name")} error={errors.fields.name}>
          {(c) => <input {...c} type="text" value={name} onInput={(e) => setName(e.currentTarget.value)} />}
        </Field>
        <ModeChoice
          id="account-mode"
          hint={t("account.modeHint")}
          value={mode}
          error={errors.fields.mode}
          onChange={setMode}
        />
        {mode === "queue" && (
          <Field
            id="account-offerTimeout"
            label={t("account.offerTimeout")}
            hint={t("account.offerTimeoutHint", { min: LIMITS.offerTimeoutMin, max: LIMITS.offerTimeoutMax })}
            error={errors.fields.offerTimeoutSeconds}
          >
            {(c) => (
              <input
                {...c}
                type="number"
                inputMode="numeric"
                class="short-number"
                min={LIMITS.offerTimeoutMin}
                max={LIMITS.offerTimeoutMax}
                step={1}
                value={offerTimeout}
                onInput={(e) => setOfferTimeout(e.currentTarget.value)}
              />
            )}
          </Field>
        )}
        <Switch
          id="account-webchat"
          label={t("admin.webChat")}
          hint={t("account.webChatHint")}
          error={errors.fields.webChatEnabled}
          checked={webChat}
          onChange={setWebChat}
        />
        <Switch
          id="account-upgrade"
          label={t("admin.upgrade")}
          hint={t("account.upgradeHint")}
          error={errors.fields.upgradeEnabled}
          checked={upgrade}
          onChange={setUpgrade}
        />
        <Switch
          id="account-tellMonitored"
          label={t("account.tellMonitored")}
          hint={t("account.tellMonitoredHint")}
          error={errors.fields.tellCustomerMonitored}
          checked={tellMonitored}
          onChange={setTellMonitored}
        />
        <Field
          id="account-timeZone"
          label={rx("account.timeZone")}
          hint={rx("account.timeZoneHint")}
          error={errors.fields.timeZone}
        >
          {(c) => (
            <input
              {...c}
              type="text"
              list="account-timeZones"
              autocomplete="off"
              spellcheck={false}
              class="zone-input"
              value={timeZone}
              onInput={(e) => setTimeZone(e.currentTarget.value)}
            />
          )}
        </Field>
        <datalist id="account-timeZones">
          {timeZoneNames().map((zone) => (
            <option key={zone} value={zone} />
          ))}
        </datalist>
        <div class="form-buttons">
          <button type="submit" class="button primary" disabled={busy}>
            {t("admin.save")}
          </button>
          <SavedNote show={saved} />
        </div>
      </form>
    </div>
  );
}
