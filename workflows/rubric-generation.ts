import { condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  addUsage,
  allowanceSpent,
  type JudgeAllowance,
  type JudgeBudget,
  type JudgeUsage,
  NO_USAGE,
  remaining,
  shareOfBudget,
} from '../src/contracts/judge-budget.ts';
import {
  type FailedPrompt,
  MAX_FAILED_LISTED,
  type RubricGenerationCounts,
  type RubricGenerationInput,
  type RubricGenerationResult,
  rubricGenerationProgressQuery,
  rubricShards,
} from '../src/contracts/rubric-generation.ts';
import type { QueueActivities } from './activities.ts';
import { activityPresets } from './presets.ts';

/** Prompts [start, end) of one shard: the whole shard, or the part its allowance left unasked. */
interface Piece {
  shard: number;
  start: number;
  end: number;
}

/**
 * Durable rubric generation (`anchorage rubrics generate --durable`): the stored prompts are cut into
 * shards of `shardSize`, and `parallelShards` shard activities run at once on the judge queue, whose
 * workers hold the key. The generation's rate (`requestsPerSecond`) is shared evenly by the shards
 * running at once, each pacing its client at its share, so together they keep it. A shard retried
 * after a lost worker skips the prompts already written (the files are the record), and so does a
 * rerun of a finished generation. The history holds addresses and counts only; after `shardsPerRun`
 * shards the workflow continues as new with its counts and spend.
 *
 * The judge budget (`budget`: the judge config's `requestBudget` and `tokenBudget`) holds for the
 * whole generation: what the finished shards spent is kept here, and a shard starts with its share
 * of what is left (`shareOfBudget`), so the shards running at once cannot together spend more
 * requests than is left. A shard that spends its share stops; the rest of its slice runs again with
 * a new share while the budget has some left. When nothing is left and no shard runs, no further
 * shard starts: the prompts not reached count as `unasked`, and the result says `budgetSpent`.
 */
export async function rubricGenerationWorkflow(
  input: RubricGenerationInput,
): Promise<RubricGenerationResult> {
  const shards = rubricShards(input.job.prompts.count, input.shardSize);
  const atOnce = Math.max(1, Math.min(input.parallelShards, shards.length));
  const requestsPerSecond = input.requestsPerSecond === null ? null : input.requestsPerSecond / atOnce;
  const judge = proxyActivities<QueueActivities<'judge'>>(
    activityPresets({ taskQueues: input.taskQueues, timing: input.timing }).judge,
  );
  const budget = input.budget;
  const carried = input.carried;
  // Counts carried by executions from before `unasked` existed lack it.
  const totals: RubricGenerationCounts = {
    generated: 0,
    skipped: 0,
    rejected: 0,
    failed: 0,
    unasked: 0,
    ...carried?.totals,
  };
  const failedPrompts: FailedPrompt[] = [...(carried?.failedPrompts ?? [])];
  const continuedAsNew = carried?.continuedAsNew ?? 0;
  let used: JudgeUsage = carried?.used ?? NO_USAGE;
  const first = carried?.nextShard ?? 0;
  const end = Math.min(shards.length, first + Math.max(1, input.shardsPerRun));
  const lanes = Math.min(atOnce, end - first);
  let next = first;
  let done = first;
  let running = 0;
  /** The allowances of the shards running, added up. */
  let reserved: JudgeUsage = NO_USAGE;
  /** Shard activities finished (a lane waiting for budget looks again after each). */
  let finished = 0;
  /** The unasked rest of shards whose share ran out while the budget had some left: run again. */
  const rest: Piece[] = [];
  /** Set once nothing is left and no shard runs: nothing starts any more. */
  let budgetSpent = false;
  setHandler(rubricGenerationProgressQuery, () => ({
    ...totals,
    prompts: input.job.prompts.count,
    shards: shards.length,
    shardsDone: done,
    shardsRunning: running,
    continuedAsNew,
    used,
    budget: budget ?? null,
  }));

  const held = (allowance: JudgeAllowance | undefined): JudgeUsage => ({
    requests: allowance?.requests ?? 0,
    tokens: allowance?.tokens ?? 0,
  });

  const take = (): Piece | undefined => {
    const again = rest.shift();
    if (again !== undefined) return again;
    if (next >= end) return undefined;
    const shard = next++;
    return { shard, ...shards[shard]! };
  };

  /**
   * A shard's share of `budget`, once the shards running leave one, counted as running with it held
   * in the same step (so the next lane's share sees it); 'spent' when no share can come.
   */
  const startWithShare = async (budget: JudgeBudget): Promise<JudgeAllowance | 'spent'> => {
    for (;;) {
      const share = shareOfBudget({ budget, used, reserved, free: lanes - running });
      if (!allowanceSpent(share)) {
        running++;
        reserved = addUsage(reserved, held(share));
        return share;
      }
      if (running === 0 || budgetSpent) return 'spent';
      const seen = finished;
      await condition(() => finished > seen || budgetSpent);
    }
  };

  const lane = async () => {
    while (!budgetSpent) {
      const piece = take();
      if (piece === undefined) return;
      let allowance: JudgeAllowance | undefined;
      if (budget === undefined) {
        // Nothing waits: the commands are those of executions from before the budget.
        running++;
      } else {
        const share = await startWithShare(budget);
        if (share === 'spent') {
          budgetSpent = true;
          totals.unasked += piece.end - piece.start;
          return;
        }
        allowance = share;
      }
      try {
        const result = await judge.generateRubricShard({
          generationId: workflowInfo().workflowId,
          job: input.job,
          shard: piece.shard,
          start: piece.start,
          end: piece.end,
          requestsPerSecond,
          ...(allowance === undefined ? {} : { allowance }),
        });
        used = addUsage(used, result.used);
        totals.generated += result.generated;
        totals.skipped += result.skipped;
        totals.rejected += result.rejected;
        totals.failed += result.failed;
        failedPrompts.push(...result.failedPrompts.slice(0, MAX_FAILED_LISTED - failedPrompts.length));
        if (result.unaskedFrom !== undefined && budget !== undefined && !budgetSpent) {
          rest.push({ shard: piece.shard, start: result.unaskedFrom, end: piece.end });
        } else {
          totals.unasked += result.unasked ?? 0;
          done++;
        }
      } finally {
        running--;
        const freed = held(allowance);
        reserved = { requests: reserved.requests - freed.requests, tokens: reserved.tokens - freed.tokens };
        finished++;
      }
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  // Spent to the last request by the shards of this execution: the next would start none.
  if (budget !== undefined && end < shards.length && allowanceSpent(remaining({ budget, used }))) {
    budgetSpent = true;
  }

  if (budgetSpent) {
    // The rests not run again and the shards not started (of this execution and the later ones).
    for (const piece of rest) totals.unasked += piece.end - piece.start;
    totals.unasked += input.job.prompts.count - (shards[next]?.start ?? input.job.prompts.count);
  } else if (end < shards.length) {
    return continueAsNew<typeof rubricGenerationWorkflow>({
      ...input,
      carried: { nextShard: end, totals, failedPrompts, continuedAsNew: continuedAsNew + 1, used },
    });
  }
  return {
    ...totals,
    prompts: input.job.prompts.count,
    shards: shards.length,
    outDir: input.job.outDir,
    failedPrompts,
    continuedAsNew,
    budgetSpent: totals.unasked > 0,
    used,
    budget: budget ?? null,
  };
}
