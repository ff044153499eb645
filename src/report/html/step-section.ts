import { JUDGE_DISAGREEMENT_METRICS } from '../../train/metrics.ts';
import type { StepRow } from '../data/report-data.ts';
import { escapeMarkup } from '../svg/escape.ts';
import { heatmap } from '../svg/heatmap.ts';
import { lineChart } from '../svg/line-chart.ts';
import type { Domain } from '../svg/scale.ts';
import { criterionRows, hasMetric, noUpdateMarks, seriesOf, stepMarks } from './chart-data.ts';
import { figure, metricCell, percent } from './figure.ts';
import { rewardChart } from './reward-chart.ts';

/** A per-step chart: metric keys and their legend names. */
interface StepChart {
  id: string;
  title: string;
  keys: ReadonlyArray<readonly [key: string, name: string]>;
  yDomain?: Domain;
  /** Written by the policy update: a step that applied none is marked `no update`. */
  update?: boolean;
  /** Drawn only for runs that record it (an opt-in feature), instead of shown as not recorded. */
  optional?: boolean;
}

const STEP_CHARTS: readonly StepChart[] = [
  {
    id: 'kl',
    update: true,
    title: 'KL divergence',
    keys: [
      ['kl/ref', 'to the reference (base) policy'],
      ['kl/old', 'to the sampling policy'],
    ],
  },
  {
    id: 'loss',
    update: true,
    title: 'Loss',
    keys: [
      ['loss/total', 'total'],
      ['loss/policy', 'policy'],
      ['loss/kl', 'KL term'],
    ],
  },
  {
    id: 'entropy',
    update: true,
    title: 'Policy entropy (nats per token)',
    keys: [['policy/entropy', 'entropy']],
  },
  {
    id: 'clip-fraction',
    update: true,
    title: 'Clip fraction',
    keys: [['policy/clip_fraction', 'clipped tokens']],
    yDomain: [0, 1],
  },
  {
    id: 'response-length',
    title: 'Response length (new tokens, mean)',
    keys: [['rollout/mean_length', 'mean length']],
  },
  {
    id: 'truncated',
    title: 'Truncated fraction',
    keys: [['rollout/truncated_fraction', 'cut off at the token limit']],
    yDomain: [0, 1],
  },
  {
    id: 'zero-variance',
    optional: true,
    title: 'Prompt groups without reward variance (no learning signal)',
    keys: [['advantage/zero_variance_fraction', 'share of groups']],
    yDomain: [0, 1],
  },
  {
    id: 'judge-disagreement',
    optional: true,
    title: 'Judge disagreement (judge samples > 1: each criterion asked several times)',
    keys: [
      [JUDGE_DISAGREEMENT_METRICS.disagreementRate, 'criteria whose samples disagree'],
      [JUDGE_DISAGREEMENT_METRICS.meanSpread, 'mean spread (max - min) / top score'],
    ],
    yDomain: [0, 1],
  },
  {
    id: 'dynamic-sampling',
    optional: true,
    title: 'Dynamic sampling (prompt groups per step)',
    keys: [
      ['dynamic_sampling/groups_drawn', 'drawn (planned and refills)'],
      ['dynamic_sampling/groups_with_variance', 'with reward variance'],
      ['dynamic_sampling/groups_kept', 'trained on'],
      ['dynamic_sampling/rounds', 'refill rounds'],
    ],
  },
  {
    id: 'defence',
    optional: true,
    title: 'Reward-hacking monitor (adaptive defence; 1 = a rising trend)',
    keys: [
      ['monitor/trend/phrase', 'a phrase spreads with the reward'],
      ['monitor/trend/length', 'answers grow longer'],
      ['monitor/trend/repetition', 'answers repeat more'],
      ['monitor/trend/heldout', 'training reward pulls away from held-out'],
      ['monitor/trend/disagreement', 'more rewarded answers the judge disagrees on'],
      ['monitor/outlier_fraction', 'outliers: rewarded, failing a monitor rubric'],
      ['monitor/judge_disagreement_fraction', 'rewarded, judge samples disagree'],
      ['reward/veto_fraction', 'vetoed answers'],
    ],
    yDomain: [0, 1],
  },
  {
    id: 'time',
    title: 'Time per phase (seconds)',
    keys: [
      ['time/rollout_s', 'rollouts'],
      ['time/judge_s', 'judging'],
      ['time/rewards_s', 'rewards'],
      ['time/update_s', 'update'],
      ['time/step_s', 'whole step'],
    ],
  },
];

function stateText(row: StepRow): string {
  switch (row.state.kind) {
    case 'done':
      return row.metrics['optim/applied'] === 0 ? 'done (no update)' : 'done';
    case 'failed':
      return `failed: ${row.state.type}: ${row.state.message}`;
    case 'running':
      return 'running';
    case 'incomplete':
      return 'no record (failed, stopped or running)';
    case 'not-run':
      return 'not run';
  }
}

