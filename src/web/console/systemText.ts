import type { ChatMessage, SystemEvent } from "../../shared/protocol.js";
import { t } from "./i18n.js";
import { portals } from "./state.js";

/** A transfer's `name` is a portal when the event says so (older lines: a name that is one of the account's portals). */
function isPortal(e: SystemEvent): boolean {
  if (e.portal !== undefined) return e.portal;
  return e.name !== undefined && portals.value.some((p) => p.name === e.name);
}

/**
 * A system line in the console's language, from what happened (`event`), not from the English
 * `body` the server stores; a line without an event (the greeting, older lines) shows its body.
 */
export function systemText(m: ChatMessage): string {
  return m.event ? eventText(m.event) : m.body;
}

export function eventText(e: SystemEvent): string {
  const name = e.name || t("sysSomeone");
  const by = e.by || t("sysSomeone");
  switch (e.kind) {
    case "owner.changed":
      // `by` is who moved it: the owner who transferred or handed it over, or (equal to `name`)
      // the supervisor who took it over.
      return e.by && e.by !== e.name ? t("sysHandedOver", { by, name }) : t("sysTookOver", { name });
    case "transfer.requested":
      if (isPortal(e)) return t("sysTransferRequestedPortal", { by, portal: name });
      return e.by ? t("sysTransferRequested", { by, name }) : t("sysTransferRequestedNoBy", { name });
    case "transfer.declined":
      return t("sysTransferDeclined", { name });
    case "transfer.timed-out":
      if (isPortal(e)) return t("sysTransferTimedOutPortal", { portal: name });
      return e.name ? t("sysTransferTimedOut", { name }) : t("sysTransferTimedOutNobody");
    case "transfer.canceled":
      return t("sysTransferCanceled", { by });
    case "invited":
      return e.by ? t("sysInvited", { by, name }) : t("sysInvitedNoBy", { name });
    case "invite.declined":
      return t("sysInviteDeclined", { name });
    case "invite.expired":
      return t("sysInviteExpired", { name });
    case "joined":
      return t("sysJoined", { name });
    case "left":
      return t("sysLeft", { name });
    case "removed":
      return e.by ? t("sysRemoved", { by, name }) : t("sysRemovedNoBy", { name });
    case "monitor.started":
      return t("sysMonitorStarted", { name });
    case "monitor.stopped":
      return t("sysMonitorStopped", { name });
    case "share.stopped":
      return t("sysShareStopped");
  }
}
