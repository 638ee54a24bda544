import { api } from "./api.js";
import { LANG_NAMES, LANGS, type Lang, lang, setLang, t } from "./i18n.js";
import { user } from "./state.js";

/**
 * Switches the console's language at once (remembered in this browser) and, when signed in,
 * saves it on the server too, so Helpgate's emails to this user come in it. A failed save
 * changes nothing here: the local choice stays.
 */
export function LanguageSwitch() {
  const choose = (next: Lang) => {
    setLang(next);
    const me = user.value;
    if (!me) return;
    api.saveLanguage(next).then(
      (saved) => {
        // Only when nobody signed out or switched again in the meantime.
        if (user.value?.id === saved.user.id && lang.value === next) user.value = saved.user;
      },
      () => {
        // not saved on the server (offline, an older server): the console still uses it
      },
    );
  };
  return (
    <label class="lang-switch">
      <span class="visually-hidden">{t("language")}</span>
      <select value={lang.value} onChange={(e) => choose(e.currentTarget.value as Lang)}>
        {LANGS.map((l) => (
          <option key={l} value={l} lang={l}>
            {LANG_NAMES[l]}
          </option>
        ))}
      </select>
    </label>
  );
}
