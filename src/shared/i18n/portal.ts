import type { ChatMessage } from "../protocol.js";

/**
 * Every text a customer sees on the portal pages, the waiting page and the chat. The server
 * renders with it and the portal bundle uses it for what changes live, so both say the same.
 */
const en = {
  poweredBy: "Secure support by Helpgate",
  required: "required",
  optional: "optional",
  summaryTitle: "Please correct the marked fields.",
  errorGeneric: "That did not work. Please try again.",
  errorNetwork: "The server cannot be reached. Check your connection and try again.",
  sending: "Sending…",
  errorPageTitle: "Something went wrong",
  errorPageText: "Please go back and try again in a moment.",

  fieldName: "Your name",
  fieldEmail: "Email",
  fieldPhone: "Phone",
  fieldCompany: "Company",
  fieldProblem: "Problem description",
  fieldQuestion: "Your question",
  questionHint: "Describe what you need help with, in a few sentences.",
  choose: "Choose…",
  counter: "{count} of {limit} characters",
  counterOver: "{count} of {limit} characters — {over} too many",

  pickAgentLegend: "Choose who you want to talk to",
  pickAgentHint: "Only agents who are available right now can be chosen.",
  statusAvailable: "Available",
  statusBusy: "Busy",
  statusOffline: "Offline",
  submitPickAgent: "Start chat",
  submitQuestion: "Send question",
  contactAgent: "Contact an agent",
  buttonHint: "An agent answers right here in your browser. There is nothing to install.",
  agentsGone: "No agent is available any more.",
  agentsBack: "An agent is available again.",
  askLive: "Ask for live help",

  codeLabel: "Session code",
  codeHint: "The 9 digits the agent gave you, for example 123\u00a0456\u00a0789.",
  codeSubmit: "Connect",

  offlineTitle: "No agent is available right now",
  closedTitle: "We are closed right now",
  closedOpensAt: "We open again {when} ({zone} time). Leave us a message and we will answer by email.",
  closedNoOpening: "Leave us a message and we will answer by email as soon as we can.",
  offlineText: "Leave us a message and we will answer by email as soon as we can.",
  offlineAfterSubmit:
    "In the meantime every agent has become busy. Leave us a message instead — what you typed is kept.",
  offlineMessage: "Your message",
  offlineSubmit: "Send message",
  offlineSentTitle: "Thank you — your message has been sent",
  offlineSentText: "We will answer by email as soon as an agent is back.",
  offlineLink: "Leave a message instead",
  backToPortal: "Back to the start page",

  joinTitle: "Join a support session",
  joinText: "Enter the 9-digit code the support agent gave you, for example on the phone.",

  waitingTitle: "Please wait a moment",
  waitingNextBroadcast:
    "Your request has been sent to our agents. The first one who is free answers right here — please keep this page open.",
  waitingNextTargeted:
    "Your request has been sent to the agent you chose. They answer right here — please keep this page open.",
  waitingNextQueue:
    "You are in line. When it is your turn, the next free agent answers right here — please keep this page open.",
  queuePosition: "Your place in line",
  queueWait: "Estimated wait",
  queueWaitMinutes: "about {minutes} min",
  queueWaitUnderMinute: "under a minute",
  queueWaitUnknown: "not known yet",
  sessionId: "Session ID",
  sessionIdHint: "Mention your session ID if you call us.",
  timeWaited: "Time waited",
  cancelRequest: "Cancel request",
  refreshNote: "This page updates itself every 10 seconds.",
  reconnecting: "Connection lost — reconnecting…",

  acceptedTitle: "{agent} is with you",
  connectedTitle: "You are connected",
  chatHeading: "Chat",
  chatMessages: "Messages",
  chatEmpty: "Say hello — your messages appear here.",
  chatInput: "Your message",
  chatPlaceholder: "Write a message…",
  chatHint: "Enter sends, Shift+Enter starts a new line.",
  chatSend: "Send",
  chatYou: "You",
  chatEnd: "End session",
  chatReloadNote: "Reload the page to see new messages.",
  transcript: "Conversation",
  shareAsk: "The agent asks to see your screen",
  shareAskText:
    "Your browser will let you choose what to share: a window, a tab or the whole screen. You can stop at any time.",
  shareYes: "Share my screen",
  shareNo: "Not now",
  shareBanner: "Your screen is being shared",
  shareStop: "Stop sharing",
  shareStarting: "Starting screen sharing…",
  shareStoppedByYou: "You stopped sharing your screen.",
  shareStoppedByAgent: "The agent stopped viewing your screen.",
  shareStoppedByTransfer: "Screen sharing stopped: the conversation moved to another agent.",
  shareDeclined: "You did not share your screen.",
  shareFailed: "Screen sharing did not work: {reason}",
  shareRefused: "the browser did not allow it",
  shareLost: "the connection was lost",
  sharePointer: "Agent's pointer",
  surveyTitle: "How did we do?",
  surveyRating: "Your rating (1 = poor, 5 = excellent)",
  surveyComment: "Comment",
  surveySend: "Send",
  surveyThanks: "Thank you for your feedback!",
  surveyRatingRequired: "Choose a rating from 1 to 5.",
  transcriptTxt: "Download the conversation (text)",
  transcriptJson: "Download the conversation (JSON)",
  typingAgent: "{name} is typing…",
  systemOwnerChanged: "You are now talking to {name}",
  systemJoined: "{name} joined the conversation",
  systemLeft: "{name} left the conversation",
  systemMonitorStarted: "A supervisor ({name}) is following the conversation",
  systemMonitorStopped: "The supervisor stopped following the conversation",
  systemShareStopped: "Screen sharing stopped because another agent took over the conversation",
  receiptDelivered: "Delivered",
  receiptRead: "Read",

  endedTitle: "The session has ended",
  endedText: "Thank you for contacting us.",
  canceledTitle: "Your request was canceled",
  canceledText: "You can start a new request at any time.",
  unavailableTitle: "The agent you chose is not available",
  unavailableText: "They could not answer just now. Choose another agent, or leave us a message.",
  noResponseTitle: "Sorry, nobody could answer in time",
  noResponseText: "All our agents are busy. Leave us a message and we will get back to you.",
  chooseAnother: "Choose another agent",
  leaveMessage: "Leave a message",
  newRequest: "Start a new request",

  errRequired: "Please fill this in.",
  errQuestionRequired: "Please describe what you need help with.",
  errTooLong: "At most {limit} characters.",
  errInvalidEmail: "Enter an email address such as name@example.com.",
  errInvalidPhone: "Enter a phone number: digits, spaces, + ( ) - only.",
  errNotAnOption: "Choose one of the options.",
  errChooseAgent: "Choose the agent you want to talk to.",
  errAgentUnavailable: "{name} is not available right now. Choose another agent or leave a message.",
  errCodeRequired: "Enter the 9-digit code the agent gave you.",
  errCodeNotDigits: "The code has only digits (0–9); check what you typed.",
  errCodeLength: "The code has 9 digits; you typed {length}.",
  errUnknownCode: "This code is not valid (it may have expired or been used). Check it with the agent.",
  errTooManyAttemptsOne: "Too many attempts. Try again in 1 minute.",
  errTooManyAttempts: "Too many attempts. Try again in {minutes} minutes.",
  errTooManySubmitsOne:
    "Too many requests from your network to this page in a short time. Please try again in 1 minute.",
  errTooManySubmits:
    "Too many requests from your network to this page in a short time. Please try again in {minutes} minutes.",
  errMessageRequired: "Type a message first.",
  errMessageTooLong: "A message can have at most {limit} characters.",
  errSessionEnded: "This session has ended.",
};

