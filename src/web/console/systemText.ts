import type { ChatMessage, SystemEvent } from "../../shared/protocol.js";
import { t } from "./i18n.js";
import { portals } from "./state.js";

/**
 * A transfer's `name` is a colleague or a portal, and the event does not say which: a name that is
 * one of the account's portals is taken as the portal.
 */
function isPortalName(name: string | undefined): boolean {
  return name !== undefined && portals.value.some((p) => p.name === name);
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
      // `by` is the previous owner for a transfer, a hand-over and a take-over alike, so the line
      // says where the session went, not who moved it; `by` equal to `name` is someone taking it.
      return e.by && e.by !== e.name ? t("sysHandedOver", { by, name }) : t("sysTookOver", { name });
    case "transfer.requested":
      if (isPortalName(e.name)) return t("sysTransferRequestedPortal", { by, portal: name });
      return e.by ? t("sysTransferRequested", { by, name }) : t("sysTransferRequestedNoBy", { name });
    case "transfer.declined":
      return t("sysTransferDeclined", { name });
    case "transfer.timed-out":
      if (isPortalName(e.name)) return t("sysTransferTimedOutPortal", { portal: name });
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
