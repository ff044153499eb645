import type { RewardSummary, SampleReward } from '../train/rewards.ts';

/** How a criterion fared over the answers where it was scored. */
export interface CriterionStat {
  id: string;
  /** Verdicts that scored it (unscorable ones left out). */
  scored: number;
  unscorable: number;
  /** Share of scored verdicts at the top tier (pass, for pass/fail criteria). */
  pass: number | null;
  /** Mean normalised score (tier score / top score) of the scored verdicts. */
  mean: number | null;
}

/** Per-criterion pass rates and means over every rubric of every answer, sorted by id. */
export function criterionStats(samples: readonly SampleReward[]): CriterionStat[] {
  const acc = new Map<string, { scored: number; unscorable: number; passed: number; sum: number }>();
  for (const s of samples) {
    for (const r of s.rubrics) {
      for (const c of r.reward.explanation.criteria) {
        const a = acc.get(c.id) ?? { scored: 0, unscorable: 0, passed: 0, sum: 0 };
        if (c.normalised === null) a.unscorable++;
        else {
          a.scored++;
          a.sum += c.normalised;
          if (c.normalised >= 1) a.passed++;
        }
        acc.set(c.id, a);
      }
    }
  }
  return [...acc]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, a]) => ({
      id,
      scored: a.scored,
      unscorable: a.unscorable,
      pass: a.scored === 0 ? null : a.passed / a.scored,
      mean: a.scored === 0 ? null : a.sum / a.scored,
    }));
}

/**
 * Flat numeric summary, named like a run's metrics: `reward/mean`, `reward/rubric/<key>/mean`,
 * `reward/criterion/<id>/mean`, plus `reward/criterion/<id>/pass` and `.../scored`.
 */
export function rewardSummary(options: {
  prompts: number;
  rewards: Omit<RewardSummary, 'ms'>;
  criteria: readonly CriterionStat[];
}): Record<string, number> {
  const { rewards } = options;
  const out: Record<string, number> = {
    prompts: options.prompts,
    answered: rewards.responses,
    'reward/scored': rewards.scored,
    'reward/unscorable': rewards.responses - rewards.scored,
    'reward/vetoed': rewards.vetoed,
  };
  for (const [k, v] of [
    ['mean', rewards.mean],
    ['std', rewards.std],
    ['min', rewards.min],
    ['max', rewards.max],
  ] as const) {
    if (v !== null) out[`reward/${k}`] = v;
  }
  for (const [k, v] of Object.entries(rewards.rubricMeans)) out[`reward/rubric/${k}/mean`] = v;
  for (const c of options.criteria) {
    out[`reward/criterion/${c.id}/scored`] = c.scored;
    if (c.pass !== null) out[`reward/criterion/${c.id}/pass`] = c.pass;
    if (c.mean !== null) out[`reward/criterion/${c.id}/mean`] = c.mean;
  }
  return out;
}

/** The figures for a person: the reward, then each criterion's pass rate. */
export function rewardTable(options: {
  summary: Readonly<Record<string, number>>;
  criteria: readonly CriterionStat[];
  truncated: number;
}): string[] {
  const { summary, criteria } = options;
  const mean = summary['reward/mean'];
  const answered = summary['answered'] ?? 0;
  const lines = [
    mean === undefined
      ? `  reward: n/a (none of ${answered} answers scorable)`
      : `  reward ${mean.toFixed(3)} ± ${(summary['reward/std'] ?? 0).toFixed(3)} (mean ± std over ${summary['reward/scored']} of ${answered} answers scored; ${summary['reward/vetoed']} vetoed)`,
    `  answers cut off by the token limit: ${options.truncated} of ${answered}`,
  ];
  if (criteria.length > 0) {
    const width = Math.min(48, Math.max(...criteria.map((c) => c.id.length)));
    lines.push(`  ${'criterion'.padEnd(width)}   pass   mean  scored  unscorable`);
    for (const c of criteria) {
      const pct = (v: number | null) => (v === null ? 'n/a' : `${(100 * v).toFixed(0)}%`).padStart(5);
      lines.push(
        `  ${c.id.padEnd(width)}  ${pct(c.pass)}  ${c.mean === null ? '  n/a' : c.mean.toFixed(2)}  ${String(c.scored).padStart(6)}  ${String(c.unscorable).padStart(10)}`,
      );
    }
  }
  return lines;
}
