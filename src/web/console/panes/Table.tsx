import type { ComponentChildren } from "preact";
import type { RequestView } from "../../../shared/protocol.js";
import { t } from "../i18n.js";
import { select, selectedId } from "../state.js";

/**
 * A pane's table: a header row of column names, then the rows. With `actions`, a last column
 * for row buttons whose heading only screen readers get.
 */
export function Table(props: { columns: string[]; actions?: boolean; children: ComponentChildren }) {
  return (
    <div class="table-wrap">
      <table class="table">
        <thead>
          <tr>
            {props.columns.map((name) => (
              <th key={name} scope="col">
                {name}
              </th>
            ))}
            {props.actions && (
              <th scope="col">
                <span class="visually-hidden">{t("colActions")}</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}

/** A row that selects its request for the Details pane when clicked, marked while selected. */
export function SelectableRow(props: { request: RequestView; class?: string; children: ComponentChildren }) {
  const isSelected = selectedId.value === props.request.id;
  const classes = [isSelected ? "is-selected" : "", props.class ?? ""].filter(Boolean).join(" ");
  return (
    <tr
      class={classes || undefined}
      aria-current={isSelected ? "true" : undefined}
      onClick={() => select(props.request)}
    >
      {props.children}
    </tr>
  );
}
