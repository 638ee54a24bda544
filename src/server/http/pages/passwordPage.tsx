import type { ComponentChildren } from "preact";
import { textsFor } from "../../../shared/i18n/portal.js";
import { type Language, LIMITS } from "../../../shared/model.js";
import { Layout, renderPage } from "./Layout.js";

/**
 * The server-rendered password pages: "Forgot password?" (/forgot-password) and "Set your
 * password" (/password?token=…, from an invitation or a reset email). Helpgate's own neutral
 * branding, the browser's language, no script: plain forms that work everywhere.
 */
const en = {
  brand: "Helpgate",
  email: "Email",
  forgotTitle: "Forgot your password?",
  forgotText: "Enter the email address you sign in with. We will send you a link to choose a new password.",
  forgotSubmit: "Send the link",
  forgotEmailRequired: "Enter your email address.",
  forgotEmailInvalid: "Enter an email address such as name@example.com.",
  forgotSentTitle: "Check your email",
  forgotSentText:
    "If an account with that address exists, we have sent a link to choose a new password. Check your spam folder if nothing arrives within a few minutes.",
  forgotOffTitle: "Password reset by email is not available",
  forgotOffText:
    "This Helpgate server does not send email. Ask an admin of your account to set a new password for you.",
  tooMany: "Too many attempts. Please wait a minute and try again.",
  backToSignIn: "Back to the sign-in",
  signInConsole: "Agent console",
  signInAdmin: "Admin pages",
  setTitle: "Set your password",
  setIntroReset: "Choose a new password for {email}.",
  setIntroInvitation: "Welcome, {name} — choose a password for {email}.",
  password: "New password",
  passwordHint: "At least {min} characters. A few unrelated words make a good password.",
  repeat: "Repeat the password",
  setSubmit: "Save password and sign in",
  mismatch: "The two passwords are not the same.",
  passwordRequired: "Enter a password.",
  passwordLength: "A password needs {min} to {max} characters.",
  invalidTitle: "This link is no longer valid",
  invalidText: "The link has been used already or it has expired. Ask for a new one — it takes a minute.",
  invalidAction: "Ask for a new link",
  errorGeneric: "That did not work. Please try again.",
};

type Texts = typeof en;

const de: Texts = {
  brand: "Helpgate",
  email: "E-Mail",
  forgotTitle: "Passwort vergessen?",
  forgotText:
    "Geben Sie die E-Mail-Adresse ein, mit der Sie sich anmelden. Wir senden Ihnen einen Link, mit dem Sie ein neues Passwort wählen.",
  forgotSubmit: "Link senden",
  forgotEmailRequired: "Geben Sie Ihre E-Mail-Adresse ein.",
  forgotEmailInvalid: "Geben Sie eine E-Mail-Adresse wie name@example.com ein.",
  forgotSentTitle: "Sehen Sie in Ihr Postfach",
  forgotSentText:
    "Wenn es ein Konto mit dieser Adresse gibt, haben wir einen Link geschickt, mit dem Sie ein neues Passwort wählen. Sehen Sie auch im Spam-Ordner nach, wenn in ein paar Minuten nichts ankommt.",
  forgotOffTitle: "Passwort per E-Mail zurücksetzen ist nicht möglich",
  forgotOffText:
    "Dieser Helpgate-Server verschickt keine E-Mails. Bitten Sie einen Admin Ihres Kontos, Ihnen ein neues Passwort zu setzen.",
  tooMany: "Zu viele Versuche. Bitte warten Sie eine Minute und versuchen Sie es dann noch einmal.",
  backToSignIn: "Zurück zur Anmeldung",
  signInConsole: "Agenten-Konsole",
  signInAdmin: "Admin-Seiten",
  setTitle: "Passwort festlegen",
  setIntroReset: "Wählen Sie ein neues Passwort für {email}.",
  setIntroInvitation: "Willkommen, {name} — wählen Sie ein Passwort für {email}.",
  password: "Neues Passwort",
  passwordHint:
    "Mindestens {min} Zeichen. Ein paar Wörter, die nichts miteinander zu tun haben, sind ein gutes Passwort.",
  repeat: "Passwort wiederholen",
  setSubmit: "Passwort speichern und anmelden",
  mismatch: "Die beiden Passwörter sind nicht gleich.",
  passwordRequired: "Geben Sie ein Passwort ein.",
  passwordLength: "Ein Passwort braucht {min} bis {max} Zeichen.",
  invalidTitle: "Dieser Link gilt nicht mehr",
  invalidText:
    "Der Link wurde schon benutzt oder ist abgelaufen. Fordern Sie einen neuen an — das dauert eine Minute.",
  invalidAction: "Neuen Link anfordern",
  errorGeneric: "Das hat nicht geklappt. Bitte versuchen Sie es noch einmal.",
};

