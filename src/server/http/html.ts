import type { FastifyReply, FastifyRequest } from "fastify";
import { pickLanguage } from "../../shared/i18n/index.js";
import type { Language } from "../../shared/model.js";

/** A server-rendered page: HTML, never cached (it shows live state or a per-visitor form). */
export function sendHtml(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type("text/html; charset=utf-8").header("cache-control", "no-store").send(body);
}

/** The language the browser asks for (Accept-Language), for pages and answers not tied to a portal. */
export function browserLanguage(request: FastifyRequest): Language {
  return pickLanguage(request.headers["accept-language"]);
}
