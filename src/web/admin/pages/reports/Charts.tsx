import type { ComponentChildren } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { VolumeRow } from "../../../../shared/api.js";
import { language } from "../../../common/i18n.js";
import { axisDuration, count, dayText, duration, type ReportTextKey, rx } from "../../reportTexts.js";
import type { ChartSpec, Plot } from "./plot.js";

/** The outcomes a volume bar is stacked by, bottom to top, with the CSS colour each is drawn in. */
const STACK = [
  { key: "accepted", label: "rp.sum.accepted", color: "--chart-accepted" },
  { key: "declined", label: "rp.sum.declined", color: "--chart-declined" },
  { key: "noResponse", label: "rp.sum.noResponse", color: "--chart-noresponse" },
  { key: "canceled", label: "rp.sum.canceled", color: "--chart-canceled" },
  { key: "offline", label: "rp.sum.offline", color: "--chart-offline" },
] as const satisfies readonly { key: keyof VolumeRow; label: ReportTextKey; color: string }[];

type StackKey = (typeof STACK)[number]["key"];

export function rowTotal(row: VolumeRow): number {
  return STACK.reduce((sum, s) => sum + row[s.key], 0);
}

function cssColor(el: Element, name: string, fallback: string): string {
  return getComputedStyle(el).getPropertyValue(name).trim() || fallback;
}

/** A uPlot chart that loads the library on first use, follows the container's width, and hides from screen readers (the table below is the text alternative). */
function Plotted({ build, label }: { build: (el: Element) => ChartSpec; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<"loading" | "ready" | "failed">("loading");
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let plot: Plot | null = null;
    let live = true;
    const observer = new ResizeObserver(() => {
      const width = Math.floor(el.clientWidth);
      if (plot && width > 0) plot.resize(width);
    });
    import("./plot.js").then(
      ({ drawChart }) => {
        if (!live) return;
        plot = drawChart(el, build(el), Math.max(200, Math.floor(el.clientWidth)));
        observer.observe(el);
        setState("ready");
      },
      () => live && setState("failed"),
    );
    return () => {
      live = false;
      observer.disconnect();
      plot?.destroy();
    };
  }, [build]);
  return (
    <div class="chart-box">
      <div ref={box} class="chart-canvas" aria-hidden="true" data-chart={label} />
      {state === "loading" ? <p class="chart-note">{rx("rp.chart.loading")}</p> : null}
    </div>
  );
}

function Legend({ items }: { items: { label: string; swatch: string }[] }) {
  return (
    <ul class="chart-legend" aria-hidden="true">
      {items.map((item) => (
        <li key={item.label}>
          <span class={`swatch ${item.swatch}`} />
          {item.label}
        </li>
      ))}
    </ul>
  );
}

const swatchOf = (key: StackKey) => `swatch-${key.toLowerCase()}`;

