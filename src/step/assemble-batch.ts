import type { Logger } from 'pino';
import type { StepKey } from '../contracts/step-refs.ts';
import { Address } from '../store/address.ts';
import type { ArtifactStore } from '../store/store.ts';
import { type JudgedGroup, ShardJudgement } from '../train/judgements.ts';
import type { RewardSummary } from '../train/rewards.ts';
import { RewardsRecord } from '../train/rewards.ts';
import { type RolloutBatch, type RolloutGroup, readRolloutBatch } from '../train/rollouts.ts';
import { ValidationError } from '../util/errors.ts';
import { COMMIT_POINTS, commit, findCommitted } from './commit.ts';
import { computeRewards } from './rewards.ts';
import type { RunContext } from './run-context.ts';

/** A group of a step's rounds: the round (0: the planned batch) and its index there. */
export interface GroupPick {
  round: number;
  index: number;
}

/**
 * Which groups a step with refill rounds trains on: those whose rewards vary, round by round (the
 * planned batch first), each round in batch order, the first `wanted` of them. `variance[r][i]`:
 * group i of round r has variance. Pure.
 */
export function pickTrainedGroups(options: {
  variance: readonly (readonly boolean[])[];
  wanted: number;
}): GroupPick[] {
  const picks: GroupPick[] = [];
  options.variance.forEach((round, r) => {
    round.forEach((varies, index) => {
      if (varies && picks.length < options.wanted) picks.push({ round: r, index });
    });
  });
  return picks;
}

/** One round as stored: its batch, groups, rewards and judged groups by index. */
interface StoredRound {
  rollouts: string;
  batch: RolloutBatch;
  groups: RolloutGroup[];
  rewards: RewardsRecord;
  judged: Map<number, JudgedGroup>;
}

async function readRound(options: {
  store: ArtifactStore;
  rollouts: string;
  rewards: string;
}): Promise<StoredRound> {
  const { store } = options;
  const rewards = await store.getJson(options.rewards, RewardsRecord);
  if (rewards.rollouts !== options.rollouts) {
    throw new ValidationError(
      `rewards ${options.rewards} score rollouts ${rewards.rollouts}, not ${options.rollouts}`,
    );
  }
  const { batch, groups } = await readRolloutBatch({ store, address: options.rollouts });
  const judged = new Map<number, JudgedGroup>();
  for (const address of rewards.judgements) {
    for (const g of (await store.getJson(address, ShardJudgement)).groups) judged.set(g.index, g);
  }
  return { rollouts: options.rollouts, batch, groups, rewards, judged };
}

/**
 * The batch a training step with refill rounds (dynamic sampling) trains on: the groups with reward
 * variance of its rounds (`pickTrainedGroups`), at most `rl.promptsPerStep`, as one rollout batch
 * (each group stored again with its place in this batch as index; `assembledFrom` says where it came
 * from) committed at `trainedRollouts`, their verdicts as one judgement, and the batch's rewards and
 * advantages computed afresh over it (an estimator may whiten over the batch) at `trainedRewards`.
 * A retry finds the committed rewards and returns them; everything else is content-addressed, so a
 * retry that recomputes writes the same records.
 */
