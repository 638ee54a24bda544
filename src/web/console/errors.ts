import { ApiFailure } from "./api.js";
import { t } from "./i18n.js";

/** A failure in the console's language where it is one we know; otherwise the server's own words. */
export function errorText(err: unknown): string {
  if (!(err instanceof ApiFailure)) return err instanceof Error ? err.message : String(err);
  const name = err.params.name === undefined ? null : String(err.params.name);
  const limit = String(err.params.limit ?? "");
  switch (err.code) {
    case "network":
      return t("serverUnreachable");
    case "already_taken":
      return name !== null ? t("alreadyTaken", { name }) : t("alreadyTakenNoName");
    case "not_waiting":
      return t("notWaiting");
    case "at_limit":
      // A transfer's receiver at their limit comes with their name; otherwise it is this agent.
      return name !== null ? t("colleagueAtLimit", { name, max: limit }) : t("atLimit", { max: limit });
    case "too_many_codes":
      return t("tooManyCodes", { max: limit });
    case "session_ended":
      return t("sessionOver");
    case "queue_empty":
      return t("queueEmpty");
    case "offer_closed":
      return t("offerClosed");
    case "wrong_credentials":
      return t("wrongCredentials");
    case "disabled":
      return t("userDisabled");
    case "locked":
      return t("lockedOut", { minutes: Math.max(1, Math.ceil((err.retryAfterSeconds ?? 60) / 60)) });
    case "rate_limited":
      return t("rateLimited", { seconds: err.retryAfterSeconds ?? 60 });
    // teamwork
    case "transfer_closed":
      return t("transferClosed");
    case "invite_closed":
      return t("inviteClosed");
    case "unavailable":
      return name !== null ? t("colleagueUnavailable", { name }) : err.message;
    case "transfer_pending":
      return t("transferPendingError");
    case "no_agents":
      return t("noAgentsAvailable");
    case "transfer_to_self":
      return t("transferToSelf");
    case "too_many_participants":
      return t("tooManyParticipants", { max: limit || 7 });
    case "invite_self":
      return t("inviteSelf");
    case "already_member":
      return name !== null ? t("alreadyMember", { name }) : t("alreadyMemberNoName");
    case "no_colleagues":
      return t("inviteChooseFirst");
    case "not_owner":
      return t("notOwner");
    case "monitor_read_only":
      return t("monitorReadOnly");
    case "no_transfer":
      return t("noTransfer");
    case "already_owner":
      return t("alreadyOwner");
    case "session_changed":
      return t("sessionChanged");
    case "owner_cannot_leave":
      return t("ownerCannotLeave");
    case "not_participant":
      return t("notParticipant");
    case "forbidden":
      return err.params.role === "manager" ? t("supervisorOnly") : err.message;
    // email (issue 14)
    case "email_off":
      return t("emailOff");
    case "code_expired":
      return t("codeExpired");
    case "too_many":
      return t("tooManyEmails");
    default:
      if (err.fields.email?.code === "invalid_email" || err.fields.email?.code === "invalid")
        return t("emailInvalid");
      return err.message;
  }
}