export type PortalTextKey = keyof typeof en;
export type PortalTexts = Record<PortalTextKey, string>;

const de: PortalTexts = {
  poweredBy: "Sicherer Support mit Helpgate",
  required: "Pflichtfeld",
  optional: "optional",
  summaryTitle: "Bitte korrigieren Sie die markierten Felder.",
  errorGeneric: "Das hat nicht geklappt. Bitte versuchen Sie es noch einmal.",
  errorNetwork:
    "Der Server ist nicht erreichbar. Prüfen Sie Ihre Verbindung und versuchen Sie es noch einmal.",
  sending: "Wird gesendet …",
  errorPageTitle: "Etwas ist schiefgegangen",
  errorPageText: "Bitte gehen Sie zurück und versuchen Sie es gleich noch einmal.",

  fieldName: "Ihr Name",
  fieldEmail: "E-Mail",
  fieldPhone: "Telefon",
  fieldCompany: "Firma",
  fieldProblem: "Problembeschreibung",
  fieldQuestion: "Ihre Frage",
  questionHint: "Beschreiben Sie in ein paar Sätzen, wobei Sie Hilfe brauchen.",
  choose: "Bitte wählen …",
  counter: "{count} von {limit} Zeichen",
  counterOver: "{count} von {limit} Zeichen – {over} zu viel",

  pickAgentLegend: "Wählen Sie, mit wem Sie sprechen möchten",
  pickAgentHint: "Wählbar sind nur Mitarbeiter, die gerade erreichbar sind.",
  statusAvailable: "Erreichbar",
  statusBusy: "Beschäftigt",
  statusOffline: "Offline",
  submitPickAgent: "Chat starten",
  submitQuestion: "Frage senden",
  contactAgent: "Einen Mitarbeiter kontaktieren",
  buttonHint: "Ein Mitarbeiter antwortet direkt hier im Browser. Sie müssen nichts installieren.",
  agentsGone: "Gerade ist kein Mitarbeiter mehr erreichbar.",
  agentsBack: "Ein Mitarbeiter ist wieder erreichbar.",
  askLive: "Live-Hilfe anfragen",

  codeLabel: "Sitzungscode",
  codeHint: "Die 9 Ziffern, die Ihnen der Mitarbeiter genannt hat, zum Beispiel 123\u00a0456\u00a0789.",
  codeSubmit: "Verbinden",

  offlineTitle: "Gerade ist kein Mitarbeiter erreichbar",
  closedTitle: "Wir haben gerade geschlossen",
  closedOpensAt:
    "Wir sind wieder für Sie da: {when} (Zeitzone {zone}). Hinterlassen Sie uns eine Nachricht – wir antworten per E-Mail.",
  closedNoOpening: "Hinterlassen Sie uns eine Nachricht – wir antworten so bald wie möglich per E-Mail.",
  offlineText: "Hinterlassen Sie uns eine Nachricht – wir antworten so bald wie möglich per E-Mail.",
  offlineAfterSubmit:
    "Inzwischen sind alle Mitarbeiter beschäftigt. Hinterlassen Sie uns stattdessen eine Nachricht – Ihre Eingaben bleiben erhalten.",
  offlineMessage: "Ihre Nachricht",
  offlineSubmit: "Nachricht senden",
  offlineSentTitle: "Vielen Dank – Ihre Nachricht wurde gesendet",
  offlineSentText: "Wir antworten per E-Mail, sobald wieder ein Mitarbeiter da ist.",
  offlineLink: "Stattdessen eine Nachricht hinterlassen",
  backToPortal: "Zurück zur Startseite",

  joinTitle: "Einer Support-Sitzung beitreten",
  joinText: "Geben Sie den 9-stelligen Code ein, den Ihnen der Mitarbeiter genannt hat, etwa am Telefon.",

  waitingTitle: "Einen Moment bitte",
  waitingNextBroadcast:
    "Ihre Anfrage ist bei unseren Mitarbeitern angekommen. Wer zuerst frei ist, antwortet direkt hier – bitte lassen Sie diese Seite geöffnet.",
  waitingNextTargeted:
    "Ihre Anfrage ist bei dem Mitarbeiter angekommen, den Sie gewählt haben. Die Antwort kommt direkt hier – bitte lassen Sie diese Seite geöffnet.",
  waitingNextQueue:
    "Sie sind in der Warteschlange. Wenn Sie an der Reihe sind, antwortet der nächste freie Mitarbeiter direkt hier – bitte lassen Sie diese Seite geöffnet.",
  queuePosition: "Ihr Platz in der Warteschlange",
  queueWait: "Geschätzte Wartezeit",
  queueWaitMinutes: "etwa {minutes} Min.",
  queueWaitUnderMinute: "unter einer Minute",
  queueWaitUnknown: "noch unbekannt",
  sessionId: "Sitzungs-ID",
  sessionIdHint: "Nennen Sie Ihre Sitzungs-ID, wenn Sie uns anrufen.",
  timeWaited: "Wartezeit",
  cancelRequest: "Anfrage abbrechen",
  refreshNote: "Diese Seite aktualisiert sich alle 10 Sekunden.",
  reconnecting: "Verbindung unterbrochen – wird wiederhergestellt …",

  acceptedTitle: "{agent} ist für Sie da",
  connectedTitle: "Sie sind verbunden",
  chatHeading: "Chat",
  chatMessages: "Nachrichten",
  chatEmpty: "Sagen Sie Hallo – Ihre Nachrichten erscheinen hier.",
  chatInput: "Ihre Nachricht",
  chatPlaceholder: "Nachricht schreiben …",
  chatHint: "Eingabetaste sendet, Umschalt+Eingabetaste beginnt eine neue Zeile.",
  chatSend: "Senden",
  chatYou: "Sie",
  chatEnd: "Sitzung beenden",
  chatReloadNote: "Laden Sie die Seite neu, um neue Nachrichten zu sehen.",
  transcript: "Gesprächsverlauf",
  shareAsk: "Der Agent möchte Ihren Bildschirm sehen",
  shareAskText:
    "Ihr Browser lässt Sie wählen, was Sie teilen: ein Fenster, einen Tab oder den ganzen Bildschirm. Sie können jederzeit aufhören.",
  shareYes: "Meinen Bildschirm teilen",
  shareNo: "Jetzt nicht",
  shareBanner: "Ihr Bildschirm wird geteilt",
  shareStop: "Teilen beenden",
  shareStarting: "Bildschirmfreigabe wird gestartet…",
  shareStoppedByYou: "Sie haben das Teilen Ihres Bildschirms beendet.",
  shareStoppedByAgent: "Der Agent sieht Ihren Bildschirm nicht mehr.",
  shareStoppedByTransfer:
    "Die Bildschirmfreigabe wurde beendet: Das Gespräch ist an einen anderen Mitarbeiter gegangen.",
  shareDeclined: "Sie haben Ihren Bildschirm nicht geteilt.",
  shareFailed: "Die Bildschirmfreigabe hat nicht funktioniert: {reason}",
  shareRefused: "der Browser hat es nicht erlaubt",
  shareLost: "die Verbindung wurde unterbrochen",
  sharePointer: "Zeiger des Agenten",
  surveyTitle: "Wie waren wir?",
  surveyRating: "Ihre Bewertung (1 = schlecht, 5 = ausgezeichnet)",
  surveyComment: "Kommentar",
  surveySend: "Senden",
  surveyThanks: "Vielen Dank für Ihre Rückmeldung!",
  surveyRatingRequired: "Wählen Sie eine Bewertung von 1 bis 5.",
  transcriptTxt: "Unterhaltung herunterladen (Text)",
  transcriptJson: "Unterhaltung herunterladen (JSON)",
  typingAgent: "{name} schreibt…",
  systemOwnerChanged: "Sie sprechen jetzt mit {name}",
  systemJoined: "{name} ist dem Gespräch beigetreten",
  systemLeft: "{name} hat das Gespräch verlassen",
  systemMonitorStarted: "Eine Teamleitung ({name}) verfolgt das Gespräch",
  systemMonitorStopped: "Die Teamleitung verfolgt das Gespräch nicht mehr",
  systemShareStopped:
    "Die Bildschirmfreigabe wurde beendet, weil ein anderer Mitarbeiter das Gespräch übernommen hat",
  receiptDelivered: "Zugestellt",
  receiptRead: "Gelesen",

  endedTitle: "Die Sitzung ist beendet",
  endedText: "Vielen Dank für Ihre Anfrage.",
  canceledTitle: "Ihre Anfrage wurde abgebrochen",
  canceledText: "Sie können jederzeit eine neue Anfrage stellen.",
  unavailableTitle: "Ihr gewählter Ansprechpartner ist nicht erreichbar",
  unavailableText:
    "Leider kam gerade keine Antwort. Wählen Sie einen anderen Mitarbeiter oder hinterlassen Sie uns eine Nachricht.",
  noResponseTitle: "Leider konnte niemand rechtzeitig antworten",
  noResponseText:
    "Alle Mitarbeiter sind beschäftigt. Hinterlassen Sie uns eine Nachricht, wir melden uns bei Ihnen.",
  chooseAnother: "Anderen Mitarbeiter wählen",
  leaveMessage: "Nachricht hinterlassen",
  newRequest: "Neue Anfrage stellen",

  errRequired: "Bitte füllen Sie dieses Feld aus.",
  errQuestionRequired: "Bitte beschreiben Sie, wobei Sie Hilfe brauchen.",
  errTooLong: "Höchstens {limit} Zeichen.",
  errInvalidEmail: "Geben Sie eine E-Mail-Adresse ein, etwa name@example.com.",
  errInvalidPhone: "Geben Sie eine Telefonnummer ein: nur Ziffern, Leerzeichen und + ( ) -.",
  errNotAnOption: "Wählen Sie eine der Möglichkeiten.",
  errChooseAgent: "Wählen Sie den Mitarbeiter, mit dem Sie sprechen möchten.",
  errAgentUnavailable:
    "{name} ist gerade nicht erreichbar. Wählen Sie einen anderen Mitarbeiter oder hinterlassen Sie eine Nachricht.",
  errCodeRequired: "Geben Sie den 9-stelligen Code ein, den Ihnen der Mitarbeiter genannt hat.",
  errCodeNotDigits: "Der Code besteht nur aus Ziffern (0–9); prüfen Sie Ihre Eingabe.",
  errCodeLength: "Der Code hat 9 Ziffern; Sie haben {length} eingegeben.",
  errUnknownCode:
    "Dieser Code ist nicht gültig (vielleicht ist er abgelaufen oder wurde schon benutzt). Fragen Sie beim Mitarbeiter nach.",
  errTooManyAttemptsOne: "Zu viele Versuche. Versuchen Sie es in 1 Minute noch einmal.",
  errTooManyAttempts: "Zu viele Versuche. Versuchen Sie es in {minutes} Minuten noch einmal.",
  errTooManySubmitsOne:
    "Zu viele Anfragen aus Ihrem Netzwerk an diese Seite in kurzer Zeit. Bitte versuchen Sie es in 1 Minute noch einmal.",
  errTooManySubmits:
    "Zu viele Anfragen aus Ihrem Netzwerk an diese Seite in kurzer Zeit. Bitte versuchen Sie es in {minutes} Minuten noch einmal.",
  errMessageRequired: "Schreiben Sie zuerst eine Nachricht.",
  errMessageTooLong: "Eine Nachricht darf höchstens {limit} Zeichen haben.",
  errSessionEnded: "Diese Sitzung ist beendet.",
};

