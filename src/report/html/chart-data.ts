import type { EvalRow, StepRow } from '../data/report-data.ts';
import type { HeatmapRow } from '../svg/heatmap.ts';
import type { ChartMark, ChartPoint, Spread } from '../svg/line-chart.ts';

/** Pure helpers that turn report rows into chart series, spreads, marks and heat-map rows. */

/** Anything with a step and metrics: a training step or an evaluation. */
export type Row = Pick<StepRow, 'step' | 'metrics'> | Pick<EvalRow, 'step' | 'metrics'>;

/** One point per row: the metric's value, or null where the row lacks it. */
export function seriesOf(rows: readonly Row[], key: string): ChartPoint[] {
  return rows.map((r) => ({ x: r.step, y: r.metrics[key] ?? null }));
}

/** True when at least one row has a value for `key`. */
export function hasMetric(rows: readonly Row[], key: string): boolean {
  return rows.some((r) => r.metrics[key] !== undefined);
}

/** mean ± std per row (null where either is missing). */
export function stdBand(rows: readonly Row[], prefix: string): Spread {
  return {
    name: '± 1 std',
    points: rows.map((r) => {
      const mean = r.metrics[`${prefix}reward/mean`];
      const std = r.metrics[`${prefix}reward/std`];
      return mean === undefined || std === undefined
        ? { x: r.step, low: null, high: null }
        : { x: r.step, low: mean - std, high: mean + std };
    }),
  };
}

/** min..max per row (null where either is missing). */
export function rangeWhiskers(rows: readonly Row[], prefix: string): Spread {
  return {
    name: 'min .. max',
    points: rows.map((r) => ({
      x: r.step,
      low: r.metrics[`${prefix}reward/min`] ?? null,
      high: r.metrics[`${prefix}reward/max`] ?? null,
    })),
  };
}

/** Marks for the training steps that have no record: failed, running or started and left. */
export function stepMarks(rows: readonly StepRow[]): ChartMark[] {
  const marks: ChartMark[] = [];
  for (const r of rows) {
    const s = r.state;
    if (s.kind === 'failed') {
      marks.push({
        x: r.step,
        kind: 'failed',
        label: 'failed',
        detail: `step ${r.step} failed: ${s.type}: ${s.message}`,
      });
    } else if (s.kind === 'running') {
      marks.push({ x: r.step, kind: 'running', label: 'running', detail: `step ${r.step} was running` });
    } else if (s.kind === 'incomplete') {
      marks.push({
        x: r.step,
        kind: 'incomplete',
        label: 'no record',
        detail: `step ${r.step} started but wrote no metrics: it failed, was stopped, or was still running`,
      });
    }
  }
  return marks;
}

/** Marks for rows that have a record but no value for `key` (nothing scored: not applicable, not 0). */
export function notApplicableMarks(options: {
  rows: readonly Row[];
  key: string;
  detail: (step: number) => string;
}): ChartMark[] {
  return options.rows
    .filter((r) => Object.keys(r.metrics).length > 0 && r.metrics[options.key] === undefined)
    .map((r) => ({ x: r.step, kind: 'n/a' as const, label: 'n/a', detail: options.detail(r.step) }));
}

/** Marks for recorded steps whose update was not applied (every group dropped): no loss, KL, entropy. */
export function noUpdateMarks(rows: readonly StepRow[]): ChartMark[] {
  return rows
    .filter((r) => r.state.kind === 'done' && r.metrics['optim/applied'] === 0)
    .map((r) => ({
      x: r.step,
      kind: 'n/a' as const,
      label: 'no update',
      detail: `step ${r.step} applied no update (no trainable response), so it has no loss, KL or entropy`,
    }));
}

/** Heat-map rows of `<prefix>reward/criterion/<id>/mean`, one per criterion id, sorted by id. */
export function criterionRows(rows: readonly Row[], prefix: string): HeatmapRow[] {
  const pattern = new RegExp(`^${prefix.replace(/[/]/g, '\\/')}reward/criterion/(.+)/mean$`);
  const byId = new Map<string, Map<number, number>>();
  for (const r of rows) {
    for (const [key, value] of Object.entries(r.metrics)) {
      const m = pattern.exec(key);
      if (m === null) continue;
      const values = byId.get(m[1]!) ?? new Map<number, number>();
      values.set(r.step, value);
      byId.set(m[1]!, values);
    }
  }
  return [...byId.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, values]) => ({ id, values }));
}

/**
 * Splits metric keys into groups that share a y axis: keys whose values all lie in [0, 1] together
 * (`unit`: drawn on a 0..1 axis), the others by magnitude (a group holds keys whose largest |value|
 * is within 10x of its smallest key's). Keys keep their order inside a group.
 */
export function groupByMagnitude(
  keys: readonly string[],
  rows: readonly Row[],
): Array<{ keys: string[]; unit: boolean }> {
  const stats = keys.map((key) => {
    const values = rows.map((r) => r.metrics[key]).filter((v): v is number => v !== undefined);
    return {
      key,
      unit: values.every((v) => v >= 0 && v <= 1),
      maxAbs: Math.max(0, ...values.map((v) => Math.abs(v))),
    };
  });
  const groups: Array<{ keys: string[]; unit: boolean }> = [];
  const fractions = stats.filter((s) => s.unit).map((s) => s.key);
  if (fractions.length > 0) groups.push({ keys: fractions, unit: true });
  const others = stats.filter((s) => !s.unit).sort((a, b) => a.maxAbs - b.maxAbs);
  let current: typeof others = [];
  for (const s of others) {
    if (current.length > 0 && s.maxAbs > 10 * current[0]!.maxAbs) {
      groups.push({ keys: current.map((c) => c.key), unit: false });
      current = [];
    }
    current.push(s);
  }
  if (current.length > 0) groups.push({ keys: current.map((c) => c.key), unit: false });
  const order = new Map(keys.map((k, i) => [k, i]));
  for (const g of groups) g.keys.sort((a, b) => order.get(a)! - order.get(b)!);
  return groups;
}
