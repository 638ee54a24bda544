import { randomBytes, randomUUID } from "node:crypto";
import type { Insertable, Kysely } from "kysely";
import type { Mode, PortalType } from "../shared/model.js";
import type { AlertKind, RequestState } from "../shared/protocol.js";
import type { Deps } from "./commands/context.js";
import type {
  AgentIntervalTable,
  CodeTable,
  Database,
  MessageTable,
  OfferTable,
  RequestEventTable,
  RequestTable,
  SessionTable,
} from "./db/schema.js";
import { CODE_LIFETIME_MS } from "./domain/codes.js";
import { addDays, dayOf, localTime, startOfDay } from "./domain/reportPeriods.js";
import {
  alertKindFor,
  CUSTOMER_GONE_GRACE_MS,
  deadlineFor,
  NO_RESPONSE_TIMEOUT_MS,
  newSessionNumber,
  TARGETED_ALERT_TIMEOUT_MS,
} from "./domain/requests.js";

/**
 * The demo installation's history (issue 12): four weeks of plausible traffic for each demo
 * account, written once at first start so a newcomer's reports have real charts. Every row has
 * the shape the live code writes (store/requests.ts, store/sessions.ts, store/offers.ts, the
 * accept, decline, end and survey commands, store/agentTime.ts): requests with their transitions,
 * ended sessions with a few chat lines, outcomes and ratings, queue offers, redeemed and expired
 * session codes, and the agents' signed-in and Available spells. Everything is over: no request
 * waits, no session or offer or code is open, no spell lasts — the console starts clean.
 *
 * Fast on purpose (first start must stay quick): the rows are built in memory from a seeded PRNG
 * and written per account in one transaction, as multi-row inserts of a few hundred rows each.
 * `accounts.demo_history_until` marks where the generated history ends; reports say so.
 */

export const DEMO_HISTORY_DAYS = 28;

export interface DemoPortalRef {
  id: string;
  type: PortalType;
  /** The language of the portal's pages: the customers' chat lines, comments and emails are in it. */
  language: string;
  maxWaitSeconds: number;
}

export interface DemoAgentRef {
  id: string;
  name: string;
}

export interface DemoAccountRef {
  id: string;
  mode: Mode;
  timeZone: string;
  offerTimeoutSeconds: number;
  portals: DemoPortalRef[];
  agents: DemoAgentRef[];
}

export interface DemoHistoryCounts {
  requests: number;
  requestEvents: number;
  sessions: number;
  messages: number;
  offers: number;
  codes: number;
  agentIntervals: number;
}

export interface DemoHistoryResult extends DemoHistoryCounts {
  /** The end of the generated history (epoch ms): every generated row is over by then. */
  until: number;
  /** How long generating and writing took. */
  ms: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
/** The history ends this long before the first start (nothing generated is "just now"). */
const END_MARGIN_MS = MINUTE;
/** Rows per insert statement (well under both dialects' parameter limits). */
const CHUNK = 400;
/** The demo agents take at most this many customers at once (the default limit is 3). */
const MAX_AT_ONCE = 3;

// ——— A small seeded PRNG (mulberry32): the same first-start minute gives the same history. ———

class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** A whole number from min to max, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((a, [, w]) => a + w, 0);
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    const last = items[items.length - 1];
    if (!last) throw new Error("weighted pick from an empty list");
    return last[0];
  }
}

function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

// ——— What people say (short, plausible, in the portal's language). ———

type Line = readonly ["a" | "c", string];
interface Topic {
  /** What a question portal's customer typed. */
  question: string;
  /** The chat, agent and customer in turn; any first 2–6 lines read as a whole. */
  lines: readonly Line[];
}
type Language = "en" | "de";
type Flavour = "shop" | "desk" | "phone";

