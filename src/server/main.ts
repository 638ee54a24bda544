import { buildApp } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";
import { migrate, openDatabase } from "./db/database.js";
import { firstStart } from "./firstStart.js";

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env, process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`helpgate: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const db = openDatabase(config.databaseUrl);
  await migrate(db);
  const { server, deps } = await buildApp({ config, db });
  const first = await firstStart(deps);

  const shutdown = async (signal: string) => {
    server.log.info({ signal }, "shutting down");
    await server.close();
    await db.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));

  await server.listen({ port: config.port, host: config.host });
  const base = config.publicUrl;
  const out: string[] = [
    "",
    `Helpgate is running on ${db.dialect === "sqlite" ? `SQLite (${config.databaseUrl.replace(/^sqlite:/, "")})` : "PostgreSQL"}.`,
    "",
    `  Admin pages     ${base}/admin`,
    `  Agent console   ${base}/console`,
    `  Code portal     ${base}/join`,
    `  Health          ${base}/healthz`,
    `  API document    ${base}/api/docs/json`,
  ];
  if (first) {
    if (first.portalUrls.length > 0) {
      out.push("", "Demo portals:");
      for (const p of first.portalUrls) out.push(`  ${p.url.padEnd(44)} ${p.name}`);
    }
    out.push("", "First start — sign in with (passwords are shown only now):");
    for (const c of first.credentials) {
      out.push(
        `  ${c.email.padEnd(28)} ${(c.password ?? "(your HELPGATE_ADMIN_PASSWORD)").padEnd(22)} ${c.who}`,
      );
    }
    if (first.credentialsFile) out.push("", `A copy is in ${first.credentialsFile} (readable only by you).`);
  }
  console.log(`${out.join("\n")}\n`);
}

main().catch((err: unknown) => {
  console.error("helpgate: could not start:", err instanceof Error ? err.message : err);
  process.exit(1);
});
