import { type PortalTexts, type Problem, problemText, textsFor } from "../../../shared/i18n/portal.js";
import { type ContactField, type Language, LIMITS } from "../../../shared/model.js";
import type { AgentStatus } from "../../../shared/protocol.js";
import type { PortalAgent } from "../../store/agents.js";
import type { PublicPortal } from "../../store/portals.js";
import { ErrorSummary, errorId, Field, type FieldControl, fieldId, type SummaryEntry } from "./formParts.js";
import { renderPage } from "./Layout.js";
import { type Brand, PortalShell } from "./portalShell.js";

/** What a portal page shows: its form (by type), the offline message form, or the thank-you. */
export type PortalView = "form" | "offline" | "thanks";

export interface PortalPageModel {
  portal: PublicPortal;
  lang: Language;
  view: PortalView;
  /** pick-agent: the menu, with each agent's live status. */
  agents: PortalAgent[];
  anyAvailable: boolean;
  values: Record<string, string>;
  errors: Record<string, Problem>;
  /** A problem that belongs to no field (shown in the summary). */
  general?: string | null;
  /** Replaces the usual offline text, e.g. after a submit found nobody available any more. */
  notice?: string | null;
  /** Replaces the offline form's title, e.g. "We are closed right now" outside business hours. */
  offlineTitle?: string | null;
}

export function brandOf(portal: PublicPortal): Brand {
  return { name: portal.name, logoUrl: portal.logoUrl, slug: portal.slug };
}

export function portalTitle(portal: PublicPortal): string {
  return portal.title.trim() || portal.name;
}

export function defaultLabel(t: PortalTexts, f: ContactField): string {
  if (f.label.trim()) return f.label;
  switch (f.kind) {
    case "name":
      return t.fieldName;
    case "email":
      return t.fieldEmail;
    case "phone":
      return t.fieldPhone;
    case "company":
      return t.fieldCompany;
    case "problem":
      return t.fieldProblem;
    default:
      return f.key;
  }
}

function controlFor(f: ContactField): FieldControl {
  switch (f.kind) {
    case "name":
      return { type: "text", autocomplete: "name", maxLength: LIMITS.userName };
    case "email":
      return { type: "email", autocomplete: "email", maxLength: LIMITS.email };
    case "phone":
      return { type: "tel", autocomplete: "tel", maxLength: 40 };
    case "company":
      return { type: "text", autocomplete: "organization", maxLength: LIMITS.userName };
    case "problem":
      return { type: "textarea", rows: 4, counterLimit: LIMITS.question };
    case "select":
      return { type: "select", options: f.options };
    default:
      return { type: "text", maxLength: 500 };
  }
}

/** Field labels by key, for the error summary (contact fields plus the fixed ones). */
function labelsOf(t: PortalTexts, portal: PublicPortal, view: PortalView): Record<string, string> {
  if (view === "offline") return { name: t.fieldName, email: t.fieldEmail, question: t.offlineMessage };
  const labels: Record<string, string> = {
    question: t.fieldQuestion,
    agentId: t.pickAgentLegend,
    code: t.codeLabel,
  };
  for (const f of portal.fields) labels[f.key] = defaultLabel(t, f);
  return labels;
}

export function summaryOf(
  t: PortalTexts,
  labels: Record<string, string>,
  errors: Record<string, Problem>,
): SummaryEntry[] {
  return Object.entries(errors).map(([field, p]) => ({
    field,
    label: labels[field] ?? field,
    message: problemText(t, field, p),
  }));
}

const STATUS_KEY: Record<AgentStatus, "statusAvailable" | "statusBusy" | "statusOffline"> = {
  available: "statusAvailable",
  busy: "statusBusy",
  offline: "statusOffline",
};

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return (
    (parts[0]?.[0] ?? "") + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? "") : "")
  ).toUpperCase();
}

