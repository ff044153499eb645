import type { Logger } from 'pino';
import {
  addUsage,
  allowanceLeft,
  type JudgeAllowance,
  type JudgeUsage,
  NO_USAGE,
} from '../contracts/judge-budget.ts';
import { type StepRef, stepKeyOf } from '../contracts/step-refs.ts';
import { type DisagreementTally, mergeDisagreement } from '../rubric/judge/disagreement.ts';
import { type JudgeLimits, judgeUsage } from '../rubric/judge/limits.ts';
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

/** Where a shard stands, for its heartbeat: groups judged so far and what the judge has spent. */
export interface ShardProgress {
  shard: number;
  groupsDone: number;
  groups: number;
  /** Requests and tokens spent so far by this activity (earlier attempts included), read when asked. */
  spent: () => JudgeUsage;
}

/** A judged shard, committed (or found committed), with what this activity spent on it. */
export interface JudgedShard {
  judgement: string;
  stats: JudgeStats;
  reused: boolean;
  usage: JudgeUsage;
}

/** A shard whose allowance ran out: nothing committed; the verdicts paid for are in the judge's cache. */
export interface ShardBudgetSpent {
  budgetSpent: true;
  usage: JudgeUsage;
  groupsDone: number;
  groups: number;
}

/**
 * Scores one shard of a step's rollouts against every rubric of each prompt: verifier criteria
 * here, judged criteria through the run's LLM judge (whose verdict cache answers what any earlier
 * attempt already paid for). The shard's verdicts are committed at `verdicts`, so a shard is judged
 * once: a retry that finds them returns them without grading anything.
 *
 * With an `allowance` (the shard's share of the run's judge budget), the judge refuses requests past
 * it, and a shard whose judge refused one stops after that group and commits nothing: it answers
 * `budgetSpent`, so no criterion is scored as unscorable (or 0) for want of budget; the workflow
 * pauses the run or judges the shard again with more. `usedBefore` (earlier attempts' spend, from
 * their heartbeats) counts against the allowance and into the usage. The run's
 * `judge.rateLimit.requestsPerSecond` is shared evenly by the `shards` running at once.
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
  progress: (progress: ShardProgress) => void;
  /** Throws when the attempt was cancelled. */
  checkCancelled: () => void;
  /** Receives the shard's duration once committed (the judge's own calls: src/telemetry/judge-telemetry.ts). */
  telemetry?: TrainingTelemetry;
  allowance?: JudgeAllowance;
  usedBefore?: JudgeUsage;
}): Promise<JudgedShard | ShardBudgetSpent> {
  const started = performance.now();
  const { store, ref, shard, shards } = options;
  const usedBefore = options.usedBefore ?? NO_USAGE;
  const key = { ...stepKeyOf(ref), shard, shards };
  const existing = await findCommitted({ store, point: COMMIT_POINTS.verdicts, key });
  if (existing !== undefined) {
    return { judgement: existing.address, stats: existing.record.stats, reused: true, usage: usedBefore };
  }
  const run = await options.run();
  const plan = await stepPlan({ run, ref, store });
  const { batch, groups } = await readRolloutBatch({ store, address: options.rollouts });
  if (batch.groups.length !== plan.entries.length) {
    throw new ValidationError(
      `rollouts ${options.rollouts} hold ${batch.groups.length} groups; step ${ref.step} plans ${plan.entries.length}`,
    );
  }
  const mine = shardGroups({ groups: groups.length, shard, shards });
  const judge = run.createJudge(
    shardJudgeLimits({
      allowance: options.allowance,
      usedBefore,
      requestsPerSecond: run.config.judge?.rateLimit?.requestsPerSecond,
      shards,
    }),
  );
  const spent = (): JudgeUsage => addUsage(usedBefore, judgeUsage(judge?.stats()));
  const counts = { verifierVerdicts: 0, judgeVerdicts: 0, unscorable: 0, responses: 0 };
  const judged: JudgedGroup[] = [];
  const disagreements: DisagreementTally[] = [];
  options.progress({ shard, groupsDone: 0, groups: mine.length, spent });
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
      resolved: plan.rubrics,
      verifiers: options.verifiers,
      judge,
    });
    if (options.allowance !== undefined && (judge?.stats().budgetRefusals ?? 0) > 0) {
      const usage = spent();
      options.log.info({ ...key, ...usage }, 'judge allowance spent; shard not committed');
      return { budgetSpent: true, usage, groupsDone: judged.length, groups: mine.length };
    }
    judged.push(result.judged);
    counts.verifierVerdicts += result.verifierVerdicts;
    counts.judgeVerdicts += result.judgeVerdicts;
    counts.unscorable += result.unscorable;
    disagreements.push(result.disagreement);
    counts.responses += group.samples.length;
    options.progress({ shard, groupsDone: judged.length, groups: mine.length, spent });
    await failpoint('judge.verdicts-cached', {
      step: ref.step,
      purpose: ref.purpose,
      shard,
      groups: judged.length,
    });
  }
  const judgeStats = judge?.stats();
  const disagreement = mergeDisagreement(disagreements);
  const stats: JudgeStats = {
    responses: counts.responses,
    verifierVerdicts: counts.verifierVerdicts,
    judgeVerdicts: counts.judgeVerdicts,
    unscorableVerdicts: counts.unscorable,
    judgeCacheHits: judgeStats?.cacheHits ?? 0,
    judgeCacheMisses: judgeStats?.cacheMisses ?? 0,
    judgeRequests: judgeStats?.requests ?? 0,
    ...(disagreement.compared === 0 ? {} : { disagreement }),
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
    announce: () => options.log.info({ ...key, ...stats }, 'judgements committed'),
  });
  if (committed.created) {
    (options.telemetry ?? NO_TELEMETRY).phase({ phase: 'judge', purpose: ref.purpose, ms: stats.ms });
  }
  return {
    judgement: committed.address,
    stats: committed.record.stats,
    reused: !committed.created,
    usage: spent(),
  };
}

/**
 * The limits of one shard's judge: its allowance less what earlier attempts spent (at least 0),
 * and its share of the run's rate (the shards of a round run at once, so together they keep it).
 */
export function shardJudgeLimits(options: {
  allowance: JudgeAllowance | undefined;
  usedBefore: JudgeUsage;
  requestsPerSecond: number | undefined;
  shards: number;
}): JudgeLimits {
  const { allowance, usedBefore, requestsPerSecond, shards } = options;
  const { requests, tokens } = allowance === undefined ? {} : allowanceLeft({ allowance, used: usedBefore });
  return {
    ...(requests === undefined ? {} : { requests }),
    ...(tokens === undefined ? {} : { tokens }),
    ...(requestsPerSecond === undefined ? {} : { requestsPerSecond: requestsPerSecond / shards }),
  };
}
