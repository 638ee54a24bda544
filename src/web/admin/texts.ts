import type { ApiFieldProblem } from "../../shared/api.js";
import { format } from "../../shared/i18n/index.js";
import type { Language } from "../../shared/model.js";
import { ApiFailure } from "../common/api.js";
import { type FormErrors, failureText, type Placer, type Problems } from "../common/forms.js";
import { t as commonT, language, problemText } from "../common/i18n.js";

/**
 * The texts of the integrations pages (webhooks, deliveries, API tokens) and of the email
 * additions to the user, portal and sign-in pages, in English and German. They sit next to the
 * shared catalog and are read the same way; `error.<code>[.<field>]` keys here win over the
 * shared ones for the problems these pages show.
 */
const en = {
  "nav.integrations": "Integrations",

  "ig.title": "Integrations",
  "ig.intro": "Connect {account} to other systems: email, webhooks and API tokens.",
  "ig.tabs": "Integrations sections",
  "ig.tab.overview": "Email & webhooks",
  "ig.tab.deliveries": "Deliveries",
  "ig.tab.tokens": "API tokens",

  "ig.email.title": "Email",
  "ig.email.on": "Email is on.",
  "ig.email.from": "Messages are sent from {from}.",
  "ig.email.offTitle": "Email is off",
  "ig.email.badgeOn": "On",
  "ig.email.badgeOff": "Off",
  "ig.email.off": "Email is off on this server: set SMTP_URL and restart Helpgate to send email.",
  "ig.email.offExample": "For example:",
  "ig.email.uses":
    "Helpgate emails invitations, password links, transcripts, offline messages and unanswered requests.",
  "ig.private":
    "This server allows webhooks to private and local addresses (HELPGATE_WEBHOOKS_ALLOW_PRIVATE).",

  "ig.webhooks.title": "Webhooks",
  "ig.webhooks.intro":
    "Helpgate posts a signed JSON message to these addresses when something happens in this account.",
  "ig.webhooks.new": "New webhook",
  "ig.webhooks.none": "No webhooks yet.",
  "ig.webhooks.caption": "Webhooks of this account",
  "ig.webhooks.url": "Address",
  "ig.webhooks.events": "Events",
  "ig.webhooks.status": "Status",
  "ig.webhooks.queue": "Pending / dead",
  "ig.webhooks.last": "Last delivery",
  "ig.webhooks.enabled": "Enabled",
  "ig.webhooks.disabled": "Disabled",
  "ig.webhooks.failing": "Failing since {when}",
  "ig.webhooks.never": "Never",
  "ig.webhooks.allEvents": "All events",
  "ig.webhooks.eventCount": "{n} events",
  "ig.webhooks.open": "Open",

  "ig.webhook.newTitle": "New webhook",
  "ig.webhook.editTitle": "Webhook",
  "ig.webhook.settings": "Settings",
  "ig.webhook.url": "Address (URL)",
  "ig.webhook.urlHint": "Where Helpgate posts the events, e.g. https://crm.example.com/hooks/helpgate.",
  "ig.webhook.description": "Description (optional)",
  "ig.webhook.descriptionHint": "For you: what this endpoint is for.",
  "ig.webhook.events": "Events",
  "ig.webhook.eventsHint": "Helpgate sends only the events you choose.",
  "ig.webhook.allEvents": "Choose all",
  "ig.webhook.noEvents": "Choose none",
  "ig.webhook.secret": "Signing secret (optional)",
  "ig.webhook.secretHint":
    "Leave empty and Helpgate generates one. To use your own: whsec_ followed by base64.",
  "ig.webhook.createButton": "Create webhook",
  "ig.webhook.createdTitle": "The webhook has been created",
  "ig.webhook.secretOnce":
    "Its signing secret is shown only now. Store it with the receiving system, which checks the webhook-signature header with it.",
  "ig.webhook.rotatedTitle": "New signing secret",
  "ig.webhook.rotatedOnce":
    "The old secret no longer signs deliveries. This new one is shown only now; update the receiving system.",
  "ig.webhook.secretLabel": "Signing secret",
  "ig.webhook.copySecret": "Copy the signing secret",
  "ig.webhook.savedFlash": "The webhook has been saved.",
  "ig.webhook.deletedFlash": "The webhook to {url} has been deleted.",
  "ig.webhook.status": "Status",
  "ig.webhook.enable": "Enable",
  "ig.webhook.disable": "Disable",
  "ig.webhook.enableHint": "Enabling it again clears the failure and sends new events to it.",
  "ig.webhook.disableHint": "While disabled, no events are sent to it.",
  "ig.webhook.autoDisabled": "Switched off automatically: {reason}",
  "ig.webhook.secretPreview": "Secret: {preview}",
  "ig.webhook.rotate": "Rotate secret",
  "ig.webhook.rotateConfirm": "Rotate the secret? The old one stops working at once.",
  "ig.webhook.test": "Send test event",
  "ig.webhook.testSent": "A test event is on its way; it shows in the delivery log below.",
  "ig.webhook.testHint": "Sends a webhook.test event to this address now.",
  "ig.webhook.delete": "Delete webhook",
  "ig.webhook.deleteConfirm": "Delete this webhook? Deliveries still pending for it are given up.",
  "ig.webhook.actions": "Actions",
  "ig.webhook.stats": "{pending} pending, {dead} dead",

  "ig.log.title": "Delivery log",
  "ig.log.intro": "Every try to deliver to this address, newest first.",
  "ig.log.caption": "Delivery attempts of this webhook",
  "ig.log.none": "Nothing delivered yet. Send a test event to try it.",
  "ig.log.time": "Time",
  "ig.log.event": "Event",
  "ig.log.attempt": "Try",
  "ig.log.status": "Status",
  "ig.log.duration": "Duration",
  "ig.log.error": "Error",
  "ig.log.next": "Next try",
  "ig.log.refresh": "Refresh",
  "ig.log.more": "Show older",
  "ig.log.ok": "OK",
  "ig.log.none.status": "No answer",

  "ig.redeliver": "Redeliver",
  "ig.redeliverLabel": "Redeliver {event} of {when}",
  "ig.redelivered": "Sent again: {event}.",

  "ig.deliveries.title": "Deliveries",
  "ig.deliveries.intro":
    "Emails and webhook messages Helpgate sends for this account. Pending ones are retried for 24 hours, then they are dead.",
  "ig.deliveries.caption": "Deliveries",
  "ig.deliveries.filter": "Filter",
  "ig.deliveries.state": "State",
  "ig.deliveries.kind": "Kind",
  "ig.deliveries.any": "All",
  "ig.deliveries.state.pending": "Pending",
  "ig.deliveries.state.delivered": "Delivered",
  "ig.deliveries.state.dead": "Dead",
  "ig.deliveries.kind.email": "Email",
  "ig.deliveries.kind.webhook": "Webhook",
  "ig.deliveries.none": "No deliveries match.",
  "ig.deliveries.what": "What",
  "ig.deliveries.to": "To",
  "ig.deliveries.created": "Created",
  "ig.deliveries.attempts": "Tries",
  "ig.deliveries.result": "Result",
  "ig.deliveries.deadNote": "Given up",

  "ig.tokens.title": "API tokens",
  "ig.tokens.intro":
    "Other systems use these tokens to call Helpgate's API for this account (Authorization: Bearer …).",
  "ig.tokens.new": "New token",
  "ig.tokens.none": "No API tokens yet.",
  "ig.tokens.caption": "API tokens of this account",
  "ig.tokens.name": "Name",
  "ig.tokens.prefix": "Starts with",
  "ig.tokens.scopes": "Scopes",
  "ig.tokens.createdBy": "Created by",
  "ig.tokens.by": "by {name}",
  "ig.tokens.created": "Created",
  "ig.tokens.expires": "Expires",
  "ig.tokens.lastUsed": "Last used",
  "ig.tokens.status": "Status",
  "ig.tokens.active": "Active",
  "ig.tokens.revoked": "Revoked {when}",
  "ig.tokens.expired": "Expired",
  "ig.tokens.never": "Never",
  "ig.tokens.noExpiry": "Never",
  "ig.tokens.revoke": "Revoke",
  "ig.tokens.revokeConfirm": "Revoke {name}? Systems using it are refused at once.",
  "ig.tokens.revokedFlash": "The token {name} has been revoked.",

  "ig.token.newTitle": "New API token",
  "ig.token.name": "Name",
  "ig.token.nameHint": "Which system uses it, e.g. “CRM”.",
  "ig.token.scopes": "Scopes",
  "ig.token.scopesHint": "What the token may do. Choose only what the system needs.",
  "ig.token.expiry": "Expires",
  "ig.token.expiry.30": "In 30 days",
  "ig.token.expiry.90": "In 90 days",
  "ig.token.expiry.365": "In 365 days",
  "ig.token.expiry.never": "Never",
  "ig.token.createButton": "Create token",
  "ig.token.createdTitle": "The token {name} has been created",
  "ig.token.secretOnce": "Copy it now: it is shown only this once and stored only as a hash.",
  "ig.token.secretLabel": "Token",
  "ig.token.copySecret": "Copy the token",
  "ig.token.example": "Try it:",
  "ig.token.copyExample": "Copy the example command",

  "ig.event.request.submitted": "A customer sent a request from a portal.",
  "ig.event.request.ended": "A request ended: accepted, declined, canceled or not answered.",
  "ig.event.session.started": "An agent took a request and the session began.",
  "ig.event.session.ended": "A session ended, with outcome, ticket and transcript link.",
  "ig.event.session.outcome": "An agent recorded a session's outcome.",
  "ig.event.offline_message.received": "A customer left a message while nobody was available.",
  "ig.event.survey.answered": "A customer rated a session.",
  "ig.event.code.redeemed": "A customer entered an agent's session code.",

  "ig.scope.sessions:read": "Read sessions and their transcripts.",
  "ig.scope.reports:read": "Read reports and download them as CSV.",
  "ig.scope.codes:create": "Create session codes for agents, e.g. from a CRM.",
  "ig.scope.portals:manage": "Create, change and delete portals.",
  "ig.scope.users:manage": "Create and change users.",
  "ig.scope.webhooks:manage": "Manage webhooks and see deliveries.",

  "ig.secretDone": "Done, I have stored it",
  "confirm.yes": "Yes",
  "confirm.no": "No, keep it",

  "time.ms": "{n} ms",

  "users.invited": "Invited",
  "users.invite": "Send an invitation email",
  "users.inviteHint": "They choose their own password with a link that is valid for 24 hours.",
  "users.setPassword": "Set a password now",
  "users.setPasswordHint": "You pass the password on yourself.",
  "users.access.how": "How they sign in",
  "users.inviteOff": "Not available: email is off on this server (SMTP_URL is not set).",
  "users.language": "Language",
  "users.languageHint": "The language of the emails Helpgate sends this user.",
  "users.invitedFlash": "{name} has been invited; the email is on its way to {email}.",
  "users.resend": "Send invitation again",
  "users.resendLabel": "Send the invitation to {name} again",
  "users.resent": "The invitation to {email} has been sent again.",
  "users.invitedNote": "Invited, has not set a password yet.",

  "portals.notifyEmails": "Notification emails",
  "portals.notifyEmailsHint":
    "Offline messages and requests nobody answered go to these addresses. Up to 10, one per line or separated by commas.",
  "portals.notifyEmailsOff": "Email is off on this server (SMTP_URL is not set), so nobody is emailed yet.",
  "portals.notifications": "Notifications",
  "hours.title": "Business hours",
  "hours.mode": "When customers can ask",
  "hours.hint":
    "Outside these hours the portal says it is closed and when it opens next, and offers the offline message form. Requests already waiting at closing time are still served.",
  "hours.always": "Open around the clock",
  "hours.set": "Open at set hours",
  "hours.timeZone": "Time zone",
  "hours.timeZoneHint": "The hours are local time in this zone (an IANA name such as Europe/Berlin).",
  "hours.closedAllDay": "Closed all day",
  "hours.from": "From",
  "hours.until": "until",
  "hours.add": "Add hours",
  "hours.addLabel": "Add hours on {day}",
  "hours.remove": "Remove",
  "hours.removeLabel": "Remove {day} {start}–{end}",
  "hours.closures": "Closures",
  "hours.closuresHint":
    "Holidays and other days off: one day, or a range. The message is shown to customers.",
  "hours.noClosures": "No closures.",
  "hours.closureFrom": "First day",
  "hours.closureTo": "Last day (optional)",
  "hours.closureMessage": "Message for customers",
  "hours.addClosure": "Add a closure",
  "hours.removeClosureLabel": "Remove the closure from {from}",
  "error.overlapping_intervals": "Overlaps another interval of the same day.",
  "error.end_before_start": "Ends before it starts.",
  "error.invalid_time": "Not a time: use HH:MM (the end may be 24:00).",
  "error.unknown_time_zone": "Not a time zone: use an IANA name such as Europe/Berlin.",
  "error.invalid_day": "Not a valid day.",
  "error.too_many_intervals": "At most {limit} intervals a day.",
  "portals.delete": "Delete portal",
  "portals.deleteIntro":
    "Deleting takes the portal off every list and page for good; its requests and sessions stay in the reports.",
  "portals.deleteTitle": "Delete {name}?",
  "portals.deleteAddress": "The address {url} stops working at once, and a new portal may use it.",
  "portals.deleteHistory":
    "Its agents are taken off it and its live session codes are canceled. Its history stays in the reports.",
  "portals.deletedFlash": "The portal {name} has been deleted; its history stays in the reports.",

  "signIn.forgot": "Forgot password?",

  "error.invalid_url.url": "Enter a full address starting with https:// or http://.",
  "error.invalid_url": "Enter a full address starting with https:// or http://.",
  "error.private_target.url":
    "This address is in a private or local network; webhooks must go to a public address.",
  "error.private_target": "This address is in a private or local network.",
  "error.unknown_event": "Unknown event type: {event}.",
  "error.no_events": "Choose at least one event.",
  "error.invalid_secret": "Not a valid secret: use whsec_ followed by base64, or leave it empty.",
  "error.too_short.secret": "At least {limit} characters.",
  "error.too_many_webhooks": "This account has the most webhooks it can have ({limit}); delete one first.",
  "error.unknown_scope": "Unknown scope: {scope}.",
  "error.no_scopes": "Choose at least one scope.",
  "error.email_off": "Email is off on this server (SMTP_URL is not set), so nothing can be sent.",
  "error.not_invited": "This user has already set a password.",
  "error.too_many.notifyEmails": "At most {limit} addresses.",
  "error.invalid.notifyEmails": "Enter email addresses such as name@example.com, one per line.",
  "error.portal_busy":
    "Customers are waiting or in a session at this portal. Wait until they are done, or switch the portal off first so nobody new arrives, then delete it.",
} as const;

