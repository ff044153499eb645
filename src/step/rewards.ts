import type { Logger } from 'pino';
import type { BatchVariance } from '../contracts/dynamic-sampling.ts';
import type { StepKey } from '../contracts/step-refs.ts';
import { NonFiniteRewardError } from '../rubric/aggregate/index.ts';
import { Address } from '../store/address.ts';
import type { ArtifactStore } from '../store/store.ts';
import { type JudgedGroup, ShardJudgement } from '../train/judgements.ts';
import type { RewardsRecord, RewardSummary } from '../train/rewards.ts';
import { readRolloutBatch } from '../train/rollouts.ts';
import { NO_TELEMETRY, type TrainingTelemetry } from '../telemetry/training-telemetry.ts';
import { ValidationError } from '../util/errors.ts';
import { failpointValue } from '../util/failpoints.ts';
import { COMMIT_POINTS, type CommitPoint, commit, findCommitted } from './commit.ts';
import { stepPlan, stepRubrics } from './plan.ts';
import { computeStepRewards, lengthPenalties, rubricRewards } from './reward-math.ts';
import { recordRefusal } from './refusals.ts';
import type { RunContext } from './run-context.ts';

/**
 * Rewards and advantages of a step, committed at `rewards`: each rubric's verdicts on a prompt group
 * are aggregated, the rubrics of a prompt combined by weight, and the configured estimator turns
 * rewards into advantages within each group (src/step/reward-math.ts). Unscorable responses are left
 * out of baselines and the loss, never scored 0. With `rl.overlongBufferTokens`, long training
 * responses get the overlong penalty before advantages. A NaN or infinite reward refuses the step:
 * recorded in the store (the step's metrics count it once it commits) and thrown (not retryable),
 * so the run waits for resume or stop with its last checkpoint kept.
 *
 * A training batch of a stage with `rl.dynamicSampling` (the planned batch or a refill round, at the
 * `rewards` point) also answers its groups' variance (`variance`), from which the step workflow
 * decides on refill rounds.
 */
export async function computeRewards(options: {
  store: ArtifactStore;
  key: StepKey;
  /** The run, loaded only when the rewards are not committed yet (or dynamic sampling asks). */
  run: () => Promise<RunContext>;
  rollouts: string;
  /** Shard judgements in shard order. */
  judgements: readonly string[];
  log: Logger;
  workerName: string;
  /** Receives the phase's duration and the mean reward once committed. */
  telemetry?: TrainingTelemetry;
  /** Where the rewards are committed: `rewards` (default), or `trainedRewards` for an assembled batch. */
  point?: CommitPoint<StepKey, RewardsRecord>;
}): Promise<{ rewards: string; summary: RewardSummary; reused: boolean; variance?: BatchVariance }> {
  const { store, key } = options;
  const point = options.point ?? COMMIT_POINTS.rewards;
  const withVariance = async (
    out: { rewards: string; summary: RewardSummary; reused: boolean },
    record: RewardsRecord,
  ) => {
    if (point !== COMMIT_POINTS.rewards || key.purpose !== 'train') return out;
    const variance = await batchVariance({ store, key, run: await options.run(), record });
    return variance === undefined ? out : { ...out, variance };
  };
  const existing = await findCommitted({ store, point, key });
  if (existing !== undefined) {
    return withVariance(
      { rewards: existing.address, summary: existing.record.summary, reused: true },
      existing.record,
    );
  }
  try {
    const record = await rewardsRecord({ ...options, run: await options.run() });
    const committed = await commit({ store, point, key, record });
    if (committed.created) {
      const telemetry = options.telemetry ?? NO_TELEMETRY;
      telemetry.phase({ phase: 'rewards', purpose: key.purpose, ms: record.summary.ms });
      telemetry.rewards({ purpose: key.purpose, mean: record.summary.mean });
    }
    return withVariance(
      { rewards: committed.address, summary: committed.record.summary, reused: !committed.created },
      committed.record,
    );
  } catch (err) {
    if (err instanceof NonFiniteRewardError) await refuse({ ...options, message: err.message });
    throw err;
  }
}

