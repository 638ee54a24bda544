import type { ApiFieldProblem } from "../../../../shared/api.js";
import { format } from "../../../../shared/i18n/index.js";
import type { Language } from "../../../../shared/model.js";
import { ApiFailure } from "../../../common/api.js";
import type { FormErrors, Placer, Problems } from "../../../common/forms.js";
import { t as commonT, language } from "../../../common/i18n.js";
import { xFailureText, xProblemText } from "../../texts.js";

/** The texts of the canned responses page (/admin/canned), in English and German. */
const en = {
  "nav.canned": "Canned responses",
  "cn.title": "Canned responses",
  "cn.intro":
    "Prepared answers every agent of {account} can insert in the chat by typing / in the message box. Placeholders are filled in from the session; the agent can still edit the text before sending it.",
  "cn.new": "New response",
  "cn.newTitle": "New canned response",
  "cn.editTitle": "Edit “{title}”",
  "cn.caption": "The account's canned responses",
  "cn.none": "No canned responses yet. Add the answers your agents give most often.",
  "cn.col.title": "Title",
  "cn.col.language": "Language",
  "cn.col.text": "Text",
  "cn.anyLanguage": "Any language",
  "cn.field.title": "Title",
  "cn.field.titleHint": "What agents look for in the list, up to {max} characters.",
  "cn.field.shortcut": "Shortcut (optional)",
  "cn.field.shortcutHint":
    "Typed after the / to find it at once, e.g. greet. Lowercase letters, digits and dashes; unique in the account.",
  "cn.field.language": "Language",
  "cn.field.languageHint": "Shown first when the customer uses this language.",
  "cn.field.text": "Text",
  "cn.field.textHint":
    "Up to {max} characters. Use the placeholders from the list; an unknown one is refused.",
  "cn.count": "{n} of {max} characters",
  "cn.save": "Save response",
  "cn.create": "Add response",
  "cn.cancel": "Cancel",
  "cn.edit": "Edit",
  "cn.delete": "Delete",
  "cn.deleteTitle": "Delete this canned response?",
  "cn.deleteText": "“{title}” is removed for every agent of the account. This cannot be undone.",
  "cn.created": "“{title}” was added.",
  "cn.saved": "“{title}” was saved.",
  "cn.deleted": "“{title}” was deleted.",
  "cn.help.title": "Placeholders",
  "cn.help.intro":
    "Write them with the braces. When an agent inserts the response, each is replaced by the session's value; one without a value becomes empty.",
  "cn.help.insert": "Insert {placeholder}",
  "cn.help.contact": "Contact form fields",
  "cn.help.contactIntro": "The values the customer entered in the portal's form, by field.",
  "cn.help.example": "Example: “Hello {customer.name}, I am {agent.name} from {portal.name}.”",
  "cn.ph.customer.name": "The customer's name",
  "cn.ph.customer.email": "The customer's email address",
  "cn.ph.agent.name": "The name of the agent who sends it",
  "cn.ph.portal.name": "The portal's name",
  "cn.ph.session.number": "The session ID as the customer sees it (123 456 789)",
  "cn.ph.contact.name": "Name field",
  "cn.ph.contact.email": "Email field",
  "cn.ph.contact.phone": "Phone field",
  "cn.ph.contact.company": "Company field",
  "cn.ph.contact.problem": "Problem description",
  "cn.ph.custom": "Custom field {n}",
  "error.unknown_placeholder.text": "Unknown placeholder: {placeholders}. Valid placeholders: {valid}.",
  "error.invalid.shortcut":
    "Use lowercase letters, digits and dashes, starting with a letter or digit, e.g. greet.",
  "error.duplicate_shortcut.shortcut":
    "Another response already has the shortcut “{shortcut}”. Choose another.",
  "error.one_line.title": "The title must be one line.",
  "error.too_many_canned":
    "This account has the most canned responses it can have ({limit}). Delete one first.",
} as const;

export type CannedTextKey = keyof typeof en;

