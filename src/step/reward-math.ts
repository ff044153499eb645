import { computeAdvantages } from '../rl/advantages/index.ts';
import type { GroupSummary } from '../rl/advantages/types.ts';
import { NonFiniteRewardError } from '../rubric/aggregate/finite.ts';
import type { Reward } from '../rubric/aggregate/reward-schema.ts';
import type { RewardsRecord, RewardSummary, SampleReward } from '../train/rewards.ts';
import { aggregateRewards } from '../rubric/aggregate/index.ts';
import type { ResolvedRubric } from '../rubric/resolve.ts';
import { overlongPenalty } from '../rl/overlong.ts';
import type { JudgedGroup } from '../train/judgements.ts';
import type { RolloutGroup } from '../train/rollouts.ts';
import { ValidationError } from '../util/errors.ts';

/**
 * The reward math of a step, pure: verdicts to rubric rewards (`rubricRewards`), rubric rewards to a
 * response's reward (`combineRubricRewards`), rewards to advantages within each group
 * (`computeStepRewards`), with the overlong penalty (`lengthPenalties`) where it is on.
 */

/** One rubric's reward for one response, and the rubric's weight for that prompt. */
export interface RubricReward {
  rubricId: string;
  weight: number;
  reward: Reward;
}

/** The reward of a response over all its prompt's rubrics. */
export type CombinedReward =
  | { status: 'scored'; value: number; vetoedBy: string[] }
  | { status: 'unscorable'; reason: string };

/**
 * Combines a response's rubric rewards:
 * - a veto that fired in any rubric voids the whole reward: the value is that rubric's floor (the
 *   lowest floor when several fired), because a disqualified response (reward hacking) must not earn
 *   credit from the other rubrics;
 * - otherwise the weighted mean of the scored rubric rewards, sum(w r) / sum(w);
 * - rubrics that are unscorable for this response are left out of both sums, never counted as 0;
 *   with none scored the response is unscorable (reasons joined).
 */
export function combineRubricRewards(rubrics: readonly RubricReward[]): CombinedReward {
  if (rubrics.length === 0) return { status: 'unscorable', reason: 'the prompt has no rubric' };
  const vetoes = rubrics.filter(
    (r) => r.reward.status === 'scored' && r.reward.explanation.vetoesFired.length > 0,
  );
  if (vetoes.length > 0) {
    return {
      status: 'scored',
      value: Math.min(...vetoes.map((r) => r.reward.explanation.floor)),
      vetoedBy: vetoes.flatMap((r) => r.reward.explanation.vetoesFired.map((c) => `${r.rubricId}#${c}`)),
    };
  }
  let num = 0;
  let den = 0;
  const reasons: string[] = [];
  for (const r of rubrics) {
    if (!(r.weight > 0) || !Number.isFinite(r.weight)) {
      throw new ValidationError(`rubric '${r.rubricId}' has weight ${r.weight}; expected a positive number`);
    }
    if (r.reward.status === 'unscorable') {
      reasons.push(`${r.rubricId}: ${r.reward.reason}`);
      continue;
    }
    num += r.weight * r.reward.value;
    den += r.weight;
  }
  if (den === 0) return { status: 'unscorable', reason: reasons.join('; ') };
  return { status: 'scored', value: num / den, vetoedBy: [] };
}

/**
 * Throws NonFiniteRewardError when `value` is NaN or infinite: a reward must never travel on as NaN
 * (the step is refused instead: src/step/refusals.ts). `rubrics` name what fed it.
 */
function finiteReward(value: number, what: () => string, rubrics?: readonly RubricReward[]): void {
  if (Number.isFinite(value)) return;
  const inputs =
    rubrics === undefined
      ? ''
      : ` (from ${rubrics
          .map(
            (r) =>
              `rubric '${r.rubricId}' weight ${r.weight}: ${r.reward.status === 'scored' ? r.reward.value : 'unscorable'}`,
          )
          .join(', ')})`;
  throw new NonFiniteRewardError(`${what()} is ${value}, a finite number was expected${inputs}`);
}

