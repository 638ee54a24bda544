import { useRef, useState } from "preact/hooks";
import type { Account, Portal, User } from "../../../shared/api.js";
import { EMAIL_PATTERN, LANGUAGES, type Language, LIMITS, ROLES, type Role } from "../../../shared/model.js";
import { ChoiceGroup, Field, FormAlert } from "../../common/Field.js";
import {
  checkInteger,
  checkText,
  type FormErrors,
  focusFirstInvalid,
  hasProblems,
  NO_ERRORS,
  type Problems,
  placeIn,
} from "../../common/forms.js";
import { language, t } from "../../common/i18n.js";
import { useLoad } from "../../common/useLoad.js";
import { api, type UserInput } from "../api.js";
import { flash } from "../components/Flash.js";
import { LANGUAGE_NAMES } from "../components/LanguageSwitch.js";
import { OneTimeSecret } from "../components/OneTimeSecret.js";
import { PageHeader } from "../components/PageHeader.js";
import { LoadError, Loading } from "../components/Status.js";
import { Link } from "../Link.js";
import { navigate } from "../router.js";
import { me, storeSelf } from "../session.js";
import { tx, xFormErrors } from "../texts.js";
import { URL_PATTERN } from "./portalDraft.js";
import { UserAccess } from "./UserAccess.js";

const SHOWN = [
  "displayName",
  "email",
  "role",
  "maxSessions",
  "avatarUrl",
  "portalIds",
  "password",
  "language",
  "invite",
];
const formErrors = xFormErrors;

interface Draft {
  displayName: string;
  email: string;
  role: Role;
  maxSessions: string;
  avatarUrl: string;
  portalIds: string[];
  password: string;
  language: Language;
  /** New users: send an invitation email instead of setting a password. */
  invite: boolean;
}

function draftOf(user: User | null): Draft {
  return {
    displayName: user?.displayName ?? "",
    email: user?.email ?? "",
    role: user && user.role !== "operator" ? user.role : "agent",
    maxSessions: String(user?.maxSessions ?? 3),
    avatarUrl: user?.avatarUrl ?? "",
    portalIds: user?.portalIds ?? [],
    password: "",
    language: user?.language ?? language.value,
    invite: user === null && me.value?.emailEnabled === true,
  };
}

function validate(d: Draft, isNew: boolean): Problems {
  const p: Problems = {};
  checkText(p, "displayName", d.displayName, { required: true, max: LIMITS.userName });
  checkText(p, "email", d.email, { required: true, max: LIMITS.email, pattern: EMAIL_PATTERN });
  checkInteger(p, "maxSessions", d.maxSessions, LIMITS.maxSessionsMin, LIMITS.maxSessionsMax);
  checkText(p, "avatarUrl", d.avatarUrl, { max: LIMITS.url, pattern: URL_PATTERN });
  if (isNew && !d.invite && d.password !== "") {
    checkText(p, "password", d.password, { min: LIMITS.passwordMin, max: LIMITS.passwordMax });
  }
  return p;
}

function inputOf(d: Draft): UserInput {
  return {
    displayName: d.displayName.trim(),
    email: d.email.trim(),
    role: d.role,
    maxSessions: Number(d.maxSessions),
    avatarUrl: d.avatarUrl.trim() === "" ? null : d.avatarUrl.trim(),
    portalIds: d.portalIds,
    language: d.language,
  };
}

export function UserForm({ account, userId }: { account: Account; userId: string | null }) {
  const { result, reload, replace } = useLoad(
    () =>
      Promise.all([
        userId === null ? Promise.resolve(null) : api.user(account.id, userId),
        api.portals(account.id),
      ]),
    [account.id, userId],
  );
  const title = userId === null ? t("users.new") : t("users.edit");
  return (
    <div class="page">
      <p class="breadcrumb">
        <Link href="/admin/users">{t("admin.nav.users")}</Link>
        <span aria-hidden="true"> / </span>
      </p>
      {result.state === "ready" ? (
        <>
          <PageHeader title={result.data[0] ? result.data[0].displayName : title} />
          <UserEditor
            key={result.data[0]?.id ?? "new"}
            account={account}
            user={result.data[0]}
            portals={result.data[1]}
            onSaved={(u) => replace([u, result.data[1]])}
          />
        </>
      ) : (
        <PageHeader title={title} />
      )}
      {result.state === "loading" ? <Loading /> : null}
      {result.state === "failed" ? <LoadError error={result.error} retry={reload} /> : null}
    </div>
  );
}

