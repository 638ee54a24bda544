import { LANG_NAMES, LANGS, type Lang, lang, setLang, t } from "./i18n.js";

export function LanguageSwitch() {
  return (
    <label class="lang-switch">
      <span class="visually-hidden">{t("language")}</span>
      <select value={lang.value} onChange={(e) => setLang(e.currentTarget.value as Lang)}>
        {LANGS.map((l) => (
          <option key={l} value={l} lang={l}>
            {LANG_NAMES[l]}
          </option>
        ))}
      </select>
    </label>
  );
}