/** Criterion means are reported for at most this many ids, so a summary stays small. */
const MAX_CRITERIA = 200;

/**
 * Rewards and advantages of a step. `groups[i][s]` holds the rubric rewards of sample s of group i.
 * Each response's rubric rewards are combined (`combineRubricRewards`), then the estimator turns the
 * combined rewards into advantages within each group; unscorable responses get neither.
 * `rubricKey` names a rubric in the means (e.g. `instance` for per-prompt rubrics).
 * `lengthPenalty` shapes the rewards the estimator sees (reward + penalty; src/rl/overlong.ts); the
 * summary's means stay the rubrics' rewards.
 */
export function computeStepRewards(options: {
  groups: readonly (readonly (readonly RubricReward[])[])[];
  estimator: string;
  dropZeroVariance: boolean;
  /** Evaluation wants rewards only. */
  advantages?: boolean;
  rubricKey?: (rubricId: string) => string;
  /** Which samples were decoded greedily (`rl.greedyMember`): their mean is reported apart. */
  greedy?: (group: number, sample: number) => boolean;
  /** A penalty added to each scored response's reward before advantages (overlong handling). */
  lengthPenalty?: (group: number, sample: number) => number;
}): { samples: SampleReward[]; groups: RewardsRecord['groups']; summary: Omit<RewardSummary, 'ms'> } {
  const { groups, rubricKey = (id) => id } = options;
  const samples: SampleReward[] = [];
  groups.forEach((group, g) => {
    group.forEach((rubrics, s) => {
      const combined = combineRubricRewards(rubrics);
      const penalty = options.lengthPenalty?.(g, s);
      if (combined.status === 'scored') {
        finiteReward(combined.value, () => `the combined reward of group ${g} sample ${s}`, rubrics);
      }
      if (penalty !== undefined) finiteReward(penalty, () => `the length penalty of group ${g} sample ${s}`);
      samples.push({
        group: g,
        sample: s,
        reward: combined.status === 'scored' ? combined.value : null,
        ...(penalty === undefined ? {} : { lengthPenalty: penalty }),
        advantage: null,
        vetoedBy: combined.status === 'scored' ? combined.vetoedBy : [],
        ...(combined.status === 'unscorable' ? { unscorableReason: combined.reason } : {}),
        rubrics: rubrics.map((r) => ({ rubricId: r.rubricId, weight: r.weight, reward: r.reward })),
      });
    });
  });
  let groupSummaries: GroupSummary[] = [];
  if (options.advantages !== false) {
    const result = computeAdvantages({
      estimator: options.estimator,
      rewards: samples.map((s) => (s.reward === null ? null : s.reward + (s.lengthPenalty ?? 0))),
      groupIds: samples.map((s) => s.group),
      dropZeroVariance: options.dropZeroVariance,
    });
    result.advantages.forEach((a, i) => {
      if (a !== null) {
        finiteReward(a, () => `the advantage of group ${samples[i]!.group} sample ${samples[i]!.sample}`);
      }
      samples[i]!.advantage = a;
    });
    groupSummaries = result.groups;
  }

  const scored = samples.flatMap((s) => (s.reward === null ? [] : [s.reward]));
  const mean = scored.length === 0 ? null : scored.reduce((a, b) => a + b, 0) / scored.length;
  const std =
    mean === null ? null : Math.sqrt(scored.reduce((a, r) => a + (r - mean) ** 2, 0) / scored.length);
  const rubricSums = new Map<string, { sum: number; n: number }>();
  const criterionSums = new Map<string, { sum: number; n: number }>();
  const add = (map: Map<string, { sum: number; n: number }>, key: string, value: number) => {
    const entry = map.get(key) ?? { sum: 0, n: 0 };
    entry.sum += value;
    entry.n += 1;
    map.set(key, entry);
  };
  for (const s of samples) {
    for (const r of s.rubrics) {
      if (r.reward.status === 'scored') add(rubricSums, rubricKey(r.rubricId), r.reward.value);
      for (const c of r.reward.explanation.criteria) {
        if (c.normalised === null) continue;
        if (criterionSums.has(c.id) || criterionSums.size < MAX_CRITERIA)
          add(criterionSums, c.id, c.normalised);
      }
    }
  }
  const greedy =
    options.greedy === undefined ? [] : samples.filter((s) => options.greedy!(s.group, s.sample));
  const greedyScored = greedy.flatMap((s) => (s.reward === null ? [] : [s.reward]));
  const means = (map: Map<string, { sum: number; n: number }>) =>
    Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v.sum / v.n]));
  return {
    samples,
    groups: groupSummaries.map((g) => ({ ...g, mean: Number.isFinite(g.mean) ? g.mean : null })),
    summary: {
      responses: samples.length,
      scored: scored.length,
      mean,
      std,
      min: scored.length === 0 ? null : Math.min(...scored),
      max: scored.length === 0 ? null : Math.max(...scored),
      vetoed: samples.filter((s) => s.vetoedBy.length > 0).length,
      groups: groups.length,
      groupsDropped: groupSummaries.filter((g) => g.dropped).length,
      groupsZeroVariance: groupSummaries.filter((g) => g.zeroVariance).length,
      trainable: samples.filter((s) => s.advantage !== null).length,
      ...(greedy.length === 0
        ? {}
        : {
            greedyMean:
              greedyScored.length === 0
                ? null
                : greedyScored.reduce((a, b) => a + b, 0) / greedyScored.length,
          }),
      rubricMeans: means(rubricSums),
      criterionMeans: means(criterionSums),
    },
  };
}

