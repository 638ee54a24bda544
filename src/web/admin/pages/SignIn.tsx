import { useEffect, useRef, useState } from "preact/hooks";
import { LIMITS } from "../../../shared/model.js";
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
import { t } from "../../common/i18n.js";
import { api } from "../api.js";
import { signedIn, signInNotice } from "../session.js";
import { tx } from "../texts.js";

export function SignIn() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [emailEnabled, setEmailEnabled] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    document.title = `${t("admin.signIn")} · ${t("admin.title")}`;
  });
  // "Forgot password?" only where the server can send the link.
  useEffect(() => {
    let live = true;
    api.authOptions().then(
      (o) => live && setEmailEnabled(o.emailEnabled === true),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);

  async function submit(e: Event) {
    e.preventDefault();
    const problems: Problems = {};
    checkText(problems, "email", email, { required: true, max: LIMITS.email });
    checkText(problems, "password", password, { required: true, max: LIMITS.passwordMax });
    if (hasProblems(problems)) {
      setErrors(formErrors(problems, (f) => f));
      focusFirstInvalid(form.current);
      return;
    }
    setBusy(true);
    try {
      signedIn(await api.login(email, password));
    } catch (err) {
      setErrors(formErrors(err, placeIn(["email", "password"])));
      setPassword("");
      focusFirstInvalid(form.current);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="signin card">
      <h1>{t("signIn.title")}</h1>
      <p class="intro">{t("signIn.intro")}</p>
      {signInNotice.value && !errors.general ? (
        <p class="notice" role="status">
          {signInNotice.value}
        </p>
      ) : null}
      <form ref={form} onSubmit={submit} noValidate>
        <FormAlert text={errors.general} />
        <Field id="signin-email" label={t("admin.email")} error={errors.fields.email}>
          {(c) => (
            <input
              {...c}
              type="email"
              autoComplete="username"
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field id="signin-password" label={t("admin.password")} error={errors.fields.password}>
          {(c) => (
            <input
              {...c}
              type="password"
              autoComplete="current-password"
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          )}
        </Field>
        <button type="submit" class="button primary wide" disabled={busy}>
          {busy ? t("signIn.busy") : t("admin.signIn")}
        </button>
        {emailEnabled ? (
          <p class="forgot">
            <a href="/forgot-password">{tx("signIn.forgot")}</a>
          </p>
        ) : null}
      </form>
    </div>
  );
}
