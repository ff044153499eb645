import { z } from 'zod';
import { type JudgeUsage, NO_USAGE } from '../src/contracts/judge-budget.ts';
import type {
  RubricShardInput,
  RubricShardProgress,
  RubricShardResult,
} from '../src/contracts/rubric-generation.ts';
import { generateShard, type ShardGenerationProgress } from '../src/rubric-authoring/generate-shard.ts';
import type { ActivityDeps } from './deps.ts';
import { asActivity } from './failures.ts';
import { keepHeartbeating, previousHeartbeat, throwIfCancelled } from './heartbeat.ts';

/** What this activity reads back from an earlier attempt's heartbeat: the shard's spend so far. */
const EarlierSpend = z.object({
  requests: z.number().int().nonnegative(),
  tokens: z.number().nonnegative(),
});

/**
 * One shard of a durable rubric generation (src/rubric-authoring/generate-shard.ts) on the judge
 * queue: the client's key comes from this worker's environment. Heartbeats after every prompt (and on
 * a timer while a request is out) with the prompts done and what the shard has spent, and stops
 * between prompts once cancelled. A retry skips the prompts already written, and counts the spend
 * its predecessor heartbeated against the shard's allowance and into what it reports, so a worker
 * lost mid-shard cannot make the shard spend its allowance twice (only the requests sent after its
 * last heartbeat go uncounted).
 */
export function generateRubricShardActivity(deps: ActivityDeps) {
  return (input: RubricShardInput): Promise<RubricShardResult> =>
    asActivity(async () => {
      const earlier = EarlierSpend.safeParse(previousHeartbeat());
      const usedBefore: JudgeUsage = earlier.success ? earlier.data : NO_USAGE;
      let latest: ShardGenerationProgress = {
        done: 0,
        generated: 0,
        skipped: 0,
        rejected: 0,
        failed: 0,
        unasked: 0,
        spent: () => usedBefore,
      };
      const details = (): RubricShardProgress => {
        const { spent, ...counts } = latest;
        return { shard: input.shard, prompts: input.end - input.start, ...counts, ...spent() };
      };
      const heartbeat = keepHeartbeating({ details, everyMs: deps.heartbeatEveryMs });
      try {
        return await generateShard({
          input,
          store: deps.store,
          verifiers: deps.verifiers,
          client: deps.generatorClient,
          log: deps.log,
          usedBefore,
          progress: (progress) => {
            latest = progress;
            heartbeat.now();
            throwIfCancelled();
          },
        });
      } finally {
        heartbeat.stop();
      }
    });
}