/**
 * Each rubric's reward for every response of every group: `judged[i]` holds group i's verdicts (one
 * entry per sample, one per rubric of its prompt). A rubric is aggregated over the whole group at
 * once (one compiled plan per rubric: weights, vetoes, saturation, interactions, shaping).
 */
export function rubricRewards(options: {
  groups: readonly RolloutGroup[];
  judged: ReadonlyMap<number, JudgedGroup>;
  rubrics: ReadonlyMap<string, ResolvedRubric>;
  step: number;
}): RubricReward[][][] {
  const { groups, judged, rubrics, step } = options;
  return groups.map((group, i): RubricReward[][] => {
    const j = judged.get(i);
    if (j === undefined || j.samples.length !== group.samples.length) {
      throw new ValidationError(`no complete judgement for rollout group ${i} of step ${step}`);
    }
    const rubricIds = j.samples[0]!.map((r) => r.rubricId);
    const byRubric = rubricIds.map((rubricId, k): Reward[] => {
      const rubric = rubrics.get(rubricId);
      if (rubric === undefined) throw new ValidationError(`rubric '${rubricId}' is not part of the run`);
      return aggregateRewards({ rubric, verdictsPerResponse: j.samples.map((s) => s[k]!.verdicts) });
    });
    return j.samples.map((sample, s) =>
      sample.map((r, k) => ({ rubricId: r.rubricId, weight: r.weight, reward: byRubric[k]![s]! })),
    );
  });
}

/**
 * The overlong penalty of each response (`rl.overlongBufferTokens` > 0), by its length against the
 * limit the rollouts were sampled with (src/rl/overlong.ts); undefined where it is off.
 */
export function lengthPenalties(options: {
  groups: readonly RolloutGroup[];
  maxNewTokens: number;
  bufferTokens: number;
  factor: number;
}): ((group: number, sample: number) => number) | undefined {
  const { groups, maxNewTokens, bufferTokens, factor } = options;
  if (bufferTokens <= 0) return undefined;
  return (g, s) =>
    overlongPenalty({
      length: groups[g]?.samples[s]?.tokenIds.length ?? 0,
      maxNewTokens,
      bufferTokens,
      factor,
    });
}
