import { Context } from '@temporalio/activity';
import type { RolloutProgress } from '../src/contracts/activity-progress.ts';
import { generateRollouts } from '../src/step/rollouts.ts';
import { parseRolloutProgress } from './activity-progress.ts';
import type { ActivityDeps } from './deps.ts';
import { asActivity } from './failures.ts';
import { keepHeartbeating, previousHeartbeat, throwIfCancelled } from './heartbeat.ts';
import type { GenerateRolloutsInput, GenerateRolloutsOutput } from './types.ts';

/**
 * A step's rollouts (src/step/rollouts.ts), heartbeating the groups committed so far: a retried
 * attempt samples only the rest. Cancellation (worker shutdown, run cancelled) stops generation
 * between decode steps.
 */
export function generateRolloutsActivity(deps: ActivityDeps) {
  return (input: GenerateRolloutsInput): Promise<GenerateRolloutsOutput> =>
    asActivity(async () => {
      const context = Context.current();
      let details: RolloutProgress | undefined;
      let heartbeat: ReturnType<typeof keepHeartbeating> | undefined;
      try {
        return await generateRollouts({
          store: deps.store,
          ref: input,
          checkpoint: input.checkpoint,
          run: () => deps.loadRun(input.configAddress, input.stageStarts),
          policies: deps.policies,
          rolloutBatch: deps.rolloutBatch,
          log: deps.log,
          heartbeatGroups: (total) => parseRolloutProgress(previousHeartbeat(), total),
          progress: (progress, urgent) => {
            details = progress;
            if (heartbeat === undefined) {
              heartbeat = keepHeartbeating({ details: () => details, everyMs: deps.heartbeatEveryMs });
            } else if (urgent) heartbeat.now();
          },
          signal: context.cancellationSignal,
          checkCancelled: throwIfCancelled,
          attempt: context.info.attempt,
          telemetry: deps.telemetry,
        });
      } finally {
        heartbeat?.stop();
      }
    });
}