const TOPICS: Record<Flavour, Partial<Record<Language, readonly Topic[]>>> = {
  shop: {
    en: [
      {
        question: "My order {order} hasn't arrived yet — where is it?",
        lines: [
          ["a", "{hi}, I'm {agent}. How can I help you today?"],
          ["c", "My order {order} was due yesterday and still isn't here."],
          ["a", "I see it: the parcel is at the local depot and goes out for delivery tomorrow morning."],
          ["c", "Okay, good to know. Thanks!"],
          ["a", "You're welcome. I've added a note so the courier calls before arriving."],
          ["c", "Perfect, bye!"],
        ],
      },
      {
        question: "How do I return a jacket that doesn't fit?",
        lines: [
          ["a", "{hi}, this is {agent} from the Web Shop. What can I do for you?"],
          ["c", "I'd like to return a jacket from order {order}, it's too small."],
          ["a", "No problem. I've just emailed you a free return label."],
          ["c", "Got it. Can I exchange it for a larger size instead?"],
          ["a", "Yes — I've reserved size L for you; it ships as soon as the return is scanned."],
          ["c", "Great, thank you!"],
        ],
      },
      {
        question: "My card payment failed but the money was taken.",
        lines: [
          ["a", "{hi}, {agent} here. How can I help?"],
          ["c", "The checkout said the payment failed, but my bank shows the charge."],
          ["a", "That's a pending authorisation; your bank releases it within 3–5 days."],
          ["c", "I see. Can you place the order again for me?"],
          ["a", "Done — order {order} is confirmed and paid by invoice."],
          ["c", "Thanks a lot!"],
        ],
      },
      {
        question: "My discount code says it's invalid.",
        lines: [
          ["a", "{hi}, I'm {agent}. What's going on?"],
          ["c", "The code SPRING15 isn't accepted at checkout."],
          ["a", "It only applies to full-price items; two items in your basket are already reduced."],
          ["c", "Ah, I didn't see that. Can I still use it for the rest?"],
          ["a", "Yes, I've applied it to the other items for you."],
          ["c", "Lovely, thanks."],
        ],
      },
      {
        question: "Can I still change the delivery address for order {order}?",
        lines: [
          ["a", "{hi}, this is {agent}. How can I help?"],
          ["c", "I need to change the delivery address for order {order}."],
          ["a", "It hasn't shipped yet, so yes. What's the new address?"],
          ["c", "14 Park Road, same postcode."],
          ["a", "Updated. You'll get a new confirmation email in a minute."],
          ["c", "Thank you!"],
        ],
      },
    ],
    de: [
      {
        question: "Meine Bestellung {order} ist noch nicht angekommen.",
        lines: [
          ["a", "Hallo, hier ist {agent}. Wie kann ich helfen?"],
          ["c", "Meine Bestellung {order} ist noch nicht angekommen."],
          ["a", "Das Paket liegt im Verteilzentrum und wird morgen früh zugestellt."],
          ["c", "Ah, gut zu wissen. Danke!"],
          ["a", "Gern geschehen. Kann ich sonst noch etwas für Sie tun?"],
          ["c", "Nein, das war's. Tschüss!"],
        ],
      },
      {
        question: "Ich möchte eine Jacke zurückschicken.",
        lines: [
          ["a", "Guten Tag, {agent} hier. Was kann ich für Sie tun?"],
          ["c", "Ich möchte eine Jacke zurückschicken, sie ist zu klein."],
          ["a", "Kein Problem, ich habe Ihnen gerade ein kostenloses Rücksendeetikett gemailt."],
          ["c", "Kann ich stattdessen eine Nummer größer bekommen?"],
          ["a", "Ja, ich habe Größe L für Sie reserviert."],
          ["c", "Super, vielen Dank!"],
        ],
      },
      {
        question: "Die Zahlung ist fehlgeschlagen, aber abgebucht.",
        lines: [
          ["a", "Hallo, hier ist {agent}. Wie kann ich helfen?"],
          ["c", "Die Zahlung ist fehlgeschlagen, aber das Geld wurde abgebucht."],
          ["a", "Das ist nur eine Vormerkung Ihrer Bank; sie verfällt in 3–5 Tagen."],
          ["c", "Okay. Können Sie die Bestellung neu anlegen?"],
          ["a", "Erledigt – Bestellung {order} ist bestätigt, Zahlung per Rechnung."],
          ["c", "Danke schön!"],
        ],
      },
      {
        question: "Mein Gutscheincode funktioniert nicht.",
        lines: [
          ["a", "Hallo, {agent} hier. Worum geht es?"],
          ["c", "Mein Gutscheincode wird an der Kasse nicht akzeptiert."],
          ["a", "Der Code gilt nur für nicht reduzierte Artikel."],
          ["c", "Ach so, das habe ich übersehen."],
          ["a", "Ich habe ihn für die übrigen Artikel eingelöst."],
          ["c", "Prima, danke!"],
        ],
      },
    ],
  },
  desk: {
    en: [
      {
        question: "I can't log in to my account since this morning.",
        lines: [
          ["a", "{hi}, thanks for waiting — I'm {agent}. What's the problem?"],
          ["c", "I can't log in, it says my password is wrong."],
          ["a", "Your account was locked after several attempts; I've unlocked it and sent a reset link."],
          ["c", "The link worked, I'm in!"],
          ["a", "Great. Anything else I can help with?"],
          ["c", "No, that's all. Thanks!"],
        ],
      },
      {
        question: "I was charged twice on my last invoice.",
        lines: [
          ["a", "{hi}, this is {agent}. How can I help?"],
          ["c", "Invoice {order} shows the monthly fee twice."],
          ["a", "You're right, that's our mistake. I've refunded the second charge."],
          ["c", "When will I see the money?"],
          ["a", "Within 2–3 business days, on the same card."],
          ["c", "Okay, thank you."],
        ],
      },
      {
        question: "How do I add two more users to our plan?",
        lines: [
          ["a", "{hi}, {agent} here. What can I do for you?"],
          ["c", "We need two more user seats on our plan."],
          ["a", "I can switch you to the Team plan today; the difference is prorated."],
          ["c", "Sounds good, please do."],
          ["a", "Done — the new seats are available now."],
          ["c", "Perfect, thanks!"],
        ],
      },
      {
        question: "Where can I download all our data?",
        lines: [
          ["a", "{hi}, thanks for your patience. I'm {agent}."],
          ["c", "I need an export of all our data for an audit."],
          ["a", "Under Settings → Data you can start a full export; it arrives by email as a ZIP."],
          ["c", "Found it, it's running."],
          ["a", "It usually takes a few minutes. Anything else?"],
          ["c", "That's all, thanks."],
        ],
      },
      {
        question: "I'd like to cancel my subscription.",
        lines: [
          ["a", "{hi}, I'm {agent}. How can I help?"],
          ["c", "I want to cancel our subscription at the end of the month."],
          ["a", "I can do that. May I ask why you're leaving?"],
          ["c", "We're merging with a team that uses another tool."],
          ["a", "Understood. The cancellation is confirmed for the end of the month."],
          ["c", "Thank you for the quick help."],
        ],
      },
    ],
  },
  phone: {
    en: [
      {
        question: "",
        lines: [
          ["a", "{hi}, this is {agent} — you're connected. Can you see this chat?"],
          ["c", "Yes, I can see it."],
          ["a", "Great. I've set the office printer as your default again; please try printing."],
          ["c", "It printed, thanks!"],
          ["a", "Anything else while we're connected?"],
          ["c", "No, that was it. Bye!"],
        ],
      },
      {
        question: "",
        lines: [
          ["a", "{hi}, it's {agent} from the phone. You're connected now."],
          ["c", "Hi, yes I'm here."],
          ["a", "Please open the mail app; we'll set up your mailbox on the new laptop."],
          ["c", "It's asking for a server name."],
          ["a", "Enter mail.example.com and port 993, then your password."],
          ["c", "Emails are coming in now, great!"],
        ],
      },
      {
        question: "",
        lines: [
          ["a", "{hi}, this is {agent}. Thanks for entering the code."],
          ["c", "No problem. The VPN still won't connect."],
          ["a", "I've sent you a new configuration file here — please open it."],
          ["c", "Opened it, it says connected!"],
          ["a", "Perfect, you should see the shared drives again."],
          ["c", "Yes, all there. Thank you!"],
        ],
      },
      {
        question: "",
        lines: [
          ["a", "{hi}, {agent} here — I can see you joined."],
          ["c", "Hello, my computer is really slow today."],
          ["a", "Please share your screen, I'll check what's running."],
          ["c", "Sharing now."],
          ["a", "A stuck update was using the processor; I've restarted it."],
          ["c", "Much faster already, thanks!"],
        ],
      },
    ],
  },
};