function UserEditor(props: {
  account: Account;
  user: User | null;
  portals: Portal[];
  onSaved: (user: User) => void;
}) {
  const { account, user, portals } = props;
  const isNew = user === null;
  const [draft, setDraft] = useState<Draft>(() => draftOf(user));
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<{ user: User; password: string } | null>(null);
  const emailEnabled = me.value?.emailEnabled === true;
  const form = useRef<HTMLFormElement>(null);
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  async function submit(e: Event) {
    e.preventDefault();
    const problems = validate(draft, isNew);
    if (hasProblems(problems)) {
      setErrors(formErrors(problems, placeIn(SHOWN)));
      focusFirstInvalid(form.current);
      return;
    }
    setBusy(true);
    try {
      if (isNew) {
        const input = inputOf(draft);
        const res = await api.createUser(
          account.id,
          draft.invite
            ? { ...input, invite: true }
            : draft.password === ""
              ? input
              : { ...input, password: draft.password },
        );
        if (draft.invite) {
          flash.value = tx("users.invitedFlash", { name: res.user.displayName, email: res.user.email });
          navigate("/admin/users");
        } else if (res.generatedPassword) {
          setCreated({ user: res.user, password: res.generatedPassword });
        } else {
          flash.value = t("users.createdFlash", { name: res.user.displayName });
          navigate("/admin/users");
        }
      } else {
        const saved = await api.updateUser(account.id, user.id, inputOf(draft));
        storeSelf(saved);
        props.onSaved(saved);
        flash.value = t("users.savedFlash", { name: saved.displayName });
        navigate("/admin/users");
      }
    } catch (err) {
      setErrors(formErrors(err, placeIn(SHOWN)));
      focusFirstInvalid(form.current);
    } finally {
      setBusy(false);
    }
  }

  if (created) {
    return (
      <OneTimeSecret
        title={t("users.createdTitle", { name: created.user.displayName })}
        text={t("users.generatedOnce", { email: created.user.email })}
        secret={created.password}
        onDone={() => navigate("/admin/users")}
      />
    );
  }

  return (
    <div class="split">
      <form ref={form} class="panel form" onSubmit={submit} noValidate>
        <FormAlert text={errors.general} />
        <h2 class="panel-title">{t("users.profile")}</h2>
        <div class="row-2">
          <Field id="user-displayName" label={t("users.displayName")} error={errors.fields.displayName}>
            {(c) => (
              <input
                {...c}
                type="text"
                autoComplete="off"
                value={draft.displayName}
                onInput={(e) => set("displayName", e.currentTarget.value)}
              />
            )}
          </Field>
          <Field id="user-email" label={t("admin.email")} error={errors.fields.email}>
            {(c) => (
              <input
                {...c}
                type="email"
                autoComplete="off"
                value={draft.email}
                onInput={(e) => set("email", e.currentTarget.value)}
              />
            )}
          </Field>
        </div>
        <div class="row-2">
          <Field
            id="user-role"
            label={t("users.role")}
            hint={t(`users.roleHint.${draft.role}`)}
            error={errors.fields.role}
          >
            {(c) => (
              <select {...c} value={draft.role} onChange={(e) => set("role", e.currentTarget.value as Role)}>
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {t(`users.role.${r}`)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field
            id="user-maxSessions"
            label={t("users.maxSessions")}
            hint={t("users.maxSessionsHint", { min: LIMITS.maxSessionsMin, max: LIMITS.maxSessionsMax })}
            error={errors.fields.maxSessions}
          >
            {(c) => (
              <input
                {...c}
                type="number"
                inputMode="numeric"
                min={LIMITS.maxSessionsMin}
                max={LIMITS.maxSessionsMax}
                class="short"
                value={draft.maxSessions}
                onInput={(e) => set("maxSessions", e.currentTarget.value)}
              />
            )}
          </Field>
        </div>
        <Field
          id="user-avatarUrl"
          label={t("users.avatar")}
          hint={t("users.avatarHint")}
          error={errors.fields.avatarUrl}
        >
          {(c) => (
            <input
              {...c}
              type="url"
              value={draft.avatarUrl}
              placeholder="https://"
              onInput={(e) => set("avatarUrl", e.currentTarget.value)}
            />
          )}
        </Field>
        <ChoiceGroup
          id="user-portalIds"
          legend={t("users.portals")}
          hint={t("users.portalsHint")}
          error={errors.fields.portalIds}
        >
          {portals.length === 0 ? <p class="muted">{t("portals.none")}</p> : null}
          <div class="checks">
            {portals.map((p) => (
              <label key={p.id} class="check">
                <input
                  type="checkbox"
                  checked={draft.portalIds.includes(p.id)}
                  onChange={(e) =>
                    set(
                      "portalIds",
                      e.currentTarget.checked
                        ? [...draft.portalIds, p.id]
                        : draft.portalIds.filter((id) => id !== p.id),
                    )
                  }
                />
                <span>
                  {p.name}
                  <span class="sub">/p/{p.slug}</span>
                </span>
              </label>
            ))}
          </div>
        </ChoiceGroup>
        <Field
          id="user-language"
          label={tx("users.language")}
          hint={tx("users.languageHint")}
          error={errors.fields.language}
        >
          {(c) => (
            <select
              {...c}
              class="short-select"
              value={draft.language}
              onChange={(e) => set("language", e.currentTarget.value as Language)}
            >
              {LANGUAGES.map((l) => (
                <option key={l} value={l} lang={l}>
                  {LANGUAGE_NAMES[l]}
                </option>
              ))}
            </select>
          )}
        </Field>
        {isNew ? (
          <ChoiceGroup
            id="user-invite"
            legend={tx("users.access.how")}
            hint={emailEnabled ? undefined : tx("users.inviteOff")}
            error={errors.fields.invite}
            radio
          >
            <label class="check">
              <input
                type="radio"
                name="user-invite"
                checked={draft.invite}
                disabled={!emailEnabled}
                onChange={() => set("invite", true)}
              />
              <span>
                <strong>{tx("users.invite")}</strong>
                <span class="hint block">{tx("users.inviteHint")}</span>
              </span>
            </label>
            <label class="check">
              <input
                type="radio"
                name="user-invite"
                checked={!draft.invite}
                onChange={() => set("invite", false)}
              />
              <span>
                <strong>{tx("users.setPassword")}</strong>
                <span class="hint block">{tx("users.setPasswordHint")}</span>
              </span>
            </label>
          </ChoiceGroup>
        ) : null}
        {isNew && !draft.invite ? (
          <Field
            id="user-password"
            label={t("users.password")}
            hint={t("users.passwordHint")}
            error={errors.fields.password}
          >
            {(c) => (
              <input
                {...c}
                type="password"
                autoComplete="new-password"
                value={draft.password}
                onInput={(e) => set("password", e.currentTarget.value)}
              />
            )}
          </Field>
        ) : null}
        <div class="form-buttons">
          <button type="submit" class="button primary" disabled={busy}>
            {isNew ? t("users.createButton") : t("admin.save")}
          </button>
          <Link href="/admin/users" class="button secondary">
            {t("admin.cancel")}
          </Link>
        </div>
      </form>
      {user ? <UserAccess account={account} user={user} onChanged={props.onSaved} /> : null}
    </div>
  );
}
