/**
 * docs/screenshots/grafana-dashboard.png: the panels of docs/grafana-dashboard.json, each target's
 * query evaluated by a real Prometheus that scraped a real Helpgate node under simulated load, and
 * drawn with uPlot in Chromium, laid out by the panels' gridPos. There is no Grafana here, so this
 * is not Grafana's rendering; the page says so in a caption.
 *
 *   npm run screenshots:dashboard            (npx tsx scripts/screenshot-dashboard.ts [--seconds 120])
 *
 * Needs `prometheus` on the PATH (Debian: apt-get install prometheus) and Chromium at
 * /usr/bin/chromium (or CHROMIUM_PATH). It:
 *
 * 1. starts a Helpgate node (src/server/main.ts) on a temporary SQLite database and a free port,
 *    with HELPGATE_METRICS_TOKEN set; its first start creates the demo accounts (web, phone,
 *    queue; two agents each);
 * 2. starts Prometheus on a temporary directory, scraping that node's /metrics every 3 s with the
 *    token, and loading docs/alerts.yml (Prometheus refuses rules it cannot parse);
 * 3. drives load for --seconds (120): customers open portals and ask (question, pick-agent,
 *    button, queue, session codes), agents accept (both at a broadcast: one loses the race),
 *    take queue offers (one agent of the queue account sometimes lets them time out), chat over
 *    the WebSockets and end; impatient customers cancel; a rush in the last third;
 * 4. evaluates every target's `expr` with /api/v1/query_range over the run (`$instance` as All,
 *    `$__rate_interval` as Grafana computes it: 4 × the scrape interval), fails on a query
 *    Prometheus refuses and names every target that returned no series;
 * 5. renders the dashboard and writes the PNG (1600 px wide).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import WebSocket from "ws";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DASHBOARD = path.join(ROOT, "docs/grafana-dashboard.json");
const ALERTS = path.join(ROOT, "docs/alerts.yml");
const OUT = path.join(ROOT, "docs/screenshots/grafana-dashboard.png");
const SCRAPE_SECONDS = 3;
/** Grafana's $__rate_interval: max($__interval + scrape interval, 4 × scrape interval). */
const RATE_INTERVAL = `${4 * SCRAPE_SECONDS}s`;
const PAGE_WIDTH = 1600;

function argSeconds(): number {
  const i = process.argv.indexOf("--seconds");
  if (i < 0) return 120;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 10 || n > 3600) {
    throw new Error("--seconds needs a whole number of seconds, 10–3600");
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Processes

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

interface Proc {
  child: ChildProcess;
  /** The last lines it wrote, for an error message. */
  tail: string[];
}

function start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Proc {
  const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line.trim() === "") continue;
      tail.push(line);
      if (tail.length > 40) tail.shift();
    }
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.on("exit", (code, signal) => {
    if (!stopping.has(child)) {
      console.error(`${name} exited unexpectedly (${code ?? signal}):\n${tail.join("\n")}`);
    }
  });
  return { child, tail };
}

const stopping = new WeakSet<ChildProcess>();

async function stop(proc: Proc | null, timeoutMs = 15_000): Promise<void> {
  if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  stopping.add(proc.child);
  const exited = new Promise<void>((resolve) => proc.child.once("exit", () => resolve()));
  proc.child.kill("SIGTERM");
  const timer = setTimeout(() => proc.child.kill("SIGKILL"), timeoutMs);
  await exited;
  clearTimeout(timer);
}

async function waitUntil(what: string, proc: Proc, check: () => Promise<boolean>, ms = 60_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (proc.child.exitCode !== null)
      throw new Error(`${what}: the process exited:\n${proc.tail.join("\n")}`);
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`${what}: not ready within ${ms / 1000} s:\n${proc.tail.join("\n")}`);
}

// ---------------------------------------------------------------------------------------------
// The simulated people

const rand = (min: number, max: number) => min + Math.random() * (max - min);
/** Exponential waiting time of a Poisson arrival process with this mean. */
const arrival = (meanMs: number) => -Math.log(1 - Math.random()) * meanMs;

/** Set when the measured time is over: conversations stop at their next step. */
let loadOver = false;

/** Work started from a timer or an event: a failure is counted, never an unhandled rejection. */
function later(work: () => Promise<unknown>, afterMs = 0): void {
  setTimeout(() => {
    work().catch((err: unknown) => {
      if (!loadOver) count(`load error: ${err instanceof Error ? err.message.slice(0, 80) : String(err)}`);
    });
  }, afterMs);
}

/**
 * Broadcast alerts both agents jump at when the alert sounds: when, for each (ms since the epoch),
 * or null when they read it first. The first console to get the alert decides for all.
 */
const pounce = new Map<string, number | null>();

/** What the load did, by what the client saw (the metrics count the server's side). */
const tally = new Map<string, number>();
function count(key: string): void {
  tally.set(key, (tally.get(key) ?? 0) + 1);
}

interface Answer {
  status: number;
  body: unknown;
  cookies: Map<string, string>;
}

class Site {
  readonly ws: string;
  constructor(readonly base: string) {
    this.ws = `${base.replace(/^http/, "ws")}/ws`;
  }