const catalogs: Record<Language, Texts> = { en, de };

export type PasswordTexts = Texts;

export function passwordTexts(lang: Language): PasswordTexts {
  return catalogs[lang] ?? en;
}

export function fillText(template: string, params: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, k: string) => (k in params ? String(params[k]) : whole));
}

function Shell({ lang, title, children }: { lang: Language; title: string; children: ComponentChildren }) {
  const t = passwordTexts(lang);
  return (
    <Layout lang={lang} title={`${title} · Helpgate`}>
      <header class="brand neutral">
        <div class="brand-inner">
          <span class="brand-name">{t.brand}</span>
        </div>
      </header>
      <main id="main" class="card auth">
        {children}
      </main>
      <footer class="page-footer muted small">{textsFor(lang).poweredBy}</footer>
    </Layout>
  );
}

function ErrorBox({ message }: { message: string | null | undefined }) {
  return message ? (
    <div class="error-summary" id="error-summary" role="alert">
      <p class="error-summary-general">{message}</p>
    </div>
  ) : null;
}

function SignInLinks({ t }: { t: PasswordTexts }) {
  return (
    <p class="auth-links small">
      {t.backToSignIn}: <a href="/console">{t.signInConsole}</a> · <a href="/admin">{t.signInAdmin}</a>
    </p>
  );
}

export interface ForgotPageModel {
  lang: Language;
  /** False when the server sends no email: the page says so instead of showing the form. */
  emailEnabled: boolean;
  value?: string;
  /** A problem with the address typed. */
  error?: string | null;
  /** A problem that is not the field's (too many attempts). */
  general?: string | null;
}

/** GET /forgot-password: one email field, or the note that reset by email is not available. */
export function forgotPasswordPage(model: ForgotPageModel): string {
  const t = passwordTexts(model.lang);
  if (!model.emailEnabled) {
    return renderPage(
      <Shell lang={model.lang} title={t.forgotOffTitle}>
        <h1>{t.forgotOffTitle}</h1>
        <p class="lead">{t.forgotOffText}</p>
        <SignInLinks t={t} />
      </Shell>,
    );
  }
  const error = model.error ?? null;
  return renderPage(
    <Shell lang={model.lang} title={t.forgotTitle}>
      <h1>{t.forgotTitle}</h1>
      <p class="lead">{t.forgotText}</p>
      <ErrorBox message={model.general} />
      <form method="post" action="/forgot-password" class="auth-form" novalidate>
        <div class={`field${error ? " has-error" : ""}`}>
          <label for="f-email">{t.email}</label>
          <input
            id="f-email"
            name="email"
            type="email"
            autocomplete="username"
            required
            maxLength={320}
            value={model.value ?? ""}
            aria-invalid={error ? "true" : undefined}
            aria-describedby={error ? "f-email-error" : undefined}
          />
          {error ? (
            <p class="field-error" id="f-email-error">
              {error}
            </p>
          ) : null}
        </div>
        <p class="actions">
          <button type="submit" class="primary">
            {t.forgotSubmit}
          </button>
        </p>
      </form>
      <SignInLinks t={t} />
    </Shell>,
  );
}

