import { formatWhen } from "../format.js";
import { t } from "../i18n.js";
import { now, offline, select, selectedId } from "../state.js";
import { Pane } from "./Pane.js";

/** Messages customers left while nobody was available (last 7 days). */
export function Offline() {
  const list = offline.value;
  const n = now.peek();
  return (
    <Pane id="offline" title={t("paneOffline")} count={list.length}>
      {list.length === 0 ? (
        <p class="empty">{t("offlineEmpty")}</p>
      ) : (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">{t("colReceived")}</th>
                <th scope="col">{t("colName")}</th>
                <th scope="col">{t("colEmail")}</th>
                <th scope="col">{t("colPortal")}</th>
                <th scope="col">{t("colMessage")}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((r) => {
                const isSelected = selectedId.value === r.id;
                return (
                  <tr
                    key={r.id}
                    class={isSelected ? "is-selected" : undefined}
                    aria-current={isSelected ? "true" : undefined}
                    onClick={() => select(r)}
                  >
                    <td class="nowrap" data-label={t("colReceived")}>
                      {formatWhen(r.createdAt, n)}
                    </td>
                    <td data-label={t("colName")}>
                      <button type="button" class="link-button" onClick={() => select(r)}>
                        {r.customerName || t("noName")}
                      </button>
                    </td>
                    <td data-label={t("colEmail")}>
                      {r.customerEmail && <a href={`mailto:${r.customerEmail}`}>{r.customerEmail}</a>}
                    </td>
                    <td data-label={t("colPortal")}>{r.portalName}</td>
                    <td class="question-cell" data-label={t("colMessage")}>
                      {r.question}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Pane>
  );
}
