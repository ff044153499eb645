import { ValidationError } from '../../util/errors.ts';
import type { ResolvedRubric } from '../resolve.ts';
import type { CriterionExplanation, Reward } from './reward-schema.ts';

const REASON_WIDTH = 48;

/** Fixed four decimals for values in the chain; `-` for a missing value. */
function fixed(value: number | null): string {
  return value === null ? '-' : value.toFixed(4);
}

function signed(value: number | null): string {
  if (value === null) return '-';
  return `${value >= 0 ? '+' : ''}${value.toFixed(4)}`;
}

/** Short form for rubric-written numbers (weights, tier scores): at most six significant digits. */
function compact(value: number): string {
  return String(Number(value.toPrecision(6)));
}

function truncate(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= width ? flat : `${flat.slice(0, width - 3)}...`;
}

function vetoCell(c: CriterionExplanation): string {
  if (c.kind !== 'veto') return '';
  if (c.status === 'unscorable') return 'n/a';
  return c.vetoFired ? `FIRED <${compact(c.vetoThreshold ?? 0)}` : 'pass';
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows.map((row) =>
    row
      .map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]!)))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * The tier a criterion got: its label; for a judge asked several times, each sample's label
 * (`pass/pass/fail`, `-` for an unscorable sample) where they differ, `pass x3` where they agree.
 */
function tierCell(c: CriterionExplanation): string {
  if (c.status !== 'scored') return 'UNSCORABLE';
  const samples = c.samples ?? [];
  if (samples.length < 2) return c.tierLabel ?? '';
  const labels = samples.map((s) => (s.status === 'scored' ? s.tierLabel : '-'));
  return labels.every((l) => l === labels[0]) ? `${labels[0]} x${labels.length}` : labels.join('/');
}

/**
 * A reward as text for the CLI: one row per criterion (id, tier, raw/top, normalised x, transformed
 * t, weight, signed contribution to the mean, veto, reason), then the chain of steps down to the
 * reward. `rubric` must be the rubric the reward was computed with; it supplies the title.
 */
export function formatReward(options: { reward: Reward; rubric: ResolvedRubric }): string {
  const { reward, rubric } = options;
  const e = reward.explanation;
  if (e.rubricId !== rubric.id) {
    throw new ValidationError(
      `reward computed with rubric '${e.rubricId}' cannot be formatted with rubric '${rubric.id}'`,
    );
  }
  const lines = [`rubric ${e.rubricId} v${e.rubricVersion}: ${rubric.title}`, ''];
  const rows = [['criterion', 'tier', 'raw/top', 'x', 't', 'weight', 'contrib', 'veto', 'reason']];
  for (const c of e.criteria) {
    rows.push([
      c.id,
      tierCell(c),
      c.tierScore === null ? `-/${compact(c.topScore)}` : `${compact(c.tierScore)}/${compact(c.topScore)}`,
      fixed(c.normalised),
      fixed(c.transformed),
      compact(c.weight),
      signed(c.contribution),
      vetoCell(c),
      truncate(c.reason, REASON_WIDTH),
    ]);
  }
  lines.push(...table(rows), '');

  const steps: string[][] = [];
  const cov = e.coverage;
  const coverage = `${cov.scoredPositive} of ${cov.totalPositive} positive-weight criteria scored`;
  steps.push([
    'weighted mean',
    fixed(e.weightedMean),
    e.weightedMean === null
      ? `no denominator (${coverage})`
      : `${fixed(e.numerator)} / ${fixed(e.denominator)} (${coverage})`,
  ]);
  for (const term of e.interactionTerms) {
    const pair = `${term.a} ~ ${term.b}, ${term.coefficient} * ${term.fn}`;
    steps.push(
      term.status === 'applied'
        ? ['interaction', signed(term.value), `${pair} (g = ${fixed(term.g)})`]
        : ['interaction', 'skipped', `${pair}: ${term.reason}`],
    );
  }
  if (e.weightedMean !== null) {
    if (e.interactionTerms.length > 0) steps.push(['mean + interactions', fixed(e.beforeClip), '']);
    steps.push([`clipped to [${compact(e.floor)}, 1]`, fixed(e.afterInteractions), '']);
    if (e.shaping !== null) {
      const params = Object.entries(e.shaping)
        .filter(([key]) => key !== 'type')
        .map(([key, value]) => `${key} ${value}`)
        .join(', ');
      steps.push([`shaping ${e.shaping.type}`, fixed(e.afterShaping), params]);
    }
  }
  if (reward.status === 'scored') {
    const note =
      e.vetoesFired.length > 0
        ? `veto fired by ${e.vetoesFired.join(', ')}: the reward is the floor`
        : 'scored';
    steps.push(['reward', fixed(reward.value), note]);
  } else {
    steps.push(['reward', 'unscorable', reward.reason]);
  }
  lines.push(...table(steps));
  return lines.join('\n');
}
