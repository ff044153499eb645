import { z } from 'zod';
import type { JudgeStats } from './judgements.ts';
import type { RewardSummary } from './rewards.ts';
import type { RolloutStats } from './rollouts.ts';

/** What an update reports back (a subset of the stored update record). */
export const UpdateSummary = z.strictObject({
  applied: z.boolean(),
  learningRate: z.number(),
  metrics: z.record(z.string(), z.number()),
  sequences: z.number().int(),
  tokens: z.number().int(),
  ms: z.number(),
});
export type UpdateSummary = z.infer<typeof UpdateSummary>;

/** One step's (or evaluation's) metrics, slash-namespaced, as stored and listed. */
export const MetricsRecord = z.strictObject({
  format: z.literal('anchorage.metrics/1'),
  trainRunId: z.string(),
  step: z.number().int().nonnegative(),
  purpose: z.enum(['train', 'eval', 'select']),
  stage: z.string(),
  /** ISO time the step finished, as the workflow saw it. */
  at: z.string(),
  metrics: z.record(z.string(), z.number()),
});
export type MetricsRecord = z.infer<typeof MetricsRecord>;

/**
 * The metrics of a step from its phases' summaries. Keys follow the `area/name` convention:
 * reward/mean, reward/rubric/<id>/mean, reward/criterion/<id>/mean, policy/clip_fraction, kl/ref,
 * loss/total, grad/norm, rollout/*, judge/*, time/*.
 * Values that do not exist (no scored response, no KL reference) are left out, never written as 0.
 * Evaluations and data selections get the same keys under `eval/` and `select/`.
 */
export function stepMetrics(options: {
  purpose: 'train' | 'eval' | 'select';
  rollouts: RolloutStats;
  judge: readonly JudgeStats[];
  rewards: RewardSummary;
  update?: UpdateSummary | undefined;
  /** Wall time of the step as the workflow measured it, and the activities' own times. */
  wallMs?: number | undefined;
}): Record<string, number> {
  const { rollouts, judge, rewards, update } = options;
  const m: Record<string, number> = {};
  const set = (key: string, value: number | null | undefined) => {
    if (value !== null && value !== undefined && Number.isFinite(value)) m[key] = value;
  };
  set('reward/mean', rewards.mean);
  set('reward/std', rewards.std);
  set('reward/min', rewards.min);
  set('reward/max', rewards.max);
  set('reward/scored_fraction', rewards.responses === 0 ? null : rewards.scored / rewards.responses);
  set('reward/veto_fraction', rewards.responses === 0 ? null : rewards.vetoed / rewards.responses);
  for (const [id, v] of Object.entries(rewards.rubricMeans)) set(`reward/rubric/${id}/mean`, v);
  for (const [id, v] of Object.entries(rewards.criterionMeans)) set(`reward/criterion/${id}/mean`, v);
  set('advantage/groups', rewards.groups);
  set('advantage/groups_dropped', rewards.groupsDropped);
  set('advantage/trainable', rewards.trainable);

  set('rollout/responses', rollouts.responses);
  set('rollout/new_tokens', rollouts.newTokens);
  set('rollout/mean_length', rollouts.responses === 0 ? null : rollouts.newTokens / rollouts.responses);
  set(
    'rollout/truncated_fraction',
    rollouts.responses === 0 ? null : rollouts.truncated / rollouts.responses,
  );
  set('rollout/resumed_groups', rollouts.resumedGroups);
  const sum = (f: (s: JudgeStats) => number) => judge.reduce((a, s) => a + f(s), 0);
  set(
    'judge/verifier_verdicts',
    sum((s) => s.verifierVerdicts),
  );
  set(
    'judge/judge_verdicts',
    sum((s) => s.judgeVerdicts),
  );
  set(
    'judge/unscorable_verdicts',
    sum((s) => s.unscorableVerdicts),
  );
  set(
    'judge/cache_hits',
    sum((s) => s.judgeCacheHits),
  );
  set(
    'judge/cache_misses',
    sum((s) => s.judgeCacheMisses),
  );
  set(
    'judge/requests',
    sum((s) => s.judgeRequests),
  );

  if (update !== undefined) {
    for (const [k, v] of Object.entries(update.metrics)) set(k, v);
    set('optim/lr', update.learningRate);
    set('optim/applied', update.applied ? 1 : 0);
    set('optim/sequences', update.sequences);
    set('optim/tokens', update.tokens);
  }
  set('time/rollout_s', rollouts.ms / 1000);
  set('time/judge_s', judge.length === 0 ? null : Math.max(...judge.map((s) => s.ms)) / 1000);
  set('time/rewards_s', rewards.ms / 1000);
  if (update !== undefined) set('time/update_s', update.ms / 1000);
  set('time/step_s', options.wallMs === undefined ? null : options.wallMs / 1000);
  if (options.purpose === 'train') return m;
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [`${options.purpose}/${k}`, v]));
}