function AgentMenu({
  t,
  agents,
  chosen,
  error,
}: {
  t: PortalTexts;
  agents: PortalAgent[];
  chosen: string;
  error?: string | undefined;
}) {
  const described = ["agents-hint", ...(error ? [errorId("agentId")] : [])].join(" ");
  return (
    <fieldset
      class={`agents${error ? " has-error" : ""}`}
      id={fieldId("agentId")}
      aria-describedby={described}
      data-agent-menu
    >
      <legend>{t.pickAgentLegend}</legend>
      <p class="hint" id="agents-hint">
        {t.pickAgentHint}
      </p>
      <ul class="agent-list">
        {agents.map((a) => {
          const free = a.status === "available";
          return (
            <li key={a.id}>
              <label class={`agent status-${a.status}`} data-agent={a.id}>
                <input
                  type="radio"
                  name="agentId"
                  value={a.id}
                  disabled={!free}
                  checked={free && chosen === a.id}
                  aria-invalid={error ? "true" : undefined}
                />
                {a.avatarUrl ? (
                  <img class="avatar" src={a.avatarUrl} alt="" />
                ) : (
                  <span class="avatar initials" aria-hidden="true">
                    {initials(a.displayName)}
                  </span>
                )}
                <span class="agent-name">{a.displayName}</span>
                <span class="agent-status" data-status>
                  <span class="dot" aria-hidden="true" />
                  <span data-status-text>{t[STATUS_KEY[a.status]]}</span>
                </span>
              </label>
            </li>
          );
        })}
      </ul>
      <p class="field-error" id={errorId("agentId")} hidden={!error}>
        {error ?? ""}
      </p>
    </fieldset>
  );
}

