import type { User } from "../../../shared/api.js";
import { textColourOn } from "../../../shared/colour.js";
import { type PortalTexts, portalText } from "../../../shared/i18n/portal.js";
import type { PortalType } from "../../../shared/model.js";
import { t } from "../../common/i18n.js";
import { Avatar } from "../components/Avatar.js";
import {
  DEFAULT_COLOR,
  type FieldDraft,
  isColour,
  isUrl,
  optionList,
  type PortalDraft,
  standardLabel,
} from "./portalDraft.js";

/** The label the customer sees: the admin's own, else the portal's standard wording. */
function labelOf(tp: PortalTexts, f: FieldDraft): string {
  return f.label.trim() || standardLabel(tp, f.kind) || "…";
}

/** The text of the portal's send button, by portal type. */
const SUBMIT_TEXT: Record<PortalType, keyof PortalTexts> = {
  button: "contactAgent",
  code: "codeSubmit",
  "pick-agent": "submitPickAgent",
  question: "submitQuestion",
};

/**
 * A picture of the customer's page as the form stands: brand bar, heading, welcome text, and what
 * the portal type shows. It holds no form controls, so nothing here can be mistaken for the real form.
 */
export function PortalPreview({ draft, agents }: { draft: PortalDraft; agents: User[] }) {
  const lang = draft.language;
  const tp = portalText[lang];
  const colour = isColour(draft.primaryColor) ? draft.primaryColor : DEFAULT_COLOR;
  const name = draft.name.trim() || t("portals.previewName");
  const title = draft.title.trim() || name;
  const assigned = agents.filter((a) => draft.agentIds.includes(a.id));
  const fields = draft.type === "button" ? draft.fields.filter((f) => f.required) : draft.fields;

  return (
    <section class="preview" aria-labelledby="preview-title">
      <div class="preview-head">
        <h2 id="preview-title" class="panel-title">
          {t("portals.preview")}
        </h2>
        <span class="muted small-text">{t("portals.previewHint")}</span>
      </div>
      <div
        class={`preview-page${draft.enabled ? "" : " off"}`}
        lang={lang}
        style={{ "--brand": colour, "--on-brand": textColourOn(colour) }}
      >
        <div class="pv-brand">
          {isUrl(draft.logoUrl) ? <img class="pv-logo" src={draft.logoUrl.trim()} alt="" /> : null}
          <span>{name}</span>
        </div>
        <div class="pv-card">
          <p class="pv-title">{title}</p>
          {draft.welcomeText.trim() ? <p class="pv-welcome">{draft.welcomeText}</p> : null}
          {draft.type === "pick-agent" ? (
            <div class="pv-agents">
              <p class="pv-label">{tp.pickAgentLegend}</p>
              {assigned.length === 0 ? <p class="pv-note">{t("portals.previewNoAgents")}</p> : null}
              {assigned.slice(0, 4).map((a) => (
                <div class="pv-agent" key={a.id}>
                  <Avatar name={a.displayName} url={a.avatarUrl} size="small" />
                  <span>{a.displayName}</span>
                  <span class="pv-status">{tp.statusAvailable}</span>
                </div>
              ))}
            </div>
          ) : null}
          {draft.type === "code" ? (
            <div class="pv-field">
              <p class="pv-label">{tp.codeLabel}</p>
              <div class="pv-input pv-code">123 456 789</div>
            </div>
          ) : null}
          {fields.map((f) => (
            <div class="pv-field" key={f.uid}>
              <p class="pv-label">
                {labelOf(tp, f)}
                {f.required ? <span class="pv-req"> *</span> : <span class="pv-opt"> ({tp.optional})</span>}
              </p>
              <div
                class={`pv-input${f.kind === "problem" ? " tall" : ""}${f.kind === "select" ? " select" : ""}`}
              >
                {f.kind === "select" ? (optionList(f.options)[0] ?? "") : ""}
              </div>
            </div>
          ))}
          {draft.type === "question" ? (
            <div class="pv-field">
              <p class="pv-label">
                {tp.fieldQuestion}
                <span class="pv-req"> *</span>
              </p>
              <div class="pv-input tall" />
            </div>
          ) : null}
          <div class="pv-button">{tp[SUBMIT_TEXT[draft.type]]}</div>
        </div>
        <p class="pv-footer">{tp.poweredBy}</p>
      </div>
      {draft.enabled ? null : <p class="hint">{t("portals.previewOff")}</p>}
    </section>
  );
}
