import { useState } from "preact/hooks";
import type { Account, User } from "../../../shared/api.js";
import { LIMITS } from "../../../shared/model.js";
import { Field, FormAlert } from "../../common/Field.js";
import {
  checkText,
  type FormErrors,
  formErrors,
  hasProblems,
  NO_ERRORS,
  type Problems,
  placeIn,
} from "../../common/forms.js";
import { t } from "../../common/i18n.js";
import { api } from "../api.js";
import { OneTimeSecret } from "../components/OneTimeSecret.js";
import { currentUser, storeSelf } from "../session.js";

/** The side panels of a user's page: disable/enable and password reset. */
export function UserAccess({
  account,
  user,
  onChanged,
}: {
  account: Account;
  user: User;
  onChanged: (u: User) => void;
}) {
  return (
    <div class="side">
      <StatusPanel account={account} user={user} onChanged={onChanged} />
      <PasswordPanel account={account} user={user} />
    </div>
  );
}

function StatusPanel({
  account,
  user,
  onChanged,
}: {
  account: Account;
  user: User;
  onChanged: (u: User) => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const self = currentUser.value?.id === user.id;

  async function toggle() {
    setBusy(true);
    try {
      const next = await api.updateUser(account.id, user.id, { disabled: !user.disabled });
      setError(null);
      storeSelf(next);
      onChanged(next);
    } catch (err) {
      const e = formErrors(err, () => null);
      setError(e.general);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="panel" aria-labelledby="status-title">
      <h2 id="status-title" class="panel-title">
        {t("users.access")}
      </h2>
      <p>
        {t("users.status")}:{" "}
        <span class={`badge ${user.disabled ? "off" : "on"}`}>
          {user.disabled ? t("users.disabled") : t("users.enabled")}
        </span>
      </p>
      <p class="hint">{user.disabled ? t("users.enableHint") : t("users.disableHint")}</p>
      <FormAlert text={error} />
      <button
        type="button"
        class={`button ${user.disabled ? "secondary" : "danger"}`}
        disabled={busy}
        onClick={toggle}
      >
        {user.disabled ? t("users.enable") : t("users.disable")}
        {self ? ` (${t("users.you")})` : ""}
      </button>
    </section>
  );
}

function PasswordPanel({ account, user }: { account: Account; user: User }) {
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const [generated, setGenerated] = useState<string | null>(null);
  const [done, setDone] = useState(false);

  async function reset(e: Event) {
    e.preventDefault();
    const problems: Problems = {};
    if (password !== "") {
      checkText(problems, "password", password, { min: LIMITS.passwordMin, max: LIMITS.passwordMax });
    }
    if (hasProblems(problems)) {
      setErrors(formErrors(problems, (f) => f));
      return;
    }
    setBusy(true);
    setDone(false);
    try {
      const res = await api.resetPassword(account.id, user.id, password === "" ? undefined : password);
      setErrors(NO_ERRORS);
      setPassword("");
      if (res.generatedPassword) setGenerated(res.generatedPassword);
      else setDone(true);
    } catch (err) {
      setErrors(formErrors(err, placeIn(["password"])));
    } finally {
      setBusy(false);
    }
  }

  if (generated) {
    return (
      <OneTimeSecret
        title={t("users.newPasswordTitle")}
        text={t("users.generatedOnce", { email: user.email })}
        secret={generated}
        onDone={() => setGenerated(null)}
      />
    );
  }

  return (
    <form class="panel" aria-labelledby="password-title" onSubmit={reset} noValidate>
      <h2 id="password-title" class="panel-title">
        {t("users.resetPassword")}
      </h2>
      <p class="hint">{t("users.resetHint")}</p>
      <FormAlert text={errors.general} />
      <Field
        id="reset-password"
        label={t("users.newPassword")}
        hint={t("users.passwordHint")}
        error={errors.fields.password}
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
      <button type="submit" class="button secondary" disabled={busy}>
        {t("users.resetPassword")}
      </button>
      <p role="status" class="status-line">
        {done ? t("users.passwordSet", { email: user.email }) : ""}
      </p>
    </form>
  );
}