const OFFLINE: Record<Flavour, Partial<Record<Language, readonly string[]>>> = {
  shop: {
    en: [
      "Please call me back about order {order}.",
      "Do you ship to Switzerland?",
      "My parcel arrived damaged — what should I do?",
      "Is the blue jacket coming back in size M?",
      "I'd like to change the address of order {order}.",
    ],
    de: [
      "Bitte rufen Sie mich wegen Bestellung {order} zurück.",
      "Liefern Sie auch nach Österreich?",
      "Mein Paket kam beschädigt an – was nun?",
      "Wann ist die blaue Jacke in M wieder da?",
    ],
  },
  desk: {
    en: [
      "Please call me back about invoice {order}.",
      "How do I add a user to our account?",
      "Our login page shows an error since this morning.",
      "Can I get a quote for 20 seats?",
    ],
  },
  phone: { en: ["Please call me back."] },
};

const COMMENTS: Record<Language, Record<"good" | "mixed" | "bad", readonly string[]>> = {
  en: {
    good: [
      "Quick and friendly, thank you!",
      "Solved in a few minutes — great service.",
      "Very helpful, thanks {agent}!",
      "Super fast answer.",
      "Exactly what I needed.",
    ],
    mixed: ["Okay, but I had to wait a while.", "Helpful, though it took a bit long.", "Fine."],
    bad: [
      "My problem is still not solved.",
      "Took too long and I had to explain everything twice.",
      "Not really helpful.",
    ],
  },
  de: {
    good: [
      "Schnell und freundlich, danke!",
      "In wenigen Minuten gelöst – super Service.",
      "Sehr hilfsbereit, danke {agent}!",
      "Genau das, was ich brauchte.",
    ],
    mixed: ["In Ordnung, aber ich musste etwas warten.", "Hilfreich, hat aber etwas gedauert."],
    bad: ["Mein Problem ist immer noch nicht gelöst.", "Hat zu lange gedauert.", "Leider nicht hilfreich."],
  },
};

const NOTES = [
  "Sent a return label.",
  "Customer will try again tomorrow and call back.",
  "Escalated to second level.",
  "Refund issued.",
  "Explained the settings; works now.",
];

const NAMES: Record<Language, { first: readonly string[]; last: readonly string[] }> = {
  en: {
    first: [
      "Emma",
      "Oliver",
      "Sophia",
      "Liam",
      "Ava",
      "Noah",
      "Mia",
      "James",
      "Charlotte",
      "Lucas",
      "Amelia",
      "Ethan",
      "Grace",
      "Daniel",
      "Chloe",
      "Samuel",
      "Hannah",
      "Leo",
      "Ruby",
      "Jack",
    ],
    last: [
      "Smith",
      "Johnson",
      "Brown",
      "Taylor",
      "Wilson",
      "Clarke",
      "Walker",
      "Wright",
      "Hughes",
      "Evans",
      "Turner",
      "Baker",
      "Hill",
      "Cooper",
      "Ward",
      "Morris",
      "Patel",
      "Khan",
      "Murphy",
      "Bennett",
    ],
  },
  de: {
    first: [
      "Lena",
      "Jonas",
      "Anna",
      "Felix",
      "Marie",
      "Lukas",
      "Sophie",
      "Paul",
      "Laura",
      "Maximilian",
      "Julia",
      "Tobias",
      "Katharina",
      "Jan",
      "Lea",
      "Niklas",
    ],
    last: [
      "Müller",
      "Schmidt",
      "Schneider",
      "Fischer",
      "Weber",
      "Meyer",
      "Wagner",
      "Becker",
      "Schulz",
      "Hoffmann",
      "Koch",
      "Richter",
      "Wolf",
      "Schröder",
      "Neumann",
      "Zimmermann",
    ],
  },
};

const MAIL_DOMAINS = ["example.com", "example.org", "example.net"];

function languageOf(portal: DemoPortalRef): Language {
  return portal.language === "de" ? "de" : "en";
}

function fill(text: string, values: Record<string, string>): string {
  return text.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}

function mailName(s: string): string {
  return s
    .toLowerCase()
    .replace(/ä/g, "ae")
    .replace(/ö/g, "oe")
    .replace(/ü/g, "ue")
    .replace(/ß/g, "ss")
    .replace(/[^a-z]/g, "");
}

// ——— The day's shape: hours, weekdays, the agents' shifts. ———

/** Requests by local hour on a working day: peaks 10–12 and 14–16, a few before and after hours. */
const WEEKDAY_HOURS = [
  0.05, 0.03, 0.02, 0.02, 0.03, 0.05, 0.15, 0.4, 1.2, 2.2, 3.6, 3.8, 1.8, 1.8, 3.4, 3.5, 2.4, 1.4, 0.7, 0.5,
  0.35, 0.25, 0.15, 0.1,
];
const WEEKEND_HOURS = [
  0.05, 0.03, 0.02, 0.02, 0.02, 0.03, 0.08, 0.2, 0.5, 0.9, 1.2, 1.3, 1.1, 1.0, 1.1, 1.0, 0.8, 0.6, 0.5, 0.4,
  0.35, 0.25, 0.15, 0.1,
];

interface Span {
  start: number;
  end: number;
}

interface AgentDay {
  agent: DemoAgentRef;
  signedIn: Span[];
  available: Span[];
}

function weekdayOf(day: string): number {
  return new Date(`${day}T12:00:00Z`).getUTCDay();
}

/** Local minutes of a day as an instant (a DST day's later hours are an hour off: fine for a demo). */
const clock = (dayStart: number, minutes: number) => dayStart + Math.round(minutes * MINUTE);

