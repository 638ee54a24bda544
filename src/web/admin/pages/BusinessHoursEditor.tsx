import { HOURS_LIMITS, type HoursInterval, WEEKDAYS, type Weekday } from "../../../shared/businessHours.js";
import { ChoiceGroup, FieldError } from "../../common/Field.js";
import { language } from "../../common/i18n.js";
import { tx } from "../texts.js";
import { defaultHours, type HoursDraft } from "./portalDraft.js";

/** The weekday's name in the page language (2024-01-01 was a Monday). */
function dayName(day: Weekday): string {
  const index = WEEKDAYS.indexOf(day);
  return new Intl.DateTimeFormat(language.value, { weekday: "long", timeZone: "UTC" }).format(
    new Date(Date.UTC(2024, 0, 1 + index)),
  );
}

let zones: string[] | null = null;
function timeZones(): string[] {
  if (zones === null) {
    try {
      zones = Intl.supportedValuesOf("timeZone");
    } catch {
      zones = [];
    }
  }
  return zones;
}

/**
 * The portal's business hours: open around the clock, or a weekly schedule (several intervals a
 * day) in a time zone, with closures. Every problem the server names (`businessHours.weekly.mon[1]
 * .end` …) is shown at its input; the rules themselves are the server's.
 */
export function BusinessHoursEditor({
  hours,
  onChange,
  errors,
  defaultTimeZone,
}: {
  hours: HoursDraft | null;
  onChange: (hours: HoursDraft | null) => void;
  errors: Record<string, string>;
  defaultTimeZone: string;
}) {
  const err = (path: string) => errors[`businessHours${path}`];
  const setDay = (day: Weekday, intervals: HoursInterval[]) =>
    hours && onChange({ ...hours, weekly: { ...hours.weekly, [day]: intervals } });
  const setClosure = (index: number, patch: Partial<HoursDraft["closures"][number]>) =>
    hours &&
    onChange({ ...hours, closures: hours.closures.map((c, i) => (i === index ? { ...c, ...patch } : c)) });
  return (
    <section class="panel" aria-labelledby="hours-title">
      <h2 id="hours-title" class="panel-title">
        {tx("hours.title")}
      </h2>
      <ChoiceGroup id="hours-mode" legend={tx("hours.mode")} hint={tx("hours.hint")} error={err("")} radio>
        <label class="check">
          <input type="radio" name="hours-mode" checked={hours === null} onChange={() => onChange(null)} />
          <span>{tx("hours.always")}</span>
        </label>
        <label class="check">
          <input
            type="radio"
            name="hours-mode"
            checked={hours !== null}
            onChange={() => onChange(hours ?? defaultHours(defaultTimeZone))}
          />
          <span>{tx("hours.set")}</span>
        </label>
      </ChoiceGroup>
      {hours === null ? null : (
        <div class="hours-editor">
          <div class={`field${err(".timeZone") ? " has-error" : ""}`}>
            <label for="hours-timeZone">{tx("hours.timeZone")}</label>
            <p class="hint" id="hours-timeZone-hint">
              {tx("hours.timeZoneHint")}
            </p>
            <input
              id="hours-timeZone"
              type="text"
              list="hours-timeZones"
              value={hours.timeZone}
              autoComplete="off"
              spellcheck={false}
              aria-invalid={err(".timeZone") ? "true" : undefined}
              aria-describedby={`hours-timeZone-hint${err(".timeZone") ? " hours-timeZone-error" : ""}`}
              onInput={(ev) => onChange({ ...hours, timeZone: ev.currentTarget.value })}
            />
            <datalist id="hours-timeZones">
              {timeZones().map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
            <FieldError id="hours-timeZone-error" text={err(".timeZone")} />
          </div>

          {WEEKDAYS.map((day) => {
            const name = dayName(day);
            const intervals = hours.weekly[day];
            return (
              <fieldset
                key={day}
                class="hours-day"
                aria-describedby={err(`.weekly.${day}`) ? `hours-${day}-error` : undefined}
              >
                <legend>{name}</legend>
                {intervals.length === 0 ? <p class="muted hours-closed">{tx("hours.closedAllDay")}</p> : null}
                {intervals.map((interval, i) => {
                  const at = `.weekly.${day}[${i}]`;
                  const rowError = err(at);
                  const startError = err(`${at}.start`);
                  const endError = err(`${at}.end`);
                  const id = `hours-${day}-${i}`;
                  return (
                    <div
                      key={`${day}-${i}`}
                      class={`hours-row${rowError || startError || endError ? " has-error" : ""}`}
                    >
                      <label class="hours-time">
                        <span>{tx("hours.from")}</span>
                        <input
                          id={`${id}-start`}
                          type="text"
                          value={interval.start}
                          inputMode="numeric"
                          placeholder="09:00"
                          maxLength={5}
                          size={5}
                          aria-label={`${name} ${tx("hours.from")}`}
                          aria-invalid={startError || rowError ? "true" : undefined}
                          aria-describedby={startError || rowError ? `${id}-error` : undefined}
                          onInput={(ev) =>
                            setDay(
                              day,
                              intervals.map((x, k) =>
                                k === i ? { ...x, start: ev.currentTarget.value } : x,
                              ),
                            )
                          }
                        />
                      </label>
                      <label class="hours-time">
                        <span>{tx("hours.until")}</span>
                        <input
                          id={`${id}-end`}
                          type="text"
                          value={interval.end}
                          inputMode="numeric"
                          placeholder="17:00"
                          maxLength={5}
                          size={5}
                          aria-label={`${name} ${tx("hours.until")}`}
                          aria-invalid={endError ? "true" : undefined}
                          aria-describedby={endError ? `${id}-error` : undefined}
                          onInput={(ev) =>
                            setDay(
                              day,
                              intervals.map((x, k) => (k === i ? { ...x, end: ev.currentTarget.value } : x)),
                            )
                          }
                        />
                      </label>
                      <button
                        type="button"
                        class="button small secondary"
                        aria-label={tx("hours.removeLabel", {
                          day: name,
                          start: interval.start,
                          end: interval.end,
                        })}
                        onClick={() =>
                          setDay(
                            day,
                            intervals.filter((_, k) => k !== i),
                          )
                        }
                      >
                        {tx("hours.remove")}
                      </button>
                      <FieldError id={`${id}-error`} text={rowError ?? startError ?? endError} />
                    </div>
                  );
                })}
                {intervals.length < HOURS_LIMITS.intervalsPerDay ? (
                  <button
                    type="button"
                    class="button small secondary"
                    aria-label={tx("hours.addLabel", { day: name })}
                    onClick={() => {
                      const last = intervals[intervals.length - 1];
                      setDay(day, [
                        ...intervals,
                        last ? { start: last.end, end: "24:00" } : { start: "09:00", end: "17:00" },
                      ]);
                    }}
                  >
                    {tx("hours.add")}
                  </button>
                ) : null}
                <FieldError id={`hours-${day}-error`} text={err(`.weekly.${day}`)} />
              </fieldset>
            );
          })}

          <fieldset class="hours-closures">
            <legend>{tx("hours.closures")}</legend>
            <p class="hint">{tx("hours.closuresHint")}</p>
            {hours.closures.length === 0 ? <p class="muted">{tx("hours.noClosures")}</p> : null}
            {hours.closures.map((c, i) => {
              const at = `.closures[${i}]`;
              const id = `hours-closure-${i}`;
              const problem = err(`${at}.from`) ?? err(`${at}.to`) ?? err(`${at}.message`) ?? err(at);
              return (
                <div key={id} class={`hours-row hours-closure${problem ? " has-error" : ""}`}>
                  <label class="hours-time hours-date">
                    <span>{tx("hours.closureFrom")}</span>
                    <input
                      id={`${id}-from`}
                      type="date"
                      value={c.from}
                      aria-invalid={err(`${at}.from`) ? "true" : undefined}
                      aria-describedby={problem ? `${id}-error` : undefined}
                      onInput={(ev) => setClosure(i, { from: ev.currentTarget.value })}
                    />
                  </label>
                  <label class="hours-time hours-date">
                    <span>{tx("hours.closureTo")}</span>
                    <input
                      id={`${id}-to`}
                      type="date"
                      value={c.to}
                      aria-invalid={err(`${at}.to`) ? "true" : undefined}
                      aria-describedby={problem ? `${id}-error` : undefined}
                      onInput={(ev) => setClosure(i, { to: ev.currentTarget.value })}
                    />
                  </label>
                  <label class="hours-message">
                    <span>{tx("hours.closureMessage")}</span>
                    <input
                      id={`${id}-message`}
                      type="text"
                      value={c.message}
                      maxLength={HOURS_LIMITS.closureMessage}
                      aria-invalid={err(`${at}.message`) ? "true" : undefined}
                      onInput={(ev) => setClosure(i, { message: ev.currentTarget.value })}
                    />
                  </label>
                  <button
                    type="button"
                    class="button small secondary"
                    aria-label={tx("hours.removeClosureLabel", { from: c.from || "…" })}
                    onClick={() => onChange({ ...hours, closures: hours.closures.filter((_, k) => k !== i) })}
                  >
                    {tx("hours.remove")}
                  </button>
                  <FieldError id={`${id}-error`} text={problem} />
                </div>
              );
            })}
            {hours.closures.length < HOURS_LIMITS.closures ? (
              <button
                type="button"
                class="button small secondary"
                onClick={() =>
                  onChange({ ...hours, closures: [...hours.closures, { from: "", to: "", message: "" }] })
                }
              >
                {tx("hours.addClosure")}
              </button>
            ) : null}
          </fieldset>
        </div>
      )}
    </section>
  );
}