/** The figures behind a volume chart, as a table for screen readers (and anyone who prefers numbers). */
function VolumeTable({
  rows,
  keyLabel,
  keyText,
}: {
  rows: VolumeRow[];
  keyLabel: string;
  keyText: (k: string) => string;
}) {
  return (
    <div class="visually-hidden">
      <table>
        <caption>{rx("rp.chart.table")}</caption>
        <thead>
          <tr>
            <th scope="col">{keyLabel}</th>
            {STACK.map((s) => (
              <th key={s.key} scope="col">
                {rx(s.label)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key}>
              <th scope="row">{keyText(row.key)}</th>
              {STACK.map((s) => (
                <td key={s.key}>{count(row[s.key])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function stackedSpec(rows: VolumeRow[], labels: string[]) {
  return (el: Element): ChartSpec => ({
    kind: "stacked",
    labels,
    integer: true,
    bars: STACK.map((s) => ({
      label: rx(s.label),
      color: cssColor(el, s.color, "#888"),
      values: rows.map((r) => r[s.key]),
    })),
    yFormat: (v) => count(v),
    ink: cssColor(el, "--muted", "#556070"),
    grid: cssColor(el, "--line", "#dde2e8"),
  });
}

function ChartFigure({
  id,
  title,
  summary,
  children,
}: {
  id: string;
  title: string;
  summary: string;
  children: ComponentChildren;
}) {
  return (
    <figure class="panel chart" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`} class="chart-title">
        {title}
      </h3>
      <p class="chart-summary">{summary}</p>
      {children}
    </figure>
  );
}

export function VolumeByDay({ rows }: { rows: VolumeRow[] }) {
  const labels = rows.map((r) => dayText(r.key, "short"));
  const build = useMemo(() => stackedSpec(rows, labels), [rows, language.value]);
  const total = rows.reduce((sum, r) => sum + rowTotal(r), 0);
  const busiest = rows.reduce<VolumeRow | null>(
    (best, r) => (best === null || rowTotal(r) > rowTotal(best) ? r : best),
    null,
  );
  const summary =
    rows.length === 1 && busiest
      ? rx("rp.chart.volumeSummaryOne", { total: count(total), day: dayText(busiest.key) })
      : rx("rp.chart.volumeSummary", {
          total: count(total),
          days: count(rows.length),
          day: busiest ? dayText(busiest.key) : rx("rp.none"),
          n: count(busiest ? rowTotal(busiest) : 0),
        });
  return (
    <ChartFigure id="chart-days" title={rx("rp.chart.volume")} summary={summary}>
      <Legend items={STACK.map((s) => ({ label: rx(s.label), swatch: swatchOf(s.key) }))} />
      <Plotted build={build} label="days" />
      <VolumeTable rows={rows} keyLabel={rx("rp.chart.day")} keyText={(k) => dayText(k)} />
    </ChartFigure>
  );
}

export function VolumeByHour({ rows }: { rows: VolumeRow[] }) {
  const labels = rows.map((r) => r.key);
  const build = useMemo(() => stackedSpec(rows, labels), [rows, language.value]);
  const busiest = rows.reduce<VolumeRow | null>(
    (best, r) => (best === null || rowTotal(r) > rowTotal(best) ? r : best),
    null,
  );
  const summary = rx("rp.chart.hoursSummary", {
    hour: busiest ? `${busiest.key}:00` : rx("rp.none"),
    n: count(busiest ? rowTotal(busiest) : 0),
  });
  return (
    <ChartFigure id="chart-hours" title={rx("rp.chart.hours")} summary={summary}>
      <Legend items={STACK.map((s) => ({ label: rx(s.label), swatch: swatchOf(s.key) }))} />
      <Plotted build={build} label="hours" />
      <VolumeTable rows={rows} keyLabel={rx("rp.chart.hour")} keyText={(k) => `${k}:00`} />
    </ChartFigure>
  );
}

export function WaitByDay({ rows }: { rows: VolumeRow[] }) {
  const labels = rows.map((r) => dayText(r.key, "short"));
  const build = useMemo(
    () =>
      (el: Element): ChartSpec => ({
        kind: "lines",
        labels,
        lines: [
          {
            label: rx("rp.sum.median"),
            color: cssColor(el, "--chart-median", "#1d4ed8"),
            values: rows.map((r) => r.waitMedian),
          },
          {
            label: rx("rp.sum.p90"),
            color: cssColor(el, "--chart-p90", "#b54708"),
            values: rows.map((r) => r.waitP90),
            dash: [6, 4],
          },
        ],
        yFormat: (v) => axisDuration(v),
        ink: cssColor(el, "--muted", "#556070"),
        grid: cssColor(el, "--line", "#dde2e8"),
      }),
    [rows, language.value],
  );
  const medians = rows.map((r) => r.waitMedian).filter((v): v is number => v !== null);
  const summary =
    medians.length === 0
      ? rx("rp.chart.waitNone")
      : rx("rp.chart.waitSummary", {
          min: duration(Math.min(...medians)),
          max: duration(Math.max(...medians)),
        });
  return (
    <ChartFigure id="chart-wait" title={rx("rp.chart.wait")} summary={summary}>
      <Legend
        items={[
          { label: rx("rp.sum.median"), swatch: "swatch-median" },
          { label: rx("rp.sum.p90"), swatch: "swatch-p90" },
        ]}
      />
      {medians.length > 0 ? <Plotted build={build} label="wait" /> : null}
      <div class="visually-hidden">
        <table>
          <caption>{rx("rp.chart.table")}</caption>
          <thead>
            <tr>
              <th scope="col">{rx("rp.chart.day")}</th>
              <th scope="col">{rx("rp.sum.median")}</th>
              <th scope="col">{rx("rp.sum.p90")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.key}>
                <th scope="row">{dayText(row.key)}</th>
                <td>{duration(row.waitMedian)}</td>
                <td>{duration(row.waitP90)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </ChartFigure>
  );
}
