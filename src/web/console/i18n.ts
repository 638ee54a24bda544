import { computed, signal } from "@preact/signals";

/** Every text of the console, English first; German is typed against English's keys. */
const en = {
  appTitle: "Helpgate console",
  brand: "Helpgate",
  consoleName: "Agent console",
  loading: "Loading…",
  skipToMain: "Skip to the lists",

  // sign-in
  signInTitle: "Sign in to the agent console",
  signInIntro: "Use the email address and password your admin gave you.",
  email: "Email",
  password: "Password",
  signIn: "Sign in",
  signingIn: "Signing in…",
  signOut: "Sign out",
  signInFailed: "Sign-in failed: {message}",
  serverUnreachable: "The server cannot be reached. Check your connection and try again.",
  wrongCredentials: "Email or password is wrong.",
  lockedOut: "Too many failed sign-ins for this account. Try again in {minutes} min.",
  rateLimited: "Too many sign-in attempts from your address. Try again in {seconds} s.",
  userDisabled: "This user is disabled. Ask an admin of your account.",
  emailRequired: "Enter your email address.",
  passwordRequired: "Enter your password.",
  operatorTitle: "Operators have no console",
  operatorText:
    "You are signed in as an operator ({email}). The agent console is for agents of an account. Open the admin pages to manage accounts, or sign in with an agent's account.",
  openAdmin: "Open the admin pages",

  // top bar
  available: "Available",
  availableHint: "You receive alerts",
  unavailableHint: "No alerts",
  signedInAs: "Signed in as {name}",
  language: "Language",
  settings: "Settings",
  closeSettings: "Close settings",
  connecting: "Connecting…",
  reconnecting: "Reconnecting… The lists will be brought up to date as soon as the connection is back.",
  reconnected: "Connected again; the lists are up to date.",
  dismiss: "Dismiss",

  // settings
  settingsTitle: "Settings",
  soundOnAlert: "Play a sound for new requests",
  soundRepeat: "Repeat the sound until the request is answered",
  testSound: "Play test sound",
  desktopNotifications: "Desktop notifications",
  enableNotifications: "Enable desktop notifications",
  notificationsOn: "Desktop notifications are on.",
  notificationsDenied: "Desktop notifications are blocked in this browser's site settings.",
  notificationsUnsupported: "This browser does not support desktop notifications.",
  notificationsOff: "Desktop notifications are off.",

  // panes
  panes: "Panes",
  paneIncoming: "Incoming",
  paneSessions: "In session",
  paneHistory: "History & statistics",
  paneDetails: "Details",
  paneOffline: "Offline messages",
  paneCodes: "Session codes",
  showPane: "Show {pane}",

  // incoming
  incomingEmpty: "No one is waiting.",
  incomingEmptyUnavailable: "No one is waiting. Switch to Available to receive alerts.",
  colTimer: "Timer",
  colPortal: "Portal",
  colSessionId: "Session ID",
  colPosted: "Posted",
  colName: "Name",
  colQuestion: "Question",
  colActions: "Actions",
  colOutcome: "Outcome",
  colAgent: "Agent",
  colStarted: "Started",
  colDuration: "Duration",
  colEmail: "Email",
  colMessage: "Message",
  colReceived: "Received",
  timeLeft: "{time} left",
  waited: "{time} waited",
  accept: "Accept",
  acceptRequestFrom: "request from {name}",
  decline: "Decline",
  open: "Open",
  openSessionWith: "session with {name}",
  noName: "(no name)",
  noQuestion: "(no question)",
  forYou: "for you",

  // sessions list
  sessionsEmpty: "No open sessions.",

  // history
  historyEmpty: "No requests today yet.",
  statSessions: "Sessions today",
  statAvgWait: "Average wait",
  statAvgSession: "Average session",
  statNone: "—",
  today: "Today",

  // outcomes
  state_waiting: "Waiting",
  state_accepted: "In session",
  state_ended: "Ended",
  state_canceled: "Canceled",
  state_declined: "Declined",
  "state_no-response": "No response",
  state_offline: "Offline message",

  // kinds
  kind_broadcast: "Broadcast",
  kind_targeted: "For you",
  kind_code: "Session code",
  kind_queue: "Queue",
  kind_invitation: "Invitation",
  kind_transfer: "Transfer",

  // details
  detailsEmpty: "Select a row to see its details.",
  detailsOf: "Request {id}",
  fieldName: "Name",
  fieldEmail: "Email",
  fieldPhone: "Phone",
  fieldCompany: "Company",
  fieldProblem: "Problem description",
  fieldQuestion: "Question",
  fieldPortal: "Portal",
  fieldSessionId: "Session ID",
  fieldKind: "Kind",
  fieldState: "State",
  fieldPosted: "Posted",
  fieldChanged: "Last change",
  fieldAgent: "Agent",
  fieldDeadline: "Answer by",
  fieldWaited: "Waited",

  // offline
  offlineEmpty: "No offline messages in the last 7 days.",

  // alerts
  alertsRegion: "New requests",
  alertTitle: "New request: {name}",
  alertTitleTargeted: "Request for you: {name}",
  alertWaited: "Waiting for {time}",
  alertLeft: "{time} left to answer",
  alreadyTaken: "Already taken by {name}.",
  notWaiting: "This request is no longer waiting.",
  atLimit: "You are at your limit of {max} sessions; end one first.",
  tooManyCodes: "You have {max} live codes, the most allowed; cancel one first.",
  sessionOver: "This session has ended.",
  desktopTitle: "New request from {name}",
  desktopTitleTargeted: "{name} asks for you",

  // codes
  codesIntro: "Create a code, read it to the customer, and they connect straight to you.",
  codeName: "Customer name",
  codeNameRequired: "Enter the customer's name first.",
  codePortal: "Code portal",
  createCode: "Create code",
  creatingCode: "Creating…",
  codesEmpty: "No live codes.",
  colCode: "Code",
  colExpires: "Expires in",
  copyJoinLink: "Copy join link",
  copyPortalLink: "Copy portal link",
  copied: "Copied",
  copyFailed: "Could not copy",
  cancelCode: "Cancel code",
  codeFor: "code for {name}",
  codesLimit: "At most {max} live codes.",
  expired: "Expired",

  // sessions
  sessionArea: "Sessions",
  sessionTabs: "Open sessions",
  noSessions: "No session is open. Accept a request, or create a code, to start one.",
  unread: "{count} unread",
  sessionEnded: "This session has ended.",
  endedByCustomer: "The customer ended the session.",
  endedByAgent: "You ended the session.",
  endSession: "End session",
  ending: "Ending…",
  closeTab: "Close tab",
  customerJoined: "{name} joined with a session code.",
  sessionStarted: "Session started at {time}.",
  messages: "Messages with {name}",
  messageTo: "Message to {name}",
  send: "Send",
  sending: "Sending…",
  sent: "Sent",
  notSent: "Not sent: {message}",
  retry: "Retry",
  enterHint: "Enter sends, Shift+Enter adds a line.",
  you: "You",
  customer: "Customer",
  question: "Question",
  tooLong: "A message can have at most {max} characters.",
} as const;