export const portalText: { en: PortalTexts; de: PortalTexts } = { en, de };

export function textsFor(lang: string): PortalTexts {
  return lang === "de" ? portalText.de : portalText.en;
}

/** Fills {name} placeholders. */
export function fill(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => (k in params ? String(params[k]) : `{${k}}`));
}

/** "12 of 2000 characters", or how many too many. */
export function counterText(t: PortalTexts, count: number, limit: number): string {
  return count > limit
    ? fill(t.counterOver, { count, limit, over: count - limit })
    : fill(t.counter, { count, limit });
}

/** A field problem as the server reports it (ApiFieldProblem / FieldProblem). */
export interface Problem {
  code: string;
  message: string;
  params?: Record<string, string | number>;
}

/**
 * A server field problem in the page's language. Known codes get the translated text with the
 * server's numbers; anything else keeps the server's own (English) message, which is precise.
 */
export function problemText(t: PortalTexts, field: string, p: Problem): string {
  const n = (k: string) => p.params?.[k] ?? "";
  if (field === "code") {
    switch (p.code) {
      case "required":
        return t.errCodeRequired;
      case "not_digits":
        return t.errCodeNotDigits;
      case "too_short":
      case "too_long":
        return fill(t.errCodeLength, { length: n("length") });
      case "unknown_code":
        return t.errUnknownCode;
      case "too_many_attempts":
        return Number(n("minutes")) === 1
          ? t.errTooManyAttemptsOne
          : fill(t.errTooManyAttempts, { minutes: n("minutes") });
      default:
        return p.message;
    }
  }
  if (field === "body") {
    if (p.code === "required") return t.errMessageRequired;
    if (p.code === "too_long") return fill(t.errMessageTooLong, { limit: n("limit") });
    return p.message;
  }
  switch (p.code) {
    case "required":
      return field === "question" ? t.errQuestionRequired : t.errRequired;
    case "too_long":
      return p.params?.limit !== undefined ? fill(t.errTooLong, { limit: n("limit") }) : p.message;
    case "invalid_email":
      return t.errInvalidEmail;
    case "invalid_phone":
      return t.errInvalidPhone;
    case "not_an_option":
      return t.errNotAnOption;
    case "choose_agent":
      return t.errChooseAgent;
    case "agent_unavailable":
      return fill(t.errAgentUnavailable, { name: n("name") });
    default:
      return p.message;
  }
}

