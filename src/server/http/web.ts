import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { textColourOn } from "../../shared/colour.js";
import type { Deps } from "../commands/context.js";
import { findPublicPortalBySlug } from "../store/portals.js";
import { installCustomerPages } from "./customerPages.js";
import { browserLanguage, sendHtml } from "./html.js";
import { homePage, notBuiltPage, notFoundPage } from "./pages/pages.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../..");
export const WEB_DIST = path.join(root, "dist/web");
const pageCss = fs.readFileSync(path.join(here, "pages/page.css"), "utf8");

/**
 * Addresses the router refuses before any route runs (a malformed %-escape, a path segment longer
 * than the router allows): the API answers a JSON 400, every other address the friendly 404 page.
 */
export function frameworkErrorHandler(err: Error, request: FastifyRequest, reply: FastifyReply): void {
  if (request.url.startsWith("/api/")) {
    const tooLong = (err as { code?: string }).code === "FST_ERR_MAX_PARAM_LENGTH";
    reply
      .code(400)
      .type("application/json; charset=utf-8")
      .send({
        error: "bad_request",
        message: tooLong ? "A part of the address is too long." : "The address is not valid.",
      });
    return;
  }
  sendHtml(reply, 404, notFoundPage(browserLanguage(request)));
}

/** The browser apps (built by Vite), the server-rendered pages and the friendly 404. */
export async function installWeb(app: FastifyInstance, deps: Deps): Promise<void> {
  const built = fs.existsSync(path.join(WEB_DIST, "assets"));
  if (built) {
    await app.register(fastifyStatic, {
      root: path.join(WEB_DIST, "assets"),
      prefix: "/assets/",
      immutable: true,
      maxAge: "365d",
      index: false,
    });
  }
  const appShell = (name: string) => async (request: FastifyRequest, reply: FastifyReply) => {
    const file = path.join(WEB_DIST, name, "index.html");
    if (!fs.existsSync(file)) return sendHtml(reply, 503, notBuiltPage(browserLanguage(request)));
    return sendHtml(reply, 200, await fs.promises.readFile(file, "utf8"));
  };
  const hidden = { schema: { hide: true } };
  app.get("/admin", hidden, appShell("admin"));
  app.get("/admin/*", hidden, appShell("admin"));
  app.get("/console", hidden, appShell("console"));
  app.get("/console/*", hidden, appShell("console"));

  app.get("/static/page.css", hidden, async (_request, reply) =>
    reply.type("text/css; charset=utf-8").header("cache-control", "public, max-age=300").send(pageCss),
  );
  app.get("/", hidden, async (request, reply) => sendHtml(reply, 200, homePage(browserLanguage(request))));

  app.get<{ Params: { slug: string } }>("/p/:slug/theme.css", hidden, async (request, reply) => {
    const portal = await findPublicPortalBySlug(deps.db.kysely, request.params.slug);
    const colour = portal?.primaryColor ?? "#1f6feb";
    return reply
      .type("text/css; charset=utf-8")
      .header("cache-control", "no-cache")
      .send(`:root{--brand:${colour};--on-brand:${textColourOn(colour)}}`);
  });
  await installCustomerPages(app, deps, WEB_DIST);

  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith("/api/")) {
      return reply.code(404).send({
        error: "not_found",
        message: `No API route ${request.method} ${request.url.split("?")[0]}.`,
      });
    }
    return sendHtml(reply, 404, notFoundPage(browserLanguage(request)));
  });
}