export type TextKey = keyof typeof en;

const de: Record<TextKey, string> = {
  "nav.integrations": "Integrationen",

  "ig.title": "Integrationen",
  "ig.intro": "Verbinden Sie {account} mit anderen Systemen: E-Mail, Webhooks und API-Tokens.",
  "ig.tabs": "Bereiche der Integrationen",
  "ig.tab.overview": "E-Mail & Webhooks",
  "ig.tab.deliveries": "Zustellungen",
  "ig.tab.tokens": "API-Tokens",

  "ig.email.title": "E-Mail",
  "ig.email.on": "E-Mail ist eingeschaltet.",
  "ig.email.from": "Nachrichten werden von {from} gesendet.",
  "ig.email.offTitle": "E-Mail ist ausgeschaltet",
  "ig.email.badgeOn": "Ein",
  "ig.email.badgeOff": "Aus",
  "ig.email.off":
    "E-Mail ist auf diesem Server ausgeschaltet: Setzen Sie SMTP_URL und starten Sie Helpgate neu, um E-Mails zu senden.",
  "ig.email.offExample": "Zum Beispiel:",
  "ig.email.uses":
    "Helpgate sendet Einladungen, Passwort-Links, Protokolle, Offline-Nachrichten und unbeantwortete Anfragen per E-Mail.",
  "ig.private":
    "Dieser Server erlaubt Webhooks an private und lokale Adressen (HELPGATE_WEBHOOKS_ALLOW_PRIVATE).",

  "ig.webhooks.title": "Webhooks",
  "ig.webhooks.intro":
    "Helpgate sendet eine signierte JSON-Nachricht an diese Adressen, wenn in diesem Konto etwas geschieht.",
  "ig.webhooks.new": "Neuer Webhook",
  "ig.webhooks.none": "Noch keine Webhooks.",
  "ig.webhooks.caption": "Webhooks dieses Kontos",
  "ig.webhooks.url": "Adresse",
  "ig.webhooks.events": "Ereignisse",
  "ig.webhooks.status": "Status",
  "ig.webhooks.queue": "Ausstehend / tot",
  "ig.webhooks.last": "Letzte Zustellung",
  "ig.webhooks.enabled": "Aktiv",
  "ig.webhooks.disabled": "Deaktiviert",
  "ig.webhooks.failing": "Fehler seit {when}",
  "ig.webhooks.never": "Nie",
  "ig.webhooks.allEvents": "Alle Ereignisse",
  "ig.webhooks.eventCount": "{n} Ereignisse",
  "ig.webhooks.open": "Öffnen",

  "ig.webhook.newTitle": "Neuer Webhook",
  "ig.webhook.editTitle": "Webhook",
  "ig.webhook.settings": "Einstellungen",
  "ig.webhook.url": "Adresse (URL)",
  "ig.webhook.urlHint": "Wohin Helpgate die Ereignisse sendet, z. B. https://crm.example.com/hooks/helpgate.",
  "ig.webhook.description": "Beschreibung (optional)",
  "ig.webhook.descriptionHint": "Für Sie: wofür dieser Empfänger da ist.",
  "ig.webhook.events": "Ereignisse",
  "ig.webhook.eventsHint": "Helpgate sendet nur die gewählten Ereignisse.",
  "ig.webhook.allEvents": "Alle wählen",
  "ig.webhook.noEvents": "Keine wählen",
  "ig.webhook.secret": "Signaturschlüssel (optional)",
  "ig.webhook.secretHint":
    "Leer lassen, dann erzeugt Helpgate einen. Eigener Schlüssel: whsec_ gefolgt von Base64.",
  "ig.webhook.createButton": "Webhook anlegen",
  "ig.webhook.createdTitle": "Der Webhook wurde angelegt",
  "ig.webhook.secretOnce":
    "Sein Signaturschlüssel wird nur jetzt angezeigt. Hinterlegen Sie ihn beim empfangenden System, das damit den Header webhook-signature prüft.",
  "ig.webhook.rotatedTitle": "Neuer Signaturschlüssel",
  "ig.webhook.rotatedOnce":
    "Der alte Schlüssel signiert keine Zustellungen mehr. Der neue wird nur jetzt angezeigt; tragen Sie ihn beim empfangenden System ein.",
  "ig.webhook.secretLabel": "Signaturschlüssel",
  "ig.webhook.copySecret": "Signaturschlüssel kopieren",
  "ig.webhook.savedFlash": "Der Webhook wurde gespeichert.",
  "ig.webhook.deletedFlash": "Der Webhook an {url} wurde gelöscht.",
  "ig.webhook.status": "Status",
  "ig.webhook.enable": "Aktivieren",
  "ig.webhook.disable": "Deaktivieren",
  "ig.webhook.enableHint":
    "Beim erneuten Aktivieren wird der Fehlerzustand gelöscht und neue Ereignisse werden wieder gesendet.",
  "ig.webhook.disableHint": "Solange er deaktiviert ist, werden keine Ereignisse gesendet.",
  "ig.webhook.autoDisabled": "Automatisch abgeschaltet: {reason}",
  "ig.webhook.secretPreview": "Schlüssel: {preview}",
  "ig.webhook.rotate": "Schlüssel erneuern",
  "ig.webhook.rotateConfirm": "Schlüssel erneuern? Der alte gilt sofort nicht mehr.",
  "ig.webhook.test": "Testereignis senden",
  "ig.webhook.testSent": "Ein Testereignis ist unterwegs; es erscheint unten im Zustellprotokoll.",
  "ig.webhook.testHint": "Sendet jetzt ein Ereignis webhook.test an diese Adresse.",
  "ig.webhook.delete": "Webhook löschen",
  "ig.webhook.deleteConfirm":
    "Diesen Webhook löschen? Noch ausstehende Zustellungen an ihn werden aufgegeben.",
  "ig.webhook.actions": "Aktionen",
  "ig.webhook.stats": "{pending} ausstehend, {dead} tot",

  "ig.log.title": "Zustellprotokoll",
  "ig.log.intro": "Jeder Zustellversuch an diese Adresse, der neueste zuerst.",
  "ig.log.caption": "Zustellversuche dieses Webhooks",
  "ig.log.none": "Noch nichts zugestellt. Senden Sie ein Testereignis, um es auszuprobieren.",
  "ig.log.time": "Zeit",
  "ig.log.event": "Ereignis",
  "ig.log.attempt": "Versuch",
  "ig.log.status": "Status",
  "ig.log.duration": "Dauer",
  "ig.log.error": "Fehler",
  "ig.log.next": "Nächster Versuch",
  "ig.log.refresh": "Aktualisieren",
  "ig.log.more": "Ältere anzeigen",
  "ig.log.ok": "OK",
  "ig.log.none.status": "Keine Antwort",

  "ig.redeliver": "Erneut senden",
  "ig.redeliverLabel": "{event} vom {when} erneut senden",
  "ig.redelivered": "Erneut gesendet: {event}.",

  "ig.deliveries.title": "Zustellungen",
  "ig.deliveries.intro":
    "E-Mails und Webhook-Nachrichten, die Helpgate für dieses Konto sendet. Ausstehende werden 24 Stunden lang wiederholt, danach sind sie tot.",
  "ig.deliveries.caption": "Zustellungen",
  "ig.deliveries.filter": "Filter",
  "ig.deliveries.state": "Zustand",
  "ig.deliveries.kind": "Art",
  "ig.deliveries.any": "Alle",
  "ig.deliveries.state.pending": "Ausstehend",
  "ig.deliveries.state.delivered": "Zugestellt",
  "ig.deliveries.state.dead": "Tot",
  "ig.deliveries.kind.email": "E-Mail",
  "ig.deliveries.kind.webhook": "Webhook",
  "ig.deliveries.none": "Keine passenden Zustellungen.",
  "ig.deliveries.what": "Was",
  "ig.deliveries.to": "An",
  "ig.deliveries.created": "Erstellt",
  "ig.deliveries.attempts": "Versuche",
  "ig.deliveries.result": "Ergebnis",
  "ig.deliveries.deadNote": "Aufgegeben",

  "ig.tokens.title": "API-Tokens",
  "ig.tokens.intro":
    "Andere Systeme rufen mit diesen Tokens die API von Helpgate für dieses Konto auf (Authorization: Bearer …).",
  "ig.tokens.new": "Neues Token",
  "ig.tokens.none": "Noch keine API-Tokens.",
  "ig.tokens.caption": "API-Tokens dieses Kontos",
  "ig.tokens.name": "Name",
  "ig.tokens.prefix": "Beginnt mit",
  "ig.tokens.scopes": "Berechtigungen",
  "ig.tokens.createdBy": "Erstellt von",
  "ig.tokens.by": "von {name}",
  "ig.tokens.created": "Erstellt",
  "ig.tokens.expires": "Läuft ab",
  "ig.tokens.lastUsed": "Zuletzt benutzt",
  "ig.tokens.status": "Status",
  "ig.tokens.active": "Aktiv",
  "ig.tokens.revoked": "Widerrufen {when}",
  "ig.tokens.expired": "Abgelaufen",
  "ig.tokens.never": "Nie",
  "ig.tokens.noExpiry": "Nie",
  "ig.tokens.revoke": "Widerrufen",
  "ig.tokens.revokeConfirm": "{name} widerrufen? Systeme, die es benutzen, werden sofort abgewiesen.",
  "ig.tokens.revokedFlash": "Das Token {name} wurde widerrufen.",

  "ig.token.newTitle": "Neues API-Token",
  "ig.token.name": "Name",
  "ig.token.nameHint": "Welches System es benutzt, z. B. „CRM“.",
  "ig.token.scopes": "Berechtigungen",
  "ig.token.scopesHint": "Was das Token darf. Wählen Sie nur, was das System braucht.",
  "ig.token.expiry": "Läuft ab",
  "ig.token.expiry.30": "In 30 Tagen",
  "ig.token.expiry.90": "In 90 Tagen",
  "ig.token.expiry.365": "In 365 Tagen",
  "ig.token.expiry.never": "Nie",
  "ig.token.createButton": "Token anlegen",
  "ig.token.createdTitle": "Das Token {name} wurde angelegt",
  "ig.token.secretOnce":
    "Kopieren Sie es jetzt: Es wird nur dieses eine Mal angezeigt und nur als Hash gespeichert.",
  "ig.token.secretLabel": "Token",
  "ig.token.copySecret": "Token kopieren",
  "ig.token.example": "Zum Ausprobieren:",
  "ig.token.copyExample": "Beispielbefehl kopieren",

  "ig.event.request.submitted": "Ein Kunde hat über ein Portal eine Anfrage gesendet.",
  "ig.event.request.ended":
    "Eine Anfrage ist beendet: angenommen, abgelehnt, abgebrochen oder unbeantwortet.",
  "ig.event.session.started": "Ein Agent hat eine Anfrage angenommen, die Sitzung beginnt.",
  "ig.event.session.ended": "Eine Sitzung ist beendet, mit Ergebnis, Ticket und Link zum Protokoll.",
  "ig.event.session.outcome": "Ein Agent hat das Ergebnis einer Sitzung festgehalten.",
  "ig.event.offline_message.received":
    "Ein Kunde hat eine Nachricht hinterlassen, als niemand erreichbar war.",
  "ig.event.survey.answered": "Ein Kunde hat eine Sitzung bewertet.",
  "ig.event.code.redeemed": "Ein Kunde hat den Sitzungscode eines Agenten eingegeben.",

  "ig.scope.sessions:read": "Sitzungen und ihre Protokolle lesen.",
  "ig.scope.reports:read": "Berichte lesen und als CSV herunterladen.",
  "ig.scope.codes:create": "Sitzungscodes für Agenten erstellen, z. B. aus einem CRM.",
  "ig.scope.portals:manage": "Portale anlegen, ändern und löschen.",
  "ig.scope.users:manage": "Benutzer anlegen und ändern.",
  "ig.scope.webhooks:manage": "Webhooks verwalten und Zustellungen sehen.",

  "ig.secretDone": "Fertig, sicher gespeichert",
  "confirm.yes": "Ja",
  "confirm.no": "Nein, behalten",

  "time.ms": "{n} ms",

  "users.invited": "Eingeladen",
  "users.invite": "Einladung per E-Mail senden",
  "users.inviteHint": "Die Person wählt ihr Passwort selbst über einen Link, der 24 Stunden gilt.",
  "users.setPassword": "Jetzt ein Passwort festlegen",
  "users.setPasswordHint": "Sie geben das Passwort selbst weiter.",
  "users.access.how": "Wie die Person sich anmeldet",
  "users.inviteOff":
    "Nicht verfügbar: E-Mail ist auf diesem Server ausgeschaltet (SMTP_URL ist nicht gesetzt).",
  "users.language": "Sprache",
  "users.languageHint": "Die Sprache der E-Mails, die Helpgate dieser Person sendet.",
  "users.invitedFlash": "{name} wurde eingeladen; die E-Mail an {email} ist unterwegs.",
  "users.resend": "Einladung erneut senden",
  "users.resendLabel": "Einladung an {name} erneut senden",
  "users.resent": "Die Einladung an {email} wurde erneut gesendet.",
  "users.invitedNote": "Eingeladen, hat noch kein Passwort festgelegt.",

  "portals.notifyEmails": "Benachrichtigungs-E-Mails",
  "portals.notifyEmailsHint":
    "Offline-Nachrichten und Anfragen, die niemand beantwortet hat, gehen an diese Adressen. Bis zu 10, eine pro Zeile oder durch Kommas getrennt.",
  "portals.notifyEmailsOff":
    "E-Mail ist auf diesem Server ausgeschaltet (SMTP_URL ist nicht gesetzt), daher wird noch niemand benachrichtigt.",
  "portals.notifications": "Benachrichtigungen",
  "hours.title": "Geschäftszeiten",
  "hours.mode": "Wann Kunden fragen können",
  "hours.hint":
    "Außerhalb dieser Zeiten zeigt das Portal, dass geschlossen ist und wann es wieder öffnet, und bietet das Nachrichtenformular an. Wer beim Schließen schon wartet, wird noch bedient.",
  "hours.always": "Rund um die Uhr geöffnet",
  "hours.set": "Zu festen Zeiten geöffnet",
  "hours.timeZone": "Zeitzone",
  "hours.timeZoneHint": "Die Zeiten gelten als Ortszeit dieser Zone (ein IANA-Name wie Europe/Berlin).",
  "hours.closedAllDay": "Ganztägig geschlossen",
  "hours.from": "Von",
  "hours.until": "bis",
  "hours.add": "Zeitraum hinzufügen",
  "hours.addLabel": "Zeitraum am {day} hinzufügen",
  "hours.remove": "Entfernen",
  "hours.removeLabel": "{day} {start}–{end} entfernen",
  "hours.closures": "Schließtage",
  "hours.closuresHint":
    "Feiertage und andere freie Tage: ein Tag oder ein Zeitraum. Der Hinweis wird Kunden angezeigt.",
  "hours.noClosures": "Keine Schließtage.",
  "hours.closureFrom": "Erster Tag",
  "hours.closureTo": "Letzter Tag (optional)",
  "hours.closureMessage": "Hinweis für Kunden",
  "hours.addClosure": "Schließtag hinzufügen",
  "hours.removeClosureLabel": "Schließtag ab {from} entfernen",
  "error.overlapping_intervals": "Überschneidet sich mit einem anderen Zeitraum desselben Tages.",
  "error.end_before_start": "Endet, bevor es beginnt.",
  "error.invalid_time": "Keine Uhrzeit: bitte HH:MM (das Ende darf 24:00 sein).",
  "error.unknown_time_zone": "Keine Zeitzone: bitte einen IANA-Namen wie Europe/Berlin.",
  "error.invalid_day": "Kein gültiger Tag.",
  "error.too_many_intervals": "Höchstens {limit} Zeiträume pro Tag.",
  "portals.delete": "Portal löschen",
  "portals.deleteIntro":
    "Löschen entfernt das Portal endgültig aus allen Listen und Seiten; seine Anfragen und Sitzungen bleiben in den Berichten.",
  "portals.deleteTitle": "{name} löschen?",
  "portals.deleteAddress":
    "Die Adresse {url} funktioniert ab sofort nicht mehr, und ein neues Portal kann sie verwenden.",
  "portals.deleteHistory":
    "Seine Agenten sind ihm nicht mehr zugewiesen, und seine offenen Sitzungscodes werden ungültig. Sein Verlauf bleibt in den Berichten.",
  "portals.deletedFlash": "Das Portal {name} wurde gelöscht; sein Verlauf bleibt in den Berichten.",

  "signIn.forgot": "Passwort vergessen?",

  "error.invalid_url.url": "Geben Sie eine vollständige Adresse ein, die mit https:// oder http:// beginnt.",
  "error.invalid_url": "Geben Sie eine vollständige Adresse ein, die mit https:// oder http:// beginnt.",
  "error.private_target.url":
    "Diese Adresse liegt in einem privaten oder lokalen Netz; Webhooks müssen an eine öffentliche Adresse gehen.",
  "error.private_target": "Diese Adresse liegt in einem privaten oder lokalen Netz.",
  "error.unknown_event": "Unbekanntes Ereignis: {event}.",
  "error.no_events": "Wählen Sie mindestens ein Ereignis.",
  "error.invalid_secret": "Kein gültiger Schlüssel: whsec_ gefolgt von Base64, oder leer lassen.",
  "error.too_short.secret": "Mindestens {limit} Zeichen.",
  "error.too_many_webhooks":
    "Dieses Konto hat die höchstmögliche Zahl an Webhooks ({limit}); löschen Sie zuerst einen.",
  "error.unknown_scope": "Unbekannte Berechtigung: {scope}.",
  "error.no_scopes": "Wählen Sie mindestens eine Berechtigung.",
  "error.email_off":
    "E-Mail ist auf diesem Server ausgeschaltet (SMTP_URL ist nicht gesetzt), daher kann nichts gesendet werden.",
  "error.not_invited": "Diese Person hat bereits ein Passwort festgelegt.",
  "error.too_many.notifyEmails": "Höchstens {limit} Adressen.",
  "error.invalid.notifyEmails": "Geben Sie E-Mail-Adressen wie name@example.com ein, eine pro Zeile.",
  "error.portal_busy":
    "An diesem Portal warten Kunden oder sind in einer Sitzung. Warten Sie, bis sie fertig sind, oder schalten Sie das Portal zuerst aus, damit niemand Neues dazukommt, und löschen Sie es dann.",
};

