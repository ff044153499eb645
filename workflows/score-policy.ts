import type { StepRef } from '../src/contracts/step-refs.ts';
import type { ActivityProxies } from './activities.ts';
import { shardCount } from './training-step.ts';

/**
 * Samples a checkpoint's policy on the prompts of `ref`, judges the rollouts over parallel shards and
 * computes their rewards: what an evaluation and a data selection share. Nothing is trained.
 */
export async function scorePolicy(options: {
  acts: ActivityProxies;
  ref: StepRef;
  checkpoint: string | null;
  judgeShards: number;
  /** Names the phase for the Web UI. */
  show: (phase: 'rollouts' | 'judging') => void;
}) {
  const { acts, ref } = options;
  options.show('rollouts');
  const rollouts = await acts.rollout.generateRollouts({ ...ref, checkpoint: options.checkpoint });
  options.show('judging');
  const shards = shardCount({ configured: options.judgeShards, groups: rollouts.groups });
  const judged = await Promise.all(
    Array.from({ length: shards }, (_, shard) =>
      acts.judge.judgeRollouts({ ...ref, rollouts: rollouts.rollouts, shard, shards }),
    ),
  );
  const rewards = await acts.fast.computeRewards({
    ...ref,
    rollouts: rollouts.rollouts,
    judgements: judged.map((j) => j.judgement),
  });
  return { rollouts, judged, rewards };
}

type ScoredPolicy = Awaited<ReturnType<typeof scorePolicy>>;

/** The metrics record of a scored policy (for `writeMetrics`), timed from `started`. */
export function scoredMetrics(options: {
  ref: StepRef;
  stage: string;
  scored: ScoredPolicy;
  started: number;
}) {
  const { ref, scored } = options;
  return {
    trainRunId: ref.trainRunId,
    step: ref.step,
    purpose: ref.purpose,
    stage: options.stage,
    at: new Date().toISOString(),
    rollouts: scored.rollouts.stats,
    judge: scored.judged.map((j) => j.stats),
    rewards: scored.rewards.summary,
    wallMs: Date.now() - options.started,
  };
}
