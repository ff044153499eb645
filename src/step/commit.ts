import type { z } from 'zod';
import type { StepKey } from '../contracts/step-refs.ts';
import type { Address } from '../store/address.ts';
import { commitOnce } from '../store/commit-once.ts';
import type { ArtifactStore } from '../store/store.ts';
import { StoredCheckpoint } from '../train/checkpoint-store.ts';
import { ShardJudgement } from '../train/judgements.ts';
import { MetricsRecord } from '../train/metrics.ts';
import { RewardsRecord } from '../train/rewards.ts';
import { RolloutBatch, RolloutGroup } from '../train/rollouts.ts';
import { runRefs } from '../train/run-refs.ts';
import type { FailpointFacts, FailpointName } from '../util/failpoint-names.ts';
import { failpoint } from '../util/failpoints.ts';

export { commitOnce } from '../store/commit-once.ts';

/**
 * A commit point of the training step: the create-only ref a record is committed under, the record's
 * schema, and the failpoints (src/util/failpoint-names.ts) just before the ref is written and just
 * after. What the step has done is exactly what its commit points hold: a retried activity first
 * looks for its point's record (`findCommitted`) and does only what is missing.
 */
export interface CommitPoint<K, T> {
  ref: (key: K) => string;
  record: z.ZodType<T>;
  before?: FailpointName;
  after?: FailpointName;
  facts: (key: K) => FailpointFacts;
}

type ShardKey = StepKey & { shard: number; shards: number };
type UpdateKey = { trainRunId: string; step: number };
/** Where a failpoint is reached; a refill round adds `round`, so a test can arm one round only. */
const stepFacts = (key: StepKey) => ({
  step: key.step,
  purpose: key.purpose,
  ...(key.round === undefined ? {} : { round: key.round }),
});

/** The step's commit points, in the order a step reaches them (ref layout: src/train/run-refs.ts). */
export const COMMIT_POINTS = {
  /** One prompt group's samples, as soon as the group is done. */
  rolloutGroup: {
    ref: runRefs.rolloutGroup,
    record: RolloutGroup,
    facts: stepFacts,
  } satisfies CommitPoint<StepKey & { group: number }, RolloutGroup>,
  /** The rollout batch: every group's address, how they were sampled. */
  rollouts: {
    ref: runRefs.rollouts,
    record: RolloutBatch,
    before: 'rollouts.before-commit',
    after: 'rollouts.committed',
    facts: stepFacts,
  } satisfies CommitPoint<StepKey, RolloutBatch>,
  /** One judge shard's verdicts. */
  verdicts: {
    ref: runRefs.judgement,
    record: ShardJudgement,
    after: 'judge.shard-committed',
    facts: (key) => ({ ...stepFacts(key), shard: key.shard }),
  } satisfies CommitPoint<ShardKey, ShardJudgement>,
  /** Rewards and advantages. */
  rewards: {
    ref: runRefs.rewards,
    record: RewardsRecord,
    facts: stepFacts,
  } satisfies CommitPoint<StepKey, RewardsRecord>,
  /** The update: checkpoint n, the policy after step n. */
  update: {
    ref: (key) => runRefs.checkpoint(key.trainRunId, key.step),
    record: StoredCheckpoint,
    before: 'checkpoint.written',
    after: 'checkpoint.committed',
    facts: (key) => ({ step: key.step }),
  } satisfies CommitPoint<UpdateKey, StoredCheckpoint>,
  /** The batch a step with refill rounds trains on, assembled from its rounds (dynamic sampling). */
  trainedRollouts: {
    ref: runRefs.trainedRollouts,
    record: RolloutBatch,
    facts: stepFacts,
  } satisfies CommitPoint<StepKey, RolloutBatch>,
  /** Rewards and advantages of the assembled batch. */
  trainedRewards: {
    ref: runRefs.trainedRewards,
    record: RewardsRecord,
    facts: stepFacts,
  } satisfies CommitPoint<StepKey, RewardsRecord>,
  /** The step's metrics record. */
  metrics: {
    ref: runRefs.metrics,
    record: MetricsRecord,
    facts: stepFacts,
  } satisfies CommitPoint<StepKey, MetricsRecord>,
};

/** The record committed at `point` for `key`, or undefined when nothing is committed there yet. */
export async function findCommitted<K, T>(options: {
  store: ArtifactStore;
  point: CommitPoint<K, T>;
  key: K;
}): Promise<{ address: string; record: T } | undefined> {
  const { store, point, key } = options;
  const address = await store.getRef(point.ref(key));
  if (address === undefined) return undefined;
  return { address, record: await store.getJson(address, point.record) };
}

/**
 * Commits a record at `point` (create-only): `record` is stored first, or `address` names one stored
 * already (a checkpoint, whose files go before its record). The failpoints of the point fire just
 * before and just after the ref is written. Returns the committed address, whether this call
 * committed it, and the committed record (an earlier writer's, read back, when it was first).
 */
export async function commit<K, T>(options: {
  store: ArtifactStore;
  point: CommitPoint<K, T>;
  key: K;
  record: T;
  /** The record's address when it is stored already. */
  address?: Address;
  /** Runs once the ref is written, before the point's `after` failpoint (a log line, say). */
  announce?: (committed: { address: Address; created: boolean }) => void;
}): Promise<{ address: Address; created: boolean; record: T }> {
  const { store, point, key } = options;
  const address = options.address ?? (await store.putJson(options.record)).address;
  const facts = point.facts(key);
  if (point.before !== undefined) await failpoint(point.before, facts);
  const committed = await commitOnce({ store, ref: point.ref(key), address });
  options.announce?.(committed);
  if (point.after !== undefined) await failpoint(point.after, facts);
  const record = committed.created ? options.record : await store.getJson(committed.address, point.record);
  return { ...committed, record };
}
