import type { ApiError } from "../../shared/api.js";
import type { PortalTexts } from "../../shared/i18n/portal.js";
import { $, el } from "./dom.js";

/** The survey after the session: a rating 1–5 and an optional comment, sent once over REST. */
export function bindSurvey(root: ParentNode, t: PortalTexts): void {
  const form = $<HTMLFormElement>("form[data-survey]", root);
  if (!form || form.dataset.bound) return;
  form.dataset.bound = "1";
  const requestId = form.dataset.survey ?? "";
  const error = $("#survey-error", form);
  const say = (text: string) => {
    if (!error) return;
    error.textContent = text;
    error.hidden = text === "";
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const rating = Number(data.get("rating"));
    if (!(rating >= 1 && rating <= 5)) {
      say(t.surveyRatingRequired);
      return;
    }
    const comment = String(data.get("comment") ?? "").trim();
    say("");
    const button = $<HTMLButtonElement>("button[type=submit]", form);
    if (button) button.disabled = true;
    try {
      const res = await fetch(`/api/v1/customer/requests/${encodeURIComponent(requestId)}/survey`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(comment ? { rating, comment } : { rating }),
      });
      if (res.ok || res.status === 409) {
        const thanks = el("p", { class: "notice", role: "status", tabindex: "-1" }, t.surveyThanks);
        form.replaceWith(thanks);
        thanks.focus();
        return;
      }
      const body = (await res.json().catch(() => null)) as { message?: string } | null;
      say(body?.message ?? t.errorGeneric);
    } catch {
      say(t.errorNetwork);
    }
    if (button) button.disabled = false;
  });
}

/**
 * "Get the transcript by email" after the session: posts the address as JSON and says where it
 * went (or why not) in place. Its texts come with the form (data-t-*), in the page's language.
 */
export function bindTranscriptEmail(root: ParentNode, t: PortalTexts): void {
  const form = $<HTMLFormElement>("form[data-transcript-email]", root);
  if (!form || form.dataset.bound) return;
  form.dataset.bound = "1";
  const requestId = form.dataset.transcriptEmail ?? "";
  const input = $<HTMLInputElement>("input[name=email]", form);
  const status = $("#transcript-email-status", form);
  const button = $<HTMLButtonElement>("button[type=submit]", form);
  const label = button?.textContent ?? "";
  const text = (key: string, fallback: string) => form.dataset[key] || fallback;
  const say = (message: string, error: boolean) => {
    if (status) {
      status.textContent = message;
      status.classList.toggle("is-error", error);
    }
    if (input) {
      if (error) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
  };
  const refusal = (res: Response, body: ApiError | null) => {
    const field = body?.fields?.email;
    if (field?.code === "required") return text("tRequired", field.message);
    if (field?.code === "invalid_email" || field?.code === "invalid") return text("tInvalid", field.message);
    if (field) return field.message;
    if (body?.error === "too_many") return text("tTooMany", body.message);
    if (body?.error === "no_session") return text("tNoSession", body.message);
    if (body?.error === "email_off") return text("tEmailOff", body.message);
    return res.status < 500 && body?.message ? body.message : t.errorGeneric;
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const email = (input?.value ?? "").trim();
    if (email === "") {
      say(text("tRequired", t.errorGeneric), true);
      input?.focus();
      return;
    }
    if (button) {
      button.disabled = true;
      button.textContent = text("tSending", t.sending);
    }
    say("", false);
    try {
      const res = await fetch(`/api/v1/customer/requests/${encodeURIComponent(requestId)}/transcript-email`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ email }),
      });
      const body = (await res.json().catch(() => null)) as (ApiError & { to?: string }) | null;
      if (res.ok) say(text("tSent", "Sent to {to}.").replace("{to}", body?.to ?? email), false);
      else say(refusal(res, body), true);
    } catch {
      say(t.errorNetwork, true);
    }
    if (button) {
      button.disabled = false;
      button.textContent = label;
    }
  });
}