/**
 * Who works when: on weekdays two overlapping shifts (8:00–17:00 and 9:00–18:00 with lunch), an
 * agent off now and then; Saturdays one agent 10–14; Sundays nobody. Each shift half is one
 * console connection; Available inside it, sometimes with a short break.
 */
function shiftsOf(rng: Rng, agents: readonly DemoAgentRef[], day: string, dayStart: number): AgentDay[] {
  const weekday = weekdayOf(day);
  const days: AgentDay[] = agents.map((agent) => ({ agent, signedIn: [], available: [] }));
  const jitter = (m: number, by = 12) => m + rng.int(-by, by);
  if (weekday === 0) return days;
  if (weekday === 6) {
    const on = days[Number(day.slice(-2)) % days.length];
    if (on) on.signedIn.push({ start: clock(dayStart, jitter(600)), end: clock(dayStart, jitter(840)) });
  } else {
    const off = days.map(() => rng.chance(0.08));
    if (off.every(Boolean)) off[0] = false;
    days.forEach((d, i) => {
      if (off[i]) return;
      const halves =
        i % 2 === 0
          ? [
              [480, 750],
              [795, 1020],
            ]
          : [
              [540, 795],
              [840, 1080],
            ];
      for (const [from, to] of halves)
        d.signedIn.push({ start: clock(dayStart, jitter(from ?? 0)), end: clock(dayStart, jitter(to ?? 0)) });
    });
  }
  for (const d of days) {
    for (const s of d.signedIn) {
      const a = s.start + rng.int(1, 4) * MINUTE;
      const b = s.end - rng.int(1, 3) * MINUTE;
      if (rng.chance(0.35)) {
        const mid = a + Math.round((b - a) * rng.between(0.3, 0.7));
        const back = mid + rng.int(8, 20) * MINUTE;
        d.available.push({ start: a, end: mid }, { start: back, end: b });
      } else d.available.push({ start: a, end: b });
    }
  }
  return days;
}

const within = (spans: readonly Span[], t: number) => spans.some((s) => s.start <= t && t < s.end);

// ——— The rows, built in memory and written per account. ———

interface Rows {
  codes: Insertable<CodeTable>[];
  requests: Insertable<RequestTable>[];
  request_events: Insertable<RequestEventTable>[];
  sessions: Insertable<SessionTable>[];
  messages: Insertable<MessageTable>[];
  offers: Insertable<OfferTable>[];
  agent_intervals: Insertable<AgentIntervalTable>[];
}

type Outcome = Extract<RequestState, "accepted" | "declined" | "no-response" | "canceled" | "offline">;

interface Planned {
  at: number;
  /** The local hour it came in. */
  hour: number;
  portal: DemoPortalRef;
  outcome: Outcome;
}

interface Customer {
  first: string;
  name: string;
  email: string;
}

/** A local calendar day of the history and the instants it starts and ends. */
interface LocalDay {
  day: string;
  start: number;
  end: number;
}

/**
 * The history's days in a zone, ending with today. A day starts 24 hours after the one before
 * unless that is not local midnight (a clock change), then it is searched for.
 */
function localDays(zone: string, until: number): LocalDay[] {
  const first = addDays(dayOf(until, zone), -(DEMO_HISTORY_DAYS - 1));
  const days: LocalDay[] = [];
  let day = first;
  let start = startOfDay(first, zone);
  for (let i = 0; i < DEMO_HISTORY_DAYS; i++) {
    const next = addDays(day, 1);
    let end = start + 24 * HOUR;
    const t = localTime(end, zone);
    if (t.hour !== 0 || t.minute !== 0 || dayOf(end, zone) !== next) end = startOfDay(next, zone);
    days.push({ day, start, end });
    day = next;
    start = end;
  }
  return days;
}

/**
 * A customer token's hash as the live code stores it (base64url of 32 bytes): here of no token
 * at all, since nobody holds these requests' cookies. Drawn from a pool (one system call per 512).
 */
class TokenHashes {
  private pool = Buffer.alloc(0);
  private at = 0;
  next(): string {
    if (this.at + 32 > this.pool.length) {
      this.pool = randomBytes(32 * 512);
      this.at = 0;
    }
    const hash = this.pool.subarray(this.at, this.at + 32).toString("base64url");
    this.at += 32;
    return hash;
  }
}

class AccountHistory {
  readonly rows: Rows = {
    codes: [],
    requests: [],
    request_events: [],
    sessions: [],
    messages: [],
    offers: [],
    agent_intervals: [],
  };
  /** Each agent's sessions so far, for "who is free" and to keep the connection open past the last. */
  private readonly busy = new Map<string, Span[]>();
  private readonly flavour: Flavour;

  constructor(
    private readonly rng: Rng,
    private readonly account: DemoAccountRef,
    private readonly until: number,
    private readonly numbers: Set<string>,
    private readonly hashes: TokenHashes,
  ) {
    this.flavour = account.mode === "phone" ? "phone" : account.mode === "queue" ? "desk" : "shop";
    for (const a of account.agents) this.busy.set(a.id, []);
  }

  generate(days: readonly LocalDay[]): void {
    const shifts: AgentDay[] = [];
    for (const { day, start: dayStart, end: dayEnd } of days) {
      const agents = shiftsOf(this.rng, this.account.agents, day, dayStart);
      shifts.push(...agents);
      const plan = this.planDay(day, dayStart, agents);
      // A whole past working day has every outcome at least once (so any week shows them all).
      if (dayEnd <= this.until && weekdayOf(day) % 6 !== 0) this.ensureEveryOutcome(plan, dayStart);
      plan.sort((a, b) => a.at - b.at);
      for (const p of plan) this.build(p, agents);
      if (this.account.mode === "phone") this.unusedCodes(day, dayStart, agents);
    }
    this.intervals(shifts);
  }