export async function assembleBatch(options: {
  store: ArtifactStore;
  key: StepKey;
  run: () => Promise<RunContext>;
  /** Each round's rollouts and rewards, round 0 (the planned batch) first. */
  rounds: ReadonlyArray<{ rollouts: string; rewards: string }>;
  log: Logger;
  workerName: string;
}): Promise<{ rollouts: string; rewards: string; summary: RewardSummary; groups: number; reused: boolean }> {
  const { store, key } = options;
  const existing = await findCommitted({ store, point: COMMIT_POINTS.trainedRewards, key });
  if (existing !== undefined) {
    const { record } = existing;
    return {
      rollouts: record.rollouts,
      rewards: existing.address,
      summary: record.summary,
      groups: record.summary.groups,
      reused: true,
    };
  }
  const run = await options.run();
  const wanted = run.stageForStep(key.step).rl.promptsPerStep;
  const rounds = await Promise.all(options.rounds.map((r) => readRound({ store, ...r })));
  const first = rounds[0];
  if (first === undefined) throw new ValidationError(`step ${key.step}: no round to assemble a batch from`);
  for (const [r, round] of rounds.entries()) {
    if (
      round.batch.checkpoint !== first.batch.checkpoint ||
      round.batch.groupSize !== first.batch.groupSize
    ) {
      throw new ValidationError(
        `step ${key.step}: round ${r} was sampled from ${round.batch.checkpoint ?? 'fresh adapters'} with ${round.batch.groupSize} per group, round 0 from ${first.batch.checkpoint ?? 'fresh adapters'} with ${first.batch.groupSize}`,
      );
    }
  }
  const picks = pickTrainedGroups({
    variance: rounds.map((r) => r.rewards.groups.map((g) => !g.zeroVariance)),
    wanted,
  });
  if (picks.length === 0) {
    throw new ValidationError(
      `step ${key.step}: no group of its ${rounds.length} rounds has reward variance`,
    );
  }
  const groups: RolloutGroup[] = [];
  const judged: JudgedGroup[] = [];
  for (const [index, pick] of picks.entries()) {
    const round = rounds[pick.round]!;
    const group = round.groups[pick.index];
    const verdicts = round.judged.get(pick.index);
    if (group === undefined || verdicts === undefined) {
      throw new ValidationError(`step ${key.step}: round ${pick.round} has no judged group ${pick.index}`);
    }
    groups.push({ ...group, index });
    judged.push({ ...verdicts, index });
  }
  const addresses = await Promise.all(groups.map(async (g) => (await store.putJson(g)).address));
  const responses = groups.reduce((n, g) => n + g.samples.length, 0);
  const batch: RolloutBatch = {
    format: 'anchorage.rollouts/1',
    ...key,
    stage: first.batch.stage,
    checkpoint: first.batch.checkpoint,
    groupSize: first.batch.groupSize,
    sampling: first.batch.sampling,
    groups: addresses,
    // What the batch holds; the time went into the rounds' own batches.
    stats: {
      groups: groups.length,
      responses,
      promptTokens: groups.reduce((n, g) => n + g.promptIds.length * g.samples.length, 0),
      newTokens: groups.reduce((n, g) => n + g.samples.reduce((m, s) => m + s.tokenIds.length, 0), 0),
      truncated: groups.reduce((n, g) => n + g.samples.filter((s) => s.finishReason === 'length').length, 0),
      resumedGroups: 0,
      ms: 0,
    },
    assembledFrom: { rounds: rounds.map((r) => Address.parse(r.rollouts)), picks },
  };
  const committed = await commit({ store, point: COMMIT_POINTS.trainedRollouts, key, record: batch });
  const judgement: ShardJudgement = {
    format: 'anchorage.judgement/1',
    rollouts: committed.address,
    shard: 0,
    shards: 1,
    groups: judged,
    // The verdicts' cost is counted in the rounds' shards.
    stats: {
      responses,
      verifierVerdicts: 0,
      judgeVerdicts: 0,
      unscorableVerdicts: 0,
      judgeCacheHits: 0,
      judgeCacheMisses: 0,
      judgeRequests: 0,
      ms: 0,
    },
  };
  const { address: judgementAddress } = await store.putJson(judgement);
  const rewards = await computeRewards({
    store,
    key,
    run: async () => run,
    rollouts: committed.address,
    judgements: [judgementAddress],
    log: options.log,
    workerName: options.workerName,
    // No telemetry: the workers' reward gauge follows the planned batches, as without refills.
    point: COMMIT_POINTS.trainedRewards,
  });
  options.log.info(
    { ...key, rounds: rounds.length, groups: picks.length, wanted, rewards: rewards.rewards },
    'trained batch assembled',
  );
  return {
    rollouts: committed.address,
    rewards: rewards.rewards,
    summary: rewards.summary,
    groups: picks.length,
    reused: false,
  };
}
