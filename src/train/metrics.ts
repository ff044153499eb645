import { z } from 'zod';
import type { DynamicSamplingOutcome } from '../contracts/dynamic-sampling.ts';
import { PURPOSES, type Purpose } from '../contracts/step-refs.ts';
import { disagreementRates, mergeDisagreement } from '../rubric/judge/disagreement.ts';
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

/**
 * A part of a step's metrics that could not be measured (an evaluation suite that failed): its keys
 * (`what`/...) are absent from the record, never 0.
 */
export const MetricsFailure = z.strictObject({
  /** The metric prefix left out, e.g. `eval/ifeval`. */
  what: z.string(),
  type: z.string(),
  message: z.string(),
});
export type MetricsFailure = z.infer<typeof MetricsFailure>;

/** An evaluation suite's summary numbers (`anchorage eval`'s summary), by suite name. */
export interface SuiteSummary {
  suite: string;
  summary: Readonly<Record<string, number>>;
}

/** What a training step with dynamic sampling (`rl.dynamicSampling`) adds to its metrics. */
export interface DynamicSamplingMetrics {
  outcome: DynamicSamplingOutcome;
  /** Rollout stats of the refill rounds (round 1 first): added into the step's `rollout/*`. */
  refills: RolloutStats[];
  /** Rewards of the batch assembled from the rounds (absent: the step trained on its planned batch). */
  trained?: RewardSummary;
}

/**
 * The keys of a judge that disagrees with itself (judge config `samples` > 1), over the criteria
 * with at least two scored samples; absent when there were none.
 */
export const JUDGE_DISAGREEMENT_METRICS = {
  /** Criterion verdicts with two or more scored samples: the denominator of the others. */
  multiSampled: 'judge/multi_sampled_criteria',
  /** Share of them whose samples are not all equal. */
  disagreementRate: 'judge/disagreement_rate',
  /** Mean of (max - min) / top score. */
  meanSpread: 'judge/mean_spread',
  /** Mean standard deviation of the samples' normalised scores. */
  meanStd: 'judge/mean_sample_std',
  /** The disagreement rate of one criterion id: which criteria the judge is unsure about. */
  criterionDisagreementRate: (id: string) => `judge/criterion/${id}/disagreement_rate`,
} as const;

/** One step's (or evaluation's) metrics, slash-namespaced, as stored and listed. */
export const MetricsRecord = z.strictObject({
  format: z.literal('anchorage.metrics/1'),
  trainRunId: z.string(),
  step: z.number().int().nonnegative(),
  purpose: z.enum(PURPOSES),
  stage: z.string(),
  /** ISO time the step finished, as the workflow saw it. */
  at: z.string(),
  metrics: z.record(z.string(), z.number()),
  /** What could not be measured, when anything (absent: everything was). */
  failures: z.array(MetricsFailure).optional(),
});
export type MetricsRecord = z.infer<typeof MetricsRecord>;

/**
 * The metrics of a step from its phases' summaries. Keys follow the `area/name` convention:
 * reward/mean, reward/rubric/<id>/mean, reward/criterion/<id>/mean, policy/clip_fraction, kl/ref,
 * loss/total, grad/norm, rollout/*, judge/* (with JUDGE_DISAGREEMENT_METRICS where the judge samples
 * each criterion more than once), time/*, and dynamic_sampling/* (rounds, groups_drawn,
 * groups_with_variance, groups_kept, groups_short, zero_variance_before) where it is on;
 * advantage/zero_variance_fraction: the share of groups whose rewards are all equal.
 * Values that do not exist (no scored response, no KL reference) are left out, never written as 0.
 * Evaluations and data selections get the same keys under `eval/` and `select/`; an evaluation's
 * suites add `eval/<suite>/<key>` (eval/ifeval/promptLoose, ...).
 */