const de: Record<CannedTextKey, string> = {
  "nav.canned": "Textbausteine",
  "cn.title": "Textbausteine",
  "cn.intro":
    "Vorbereitete Antworten, die alle Agenten von {account} im Chat einfügen können, indem sie / in das Nachrichtenfeld tippen. Platzhalter werden aus der Sitzung ausgefüllt; der Agent kann den Text vor dem Senden noch bearbeiten.",
  "cn.new": "Neuer Textbaustein",
  "cn.newTitle": "Neuer Textbaustein",
  "cn.editTitle": "„{title}“ bearbeiten",
  "cn.caption": "Die Textbausteine des Kontos",
  "cn.none": "Noch keine Textbausteine. Legen Sie die Antworten an, die Ihre Agenten am häufigsten geben.",
  "cn.col.title": "Titel",
  "cn.col.language": "Sprache",
  "cn.col.text": "Text",
  "cn.anyLanguage": "Jede Sprache",
  "cn.field.title": "Titel",
  "cn.field.titleHint": "Wonach Agenten in der Liste suchen, höchstens {max} Zeichen.",
  "cn.field.shortcut": "Kürzel (optional)",
  "cn.field.shortcutHint":
    "Nach dem / getippt, findet es den Baustein sofort, z. B. gruss. Kleinbuchstaben, Ziffern und Bindestriche; im Konto eindeutig.",
  "cn.field.language": "Sprache",
  "cn.field.languageHint": "Wird zuerst angeboten, wenn der Kunde diese Sprache verwendet.",
  "cn.field.text": "Text",
  "cn.field.textHint":
    "Höchstens {max} Zeichen. Verwenden Sie die Platzhalter aus der Liste; ein unbekannter wird abgelehnt.",
  "cn.count": "{n} von {max} Zeichen",
  "cn.save": "Textbaustein speichern",
  "cn.create": "Textbaustein anlegen",
  "cn.cancel": "Abbrechen",
  "cn.edit": "Bearbeiten",
  "cn.delete": "Löschen",
  "cn.deleteTitle": "Diesen Textbaustein löschen?",
  "cn.deleteText":
    "„{title}“ wird für alle Agenten des Kontos entfernt. Das kann nicht rückgängig gemacht werden.",
  "cn.created": "„{title}“ wurde angelegt.",
  "cn.saved": "„{title}“ wurde gespeichert.",
  "cn.deleted": "„{title}“ wurde gelöscht.",
  "cn.help.title": "Platzhalter",
  "cn.help.intro":
    "Schreiben Sie sie mit den geschweiften Klammern. Beim Einfügen ersetzt Helpgate jeden durch den Wert der Sitzung; einer ohne Wert bleibt leer.",
  "cn.help.insert": "{placeholder} einfügen",
  "cn.help.contact": "Felder des Kontaktformulars",
  "cn.help.contactIntro": "Was der Kunde im Formular des Portals eingegeben hat, nach Feld.",
  "cn.help.example": "Beispiel: „Guten Tag {customer.name}, hier ist {agent.name} von {portal.name}.“",
  "cn.ph.customer.name": "Der Name des Kunden",
  "cn.ph.customer.email": "Die E-Mail-Adresse des Kunden",
  "cn.ph.agent.name": "Der Name des Agenten, der ihn sendet",
  "cn.ph.portal.name": "Der Name des Portals",
  "cn.ph.session.number": "Die Sitzungs-ID, wie der Kunde sie sieht (123 456 789)",
  "cn.ph.contact.name": "Feld Name",
  "cn.ph.contact.email": "Feld E-Mail",
  "cn.ph.contact.phone": "Feld Telefon",
  "cn.ph.contact.company": "Feld Firma",
  "cn.ph.contact.problem": "Problembeschreibung",
  "cn.ph.custom": "Eigenes Feld {n}",
  "error.unknown_placeholder.text": "Unbekannter Platzhalter: {placeholders}. Gültige Platzhalter: {valid}.",
  "error.invalid.shortcut":
    "Verwenden Sie Kleinbuchstaben, Ziffern und Bindestriche, beginnend mit einem Buchstaben oder einer Ziffer, z. B. gruss.",
  "error.duplicate_shortcut.shortcut":
    "Ein anderer Textbaustein hat bereits das Kürzel „{shortcut}“. Wählen Sie ein anderes.",
  "error.one_line.title": "Der Titel muss aus einer Zeile bestehen.",
  "error.too_many_canned":
    "Dieses Konto hat bereits so viele Textbausteine, wie es haben kann ({limit}). Löschen Sie zuerst einen.",
};

const catalogs: Record<Language, Record<CannedTextKey, string>> = { en, de };

/** A text of the canned responses page in the current language (re-renders on a language change). */
export function cx(key: CannedTextKey, params?: Record<string, string | number>): string {
  return format(catalogs[language.value][key], params);
}

function isCannedKey(key: string): key is CannedTextKey {
  return Object.hasOwn(en, key);
}

/** A placeholder's description ("The customer's name"). */
export function placeholderText(placeholder: string): string {
  const custom = /^contact\.custom(\d+)$/.exec(placeholder);
  if (custom) return cx("cn.ph.custom", { n: custom[1] ?? "" });
  const key = `cn.ph.${placeholder}`;
  return isCannedKey(key) ? cx(key) : placeholder;
}

function problem(field: string, p: ApiFieldProblem): string {
  for (const key of [`error.${p.code}.${field}`, `error.${p.code}`]) {
    if (isCannedKey(key)) return cx(key, p.params ?? {});
  }
  return xProblemText(field, p);
}

/** What the form shows after a failed save, with this page's wording first. */
export function cannedFormErrors(source: Problems | unknown, place: Placer): FormErrors {
  const problems: Problems | null =
    source instanceof ApiFailure ? source.fields : source instanceof Error ? null : (source as Problems);
  if (problems === null || (source instanceof ApiFailure && Object.keys(problems).length === 0)) {
    if (source instanceof ApiFailure && isCannedKey(`error.${source.code}`))
      return { general: cx(`error.${source.code}` as CannedTextKey, source.params), fields: {} };
    return { general: xFailureText(source), fields: {} };
  }
  const fields: Record<string, string> = {};
  const unplaced: string[] = [];
  for (const [field, p] of Object.entries(problems)) {
    const text = problem(field, p);
    const at = place(field);
    if (at !== null && fields[at] === undefined) fields[at] = text;
    else if (at === null) unplaced.push(field === "" ? text : `${field}: ${text}`);
  }
  return { general: unplaced.length > 0 ? unplaced.join(" ") : commonT("form.checkFields"), fields };
}
