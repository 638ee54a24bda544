import type { ApiError } from "../../shared/api.js";
import { counterText, type PortalTexts, type Problem, problemText } from "../../shared/i18n/portal.js";
import { $, $$, el } from "./dom.js";

type Fields = Record<string, Problem>;

function labelText(key: string): string {
  const label = $(`label[for="f-${key}"]`);
  if (label) return (label.firstChild?.textContent ?? label.textContent ?? key).trim();
  return ($(`#f-${key} legend`)?.textContent ?? key).trim();
}

function setDescribedBy(node: Element, id: string, on: boolean): void {
  const ids = (node.getAttribute("aria-describedby") ?? "").split(/\s+/).filter((x) => x && x !== id);
  if (on) ids.push(id);
  if (ids.length > 0) node.setAttribute("aria-describedby", ids.join(" "));
  else node.removeAttribute("aria-describedby");
}

/** The controls a field's error belongs to: the input itself, or each radio of the agent menu. */
function controlsOf(key: string): Element[] {
  const node = $(`#f-${key}`);
  if (!node) return [];
  return node.tagName === "FIELDSET" ? $$("input", node) : [node];
}

function clearErrors(form: HTMLFormElement): void {
  for (const node of $$("[aria-invalid]", form)) node.removeAttribute("aria-invalid");
  for (const node of $$(".has-error", form)) node.classList.remove("has-error");
  for (const err of $$<HTMLElement>(".field-error", form)) {
    err.hidden = true;
    err.textContent = "";
    for (const node of $$(`[aria-describedby~="${err.id}"]`, form)) setDescribedBy(node, err.id, false);
  }
}

/** Shows the server's problems next to each field and in the summary at the top, without a reload. */
function showErrors(form: HTMLFormElement, t: PortalTexts, fields: Fields, general: string | null): void {
  clearErrors(form);
  const entries: { key: string; message: string }[] = [];
  for (const [key, problem] of Object.entries(fields)) {
    const message = problemText(t, key, problem);
    const err = $(`#f-${key}-error`);
    const holder = $(`#f-${key}`);
    if (!err || !holder) {
      general = general ?? message;
      continue;
    }
    err.textContent = message;
    err.hidden = false;
    (holder.closest(".field") ?? holder).classList.add("has-error");
    const describedHolder = holder.tagName === "FIELDSET" ? holder : null;
    for (const control of controlsOf(key)) {
      control.setAttribute("aria-invalid", "true");
      if (!describedHolder) setDescribedBy(control, err.id, true);
    }
    if (describedHolder) setDescribedBy(describedHolder, err.id, true);
    entries.push({ key, message });
  }
  const summary = $("[data-summary]");
  if (!summary) return;
  const list = $("[data-summary-list]", summary);
  const title = $("[data-summary-title]", summary);
  const generalNode = $("[data-summary-general]", summary);
  list?.replaceChildren(
    ...entries.map((e) =>
      el("li", {}, el("a", { href: `#f-${e.key}` }, `${labelText(e.key)}: ${e.message}`)),
    ),
  );
  if (title) title.hidden = entries.length === 0;
  if (generalNode) {
    generalNode.textContent = general ?? "";
    generalNode.hidden = !general;
  }
  summary.hidden = entries.length === 0 && !general;
  if (entries.length === 1 && !general) {
    const first = entries[0];
    const control = first ? controlsOf(first.key).find((c) => !(c as HTMLInputElement).disabled) : undefined;
    if (control instanceof HTMLElement) {
      control.focus();
      return;
    }
  }
  summary.focus();
}

function payloadOf(form: HTMLFormElement): unknown {
  const data = new FormData(form);
  if (form.dataset.form === "code") {
    const code = String(data.get("code") ?? "");
    return form.dataset.slug ? { code, slug: form.dataset.slug } : { code };
  }
  const values: Record<string, string> = {};
  let agentId: string | null = null;
  for (const [key, value] of data) {
    if (typeof value !== "string") continue;
    if (key === "agentId") agentId = value;
    else values[key] = value;
  }
  return agentId ? { values, agentId } : { values };
}

/** Schema errors name `values.<key>`; the fields are known by their key. */
function fieldsOf(err: ApiError | null): Fields {
  const out: Fields = {};
  for (const [key, p] of Object.entries(err?.fields ?? {})) out[key.replace(/^values\./, "")] = p;
  return out;
}

/**
 * With JavaScript a form posts JSON to the API: field errors show inline without a reload and
 * success navigates to the request's page. Anything else (nobody available any more, a switched
 * off portal) is left to the server: the same form is posted the classic way.
 */
function enhance(form: HTMLFormElement, t: PortalTexts, lang: string, onAgentProblem: () => void): void {
  const button = $<HTMLButtonElement>("[data-submit]", form);
  let busy = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    if (button) button.disabled = true;
    const done = () => {
      busy = false;
      if (button) button.disabled = false;
    };
    let res: Response;
    try {
      res = await fetch(form.dataset.api ?? "", {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json", accept: "application/json", "accept-language": lang },
        body: JSON.stringify(payloadOf(form)),
      });
    } catch {
      showErrors(form, t, {}, t.errorNetwork);
      done();
      return;
    }
    const body = (await res.json().catch(() => null)) as (ApiError & { url?: string }) | null;
    if (res.ok) {
      const next = form.dataset.form === "offline" ? form.dataset.done : body?.url;
      if (next) {
        window.location.assign(next);
        return;
      }
    }
    const fields = fieldsOf(body);
    if (Object.keys(fields).length > 0) {
      showErrors(form, t, fields, null);
      if (fields.agentId) onAgentProblem();
      done();
      return;
    }
    if (res.status === 429 && body) {
      showErrors(form, t, {}, body.message);
      done();
      return;
    }
    form.submit();
  });
}

/** Live character counters under the question and message boxes. */
function counters(t: PortalTexts): void {
  for (const box of $$<HTMLTextAreaElement>("textarea[data-counter]")) {
    const counter = document.getElementById(box.dataset.counter ?? "");
    const limit = Number(box.dataset.limit ?? "0");
    if (!counter || !limit) continue;
    const update = () => {
      counter.textContent = counterText(t, box.value.length, limit);
      counter.classList.toggle("over", box.value.length > limit);
    };
    box.addEventListener("input", update);
    update();
  }
}

export function enhanceForms(t: PortalTexts, lang: string, onAgentProblem: () => void): void {
  for (const form of $$<HTMLFormElement>("form[data-form]")) enhance(form, t, lang, onAgentProblem);
  counters(t);
}