  /** One request as the browser pages send it (same origin, cookies by hand). */
  async call(
    method: string,
    url: string,
    options: { cookie?: string; json?: unknown } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { origin: this.base };
    if (options.cookie) headers.cookie = options.cookie;
    if (options.json !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${this.base}${url}`, {
      method,
      headers,
      body: options.json === undefined ? undefined : JSON.stringify(options.json),
    });
    const text = await res.text();
    const cookies = new Map<string, string>();
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(";")[0] ?? "";
      const eq = pair.indexOf("=");
      if (eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    let body: unknown = text;
    try {
      body = text === "" ? null : JSON.parse(text);
    } catch {
      // an HTML page
    }
    const route = url.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, ":id").replace(/\?.*$/, "");
    count(`${method} ${route} → ${res.status}`);
    return { status: res.status, body, cookies };
  }
}

interface Message {
  type?: string;
  request?: { id?: string; kind?: string; state?: string; targetAgentId?: string | null };
  offer?: { id?: string; request?: { id?: string } };
  status?: { state?: string };
  sessionId?: string;
  code?: string;
  message?: string;
}

function openSocket(url: string, headers: Record<string, string>, onMessage: (m: Message) => void) {
  return new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    let first = true;
    ws.on("message", (data: WebSocket.RawData) => {
      const msg = JSON.parse(String(data)) as Message;
      if (msg.type === "error") count(`socket error ${msg.code}`);
      if (first) {
        first = false;
        resolve(ws);
      }
      onMessage(msg);
    });
    ws.on("error", (err) => (first ? reject(err) : count("socket failed")));
    ws.on("close", () => {
      if (first) reject(new Error(`${url} closed before its first message`));
    });
  });
}

const LINES_CUSTOMER = [
  "Hi, my order from last week still says 'processing'.",
  "The confirmation email never arrived.",
  "I tried that, it shows the same error.",
  "Ok, the page reloads but nothing changes.",
  "Yes, the number is on the invoice, one moment.",
  "That worked, thank you!",
];
const LINES_AGENT = [
  "Hello! Let me have a look at that for you.",
  "Could you tell me the order number, please?",
  "Thanks, I can see it here. One moment.",
  "Please try signing out and in once more.",
  "I have sent the email again; it should be there now.",
  "Anything else I can help with?",
];
const line = (lines: string[]) => lines[Math.floor(Math.random() * lines.length)] ?? "…";

class Customer {
  ws: WebSocket | null = null;
  private left = false;
  talking = false;

  constructor(
    readonly site: Site,
    readonly requestId: string,
    readonly cookie: string,
    /** How long they wait before they cancel. */
    readonly patienceMs: number,
  ) {}

  async connect(): Promise<void> {
    this.ws = await openSocket(
      `${this.site.ws}?request=${this.requestId}`,
      { cookie: this.cookie, origin: this.site.base },
      (m) => {
        const state = m.type === "status" ? m.status?.state : undefined;
        if (state && state !== "waiting" && state !== "accepted") void this.leave(rand(500, 2000));
        if (m.type === "session.ended") void this.leave(rand(1000, 3000));
      },
    );
    // Out of patience: they cancel (unless an agent has them by then).
    later(async () => {
      if (!this.talking && !this.left && !loadOver) {
        await this.site.call("POST", `/api/v1/customer/requests/${this.requestId}/cancel`, {
          cookie: this.cookie,
        });
      }
    }, this.patienceMs);
  }

  say(body: string): void {
    if (this.ws?.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({ type: "send", body, ref: randomBytes(6).toString("hex") }));
      count("chat message (customer)");
    }
  }

  async leave(afterMs = 0): Promise<void> {
    if (this.left) return;
    this.left = true;
    await sleep(afterMs);
    this.ws?.close();
    customers.delete(this.requestId);
  }
}

const customers = new Map<string, Customer>();

interface AgentStyle {
  /** Seconds from an alert or offer to the click. */
  reactSeconds: [number, number];
  /** Share of queue offers they let run out (away from the desk for a moment). */
  missesOffers: number;
  /** At most this many chats at once; more alerts are left to colleagues. */
  maxChats: number;
}

class Agent {
  id = "";
  accountId = "";
  cookie = "";
  ws: WebSocket | null = null;
  readonly chats = new Set<string>();
  private readonly trying = new Set<string>();
  /** Requests this console lists as waiting (alerts not yet taken), oldest first. */
  private readonly incoming = new Map<string, { kind?: string; targetAgentId?: string | null }>();

  constructor(
    readonly site: Site,
    readonly email: string,
    readonly password: string,
    readonly style: AgentStyle,
  ) {}

  get busy(): boolean {
    return this.chats.size + this.trying.size >= this.style.maxChats;
  }

  async signIn(): Promise<void> {
    const res = await this.site.call("POST", "/api/v1/auth/login", {
      json: { email: this.email, password: this.password },
    });
    const token = res.cookies.get("hg_session");
    const user = (res.body as { user?: { id?: string; accountId?: string } }).user;
    if (res.status !== 200 || !token || !user?.id || !user.accountId) {
      throw new Error(`sign-in of ${this.email}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    }
    this.cookie = `hg_session=${token}`;
    this.id = user.id;
    this.accountId = user.accountId;
    const available = await this.site.call("PUT", "/api/v1/console/availability", {
      cookie: this.cookie,
      json: { available: true },
    });
    if (available.status !== 200) throw new Error(`availability of ${this.email}: HTTP ${available.status}`);
    this.ws = await openSocket(this.site.ws, { cookie: this.cookie, origin: this.site.base }, (m) =>
      this.onMessage(m),
    );
  }

