import { type Bus, channels } from "./bus.js";

/**
 * Rings the doorbell after a sign-in was ended in the database: every console socket of that
 * sign-in (`authSession`, the stored token hash), or of every sign-in of the user when it is
 * absent (disabled, password reset), closes itself with 4401 on whichever node it is. Call it
 * after the transaction that deleted the auth sessions has committed. It never throws: the
 * sign-out has happened, and a socket whose event is lost still finds out from the database
 * (AgentConnection re-checks its sign-in).
 */
export async function announceSignOut(bus: Bus, userId: string, authSession?: string): Promise<void> {
  try {
    await bus.publish(channels.user(userId), {
      type: "signed-out",
      userId,
      ...(authSession !== undefined ? { authSession } : {}),
    });
  } catch {
    // The bus reports its own trouble; the database already says this sign-in is gone.
  }
}