function RequestForm({ model, t }: { model: PortalPageModel; t: PortalTexts }) {
  const { portal, values, errors } = model;
  const err = (key: string) => (errors[key] ? problemText(t, key, errors[key]) : undefined);
  const submitLabel =
    portal.type === "pick-agent"
      ? t.submitPickAgent
      : portal.type === "button"
        ? t.contactAgent
        : t.submitQuestion;
  return (
    <form
      method="post"
      action={`/p/${portal.slug}`}
      novalidate
      class="portal-form"
      data-form="request"
      data-api={`/api/v1/portals/${portal.slug}/requests`}
    >
      {portal.type === "pick-agent" ? (
        <AgentMenu t={t} agents={model.agents} chosen={values.agentId ?? ""} error={err("agentId")} />
      ) : null}
      {portal.fields.map((f) => (
        <Field
          key={f.key}
          t={t}
          name={f.key}
          label={defaultLabel(t, f)}
          required={f.required}
          control={controlFor(f)}
          value={values[f.key] ?? ""}
          error={err(f.key)}
        />
      ))}
      {portal.type === "question" ? (
        <Field
          t={t}
          name="question"
          label={t.fieldQuestion}
          required
          control={{ type: "textarea", rows: 5, counterLimit: LIMITS.question }}
          value={values.question ?? ""}
          error={err("question")}
          hint={t.questionHint}
        />
      ) : null}
      {portal.type === "button" ? <p class="button-hint">{t.buttonHint}</p> : null}
      <div class="actions">
        <button type="submit" class={`primary${portal.type === "button" ? " big" : ""}`} data-submit>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}

export function CodeForm({
  t,
  action,
  slug,
  value,
  error,
}: {
  t: PortalTexts;
  action: string;
  slug: string | null;
  value: string;
  error?: string | undefined;
}) {
  return (
    <form
      method="post"
      action={action}
      novalidate
      class="portal-form code-form"
      data-form="code"
      data-api="/api/v1/join"
      data-slug={slug ?? undefined}
    >
      <Field
        t={t}
        name="code"
        label={t.codeLabel}
        required
        control={{ type: "text", maxLength: 32 }}
        value={value}
        error={error}
        hint={t.codeHint}
        extraClass="code-field"
        inputMode="numeric"
        autocompleteOff
      />
      <div class="actions">
        <button type="submit" class="primary" data-submit>
          {t.codeSubmit}
        </button>
      </div>
    </form>
  );
}

function OfflineForm({ model, t }: { model: PortalPageModel; t: PortalTexts }) {
  const { portal, values, errors } = model;
  const err = (key: string) => (errors[key] ? problemText(t, key, errors[key]) : undefined);
  return (
    <section class="offline" aria-labelledby="offline-title">
      <div class="notice">
        <h2 id="offline-title">{model.offlineTitle ?? t.offlineTitle}</h2>
        <p>{model.notice ?? t.offlineText}</p>
      </div>
      <form
        method="post"
        action={`/p/${portal.slug}/offline`}
        novalidate
        class="portal-form"
        data-form="offline"
        data-api={`/api/v1/portals/${portal.slug}/offline`}
        data-done={`/p/${portal.slug}/thanks`}
      >
        <Field
          t={t}
          name="name"
          label={t.fieldName}
          required
          control={{ type: "text", autocomplete: "name", maxLength: LIMITS.userName }}
          value={values.name ?? ""}
          error={err("name")}
        />
        <Field
          t={t}
          name="email"
          label={t.fieldEmail}
          required
          control={{ type: "email", autocomplete: "email", maxLength: LIMITS.email }}
          value={values.email ?? ""}
          error={err("email")}
        />
        <Field
          t={t}
          name="question"
          label={t.offlineMessage}
          required
          control={{ type: "textarea", rows: 5, counterLimit: LIMITS.question }}
          value={values.question ?? ""}
          error={err("question")}
        />
        <div class="actions">
          <button type="submit" class="primary" data-submit>
            {t.offlineSubmit}
          </button>
        </div>
      </form>
    </section>
  );
}

/** GET/POST /p/<slug>: one layout per portal type, or the offline form, or the thank-you. */
export function portalPage(model: PortalPageModel): string {
  const { portal, lang, view } = model;
  const t = textsFor(lang);
  const title = portalTitle(portal);
  const summary = summaryOf(t, labelsOf(t, portal, view), model.errors);
  const live = portal.type !== "code" && view !== "thanks";
  let body: preact.VNode;
  if (view === "thanks") {
    body = (
      <>
        <h1 tabindex={-1}>{t.offlineSentTitle}</h1>
        <p>{t.offlineSentText}</p>
        <p>
          <a href={`/p/${portal.slug}`}>{t.backToPortal}</a>
        </p>
      </>
    );
  } else {
    body = (
      <>
        <h1>{title}</h1>
        {portal.welcomeText ? <p class="welcome">{portal.welcomeText}</p> : null}
        {live ? (
          <p class="live-note" role="status" data-live-note>
            {""}
          </p>
        ) : null}
        <ErrorSummary t={t} entries={summary} general={model.general ?? null} />
        {view === "offline" ? (
          <OfflineForm model={model} t={t} />
        ) : portal.type === "code" ? (
          <CodeForm
            t={t}
            action={`/p/${portal.slug}/code`}
            slug={portal.slug}
            value={model.values.code ?? ""}
            error={model.errors.code ? problemText(t, "code", model.errors.code) : undefined}
          />
        ) : (
          <RequestForm model={model} t={t} />
        )}
      </>
    );
  }
  return renderPage(
    <PortalShell
      lang={lang}
      t={t}
      title={view === "thanks" ? t.offlineSentTitle : title}
      brand={brandOf(portal)}
    >
      <main
        id="main"
        class={`card portal portal-${portal.type}`}
        data-portal={portal.slug}
        data-view={view}
        data-agents-url={live ? `/api/v1/portals/${portal.slug}/agents` : undefined}
        data-any-available={live ? String(model.anyAvailable) : undefined}
      >
        {body}
      </main>
    </PortalShell>,
  );
}