/** The same answer for every address, known or not. */
export function forgotSentPage(lang: Language): string {
  const t = passwordTexts(lang);
  return renderPage(
    <Shell lang={lang} title={t.forgotSentTitle}>
      <h1>{t.forgotSentTitle}</h1>
      <p class="lead" role="status">
        {t.forgotSentText}
      </p>
      <SignInLinks t={t} />
    </Shell>,
  );
}

/** A link that was used, expired or never existed. */
export function linkInvalidPage(lang: Language, emailEnabled: boolean): string {
  const t = passwordTexts(lang);
  return renderPage(
    <Shell lang={lang} title={t.invalidTitle}>
      <h1>{t.invalidTitle}</h1>
      <p class="lead">{emailEnabled ? t.invalidText : t.forgotOffText}</p>
      {emailEnabled ? (
        <p class="actions">
          <a class="button primary" href="/forgot-password">
            {t.invalidAction}
          </a>
        </p>
      ) : null}
      <SignInLinks t={t} />
    </Shell>,
  );
}

export interface SetPasswordModel {
  lang: Language;
  token: string;
  purpose: "invitation" | "reset";
  email: string;
  displayName: string;
  /** A problem with the new password (too short) or the repeat (not the same). */
  errors?: { password?: string; repeat?: string };
  general?: string | null;
}

/** GET /password?token=…: choose a password (twice); the form posts to /password. */
export function setPasswordPage(model: SetPasswordModel): string {
  const t = passwordTexts(model.lang);
  const errors = model.errors ?? {};
  const intro =
    model.purpose === "invitation"
      ? fillText(t.setIntroInvitation, { name: model.displayName || model.email, email: model.email })
      : fillText(t.setIntroReset, { email: model.email });
  const field = (name: "password" | "repeat", label: string, hint?: string) => {
    const error = errors[name];
    const id = `f-${name}`;
    const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(
      (x): x is string => x !== null,
    );
    return (
      <div class={`field${error ? " has-error" : ""}`}>
        <label for={id}>{label}</label>
        {hint ? (
          <p class="hint" id={`${id}-hint`}>
            {hint}
          </p>
        ) : null}
        <input
          id={id}
          name={name}
          type="password"
          autocomplete="new-password"
          required
          maxLength={LIMITS.passwordMax}
          aria-invalid={error ? "true" : undefined}
          aria-describedby={described.length > 0 ? described.join(" ") : undefined}
        />
        {error ? (
          <p class="field-error" id={`${id}-error`}>
            {error}
          </p>
        ) : null}
      </div>
    );
  };
  return renderPage(
    <Shell lang={model.lang} title={t.setTitle}>
      <h1>{t.setTitle}</h1>
      <p class="lead">{intro}</p>
      <ErrorBox message={model.general} />
      <form method="post" action="/password" class="auth-form" novalidate>
        <input type="hidden" name="token" value={model.token} />
        {/* Lets a password manager store the new password under the right address. */}
        <input
          type="email"
          name="username"
          value={model.email}
          autocomplete="username"
          readOnly
          hidden
          aria-hidden="true"
          tabIndex={-1}
        />
        {field("password", t.password, fillText(t.passwordHint, { min: LIMITS.passwordMin }))}
        {field("repeat", t.repeat)}
        <p class="actions">
          <button type="submit" class="primary">
            {t.setSubmit}
          </button>
        </p>
      </form>
    </Shell>,
  );
}

/** A refusal that is no form error (a foreign Origin, an unreadable form): said plainly. */
export function passwordProblemPage(lang: Language, message: string | null): string {
  const t = passwordTexts(lang);
  const portal = textsFor(lang);
  return renderPage(
    <Shell lang={lang} title={portal.errorPageTitle}>
      <h1>{portal.errorPageTitle}</h1>
      {message ? <p class="lead">{message}</p> : null}
      <p class="muted">{portal.errorPageText}</p>
      <SignInLinks t={t} />
    </Shell>,
  );
}
