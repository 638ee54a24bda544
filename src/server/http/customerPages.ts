import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Type } from "typebox";
import { fill, type Problem, textsFor } from "../../shared/i18n/portal.js";
import { LANGUAGES, type Language } from "../../shared/model.js";
import type { AgentStatus } from "../../shared/protocol.js";
import { channels } from "../bus/bus.js";
import { customerParty, openPortal, requestForCustomer } from "../commands/access.js";
import { endSession, sendMessage } from "../commands/chat.js";
import { redeemCode } from "../commands/codes.js";
import type { Deps } from "../commands/context.js";
import { emailTranscriptToCustomer } from "../commands/mail.js";
import { cancelRequest, leaveOfflineMessage, submitRequest } from "../commands/requests.js";
import { hoursNow } from "../domain/businessHours.js";
import { DomainError } from "../domain/errors.js";
import { portalAvailability } from "../queries/portalAvailability.js";
import { queuePositionOf } from "../queries/queue.js";
import { customerStatusOf, messagesSince } from "../queries/sessions.js";
import type { PortalAgent } from "../store/agents.js";
import { findPortal, type PublicPortal } from "../store/portals.js";
import { findRequestLanguage, type RequestRecord } from "../store/requests.js";
import { clientAddress, requestUrl, setCustomerCookie } from "./api/customer.js";
import { browserLanguage, sendHtml } from "./html.js";
import { joinPage, problemPage } from "./pages/joinPage.js";
import { notFoundPage } from "./pages/pages.js";
import { type PortalPageModel, type PortalView, portalPage } from "./pages/portalPage.js";
import { requestPage } from "./pages/requestPage.js";
import {
  requiredEmailText,
  type TranscriptEmailModel,
  transcriptEmailError,
} from "./pages/transcriptEmail.js";
import { PortalPageCache } from "./portalPageCache.js";
import { customerToken } from "./session.js";

type Form = Record<string, string>;

const FORM_LIMIT = 64 * 1024;
const hidden = { hide: true };
const SlugParams = Type.Object({ slug: Type.String({ minLength: 1, maxLength: 64 }) });
const RequestParams = Type.Object({ requestId: Type.String({ minLength: 1, maxLength: 64 }) });
const CodeParams = Type.Object({ code: Type.String({ minLength: 1, maxLength: 64 }) });
const CodeQuery = Type.Object({ code: Type.Optional(Type.String()) });
const RequestQuery = Type.Object({ emailed: Type.Optional(Type.String()) });
/** Back from the no-JS transcript form: which address it went to, for the page to say (once). */
const EMAILED_COOKIE = "hg_emailed";
const FormBody = Type.Record(Type.String(), Type.String());

/** An HTML form's fields; the first value wins when a name repeats. */
export function parseForm(body: string): Form {
  const form: Form = {};
  for (const [k, v] of new URLSearchParams(body)) if (!(k in form)) form[k] = v;
  return form;
}

function asLanguage(value: string | null | undefined, fallback: Language): Language {
  return (LANGUAGES as readonly string[]).includes(value ?? "") ? (value as Language) : fallback;
}

/**
 * What the offline form says outside the portal's business hours (null while open): "closed", the
 * closure's message, and when it opens next — in the portal's language and its zone's wall time.
 */
function closedTexts(portal: PublicPortal, now: number): { offlineTitle: string; notice: string } | null {
  const hours = hoursNow(portal, now);
  if (!hours.closed) return null;
  const t = textsFor(portal.language);
  const when =
    hours.opensAt === null
      ? null
      : new Intl.DateTimeFormat(portal.language, {
          timeZone: hours.timeZone,
          weekday: "long",
          day: "numeric",
          month: "long",
          hour: "2-digit",
          minute: "2-digit",
        }).format(hours.opensAt);
  const next = when === null ? t.closedNoOpening : fill(t.closedOpensAt, { when, zone: hours.timeZone });
  return {
    offlineTitle: t.closedTitle,
    notice: hours.closure?.message ? `${hours.closure.message} ${next}` : next,
  };
}

const STATUS_ORDER: Record<AgentStatus, number> = { available: 0, busy: 1, offline: 2 };

