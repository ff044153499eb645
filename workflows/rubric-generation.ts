import { continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
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

/**
 * Durable rubric generation (`anchorage rubrics generate --durable`): the stored prompts are cut into
 * shards of `shardSize`, and `parallelShards` shard activities run at once on the judge queue, whose
 * workers hold the key. The generation's rate (`requestsPerSecond`) is shared evenly by the shards
 * running at once, each pacing its client at its share, so together they keep it. A shard retried
 * after a lost worker skips the prompts already written (the files are the record), and so does a
 * rerun of a finished generation. The history holds addresses and counts only; after `shardsPerRun`
 * shards the workflow continues as new with its counts.
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
  const carried = input.carried;
  const totals: RubricGenerationCounts = carried?.totals ?? {
    generated: 0,
    skipped: 0,
    rejected: 0,
    failed: 0,
  };
  const failedPrompts: FailedPrompt[] = [...(carried?.failedPrompts ?? [])];
  const continuedAsNew = carried?.continuedAsNew ?? 0;
  const first = carried?.nextShard ?? 0;
  const end = Math.min(shards.length, first + Math.max(1, input.shardsPerRun));
  let next = first;
  let done = first;
  let running = 0;
  setHandler(rubricGenerationProgressQuery, () => ({
    ...totals,
    prompts: input.job.prompts.count,
    shards: shards.length,
    shardsDone: done,
    shardsRunning: running,
    continuedAsNew,
  }));

  const lane = async () => {
    while (next < end) {
      const shard = next++;
      const { start, end: stop } = shards[shard]!;
      running++;
      try {
        const result = await judge.generateRubricShard({
          generationId: workflowInfo().workflowId,
          job: input.job,
          shard,
          start,
          end: stop,
          requestsPerSecond,
        });
        totals.generated += result.generated;
        totals.skipped += result.skipped;
        totals.rejected += result.rejected;
        totals.failed += result.failed;
        failedPrompts.push(...result.failedPrompts.slice(0, MAX_FAILED_LISTED - failedPrompts.length));
        done++;
      } finally {
        running--;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(atOnce, end - first) }, lane));

  if (end < shards.length) {
    return continueAsNew<typeof rubricGenerationWorkflow>({
      ...input,
      carried: { nextShard: end, totals, failedPrompts, continuedAsNew: continuedAsNew + 1 },
    });
  }
  return {
    ...totals,
    prompts: input.job.prompts.count,
    shards: shards.length,
    outDir: input.job.outDir,
    failedPrompts,
    continuedAsNew,
  };
}
