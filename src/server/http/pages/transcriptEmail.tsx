import type { Language } from "../../../shared/model.js";

/**
 * "Get the transcript by email" on the request's page after the session: an address and a
 * button. Without JavaScript it is a real form (POST /r/<id>/transcript-email, then back to the
 * page with ?emailed=1); the portal bundle posts it as JSON and says "Sent to …" in place. The
 * bundle reads its texts from the form's data attributes, so both speak the page's language.
 */
const en = {
  title: "Get the transcript by email",
  intro: "We send you the whole conversation, so you have it at hand later.",
  email: "Your email address",
  send: "Send transcript",
  sending: "Sending…",
  sentTo: "Sent to {to}.",
  onItsWay: "The transcript is on its way to {to}.",
  onItsWayNoAddress: "The transcript is on its way.",
  required: "Enter your email address.",
  invalid: "Enter an email address such as name@example.com.",
  tooMany: "The transcript of this session has been sent as often as it can be.",
  noSession: "There is no conversation to send.",
  emailOff: "Email is not available on this server.",
};

type Texts = typeof en;

const de: Texts = {
  title: "Gesprächsverlauf per E-Mail erhalten",
  intro: "Wir senden Ihnen die ganze Unterhaltung, damit Sie sie später zur Hand haben.",
  email: "Ihre E-Mail-Adresse",
  send: "Verlauf senden",
  sending: "Wird gesendet…",
  sentTo: "Gesendet an {to}.",
  onItsWay: "Der Gesprächsverlauf ist unterwegs an {to}.",
  onItsWayNoAddress: "Der Gesprächsverlauf ist unterwegs.",
  required: "Geben Sie Ihre E-Mail-Adresse ein.",
  invalid: "Geben Sie eine E-Mail-Adresse wie name@example.com ein.",
  tooMany: "Der Verlauf dieser Sitzung wurde schon so oft gesendet, wie es geht.",
  noSession: "Es gibt keine Unterhaltung, die gesendet werden kann.",
  emailOff: "E-Mail ist auf diesem Server nicht verfügbar.",
};

const catalogs: Record<Language, Texts> = { en, de };

function texts(lang: Language): Texts {
  return catalogs[lang] ?? en;
}

function fill(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, k: string) => params[k] ?? whole);
}

export interface TranscriptEmailModel {
  /** What the field shows: the address the customer gave, or what they typed. */
  value: string;
  /** Back from the no-JS form (?emailed=1): the address it went to, when known. */
  sent?: { to: string | null } | null;
  /** The refusal of the no-JS form, in words. */
  error?: string | null;
}

/** A refusal of the transcript email in the page's language (field problems, limits). */
export function transcriptEmailError(
  lang: Language,
  err: { code: string; message: string; fields: Record<string, { code: string; message: string }> },
): string {
  const t = texts(lang);
  const field = err.fields.email;
  if (field) {
    if (field.code === "required") return t.required;
    if (field.code === "invalid_email" || field.code === "invalid") return t.invalid;
    return field.message;
  }
  switch (err.code) {
    case "too_many":
      return t.tooMany;
    case "no_session":
      return t.noSession;
    case "email_off":
      return t.emailOff;
    default:
      return err.message;
  }
}

export function requiredEmailText(lang: Language): string {
  return texts(lang).required;
}

export function TranscriptEmail({
  lang,
  requestId,
  model,
}: {
  lang: Language;
  requestId: string;
  model: TranscriptEmailModel;
}) {
  const t = texts(lang);
  const error = model.error ?? null;
  const sent = model.sent ?? null;
  const statusText = error ?? "";
  return (
    <section class="transcript-email" aria-labelledby="transcript-email-heading">
      <h2 id="transcript-email-heading">{t.title}</h2>
      <p class="hint">{t.intro}</p>
      {sent ? (
        <p class="notice" role="status" data-transcript-email-sent>
          {sent.to ? fill(t.onItsWay, { to: sent.to }) : t.onItsWayNoAddress}
        </p>
      ) : null}
      <form
        method="post"
        action={`/r/${encodeURIComponent(requestId)}/transcript-email`}
        novalidate
        data-transcript-email={requestId}
        data-t-sent={t.sentTo}
        data-t-sending={t.sending}
        data-t-required={t.required}
        data-t-invalid={t.invalid}
        data-t-too-many={t.tooMany}
        data-t-no-session={t.noSession}
        data-t-email-off={t.emailOff}
      >
        <div class="transcript-email-row">
          <div class={`field${error ? " has-error" : ""}`}>
            <label for="transcript-email-address">{t.email}</label>
            <input
              id="transcript-email-address"
              type="email"
              name="email"
              autocomplete="email"
              maxLength={320}
              required
              value={model.value}
              aria-invalid={error ? "true" : undefined}
              aria-describedby="transcript-email-status"
            />
          </div>
          <button type="submit" class="secondary">
            {t.send}
          </button>
        </div>
        <p
          class={`transcript-email-status${error ? " is-error" : ""}`}
          id="transcript-email-status"
          role="status"
          aria-live="polite"
        >
          {statusText}
        </p>
      </form>
    </section>
  );
}
