import { customerLabel } from "../customer.js";
import { formatWhen } from "../format.js";
import { t } from "../i18n.js";
import { now, offline, select } from "../state.js";
import { Pane } from "./Pane.js";
import { SelectableRow, Table } from "./Table.js";

/** Messages customers left while nobody was available (last 7 days). */
export function Offline() {
  const list = offline.value;
  const n = now.peek();
  return (
    <Pane id="offline" title={t("paneOffline")} count={list.length}>
      {list.length === 0 ? (
        <p class="empty">{t("offlineEmpty")}</p>
      ) : (
        <Table columns={[t("colReceived"), t("colName"), t("colEmail"), t("colPortal"), t("colMessage")]}>
          {list.map((r) => (
            <SelectableRow key={r.id} request={r}>
              <td class="nowrap" data-label={t("colReceived")}>
                {formatWhen(r.createdAt, n)}
              </td>
              <td data-label={t("colName")}>
                <button type="button" class="link-button" onClick={() => select(r)}>
                  {customerLabel(r)}
                </button>
              </td>
              <td data-label={t("colEmail")}>
                {r.customerEmail && <a href={`mailto:${r.customerEmail}`}>{r.customerEmail}</a>}
              </td>
              <td data-label={t("colPortal")}>{r.portalName}</td>
              <td class="question-cell" data-label={t("colMessage")}>
                {r.question}
              </td>
            </SelectableRow>
          ))}
        </Table>
      )}
    </Pane>
  );
}
