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
