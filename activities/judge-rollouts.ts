import { judgeShard } from '../src/step/verdicts.ts';
import type { ActivityDeps } from './deps.ts';
import { asActivity } from './failures.ts';
import { keepHeartbeating, throwIfCancelled } from './heartbeat.ts';
import type { JudgeRolloutsInput, JudgeRolloutsOutput } from './types.ts';

/** One judge shard of a step's rollouts (src/step/verdicts.ts), heartbeating the groups judged. */
export function judgeRolloutsActivity(deps: ActivityDeps) {
  return (input: JudgeRolloutsInput): Promise<JudgeRolloutsOutput> =>
    asActivity(async () => {
      let details: unknown;
      let heartbeat: ReturnType<typeof keepHeartbeating> | undefined;
      try {
        return await judgeShard({
          store: deps.store,
          ref: input,
          rollouts: input.rollouts,
          shard: input.shard,
          shards: input.shards,
          run: () => deps.loadRun(input.configAddress),
          verifiers: deps.verifiers,
          log: deps.log,
          progress: (progress) => {
            details = progress;
            heartbeat ??= keepHeartbeating({ details: () => details, everyMs: deps.heartbeatEveryMs });
          },
          checkCancelled: throwIfCancelled,
          telemetry: deps.telemetry,
        });
      } finally {
        heartbeat?.stop();
      }
    });
}