/**
 * A training batch's groups with and without reward variance, and the step's refill bounds, when
 * its stage has `rl.dynamicSampling`; undefined otherwise. Variance is the estimator's own test
 * (src/rl/advantages: all scored rewards, length penalty included, equal, or fewer than two scored).
 */
async function batchVariance(options: {
  store: ArtifactStore;
  key: StepKey;
  run: RunContext;
  record: RewardsRecord;
}): Promise<BatchVariance | undefined> {
  const { store, key, run, record } = options;
  if (run.stageForStep(key.step).rl.dynamicSampling === undefined) return undefined;
  const plan = await stepPlan({ run, ref: { ...key, round: 0 }, store });
  if (plan.refill === undefined) return undefined;
  return {
    groups: record.groups.length,
    withVariance: record.groups.filter((g) => !g.zeroVariance).length,
    wanted: plan.refill.wanted,
    maxRounds: plan.refill.rounds,
  };
}

async function rewardsRecord(options: {
  store: ArtifactStore;
  key: StepKey;
  run: RunContext;
  rollouts: string;
  judgements: readonly string[];
}): Promise<RewardsRecord> {
  const started = performance.now();
  const { store, key, run } = options;
  const stage = run.stageForStep(key.step);
  const { batch, groups } = await readRolloutBatch({ store, address: options.rollouts });
  const judged = new Map<number, JudgedGroup>();
  for (const address of options.judgements) {
    const shard = await store.getJson(address, ShardJudgement);
    if (shard.rollouts !== options.rollouts) {
      throw new ValidationError(
        `judgement ${address} scores rollouts ${shard.rollouts}, not ${options.rollouts}`,
      );
    }
    for (const g of shard.groups) judged.set(g.index, g);
  }
  const rubrics = await stepRubrics({ run, ref: key, store });
  const perGroup = rubricRewards({ groups, judged, rubrics, step: key.step });
  // Tests make one reward NaN here (failpoint `rewards.aggregated` armed with `nan`).
  const first = perGroup[0]?.[0]?.find((r) => r.reward.status === 'scored');
  if (first !== undefined && first.reward.status === 'scored') {
    const facts = { step: key.step, purpose: key.purpose };
    first.reward = {
      ...first.reward,
      value: failpointValue('rewards.aggregated', facts, first.reward.value),
    };
  }
  // Overlong penalty (training only): the limit is the one the rollouts were sampled with.
  const lengthPenalty =
    key.purpose === 'train'
      ? lengthPenalties({
          groups,
          maxNewTokens: batch.sampling.maxNewTokens,
          bufferTokens: stage.rl.overlongBufferTokens,
          factor: stage.rl.overlongPenaltyFactor,
        })
      : undefined;
  const result = computeStepRewards({
    groups: perGroup,
    estimator: stage.rl.advantage,
    dropZeroVariance: stage.rl.dropZeroVarianceGroups,
    advantages: key.purpose === 'train',
    rubricKey: (id) => run.rubricKey(id),
    greedy: (g, s) => groups[g]?.samples[s]?.greedy === true,
    ...(lengthPenalty === undefined ? {} : { lengthPenalty }),
  });
  return {
    format: 'anchorage.rewards/1',
    rollouts: Address.parse(options.rollouts),
    judgements: options.judgements.map((a) => Address.parse(a)),
    estimator: stage.rl.advantage,
    samples: result.samples,
    groups: result.groups,
    summary: { ...result.summary, ms: performance.now() - started },
  };
}

async function refuse(options: {
  store: ArtifactStore;
  key: StepKey;
  log: Logger;
  workerName: string;
  message: string;
}) {
  const { key, message } = options;
  options.log.warn({ ...key, reason: message }, 'rewards refused');
  await recordRefusal({
    store: options.store,
    refusal: {
      format: 'anchorage.refusal/1',
      ...key,
      kind: 'reward',
      message,
      at: new Date().toISOString(),
      worker: options.workerName,
    },
  });
}
