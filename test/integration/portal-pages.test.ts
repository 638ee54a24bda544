import fs from "node:fs";
import path from "node:path";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepRequests } from "../../src/server/sweeper.js";
import type { Portal, User } from "../../src/shared/api.js";
import type { CodeView } from "../../src/shared/protocol.js";
import {
  call,
  freshAddress,
  login,
  ORIGIN,
  seedAccount,
  seedUser,
  startTestApp,
  type TestApp,
} from "../support/app.js";
import { dialects } from "../support/databases.js";

/** The server's clock: real time plus what a test skipped ahead. */
class Clock {
  private offset = 0;
  readonly now = (): number => Date.now() + this.offset;
  advance(ms: number): void {
    this.offset += ms;
  }
}

function expectPage(res: LightMyRequestResponse, status: number): string {
  expect(res.statusCode).toBe(status);
  expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
  expect(res.body.startsWith("<!doctype html>")).toBe(true);
  // CSP: the only script is the bundle by address; no inline styles or handlers.
  expect(res.body).not.toMatch(/<script(?![^>]*\bsrc="\/assets\/portal\.js")/);
  expect(res.body).not.toMatch(/<style|<[a-z][^>]*\s(style|on[a-z]+)=/);
  return res.body;
}

/** The text content of the element with this id (for error messages next to a field). */
function textOf(html: string, id: string): string {
  const m = html.match(new RegExp(`id="${id}"[^>]*>([^<]*)<`));
  return m?.[1] ?? "";
}

/** The opening tag of the element with this id. */
function tagOf(html: string, id: string): string {
  return html.match(new RegExp(`<[a-z]+ [^>]*id="${id}"[^>]*>`))?.[0] ?? "";
}

