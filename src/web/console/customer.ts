import type { RequestView } from "../../shared/protocol.js";
import { formatSessionNumber } from "./format.js";
import { t } from "./i18n.js";

/**
 * How the console names a request's customer everywhere (tabs, lists, alerts, notifications,
 * history): the name they gave, else "Customer 230 521 685" with their session number, so
 * customers who gave no name (a button portal asks for none) stay apart from each other. The
 * number is the one the customer sees on their page, so they can read it out on the phone.
 */
export function customerLabel(request: Pick<RequestView, "customerName" | "sessionNumber">): string {
  const name = request.customerName.trim();
  if (name !== "") return name;
  // No-break spaces inside the number: a narrow pop-up title breaks before it, never within it.
  const number = formatSessionNumber(request.sessionNumber).replaceAll(" ", "\u00a0");
  return t("customerNumbered", { number });
}
