import { useEffect, useState } from "preact/hooks";
import { api } from "./api.js";
import { t } from "./i18n.js";
import { LanguageSwitch } from "./LanguageSwitch.js";
import { errorText, signIn, signOut } from "./live.js";
import { user } from "./state.js";

export function SignIn() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  // Kept as a function of the language, so switching it re-words the error too.
  const [problem, setProblem] = useState<{ field: "email" | "password" | "both"; text: () => string } | null>(
    null,
  );
  const error = problem?.text() ?? null;
  // "Forgot password?" only where this server can send the link (GET /auth/options).
  const [canReset, setCanReset] = useState(false);
  useEffect(() => {
    let live = true;
    api.authOptions().then(
      (options) => {
        if (live) setCanReset(options.emailEnabled === true);
      },
      () => {
        // no link then; signing in still works
      },
    );
    return () => {
      live = false;
    };
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (email.trim() === "") {
      setProblem({ field: "email", text: () => t("emailRequired") });
      return;
    }
    if (password === "") {
      setProblem({ field: "password", text: () => t("passwordRequired") });
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      await signIn(email.trim(), password);
    } catch (err) {
      // Wrong password, locked out (429 with the minutes), rate limited: each said plainly.
      setProblem({ field: "both", text: () => errorText(err) });
      setBusy(false);
    }
  };

  return (
    <div class="signin-page">
      <main class="signin-card" aria-labelledby="signin-title">
        <div class="signin-head">
          <p class="brand-mark" aria-hidden="true">
            HG
          </p>
          <LanguageSwitch />
        </div>
        <h1 id="signin-title">{t("signInTitle")}</h1>
        <p class="muted">{t("signInIntro")}</p>
        <form onSubmit={submit} noValidate>
          <label for="signin-email">{t("email")}</label>
          <input
            id="signin-email"
            type="email"
            autocomplete="username"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
            aria-invalid={problem && problem.field !== "password" ? "true" : undefined}
            aria-describedby={problem && problem.field !== "password" ? "signin-error" : undefined}
          />
          <label for="signin-password">{t("password")}</label>
          <input
            id="signin-password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            aria-invalid={problem && problem.field !== "email" ? "true" : undefined}
            aria-describedby={problem && problem.field !== "email" ? "signin-error" : undefined}
          />
          {error && (
            <p id="signin-error" class="form-error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" class="btn btn-primary btn-block signin-submit" disabled={busy}>
            {busy ? t("signingIn") : t("signIn")}
          </button>
        </form>
        {canReset && (
          <p class="signin-forgot">
            <a href="/forgot-password">{t("forgotPassword")}</a>
          </p>
        )}
      </main>
    </div>
  );
}

export function OperatorNotice() {
  return (
    <div class="signin-page">
      <main class="signin-card" aria-labelledby="operator-title">
        <div class="signin-head">
          <p class="brand-mark" aria-hidden="true">
            HG
          </p>
          <LanguageSwitch />
        </div>
        <h1 id="operator-title">{t("operatorTitle")}</h1>
        <p>{t("operatorText", { email: user.value?.email ?? "" })}</p>
        <div class="button-row">
          <a class="btn btn-primary" href="/admin">
            {t("openAdmin")}
          </a>
          <button type="button" class="btn" onClick={() => void signOut()}>
            {t("signOut")}
          </button>
        </div>
      </main>
    </div>
  );
}
