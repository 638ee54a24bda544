import fs from "node:fs";
import path from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import type { Dialect } from "../../src/server/db/database.js";
import { startTestApp, type TestApp, type TestAppOptions } from "./app.js";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOTS = path.resolve("test-results/screenshots");

/** Launch flags from DESIGN.md: headless Chromium as root on a closed network, fake media devices. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream",
];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}

export interface LiveServer {
  app: TestApp;
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * The real server listening on a free port of 127.0.0.1, with PUBLIC_URL set to match. `env` adds
 * settings; `options` can give it a controllable clock and switch the sweeper off.
 */
export async function startLiveServer(
  dialect: Dialect = "sqlite",
  env: Record<string, string> = {},
  options: TestAppOptions = {},
): Promise<LiveServer> {
  // PUBLIC_URL must match the port, so reserve one first.
  const probe = await import("node:net").then(
    (net) =>
      new Promise<number>((resolve) => {
        const s = net.createServer();
        s.listen(0, "127.0.0.1", () => {
          const port = (s.address() as { port: number }).port;
          s.close(() => resolve(port));
        });
      }),
  );
  const baseUrl = `http://127.0.0.1:${probe}`;
  const app = await startTestApp(dialect, { ...env, PUBLIC_URL: baseUrl }, options);
  await app.server.listen({ port: probe, host: "127.0.0.1" });
  return { app, baseUrl, close: () => app.close() };
}

export interface Person {
  context: BrowserContext;
  page: Page;
}

/** One browser context per person (customer, agent, admin), as a real second browser would be. */
export async function newPerson(
  browser: Browser,
  opts: { locale?: string; width?: number } = {},
): Promise<Person> {
  const context = await browser.newContext({
    locale: opts.locale ?? "en-US",
    viewport: { width: opts.width ?? 1280, height: 860 },
  });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  return { context, page };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