  private onMessage(m: Message): void {
    if (m.type === "alert" && m.request?.id && m.request.state === "waiting") {
      const r = m.request;
      if (r.kind === "targeted" && r.targetAgentId !== this.id) return;
      if (r.kind !== "broadcast" && r.kind !== "targeted") return;
      this.incoming.set(r.id as string, r);
      this.pickUp();
    }
    if (m.type === "request.updated" && m.request?.id && m.request.state !== "waiting") {
      this.incoming.delete(m.request.id);
    }
    if (m.type === "offer" && m.offer?.id && m.offer.request?.id) {
      const offerId = m.offer.id;
      const requestId = m.offer.request.id;
      if (Math.random() < this.style.missesOffers) {
        count("offer left to time out");
        return;
      }
      later(() => this.takeOffer(offerId, requestId), rand(...this.style.reactSeconds) * 1000);
    }
  }

  /**
   * With room for a chat: the oldest waiting customer in the list, after a moment's reading — or,
   * for some of the broadcast alerts, at the same moment as the colleague (one loses the race).
   */
  private pickUp(): void {
    if (this.busy || loadOver) return;
    const next = [...this.incoming.keys()].find((id) => !this.trying.has(id));
    if (!next) return;
    this.trying.add(next);
    if (this.incoming.get(next)?.kind === "broadcast" && !pounce.has(next)) {
      const jump = Math.random() < 0.4;
      if (jump) count("broadcast alert both agents jump at");
      pounce.set(next, jump ? Date.now() + rand(700, 1500) : null);
    }
    const at = pounce.get(next);
    if (typeof at === "number" && at > Date.now()) later(() => this.accept(next, true), at - Date.now());
    else later(() => this.accept(next), rand(...this.style.reactSeconds) * 1000);
  }

  /** `committed`: the click was under way when the alert went (a colleague's accept cannot stop it). */
  private async accept(requestId: string, committed = false): Promise<void> {
    try {
      if (!customers.has(requestId) || loadOver) return;
      if (!committed && !this.incoming.has(requestId)) return;
      const res = await this.site.call("POST", `/api/v1/requests/${requestId}/accept`, {
        cookie: this.cookie,
      });
      this.incoming.delete(requestId);
      if (res.status === 200) this.chat(requestId);
    } finally {
      this.trying.delete(requestId);
    }
    this.pickUp();
  }

  private async takeOffer(offerId: string, requestId: string): Promise<void> {
    if (this.busy) {
      await this.site.call("POST", `/api/v1/offers/${offerId}/decline`, { cookie: this.cookie });
      return;
    }
    const res = await this.site.call("POST", `/api/v1/offers/${offerId}/accept`, { cookie: this.cookie });
    if (res.status === 200) this.chat(requestId);
  }

  /** Creates a 9-digit code for a caller (phone mode) and returns it. */
  async newCode(portalId: string, caller: string): Promise<string | null> {
    const res = await this.site.call("POST", "/api/v1/codes", {
      cookie: this.cookie,
      json: { portalId, name: caller },
    });
    return res.status === 201 ? ((res.body as { code?: string }).code ?? null) : null;
  }

  say(sessionId: string, body: string): void {
    if (this.ws?.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({ type: "send", sessionId, body, ref: randomBytes(6).toString("hex") }));
      count("chat message (agent)");
    }
  }

  /** A conversation: a few turns each way, then the agent (mostly) or the customer ends it. */
  chat(sessionId: string): void {
    const customer = customers.get(sessionId);
    if (!customer) return;
    customer.talking = true;
    this.chats.add(sessionId);
    later(async () => {
      try {
        this.say(sessionId, line(LINES_AGENT));
        const turns = Math.round(rand(2, 6));
        for (let i = 0; i < turns; i++) {
          await sleep(rand(1500, 4500));
          if (loadOver) return;
          customer.say(line(LINES_CUSTOMER));
          await sleep(rand(1500, 4500));
          if (loadOver) return;
          this.say(sessionId, line(LINES_AGENT));
        }
        await sleep(rand(1000, 3000));
        if (loadOver) return;
        if (Math.random() < 0.75) {
          await this.site.call("POST", `/api/v1/sessions/${sessionId}/end`, { cookie: this.cookie });
        } else {
          await this.site.call("POST", `/api/v1/customer/requests/${sessionId}/end`, {
            cookie: customer.cookie,
          });
        }
      } finally {
        this.chats.delete(sessionId);
        this.pickUp();
      }
    });
  }
}

interface DemoLogins {
  agents: { email: string; password: string }[];
}

/** The generated passwords of the first start (data dir's first-start-credentials.txt). */
function readCredentials(dataDir: string): DemoLogins {
  const text = fs.readFileSync(path.join(dataDir, "first-start-credentials.txt"), "utf8");
  const agents: { email: string; password: string }[] = [];
  for (const row of text.split("\n")) {
    const [who, email, password] = row.split("\t");
    if (who?.endsWith("— agent") && email && password) agents.push({ email, password });
  }
  if (agents.length < 6) throw new Error(`expected the demo's six agents, found ${agents.length}`);
  return { agents };
}