export function stepMetrics(options: {
  purpose: Purpose;
  rollouts: RolloutStats;
  judge: readonly JudgeStats[];
  rewards: RewardSummary;
  update?: UpdateSummary | undefined;
  /** Wall time of the step as the workflow measured it, and the activities' own times. */
  wallMs?: number | undefined;
  /** Evaluation suites' summaries (purpose `eval` only). */
  suites?: readonly SuiteSummary[] | undefined;
  /** Attempts refused for a non-finite number before the step committed, by kind (src/step/refusals.ts). */
  refusals?: Readonly<Record<string, number>> | undefined;
  /**
   * Dynamic sampling: `dynamic_sampling/*`; `rollout/*` count every round's responses, `advantage/*`
   * describe the trained batch, `reward/*` stay the planned batch's (comparable with runs without it).
   * `judge` should hold every round's shards.
   */
  dynamicSampling?: DynamicSamplingMetrics | undefined;
  /**
   * The adaptive-defence monitor's metrics (`defence.adaptive`, src/step/monitor.ts), taken as they
   * are: `monitor/*` (zero-weight monitor rubrics, signals, trends and onsets) and `defence/*`.
   */
  monitor?: Readonly<Record<string, number>> | undefined;
}): Record<string, number> {
  const { judge, rewards, update, dynamicSampling } = options;
  const rollouts = addRolloutStats([options.rollouts, ...(dynamicSampling?.refills ?? [])]);
  const trained = dynamicSampling?.trained ?? rewards;
  const suites = options.suites ?? [];
  if (suites.length > 0 && options.purpose !== 'eval') {
    throw new Error(`suite metrics belong to evaluations, not to purpose '${options.purpose}'`);
  }
  const m: Record<string, number> = {};
  const set = (key: string, value: number | null | undefined) => {
    if (value !== null && value !== undefined && Number.isFinite(value)) m[key] = value;
  };
  set('reward/mean', rewards.mean);
  set('reward/std', rewards.std);
  set('reward/min', rewards.min);
  set('reward/max', rewards.max);
  set('reward/scored_fraction', rewards.responses === 0 ? null : rewards.scored / rewards.responses);
  set('reward/greedy_mean', rewards.greedyMean);
  set('reward/veto_fraction', rewards.responses === 0 ? null : rewards.vetoed / rewards.responses);
  for (const [id, v] of Object.entries(rewards.rubricMeans)) set(`reward/rubric/${id}/mean`, v);
  for (const [id, v] of Object.entries(rewards.criterionMeans)) set(`reward/criterion/${id}/mean`, v);
  set('advantage/groups', trained.groups);
  set('advantage/groups_dropped', trained.groupsDropped);
  set(
    'advantage/zero_variance_fraction',
    trained.groupsZeroVariance === undefined || trained.groups === 0
      ? null
      : trained.groupsZeroVariance / trained.groups,
  );
  set('advantage/trainable', trained.trainable);
  if (dynamicSampling !== undefined) {
    const o = dynamicSampling.outcome;
    set('dynamic_sampling/rounds', o.rounds);
    set('dynamic_sampling/groups_drawn', o.groupsDrawn);
    set('dynamic_sampling/groups_with_variance', o.groupsWithVariance);
    set('dynamic_sampling/groups_kept', o.groupsKept);
    set('dynamic_sampling/groups_short', o.wanted - o.groupsKept);
    set('dynamic_sampling/zero_variance_before', o.zeroVarianceBefore);
  }

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
  const disagreement = disagreementRates(mergeDisagreement(judge.flatMap((s) => s.disagreement ?? [])));
  if (disagreement !== undefined) {
    const D = JUDGE_DISAGREEMENT_METRICS;
    set(D.multiSampled, disagreement.compared);
    set(D.disagreementRate, disagreement.disagreementRate);
    set(D.meanSpread, disagreement.meanSpread);
    set(D.meanStd, disagreement.meanStd);
    for (const [id, rate] of Object.entries(disagreement.byCriterion))
      set(D.criterionDisagreementRate(id), rate);
  }

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
  // Only steps that had a refusal carry the key (`refused/update`, `refused/reward`).
  for (const [kind, n] of Object.entries(options.refusals ?? {})) if (n > 0) set(`refused/${kind}`, n);
  for (const [key, value] of Object.entries(options.monitor ?? {})) {
    if (!key.startsWith('monitor/') && !key.startsWith('defence/')) {
      throw new Error(`monitor metric ${key} is outside monitor/ and defence/`);
    }
    set(key, value);
  }
  if (options.purpose === 'train') return m;
  const out = Object.fromEntries(Object.entries(m).map(([k, v]) => [`${options.purpose}/${k}`, v]));
  return { ...out, ...suiteMetrics(suites, out) };
}

/** Rollout stats of several batches as one (counts and times summed). */
export function addRolloutStats(batches: readonly RolloutStats[]): RolloutStats {
  const zero: RolloutStats = {
    groups: 0,
    responses: 0,
    promptTokens: 0,
    newTokens: 0,
    truncated: 0,
    resumedGroups: 0,
    ms: 0,
  };
  return batches.reduce(
    (a, b) => ({
      groups: a.groups + b.groups,
      responses: a.responses + b.responses,
      promptTokens: a.promptTokens + b.promptTokens,
      newTokens: a.newTokens + b.newTokens,
      truncated: a.truncated + b.truncated,
      resumedGroups: a.resumedGroups + b.resumedGroups,
      ms: a.ms + b.ms,
    }),
    zero,
  );
}

/**
 * `eval/<suite>/<key>` for each finite summary number (a missing or non-finite value is left out,
 * never 0). A suite whose keys would collide with the evaluation's own (`eval/reward/...`) is a bug
 * in the suite registry, and fails loudly.
 */
export function suiteMetrics(
  suites: readonly SuiteSummary[],
  taken: Readonly<Record<string, number>> = {},
): Record<string, number> {
  const m: Record<string, number> = {};
  for (const { suite, summary } of suites) {
    for (const [key, value] of Object.entries(summary)) {
      const name = `eval/${suite}/${key}`;
      if (name in taken || name in m) throw new Error(`metric ${name} is taken: rename suite '${suite}'`);
      if (Number.isFinite(value)) m[name] = value;
    }
  }
  return m;
}
