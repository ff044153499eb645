import type { MonitorStepInput, MonitorStepOutput } from '../src/contracts/defence.ts';
import { stepKeyOf } from '../src/contracts/step-refs.ts';
import { monitorStep } from '../src/step/monitor.ts';
import type { ActivityDeps } from './deps.ts';
import { asActivity } from './failures.ts';

/**
 * The adaptive-defence monitor of a training step (src/step/monitor.ts), on the judge queue: it
 * scores the monitor rubrics and, where the run has an LLM judge, asks it to write the proposals.
 */
export function monitorStepActivity(deps: ActivityDeps) {
  return (input: MonitorStepInput): Promise<MonitorStepOutput> =>
    asActivity(() =>
      monitorStep({
        store: deps.store,
        key: stepKeyOf(input),
        run: () => deps.loadRun(input.configAddress, input.stageStarts),
        rollouts: input.rollouts,
        rewards: input.rewards,
        ...(input.allowance === undefined ? {} : { allowance: input.allowance }),
        verifiers: deps.verifiers,
        log: deps.log,
      }),
    );
}
