import { LANGUAGES, type Language } from "../../../shared/model.js";
import { language, setLanguage, t } from "../../common/i18n.js";

/** Each language's name in itself. */
export const LANGUAGE_NAMES: Record<Language, string> = { en: "English", de: "Deutsch" };

/** Two buttons, EN and DE; the choice is remembered in this browser. */
export function LanguageSwitch() {
  return (
    <fieldset class="lang-switch">
      <legend class="visually-hidden">{t("admin.language")}</legend>
      {LANGUAGES.map((lang) => (
        <button
          key={lang}
          type="button"
          lang={lang}
          aria-pressed={language.value === lang}
          onClick={() => setLanguage(lang)}
        >
          {lang.toUpperCase()}
          <span class="visually-hidden"> {LANGUAGE_NAMES[lang]}</span>
        </button>
      ))}
    </fieldset>
  );
}
