import type { FastifyBaseLogger } from "fastify";
import type { Bus } from "../bus/bus.js";
import type { Presence } from "../bus/presence.js";
import type { Config } from "../config.js";
import type { Db } from "../db/database.js";
import type { UserRow } from "../store/users.js";

/** What every command gets: the store, the settings, a clock and a logger. */
export interface Deps {
  db: Db;
  config: Config;
  now: () => number;
  log: Pick<FastifyBaseLogger, "info" | "warn" | "error">;
  bus: Bus;
  presence: Presence;
}

/** The signed-in person a command acts for. */
export interface Actor {
  user: UserRow;
}