export type MessageKey = keyof typeof en;
export type Catalog = Record<MessageKey, string>;

const de: Catalog = {
  appTitle: "Helpgate-Konsole",
  brand: "Helpgate",
  consoleName: "Agenten-Konsole",
  loading: "Wird geladen…",
  skipToMain: "Zu den Listen springen",

  signInTitle: "Bei der Agenten-Konsole anmelden",
  signInIntro: "Mit der E-Mail-Adresse und dem Passwort, das Sie von Ihrem Admin bekommen haben.",
  email: "E-Mail",
  password: "Passwort",
  signIn: "Anmelden",
  signingIn: "Anmeldung läuft…",
  signOut: "Abmelden",
  signInFailed: "Anmeldung fehlgeschlagen: {message}",
  serverUnreachable:
    "Der Server ist nicht erreichbar. Prüfen Sie die Verbindung und versuchen Sie es erneut.",
  wrongCredentials: "E-Mail-Adresse oder Passwort ist falsch.",
  lockedOut:
    "Zu viele fehlgeschlagene Anmeldungen für dieses Konto. Versuchen Sie es in {minutes} Min. erneut.",
  rateLimited: "Zu viele Anmeldeversuche von Ihrer Adresse. Versuchen Sie es in {seconds} s erneut.",
  userDisabled: "Dieser Benutzer ist deaktiviert. Wenden Sie sich an einen Admin Ihres Kontos.",
  emailRequired: "Geben Sie Ihre E-Mail-Adresse ein.",
  passwordRequired: "Geben Sie Ihr Passwort ein.",
  operatorTitle: "Für Betreiber gibt es keine Konsole",
  operatorText:
    "Sie sind als Betreiber angemeldet ({email}). Die Agenten-Konsole ist für Agenten eines Kontos. Öffnen Sie die Admin-Seiten, um Konten zu verwalten, oder melden Sie sich mit einem Agenten-Konto an.",
  openAdmin: "Admin-Seiten öffnen",

  available: "Verfügbar",
  availableHint: "Sie erhalten Anfragen",
  unavailableHint: "Keine Anfragen",
  signedInAs: "Angemeldet als {name}",
  language: "Sprache",
  settings: "Einstellungen",
  closeSettings: "Einstellungen schließen",
  connecting: "Verbindung wird aufgebaut…",
  reconnecting:
    "Verbindung wird wiederhergestellt… Die Listen werden aktualisiert, sobald die Verbindung zurück ist.",
  reconnected: "Wieder verbunden; die Listen sind aktuell.",
  dismiss: "Schließen",

  settingsTitle: "Einstellungen",
  soundOnAlert: "Ton bei neuen Anfragen",
  soundRepeat: "Ton wiederholen, bis die Anfrage beantwortet ist",
  testSound: "Testton abspielen",
  desktopNotifications: "Desktop-Benachrichtigungen",
  enableNotifications: "Desktop-Benachrichtigungen einschalten",
  notificationsOn: "Desktop-Benachrichtigungen sind eingeschaltet.",
  notificationsDenied:
    "Desktop-Benachrichtigungen sind in den Website-Einstellungen dieses Browsers blockiert.",
  notificationsUnsupported: "Dieser Browser unterstützt keine Desktop-Benachrichtigungen.",
  notificationsOff: "Desktop-Benachrichtigungen sind ausgeschaltet.",

  panes: "Bereiche",
  paneIncoming: "Eingang",
  paneSessions: "In Sitzung",
  paneHistory: "Verlauf & Statistik",
  paneDetails: "Details",
  paneOffline: "Offline-Nachrichten",
  paneCodes: "Sitzungscodes",
  showPane: "{pane} anzeigen",

  incomingEmpty: "Niemand wartet.",
  incomingEmptyUnavailable: "Niemand wartet. Schalten Sie auf Verfügbar, um Anfragen zu erhalten.",
  colTimer: "Zeit",
  colPortal: "Portal",
  colSessionId: "Sitzungs-ID",
  colPosted: "Uhrzeit",
  colName: "Name",
  colQuestion: "Frage",
  colActions: "Aktionen",
  colOutcome: "Ergebnis",
  colAgent: "Agent",
  colStarted: "Begonnen",
  colDuration: "Dauer",
  colEmail: "E-Mail",
  colMessage: "Nachricht",
  colReceived: "Eingegangen",
  timeLeft: "noch {time}",
  waited: "wartet {time}",
  accept: "Annehmen",
  acceptRequestFrom: "Anfrage von {name}",
  decline: "Ablehnen",
  open: "Öffnen",
  openSessionWith: "Sitzung mit {name}",
  noName: "(ohne Namen)",
  noQuestion: "(keine Frage)",
  forYou: "für Sie",

  sessionsEmpty: "Keine offenen Sitzungen.",

  historyEmpty: "Heute noch keine Anfragen.",
  statSessions: "Sitzungen heute",
  statAvgWait: "Mittlere Wartezeit",
  statAvgSession: "Mittlere Sitzungsdauer",
  statNone: "—",
  today: "Heute",

  state_waiting: "Wartet",
  state_accepted: "In Sitzung",
  state_ended: "Beendet",
  state_canceled: "Abgebrochen",
  state_declined: "Abgelehnt",
  "state_no-response": "Keine Antwort",
  state_offline: "Offline-Nachricht",

  kind_broadcast: "An alle",
  kind_targeted: "Für Sie",
  kind_code: "Sitzungscode",
  kind_queue: "Warteschlange",
  kind_invitation: "Einladung",
  kind_transfer: "Übergabe",

  detailsEmpty: "Wählen Sie eine Zeile, um ihre Details zu sehen.",
  detailsOf: "Anfrage {id}",
  fieldName: "Name",
  fieldEmail: "E-Mail",
  fieldPhone: "Telefon",
  fieldCompany: "Firma",
  fieldProblem: "Problembeschreibung",
  fieldQuestion: "Frage",
  fieldPortal: "Portal",
  fieldSessionId: "Sitzungs-ID",
  fieldKind: "Art",
  fieldState: "Status",
  fieldPosted: "Eingegangen",
  fieldChanged: "Letzte Änderung",
  fieldAgent: "Agent",
  fieldDeadline: "Antwort bis",
  fieldWaited: "Gewartet",

  offlineEmpty: "Keine Offline-Nachrichten in den letzten 7 Tagen.",

  alertsRegion: "Neue Anfragen",
  alertTitle: "Neue Anfrage: {name}",
  alertTitleTargeted: "Anfrage an Sie: {name}",
  alertWaited: "Wartet seit {time}",
  alertLeft: "Noch {time} zum Antworten",
  alreadyTaken: "Bereits von {name} übernommen.",
  notWaiting: "Diese Anfrage wartet nicht mehr.",
  atLimit: "Sie haben Ihr Limit von {max} Sitzungen erreicht; beenden Sie zuerst eine.",
  tooManyCodes: "Sie haben {max} gültige Codes, mehr sind nicht erlaubt; widerrufen Sie zuerst einen.",
  sessionOver: "Diese Sitzung ist beendet.",
  desktopTitle: "Neue Anfrage von {name}",
  desktopTitleTargeted: "{name} fragt nach Ihnen",

  codesIntro: "Erstellen Sie einen Code und lesen Sie ihn vor; der Kunde verbindet sich direkt mit Ihnen.",
  codeName: "Name des Kunden",
  codeNameRequired: "Geben Sie zuerst den Namen des Kunden ein.",
  codePortal: "Code-Portal",
  createCode: "Code erstellen",
  creatingCode: "Wird erstellt…",
  codesEmpty: "Keine gültigen Codes.",
  colCode: "Code",
  colExpires: "Läuft ab in",
  copyJoinLink: "Beitritts-Link kopieren",
  copyPortalLink: "Portal-Link kopieren",
  copied: "Kopiert",
  copyFailed: "Kopieren fehlgeschlagen",
  cancelCode: "Code widerrufen",
  codeFor: "Code für {name}",
  codesLimit: "Höchstens {max} gültige Codes.",
  expired: "Abgelaufen",

  sessionArea: "Sitzungen",
  sessionTabs: "Offene Sitzungen",
  noSessions:
    "Keine Sitzung offen. Nehmen Sie eine Anfrage an oder erstellen Sie einen Code, um eine zu beginnen.",
  unread: "{count} ungelesen",
  sessionEnded: "Diese Sitzung ist beendet.",
  endedByCustomer: "Der Kunde hat die Sitzung beendet.",
  endedByAgent: "Sie haben die Sitzung beendet.",
  endSession: "Sitzung beenden",
  ending: "Wird beendet…",
  closeTab: "Tab schließen",
  customerJoined: "{name} ist mit einem Sitzungscode beigetreten.",
  sessionStarted: "Sitzung begonnen um {time}.",
  messages: "Nachrichten mit {name}",
  messageTo: "Nachricht an {name}",
  send: "Senden",
  sending: "Wird gesendet…",
  sent: "Gesendet",
  notSent: "Nicht gesendet: {message}",
  retry: "Erneut senden",
  enterHint: "Enter sendet, Umschalt+Enter fügt eine Zeile ein.",
  you: "Sie",
  customer: "Kunde",
  question: "Frage",
  tooLong: "Eine Nachricht darf höchstens {max} Zeichen haben.",
};

export type Lang = "en" | "de";
export const LANGS: readonly Lang[] = ["en", "de"];
export const LANG_NAMES: Record<Lang, string> = { en: "English", de: "Deutsch" };
const catalogs: Record<Lang, Catalog> = { en, de };

const STORAGE_KEY = "helpgate.console.lang";

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === "en" || saved === "de") return saved;
  } catch {
    // storage blocked: fall through to the browser's languages
  }
  for (const tag of navigator.languages ?? [navigator.language]) {
    const two = tag.slice(0, 2).toLowerCase();
    if (two === "de" || two === "en") return two;
  }
  return "en";
}

export const lang = signal<Lang>(initialLang());
export const catalog = computed(() => catalogs[lang.value]);

export function setLang(next: Lang): void {
  lang.value = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // not remembered; still switched
  }
}

/** The text for a key in the current language, with {placeholders} filled. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const template = catalog.value[key];
  return template.replace(/\{(\w+)\}/g, (_, k: string) => (k in params ? String(params[k]) : `{${k}}`));
}

export function hasKey(key: string): key is MessageKey {
  return key in en;
}
