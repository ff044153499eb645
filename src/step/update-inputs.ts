import { RlSettings } from '../config/rl.ts';
import type { RlOverrides } from '../contracts/rl-overrides.ts';
import type { TrainSequence } from '../engine/train-step.ts';
import { objectiveHyperparameters, type PolicyObjective } from '../rl/losses/objective.ts';
import { entersLoss } from '../rl/overlong.ts';
import type { UpdateRecord } from '../train/checkpoint-store.ts';
import type { UpdateSummary } from '../train/metrics.ts';
import type { RewardsRecord } from '../train/rewards.ts';
import type { RolloutGroup } from '../train/rollouts.ts';
import { ValidationError } from '../util/errors.ts';
import { formatFieldPath } from '../util/field-path.ts';

/**
 * What a policy update is made of, pure: the RL settings with the run's overrides, the objective
 * and its scalar inputs, the sequences that enter the loss, and the update's own metrics.
 */

/** What the workflow learns of an update. */
export function summaryOf(update: UpdateRecord): UpdateSummary {
  return {
    applied: update.applied,
    learningRate: update.learningRate,
    metrics: update.metrics,
    sequences: update.sequences,
    tokens: update.tokens,
    ms: update.ms,
  };
}

/** The stage's RL settings with a run's overrides, validated like the configuration. */
export function effectiveRl(base: RlSettings, overrides: RlOverrides): RlSettings {
  // The stage's settings were validated with the configuration; only a merge needs checking.
  if (Object.keys(overrides).length === 0) return base;
  const parsed = RlSettings.safeParse({ ...base, ...overrides });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(`RL override: ${issue.message}`, {
      location: { field: formatFieldPath(issue.path as PropertyKey[]) || '(overrides)' },
    });
  }
  return parsed.data;
}

/** Scalar inputs of the objective's graph, from the RL settings. */
export function hyperparameters(objective: PolicyObjective, rl: RlSettings): Record<string, number> {
  const values: Record<string, number> = {
    clip_low: rl.clipLow,
    clip_high: rl.clipHigh,
    gspo_clip_low: rl.gspoClipLow,
    gspo_clip_high: rl.gspoClipHigh,
    kl_coef: rl.klCoefficient,
    entropy_coef: rl.entropyCoefficient,
  };
  const out: Record<string, number> = {};
  for (const h of objectiveHyperparameters(objective)) out[h.name] = values[h.name] ?? h.defaultValue;
  return out;
}

/**
 * Overlong handling's metrics, where it is on: `overlong/masked` (truncated answers left out of
 * the loss), `overlong/penalized` (responses with a non-zero length penalty) and
 * `overlong/penalty_mean` (the mean penalty over the step's scored responses).
 */
export function overlongMetrics(options: {
  rewards: RewardsRecord;
  rl: RlSettings;
  truncatedMasked: number;
}): Record<string, number> {
  const out: Record<string, number> = {};
  if (options.rl.maskTruncated) out['overlong/masked'] = options.truncatedMasked;
  const penalties = options.rewards.samples.flatMap((s) =>
    s.reward === null || s.lengthPenalty === undefined ? [] : [s.lengthPenalty],
  );
  if (penalties.length > 0) {
    out['overlong/penalized'] = penalties.filter((p) => p !== 0).length;
    out['overlong/penalty_mean'] = penalties.reduce((a, b) => a + b, 0) / penalties.length;
  }
  return out;
}

/** The first adapter tensor holding a non-finite value, if any. */
export function nonFiniteTensor(tensors: ReadonlyMap<string, Float32Array>): string | undefined {
  for (const [name, data] of tensors) {
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return name;
  }
  return undefined;
}

/** The objective the RL settings name: loss, aggregation, KL estimator, entropy bonus. */
export function policyObjective(rl: RlSettings): PolicyObjective {
  return {
    loss: rl.loss,
    aggregation: rl.lossAggregation,
    klEstimator: rl.klEstimator,
    entropyBonus: rl.entropyCoefficient > 0,
  };
}

/**
 * The sequences of a step that enter the loss: those with an advantage and a non-empty response,
 * truncated answers left out where `rl.maskTruncated` (counted in `truncatedMasked`).
 */
export function lossSequences(options: {
  rewards: RewardsRecord;
  rewardsAddress: string;
  groups: readonly RolloutGroup[];
  rl: RlSettings;
}): { sequences: TrainSequence[]; truncatedMasked: number } {
  const { rewards, groups, rl } = options;
  let truncatedMasked = 0;
  const sequences = rewards.samples.flatMap((s): TrainSequence[] => {
    if (s.advantage === null) return [];
    const group = groups[s.group];
    const sample = group?.samples[s.sample];
    if (group === undefined || sample === undefined) {
      throw new ValidationError(
        `rewards ${options.rewardsAddress} name sample ${s.group}/${s.sample}, absent from the rollouts`,
      );
    }
    if (sample.tokenIds.length === 0) return [];
    if (!entersLoss({ finishReason: sample.finishReason, maskTruncated: rl.maskTruncated })) {
      truncatedMasked += 1;
      return [];
    }
    return [
      {
        promptIds: group.promptIds,
        responseIds: sample.tokenIds,
        oldLogprobs: sample.logprobs,
        advantage: s.advantage,
      },
    ];
  });
  return { sequences, truncatedMasked };
}
