import { channels } from "../bus/bus.js";
import type { Reaction } from "../events/reactions.js";

/**
 * An admin switched screen sharing (the account's upgrade switch) on or off: every open console
 * of the account, on every node, hears it on the account's channel and enables or disables
 * "Request screen sharing" at once. A console that misses it reads the setting from its next
 * snapshot (every connect); the server checks the stored setting on each request anyway.
 */
export const accountSettingsReaction: Reaction = {
  name: "accountSettings",
  on: ["account.changed"],
  async run(deps, events) {
    for (const e of events) {
      if (e.type !== "account.changed" || e.account.upgradeEnabled === e.previous.upgradeEnabled) continue;
      await deps.bus.publish(channels.account(e.account.id), {
        type: "account.settings",
        accountId: e.account.id,
        upgradeEnabled: e.account.upgradeEnabled,
      });
    }
  },
};
