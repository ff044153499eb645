import type { Purpose, StepKey } from '../contracts/step-refs.ts';
import { checkpointRef } from '../store/run-refs.ts';
import { ValidationError } from '../util/errors.ts';

/**
 * Ref names of a training run's artifacts in the store. Step results are written create-only, so a
 * retried activity finds what an earlier attempt committed instead of computing it again:
 *
 *   runs/<id>/config                                     the run configuration (text and file name)
 *   runs/<id>/steps/step-<n>/rollouts                    the rollout batch of training step n
 *   runs/<id>/steps/step-<n>/rollout-groups/group-<i>    prompt group i, as soon as it is sampled
 *   runs/<id>/steps/step-<n>/judgements/shard-<k>-of-<S> verdicts of one judge shard
 *   runs/<id>/steps/step-<n>/rewards                     rewards and advantages
 *   runs/<id>/steps/step-<n>/refusals/<hash>             updates refused for a non-finite number
 *   runs/<id>/steps/step-<n>/refill-<r>/...              refill round r (dynamic sampling): its
 *                                                        rollouts, rollout groups, judgements, rewards
 *   runs/<id>/steps/step-<n>/trained/{rollouts,rewards}  the batch assembled from the rounds, trained on
 *   runs/<id>/evals/step-<n>/...                         the same for the evaluation after step n,
 *   runs/<id>/evals/step-<n>/suites/<suite>              and each evaluation suite's result (ifeval, ...)
 *   runs/<id>/selections/step-<n>/...                    the same for the data selection of the stage
 *                                                        starting at step n, and `selected`, its result
 *   runs/<id>/checkpoints/step-<n>                       the policy after step n (the commit point)
 *   runs/<id>/latest                                     the newest checkpoint (compare-and-set)
 *   runs/<id>/milestones/step-<n>                        checkpoints kept for good (every checkpointEvery)
 *   runs/<id>/metrics/{step,eval,select}-<n>             one metrics record per step, evaluation, selection
 */

const FOLDER: Record<Purpose, string> = { train: 'steps', eval: 'evals', select: 'selections' };
const METRICS_NAME: Record<Purpose, string> = { train: 'step', eval: 'eval', select: 'select' };

function checkStep(step: number): void {
  if (!Number.isInteger(step) || step < 0) {
    throw new ValidationError(`expected a step number (integer >= 0), got ${step}`);
  }
}

function runPrefix(trainRunId: string): string {
  // checkpointRef validates the run id; reuse it so the rules live in one place.
  const ref = checkpointRef({ trainRunId, step: 0 });
  return ref.slice(0, ref.length - 'checkpoints/step-0'.length);
}

function stepPrefix(key: StepKey): string {
  checkStep(key.step);
  return `${runPrefix(key.trainRunId)}${FOLDER[key.purpose]}/step-${key.step}/${roundFolder(key.round)}`;
}

/** Round 0 (absent) lives in the step's folder, as before refills existed; round r in `refill-<r>/`. */
function roundFolder(round: number | undefined): string {
  if (round === undefined || round === 0) return '';
  if (!Number.isInteger(round) || round < 0) {
    throw new ValidationError(`expected a refill round (integer >= 1), got ${round}`);
  }
  return `refill-${round}/`;
}

/** The step's own folder, whatever round the key names. */
const stepFolder = (key: StepKey) =>
  stepPrefix({ trainRunId: key.trainRunId, step: key.step, purpose: key.purpose });

export const runRefs = {
  config: (trainRunId: string) => `${runPrefix(trainRunId)}config`,
  rollouts: (key: StepKey) => `${stepPrefix(key)}rollouts`,
  /** One finished prompt group of a batch: a retried attempt reads these back instead of sampling. */
  rolloutGroup: (key: StepKey & { group: number }) => `${stepPrefix(key)}rollout-groups/group-${key.group}`,
  rolloutGroups: (key: StepKey) => `${stepPrefix(key)}rollout-groups/`,
  judgement: (key: StepKey & { shard: number; shards: number }) =>
    `${stepPrefix(key)}judgements/shard-${key.shard}-of-${key.shards}`,
  judgements: (key: StepKey) => `${stepPrefix(key)}judgements/`,
  rewards: (key: StepKey) => `${stepPrefix(key)}rewards`,
  /** The batch a step with refill rounds trains on, assembled from its rounds, and its rewards. */
  trainedRollouts: (key: StepKey) => `${stepFolder(key)}trained/rollouts`,
  trainedRewards: (key: StepKey) => `${stepFolder(key)}trained/rewards`,
  /** A refused update or reward computation (a non-finite number), named by its record's digest. */
  refusal: (key: StepKey & { id: string }) => `${stepPrefix(key)}refusals/${key.id}`,
  refusals: (key: StepKey) => `${stepPrefix(key)}refusals/`,
  /** An evaluation suite's result for the evaluation after step `step`. */
  evalSuite: (options: { trainRunId: string; step: number; suite: string }) =>
    `${stepPrefix({ trainRunId: options.trainRunId, step: options.step, purpose: 'eval' })}suites/${options.suite}`,
  /** The prompts a data selection kept for the stage starting at `step`. */
  selection: (trainRunId: string, step: number) =>
    `${stepPrefix({ trainRunId, step, purpose: 'select' })}selected`,
  checkpoint: (trainRunId: string, step: number) => checkpointRef({ trainRunId, step }),
  latest: (trainRunId: string) => `${runPrefix(trainRunId)}latest`,
  milestone: (trainRunId: string, step: number) => {
    checkStep(step);
    return `${runPrefix(trainRunId)}milestones/step-${step}`;
  },
  metrics: (key: StepKey) => {
    checkStep(key.step);
    return `${runPrefix(key.trainRunId)}metrics/${METRICS_NAME[key.purpose]}-${key.step}`;
  },
  metricsPrefix: (trainRunId: string) => `${runPrefix(trainRunId)}metrics/`,
  /** Written by runs before metrics were built on read, and by the report's synthetic run; read by nothing. */
  runPrefix,
};
