import { z } from 'zod';
import type { JudgeShardProgress } from '../src/contracts/activity-progress.ts';
import { NO_USAGE } from '../src/contracts/judge-budget.ts';
import { judgeShard, type ShardProgress } from '../src/step/verdicts.ts';
import type { ActivityDeps } from './deps.ts';
import { asActivity } from './failures.ts';
import { keepHeartbeating, previousHeartbeat, throwIfCancelled } from './heartbeat.ts';
import type { JudgeRolloutsInput, JudgeRolloutsOutput, JudgeShardBudgetSpent } from './types.ts';

/** What this activity reads back from an earlier attempt's heartbeat: the judge spend so far. */
const EarlierSpend = z.object({
  usage: z.object({ requests: z.number().int().nonnegative(), tokens: z.number().nonnegative() }),
});

/**
 * One judge shard of a step's rollouts (src/step/verdicts.ts), heartbeating the groups judged and
 * what the judge has spent; a retried attempt counts the spend its predecessor heartbeated (against
 * the allowance and into the usage it reports), so a worker lost mid-shard loses from the run's
 * count only what it spent after its last heartbeat.
 */
export function judgeRolloutsActivity(deps: ActivityDeps) {
  return (input: JudgeRolloutsInput): Promise<JudgeRolloutsOutput | JudgeShardBudgetSpent> =>
    asActivity(async () => {
      let latest: ShardProgress | undefined;
      let heartbeat: ReturnType<typeof keepHeartbeating> | undefined;
      const earlier = EarlierSpend.safeParse(previousHeartbeat());
      try {
        return await judgeShard({
          store: deps.store,
          ref: input,
          rollouts: input.rollouts,
          shard: input.shard,
          shards: input.shards,
          run: () => deps.loadRun(input.configAddress, input.stageStarts),
          verifiers: deps.verifiers,
          log: deps.log,
          progress: (progress) => {
            latest = progress;
            heartbeat ??= keepHeartbeating({
              details: () => (latest === undefined ? undefined : heartbeatDetails(latest)),
              everyMs: deps.heartbeatEveryMs,
            });
          },
          checkCancelled: throwIfCancelled,
          telemetry: deps.telemetry,
          ...(input.allowance === undefined ? {} : { allowance: input.allowance }),
          usedBefore: earlier.success ? earlier.data.usage : NO_USAGE,
        });
      } finally {
        heartbeat?.stop();
      }
    });
}

function heartbeatDetails(progress: ShardProgress): JudgeShardProgress {
  const { spent, ...rest } = progress;
  return { ...rest, usage: spent() };
}
