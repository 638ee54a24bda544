import { type Lang, lang } from "./i18n.js";

/** The console's texts of canned responses (the `/` picker and the personal manager), English and German. */
const en = {
  slashHint: "Type / for canned responses.",
  pickerName: "Canned responses",
  pickerList: "Canned responses matching what you typed",
  pickerKeys: "↑ ↓ choose · Enter inserts · Esc closes",
  pickerCount: "{n} canned responses. Arrow keys choose, Enter inserts, Escape closes.",
  pickerCountOne: "1 canned response. Enter inserts it, Escape closes.",
  pickerMatches: "Matches: {n}",
  pickerNoMatch: "No canned response matches “{query}”.",
  pickerNone: "No canned responses yet. Add your own under Settings → My canned responses.",
  pickerLoading: "Loading canned responses…",
  pickerFailed: "The canned responses could not be loaded.",
  pickerInserted: "Inserted “{title}”. Edit it if needed, then send.",
  scopeAccount: "Team",
  scopePersonal: "Mine",
  anyLanguage: "Any language",
  langName_en: "English",
  langName_de: "Deutsch",

  managerOpen: "My canned responses",
  managerTitle: "My canned responses",
  managerIntro:
    "Only you see these. In a chat, type / in the message box to insert one. Your account's shared responses are managed in the admin pages.",
  managerNone: "You have no canned responses of your own yet.",
  managerAdd: "New response",
  managerNewTitle: "New response",
  managerEditTitle: "Edit “{title}”",
  managerListLabel: "Your canned responses",
  fieldTitle: "Title",
  fieldShortcut: "Shortcut (optional)",
  fieldShortcutHint: "Typed after the /, e.g. greet: lowercase letters, digits and dashes.",
  fieldLanguage: "Language",
  fieldText: "Text",
  fieldTextHint: "Up to {max} characters. Placeholders: {list}",
  save: "Save",
  create: "Add",
  cancel: "Cancel",
  edit: "Edit",
  delete: "Delete",
  deleteConfirm: "Delete “{title}”?",
  deleteYes: "Yes, delete",
  saved: "“{title}” was saved.",
  created: "“{title}” was added.",
  deleted: "“{title}” was deleted.",
  errRequired: "Enter a {field}.",
  errTitleLong: "The title can have at most {max} characters.",
  errTextLong: "The text can have at most {max} characters.",
  errOneLine: "The title must be one line.",
  errShortcut: "Use lowercase letters, digits and dashes, starting with a letter or digit, e.g. greet.",
  errDuplicate: "You already have a response with the shortcut “{shortcut}”. Choose another.",
  errUnknown: "Unknown placeholder: {placeholders}. Valid placeholders: {valid}.",
  errTooMany: "You have as many canned responses as you can ({limit}). Delete one first.",
  fieldNameTitle: "title",
  fieldNameText: "text",
};

type CannedKey = keyof typeof en;

const de: Record<CannedKey, string> = {
  slashHint: "Tippen Sie / für Textbausteine.",
  pickerName: "Textbausteine",
  pickerList: "Textbausteine, die zu Ihrer Eingabe passen",
  pickerKeys: "↑ ↓ auswählen · Eingabetaste fügt ein · Esc schließt",
  pickerCount:
    "{n} Textbausteine. Mit den Pfeiltasten auswählen, mit der Eingabetaste einfügen, mit Escape schließen.",
  pickerCountOne: "1 Textbaustein. Mit der Eingabetaste einfügen, mit Escape schließen.",
  pickerMatches: "Treffer: {n}",
  pickerNoMatch: "Kein Textbaustein passt zu „{query}“.",
  pickerNone: "Noch keine Textbausteine. Eigene legen Sie unter Einstellungen → Meine Textbausteine an.",
  pickerLoading: "Textbausteine werden geladen …",
  pickerFailed: "Die Textbausteine konnten nicht geladen werden.",
  pickerInserted: "„{title}“ eingefügt. Passen Sie den Text bei Bedarf an und senden Sie ihn dann.",
  scopeAccount: "Team",
  scopePersonal: "Eigener",
  anyLanguage: "Jede Sprache",
  langName_en: "English",
  langName_de: "Deutsch",

  managerOpen: "Meine Textbausteine",
  managerTitle: "Meine Textbausteine",
  managerIntro:
    "Diese Textbausteine sehen nur Sie. Tippen Sie im Chat / in das Nachrichtenfeld, um einen einzufügen. Die gemeinsamen Textbausteine Ihres Kontos werden in der Verwaltung gepflegt.",
  managerNone: "Sie haben noch keine eigenen Textbausteine.",
  managerAdd: "Neuer Textbaustein",
  managerNewTitle: "Neuer Textbaustein",
  managerEditTitle: "„{title}“ bearbeiten",
  managerListLabel: "Ihre Textbausteine",
  fieldTitle: "Titel",
  fieldShortcut: "Kürzel (optional)",
  fieldShortcutHint: "Wird nach dem / getippt, z. B. gruss: Kleinbuchstaben, Ziffern und Bindestriche.",
  fieldLanguage: "Sprache",
  fieldText: "Text",
  fieldTextHint: "Höchstens {max} Zeichen. Platzhalter: {list}",
  save: "Speichern",
  create: "Anlegen",
  cancel: "Abbrechen",
  edit: "Bearbeiten",
  delete: "Löschen",
  deleteConfirm: "„{title}“ löschen?",
  deleteYes: "Ja, löschen",
  saved: "„{title}“ wurde gespeichert.",
  created: "„{title}“ wurde angelegt.",
  deleted: "„{title}“ wurde gelöscht.",
  errRequired: "Geben Sie einen {field} ein.",
  errTitleLong: "Der Titel darf höchstens {max} Zeichen haben.",
  errTextLong: "Der Text darf höchstens {max} Zeichen haben.",
  errOneLine: "Der Titel muss aus einer Zeile bestehen.",
  errShortcut:
    "Verwenden Sie Kleinbuchstaben, Ziffern und Bindestriche, beginnend mit einem Buchstaben oder einer Ziffer, z. B. gruss.",
  errDuplicate: "Sie haben bereits einen Textbaustein mit dem Kürzel „{shortcut}“. Wählen Sie ein anderes.",
  errUnknown: "Unbekannter Platzhalter: {placeholders}. Gültige Platzhalter: {valid}.",
  errTooMany: "Sie haben so viele Textbausteine, wie möglich sind ({limit}). Löschen Sie zuerst einen.",
  fieldNameTitle: "Titel",
  fieldNameText: "Text",
};

const catalogs: Record<Lang, Record<CannedKey, string>> = { en, de };

/** A canned-responses text in the console's language, with {placeholders} filled (dotted names stay as they are). */
export function ct(key: CannedKey, params: Record<string, string | number> = {}): string {
  return catalogs[lang.value][key].replace(/\{(\w+)\}/g, (_, k: string) =>
    k in params ? String(params[k]) : `{${k}}`,
  );
}

export function languageLabel(language: "en" | "de" | null): string {
  return language === null ? ct("anyLanguage") : ct(`langName_${language}`);
}
