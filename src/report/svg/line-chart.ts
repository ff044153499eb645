import { seriesColor } from './colors.ts';
import { escapeMarkup } from './escape.ts';
import { type Domain, formatTick, formatValue, linearScale, niceTicks, valueExtent } from './scale.ts';

/** One value per step; null where the step has none (the line breaks there, never drops to 0). */
export interface ChartPoint {
  x: number;
  y: number | null;
}

export interface LineSeries {
  name: string;
  points: readonly ChartPoint[];
}

/** A spread around a series: drawn as a shaded band or as whiskers. */
export interface Spread {
  name: string;
  points: ReadonlyArray<{ x: number; low: number | null; high: number | null }>;
}

/** A step marked across the plot: a failed or unfinished step, or one whose value is not applicable. */
export interface ChartMark {
  x: number;
  kind: 'failed' | 'incomplete' | 'running' | 'n/a';
  label: string;
  /** Tooltip text. */
  detail: string;
}

export interface LineChartOptions {
  /** Names the chart (`data-chart`), unique in the page. */
  id: string;
  /** Accessible name of the chart. */
  label: string;
  xLabel: string;
  /** The steps the x axis spans (padded by half a step on each side). */
  xDomain: Domain;
  series: readonly LineSeries[];
  /** Shaded band (e.g. mean ± std). */
  band?: Spread | undefined;
  /** Whiskers at each point (e.g. min..max). */
  whiskers?: Spread | undefined;
  marks?: readonly ChartMark[] | undefined;
  /** The y range to show at least (e.g. [0, 1] for fractions); data outside it widens it. */
  yDomain?: Domain | undefined;
  width?: number;
  height?: number;
}

const MARGIN = { top: 30, right: 16, bottom: 38, left: 60 };
const MARK_COLOR: Record<ChartMark['kind'], string> = {
  failed: '#c0392b',
  incomplete: '#7f8c8d',
  running: '#2471a3',
  'n/a': '#b9770e',
};

const f = (v: number) => v.toFixed(1);

/** Runs of consecutive points whose values are all present (a null ends a run). */
export function contiguousRuns<T>(items: readonly T[], present: (item: T) => boolean): T[][] {
  const runs: T[][] = [];
  let current: T[] = [];
  for (const item of items) {
    if (present(item)) current.push(item);
    else if (current.length > 0) {
      runs.push(current);
      current = [];
    }
  }
  if (current.length > 0) runs.push(current);
  return runs;
}

/** The legend: a swatch and a name per entry, left to right. */
function legend(entries: ReadonlyArray<{ name: string; color: string; kind: 'line' | 'area' }>): string {
  let x = MARGIN.left;
  const parts: string[] = [];
  for (const e of entries) {
    const swatch =
      e.kind === 'line'
        ? `<line x1="${x}" y1="12" x2="${x + 14}" y2="12" stroke="${e.color}" stroke-width="2.5"/>`
        : `<rect x="${x}" y="7" width="14" height="10" fill="${e.color}" opacity="0.25"/>`;
    parts.push(`${swatch}<text x="${x + 18}" y="16" class="legend">${escapeMarkup(e.name)}</text>`);
    x += 30 + e.name.length * 6.5;
  }
  return `<g class="legend">${parts.join('')}</g>`;
}

/**
 * A line chart as an SVG element (a string). Every drawn value is a `circle` with `data-point`,
 * `data-series`, `data-x` and `data-y`, and a tooltip; lines break at missing values; marks draw a
 * labelled vertical line at their step.
 */
