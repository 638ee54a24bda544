import fs from "node:fs";
import path from "node:path";
import type { Mode, PortalType } from "../shared/model.js";
import { insertNewAccount } from "./commands/accounts.js";
import type { Deps } from "./commands/context.js";
import { insertNewPortal, portalUrl } from "./commands/portals.js";
import { type DemoAccountRef, type DemoHistoryResult, generateDemoHistory } from "./demoHistory.js";
import { insertNewUser } from "./store/newUser.js";
import { countUsers } from "./store/users.js";

export interface Credential {
  who: string;
  email: string;
  password: string | null;
}

export interface FirstStartResult {
  credentials: Credential[];
  portalUrls: { name: string; url: string }[];
  credentialsFile: string | null;
  /** The demo's generated history (four weeks, marked in the reports); null without the demo. */
  demoHistory: DemoHistoryResult | null;
}

interface DemoPortal {
  slug: string;
  type: PortalType;
  name: string;
  title: string;
  welcomeText: string;
  language: "en" | "de";
  primaryColor: string;
}

interface DemoAccount {
  name: string;
  mode: Mode;
  domain: string;
  portals: DemoPortal[];
}

const DEMO: DemoAccount[] = [
  {
    name: "Example Web Shop",
    mode: "web",
    domain: "web.example.com",
    portals: [
      {
        slug: "web-pick-agent",
        type: "pick-agent",
        name: "Web Shop — pick your agent",
        title: "Talk to someone you know",
        welcomeText: "Choose the person you spoke with before, or anyone who is available.",
        language: "en",
        primaryColor: "#0f766e",
      },
      {
        slug: "web-question",
        type: "question",
        name: "Web Shop — ask a question",
        title: "How can we help?",
        welcomeText: "Tell us what is going on and the next free agent will answer in a moment.",
        language: "en",
        primaryColor: "#1f6feb",
      },
      {
        slug: "web-button",
        type: "button",
        name: "Web Shop — Hilfe-Knopf",
        title: "Hilfe mit einem Klick",
        welcomeText: "Ein Klick, und ein Mitarbeiter meldet sich hier im Browser.",
        language: "de",
        primaryColor: "#b45309",
      },
    ],
  },
  {
    name: "Example Phone Support",
    mode: "phone",
    domain: "phone.example.com",
    portals: [
      {
        slug: "phone-code",
        type: "code",
        name: "Phone Support — session code",
        title: "Enter the code from your call",
        welcomeText: "The agent on the phone reads you a 9-digit code. Type it here to connect.",
        language: "en",
        primaryColor: "#6d28d9",
      },
    ],
  },
  {
    name: "Example Queue Desk",
    mode: "queue",
    domain: "queue.example.com",
    portals: [
      {
        slug: "queue-question",
        type: "question",
        name: "Queue Desk — support line",
        title: "Join the support line",
        welcomeText: "Ask your question; you will see your place in line while you wait.",
        language: "en",
        primaryColor: "#be123c",
      },
    ],
  },
];

export function credentialsFile(dataDir: string): string {
  return path.join(dataDir, "first-start-credentials.txt");
}

/**
 * On an empty database: the first operator (from HELPGATE_ADMIN_EMAIL / _PASSWORD, or generated)
 * and, unless switched off, a demo installation with one account per mode. Generated passwords go
 * to a file under the data directory that only its owner can read.
 */
export async function firstStart(deps: Deps): Promise<FirstStartResult | null> {
  const db = deps.db.kysely;
  if ((await countUsers(db)) > 0) return null;
  const { config } = deps;
  const credentials: Credential[] = [];
  const portalUrls: { name: string; url: string }[] = [];

  const operatorEmail = config.adminEmail ?? "operator@helpgate.local";
  const operator = await db.transaction().execute((trx) =>
    insertNewUser(
      trx,
      null,
      {
        email: operatorEmail,
        displayName: "Operator",
        role: "operator",
        ...(config.adminPassword ? { password: config.adminPassword } : {}),
      },
      deps.now(),
    ),
  );
  credentials.push({
    who: "Operator (all accounts)",
    email: operator.user.email,
    password: operator.generatedPassword,
  });

  let demoHistory: DemoHistoryResult | null = null;
  if (config.demo) {
    const demoAccounts: DemoAccountRef[] = [];
    for (const demo of DEMO) {
      const created = await insertNewAccount(deps, {
        name: demo.name,
        mode: demo.mode,
        admin: { email: `admin@${demo.domain}`, displayName: "Alex Admin" },
      });
      credentials.push({
        who: `${demo.name} — admin`,
        email: created.admin.email,
        password: created.generatedPassword,
      });
      const agentIds: string[] = [];
      const ref: DemoAccountRef = {
        id: created.account.id,
        mode: created.account.mode,
        timeZone: created.account.timeZone,
        offerTimeoutSeconds: created.account.offerTimeoutSeconds,
        portals: [],
        agents: [],
      };
      demoAccounts.push(ref);
      for (const [i, name] of ["Robin Agent", "Sam Agent"].entries()) {
        const agent = await db
          .transaction()
          .execute((trx) =>
            insertNewUser(
              trx,
              created.account.id,
              { email: `agent${i + 1}@${demo.domain}`, displayName: name, role: "agent" },
              deps.now(),
            ),
          );
        agentIds.push(agent.user.id);
        ref.agents.push({ id: agent.user.id, name: agent.user.displayName });
        credentials.push({
          who: `${demo.name} — agent`,
          email: agent.user.email,
          password: agent.generatedPassword,
        });
      }
      for (const portal of demo.portals) {
        const row = await db
          .transaction()
          .execute((trx) => insertNewPortal(trx, created.account, { ...portal, agentIds }, deps.now()));
        ref.portals.push({
          id: row.id,
          type: row.type,
          language: row.language,
          maxWaitSeconds: row.maxWaitSeconds,
        });
        portalUrls.push({ name: portal.name, url: portalUrl(config.publicUrl, portal.slug) });
      }
    }
    // Four weeks of plausible history, so the reports have something to show (marked as demo).
    demoHistory = await generateDemoHistory(deps, demoAccounts);
  }

  let file: string | null = null;
  if (credentials.some((c) => c.password !== null)) {
    file = credentialsFile(config.dataDir);
    fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const lines = [
      "# Helpgate first-start credentials. Generated once; change these passwords, then delete this file.",
      ...credentials.map(
        (c) => `${c.who}\t${c.email}\t${c.password ?? "(set from HELPGATE_ADMIN_PASSWORD)"}`,
      ),
      "",
    ];
    fs.writeFileSync(file, lines.join("\n"), { mode: 0o600 });
    fs.chmodSync(file, 0o600);
  }
  return { credentials, portalUrls, credentialsFile: file, demoHistory };
}