  private planDay(day: string, dayStart: number, agents: AgentDay[]): Planned[] {
    const rng = this.rng;
    const weekday = weekdayOf(day);
    const [weekdayRange, saturday, sunday] =
      this.account.mode === "phone"
        ? [[15, 24], 4, 0]
        : this.account.mode === "queue"
          ? [[22, 38], 8, 3]
          : [[28, 46], 10, 4];
    const factor = weekday === 1 ? 1.15 : weekday === 5 ? 0.9 : 1;
    const count =
      weekday === 0
        ? rng.int(Math.max(0, sunday - 1), sunday + 2)
        : weekday === 6
          ? rng.int(saturday - 3, saturday + 3)
          : Math.round(rng.int(weekdayRange[0] ?? 20, weekdayRange[1] ?? 40) * factor);
    const hours = weekday === 0 || weekday === 6 ? WEEKEND_HOURS : WEEKDAY_HOURS;
    const hourWeights = hours.map((w, h) => [h, w] as const);
    const plan: Planned[] = [];
    const onCall = (x: number) => agents.some((a) => within(a.signedIn, x));
    for (let i = 0; i < count; i++) {
      let hour = rng.weighted(hourWeights);
      let at = dayStart + hour * HOUR + rng.int(0, HOUR - 1);
      const portal = this.portalFor();
      if (portal.type === "code") {
        // A code is given out on a call: only while someone is signed in.
        for (let tries = 0; tries < 12 && !onCall(at); tries++) {
          hour = rng.weighted(hourWeights);
          at = dayStart + hour * HOUR + rng.int(0, HOUR - 1);
        }
        if (!onCall(at)) continue;
        plan.push({ at, hour, portal, outcome: "accepted" });
        continue;
      }
      const available = agents.some((a) => within(a.available, at));
      plan.push({ at, hour, portal, outcome: available ? this.outcomeFor(portal) : "offline" });
    }
    return plan;
  }

  private portalFor(): DemoPortalRef {
    const weights = this.account.portals.map(
      (p) => [p, p.type === "pick-agent" ? 3 : p.type === "question" ? 4.5 : 2.5] as const,
    );
    return this.rng.weighted(weights);
  }

  private kindOf(portal: DemoPortalRef): AlertKind {
    return this.account.mode === "queue" ? "queue" : alertKindFor(portal.type);
  }

  private outcomeFor(portal: DemoPortalRef): Outcome {
    const kind = this.kindOf(portal);
    if (kind === "targeted")
      return this.rng.weighted([
        ["accepted", 73],
        ["declined", 13],
        ["no-response", 7],
        ["canceled", 7],
      ]);
    if (kind === "queue")
      return this.rng.weighted([
        ["accepted", 78],
        ["no-response", 5],
        ["canceled", 17],
      ]);
    return this.rng.weighted([
      ["accepted", 81],
      ["no-response", 4],
      ["canceled", 15],
    ]);
  }

  private ensureEveryOutcome(plan: Planned[], dayStart: number): void {
    if (this.account.mode === "phone") return;
    const wanted: Outcome[] = ["canceled", "no-response", "offline"];
    if (this.account.portals.some((p) => this.kindOf(p) === "targeted")) wanted.push("declined");
    for (const outcome of wanted) {
      if (plan.some((p) => p.outcome === outcome)) continue;
      if (outcome === "offline") {
        // An evening message, when nobody works.
        const minute = this.rng.int(1140, 1230);
        plan.push({
          at: clock(dayStart, minute),
          hour: Math.floor(minute / 60),
          portal: this.portalFor(),
          outcome,
        });
        continue;
      }
      const candidates = plan.filter(
        (p) => p.outcome === "accepted" && (outcome !== "declined" || this.kindOf(p.portal) === "targeted"),
      );
      if (candidates.length > 0) this.rng.pick(candidates).outcome = outcome;
    }
  }

  private customer(language: Language): Customer {
    const names = NAMES[language];
    const first = this.rng.pick(names.first);
    const last = this.rng.pick(names.last);
    return {
      first,
      name: `${first} ${last}`,
      email: `${mailName(first)}.${mailName(last)}@${this.rng.pick(MAIL_DOMAINS)}`,
    };
  }

  private tokenHash(): string {
    return this.hashes.next();
  }

  private sessionNumber(): string {
    for (;;) {
      const n = newSessionNumber();
      if (!this.numbers.has(n)) {
        this.numbers.add(n);
        return n;
      }
    }
  }

  private openAt(agentId: string, t: number): number {
    return (this.busy.get(agentId) ?? []).filter((s) => s.start <= t && t < s.end).length;
  }

  /** Of the agents Available at `t` (and below their limit), the least busy; null when nobody. */
  private freeAgent(agents: readonly AgentDay[], t: number, except?: string): DemoAgentRef | null {
    const free = agents
      .filter(
        (a) => a.agent.id !== except && within(a.available, t) && this.openAt(a.agent.id, t) < MAX_AT_ONCE,
      )
      .map((a) => ({ agent: a.agent, open: this.openAt(a.agent.id, t), tie: this.rng.next() }))
      .sort((a, b) => a.open - b.open || a.tie - b.tie);
    return free[0]?.agent ?? null;
  }

  private event(requestId: string, state: RequestState, agentId: string | null, at: number): void {
    this.rows.request_events.push({
      id: randomUUID(),
      request_id: requestId,
      account_id: this.account.id,
      state,
      agent_id: agentId,
      at,
    });
  }

  /** A canceled customer's wait, spread over the report's buckets (< 30 s, < 2 min, < 5 min, longer). */
  private cancelWait(): number {
    const bucket = this.rng.weighted([
      [[5, 29], 35],
      [[30, 119], 30],
      [[120, 299], 20],
      [[300, 580], 15],
    ] as const);
    return Math.round(this.rng.between(bucket[0], bucket[1]) * SECOND);
  }

