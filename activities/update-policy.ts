import { Context } from '@temporalio/activity';
import type { UpdateProgress } from '../src/contracts/activity-progress.ts';
import { updatePolicy } from '../src/step/update.ts';
import type { ActivityDeps } from './deps.ts';
import { asActivity } from './failures.ts';
import { keepHeartbeating } from './heartbeat.ts';
import type { UpdatePolicyInput, UpdatePolicyOutput } from './types.ts';

/**
 * A step's policy update (src/step/update.ts), heartbeating its micro-batches. A non-finite loss,
 * gradient or update fails it without retry (NonFiniteError).
 */
export function updatePolicyActivity(deps: ActivityDeps) {
  return (input: UpdatePolicyInput): Promise<UpdatePolicyOutput> =>
    asActivity(async () => {
      let progress: UpdateProgress = {};
      const heartbeat = keepHeartbeating({ details: () => progress, everyMs: deps.heartbeatEveryMs });
      try {
        return await updatePolicy({
          store: deps.store,
          trainRunId: input.trainRunId,
          step: input.step,
          parent: input.parent,
          rollouts: input.rollouts,
          rewards: input.rewards,
          overrides: input.overrides,
          run: () => deps.loadRun(input.configAddress, input.stageStarts),
          policies: deps.policies,
          log: deps.log,
          workerName: deps.workerName,
          attempt: Context.current().info.attempt,
          measureKl: deps.measureKl,
          trainMicroBatch: deps.trainMicroBatch,
          telemetry: deps.telemetry,
          progress: (next) => {
            progress = next;
          },
        });
      } finally {
        heartbeat.stop();
      }
    });
}
