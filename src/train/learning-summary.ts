import type { MetricsRecord } from './metrics.ts';

/** One criterion's pass rate on the held-out evaluation, first and last. */
export interface CriterionMove {
  id: string;
  before: number;
  after: number;
}

/** What the run's evaluations say about learning: the first and last held-out scores side by side. */
export interface LearningSummary {
  before: { step: number; reward: number };
  after: { step: number; reward: number };
  /** after - before, mean reward on the 0..1 scale. */
  delta: number;
  /** Criteria scored in both evaluations, the largest moves first. */
  criteria: CriterionMove[];
}

const REWARD = 'eval/reward/mean';
const CRITERION = /^eval\/reward\/criterion\/(.+)\/mean$/;

/**
 * The first and last evaluations of a run that have a mean reward, compared. Undefined when fewer
 * than two evaluations were scored (an evaluation without a reward is left out, never read as 0).
 */
export function learningSummary(records: readonly MetricsRecord[]): LearningSummary | undefined {
  const scored = records
    .filter((r) => r.purpose === 'eval' && r.metrics[REWARD] !== undefined)
    .sort((a, b) => a.step - b.step);
  const first = scored[0];
  const last = scored.at(-1);
  if (first === undefined || last === undefined || first === last) return undefined;
  const criteria: CriterionMove[] = [];
  for (const [key, before] of Object.entries(first.metrics)) {
    const id = CRITERION.exec(key)?.[1];
    const after = last.metrics[key];
    if (id !== undefined && after !== undefined) criteria.push({ id, before, after });
  }
  criteria.sort(
    (a, b) => Math.abs(b.after - b.before) - Math.abs(a.after - a.before) || a.id.localeCompare(b.id),
  );
  const before = first.metrics[REWARD]!;
  const after = last.metrics[REWARD]!;
  return {
    before: { step: first.step, reward: before },
    after: { step: last.step, reward: after },
    delta: after - before,
    criteria,
  };
}
