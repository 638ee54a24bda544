import type { Reaction, StagedReaction } from "../events/reactions.js";
import { accountSettingsReaction } from "./accountSettings.js";
import { announceReaction } from "./announce.js";
import { metricsReaction } from "./metrics.js";
import { notificationsReaction } from "./notifications.js";
import { outboxWakeReaction } from "./outbox.js";
import { outcomesReaction } from "./outcomes.js";
import { portalPagesReaction } from "./portalPages.js";
import { queueDispatchReaction } from "./queueDispatch.js";
import { reportVersionsReaction } from "./reportVersions.js";
import { signInsReaction } from "./signIns.js";
import { supervisorReaction, teamReaction } from "./team.js";
import { webhooksReaction } from "./webhooks.js";

/**
 * Every "when X happened, also do Y" rule of the server, in the order they run for one batch of
 * events: end sign-ins, remember decisions, tell people, then move the queue (its offers are announced as they are made),
 * then drop cached portal pages. A new side effect (audit, webhook, email, reports) is a new file
 * here and one line in this list.
 */
export const reactions: readonly Reaction[] = [
  // Sign-ins first: a disabled user's sockets close before anything else is announced.
  signInsReaction,
  // Then this node's memory of the decision, so accepts queued behind the winner need no database.
  outcomesReaction,
  announceReaction,
  // The account's settings that open consoles follow (screen sharing on or off).
  accountSettingsReaction,
  // Teamwork in a session: team alerts, notices, the session's new shape, its system lines.
  teamReaction,
  queueDispatchReaction,
  // The supervisor view refetches what changed.
  supervisorReaction,
  portalPagesReaction,
  // What the staged reactions queued in the transaction goes out now.
  outboxWakeReaction,
  // Counting for Prometheus, last: it changes nothing.
  metricsReaction,
];

/**
 * The rules whose side effect leaves the process (webhooks, emails): they run inside the change's
 * transaction and write outbox rows there (Events.stage), so a crash loses none and a rolled-back
 * change sends none.
 */
export const stagedReactions: readonly StagedReaction[] = [
  webhooksReaction,
  notificationsReaction,
  // The kept report figures of the changed requests' days are no longer current.
  reportVersionsReaction,
];
