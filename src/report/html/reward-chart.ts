import { type ChartMark, lineChart } from '../svg/line-chart.ts';
import type { Domain } from '../svg/scale.ts';
import { hasMetric, notApplicableMarks, type Row, rangeWhiskers, seriesOf, stdBand } from './chart-data.ts';

/**
 * A mean-reward chart (training steps or evaluated checkpoints): the mean with a ±1 std band and
 * min..max whiskers, the greedy answers' mean beside it when recorded (`rl.greedyMember`), the rows'
 * own marks and an `n/a` mark where nothing was scorable. Null when no row has a reward.
 */
export function rewardChart(options: {
  id: string;
  label: string;
  xLabel: string;
  xDomain: Domain;
  rows: readonly Row[];
  marks: readonly ChartMark[];
  /** The tooltip of an `n/a` mark. */
  unscorable: (step: number) => string;
}): string | null {
  const { rows } = options;
  if (!hasMetric(rows, 'reward/mean')) return null;
  return lineChart({
    id: options.id,
    label: options.label,
    xLabel: options.xLabel,
    xDomain: options.xDomain,
    series: [
      { name: 'mean reward', points: seriesOf(rows, 'reward/mean') },
      ...(hasMetric(rows, 'reward/greedy_mean')
        ? [{ name: 'greedy answers', points: seriesOf(rows, 'reward/greedy_mean') }]
        : []),
    ],
    band: stdBand(rows, ''),
    whiskers: rangeWhiskers(rows, ''),
    marks: [
      ...options.marks,
      ...notApplicableMarks({ rows, key: 'reward/mean', detail: options.unscorable }),
    ],
  });
}
