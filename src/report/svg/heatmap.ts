import { passRateColor, passRateStops } from './colors.ts';
import { escapeMarkup } from './escape.ts';
import type { ChartMark } from './line-chart.ts';
import { formatValue } from './scale.ts';

/** A column: a step (or checkpoint); a marked column is hatched and labelled instead of filled. */
export interface HeatmapColumn {
  x: number;
  mark?: ChartMark | undefined;
}

/** A row: one criterion, its value per column x (absent: not scored there). */
export interface HeatmapRow {
  id: string;
  values: ReadonlyMap<number, number>;
}

export interface HeatmapOptions {
  id: string;
  label: string;
  xLabel: string;
  columns: readonly HeatmapColumn[];
  rows: readonly HeatmapRow[];
  width?: number;
}

const LABEL_WIDTH = 220;
const TOP = 40;
const BOTTOM = 38;
const RIGHT = 16;
const ROW_HEIGHT = 16;
/** Widest cell: a few columns make a narrow map rather than wide bars. */
const MAX_CELL = 44;
/** Room for the colour legend right of the labels. */
const LEGEND_WIDTH = 340;

const f = (v: number) => v.toFixed(1);

/** A row label that fits the label column (the whole id stays in the tooltip). */
function shortLabel(id: string): string {
  return id.length <= 34 ? id : `…${id.slice(id.length - 33)}`;
}

/**
 * Values in [0, 1] per row and column as an SVG heat map (a string): each filled cell is a `rect`
 * with `data-point`, `data-row`, `data-x` and `data-value`. A blank cell means the row had no value
 * there; a hatched column is a step that has no record at all (failed or unfinished).
 */
export function heatmap(options: HeatmapOptions): string {
  const { columns, rows } = options;
  const width = Math.min(
    options.width ?? 1100,
    Math.max(LABEL_WIDTH + LEGEND_WIDTH, LABEL_WIDTH + RIGHT + columns.length * MAX_CELL),
  );
  const height = TOP + rows.length * ROW_HEIGHT + BOTTOM;
  const x0 = LABEL_WIDTH;
  const cell = (width - RIGHT - x0) / Math.max(1, columns.length);
  const safeId = options.id.replace(/[^A-Za-z0-9_-]/g, '-');
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart heatmap" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" data-chart="${escapeMarkup(options.id)}" role="img" aria-label="${escapeMarkup(options.label)}">`,
  );
  const stops = passRateStops()
    .map((s) => `<stop offset="${s.offset}" stop-color="${s.color}"/>`)
    .join('');
  out.push(
    `<defs><linearGradient id="${safeId}-scale">${stops}</linearGradient>` +
      `<pattern id="${safeId}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f4f4f4"/><line x1="0" y1="0" x2="0" y2="6" stroke="#c0392b" stroke-width="2" opacity="0.5"/></pattern></defs>`,
  );
  // Legend: the colour scale and what a blank cell means.
  out.push(
    `<text class="legend" x="${x0}" y="14">0</text><rect x="${x0 + 10}" y="5" width="120" height="11" fill="url(#${safeId}-scale)"/><text class="legend" x="${x0 + 134}" y="14">1</text>` +
      `<rect x="${x0 + 152}" y="5" width="11" height="11" fill="#ffffff" stroke="#ccc"/><text class="legend" x="${x0 + 168}" y="14">not scored at that step</text>`,
  );
  columns.forEach((col, c) => {
    if (col.mark === undefined) return;
    const x = x0 + c * cell;
    out.push(
      `<g class="mark" data-mark="${col.mark.kind}" data-x="${col.x}"><title>${escapeMarkup(col.mark.detail)}</title>` +
        `<rect x="${f(x)}" y="${TOP}" width="${f(cell)}" height="${rows.length * ROW_HEIGHT}" fill="url(#${safeId}-hatch)"/>` +
        `<text class="mark-label" x="${f(x + cell / 2)}" y="${TOP - 6}" text-anchor="middle" fill="#c0392b">${escapeMarkup(col.mark.label)}</text></g>`,
    );
  });
  rows.forEach((row, r) => {
    const y = TOP + r * ROW_HEIGHT;
    const id = escapeMarkup(row.id);
    out.push(
      `<text class="row-label" x="${x0 - 6}" y="${f(y + ROW_HEIGHT / 2)}" text-anchor="end" dominant-baseline="middle"><title>${id}</title>${escapeMarkup(shortLabel(row.id))}</text>`,
    );
    out.push(
      `<rect x="${x0}" y="${y}" width="${f(cell * columns.length)}" height="${ROW_HEIGHT}" fill="none" stroke="#eee"/>`,
    );
    columns.forEach((col, c) => {
      const v = row.values.get(col.x);
      if (v === undefined || col.mark !== undefined) return;
      out.push(
        `<rect class="cell" data-point="" data-row="${id}" data-x="${col.x}" data-value="${v}" x="${f(x0 + c * cell)}" y="${y}" width="${f(Math.max(1, cell - 1))}" height="${ROW_HEIGHT - 1}" fill="${passRateColor(v)}"><title>${id} at ${col.x}: ${formatValue(v)}</title></rect>`,
      );
    });
  });
  // Column labels: every k-th, so that they do not overlap.
  const every = Math.max(1, Math.ceil(28 / cell));
  const yLabels = TOP + rows.length * ROW_HEIGHT + 14;
  columns.forEach((col, c) => {
    if (c % every !== 0 && c !== columns.length - 1) return;
    out.push(
      `<text class="tick" x="${f(x0 + c * cell + cell / 2)}" y="${yLabels}" text-anchor="middle">${col.x}</text>`,
    );
  });
  out.push(
    `<text class="axis-label" x="${f(x0 + (cell * columns.length) / 2)}" y="${height - 4}" text-anchor="middle">${escapeMarkup(options.xLabel)}</text>`,
  );
  out.push('</svg>');
  return out.join('');
}