  private build(p: Planned, agents: readonly AgentDay[]): void {
    if (p.portal.type === "code") {
      this.codeSession(p, agents);
      return;
    }
    const rng = this.rng;
    const t = p.at;
    const language = languageOf(p.portal);
    const kind = this.kindOf(p.portal);
    const topic = rng.pick(TOPICS[this.flavour][language] ?? TOPICS[this.flavour].en ?? []);
    const order = String(rng.int(100000, 999999));
    const person = this.customer(language);
    const requestId = randomUUID();
    const asksName = p.portal.type !== "button";
    const withEmail = rng.chance(0.7);
    const base = {
      id: requestId,
      account_id: this.account.id,
      portal_id: p.portal.id,
      session_number: "",
      customer_token_hash: this.tokenHash(),
      code_id: null,
      language: p.portal.language,
      created_at: t,
      round: 0,
    };

    if (p.outcome === "offline") {
      // The offline form asks name, email and the message, whatever the portal.
      if (t > this.until) return;
      const message = fill(rng.pick(OFFLINE[this.flavour][language] ?? OFFLINE[this.flavour].en ?? []), {
        order,
      });
      this.rows.requests.push({
        ...base,
        session_number: this.sessionNumber(),
        kind: alertKindFor(p.portal.type),
        state: "offline",
        target_agent_id: null,
        agent_id: null,
        customer_name: person.name,
        customer_email: person.email,
        contact: JSON.stringify({ name: person.name, email: person.email }),
        question: message,
        state_at: t,
        deadline_at: null,
        customer_gone_at: null,
      });
      this.event(requestId, "offline", null, t);
      return;
    }

    const contact: Record<string, string> = {};
    if (asksName) {
      contact.name = person.name;
      if (withEmail) contact.email = person.email;
    }
    const question = p.portal.type === "question" ? fill(topic.question, { order }) : "";
    const deadline = kind === "queue" ? t + p.portal.maxWaitSeconds * SECOND : deadlineFor(kind, t);
    const target = kind === "targeted" ? this.freeAgent(agents, t) : null;
    if (kind === "targeted" && !target) return;
    const sweepDelay = () => rng.int(200, 1500);
    const offers: Insertable<OfferTable>[] = [];
    const offerTimeout = this.account.offerTimeoutSeconds * SECOND;
    const offer = (agentId: string, createdAt: number, state: OfferTable["state"], endedAt: number) => {
      offers.push({
        id: randomUUID(),
        account_id: this.account.id,
        portal_id: p.portal.id,
        request_id: requestId,
        agent_id: agentId,
        round: 0,
        state,
        created_at: createdAt,
        expires_at: createdAt + offerTimeout,
        ended_at: endedAt,
      });
    };

    let outcome = p.outcome;
    let agent: DemoAgentRef | null = null;
    let startedAt = 0;
    let stateAt = t;
    let goneAt: number | null = null;
    if (outcome === "accepted") {
      if (kind === "targeted" && target) {
        agent = target;
        startedAt = t + rng.int(4, 27) * SECOND;
      } else if (kind === "queue") {
        // Offered when someone is free (later at the peaks), maybe refused once, then accepted.
        const peak = p.hour === 10 || p.hour === 11 || p.hour === 14 || p.hour === 15;
        let cursor = t + (peak ? Math.round(rng.next() ** 2 * 150 * SECOND) : rng.int(200, 3000));
        agent = this.freeAgent(agents, cursor);
        const other = agent ? this.freeAgent(agents, cursor, agent.id) : null;
        if (agent && other && rng.chance(0.25)) {
          const declined = rng.chance(0.55);
          const ended = declined ? cursor + rng.int(4, 20) * SECOND : cursor + offerTimeout;
          offer(other.id, cursor, declined ? "declined" : "timed-out", ended);
          cursor = ended + rng.int(200, 600);
        }
        if (agent) {
          startedAt = cursor + rng.int(3, 18) * SECOND;
          offer(agent.id, cursor, "accepted", startedAt);
        }
      } else {
        startedAt = t + Math.round((8 + 170 * rng.next() ** 2.2) * SECOND);
        agent = this.freeAgent(agents, startedAt);
      }
      if (!agent || (kind === "queue" && startedAt - t >= p.portal.maxWaitSeconds * SECOND)) {
        outcome = "no-response";
        offers.length = 0;
      }
    }
    if (outcome === "declined") stateAt = t + rng.int(3, 25) * SECOND;
    if (outcome === "no-response")
      stateAt =
        (kind === "targeted" ? t + TARGETED_ALERT_TIMEOUT_MS : (deadline ?? t + NO_RESPONSE_TIMEOUT_MS)) +
        sweepDelay();
    if (outcome === "canceled") {
      // A targeted alert ends after 30 s, so its customers cancel before that.
      const wait = kind === "targeted" ? rng.int(5, 28) * SECOND : this.cancelWait();
      stateAt = t + wait;
      if (wait >= 90 * SECOND && rng.chance(0.3)) {
        // The customer closed the page; the sweeper canceled after the grace period.
        goneAt = stateAt - CUSTOMER_GONE_GRACE_MS - sweepDelay();
      }
    }
    if (kind === "queue" && (outcome === "canceled" || outcome === "no-response")) {
      // Offered and not taken: timed out, declined, or withdrawn when the customer left.
      let cursor = t + rng.int(300, 3000);
      let to = this.freeAgent(agents, cursor);
      for (let n = 0; to && n < 2 && cursor < stateAt; n++) {
        if (outcome === "no-response" && rng.chance(0.5)) break;
        const declined = rng.chance(0.3);
        const decided = declined ? cursor + rng.int(4, 20) * SECOND : cursor + offerTimeout;
        if (stateAt < decided) {
          offer(to.id, cursor, "withdrawn", stateAt + rng.int(5, 40));
          break;
        }
        offer(to.id, cursor, declined ? "declined" : "timed-out", decided);
        cursor = decided + rng.int(200, 600);
        to = this.freeAgent(agents, cursor, to.id);
      }
    }

    let endedAt = stateAt;
    let session: Insertable<SessionTable> | null = null;
    const messages: Insertable<MessageTable>[] = [];
    if (outcome === "accepted" && agent) {
      endedAt = startedAt + Math.round((2 + 23 * rng.next() ** 1.7) * MINUTE);
      const built = this.session(requestId, agent, startedAt, endedAt, topic, language, {
        hi: asksName ? `Hi ${person.first}` : "Hi",
        order,
        customer: (asksName ? person.name : "") || "Customer",
      });
      session = built.session;
      messages.push(...built.messages);
    }
    // Nothing generated reaches past the end of the history (today's late requests are left out).
    const last = Math.max(endedAt, ...offers.map((o) => o.ended_at ?? 0));
    if (last > this.until) return;

    this.rows.requests.push({
      ...base,
      session_number: this.sessionNumber(),
      kind,
      state: outcome === "accepted" ? "ended" : outcome,
      target_agent_id: target?.id ?? null,
      agent_id: outcome === "accepted" ? (agent?.id ?? null) : null,
      customer_name: contact.name ?? "",
      customer_email: contact.email ?? "",
      contact: JSON.stringify(contact),
      question,
      state_at: endedAt,
      deadline_at: deadline,
      customer_gone_at: goneAt,
    });
    this.event(requestId, "waiting", null, t);
    if (session && agent) {
      this.event(requestId, "accepted", agent.id, startedAt);
      this.event(requestId, "ended", null, endedAt);
      this.rows.sessions.push(session);
      this.rows.messages.push(...messages);
      this.busy.get(agent.id)?.push({ start: startedAt, end: endedAt });
    } else {
      // The decline command records no agent on the event (the target is on the request).
      this.event(requestId, outcome, null, stateAt);
    }
    this.rows.offers.push(...offers);
  }

