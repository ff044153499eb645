import type {
  RubricShardInput,
  RubricShardProgress,
  RubricShardResult,
} from '../src/contracts/rubric-generation.ts';
import { generateShard } from '../src/rubric-authoring/generate-shard.ts';
import type { ActivityDeps } from './deps.ts';
import { asActivity } from './failures.ts';
import { keepHeartbeating, throwIfCancelled } from './heartbeat.ts';

/**
 * One shard of a durable rubric generation (src/rubric-authoring/generate-shard.ts) on the judge
 * queue: the client's key comes from this worker's environment. Heartbeats after every prompt (and on
 * a timer while a request is out), and stops between prompts once cancelled. A retry skips the
 * prompts already written, so it needs nothing from the earlier attempt's heartbeat.
 */
export function generateRubricShardActivity(deps: ActivityDeps) {
  return (input: RubricShardInput): Promise<RubricShardResult> =>
    asActivity(async () => {
      let latest: RubricShardProgress = {
        shard: input.shard,
        done: 0,
        prompts: input.end - input.start,
        generated: 0,
        skipped: 0,
        rejected: 0,
        failed: 0,
      };
      const heartbeat = keepHeartbeating({ details: () => latest, everyMs: deps.heartbeatEveryMs });
      try {
        return await generateShard({
          input,
          store: deps.store,
          verifiers: deps.verifiers,
          client: deps.generatorClient,
          log: deps.log,
          progress: (counts) => {
            latest = { ...latest, ...counts };
            heartbeat.now();
            throwIfCancelled();
          },
        });
      } finally {
        heartbeat.stop();
      }
    });
}
