import { formatDuration } from "./format.js";
import { t } from "./i18n.js";
import { takeNext } from "./live.js";
import { now, queueLines, takingNext } from "./state.js";

/** Queue mode: each of the agent's queue portals with its line and longest wait, and "Take next". */
export function QueueBar() {
  const lines = queueLines.value;
  if (lines.length === 0) return null;
  const n = now.value;
  const anyone = lines.some((l) => l.stat.length > 0);
  return (
    <section class="queue-bar" aria-labelledby="queue-bar-title">
      <h2 id="queue-bar-title" class="queue-title">
        {t("queueRegion")}
      </h2>
      <ul class="queue-lines">
        {lines.map(({ stat, name }) => (
          <li key={stat.portalId} class={stat.length > 0 ? "queue-line has-waiting" : "queue-line"}>
            <span class="queue-name">{name}</span>
            {stat.length > 0 ? (
              <>
                <span class="queue-count">
                  <span aria-hidden="true">· </span>
                  {t("queueLength", { count: stat.length })}
                </span>
                {stat.oldestSince !== null && (
                  <span class="queue-oldest">
                    <span aria-hidden="true">· </span>
                    {t("queueOldest", { time: formatDuration(Math.max(0, n - stat.oldestSince)) })}
                  </span>
                )}
              </>
            ) : (
              <span class="muted">{t("queueNobody")}</span>
            )}
          </li>
        ))}
      </ul>
      <button
        type="button"
        class="btn btn-accept queue-take"
        disabled={takingNext.value || !anyone}
        onClick={() => void takeNext()}
      >
        {takingNext.value ? t("takingNext") : t("takeNext")}
      </button>
    </section>
  );
}
