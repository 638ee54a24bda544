import type { Language } from "../../shared/model.js";

/**
 * The emails Helpgate sends, rendered (pure): subject, plain text and HTML, in the recipient's
 * language. Rendered when the email is queued, so the outbox row is exactly what goes out.
 */

export type EmailKind =
  | "offline-message"
  | "unanswered-request"
  | "session-code"
  | "transcript"
  | "invitation"
  | "password-reset"
  | "webhook-disabled";

export interface RenderedEmail {
  kind: EmailKind;
  to: string[];
  replyTo?: string;
  language: Language;
  subject: string;
  text: string;
  html: string;
}

export interface CustomerDetails {
  portalName: string;
  sessionNumber: string;
  customerName: string;
  customerEmail: string;
  contact: Record<string, string>;
  question: string;
  at: number;
  consoleUrl: string;
}

export type EmailInput =
  | { kind: "offline-message"; request: CustomerDetails }
  | { kind: "unanswered-request"; request: CustomerDetails; waitedSeconds: number }
  | {
      kind: "session-code";
      agentName: string;
      code: string;
      joinUrl: string;
      validMinutes: number;
      /** Whom the agent is talking to, for the greeting. */
      customerName?: string;
    }
  | {
      kind: "transcript";
      portalName: string;
      agentName: string;
      sessionNumber: string;
      startedAt: number;
      lines: { at: number; who: string; text: string; note: boolean }[];
    }
  | { kind: "invitation"; accountName: string; inviterName: string; link: string; role: string }
  | { kind: "password-reset"; link: string }
  | { kind: "webhook-disabled"; url: string; failingSince: number; lastError: string; adminUrl: string };

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

function when(at: number, language: Language): string {
  return new Intl.DateTimeFormat(language === "de" ? "de-DE" : "en-GB", {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: "UTC",
  }).format(new Date(at));
}

function spaced(sessionNumber: string): string {
  return sessionNumber.replace(/^(\d{3})(\d{3})(\d{3})$/, "$1 $2 $3");
}

/** A block of the body: a paragraph, a list of label/value rows, a button-like link, or pre text. */
type Block =
  | { p: string }
  | { rows: [string, string][] }
  | { link: string; label: string }
  | { quote: string }
  | { chat: { at: string; who: string; text: string; note: boolean }[] };

function toText(blocks: Block[]): string {
  const out: string[] = [];
  for (const b of blocks) {
    if ("p" in b) out.push(b.p);
    else if ("rows" in b) out.push(b.rows.map(([k, v]) => `${k}: ${v}`).join("\n"));
    else if ("link" in b) out.push(`${b.label}:\n${b.link}`);
    else if ("quote" in b)
      out.push(
        b.quote
          .split("\n")
          .map((l) => `> ${l}`)
          .join("\n"),
      );
    else out.push(b.chat.map((l) => `[${l.at}] ${l.who}: ${l.text}`).join("\n"));
  }
  return `${out.join("\n\n")}\n\n-- \nHelpgate\n`;
}

function toHtml(language: Language, subject: string, blocks: Block[]): string {
  const body = blocks
    .map((b) => {
      if ("p" in b) return `<p>${escapeHtml(b.p)}</p>`;
      if ("rows" in b)
        return `<table role="presentation" style="border-collapse:collapse">${b.rows
          .map(
            ([k, v]) =>
              `<tr><th align="left" style="padding:2px 12px 2px 0;color:#555;font-weight:600">${escapeHtml(k)}</th><td style="padding:2px 0">${escapeHtml(v)}</td></tr>`,
          )
          .join("")}</table>`;
      if ("link" in b)
        return `<p><a href="${escapeHtml(b.link)}" style="display:inline-block;background:#1f6feb;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">${escapeHtml(b.label)}</a></p><p style="color:#555;font-size:13px">${escapeHtml(b.link)}</p>`;
      if ("quote" in b)
        return `<blockquote style="margin:0;padding:8px 12px;border-left:3px solid #ccc;white-space:pre-wrap">${escapeHtml(b.quote)}</blockquote>`;
      return `<table role="presentation" style="border-collapse:collapse;font-size:14px">${b.chat
        .map(
          (l) =>
            `<tr${l.note ? ' style="background:#fff8e1"' : ""}><td style="padding:2px 8px 2px 0;color:#777;white-space:nowrap">${escapeHtml(l.at)}</td><td style="padding:2px 8px 2px 0;font-weight:600">${escapeHtml(l.who)}</td><td style="padding:2px 0;white-space:pre-wrap">${escapeHtml(l.text)}</td></tr>`,
        )
        .join("")}</table>`;
    })
    .join("\n");
  return `<!doctype html><html lang="${language}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body style="font-family:system-ui,sans-serif;color:#1b1f24;line-height:1.5;max-width:640px">${body}<p style="color:#777;font-size:12px">Helpgate</p></body></html>`;
}