function stepsTable(rows: readonly StepRow[]): string {
  const head =
    '<tr><th>step</th><th>stage</th><th>state</th><th>reward</th><th>std</th><th>min</th><th>max</th><th>scored</th><th>vetoed</th><th>loss</th><th>KL ref</th><th>clip</th><th>entropy</th><th>length</th><th>truncated</th><th>seconds</th></tr>';
  const body = rows.map((r) => {
    const m = r.metrics;
    const cls = `state-${r.state.kind}`;
    if (r.state.kind !== 'done') {
      return `<tr class="${cls}"><td class="num">${r.step}</td><td></td><td colspan="14">${escapeMarkup(stateText(r))}</td></tr>`;
    }
    return (
      `<tr class="${cls}"><td class="num">${r.step}</td><td>${escapeMarkup(r.stage ?? '')}</td><td>${escapeMarkup(stateText(r))}</td>` +
      metricCell(m['reward/mean']) +
      metricCell(m['reward/std']) +
      metricCell(m['reward/min']) +
      metricCell(m['reward/max']) +
      metricCell(m['reward/scored_fraction'], percent) +
      metricCell(m['reward/veto_fraction'], percent) +
      metricCell(m['loss/total']) +
      metricCell(m['kl/ref']) +
      metricCell(m['policy/clip_fraction']) +
      metricCell(m['policy/entropy']) +
      metricCell(m['rollout/mean_length']) +
      metricCell(m['rollout/truncated_fraction'], percent) +
      metricCell(m['time/step_s'], (v) => v.toFixed(1)) +
      '</tr>'
    );
  });
  return `<details class="table"><summary>Every step (${rows.length})</summary><table class="steps">${head}${body.join('')}</table></details>`;
}

/** The training section: reward with its spread, per-criterion pass rates, the update's metrics. */
export function stepSection(rows: readonly StepRow[]): string {
  if (rows.length === 0)
    return '<section id="training"><h2>Training</h2><p class="empty">No step planned or run.</p></section>';
  const xDomain: Domain = [rows[0]!.step, rows.at(-1)!.step];
  const marks = stepMarks(rows);
  const updateMarks = [...marks, ...noUpdateMarks(rows)];
  const xLabel = 'training step';
  const parts: string[] = [];

  const reward = rewardChart({
    id: 'reward',
    label: 'mean reward per training step',
    xLabel,
    xDomain,
    rows,
    marks,
    unscorable: (step) => `step ${step}: no response could be scored (unscorable), so it has no reward`,
  });
  parts.push(
    figure({
      title: 'Mean reward of the training batch',
      svg: reward,
      caption: 'Band: mean ± 1 std over the scored responses; whiskers: min .. max. n/a: nothing scorable.',
      empty: 'no step has a scored reward yet',
    }),
  );

  const criteria = criterionRows(rows, '');
  const markByStep = new Map(marks.map((m) => [m.x, m]));
  parts.push(
    figure({
      title: 'Per-criterion pass rate (mean normalised score)',
      svg:
        criteria.length === 0
          ? null
          : heatmap({
              id: 'criteria',
              label: 'per-criterion mean score per training step',
              xLabel,
              columns: rows.map((r) => ({ x: r.step, mark: markByStep.get(r.step) })),
              rows: criteria,
            }),
      caption:
        'For pass/fail criteria the mean is the pass rate; a blank cell: no prompt of that step had the criterion.',
      wide: true,
      empty: 'no criterion was scored yet',
    }),
  );

  // Adaptive defence's monitor rubrics (weight 0): drawn only for runs that score them.
  const monitored = criterionRows(rows, 'monitor/');
  if (monitored.length > 0) {
    parts.push(
      figure({
        title: 'Monitor rubrics (weight 0, not in the reward): per-criterion pass rate',
        svg: heatmap({
          id: 'monitor-criteria',
          label: 'monitor per-criterion mean score per training step',
          xLabel,
          columns: rows.map((r) => ({ x: r.step, mark: markByStep.get(r.step) })),
          rows: monitored,
        }),
        caption:
          'Scored on every rollout by the adaptive-defence monitor; a falling pass rate while the reward rises is a sign of reward hacking.',
        wide: true,
        empty: 'no monitor rubric was scored',
      }),
    );
  }

  for (const chart of STEP_CHARTS) {
    const present = chart.keys.filter(([key]) => hasMetric(rows, key));
    if (chart.optional === true && present.length === 0) continue;
    parts.push(
      figure({
        title: chart.title,
        svg:
          present.length === 0
            ? null
            : lineChart({
                id: chart.id,
                label: chart.title,
                xLabel,
                xDomain,
                series: present.map(([key, name]) => ({ name, points: seriesOf(rows, key) })),
                marks: chart.update === true ? updateMarks : marks,
                yDomain: chart.yDomain,
              }),
        empty: `not recorded in this run (${chart.keys.map(([k]) => k).join(', ')})`,
      }),
    );
  }
  return `<section id="training"><h2>Training</h2><div class="grid">${parts.join('')}</div>${stepsTable(rows)}</section>`;
}
