import type { FastifyBaseLogger } from "fastify";
import type { Bus } from "../bus/bus.js";
import type { Presence } from "../bus/presence.js";
import type { RequestOutcomes } from "../bus/requestOutcomes.js";
import type { Config } from "../config.js";
import type { Db } from "../db/database.js";
import type { Events } from "../events/events.js";
import type { Metrics } from "../http/metrics.js";
import type { UserRow } from "../store/users.js";

/** What every command gets: the store, the settings, a clock, a logger, and where to say what happened. */
export interface Deps {
  db: Db;
  config: Config;
  now: () => number;
  log: Pick<FastifyBaseLogger, "info" | "warn" | "error">;
  bus: Bus;
  presence: Presence;
  /** Domain events after commit; the reactions (src/server/reactions/) do the rest. */
  events: Events;
  /** What this node has heard the database decide about requests (answers a race's late losers). */
  outcomes: RequestOutcomes;
  /** This node's sign-in cache, forgotten at once here (and by bus event on the other nodes). */
  signIns: { forgetUser(userId: string): void };
  /** This node's outbox worker: `wake()` after a commit that queued an email or a webhook. */
  outbox: { wake(): void };
  /** This node's Prometheus metrics (absent in tools without a server: the CLI, seeding); counting only. */
  metrics?: Metrics;
}

/** The signed-in person a command acts for. */
export interface Actor {
  user: UserRow;
}

/**
 * Who acts in a live session: its agent (signed in), or its customer — proven by the token of the
 * one request they own, so a customer party can only ever reach that request's session.
 */
export type Party =
  | { kind: "agent"; actor: Actor }
  | { kind: "customer"; accountId: string; requestId: string; name: string };