  /** A caller redeems the code their agent read out: the session starts at once. */
  private codeSession(p: Planned, agents: readonly AgentDay[]): void {
    const rng = this.rng;
    const t = p.at;
    const on = agents.filter((a) => within(a.signedIn, t) && this.openAt(a.agent.id, t) < MAX_AT_ONCE);
    if (on.length === 0) return;
    const agent = rng.pick(on).agent;
    const language = languageOf(p.portal);
    const person = this.customer(language);
    const callerName = rng.chance(0.85) ? person.name : "";
    const startedAt = t;
    const endedAt = startedAt + Math.round((2 + 23 * rng.next() ** 1.7) * MINUTE);
    if (endedAt > this.until) return;
    const requestId = randomUUID();
    const codeId = randomUUID();
    const codeCreated = t - rng.int(30, 240) * SECOND;
    this.rows.codes.push({
      id: codeId,
      account_id: this.account.id,
      portal_id: p.portal.id,
      agent_id: agent.id,
      code: String(rng.int(0, 999_999_999)).padStart(9, "0"),
      name: callerName,
      state: "redeemed",
      created_at: codeCreated,
      expires_at: codeCreated + CODE_LIFETIME_MS,
      redeemed_at: t,
      request_id: requestId,
    });
    this.rows.requests.push({
      id: requestId,
      account_id: this.account.id,
      portal_id: p.portal.id,
      session_number: this.sessionNumber(),
      kind: "code",
      state: "ended",
      target_agent_id: agent.id,
      agent_id: agent.id,
      customer_name: callerName,
      customer_email: "",
      contact: "{}",
      question: "",
      language: p.portal.language,
      customer_token_hash: this.tokenHash(),
      code_id: codeId,
      created_at: t,
      state_at: endedAt,
      deadline_at: null,
      customer_gone_at: null,
      round: 0,
    });
    // Redeeming inserts the request as accepted (its first transition names the agent).
    this.event(requestId, "accepted", agent.id, t);
    this.event(requestId, "ended", null, endedAt);
    const topic = rng.pick(TOPICS.phone.en ?? []);
    const first = callerName.split(" ")[0] ?? "";
    const built = this.session(requestId, agent, startedAt, endedAt, topic, language, {
      hi: first ? `Hello ${first}` : "Hello",
      order: "",
      customer: callerName || "Customer",
    });
    this.rows.sessions.push(built.session);
    this.rows.messages.push(...built.messages);
    this.busy.get(agent.id)?.push({ start: startedAt, end: endedAt });
  }

  /** Codes given out and never used: expired after 20 minutes, or canceled by the agent. */
  private unusedCodes(day: string, dayStart: number, agents: readonly AgentDay[]): void {
    const weekday = weekdayOf(day);
    if (weekday === 0 || weekday === 6) return;
    const portal = this.account.portals.find((p) => p.type === "code");
    if (!portal) return;
    for (let i = this.rng.int(1, 3); i > 0; i--) {
      const at = clock(dayStart, this.rng.int(540, 1020));
      const on = agents.filter((a) => within(a.signedIn, at));
      if (on.length === 0 || at + CODE_LIFETIME_MS > this.until) continue;
      this.rows.codes.push({
        id: randomUUID(),
        account_id: this.account.id,
        portal_id: portal.id,
        agent_id: this.rng.pick(on).agent.id,
        code: String(this.rng.int(0, 999_999_999)).padStart(9, "0"),
        name: this.rng.chance(0.7) ? this.customer("en").name : "",
        state: this.rng.chance(0.3) ? "canceled" : "expired",
        created_at: at,
        expires_at: at + CODE_LIFETIME_MS,
        redeemed_at: null,
        request_id: null,
      });
    }
  }

