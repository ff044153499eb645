import { z } from 'zod';
import { listCheckpoints, TrainRunId } from '../src/store/run-refs.ts';
import { planRun } from '../src/client/run-plan.ts';
import { runRefs } from '../src/train/run-refs.ts';
import { ValidationError } from '../src/util/errors.ts';
import type { ActivityDeps } from './deps.ts';
import { asActivity } from './failures.ts';
import type { LatestCheckpointInput, LatestCheckpointOutput } from './types.ts';

const Input = z.strictObject({ trainRunId: TrainRunId });

/**
 * A run's newest committed checkpoint (address and step), whether that step has an evaluation record
 * already, and what an evaluation of it needs (configuration address, judge shards, task queues),
 * all read from the store: a scheduled evaluation carries only the run id.
 */
export function latestCheckpointActivity(deps: ActivityDeps) {
  return function latestCheckpoint(input: LatestCheckpointInput): Promise<LatestCheckpointOutput> {
    return asActivity(async () => {
      const parsed = Input.safeParse(input);
      if (!parsed.success) {
        throw new ValidationError(
          `latestCheckpoint: expected { trainRunId } with a training run id (letters, digits, . _ -), got ${JSON.stringify(input)}`,
        );
      }
      const { trainRunId } = parsed.data;
      const { store } = deps;
      const configAddress = await store.getRef(runRefs.config(trainRunId));
      if (configAddress === undefined) {
        throw new ValidationError(
          `no training run '${trainRunId}' in the store at ${store.location} (${runRefs.config(trainRunId)} is missing); the client that started the run and every worker must share one store (ANCHORAGE_STORE_URL for a bucket, else ANCHORAGE_STORE_DIR)`,
        );
      }
      const plan = planRun({ prepared: (await deps.loadRun(configAddress)).prepared });
      const last = (await listCheckpoints({ store, trainRunId })).at(-1);
      const evaluated =
        last !== undefined &&
        (await store.getRef(runRefs.metrics({ trainRunId, step: last.step, purpose: 'eval' }))) !== undefined;
      return {
        checkpoint: last === undefined ? null : { step: last.step, address: last.address },
        evaluated,
        configAddress,
        judgeShards: plan.judgeShards,
        taskQueues: plan.taskQueues,
        suites: plan.evaluationSuites,
      };
    });
  };
}
