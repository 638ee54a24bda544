import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildApp } from "../../src/server/app.js";
import type { Bus } from "../../src/server/bus/bus.js";
import { loadConfig } from "../../src/server/config.js";
import type { Dialect } from "../../src/server/db/database.js";
import type { Tracing } from "../../src/server/tracing.js";
import type { TestApp } from "./app.js";
import { createTestDatabase } from "./databases.js";
import { freePort } from "./nodes.js";
import { Clock, type World } from "./scenario.js";

/**
 * A listening server as `startWorld` makes it (sweeper off, the test's clock), with tracing
 * started by the test: its database (the migrations' statements included), its requests and its
 * bus (the in-process one unless the test passes another, e.g. a RedisBus with the same tracing).
 */
export async function startTracedWorld(
  dialect: Dialect,
  tracing: Tracing,
  options: { bus?: Bus } = {},
): Promise<World> {
  const clock = new Clock();
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const database = await createTestDatabase(dialect, { tracing });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "helpgate-traced-"));
  const config = loadConfig({
    PUBLIC_URL: baseUrl,
    DATABASE_URL: database.url,
    HELPGATE_DATA_DIR: dataDir,
    LOG_LEVEL: "silent",
  });
  const built = await buildApp({
    config,
    db: database.db,
    logger: false,
    now: clock.now,
    sweepEveryMs: 0,
    outboxOff: true,
    tracing,
    ...(options.bus ? { bus: options.bus } : {}),
  });
  await built.server.listen({ port, host: "127.0.0.1" });
  const app: TestApp = {
    ...built,
    database,
    config,
    close: async () => {
      await built.server.close();
      await options.bus?.close();
      await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return {
    live: { app, baseUrl, close: () => app.close() },
    app,
    clock,
    wsUrl: `${baseUrl.replace(/^http/, "ws")}/ws`,
    origin: baseUrl,
    close: () => app.close(),
  };
}