  /** An ended session: 2–6 chat lines, the agent's outcome, maybe the customer's rating. */
  private session(
    requestId: string,
    agent: DemoAgentRef,
    startedAt: number,
    endedAt: number,
    topic: Topic,
    language: Language,
    values: { hi: string; order: string; customer: string },
  ): { session: Insertable<SessionTable>; messages: Insertable<MessageTable>[] } {
    const rng = this.rng;
    const agentFirst = agent.name.split(" ")[0] ?? agent.name;
    const count = rng.weighted([
      [2, 1],
      [3, 1.5],
      [4, 2.5],
      [5, 2],
      [6, 2],
    ] as const);
    const texts = { ...values, agent: agentFirst };
    const messages = topic.lines.slice(0, count).map(([who, text], i): Insertable<MessageTable> => {
      const fromAgent = who === "a";
      return {
        session_id: requestId,
        seq: i + 1,
        account_id: this.account.id,
        sender: fromAgent ? "agent" : "customer",
        author_name: fromAgent ? agent.name : values.customer,
        body: fill(text, texts),
        created_at: startedAt + Math.floor(((endedAt - startedAt) * (i + 1)) / (count + 1)),
        visibility: "all",
        author_id: fromAgent ? agent.id : null,
        event: null,
      };
    });
    const last = messages.length;
    const outcome = rng.weighted([
      ["resolved", 64],
      ["unresolved", 13],
      ["unknown", 8],
      [null, 15],
    ] as const);
    const prefix = this.flavour === "shop" ? "WS" : this.flavour === "desk" ? "QD" : "PS";
    const ticket =
      (outcome === "unresolved" && rng.chance(0.6)) || (outcome === "resolved" && rng.chance(0.08))
        ? `${prefix}-${rng.int(10000, 99999)}`
        : null;
    const notes = outcome !== null && rng.chance(0.15) ? rng.pick(NOTES) : null;
    let rating: number | null = null;
    let comment: string | null = null;
    if (rng.chance(0.4)) {
      rating =
        outcome === "unresolved"
          ? rng.weighted([
              [5, 15],
              [4, 20],
              [3, 25],
              [2, 20],
              [1, 20],
            ] as const)
          : rng.weighted([
              [5, 46],
              [4, 28],
              [3, 12],
              [2, 7],
              [1, 7],
            ] as const);
      if (rng.chance(0.3)) {
        const mood = rating >= 4 ? "good" : rating === 3 ? "mixed" : "bad";
        comment = fill(rng.pick(COMMENTS[language][mood]), { agent: agentFirst });
      }
    }
    return {
      session: {
        id: requestId,
        account_id: this.account.id,
        request_id: requestId,
        agent_id: agent.id,
        started_at: startedAt,
        ended_at: endedAt,
        last_seq: last,
        ended_by: rng.chance(0.75) ? "agent" : "customer",
        outcome,
        notes,
        ticket,
        rating,
        comment,
        // Both sides saw and read every line.
        agent_delivered_seq: last,
        agent_read_seq: last,
        customer_delivered_seq: last,
        customer_read_seq: last,
        share_state: null,
      },
      messages,
    };
  }

  /**
   * One signed-in row per console connection (kept open until the agent's last session of it has
   * ended) and one available row per spell inside it; all ended by the end of the history, as
   * store/agentTime.ts closes them (seen_at = ended_at).
   */
  private intervals(days: readonly AgentDay[]): void {
    for (const d of days) {
      const sessions = this.busy.get(d.agent.id) ?? [];
      for (const s of d.signedIn) {
        const closes = s.end;
        for (const x of sessions)
          if (x.start >= s.start && x.start < closes && x.end + MINUTE > s.end)
            s.end = x.end + this.rng.int(1, 3) * MINUTE;
        const start = s.start;
        const end = Math.min(s.end, this.until);
        if (end <= start) continue;
        this.interval(d.agent.id, "signed-in", start, end);
        for (const a of d.available) {
          if (a.start < start || a.start >= s.end) continue;
          const aEnd = Math.min(a.end, end);
          if (aEnd > a.start) this.interval(d.agent.id, "available", a.start, aEnd);
        }
      }
    }
  }

  private interval(userId: string, kind: "signed-in" | "available", start: number, end: number): void {
    this.rows.agent_intervals.push({
      id: randomUUID(),
      account_id: this.account.id,
      user_id: userId,
      kind,
      started_at: start,
      ended_at: end,
      seen_at: end,
    });
  }
}

async function inChunks<T>(rows: readonly T[], write: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await write(rows.slice(i, i + CHUNK));
}

/** Parents before children (SQLite checks foreign keys at once). */
async function writeRows(trx: Kysely<Database>, rows: Rows): Promise<void> {
  await inChunks(rows.codes, (c) => trx.insertInto("codes").values(c).execute());
  await inChunks(rows.requests, (c) => trx.insertInto("requests").values(c).execute());
  await inChunks(rows.request_events, (c) => trx.insertInto("request_events").values(c).execute());
  await inChunks(rows.sessions, (c) => trx.insertInto("sessions").values(c).execute());
  await inChunks(rows.messages, (c) => trx.insertInto("messages").values(c).execute());
  await inChunks(rows.offers, (c) => trx.insertInto("offers").values(c).execute());
  await inChunks(rows.agent_intervals, (c) => trx.insertInto("agent_intervals").values(c).execute());
}

/**
 * Writes four weeks of history for each demo account, ending a minute before now, one
 * transaction per account, and sets the account's `demo_history_until`.
 */
export async function generateDemoHistory(
  deps: Deps,
  accounts: readonly DemoAccountRef[],
): Promise<DemoHistoryResult> {
  const started = performance.now();
  const until = deps.now() - END_MARGIN_MS;
  const numbers = new Set<string>();
  const hashes = new TokenHashes();
  const daysByZone = new Map<string, LocalDay[]>();
  const counts: DemoHistoryCounts = {
    requests: 0,
    requestEvents: 0,
    sessions: 0,
    messages: 0,
    offers: 0,
    codes: 0,
    agentIntervals: 0,
  };
  for (const [i, account] of accounts.entries()) {
    if (account.portals.length === 0 || account.agents.length === 0) continue;
    const rng = new Rng(seedOf(`${Math.floor(until / MINUTE)}:${i}:${account.mode}`));
    const history = new AccountHistory(rng, account, until, numbers, hashes);
    let days = daysByZone.get(account.timeZone);
    if (!days) {
      days = localDays(account.timeZone, until);
      daysByZone.set(account.timeZone, days);
    }
    history.generate(days);
    const rows = history.rows;
    await deps.db.kysely.transaction().execute(async (trx) => {
      await writeRows(trx, rows);
      await trx
        .updateTable("accounts")
        .set({ demo_history_until: until })
        .where("id", "=", account.id)
        .execute();
    });
    counts.requests += rows.requests.length;
    counts.requestEvents += rows.request_events.length;
    counts.sessions += rows.sessions.length;
    counts.messages += rows.messages.length;
    counts.offers += rows.offers.length;
    counts.codes += rows.codes.length;
    counts.agentIntervals += rows.agent_intervals.length;
  }
  return { ...counts, until, ms: Math.round(performance.now() - started) };
}
