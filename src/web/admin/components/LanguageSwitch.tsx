import { LANGUAGES, type Language } from "../../../shared/model.js";
import { language, setLanguage, t } from "../../common/i18n.js";

const NAMES: Record<Language, string> = { en: "English", de: "Deutsch" };

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
          <span class="visually-hidden"> {NAMES[lang]}</span>
        </button>
      ))}
    </fieldset>
  );
}
