import { aggregateRewards, NonFiniteRewardError } from '../src/rubric/aggregate/index.ts';
import type { Reward } from '../src/rubric/aggregate/reward-schema.ts';
import { Address } from '../src/store/address.ts';
import { commitOnce } from '../src/step/commit.ts';
import { type JudgedGroup, ShardJudgement } from '../src/train/judgements.ts';
import {
  computeStepRewards,
  type RewardsRecord,
  RewardsRecord as RewardsRecordSchema,
  type RubricReward,
} from '../src/train/rewards.ts';
import { overlongPenalty } from '../src/rl/overlong.ts';
import { recordRefusal } from '../src/step/refusals.ts';
import { readRolloutBatch } from '../src/train/rollouts.ts';
import { runRefs } from '../src/train/run-refs.ts';
import { ValidationError } from '../src/util/errors.ts';
import { failpointValue } from '../src/util/failpoints.ts';
import type { ActivityDeps } from './deps.ts';
import { asActivity } from './failures.ts';
import type { ComputeRewardsInput, ComputeRewardsOutput } from './types.ts';

/**
 * Rewards and advantages of a step: each rubric's verdicts on a prompt group are aggregated (the
 * rubric's own chain: weights, vetoes, saturation, interactions, shaping), the rubrics of a prompt
 * are combined by weight, and the configured estimator turns rewards into advantages within each
 * group. Unscorable responses are left out of baselines and the loss, never scored 0. With
 * `rl.overlongBufferTokens`, long training responses get the overlong penalty before advantages.
 */
export function computeRewardsActivity(deps: ActivityDeps) {
  const compute = computeRewardsOnce(deps);
  return function computeRewards(input: ComputeRewardsInput): Promise<ComputeRewardsOutput> {
    return asActivity(async () => {
      try {
        return await compute(input);
      } catch (err) {
        if (err instanceof NonFiniteRewardError) await refuse({ deps, input, message: err.message });
        throw err;
      }
    });
  };
}

/**
 * A NaN or infinite reward refuses the step: recorded in the store (the step's metrics count it once
 * it commits) and logged; the failure (not retryable) goes to the workflow history, and the run waits
 * for resume or stop with its last checkpoint kept.
 */
async function refuse(options: { deps: ActivityDeps; input: ComputeRewardsInput; message: string }) {
  const { deps, input, message } = options;
  deps.log.warn(
    { trainRunId: input.trainRunId, step: input.step, purpose: input.purpose, reason: message },
    'rewards refused',
  );
  await recordRefusal({
    store: deps.store,
    refusal: {
      format: 'anchorage.refusal/1',
      trainRunId: input.trainRunId,
      step: input.step,
      purpose: input.purpose,
      kind: 'reward',
      message,
      at: new Date().toISOString(),
      worker: deps.workerName,
    },
  });
}

function computeRewardsOnce(deps: ActivityDeps) {
  return async (input: ComputeRewardsInput): Promise<ComputeRewardsOutput> => {
    const started = performance.now();
    const { store } = deps;
    const ref = runRefs.rewards({ trainRunId: input.trainRunId, step: input.step, purpose: input.purpose });
    const existing = await store.getRef(ref);
    if (existing !== undefined) {
      const record = await store.getJson(existing, RewardsRecordSchema);
      return { rewards: existing, summary: record.summary, reused: true };
    }
    const run = await deps.loadRun(input.configAddress);
    const stage = run.stageForStep(input.step);
    const { batch, groups } = await readRolloutBatch({ store, address: input.rollouts });
    const judged = new Map<number, JudgedGroup>();
    for (const address of input.judgements) {
      const shard = await store.getJson(address, ShardJudgement);
      if (shard.rollouts !== input.rollouts) {
        throw new ValidationError(
          `judgement ${address} scores rollouts ${shard.rollouts}, not ${input.rollouts}`,
        );
      }
      for (const g of shard.groups) judged.set(g.index, g);
    }
    const perGroup = groups.map((group, i): RubricReward[][] => {
      const j = judged.get(i);
      if (j === undefined || j.samples.length !== group.samples.length) {
        throw new ValidationError(`no complete judgement for rollout group ${i} of step ${input.step}`);
      }
      // Aggregate rubric by rubric over the whole group (one compiled plan per rubric).
      const rubricIds = j.samples[0]!.map((r) => r.rubricId);
      const byRubric = rubricIds.map((rubricId, k): Reward[] => {
        const rubric = run.prepared.rubrics.get(rubricId);
        if (rubric === undefined) throw new ValidationError(`rubric '${rubricId}' is not part of the run`);
        return aggregateRewards({ rubric, verdictsPerResponse: j.samples.map((s) => s[k]!.verdicts) });
      });
      return j.samples.map((sample, s) =>
        sample.map((r, k) => ({ rubricId: r.rubricId, weight: r.weight, reward: byRubric[k]![s]! })),
      );
    });
    // Tests make one reward NaN here (failpoint `rewards.aggregated` armed with `nan`).
    const first = perGroup[0]?.[0]?.find((r) => r.reward.status === 'scored');
    if (first !== undefined && first.reward.status === 'scored') {
      const facts = { step: input.step, purpose: input.purpose };
      first.reward = {
        ...first.reward,
        value: failpointValue('rewards.aggregated', facts, first.reward.value),
      };
    }
    // Overlong penalty (training only): the limit is the one the rollouts were sampled with.
    const { overlongBufferTokens, overlongPenaltyFactor } = stage.rl;
    const lengthPenalty =
      input.purpose === 'train' && overlongBufferTokens > 0
        ? (g: number, s: number) =>
            overlongPenalty({
              length: groups[g]?.samples[s]?.tokenIds.length ?? 0,
              maxNewTokens: batch.sampling.maxNewTokens,
              bufferTokens: overlongBufferTokens,
              factor: overlongPenaltyFactor,
            })
        : undefined;
    const result = computeStepRewards({
      groups: perGroup,
      estimator: stage.rl.advantage,
      dropZeroVariance: stage.rl.dropZeroVarianceGroups,
      advantages: input.purpose === 'train',
      rubricKey: (id) => run.rubricKey(id),
      greedy: (g, s) => groups[g]?.samples[s]?.greedy === true,
      ...(lengthPenalty === undefined ? {} : { lengthPenalty }),
    });
    const summary = { ...result.summary, ms: performance.now() - started };
    const record: RewardsRecord = {
      format: 'anchorage.rewards/1',
      rollouts: Address.parse(input.rollouts),
      judgements: input.judgements.map((a) => Address.parse(a)),
      estimator: stage.rl.advantage,
      samples: result.samples,
      groups: result.groups,
      summary,
    };
    const committed = await commitOnce({ store, ref, address: (await store.putJson(record)).address });
    return { rewards: committed.address, summary, reused: !committed.created };
  };
}
