import type { Sinks } from '@temporalio/workflow';

/**
 * The failpoints (src/util/failpoints.ts), declared once: the code that reaches them and the tests
 * that arm them name them from this list, and arming a name not listed here is an error. One sits at
 * every commit boundary of a training step (ARCHITECTURE.md, "One training step, file by file").
 * Workflow-safe (a type import only), so the run workflow can reach one through a sink
 * (src/temporal/failpoint-sinks.ts).
 *
 * Each entry says where it is and the facts it is reached with; a test arms it with some of them
 * (`step=2`) and the failpoint fires only where they match.
 */
export const FAILPOINTS = {
  'rollouts.group-written':
    'src/step/rollouts.ts: one prompt group is in the store under its create-only ref (facts: step, purpose, groups = groups written by this attempt and the ones it resumed)',
  'rollouts.before-commit':
    'src/step/rollouts.ts (commit point rollouts): every group is written, the batch record is not yet committed (facts: step, purpose; round in a refill round)',
  'rollouts.committed':
    'src/step/rollouts.ts (commit point rollouts): the batch ref is committed, the activity has not returned (facts: step, purpose; round in a refill round)',
  'judge.verdicts-cached':
    "src/step/verdicts.ts: one prompt group's verdicts are graded and in the verdict cache, the shard is not committed (facts: step, purpose, shard, groups = groups judged by this attempt)",
  'judge.shard-committed':
    'src/step/verdicts.ts (commit point verdicts): the shard ref is committed, the activity has not returned (facts: step, purpose, shard; round in a refill round)',
  'rewards.aggregated':
    'src/step/rewards.ts: rubric rewards are aggregated, not yet combined into advantages; the `nan` action makes the first scored one NaN (facts: step, purpose)',
  'checkpoint.before-write':
    'src/step/update.ts: the update is applied in memory, nothing of the checkpoint is written (facts: step)',
  'checkpoint.written':
    'src/step/update.ts (commit point update): the checkpoint files and record are in the store, its ref is not committed (facts: step)',
  'checkpoint.committed':
    'src/step/update.ts (commit point update): the ref checkpoints/step-<n> is committed, the activity has not returned (facts: step)',
  'checkpoint.latest-moved':
    'activities/commit-checkpoint.ts: runs/<id>/latest names the new checkpoint, the run manifest is not yet written (facts: step)',
  'rubrics.prompt-written':
    'src/rubric-authoring/generate-shard.ts: one prompt\'s rubric file is written, the shard activity has not returned (facts: shard, written = rubric files written by this attempt)',
  'run.continue-as-new':
    'training-run workflow: the workflow task that continues the run as new, before the server has it (facts: nextStep, continuedAsNew)',
} as const;

export type FailpointName = keyof typeof FAILPOINTS;

export const FAILPOINT_NAMES = Object.keys(FAILPOINTS) as FailpointName[];

/**
 * What an armed failpoint does when reached: `pause` (default) stops there for good while the
 * process keeps running (timers fire, heartbeats go out) until someone kills it; `kill` sends the
 * process SIGKILL itself; `nan` makes a value failpoint (`failpointValue`) return NaN.
 */
export const FAILPOINT_ACTIONS = ['pause', 'kill', 'nan'] as const;
export type FailpointAction = (typeof FAILPOINT_ACTIONS)[number];

/** Facts a failpoint is reached with: where in the run it is. */
export type FailpointFacts = Readonly<Record<string, string | number>>;

/** The sink through which workflow code reaches a failpoint (workflows cannot do I/O themselves). */
export interface FailpointSinks extends Sinks {
  failpoints: { reached(name: FailpointName, facts: FailpointFacts): void };
}
