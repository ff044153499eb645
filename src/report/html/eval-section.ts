import type { EvalRow } from '../data/report-data.ts';
import { escapeMarkup } from '../svg/escape.ts';
import { heatmap } from '../svg/heatmap.ts';
import { type ChartMark, lineChart } from '../svg/line-chart.ts';
import type { Domain } from '../svg/scale.ts';
import {
  criterionRows,
  groupByMagnitude,
  seriesOf,
} from './chart-data.ts';
import { figure, metricCell } from './figure.ts';
import { rewardChart } from './reward-chart.ts';

/**
 * Keys of an evaluation record that the generic charts leave out: the reward (charted on its own),
 * and counts that describe the work rather than the policy. The table below the charts lists every key.
 */
function charted(key: string): boolean {
  if (/^(reward|advantage|judge)\//.test(key)) return false;
  return !['rollout/responses', 'rollout/new_tokens', 'rollout/resumed_groups'].includes(key);
}

function incompleteMarks(rows: readonly EvalRow[]): ChartMark[] {
  return rows
    .filter((r) => r.state === 'incomplete')
    .map((r) => ({
      x: r.step,
      kind: 'incomplete' as const,
      label: 'no record',
      detail: `the evaluation after step ${r.step} started but wrote no metrics (it failed or is running)`,
    }));
}

/** The failure of `row` that covers `key` (`what` is the key or a folder above it), if any. */
function failureOf(row: EvalRow, key: string) {
  return row.failures.find((f) => key === f.what || key.startsWith(`${f.what}/`));
}

/** Marks for the evaluations at which a failure covers `group` (a suite that failed there). */
function failureMarks(rows: readonly EvalRow[], group: string): ChartMark[] {
  return rows.flatMap((r) => {
    const f = failureOf(r, group) ?? r.failures.find((x) => x.what.startsWith(`${group}/`));
    return f === undefined
      ? []
      : [
          {
            x: r.step,
            kind: 'failed' as const,
            label: 'failed',
            detail: `${f.what} after step ${r.step} failed: ${f.type}: ${f.message}`,
          },
        ];
  });
}

function allMetricsTable(rows: readonly EvalRow[]): string {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].sort();
  const head = `<tr><th>metric</th>${rows.map((r) => `<th>step ${r.step}</th>`).join('')}</tr>`;
  const cell = (r: EvalRow, k: string) =>
    r.metrics[k] === undefined && failureOf(r, k) !== undefined
      ? '<td class="na failed">failed</td>'
      : metricCell(r.metrics[k]);
  const body = keys.map((k) => `<tr><td>${escapeMarkup(k)}</td>${rows.map((r) => cell(r, k)).join('')}</tr>`);
  return `<details class="table"><summary>Every evaluation metric (${keys.length} keys, ${rows.length} checkpoints)</summary><table class="evals">${head}${body.join('')}</table></details>`;
}

/** Every failed measurement, one line each (its metrics are absent from the charts, not 0). */
function failureList(rows: readonly EvalRow[]): string {
  const lines = rows.flatMap((r) =>
    r.failures.map(
      (f) =>
        `<li>after step ${r.step}: <strong>${escapeMarkup(f.what)}</strong> failed: ${escapeMarkup(`${f.type}: ${f.message}`)}</li>`,
    ),
  );
  return lines.length === 0
    ? ''
    : `<div class="failures"><h3>Failed measurements</h3><ul>${lines.join('')}</ul></div>`;
}

/**
 * The evaluation section: held-out reward over checkpoints, its per-criterion pass rates, and every
 * other metric the evaluations recorded (`eval/<group>/<name>`: the rollouts, times, and whatever
 * suites wrote), charted by group, keys of one magnitude sharing an axis.
 */
export function evalSection(options: { rows: readonly EvalRow[]; lastStep: number }): string {
  const { rows } = options;
  if (rows.length === 0) {
    return '<section id="evaluation"><h2>Evaluation</h2><p class="empty">No evaluation of this run is in the store.</p></section>';
  }
  const xDomain: Domain = [Math.min(0, rows[0]!.step), Math.max(options.lastStep, rows.at(-1)!.step)];
  const xLabel = 'checkpoint (training step; 0 = base policy)';
  const marks = incompleteMarks(rows);
  const parts: string[] = [];
  parts.push(
    figure({
      title: 'Held-out reward',
      svg: rewardChart({
        id: 'eval-reward',
        label: 'held-out mean reward per checkpoint',
        xLabel,
        xDomain,
        rows,
        marks,
        unscorable: (step) => `evaluation after step ${step}: no answer could be scored`,
      }),
      caption: 'Band: mean ± 1 std; whiskers: min .. max over the held-out answers.',
      empty: 'no evaluation has a scored reward',
    }),
  );
  const criteria = criterionRows(rows, '');
  const markByStep = new Map(marks.map((m) => [m.x, m]));
  parts.push(
    figure({
      title: 'Held-out per-criterion pass rate',
      svg:
        criteria.length === 0
          ? null
          : heatmap({
              id: 'eval-criteria',
              label: 'held-out per-criterion mean score per checkpoint',
              xLabel,
              columns: rows.map((r) => ({ x: r.step, mark: markByStep.get(r.step) })),
              rows: criteria,
            }),
      empty: 'no criterion was scored in the evaluations',
      wide: true,
    }),
  );
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].filter(charted).sort();
  const groupOf = (key: string) => (key.includes('/') ? key.slice(0, key.indexOf('/')) : key);
  const byGroup = new Map<string, string[]>();
  for (const key of keys) byGroup.set(groupOf(key), [...(byGroup.get(groupOf(key)) ?? []), key]);
  // A suite that failed wherever it ran has no keys: its figure says so.
  for (const f of rows.flatMap((r) => r.failures)) {
    if (!byGroup.has(groupOf(f.what))) byGroup.set(groupOf(f.what), []);
  }
  for (const [group, groupKeys] of byGroup) {
    const groupMarks = [...marks, ...failureMarks(rows, group)];
    if (groupKeys.length === 0) {
      parts.push(
        figure({
          title: `Evaluation: ${group}`,
          svg: null,
          empty: `${group} failed at every evaluation (listed below)`,
        }),
      );
      continue;
    }
    groupByMagnitude(groupKeys, rows).forEach(({ keys: chartKeys, unit }, i) => {
      const id = `eval-${group}${i === 0 ? '' : `-${i + 1}`}`;
      parts.push(
        figure({
          title: `Evaluation: ${group}`,
          svg: lineChart({
            id,
            label: `evaluation metrics ${chartKeys.join(', ')} per checkpoint`,
            xLabel,
            xDomain,
            series: chartKeys.map((k) => ({
              name: k.slice(group.length + 1) || k,
              points: seriesOf(rows, k),
            })),
            marks: groupMarks,
            yDomain: unit ? [0, 1] : undefined,
          }),
        }),
      );
    });
  }
  return `<section id="evaluation"><h2>Evaluation</h2><div class="grid">${parts.join('')}</div>${failureList(rows)}${allMetricsTable(rows)}</section>`;
}
