import type { RequestView } from "../../../shared/protocol.js";
import { formatDateTime, formatDuration, formatSessionNumber } from "../format.js";
import { hasKey, type MessageKey, t } from "../i18n.js";
import { portals, selected } from "../state.js";
import { stateLabel } from "./History.js";
import { Pane } from "./Pane.js";

const STANDARD_LABELS: Record<string, MessageKey> = {
  name: "fieldName",
  email: "fieldEmail",
  phone: "fieldPhone",
  company: "fieldCompany",
  problem: "fieldProblem",
};

/** A contact field's label: the portal's own label when it has one, else the standard name. */
function labelFor(r: RequestView, key: string): string {
  const field = portals.value.find((p) => p.id === r.portalId)?.fields.find((f) => f.key === key);
  if (field?.label) return field.label;
  const standard = STANDARD_LABELS[key];
  return standard ? t(standard) : key;
}

function kindLabel(kind: string): string {
  const key = `kind_${kind}`;
  return hasKey(key) ? t(key) : kind;
}

/** Everything about the selected row: contact fields, question, times. */
export function Details() {
  const r = selected.value;
  return (
    <Pane id="details" title={t("paneDetails")}>
      {!r ? (
        <p class="empty">{t("detailsEmpty")}</p>
      ) : (
        <div class="details">
          <h3>{t("detailsOf", { id: formatSessionNumber(r.sessionNumber) })}</h3>
          <dl class="details-list">
            {Object.entries(r.contact).map(([key, value]) =>
              value ? (
                <div key={key}>
                  <dt>{labelFor(r, key)}</dt>
                  <dd>{key === "email" ? <a href={`mailto:${value}`}>{value}</a> : value}</dd>
                </div>
              ) : null,
            )}
            {!("name" in r.contact) && r.customerName && (
              <div>
                <dt>{t("fieldName")}</dt>
                <dd>{r.customerName}</dd>
              </div>
            )}
            {r.question && r.contact.problem !== r.question && (
              <div class="details-wide">
                <dt>{t("fieldQuestion")}</dt>
                <dd class="prewrap">{r.question}</dd>
              </div>
            )}
            <div>
              <dt>{t("fieldPortal")}</dt>
              <dd>{r.portalName}</dd>
            </div>
            <div>
              <dt>{t("fieldSessionId")}</dt>
              <dd class="mono">{formatSessionNumber(r.sessionNumber)}</dd>
            </div>
            <div>
              <dt>{t("fieldKind")}</dt>
              <dd>{kindLabel(r.kind)}</dd>
            </div>
            <div>
              <dt>{t("fieldState")}</dt>
              <dd>{stateLabel(r.state)}</dd>
            </div>
            <div>
              <dt>{t("fieldPosted")}</dt>
              <dd>{formatDateTime(r.createdAt)}</dd>
            </div>
            {r.state !== "waiting" && (
              <div>
                <dt>{t("fieldChanged")}</dt>
                <dd>{formatDateTime(r.stateAt)}</dd>
              </div>
            )}
            {r.state !== "waiting" && r.state !== "offline" && (
              <div>
                <dt>{t("fieldWaited")}</dt>
                <dd>{formatDuration(r.stateAt - r.createdAt)}</dd>
              </div>
            )}
            {r.state === "waiting" && r.kind === "targeted" && r.deadlineAt !== null && (
              <div>
                <dt>{t("fieldDeadline")}</dt>
                <dd>{formatDateTime(r.deadlineAt)}</dd>
              </div>
            )}
            {r.agentName && (
              <div>
                <dt>{t("fieldAgent")}</dt>
                <dd>{r.agentName}</dd>
              </div>
            )}
          </dl>
        </div>
      )}
    </Pane>
  );
}