describe.each(dialects())("customer portal pages on %s", (dialect) => {
  const clock = new Clock();
  let app: TestApp;
  let robin: User;
  let sam: User;
  let pat: User;
  let robinCookie: string;
  let patCookie: string;
  const slugs = {
    pick: `pp-pick-${dialect}`,
    question: `pp-question-${dialect}`,
    button: `pp-button-${dialect}`,
    german: `pp-german-${dialect}`,
    lonely: `pp-lonely-${dialect}`,
    off: `pp-off-${dialect}`,
    code: `pp-code-${dialect}`,
    xss: `pp-xss-${dialect}`,
  };
  let codePortal: Portal;

  const get = (url: string, cookie?: string, headers: Record<string, string> = {}) =>
    app.server.inject({ method: "GET", url, headers: { ...headers, ...(cookie ? { cookie } : {}) } });

  /** A classic HTML form post, same-origin, as a browser without JavaScript sends it. */
  const post = (
    url: string,
    fields: Record<string, string>,
    opts: { cookie?: string; origin?: string; remoteAddress?: string; headers?: Record<string, string> } = {},
  ) =>
    app.server.inject({
      method: "POST",
      url,
      remoteAddress: opts.remoteAddress ?? freshAddress(),
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: opts.origin ?? ORIGIN,
        ...(opts.cookie ? { cookie: opts.cookie } : {}),
        ...opts.headers,
      },
      payload: new URLSearchParams(fields).toString(),
    });

  /** The request's id and its cookie from a 303 to /r/<id>. */
  function ticketOf(res: LightMyRequestResponse): { id: string; cookie: string } {
    expect(res.statusCode).toBe(303);
    const id = /^\/r\/([^/?#]+)$/.exec(String(res.headers.location))?.[1] ?? "";
    expect(id).not.toBe("");
    const c = res.cookies.find((k) => k.name === `hgc_${id}`);
    expect(c?.httpOnly).toBe(true);
    expect(c?.path).toBe("/");
    return { id, cookie: `hgc_${id}=${c?.value}` };
  }

  const portal = async (cookie: string, accountId: string, body: Record<string, unknown>) => {
    const r = await call(app, cookie, "POST", `/api/v1/accounts/${accountId}/portals`, body);
    expect(r.status).toBe(201);
    return r.body as Portal;
  };

  beforeAll(async () => {
    app = await startTestApp(dialect, {}, { now: clock.now, sweepEveryMs: 0 });
    const web = await seedAccount(app, `pp-web-${dialect}`, "web");
    const admin = await login(app, web.admin.email);
    robin = await seedUser(app, web.account.id, `robin@pp-${dialect}.example`, "agent");
    sam = await seedUser(app, web.account.id, `sam@pp-${dialect}.example`, "agent");
    const agents = [robin.id, sam.id];
    await portal(admin, web.account.id, {
      slug: slugs.pick,
      type: "pick-agent",
      name: "Pick",
      agentIds: agents,
    });
    await portal(admin, web.account.id, {
      slug: slugs.question,
      type: "question",
      name: "Question",
      title: "How can we help?",
      agentIds: [robin.id],
      fields: [
        { kind: "name", required: true },
        { kind: "email", required: false },
        { kind: "select", label: "Product", required: false, options: ["Router", "Modem"] },
      ],
    });
    await portal(admin, web.account.id, {
      slug: slugs.button,
      type: "button",
      name: "Button",
      agentIds: [robin.id],
    });
    await portal(admin, web.account.id, {
      slug: slugs.german,
      type: "button",
      name: "Hilfe",
      language: "de",
      agentIds: [robin.id],
    });
    await portal(admin, web.account.id, {
      slug: slugs.lonely,
      type: "question",
      name: "Lonely",
      agentIds: [sam.id],
    });
    await portal(admin, web.account.id, {
      slug: slugs.off,
      type: "question",
      name: "Switched off",
      enabled: false,
      agentIds: [robin.id],
    });
    await portal(admin, web.account.id, {
      slug: slugs.xss,
      type: "question",
      name: `Evil <img src=x onerror=alert(1)>`,
      title: `<script>alert("t")</script>`,
      welcomeText: `</p><b>bold</b>`,
      agentIds: [robin.id],
    });

    const phone = await seedAccount(app, `pp-phone-${dialect}`, "phone");
    const phoneAdmin = await login(app, phone.admin.email);
    pat = await seedUser(app, phone.account.id, `pat@pp-${dialect}.example`, "agent");
    codePortal = await portal(phoneAdmin, phone.account.id, {
      slug: slugs.code,
      type: "code",
      name: "Phone",
      agentIds: [pat.id],
    });

    // Robin is signed in with the console open and available; Sam and Pat are not.
    robinCookie = await login(app, robin.email);
    patCookie = await login(app, pat.email);
    await app.deps.presence.connect(robin.id);
    const avail = await app.server.inject({
      method: "PUT",
      url: "/api/v1/console/availability",
      headers: { cookie: robinCookie, origin: ORIGIN },
      payload: { available: true },
    });
    expect(avail.statusCode).toBe(200);
  });
  afterAll(async () => {
    await app.close();
  });

  const newCode = async (name = "Caller"): Promise<CodeView> => {
    const r = await call(app, patCookie, "POST", "/api/v1/codes", { portalId: codePortal.id, name });
    expect(r.status).toBe(201);
    return r.body as CodeView;
  };

  it("renders every portal type with its own layout", async () => {
    const pick = expectPage(await get(`/p/${slugs.pick}`), 200);
    expect(pick).toContain('<html lang="en">');
    expect(pick).toContain(`action="/p/${slugs.pick}"`);
    expect(pick).toMatch(
      new RegExp(`<input type="radio" name="agentId" value="${robin.id}"(?![^>]*disabled)`),
    );
    expect(pick).toMatch(new RegExp(`<input type="radio" name="agentId" value="${sam.id}"[^>]*disabled`));
    expect(pick).toContain("Available");
    expect(pick).toContain("Offline");

    const question = expectPage(await get(`/p/${slugs.question}`), 200);
    expect(question).toContain("<title>How can we help?</title>");
    expect(question).toMatch(/<textarea id="f-question" name="question"[^>]*data-limit="2000"/);
    expect(question).toContain('<label for="f-custom1">Product');
    expect(question).toContain('<option value="Modem">Modem</option>');
    expect(question).toContain("0 of 2000 characters");

    const button = expectPage(await get(`/p/${slugs.button}`), 200);
    expect(button).toMatch(/<button type="submit" class="primary big"[^>]*>Contact an agent<\/button>/);

    const code = expectPage(await get(`/p/${slugs.code}?code=123%20456`), 200);
    expect(tagOf(code, "f-code")).toContain('inputmode="numeric"');
    expect(tagOf(code, "f-code")).toContain('autocomplete="off"');
    expect(tagOf(code, "f-code")).toContain('value="123 456"');
    expect(code).toContain(`action="/p/${slugs.code}/code"`);

    for (const body of [pick, question, button, code]) {
      expect(body).toContain('<script type="module" src="/assets/portal.js">');
      expect(body).toMatch(/<header class="brand">[\s\S]*<main id="main"[\s\S]*<footer/);
    }
  });

  it("speaks the portal's language, whatever the browser's", async () => {
    const body = expectPage(await get(`/p/${slugs.german}`, undefined, { "accept-language": "en-US" }), 200);
    expect(body).toContain('<html lang="de">');
    expect(body).toContain("Einen Mitarbeiter kontaktieren");
  });

  it("renders what an admin typed as text, never as markup", async () => {
    const body = expectPage(await get(`/p/${slugs.xss}`), 200);
    expect(body).toContain("&lt;script>alert(&quot;t&quot;)&lt;/script>");
    expect(body).toContain("Evil &lt;img src=x onerror=alert(1)>");
    expect(body).toContain("&lt;/p>&lt;b>bold&lt;/b>");
    expect(body).not.toContain("<b>bold</b>");
  });

  it("says nobody is available before anything is typed, and offers the offline message", async () => {
    const body = expectPage(await get(`/p/${slugs.lonely}`), 200);
    expect(body).toContain("No agent is available right now");
    expect(body).toContain(`action="/p/${slugs.lonely}/offline"`);
    expect(body).not.toContain(`action="/p/${slugs.lonely}"`);
    expect(body).toContain('data-any-available="false"');
  });

  it("re-renders a refused form with what was typed and each error next to its field", async () => {
    const res = await post(`/p/${slugs.question}`, {
      name: "",
      email: "carla@",
      custom1: "Router",
      question: "",
    });
    const body = expectPage(res, 400);
    expect(tagOf(body, "f-email")).toContain('value="carla@"');
    expect(body).toMatch(/<option value="Router" selected>/);
    expect(textOf(body, "f-name-error")).toBe("Please fill this in.");
    expect(textOf(body, "f-email-error")).toBe("Enter an email address such as name@example.com.");
    expect(textOf(body, "f-question-error")).toBe("Please describe what you need help with.");
    expect(tagOf(body, "f-name")).toContain('aria-invalid="true"');
    expect(tagOf(body, "f-name")).toContain('aria-describedby="f-name-error"');
    expect(tagOf(body, "f-question")).toMatch(/aria-describedby="[^"]*f-question-error/);
    // The summary at the top links to each field.
    expect(body).toMatch(/id="error-summary"[^>]*role="alert"(?![^>]*hidden)/);
    expect(body).toContain('<a href="#f-name">Your name: Please fill this in.</a>');

    const long = expectPage(
      await post(`/p/${slugs.question}`, { name: "A", question: "q".repeat(2001) }),
      400,
    );
    expect(textOf(long, "f-question-error")).toBe("At most 2000 characters.");
    expect(long).toContain("2001 of 2000 characters — 1 too many");
  });

  it("a typed value that looks like markup stays text when the form comes back", async () => {
    const body = expectPage(
      await post(`/p/${slugs.question}`, { name: `"><script>x</script>`, question: "" }),
      400,
    );
    expect(body).toContain(
      'name="name" aria-required="true" type="text" value="&quot;>&lt;script>x&lt;/script>"',
    );
  });

  it("a good submit answers 303 to /r/<id> with the request's cookie; the waiting page follows", async () => {
    const { id, cookie } = ticketOf(
      await post(`/p/${slugs.question}`, { name: "Carla", question: "Printer on fire" }),
    );
    const body = expectPage(await get(`/r/${id}`, cookie), 200);
    expect(body).toContain("Please wait a moment");
    expect(body).toMatch(/class="session-id">\d{3} \d{3} \d{3}</);
    expect(body).toContain('role="timer"');
    expect(body).toContain('<noscript><meta http-equiv="refresh" content="10"/></noscript>');
    expect(body).toContain(`action="/r/${id}/cancel"`);
    expect(body).toContain('data-state="waiting"');
  });

  it("/r/<id> is a 404 without its cookie, and with another request's", async () => {
    const a = ticketOf(await post(`/p/${slugs.button}`, {}));
    const b = ticketOf(await post(`/p/${slugs.button}`, {}));
    expectPage(await get(`/r/${a.id}`), 404);
    expectPage(await get(`/r/${a.id}`, b.cookie), 404);
    const stolen = b.cookie.replace(`hgc_${b.id}`, `hgc_${a.id}`);
    const res = await get(`/r/${a.id}`, stolen);
    expect(expectPage(res, 404)).toContain("Page not found");
    expectPage(await get("/r/not-a-request", a.cookie), 404);
  });

  it("cancels without JavaScript; a foreign page cannot", async () => {
    const { id, cookie } = ticketOf(await post(`/p/${slugs.button}`, {}));
    const foreign = await post(`/r/${id}/cancel`, {}, { cookie, origin: "https://evil.example" });
    expectPage(foreign, 403);
    // Under "Referrer-Policy: no-referrer" a browser's own form post says `Origin: null`; its
    // Sec-Fetch-Site (which no page can set) tells a same-origin post from a cross-site one.
    const crossSite = { "sec-fetch-site": "cross-site" };
    expectPage(await post(`/r/${id}/cancel`, {}, { cookie, origin: "null", headers: crossSite }), 403);
    expect(expectPage(await get(`/r/${id}`, cookie), 200)).toContain("Please wait a moment");
    const res = await post(
      `/r/${id}/cancel`,
      {},
      { cookie, origin: "null", headers: { "sec-fetch-site": "same-origin" } },
    );
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/r/${id}`);
    const body = expectPage(await get(`/r/${id}`, cookie), 200);
    expect(body).toContain("Your request was canceled");
    expect(body).toContain(`href="/p/${slugs.button}"`);
  });

  it("pick-agent: choosing nobody or an unavailable agent is refused next to the menu", async () => {
    const none = expectPage(await post(`/p/${slugs.pick}`, { name: "Carla" }), 400);
    expect(textOf(none, "f-agentId-error")).toBe("Choose the agent you want to talk to.");
    expect(tagOf(none, "f-agentId")).toContain("f-agentId-error");
    const busy = expectPage(await post(`/p/${slugs.pick}`, { name: "Carla", agentId: sam.id }), 409);
    expect(textOf(busy, "f-agentId-error")).toContain("is not available right now");
    expect(tagOf(busy, "f-name")).toContain('value="Carla"');
  });

  it("pick-agent: the chosen agent declines → choose another agent or leave a message", async () => {
    const { id, cookie } = ticketOf(await post(`/p/${slugs.pick}`, { name: "Carla", agentId: robin.id }));
    expect((await call(app, robinCookie, "POST", `/api/v1/requests/${id}/decline`)).status).toBe(200);
    const body = expectPage(await get(`/r/${id}`, cookie), 200);
    expect(body).toContain("The agent you chose is not available");
    expect(body).toContain(`href="/p/${slugs.pick}"`);
    expect(body).toContain(`href="/p/${slugs.pick}/offline"`);
  });

  it("nobody answers within 10 minutes → no-response, with the offer to leave a message", async () => {
    const { id, cookie } = ticketOf(await post(`/p/${slugs.button}`, {}));
    clock.advance(11 * 60_000);
    await sweepRequests(app.deps);
    const body = expectPage(await get(`/r/${id}`, cookie), 200);
    expect(body).toContain("Sorry, nobody could answer in time");
    expect(body).toContain(`href="/p/${slugs.button}/offline"`);
  });

  it("the offline message: errors re-render, a good one thanks the customer", async () => {
    const bad = expectPage(
      await post(`/p/${slugs.lonely}/offline`, { name: "", email: "x", question: "" }),
      400,
    );
    expect(textOf(bad, "f-name-error")).toBe("Please fill this in.");
    expect(textOf(bad, "f-email-error")).toBe("Enter an email address such as name@example.com.");
    expect(textOf(bad, "f-question-error")).toBe("Please describe what you need help with.");
    expect(tagOf(bad, "f-email")).toContain('value="x"');
    const good = await post(`/p/${slugs.lonely}/offline`, {
      name: "Carla",
      email: "carla@example.com",
      question: "Call me back",
    });
    expect(good.statusCode).toBe(303);
    expect(good.headers.location).toBe(`/p/${slugs.lonely}/thanks`);
    expect(good.cookies).toHaveLength(0);
    expect(expectPage(await get(`/p/${slugs.lonely}/thanks`), 200)).toContain("your message has been sent");
    const stored = await app.deps.db.kysely
      .selectFrom("requests")
      .select(["state", "customer_name", "question"])
      .where("customer_email", "=", "carla@example.com")
      .execute();
    expect(stored).toEqual([{ state: "offline", customer_name: "Carla", question: "Call me back" }]);
    // Always reachable, also while agents are available.
    expect(expectPage(await get(`/p/${slugs.question}/offline`), 200)).toContain(
      `action="/p/${slugs.question}/offline"`,
    );
  });

  it("a submit that finds nobody available any more gets the offline form, keeping what was typed", async () => {
    const body = expectPage(
      await post(`/p/${slugs.lonely}`, { name: "Carla", question: "Still there?" }),
      409,
    );
    expect(body).toContain("every agent has become busy");
    expect(tagOf(body, "f-name")).toContain('value="Carla"');
    expect(body).toMatch(/<textarea id="f-question" name="question"[^>]*>Still there\?<\/textarea>/);
  });

  it("GET /join and /join/<code> never redeem; POST does, once", async () => {
    const code = await newCode();
    const join = expectPage(await get(`/join/${code.code}`), 200);
    expect(tagOf(join, "f-code")).toContain(`value="${code.code}"`);
    expect(join).toContain('action="/join"');
    expect(join).toContain('<header class="brand neutral">');
    expect(expectPage(await get(`/join?code=${code.code}`), 200)).toContain(`value="${code.code}"`);
    expect(expectPage(await get(`/p/${slugs.code}?code=${code.code}`), 200)).toContain(
      `value="${code.code}"`,
    );
    const live = await call(app, patCookie, "GET", "/api/v1/codes");
    expect((live.body as CodeView[]).map((c) => c.id)).toContain(code.id);

    const spaced = `${code.code.slice(0, 3)} ${code.code.slice(3, 6)}-${code.code.slice(6)}`;
    const { id, cookie } = ticketOf(await post("/join", { code: spaced }));
    const body = expectPage(await get(`/r/${id}`, cookie), 200);
    expect(body).toContain("is with you");
    expect(body).toContain(`action="/r/${id}/messages"`);

    const again = expectPage(await post("/join", { code: code.code }), 404);
    expect(textOf(again, "f-code-error")).toBe(
      "This code is not valid (it may have expired or been used). Check it with the agent.",
    );
  });

  it("code errors are precise, next to the code field, in the page's language", async () => {
    const digits = expectPage(await post(`/p/${slugs.code}/code`, { code: "12a" }), 400);
    expect(textOf(digits, "f-code-error")).toBe("The code has only digits (0–9); check what you typed.");
    expect(tagOf(digits, "f-code")).toContain('aria-invalid="true"');
    expect(tagOf(digits, "f-code")).toContain('value="12a"');
    const short = expectPage(await post(`/p/${slugs.code}/code`, { code: "123 45" }), 400);
    expect(textOf(short, "f-code-error")).toBe("The code has 9 digits; you typed 5.");
    const de = expectPage(await post("/join", { code: "" }), 400);
    expect(textOf(de, "f-code-error")).toBe("Enter the 9-digit code the agent gave you.");
    const german = await app.server.inject({
      method: "POST",
      url: "/join",
      remoteAddress: freshAddress(),
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: ORIGIN,
        "accept-language": "de-DE",
      },
      payload: "code=1.2.3",
    });
    expect(textOf(expectPage(german, 400), "f-code-error")).toBe(
      "Der Code hat 9 Ziffern; Sie haben 3 eingegeben.",
    );
  });

  it("a company code portal accepts only its own account's codes", async () => {
    const code = await newCode();
    const other = await seedAccount(app, `pp-other-${dialect}`, "phone");
    const otherAdmin = await login(app, other.admin.email);
    const foreign = await portal(otherAdmin, other.account.id, {
      slug: `pp-foreign-${dialect}`,
      type: "code",
      name: "F",
    });
    const res = expectPage(await post(`/p/${foreign.slug}/code`, { code: code.code }), 404);
    expect(textOf(res, "f-code-error")).toContain("This code is not valid");
    ticketOf(await post(`/p/${slugs.code}/code`, { code: code.code }));
  });

  it("after 10 wrong codes from one address the 11th is refused with a clear wait, next to the field", async () => {
    const address = freshAddress();
    for (let i = 0; i < 10; i++) {
      expect((await post("/join", { code: "000000000" }, { remoteAddress: address })).statusCode).toBe(404);
    }
    const res = await post("/join", { code: "000000000" }, { remoteAddress: address });
    const body = expectPage(res, 429);
    expect(textOf(body, "f-code-error")).toBe("Too many attempts. Try again in 10 minutes.");
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
  });

  it("chats without JavaScript: messages are stored, shown as text, and the session can be ended", async () => {
    const code = await newCode("Dana");
    const { id, cookie } = ticketOf(await post(`/p/${slugs.code}/code`, { code: code.code }));
    const empty = expectPage(await post(`/r/${id}/messages`, { body: "   " }, { cookie }), 400);
    expect(textOf(empty, "chat-error")).toBe("Type a message first.");
    const sent = await post(
      `/r/${id}/messages`,
      { body: "hello <b>agent</b> see https://example.com/x." },
      { cookie },
    );
    expect(sent.statusCode).toBe(303);
    const chat = expectPage(await get(`/r/${id}`, cookie), 200);
    expect(chat).toContain("hello &lt;b>agent&lt;/b> see ");
    expect(chat).toContain(
      '<a href="https://example.com/x" target="_blank" rel="noopener noreferrer nofollow">',
    );
    expect(chat).toContain('data-last-seq="1"');
    const end = await post(`/r/${id}/end`, {}, { cookie });
    expect(end.statusCode).toBe(303);
    const ended = expectPage(await get(`/r/${id}`, cookie), 200);
    expect(ended).toContain("The session has ended");
    expect(ended).toContain("hello &lt;b>agent&lt;/b>");
    expect(ended).not.toContain(`action="/r/${id}/messages"`);
  });

  it("queue mode: the waiting page shows the place in line", async () => {
    const queue = await seedAccount(app, `pp-queue-${dialect}`, "queue");
    const admin = await login(app, queue.admin.email);
    const kim = await seedUser(app, queue.account.id, `kim@pp-${dialect}.example`, "agent");
    const line = await portal(admin, queue.account.id, {
      slug: `pp-line-${dialect}`,
      type: "question",
      name: "Line",
      agentIds: [kim.id],
    });
    expect(expectPage(await get(`/p/${line.slug}`), 200)).toContain("No agent is available right now");
    await app.deps.presence.connect(kim.id);
    const avail = await app.server.inject({
      method: "PUT",
      url: "/api/v1/console/availability",
      headers: { cookie: await login(app, kim.email), origin: ORIGIN },
      payload: { available: true },
    });
    expect(avail.statusCode).toBe(200);
    expect(expectPage(await get(`/p/${line.slug}`), 200)).toContain(`action="/p/${line.slug}"`);
    const { id, cookie } = ticketOf(await post(`/p/${line.slug}`, { name: "Carla", question: "Hello?" }));
    const body = expectPage(await get(`/r/${id}`, cookie), 200);
    expect(body).toContain("You are in line.");
    expect(body).toContain("Your place in line");
    expect(body).toMatch(/data-queue-position="true">1</);
  });

  it("a disabled or unknown portal is the friendly 404, for every page and post", async () => {
    for (const url of [`/p/${slugs.off}`, `/p/${slugs.off}/offline`, `/p/${slugs.off}/thanks`, "/p/nope"]) {
      expect(expectPage(await get(url), 404)).toContain("Page not found");
    }
    expectPage(await post(`/p/${slugs.off}`, { name: "x", question: "y" }), 404);
    expectPage(
      await post(`/p/${slugs.off}/offline`, { name: "x", email: "x@example.com", question: "y" }),
      404,
    );
    expectPage(await get(`/p/${"x".repeat(300)}`), 404);
  });

  it("serves the portal bundle at a stable address with no-cache (when built)", async () => {
    if (!fs.existsSync(path.resolve("dist/web/assets/portal.js"))) return;
    const res = await get("/assets/portal.js");
    expect(res.statusCode).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-cache");
    expect(res.headers["content-type"]).toContain("javascript");
    const again = await get("/assets/portal.js", undefined, { "if-none-match": String(res.headers.etag) });
    expect(again.statusCode).toBe(304);
  });
});