async function ask(
  site: Site,
  slug: string,
  values: Record<string, string>,
  agentId?: string,
): Promise<Customer | null> {
  // The portal page first, as a browser does.
  await site.call("GET", `/p/${slug}`);
  const res = await site.call("POST", `/api/v1/portals/${slug}/requests`, {
    json: agentId ? { values, agentId } : { values },
  });
  const requestId = (res.body as { requestId?: string }).requestId;
  if (res.status === 409 && slug !== "web-button" && Math.random() < 0.5) {
    // Nobody free: the portal offers the "leave a message" form, and some do.
    await site.call("POST", `/api/v1/portals/${slug}/offline`, {
      json: {
        values: {
          name: values.name ?? "",
          email: "c@example.com",
          question: values.question ?? "Please call me back.",
        },
      },
    });
  }
  if (res.status !== 201 || !requestId) return null;
  const token = res.cookies.get(`hgc_${requestId}`);
  if (!token) throw new Error("the request's cookie was not set");
  const customer = new Customer(site, requestId, `hgc_${requestId}=${token}`, rand(40_000, 100_000));
  customers.set(requestId, customer);
  await customer.connect();
  return customer;
}

const NAMES = ["Maria", "Jonas", "Aiko", "Liam", "Fatima", "Noah", "Elena", "Omar", "Sofia", "Ben"];
const QUESTIONS = [
  "My order still says processing, can you check?",
  "I cannot sign in since this morning.",
  "How do I change the delivery address?",
  "The invoice shows the wrong amount.",
];
let asked = 0;
const someone = () => `${NAMES[asked++ % NAMES.length]} ${String.fromCharCode(65 + (asked % 26))}.`;

/**
 * Runs the load for `seconds` (from when the agents are signed in); `close` ends every socket and
 * conversation (until then they go on).
 */