const catalogs: Record<Language, Record<TextKey, string>> = { en, de };

/** A text of these pages in the current language (re-renders on a language change, like `t`). */
export function tx(key: TextKey, params?: Record<string, string | number>): string {
  return format(catalogs[language.value][key], params);
}

function isTextKey(key: string): key is TextKey {
  return Object.hasOwn(en, key);
}

/** A field problem's text: this catalog's `error.<code>.<field>` or `error.<code>`, else the shared one. */
export function xProblemText(field: string, problem: ApiFieldProblem): string {
  const last = field.split(".").pop() ?? field;
  const top = field.split(".")[0] ?? field;
  for (const key of [
    `error.${problem.code}.${last}`,
    `error.${problem.code}.${top}`,
    `error.${problem.code}`,
  ]) {
    if (isTextKey(key)) return tx(key, problem.params ?? {});
  }
  return problemText(field, problem);
}

/** A failure's message on top: this catalog's `error.<code>`, else the shared wording. */
export function xFailureText(err: unknown): string {
  if (err instanceof ApiFailure) {
    const key = `error.${err.code}`;
    if (isTextKey(key)) return tx(key, err.params);
  }
  return failureText(err);
}

/** `formErrors` of common/forms.ts with these pages' texts first (same placing rules). */
export function xFormErrors(source: Problems | unknown, place: Placer): FormErrors {
  const problems: Problems | null =
    source instanceof ApiFailure ? source.fields : source instanceof Error ? null : (source as Problems);
  if (problems === null || (source instanceof ApiFailure && Object.keys(problems).length === 0)) {
    return { general: xFailureText(source), fields: {} };
  }
  const fields: Record<string, string> = {};
  const unplaced: string[] = [];
  for (const [field, problem] of Object.entries(problems)) {
    const text = xProblemText(field, problem);
    const at = place(field);
    if (at !== null && fields[at] === undefined) fields[at] = text;
    else if (at === null) unplaced.push(field === "" ? text : `${field}: ${text}`);
  }
  const general = unplaced.length > 0 ? unplaced.join(" ") : commonT("form.checkFields");
  return { general, fields };
}

/** A day in the interface language ("12 Mar 2026"). */
export function day(ms: number): string {
  return new Date(ms).toLocaleDateString(language.value, { dateStyle: "medium" });
}

/** A moment as date and time in the interface language ("12 Mar 2026, 14:05"). */
export function when(ms: number, seconds = false): string {
  return new Date(ms).toLocaleString(language.value, {
    dateStyle: "medium",
    timeStyle: seconds ? "medium" : "short",
  });
}
