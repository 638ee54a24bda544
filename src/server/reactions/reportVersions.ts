import type { StagedReaction } from "../events/reactions.js";
import { bumpReportVersions } from "../store/reportRollups.js";

/**
 * When anything a report counts changes — a request written or closed, a session started, ended,
 * rated, given an outcome or a new owner, an offer made or closed — the kept figures of the day the
 * request was created are no longer current: bump its change counter, in the same transaction, so
 * a report never reads figures older than a committed change (src/server/queries/reportDays.ts).
 */
export const reportVersionsReaction: StagedReaction = {
  name: "reportVersions",
  on: [
    "request.submitted",
    "request.closed",
    "request.offline",
    "session.started",
    "session.ended",
    "session.outcome",
    "session.rated",
    "session.ownerChanged",
    "offer.made",
    "offer.closed",
  ],
  async stage(trx, _deps, events) {
    const changed: { accountId: string; requestId: string }[] = [];
    for (const e of events) {
      switch (e.type) {
        case "request.submitted":
        case "request.closed":
        case "request.offline":
        case "session.started":
          changed.push({ accountId: e.request.accountId, requestId: e.request.id });
          break;
        case "session.ended":
        case "session.outcome":
        case "session.rated":
        case "session.ownerChanged":
          changed.push({ accountId: e.session.accountId, requestId: e.session.requestId });
          break;
        case "offer.made":
        case "offer.closed":
          changed.push({ accountId: e.offer.accountId, requestId: e.offer.requestId });
          break;
      }
    }
    await bumpReportVersions(trx, changed);
  },
};