export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 240;
  const plot = { x0: MARGIN.left, x1: width - MARGIN.right, y0: height - MARGIN.bottom, y1: MARGIN.top };
  const spreads = [options.band, options.whiskers].filter((s): s is Spread => s !== undefined);
  const ys = [
    ...options.series.flatMap((s) => s.points.map((p) => p.y)),
    ...spreads.flatMap((s) => s.points.flatMap((p) => [p.low, p.high])),
    ...(options.yDomain ?? []),
  ];
  const yTicks = niceTicks({ domain: valueExtent(ys) ?? [0, 1], count: 5 });
  const xDomain: Domain = [options.xDomain[0] - 0.5, options.xDomain[1] + 0.5];
  const xTicks = niceTicks({ domain: xDomain, count: 8, integer: true, extend: false });
  const sx = linearScale({ domain: xDomain, range: [plot.x0, plot.x1] });
  const sy = linearScale({ domain: yTicks.domain, range: [plot.y0, plot.y1] });

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${width} ${height}" data-chart="${escapeMarkup(options.id)}" role="img" aria-label="${escapeMarkup(options.label)}">`,
  );
  // Axes, grid and tick labels.
  for (const t of yTicks.ticks) {
    const y = f(sy(t));
    out.push(`<line class="grid" x1="${plot.x0}" x2="${plot.x1}" y1="${y}" y2="${y}"/>`);
    out.push(
      `<text class="tick" x="${plot.x0 - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatTick(t, yTicks.step)}</text>`,
    );
  }
  for (const t of xTicks.ticks) {
    const x = f(sx(t));
    out.push(`<line class="axis" x1="${x}" x2="${x}" y1="${plot.y0}" y2="${plot.y0 + 4}"/>`);
    out.push(`<text class="tick" x="${x}" y="${plot.y0 + 16}" text-anchor="middle">${t}</text>`);
  }
  out.push(`<line class="axis" x1="${plot.x0}" x2="${plot.x1}" y1="${plot.y0}" y2="${plot.y0}"/>`);
  out.push(`<line class="axis" x1="${plot.x0}" x2="${plot.x0}" y1="${plot.y0}" y2="${plot.y1}"/>`);
  out.push(
    `<text class="axis-label" x="${f((plot.x0 + plot.x1) / 2)}" y="${height - 4}" text-anchor="middle">${escapeMarkup(options.xLabel)}</text>`,
  );

  for (const mark of options.marks ?? []) {
    const x = f(sx(mark.x));
    const color = MARK_COLOR[mark.kind];
    out.push(
      `<g class="mark" data-mark="${mark.kind}" data-x="${mark.x}"><title>${escapeMarkup(mark.detail)}</title>` +
        `<line x1="${x}" x2="${x}" y1="${plot.y0}" y2="${plot.y1}" stroke="${color}" stroke-dasharray="4 3" stroke-width="1.5"/>` +
        `<text x="${x}" y="${plot.y1 - 3}" text-anchor="middle" class="mark-label" fill="${color}">${escapeMarkup(mark.label)}</text></g>`,
    );
  }

  const mainColor = seriesColor(0);
  if (options.band !== undefined) {
    const runs = contiguousRuns(options.band.points, (p) => p.low !== null && p.high !== null);
    for (const run of runs.filter((r) => r.length > 1)) {
      const upper = run.map((p) => `${f(sx(p.x))},${f(sy(p.high!))}`);
      const lower = run.map((p) => `${f(sx(p.x))},${f(sy(p.low!))}`).reverse();
      out.push(
        `<polygon class="band" points="${[...upper, ...lower].join(' ')}" fill="${mainColor}" opacity="0.18"/>`,
      );
    }
  }
  if (options.whiskers !== undefined) {
    for (const p of options.whiskers.points) {
      if (p.low === null || p.high === null) continue;
      const x = sx(p.x);
      const [lo, hi] = [f(sy(p.low)), f(sy(p.high))];
      out.push(
        `<path class="whisker" d="M${f(x)},${lo}V${hi}M${f(x - 3)},${lo}H${f(x + 3)}M${f(x - 3)},${hi}H${f(x + 3)}" stroke="${mainColor}" opacity="0.55"><title>${escapeMarkup(`${options.whiskers.name} at ${p.x}: ${formatValue(p.low)} .. ${formatValue(p.high)}`)}</title></path>`,
      );
    }
  }

  options.series.forEach((series, i) => {
    const color = seriesColor(i);
    const name = escapeMarkup(series.name);
    for (const run of contiguousRuns(series.points, (p) => p.y !== null)) {
      if (run.length < 2) continue;
      const d = run.map((p, k) => `${k === 0 ? 'M' : 'L'}${f(sx(p.x))},${f(sy(p.y!))}`).join('');
      out.push(`<path class="line" d="${d}" stroke="${color}" data-series="${name}"/>`);
    }
    for (const p of series.points) {
      if (p.y === null) continue;
      out.push(
        `<circle class="point" data-point="" data-series="${name}" data-x="${p.x}" data-y="${p.y}" cx="${f(sx(p.x))}" cy="${f(sy(p.y))}" r="2.8" fill="${color}"><title>${name} at ${p.x}: ${formatValue(p.y)}</title></circle>`,
      );
    }
  });

  out.push(
    legend([
      ...options.series.map((s, i) => ({ name: s.name, color: seriesColor(i), kind: 'line' as const })),
      ...(options.band === undefined
        ? []
        : [{ name: options.band.name, color: mainColor, kind: 'area' as const }]),
      ...(options.whiskers === undefined
        ? []
        : [{ name: options.whiskers.name, color: mainColor, kind: 'line' as const }]),
    ]),
  );
  out.push('</svg>');
  return out.join('');
}
