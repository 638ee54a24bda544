import { useRef, useState } from "preact/hooks";
import type { Account } from "../../../shared/api.js";
import { EMAIL_PATTERN, LIMITS, type Mode } from "../../../shared/model.js";
import { Field, FormAlert } from "../../common/Field.js";
import {
  checkText,
  type FormErrors,
  focusFirstInvalid,
  formErrors,
  hasProblems,
  NO_ERRORS,
  type Problems,
  placeIn,
} from "../../common/forms.js";
import { language, t } from "../../common/i18n.js";
import { api } from "../api.js";
import { Flash, flash } from "../components/Flash.js";
import { OneTimeSecret } from "../components/OneTimeSecret.js";
import { PageHeader } from "../components/PageHeader.js";
import { navigate } from "../router.js";
import { accountId, accounts, storeAccount, switchAccount } from "../session.js";
import { ModeChoice } from "./Account.js";

const SHOWN = ["name", "mode", "admin.email", "admin.displayName", "admin.password"];

/** A new account whose first admin got a generated password, shown once. */
interface Created {
  account: Account;
  email: string;
  password: string;
}

/** Operators only: every account of the installation, and a form to create one with its first admin. */
export function AccountsPage() {
  const [created, setCreated] = useState<Created | null>(null);
  const open = (id: string) => {
    switchAccount(id);
    navigate("/admin/portals");
  };
  return (
    <div class="page">
      <PageHeader title={t("admin.nav.accounts")} intro={t("accounts.intro")} />
      <Flash />
      {created ? (
        <OneTimeSecret
          title={t("accounts.createdTitle", { name: created.account.name })}
          text={t("users.generatedOnce", { email: created.email })}
          secret={created.password}
          onDone={() => setCreated(null)}
        >
          <button type="button" class="button primary" onClick={() => open(created.account.id)}>
            {t("accounts.open", { name: created.account.name })}
          </button>
        </OneTimeSecret>
      ) : null}
      <div class="halves">
        <section class="panel" aria-labelledby="accounts-list-title">
          <h2 id="accounts-list-title" class="panel-title">
            {t("accounts.list", { count: accounts.value.length })}
          </h2>
          {accounts.value.length === 0 ? <p class="muted">{t("accounts.none")}</p> : null}
          <ul class="account-list">
            {accounts.value.map((a) => (
              <li key={a.id} class={a.id === accountId.value ? "current" : undefined}>
                <span>
                  <strong>{a.name}</strong>
                  <span class="sub">
                    {t(`account.mode.${a.mode}`)} ·{" "}
                    {new Date(a.createdAt).toLocaleDateString(language.value, { dateStyle: "medium" })}
                  </span>
                </span>
                {a.id === accountId.value ? (
                  <span class="tag">{t("accounts.current")}</span>
                ) : (
                  <button type="button" class="button small secondary" onClick={() => open(a.id)}>
                    {t("accounts.switch")}
                    <span class="visually-hidden"> {a.name}</span>
                  </button>
                )}
              </li>
            ))}
          </ul>
        </section>
        <NewAccountForm onCreated={setCreated} />
      </div>
    </div>
  );
}

function NewAccountForm({ onCreated }: { onCreated: (c: Created) => void }) {
  const [name, setName] = useState("");
  const [mode, setMode] = useState<Mode>("web");
  const [email, setEmail] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  async function submit(e: Event) {
    e.preventDefault();
    const p: Problems = {};
    checkText(p, "name", name, { required: true, max: LIMITS.accountName });
    checkText(p, "admin.email", email, { required: true, max: LIMITS.email, pattern: EMAIL_PATTERN });
    checkText(p, "admin.displayName", displayName, { required: true, max: LIMITS.userName });
    if (password !== "") {
      checkText(p, "admin.password", password, { min: LIMITS.passwordMin, max: LIMITS.passwordMax });
    }
    if (hasProblems(p)) {
      setErrors(formErrors(p, placeIn(SHOWN)));
      focusFirstInvalid(form.current);
      return;
    }
    setBusy(true);
    try {
      const admin = { email: email.trim(), displayName: displayName.trim() };
      const res = await api.createAccount({
        name: name.trim(),
        mode,
        admin: password === "" ? admin : { ...admin, password },
      });
      storeAccount(res.account);
      setErrors(NO_ERRORS);
      setName("");
      setEmail("");
      setDisplayName("");
      setPassword("");
      if (res.generatedPassword) {
        onCreated({ account: res.account, email: res.admin.email, password: res.generatedPassword });
      } else {
        flash.value = t("accounts.createdFlash", { name: res.account.name });
      }
      window.scrollTo(0, 0);
    } catch (err) {
      setErrors(formErrors(err, placeIn(SHOWN)));
      focusFirstInvalid(form.current);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form ref={form} class="panel form" aria-labelledby="new-account-title" onSubmit={submit} noValidate>
      <h2 id="new-account-title" class="panel-title">
        {t("accounts.new")}
      </h2>
      <FormAlert text={errors.general} />
      <Field id="new-account-name" label={t("account.name")} error={errors.fields.name}>
        {(c) => <input {...c} type="text" value={name} onInput={(e) => setName(e.currentTarget.value)} />}
      </Field>
      <ModeChoice
        id="new-account-mode"
        hint={t("accounts.modeHint")}
        value={mode}
        error={errors.fields.mode}
        onChange={setMode}
      />
      <Field
        id="new-account-admin-name"
        label={t("accounts.adminName")}
        error={errors.fields["admin.displayName"]}
      >
        {(c) => (
          <input
            {...c}
            type="text"
            value={displayName}
            onInput={(e) => setDisplayName(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field
        id="new-account-admin-email"
        label={t("accounts.adminEmail")}
        error={errors.fields["admin.email"]}
      >
        {(c) => (
          <input
            {...c}
            type="email"
            autoComplete="off"
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field
        id="new-account-admin-password"
        label={t("accounts.adminPassword")}
        hint={t("users.passwordHint")}
        error={errors.fields["admin.password"]}
      >
        {(c) => (
          <input
            {...c}
            type="password"
            autoComplete="new-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        )}
      </Field>
      <div class="form-buttons">
        <button type="submit" class="button primary" disabled={busy}>
          {t("accounts.createButton")}
        </button>
      </div>
    </form>
  );
}
