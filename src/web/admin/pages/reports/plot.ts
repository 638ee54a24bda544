import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

/**
 * The reports' charts drawn with uPlot. This module is only ever loaded with import() from the
 * reports page, so the rest of /admin does not carry the library.
 */

export interface BarSeries {
  label: string;
  /** A CSS colour (read from the page's custom properties). */
  color: string;
  values: number[];
}

export interface LineSeries {
  label: string;
  color: string;
  values: (number | null)[];
  dash?: number[];
}

export interface ChartSpec {
  kind: "stacked" | "lines";
  /** One label per x position (a day or an hour). */
  labels: string[];
  bars?: BarSeries[];
  lines?: LineSeries[];
  /** How a y value is written on the axis. */
  yFormat: (v: number) => string;
  /** Counts: whole-number steps on the y axis. */
  integer?: boolean;
  ink: string;
  grid: string;
}

export interface Plot {
  resize: (width: number) => void;
  destroy: () => void;
}

const COUNT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];
/** Seconds: 1 s … 4 h, steps a person reads easily. */
const SECOND_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400];

function heightFor(width: number): number {
  return width < 520 ? 200 : 240;
}

/** Draws a chart into `target`, sized to `width`; returns how to resize and remove it. */
export function drawChart(target: HTMLElement, spec: ChartSpec, width: number): Plot {
  const xs = spec.labels.map((_, i) => i);
  const data: (number | null)[][] = [xs];
  const series: uPlot.Series[] = [{}];
  const narrow = () => width < 520;

  if (spec.kind === "stacked") {
    const bars = spec.bars ?? [];
    // Stacked bars: each series is the running total; the tallest is drawn first, the rest over it.
    const totals: number[][] = [];
    let running = xs.map(() => 0);
    for (const bar of bars) {
      running = running.map((sum, i) => sum + (bar.values[i] ?? 0));
      totals.push(running);
    }
    const barsPath = uPlot.paths.bars?.({ size: [0.7, 48], gap: 1 });
    for (let i = bars.length - 1; i >= 0; i -= 1) {
      const bar = bars[i];
      const values = totals[i];
      if (!bar || !values) continue;
      data.push(values);
      series.push({
        label: bar.label,
        stroke: bar.color,
        fill: bar.color,
        width: 0,
        points: { show: false },
        ...(barsPath ? { paths: barsPath } : {}),
      });
    }
  } else {
    for (const line of spec.lines ?? []) {
      data.push(line.values);
      series.push({
        label: line.label,
        stroke: line.color,
        width: 2,
        spanGaps: true,
        points: { show: true, size: 5, fill: line.color },
        ...(line.dash ? { dash: line.dash } : {}),
      });
    }
  }

  const axisFont = "12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
  const opts: uPlot.Options = {
    width,
    height: heightFor(width),
    legend: { show: false },
    cursor: { show: false },
    select: { show: false, left: 0, top: 0, width: 0, height: 0 },
    scales: {
      x: { time: false, range: (_u, min, max) => [min - 0.6, max + 0.6] },
      // Counts reach at least 1, durations at least 10 s, so a flat line of small values is not blown up.
      y: { range: (_u, _min, max) => [0, Math.max(max * 1.1, spec.integer ? 1 : 10)] },
    },
    axes: [
      {
        stroke: spec.ink,
        font: axisFont,
        grid: { show: false },
        ticks: { stroke: spec.grid },
        // Whole positions only, thinned out so labels do not overlap at 390 px.
        splits: () => {
          // At 390 px a day ("14. Nov.") needs more room than an hour ("14").
          const long = spec.labels.some((l) => l.length > 3);
          const every = Math.max(1, Math.ceil(xs.length / (narrow() ? (long ? 4 : 6) : 12)));
          return xs.filter((i) => i % every === 0);
        },
        values: (_u, splits) => splits.map((i) => spec.labels[i] ?? ""),
      },
      {
        stroke: spec.ink,
        font: axisFont,
        size: spec.integer ? 48 : 64,
        incrs: spec.integer ? COUNT_STEPS : SECOND_STEPS,
        grid: { stroke: spec.grid, width: 1 },
        ticks: { stroke: spec.grid },
        values: (_u, splits) => splits.map((v) => spec.yFormat(v)),
      },
    ],
    series,
  };
  const plot = new uPlot(opts, data as uPlot.AlignedData, target);
  return {
    resize: (next: number) => {
      width = next;
      plot.setSize({ width: next, height: heightFor(next) });
    },
    destroy: () => plot.destroy(),
  };
}
