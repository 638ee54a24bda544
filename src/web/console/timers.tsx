import { formatCountdown, formatDuration } from "./format.js";
import { t } from "./i18n.js";
import { now } from "./state.js";

/** Small components that re-render every second on their own, so the tables around them do not. */

export function Elapsed({ since }: { since: number }) {
  return <>{formatDuration(now.value - since)}</>;
}

export function Countdown({ until }: { until: number }) {
  return <>{formatCountdown(until, now.value)}</>;
}

/** Incoming's timer: time left to answer a targeted alert, otherwise how long the customer waited. */
export function RequestTimer({
  createdAt,
  deadlineAt,
  targeted,
}: {
  createdAt: number;
  deadlineAt: number | null;
  targeted: boolean;
}) {
  const n = now.value;
  if (targeted && deadlineAt !== null) {
    const left = deadlineAt - n;
    return (
      <span class={left < 10_000 ? "timer timer-urgent" : "timer timer-left"}>
        {t("timeLeft", { time: formatDuration(left) })}
      </span>
    );
  }
  return <span class="timer">{t("waited", { time: formatDuration(n - createdAt) })}</span>;
}