async function driveLoad(
  site: Site,
  dataDir: string,
  seconds: number,
): Promise<{ startedAt: number; endedAt: number; close: () => void }> {
  const { agents: logins } = readCredentials(dataDir);
  const styleOf = (email: string): AgentStyle => {
    if (email === "agent1@queue.example.com") return { reactSeconds: [1, 4], missesOffers: 0, maxChats: 3 };
    if (email === "agent2@queue.example.com") return { reactSeconds: [2, 6], missesOffers: 0.5, maxChats: 3 };
    if (email.startsWith("agent2")) return { reactSeconds: [1.5, 6], missesOffers: 0, maxChats: 3 };
    return { reactSeconds: [0.8, 4], missesOffers: 0, maxChats: 3 };
  };
  const agents = logins.map((l) => new Agent(site, l.email, l.password, styleOf(l.email)));
  for (const a of agents) await a.signIn();
  const byDomain = (d: string) => agents.filter((a) => a.email.endsWith(`@${d}`));
  const web = byDomain("web.example.com");
  const phone = byDomain("phone.example.com");
  const portals = await site.call("GET", `/api/v1/accounts/${phone[0]?.accountId}/portals`, {
    cookie: phone[0]?.cookie,
  });
  const codePortal = (portals.body as { id: string; slug: string }[]).find((p) => p.slug === "phone-code");
  if (!codePortal) throw new Error("the demo's code portal was not found");

  const started = Date.now();
  const end = started + seconds * 1000;
  // Quiet at first, busier, then a rush in the last third (customers wait as the run ends).
  const busyness = () => {
    const t = (Date.now() - started) / (seconds * 1000);
    return t < 0.3 ? 0.6 : t < 0.6 ? 1 : 1.6;
  };
  const every = async (meanMs: number, work: () => Promise<unknown>) => {
    const running: Promise<unknown>[] = [];
    const pause = () => sleep(Math.min(arrival(meanMs / busyness()), Math.max(0, end - Date.now())));
    await pause();
    while (Date.now() < end) {
      running.push(
        work().catch((err: unknown) => {
          count(`load error: ${err instanceof Error ? err.message.slice(0, 80) : String(err)}`);
        }),
      );
      await pause();
    }
    await Promise.all(running);
  };
  const question = () => QUESTIONS[asked % QUESTIONS.length] ?? "Help, please.";
  const progress = setInterval(() => {
    const left = Math.max(0, Math.round((end - Date.now()) / 1000));
    console.log(`  ${left} s left: ${customers.size} customers on the pages`);
  }, 20_000);
  try {
    await Promise.all([
      every(7000, () =>
        ask(site, "web-question", { name: someone(), email: "c@example.com", question: question() }),
      ),
      every(16_000, () => {
        const target = web[Math.floor(Math.random() * web.length)] as Agent;
        return ask(site, "web-pick-agent", { name: someone(), question: question() }, target.id);
      }),
      every(25_000, () => ask(site, "web-button", {})),
      every(6500, () => ask(site, "queue-question", { name: someone(), question: question() })),
      every(18_000, async () => {
        const agent = phone.find((a) => !a.busy);
        if (!agent) return;
        const code = await agent.newCode(codePortal.id, someone());
        if (!code) return;
        // The agent reads the code out on the phone; the caller types it in.
        await sleep(rand(3000, 8000));
        await site.call("GET", "/join");
        const res = await site.call("POST", "/api/v1/join", { json: { code } });
        const requestId = (res.body as { requestId?: string }).requestId;
        const token = requestId ? res.cookies.get(`hgc_${requestId}`) : undefined;
        if (res.status !== 201 || !requestId || !token) return;
        const customer = new Customer(site, requestId, `hgc_${requestId}=${token}`, 600_000);
        customers.set(requestId, customer);
        await customer.connect();
        agent.chat(requestId);
      }),
    ]);
  } finally {
    clearInterval(progress);
  }
  return {
    startedAt: started,
    endedAt: end,
    close: () => {
      loadOver = true;
      for (const a of agents) a.ws?.close();
      for (const c of [...customers.values()]) void c.leave();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The dashboard and Prometheus

interface Target {
  refId?: string;
  expr: string;
  legendFormat?: string;
}

interface Panel {
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  fieldConfig?: {
    defaults?: {
      unit?: string;
      custom?: { fillOpacity?: number; lineWidth?: number };
      thresholds?: { steps: { color: string; value: number | null }[] };
    };
  };
  targets?: Target[];
}

interface Dashboard {
  title: string;
  panels: Panel[];
}

/** One drawn series: a name and a value per step (null: no sample there). */
interface Series {
  name: string;
  values: (number | null)[];
}

interface RenderedPanel {
  type: string;
  title: string;
  unit: string;
  box: { left: number; top: number; width: number; height: number };
  fillOpacity: number;
  lineWidth: number;
  thresholds: { color: string; value: number | null }[];
  series: Series[];
}

function interpolate(expr: string): string {
  return expr
    .replace(/\$\{?__rate_interval\}?/g, RATE_INTERVAL)
    .replace(/\$\{?__interval\}?/g, `${SCRAPE_SECONDS}s`)
    .replace(/\$\{?instance\}?/g, ".*");
}

/** Grafana's legend: `{{label}}` filled in; without a format the labels, or the query itself. */
function legendOf(format: string | undefined, labels: Record<string, string>, expr: string): string {
  if (format && format.trim() !== "") {
    return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_m, name: string) => labels[name] ?? "");
  }
  const pairs = Object.entries(labels).filter(([k]) => k !== "__name__");
  if (pairs.length === 0) return expr;
  return `{${pairs.map(([k, v]) => `${k}="${v}"`).join(", ")}}`;
}

interface RangeAnswer {
  status: string;
  error?: string;
  data?: { result: { metric: Record<string, string>; values: [number, string][] }[] };
}

async function evaluate(
  prometheus: string,
  dashboard: Dashboard,
  from: number,
  to: number,
): Promise<{ panels: RenderedPanel[]; times: number[]; problems: string[]; empty: string[] }> {
  const times: number[] = [];
  for (let t = from; t <= to; t += SCRAPE_SECONDS) times.push(t);
  const problems: string[] = [];
  const empty: string[] = [];
  const panels: RenderedPanel[] = [];
  const colW = (PAGE_WIDTH - 2 * 16 - 23 * 8) / 24;
  for (const p of dashboard.panels) {
    const g = p.gridPos;
    const d = p.fieldConfig?.defaults ?? {};
    const rendered: RenderedPanel = {
      type: p.type,
      title: p.title,
      unit: d.unit ?? "short",
      box: {
        left: 16 + g.x * (colW + 8),
        top: g.y * (30 + 8),
        width: g.w * colW + (g.w - 1) * 8,
        height: g.h * 30 + (g.h - 1) * 8,
      },
      fillOpacity: d.custom?.fillOpacity ?? 0,
      lineWidth: d.custom?.lineWidth ?? 1,
      // Grafana's default thresholds when a panel has none: green, red from 80.
      thresholds: d.thresholds?.steps ?? [
        { color: "green", value: null },
        { color: "red", value: 80 },
      ],
      series: [],
    };
    panels.push(rendered);
    if (p.type === "row") continue;
    if (p.type !== "stat" && p.type !== "timeseries") {
      problems.push(`panel "${p.title}": type ${p.type} is not drawn by this script`);
      continue;
    }
    for (const target of p.targets ?? []) {
      const query = interpolate(target.expr);
      const url = new URL(`${prometheus}/api/v1/query_range`);
      url.searchParams.set("query", query);
      url.searchParams.set("start", String(from));
      url.searchParams.set("end", String(to));
      url.searchParams.set("step", String(SCRAPE_SECONDS));
      const answer = (await (await fetch(url)).json()) as RangeAnswer;
      if (answer.status !== "success" || !answer.data) {
        problems.push(`panel "${p.title}" target ${target.refId ?? "?"}: ${answer.error ?? answer.status}`);
        continue;
      }
      if (answer.data.result.length === 0) empty.push(`panel "${p.title}" target ${target.refId}: ${query}`);
      for (const r of answer.data.result) {
        const byTime = new Map(r.values.map(([t, v]) => [Math.round(t), Number(v)]));
        rendered.series.push({
          name: legendOf(target.legendFormat, r.metric, target.expr),
          values: times.map((t) => {
            const v = byTime.get(t);
            return v === undefined || !Number.isFinite(v) ? null : v;
          }),
        });
      }
    }
  }
  return { panels, times, problems, empty };
}

/** The page: Grafana's dark theme, the grid, and a script that draws each panel with uPlot. */
function pageHtml(
  dashboard: Dashboard,
  model: { panels: RenderedPanel[]; times: number[] },
  caption: string,
  range: string,
): string {
  const uplotJs = fs.readFileSync(path.join(ROOT, "node_modules/uplot/dist/uPlot.iife.min.js"), "utf8");
  const uplotCss = fs.readFileSync(path.join(ROOT, "node_modules/uplot/dist/uPlot.min.css"), "utf8");
  const height = Math.max(...model.panels.map((p) => p.box.top + p.box.height)) + 16;
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const data = JSON.stringify(model).replace(/</g, "\\u003c");
  return `<!doctype html><html><head><meta charset="utf-8"><style>${uplotCss}
  * { box-sizing: border-box; }
  body { margin: 0; background: #111217; color: #ccccdc; width: ${PAGE_WIDTH}px;
    font: 13px/1.4 Inter, "Helvetica Neue", Arial, sans-serif; }
  header { display: flex; align-items: center; gap: 12px; height: 48px; padding: 0 16px;
    background: #181b1f; border-bottom: 1px solid #2c3235; }
  header .crumbs { font-size: 16px; color: #ccccdc; }
  header .crumbs span { color: #8e8e9e; }
  header .range { margin-left: auto; border: 1px solid #2c3235; border-radius: 2px; padding: 4px 10px;
    background: #111217; }
  .vars { display: flex; gap: 8px; align-items: center; padding: 10px 16px 4px; }
  .var { display: flex; border: 1px solid #2c3235; border-radius: 2px; }
  .var b { font-weight: 500; background: #22252b; padding: 4px 8px; color: #6e9fff; }
  .var i { font-style: normal; padding: 4px 10px; background: #111217; }
  .caption { margin-left: auto; color: #8e8e9e; font-size: 12px; }
  .grid { position: relative; height: ${height}px; margin-top: 8px; }
  .panel { position: absolute; background: #181b1f; border: 1px solid #22252b; border-radius: 2px;
    display: flex; flex-direction: column; overflow: hidden; }
  .panel h2 { margin: 0; padding: 6px 8px 0; height: 32px; font-size: 14px; font-weight: 500;
    white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .body { flex: 1; position: relative; padding: 0 8px 6px; min-height: 0; display: flex;
    flex-direction: column; }
  .row { position: absolute; display: flex; align-items: center; font-size: 15px; font-weight: 500; }
  .row::before { content: "⌄"; margin-right: 8px; color: #8e8e9e; position: relative; top: -4px; }
  .stats { flex: 1; display: flex; gap: 8px; }
  .stat { flex: 1; position: relative; display: flex; flex-direction: column; justify-content: center;
    align-items: center; }
  .stat svg { position: absolute; inset: auto 0 0 0; width: 100%; height: 50%; }
  .stat .name { position: relative; font-size: 13px; }
  .stat .value { position: relative; font-size: 38px; font-weight: 500; }
  .nodata { flex: 1; display: flex; align-items: center; justify-content: center; color: #8e8e9e; }
  .legend { display: flex; flex-wrap: wrap; gap: 2px 14px; font-size: 12px; line-height: 16px;
    overflow: hidden; flex: none; }
  .legend span::before { content: ""; display: inline-block; width: 14px; height: 4px;
    border-radius: 2px; margin-right: 6px; vertical-align: middle; background: var(--c); }
  .plot { flex: 1; min-height: 0; }
  .u-legend { display: none; }
  </style></head><body>
  <header><div class="crumbs"><span>Home › Dashboards ›</span> ${esc(dashboard.title)}</div>
  <div class="range">${esc(range)}</div></header>
  <div class="vars"><div class="var"><b>Prometheus</b><i>Prometheus</i></div>
  <div class="var"><b>Node</b><i>All</i></div><div class="caption">${esc(caption)}</div></div>
  <div class="grid" id="grid"></div>
  <script>${uplotJs}</script>
  <script>window.MODEL = ${data};</script>
  <script>${BROWSER_JS}</script>
  </body></html>`;
}

/** Runs in the page: formats values by Grafana's unit names and draws the panels. */
const BROWSER_JS = `
const PALETTE = ["#73BF69", "#F2CC0C", "#8AB8FF", "#FF780A", "#F2495C", "#5794F2", "#B877D9",
  "#FADE2A", "#37872D", "#C4162A", "#1F60C4", "#8F3BB8"];
const COLORS = { green: "#73BF69", red: "#F2495C", orange: "#FF9830", yellow: "#FADE2A",
  blue: "#5794F2", "dark-red": "#C4162A" };
function trim(x, digits) {
  const d = digits !== undefined ? digits : Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2;
  return String(Number(x.toFixed(d)));
}
function short(v) {
  const a = Math.abs(v);
  if (a >= 1e9) return trim(v / 1e9) + " B";
  if (a >= 1e6) return trim(v / 1e6) + " Mil";
  if (a >= 1e3) return trim(v / 1e3) + " K";
  return trim(v);
}
function fmt(unit, v) {
  if (v === null || v === undefined || !isFinite(v)) return "No data";
  const a = Math.abs(v);
  switch (unit) {
    case "s":
      if (a === 0) return "0 s";
      if (a < 1e-3) return trim(v * 1e6) + " µs";
      if (a < 1) return trim(v * 1e3) + " ms";
      if (a < 60) return trim(v) + " s";
      if (a < 3600) return trim(v / 60) + " min";
      return trim(v / 3600) + " hour";
    case "bytes": {
      const units = ["B", "KiB", "MiB", "GiB", "TiB"];
      let i = 0;
      let x = v;
      while (Math.abs(x) >= 1024 && i < units.length - 1) { x /= 1024; i++; }
      return trim(x) + " " + units[i];
    }
    case "ops": return short(v) + " ops/s";
    default: return short(v);
  }
}
function thresholdColor(steps, v) {
  let c = steps[0] ? steps[0].color : "green";
  for (const s of steps) if (s.value !== null && v >= s.value) c = s.color;
  return COLORS[c] || c;
}
function el(tag, cls, parent) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (parent) parent.appendChild(e);
  return e;
}
function lastValue(values) {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i];
  return null;
}
function sparkline(values, color) {
  const pts = values.map((v, i) => [i, v]).filter((p) => p[1] !== null);
  if (pts.length < 2) return "";
  const ys = pts.map((p) => p[1]);
  const lo = Math.min(0, ...ys);
  const hi = Math.max(...ys);
  const n = values.length - 1;
  const y = (v) => (hi === lo ? 50 : 100 - ((v - lo) / (hi - lo)) * 90);
  const line = pts.map((p) => (p[0] / n) * 100 + "," + y(p[1])).join(" ");
  const area = (pts[0][0] / n) * 100 + ",100 " + line + " " + (pts[pts.length - 1][0] / n) * 100 + ",100";
  return '<svg viewBox="0 0 100 100" preserveAspectRatio="none">' +
    '<polygon points="' + area + '" fill="' + color + '" fill-opacity="0.18"/>' +
    '<polyline points="' + line + '" fill="none" stroke="' + color + '" stroke-width="1.5" ' +
    'vector-effect="non-scaling-stroke"/></svg>';
}
const grid = document.getElementById("grid");
const times = MODEL.times;
for (const p of MODEL.panels) {
  if (p.type === "row") {
    const r = el("div", "row", grid);
    Object.assign(r.style, { left: p.box.left + "px", top: p.box.top + "px",
      width: p.box.width + "px", height: p.box.height + "px" });
    r.textContent = p.title;
    continue;
  }
  const box = el("div", "panel", grid);
  Object.assign(box.style, { left: p.box.left + "px", top: p.box.top + "px",
    width: p.box.width + "px", height: p.box.height + "px" });
  el("h2", "", box).textContent = p.title;
  const body = el("div", "body", box);
  if (p.series.length === 0) {
    el("div", "nodata", body).textContent = "No data";
    continue;
  }
  if (p.type === "stat") {
    const stats = el("div", "stats", body);
    for (const s of p.series) {
      const v = lastValue(s.values);
      const color = v === null ? "#ccccdc" : thresholdColor(p.thresholds, v);
      const cell = el("div", "stat", stats);
      cell.innerHTML = sparkline(s.values, color);
      if (p.series.length > 1) el("div", "name", cell).textContent = s.name;
      const value = el("div", "value", cell);
      value.textContent = fmt(p.unit, v);
      value.style.color = color;
    }
    continue;
  }
  const plot = el("div", "plot", body);
  const legend = el("div", "legend", body);
  p.series.forEach((s, i) => {
    const item = el("span", "", legend);
    item.textContent = s.name;
    item.style.setProperty("--c", PALETTE[i % PALETTE.length]);
  });
  const room = Math.floor((body.clientHeight * 0.35) / 18) * 18 - 2;
  if (legend.offsetHeight > room) legend.style.maxHeight = room + "px";
  const width = plot.clientWidth;
  const height = plot.clientHeight;
  const alpha = Math.round((p.fillOpacity / 100) * 255).toString(16).padStart(2, "0");
  const axis = { stroke: "#ccccdc", grid: { stroke: "rgba(204,204,220,0.07)", width: 1 },
    ticks: { stroke: "rgba(204,204,220,0.07)", width: 1 }, font: "11px Inter, Arial, sans-serif" };
  new uPlot({
    width, height,
    legend: { show: false },
    cursor: { show: false },
    scales: { x: { time: true }, y: { range: (u, lo, hi) => [Math.min(0, lo), hi > 0 ? hi * 1.1 : 1] } },
    axes: [
      Object.assign({}, axis, { space: 70,
        values: (u, splits) => splits.map((t) => new Date(t * 1000).toISOString().slice(11, 19)) }),
      Object.assign({}, axis, { size: 64, values: (u, splits) => splits.map((v) => fmt(p.unit, v)) }),
    ],
    series: [{}].concat(p.series.map((s, i) => {
      const c = PALETTE[i % PALETTE.length];
      return { label: s.name, stroke: c, width: p.lineWidth,
        fill: p.fillOpacity > 0 ? c + alpha : undefined, points: { show: false } };
    })),
  }, [times].concat(p.series.map((s) => s.values)), plot);
}
document.body.dataset.drawn = "yes";
`;

// ---------------------------------------------------------------------------------------------

/** The caller's environment without what would make the node something else (a cluster node, Postgres). */
function withoutCluster(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { REDIS_URL: _redis, DATABASE_URL: _database, HELPGATE_FAILPOINT: _failpoint, ...rest } = env;
  return rest;
}

async function main(): Promise<void> {
  const seconds = argSeconds();
  const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, "utf8")) as Dashboard;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helpgate-dashboard-"));
  const dataDir = path.join(dir, "data");
  const token = randomBytes(24).toString("hex");
  let node: Proc | null = null;
  let prom: Proc | null = null;
  try {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    node = start(
      "helpgate",
      process.execPath,
      ["--import", "tsx", "src/server/main.ts"],
      {
        ...withoutCluster(process.env),
        PORT: String(port),
        HOST: "127.0.0.1",
        PUBLIC_URL: base,
        HELPGATE_DATA_DIR: dataDir,
        DATABASE_URL: `sqlite:${path.join(dataDir, "helpgate.sqlite")}`,
        HELPGATE_METRICS_TOKEN: token,
        HELPGATE_SUBMITS_PER_ADDRESS: "0",
        LOG_LEVEL: "warn",
        LOG_FORMAT: "json",
      },
      ROOT,
    );
    const site = new Site(base);
    console.log(`Helpgate on ${base} (SQLite in ${dataDir}), first start with the demo …`);
    await waitUntil("helpgate", node, async () => (await fetch(`${base}/readyz`)).status === 200, 120_000);

    const promPort = await freePort();
    const promBase = `http://127.0.0.1:${promPort}`;
    fs.writeFileSync(path.join(dir, "token"), token, { mode: 0o600 });
    fs.writeFileSync(
      path.join(dir, "prometheus.yml"),
      [
        "global:",
        `  scrape_interval: ${SCRAPE_SECONDS}s`,
        `  evaluation_interval: ${SCRAPE_SECONDS}s`,
        `rule_files: [${JSON.stringify(ALERTS)}]`,
        "scrape_configs:",
        "  - job_name: helpgate",
        `    authorization: { credentials_file: ${JSON.stringify(path.join(dir, "token"))} }`,
        `    static_configs: [{ targets: ["127.0.0.1:${port}"] }]`,
        "",
      ].join("\n"),
    );
    prom = start(
      "prometheus",
      "prometheus",
      [
        `--config.file=${path.join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${path.join(dir, "prometheus")}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        "--storage.tsdb.retention.time=1d",
      ],
      process.env,
      dir,
    );
    await waitUntil("prometheus", prom, async () => (await fetch(`${promBase}/-/ready`)).status === 200);
    // Until the first scrape has landed (the target up), so the graphs start with the load.
    await waitUntil("the first scrape", prom, async () => {
      const res = (await (await fetch(`${promBase}/api/v1/query?query=up`)).json()) as {
        data?: { result?: { value: [number, string] }[] };
      };
      return res.data?.result?.[0]?.value[1] === "1";
    });
    console.log(`Prometheus on ${promBase}, scraping every ${SCRAPE_SECONDS} s. Load for ${seconds} s …`);
    const load = await driveLoad(site, dataDir, seconds);
    // Two more scrapes with everyone still there, so the end of the load is in the data.
    await sleep(Math.max(0, load.endedAt + 2 * SCRAPE_SECONDS * 1000 + 500 - Date.now()));
    load.close();
    // The range: from two steps before the load (the consoles opening) to its end.
    const step = (ms: number) => Math.floor(ms / 1000 / SCRAPE_SECONDS) * SCRAPE_SECONDS;
    const from = step(load.startedAt) - 2 * SCRAPE_SECONDS;
    const to = step(load.endedAt);

    const targets = (await (await fetch(`${promBase}/api/v1/targets`)).json()) as {
      data: { activeTargets: { health: string; lastError: string }[] };
    };
    const target = targets.data.activeTargets[0];
    if (target?.health !== "up") throw new Error(`the scrape is not healthy: ${target?.lastError}`);
    const rules = (await (await fetch(`${promBase}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
    };
    const ruleList = rules.data.groups.flatMap((g) => g.rules);
    const badRules = ruleList.filter((r) => r.health === "err");
    console.log(`docs/alerts.yml: ${ruleList.length} rules loaded by Prometheus, ${badRules.length} failing`);
    for (const r of badRules) console.log(`  ${r.name}: ${r.lastError}`);

    const model = await evaluate(promBase, dashboard, from, to);
    const fmtTime = (t: number) => new Date(t * 1000).toISOString().slice(11, 19);
    const day = new Date(from * 1000).toISOString().slice(0, 10);
    const range = `${day} ${fmtTime(from)} to ${fmtTime(to)} UTC`;
    const caption =
      "docs/grafana-dashboard.json's queries, evaluated by Prometheus, drawn by " +
      `scripts/screenshot-dashboard.ts — one node on SQLite, ${seconds} s of simulated customers and agents`;
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
    });
    try {
      const context = await browser.newContext({
        viewport: { width: PAGE_WIDTH, height: 900 },
        timezoneId: "UTC",
        locale: "en-US",
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (err) => errors.push(err.message));
      await page.setContent(pageHtml(dashboard, model, caption, range));
      const drawn = await page
        .waitForSelector("body[data-drawn=yes]", { timeout: 10_000 })
        .then(() => true)
        .catch(() => false);
      if (errors.length > 0 || !drawn) throw new Error(`the page failed:\n${errors.join("\n")}`);
      fs.mkdirSync(path.dirname(OUT), { recursive: true });
      await page.screenshot({ path: OUT, fullPage: true });
    } finally {
      await browser.close();
    }
    console.log(`  ${path.relative(ROOT, OUT)}`);

    console.log("What the load did (as the clients saw it):");
    for (const [k, n] of [...tally.entries()].sort()) console.log(`  ${String(n).padStart(5)}  ${k}`);
    for (const e of model.empty) console.log(`no series: ${e}`);
    if (model.problems.length > 0 || badRules.length > 0) {
      throw new Error(`queries Prometheus refused:\n${model.problems.join("\n")}`);
    }
  } finally {
    await stop(node);
    await stop(prom);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
