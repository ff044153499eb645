import { stepKeyOf } from '../src/contracts/step-refs.ts';
import { computeRewards } from '../src/step/rewards.ts';
import type { ActivityDeps } from './deps.ts';
import { asActivity } from './failures.ts';
import type { ComputeRewardsInput, ComputeRewardsOutput } from './types.ts';

/**
 * Rewards and advantages of a step or one of its refill rounds (src/step/rewards.ts), with the
 * batch's variance under dynamic sampling; a non-finite reward fails it without retry.
 */
export function computeRewardsActivity(deps: ActivityDeps) {
  return (input: ComputeRewardsInput): Promise<ComputeRewardsOutput> =>
    asActivity(() =>
      computeRewards({
        store: deps.store,
        key: stepKeyOf(input),
        run: () => deps.loadRun(input.configAddress, input.stageStarts),
        rollouts: input.rollouts,
        judgements: input.judgements,
        log: deps.log,
        workerName: deps.workerName,
        telemetry: deps.telemetry,
      }),
    );
}