/** The pick-agent menu: who can be chosen first, then busy, then offline (by name within each). */
function byAvailability<T extends PortalAgent>(agents: T[]): T[] {
  return [...agents].sort(
    (a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || a.displayName.localeCompare(b.displayName),
  );
}

/** What was typed in the address's ?code=, kept only as a prefill (never redeemed on GET). */
function prefill(code: string | undefined): string {
  return (code ?? "").slice(0, 32);
}

/** A refused form's problems: by field, or one general message when no field is to blame. */
function formErrors(err: DomainError): Pick<PortalPageModel, "errors" | "general"> {
  return { errors: err.fields, general: Object.keys(err.fields).length === 0 ? err.message : null };
}

/**
 * The customer pages, rendered on the server and working without JavaScript up to the submit:
 * GET/POST /p/<slug> (one layout per portal type), the offline message form, /join, and the
 * request's page /r/<id> (waiting, chat, how it ended). The JSON API behind the bundle lives in
 * api/customer.ts and calls the same commands.
 */
export async function installCustomerPages(app: FastifyInstance, deps: Deps, webDist: string): Promise<void> {
  const db = deps.db.kysely;
  const pages = new PortalPageCache(deps.now, deps.config.portalPageCacheMs);
  const stopListening = await deps.bus.subscribe(channels.portalPages, (event) => {
    if (event.type === "portals.changed") pages.forgetAccount(event.accountId);
  });
  app.addHook("onClose", async () => stopListening());

  // The bundle keeps a stable address so the pages can name it; revalidated on every load. It is
  // read and hashed again only when the file changed (a rebuild), not on every portal view.
  const bundle = path.join(webDist, "assets/portal.js");
  let loaded: { mtimeMs: number; size: number; source: Buffer; etag: string } | null = null;
  const loadBundle = async () => {
    const { mtimeMs, size } = await fs.promises.stat(bundle);
    if (loaded?.mtimeMs !== mtimeMs || loaded.size !== size) {
      const source = await fs.promises.readFile(bundle);
      loaded = { mtimeMs, size, source, etag: `"${createHash("sha1").update(source).digest("base64url")}"` };
    }
    return loaded;
  };
  app.get("/assets/portal.js", { schema: hidden }, async (request, reply) => {
    let current: { source: Buffer; etag: string };
    try {
      current = await loadBundle();
    } catch {
      return reply.code(404).type("text/plain; charset=utf-8").send("The portal bundle is not built.");
    }
    reply.header("cache-control", "no-cache").header("etag", current.etag);
    if (request.headers["if-none-match"] === current.etag) return reply.code(304).send();
    return reply.type("text/javascript; charset=utf-8").send(current.source);
  });

  await app.register(async (scope) => {
    scope.addContentTypeParser(
      "application/x-www-form-urlencoded",
      { parseAs: "string", bodyLimit: FORM_LIMIT },
      (_request, body, done) => done(null, parseForm(String(body))),
    );
    scope.setErrorHandler((err: FastifyError, request, reply) => {
      const lang = browserLanguage(request);
      if (err instanceof DomainError) {
        if (err.status === 404) return sendHtml(reply, 404, notFoundPage(lang));
        return sendHtml(reply, err.status, problemPage(lang, err.message));
      }
      if (err.validation) {
        if (err.validationContext === "params") return sendHtml(reply, 404, notFoundPage(lang));
        return sendHtml(reply, 400, problemPage(lang, null));
      }
      const status = err.statusCode ?? 500;
      if (status >= 400 && status < 500) return sendHtml(reply, status, problemPage(lang, null));
      request.log.error({ err }, "customer page failed");
      return sendHtml(reply, 500, problemPage(lang, null));
    });

    // ── portal pages ─────────────────────────────────────────────────────────
    const portalModel = async (
      portal: PublicPortal,
      view: PortalView | null,
      extra: Partial<PortalPageModel> = {},
    ): Promise<PortalPageModel> => {
      // Outside business hours: the offline form, saying so and when the portal opens next.
      const closed = view === "thanks" ? null : closedTexts(portal, deps.now());
      if (closed) {
        return {
          portal,
          lang: portal.language,
          view: "offline",
          agents: [],
          anyAvailable: false,
          values: {},
          errors: {},
          ...extra,
          ...closed,
        };
      }
      const { anyAvailable, agents: loads } =
        portal.type === "code" ? { anyAvailable: true, agents: [] } : await portalAvailability(deps, portal);
      return {
        portal,
        lang: portal.language,
        view: view ?? (portal.type === "code" || anyAvailable ? "form" : "offline"),
        agents: portal.type === "pick-agent" ? byAvailability(loads) : [],
        anyAvailable,
        values: {},
        errors: {},
        ...extra,
      };
    };

    scope.get<{ Params: { slug: string }; Querystring: { code?: string } }>(
      "/p/:slug",
      { schema: { ...hidden, params: SlugParams, querystring: CodeQuery } },
      async (request, reply) => {
        const { slug } = request.params;
        const code = prefill(request.query.code);
        // The page as everyone sees it is served from the cache; one with a code typed into
        // its address is rendered for that visitor alone.
        const cached = code === "" ? pages.get(slug) : null;
        if (cached !== null) return sendHtml(reply, 200, cached);
        const token = pages.begin();
        const portal = await openPortal(deps, slug);
        const values: Record<string, string> = portal.type === "code" ? { code } : {};
        const body = portalPage(await portalModel(portal, null, { values }));
        if (code === "") pages.set(slug, portal.accountId, body, token);
        return sendHtml(reply, 200, body);
      },
    );

    scope.post<{ Params: { slug: string }; Body: Form }>(
      "/p/:slug",
      { schema: { ...hidden, params: SlugParams, body: FormBody } },
      async (request, reply) => {
        const portal = await openPortal(deps, request.params.slug);
        if (portal.type === "code") return reply.redirect(`/p/${portal.slug}`, 303);
        const { agentId, ...values } = request.body;
        try {
          await app.submitLimit.check(portal, clientAddress(request));
          const ticket = await submitRequest(deps, {
            slug: portal.slug,
            values,
            agentId: agentId || undefined,
            language: portal.language,
          });
          setCustomerCookie(reply, deps, ticket);
          return reply.redirect(requestUrl(ticket.request.id), 303);
        } catch (err) {
          if (!(err instanceof DomainError)) throw err;
          if (err.retryAfterSeconds !== undefined) reply.header("retry-after", String(err.retryAfterSeconds));
          if (err.code === "no_agents" || err.code === "closed") {
            // Nobody can answer any more: offer the offline form, keeping what was typed.
            const t = textsFor(portal.language);
            const model = await portalModel(portal, "offline", {
              values: {
                name: values.name ?? "",
                email: values.email ?? "",
                question: values.question || values.problem || "",
              },
              notice: t.offlineAfterSubmit,
            });
            return sendHtml(reply, 409, portalPage(model));
          }
          const model = await portalModel(portal, "form", {
            values: { ...values, agentId: agentId ?? "" },
            ...formErrors(err),
          });
          return sendHtml(reply, err.status, portalPage(model));
        }
      },
    );

    scope.get<{ Params: { slug: string } }>(
      "/p/:slug/offline",
      { schema: { ...hidden, params: SlugParams } },
      async (request, reply) => {
        const portal = await openPortal(deps, request.params.slug);
        if (portal.type === "code") return reply.redirect(`/p/${portal.slug}`, 303);
        return sendHtml(reply, 200, portalPage(await portalModel(portal, "offline")));
      },
    );

    scope.post<{ Params: { slug: string }; Body: Form }>(
      "/p/:slug/offline",
      { schema: { ...hidden, params: SlugParams, body: FormBody } },
      async (request, reply) => {
        const portal = await openPortal(deps, request.params.slug);
        try {
          await app.submitLimit.check(portal, clientAddress(request));
          await leaveOfflineMessage(deps, portal.slug, request.body, portal.language);
          return reply.redirect(`/p/${portal.slug}/thanks`, 303);
        } catch (err) {
          if (!(err instanceof DomainError) || err.status === 404) throw err;
          if (err.retryAfterSeconds !== undefined) reply.header("retry-after", String(err.retryAfterSeconds));
          const model = await portalModel(portal, "offline", {
            values: request.body,
            ...formErrors(err),
          });
          return sendHtml(reply, err.status, portalPage(model));
        }
      },
    );

    scope.get<{ Params: { slug: string } }>(
      "/p/:slug/thanks",
      { schema: { ...hidden, params: SlugParams } },
      async (request, reply) => {
        const portal = await openPortal(deps, request.params.slug);
        return sendHtml(reply, 200, portalPage(await portalModel(portal, "thanks")));
      },
    );

    /** Redeems a code typed at a company code portal (slug) or at /join (none); errors re-render. */
    const redeem = async (
      request: FastifyRequest,
      reply: FastifyReply,
      code: string,
      portal: PublicPortal | null,
      lang: Language,
    ) => {
      try {
        const ticket = await redeemCode(deps, {
          code,
          slug: portal?.slug,
          client: clientAddress(request),
          language: lang,
        });
        setCustomerCookie(reply, deps, ticket);
        return reply.redirect(requestUrl(ticket.request.id), 303);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        if (err.retryAfterSeconds !== undefined) reply.header("retry-after", String(err.retryAfterSeconds));
        const problem: Problem | null = err.fields.code ?? null;
        const general = problem ? null : err.message;
        const value = prefill(code);
        if (!portal)
          return sendHtml(reply, err.status, joinPage({ lang, code: value, error: problem, general }));
        const model = await portalModel(portal, "form", {
          values: { code: value },
          errors: problem ? { code: problem } : {},
          general,
        });
        return sendHtml(reply, err.status, portalPage(model));
      }
    };

    scope.post<{ Params: { slug: string }; Body: Form }>(
      "/p/:slug/code",
      { schema: { ...hidden, params: SlugParams, body: FormBody } },
      async (request, reply) => {
        const portal = await openPortal(deps, request.params.slug);
        if (portal.type !== "code") return reply.redirect(`/p/${portal.slug}`, 303);
        return redeem(request, reply, request.body.code ?? "", portal, portal.language);
      },
    );

    // ── the global code portal ───────────────────────────────────────────────
    scope.get<{ Querystring: { code?: string } }>(
      "/join",
      { schema: { ...hidden, querystring: CodeQuery } },
      async (request, reply) =>
        sendHtml(reply, 200, joinPage({ lang: browserLanguage(request), code: prefill(request.query.code) })),
    );
    // Never redeemed on GET: link prefetchers and previews would burn a single-use code.
    scope.get<{ Params: { code: string } }>(
      "/join/:code",
      { schema: { ...hidden, params: CodeParams } },
      async (request, reply) =>
        sendHtml(
          reply,
          200,
          joinPage({ lang: browserLanguage(request), code: prefill(request.params.code) }),
        ),
    );
    scope.post<{ Body: Form }>("/join", { schema: { ...hidden, body: FormBody } }, async (request, reply) =>
      redeem(request, reply, request.body.code ?? "", null, browserLanguage(request)),
    );

    // ── the request's own page ───────────────────────────────────────────────
    const renderRequest = async (
      r: RequestRecord,
      extra: {
        chatError?: Problem | null;
        draft?: string;
        /** The transcript form's state: what was typed, where it went, a refusal in the page's words. */
        transcriptEmail?: {
          value?: string;
          sent?: { to: string | null };
          error?: (lang: Language) => string;
        };
      } = {},
    ): Promise<string> => {
      // A deleted portal's customers still reach their own request (transcript, survey).
      const portal = await findPortal(db, r.accountId, r.portalId, { includeDeleted: true });
      if (!portal) throw new DomainError(404, "not_found", "Request not found.");
      const lang = asLanguage(await findRequestLanguage(db, r.accountId, r.id), portal.language);
      const hasSession = r.state === "accepted" || r.state === "ended";
      const messages = hasSession ? await messagesSince(deps, customerParty(r), r.id, 0) : [];
      const queue =
        r.state === "waiting" && r.kind === "queue"
          ? await queuePositionOf(deps, r.accountId, r.portalId, r.id)
          : null;
      const { transcriptEmail, ...rest } = extra;
      // Offered once a session has ended, and only when this server sends email at all.
      const emailForm: TranscriptEmailModel | null =
        r.state === "ended" && deps.config.smtpUrl !== null
          ? {
              value: transcriptEmail?.value ?? r.customerEmail ?? "",
              sent: transcriptEmail?.sent ?? null,
              error: transcriptEmail?.error?.(lang) ?? null,
            }
          : null;
      return requestPage({
        lang,
        portal,
        status: await customerStatusOf(deps, r),
        kind: r.kind,
        messages,
        queue,
        transcriptEmail: emailForm,
        ...rest,
      });
    };

    scope.get<{ Params: { requestId: string }; Querystring: { emailed?: string } }>(
      "/r/:requestId",
      { schema: { ...hidden, params: RequestParams, querystring: RequestQuery } },
      async (request, reply) => {
        const id = request.params.requestId;
        const r = await requestForCustomer(deps, id, customerToken(request, id));
        if (request.query.emailed !== "1") return sendHtml(reply, 200, await renderRequest(r));
        const to = request.cookies[EMAILED_COOKIE] ?? null;
        if (to !== null) reply.clearCookie(EMAILED_COOKIE, { path: requestUrl(id) });
        return sendHtml(reply, 200, await renderRequest(r, { transcriptEmail: { sent: { to } } }));
      },
    );

    // The transcript by email without JavaScript (the bundle posts the same to the JSON route).
    scope.post<{ Params: { requestId: string }; Body: Form }>(
      "/r/:requestId/transcript-email",
      { schema: { ...hidden, params: RequestParams, body: FormBody } },
      async (request, reply) => {
        const id = request.params.requestId;
        const token = customerToken(request, id);
        const email = (request.body.email ?? "").trim();
        const refuse = async (status: number, error: (lang: Language) => string) => {
          const r = await requestForCustomer(deps, id, token);
          return sendHtml(
            reply,
            status,
            await renderRequest(r, { transcriptEmail: { value: email, error } }),
          );
        };
        if (email === "") return refuse(400, requiredEmailText);
        try {
          const sent = await emailTranscriptToCustomer(deps, { requestId: id, token, email });
          reply.setCookie(EMAILED_COOKIE, sent.to, {
            httpOnly: true,
            sameSite: "lax",
            secure: deps.config.publicUrl.startsWith("https:"),
            path: requestUrl(id),
            maxAge: 60,
          });
          return reply.redirect(`${requestUrl(id)}?emailed=1`, 303);
        } catch (err) {
          if (!(err instanceof DomainError) || err.status === 404) throw err;
          if (err.retryAfterSeconds !== undefined) reply.header("retry-after", String(err.retryAfterSeconds));
          return refuse(err.status, (lang) => transcriptEmailError(lang, err));
        }
      },
    );

    scope.post<{ Params: { requestId: string } }>(
      "/r/:requestId/cancel",
      { schema: { ...hidden, params: RequestParams } },
      async (request, reply) => {
        const id = request.params.requestId;
        await cancelRequest(deps, id, customerToken(request, id));
        return reply.redirect(requestUrl(id), 303);
      },
    );

    scope.post<{ Params: { requestId: string }; Body: Form }>(
      "/r/:requestId/messages",
      { schema: { ...hidden, params: RequestParams, body: FormBody } },
      async (request, reply) => {
        const id = request.params.requestId;
        const r = await requestForCustomer(deps, id, customerToken(request, id));
        const body = request.body.body ?? "";
        try {
          await sendMessage(deps, customerParty(r), id, body);
          return reply.redirect(`${requestUrl(id)}#chat-body`, 303);
        } catch (err) {
          if (!(err instanceof DomainError) || err.status === 404) throw err;
          if (err.code === "session_ended") return reply.redirect(requestUrl(id), 303);
          const problem = err.fields.body ?? { code: err.code, message: err.message };
          const fresh = await requestForCustomer(deps, id, customerToken(request, id));
          return sendHtml(reply, err.status, await renderRequest(fresh, { chatError: problem, draft: body }));
        }
      },
    );

    scope.post<{ Params: { requestId: string } }>(
      "/r/:requestId/end",
      { schema: { ...hidden, params: RequestParams } },
      async (request, reply) => {
        const id = request.params.requestId;
        const r = await requestForCustomer(deps, id, customerToken(request, id));
        if (r.state === "accepted") await endSession(deps, customerParty(r), id);
        return reply.redirect(requestUrl(id), 303);
      },
    );
  });
}