function customerRows(r: CustomerDetails, de: boolean, language: Language): [string, string][] {
  const rows: [string, string][] = [
    [de ? "Portal" : "Portal", r.portalName],
    [de ? "Sitzungs-ID" : "Session ID", spaced(r.sessionNumber)],
    [de ? "Zeit" : "Time", `${when(r.at, language)} UTC`],
    [de ? "Name" : "Name", r.customerName || "—"],
  ];
  if (r.customerEmail) rows.push([de ? "E-Mail" : "Email", r.customerEmail]);
  for (const [k, v] of Object.entries(r.contact)) if (v && k !== "name" && k !== "email") rows.push([k, v]);
  return rows;
}

/** Subject and body of one email in `language`. */
export function renderEmail(
  input: EmailInput,
  to: string[],
  language: Language,
  replyTo?: string,
): RenderedEmail {
  const de = language === "de";
  let subject: string;
  let blocks: Block[];
  switch (input.kind) {
    case "offline-message": {
      const r = input.request;
      subject = de
        ? `Nachricht von ${r.customerName || "einem Kunden"} (${r.portalName})`
        : `Message from ${r.customerName || "a customer"} (${r.portalName})`;
      blocks = [
        {
          p: de
            ? "Ein Kunde hat eine Nachricht hinterlassen, als niemand verfügbar war."
            : "A customer left a message while nobody was available.",
        },
        { rows: customerRows(r, de, language) },
        { quote: r.question || "—" },
        { link: r.consoleUrl, label: de ? "In der Agentenkonsole öffnen" : "Open in the agent console" },
      ];
      if (r.customerEmail)
        blocks.splice(3, 0, {
          p: de
            ? "Antworten Sie auf diese E-Mail, um dem Kunden zu schreiben."
            : "Reply to this email to write to the customer.",
        });
      break;
    }
    case "unanswered-request": {
      const r = input.request;
      const minutes = Math.max(1, Math.round(input.waitedSeconds / 60));
      subject = de
        ? `Unbeantwortet: ${r.customerName || "ein Kunde"} (${r.portalName})`
        : `Nobody answered ${r.customerName || "a customer"} (${r.portalName})`;
      blocks = [
        {
          p: de
            ? `Ein Kunde hat ${minutes} Min. gewartet und keine Antwort bekommen.`
            : `A customer waited ${minutes} min and got no answer.`,
        },
        { rows: customerRows(r, de, language) },
        { quote: r.question || "—" },
        { link: r.consoleUrl, label: de ? "Verlauf in der Agentenkonsole" : "History in the agent console" },
      ];
      break;
    }
    case "session-code": {
      const code = input.code.replace(/^(\d{3})(\d{3})(\d{3})$/, "$1 $2 $3");
      const minutes = Math.max(1, Math.round(input.validMinutes));
      subject = de ? `Ihr Sitzungscode: ${code}` : `Your session code: ${code}`;
      blocks = [
        ...(input.customerName
          ? [{ p: de ? `Hallo ${input.customerName},` : `Hello ${input.customerName},` }]
          : []),
        {
          p: de
            ? `${input.agentName} lädt Sie zu einer Support-Sitzung ein.`
            : `${input.agentName} invites you to a support session.`,
        },
        { link: input.joinUrl, label: de ? "Sitzung beitreten" : "Join the session" },
        {
          p: de
            ? `Oder geben Sie den Code ${code} auf der Seite ein. Er gilt etwa ${minutes} Min. und nur einmal.`
            : `Or enter the code ${code} on the page. It is valid for about ${minutes} min and only once.`,
        },
      ];
      break;
    }
    case "transcript": {
      subject = de
        ? `Verlauf Ihrer Sitzung ${spaced(input.sessionNumber)} (${input.portalName})`
        : `Transcript of your session ${spaced(input.sessionNumber)} (${input.portalName})`;
      blocks = [
        {
          p: de
            ? `Hier ist der Chatverlauf Ihrer Sitzung mit ${input.agentName} vom ${when(input.startedAt, language)} UTC.`
            : `Here is the chat of your session with ${input.agentName} on ${when(input.startedAt, language)} UTC.`,
        },
        {
          chat: input.lines.map((l) => ({
            at: new Date(l.at).toISOString().slice(11, 16),
            who: l.note ? `${l.who} (${de ? "Notiz" : "note"})` : l.who,
            text: l.text,
            note: l.note,
          })),
        },
      ];
      break;
    }
    case "invitation": {
      subject = de
        ? `Einladung zu Helpgate (${input.accountName})`
        : `You are invited to Helpgate (${input.accountName})`;
      blocks = [
        {
          p: de
            ? `${input.inviterName} hat Sie zu ${input.accountName} in Helpgate eingeladen (Rolle: ${input.role}).`
            : `${input.inviterName} invited you to ${input.accountName} on Helpgate (role: ${input.role}).`,
        },
        { link: input.link, label: de ? "Passwort festlegen" : "Set your password" },
        {
          p: de
            ? "Der Link gilt 24 Stunden und nur einmal. Wenn Sie keine Einladung erwartet haben, ignorieren Sie diese E-Mail."
            : "The link is valid for 24 hours and only once. If you did not expect an invitation, ignore this email.",
        },
      ];
      break;
    }
    case "password-reset": {
      subject = de ? "Neues Passwort für Helpgate" : "Reset your Helpgate password";
      blocks = [
        {
          p: de
            ? "Jemand (hoffentlich Sie) hat ein neues Passwort angefordert."
            : "Someone (hopefully you) asked to reset your password.",
        },
        { link: input.link, label: de ? "Neues Passwort festlegen" : "Choose a new password" },
        {
          p: de
            ? "Der Link gilt 30 Minuten und nur einmal. Wenn Sie das nicht waren, ignorieren Sie diese E-Mail; Ihr Passwort bleibt, wie es ist."
            : "The link is valid for 30 minutes and only once. If this was not you, ignore this email; your password stays as it is.",
        },
      ];
      break;
    }
    case "webhook-disabled": {
      subject = de ? `Webhook abgeschaltet: ${input.url}` : `Webhook switched off: ${input.url}`;
      blocks = [
        {
          p: de
            ? `Alle Zustellungen an diesen Webhook schlagen seit ${when(input.failingSince, language)} UTC fehl. Helpgate hat ihn abgeschaltet.`
            : `Every delivery to this webhook has failed since ${when(input.failingSince, language)} UTC. Helpgate switched it off.`,
        },
        {
          rows: [
            [de ? "Adresse" : "Address", input.url],
            [de ? "Letzter Fehler" : "Last error", input.lastError],
          ],
        },
        {
          link: input.adminUrl,
          label: de ? "Webhook prüfen und wieder einschalten" : "Check the webhook and switch it on again",
        },
      ];
      break;
    }
  }
  return {
    kind: input.kind,
    to,
    ...(replyTo ? { replyTo } : {}),
    language,
    subject,
    text: toText(blocks),
    html: toHtml(language, subject, blocks),
  };
}
