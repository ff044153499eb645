import type { Logger } from 'pino';
import type { StepRef } from '../contracts/step-refs.ts';
import type { VerifierRegistry } from '../rubric/verifiers/registry.ts';
import { Address } from '../store/address.ts';
import type { ArtifactStore } from '../store/store.ts';
import {
  type JudgedGroup,
  type JudgeStats,
  judgeGroup,
  type ShardJudgement,
  shardGroups,
} from '../train/judgements.ts';
import { readRolloutBatch } from '../train/rollouts.ts';
import { NO_TELEMETRY, type TrainingTelemetry } from '../telemetry/training-telemetry.ts';
import { ValidationError } from '../util/errors.ts';
import { failpoint } from '../util/failpoints.ts';
import { COMMIT_POINTS, commit, findCommitted } from './commit.ts';
import { stepPlan } from './plan.ts';
import type { RunContext } from './run-context.ts';

/**
 * Scores one shard of a step's rollouts against every rubric of each prompt: verifier criteria
 * here, judged criteria through the run's LLM judge (whose verdict cache answers what any earlier
 * attempt already paid for). The shard's verdicts are committed at `verdicts`, so a shard is judged
 * once: a retry that finds them returns them without grading anything.
 */
export async function judgeShard(options: {
  store: ArtifactStore;
  ref: StepRef;
  rollouts: string;
  shard: number;
  shards: number;
  run: () => Promise<RunContext>;
  verifiers: VerifierRegistry;
  log: Logger;
  /** Progress for the heartbeat, after each group. */
  progress: (progress: { shard: number; groupsDone: number; groups: number }) => void;
  /** Throws when the attempt was cancelled. */
  checkCancelled: () => void;
  /** Receives the shard's duration once committed (the judge's own calls: src/telemetry/judge-telemetry.ts). */
  telemetry?: TrainingTelemetry;
}): Promise<{ judgement: string; stats: JudgeStats; reused: boolean }> {
  const started = performance.now();
  const { store, ref, shard, shards } = options;
  const key = { trainRunId: ref.trainRunId, step: ref.step, purpose: ref.purpose, shard, shards };
  const existing = await findCommitted({ store, point: COMMIT_POINTS.verdicts, key });
  if (existing !== undefined)
    return { judgement: existing.address, stats: existing.record.stats, reused: true };
  const run = await options.run();
  const plan = await stepPlan({ run, ref, store });
  const { batch, groups } = await readRolloutBatch({ store, address: options.rollouts });
  if (batch.groups.length !== plan.entries.length) {
    throw new ValidationError(
      `rollouts ${options.rollouts} hold ${batch.groups.length} groups; step ${ref.step} plans ${plan.entries.length}`,
    );
  }
  const mine = shardGroups({ groups: groups.length, shard, shards });
  const judge = run.createJudge();
  const counts = { verifierVerdicts: 0, judgeVerdicts: 0, unscorable: 0, responses: 0 };
  const judged: JudgedGroup[] = [];
  options.progress({ shard, groupsDone: 0, groups: mine.length });
  for (const i of mine) {
    options.checkCancelled();
    const group = groups[i]!;
    const entry = plan.entries[i]!;
    if (entry.prompt.record.id !== group.promptId) {
      throw new ValidationError(
        `rollout group ${i} answers prompt '${group.promptId}', but step ${ref.step} plans '${entry.prompt.record.id}'`,
      );
    }
    const result = await judgeGroup({
      group,
      rubrics: entry.rubrics,
      resolved: run.prepared.rubrics,
      verifiers: options.verifiers,
      judge,
    });
    judged.push(result.judged);
    counts.verifierVerdicts += result.verifierVerdicts;
    counts.judgeVerdicts += result.judgeVerdicts;
    counts.unscorable += result.unscorable;
    counts.responses += group.samples.length;
    options.progress({ shard, groupsDone: judged.length, groups: mine.length });
    await failpoint('judge.verdicts-cached', {
      step: ref.step,
      purpose: ref.purpose,
      shard,
      groups: judged.length,
    });
  }
  const judgeStats = judge?.stats();
  const stats: JudgeStats = {
    responses: counts.responses,
    verifierVerdicts: counts.verifierVerdicts,
    judgeVerdicts: counts.judgeVerdicts,
    unscorableVerdicts: counts.unscorable,
    judgeCacheHits: judgeStats?.cacheHits ?? 0,
    judgeCacheMisses: judgeStats?.cacheMisses ?? 0,
    judgeRequests: judgeStats?.requests ?? 0,
    ms: performance.now() - started,
  };
  const record: ShardJudgement = {
    format: 'anchorage.judgement/1',
    rollouts: Address.parse(options.rollouts),
    shard,
    shards,
    groups: judged,
    stats,
  };
  const committed = await commit({
    store,
    point: COMMIT_POINTS.verdicts,
    key,
    record,
    announce: () =>
      options.log.info(
        { trainRunId: ref.trainRunId, step: ref.step, purpose: ref.purpose, shard, ...stats },
        'judgements committed',
      ),
  });
  if (committed.created) {
    (options.telemetry ?? NO_TELEMETRY).phase({ phase: 'judge', purpose: ref.purpose, ms: stats.ms });
  }
  return { judgement: committed.address, stats: committed.record.stats, reused: !committed.created };
}