/** The queue estimate in words: null means not enough history yet, 0 under a minute. */
export function queueWaitText(t: PortalTexts, minutes: number | null): string {
  if (minutes === null) return t.queueWaitUnknown;
  if (minutes <= 0) return t.queueWaitUnderMinute;
  return fill(t.queueWaitMinutes, { minutes });
}

/** "m:ss", or "h:mm:ss" from an hour on. */
export function formatWaited(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/**
 * A chat message's text as the customer reads it. System lines that say what happened in the
 * session (an `event`) are put in the page's language; any other message, a system line of a
 * kind this page does not know, or an event without the name it needs keeps its `body`.
 */
export function messageText(t: PortalTexts, m: Pick<ChatMessage, "sender" | "body" | "event">): string {
  const event = m.sender === "system" ? m.event : undefined;
  if (!event) return m.body;
  const name = event.name?.trim() ?? "";
  const named = (template: string) => (name ? fill(template, { name }) : m.body);
  switch (event.kind) {
    case "owner.changed":
      return named(t.systemOwnerChanged);
    case "joined":
      return named(t.systemJoined);
    case "left":
    case "removed":
      return named(t.systemLeft);
    case "monitor.started":
      return named(t.systemMonitorStarted);
    case "monitor.stopped":
      return t.systemMonitorStopped;
    case "share.stopped":
      return t.systemShareStopped;
    default:
      return m.body;
  }
}
