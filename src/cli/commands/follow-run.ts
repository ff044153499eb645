import type { Client } from '@temporalio/client';
import {
  type RolloutProgress,
  rolloutFraction,
  type UpdateProgress,
} from '../../contracts/activity-progress.ts';
import {
  queryProgress,
  queryStepProgress,
  readActivityProgress,
  type StartedRun,
} from '../../client/run-client.ts';
import { describeSpend } from '../../contracts/judge-budget.ts';
import { evaluationName } from '../../contracts/steps.ts';
import type { RunProgress, StepProgress, TrainingRunResult } from '../../contracts/workflow-types.ts';
import { formatMetric, out } from '../io.ts';
import type { LiveLine, PhaseView, RunLineInput } from '../progress-line.ts';
import { runLine } from '../progress-line.ts';

/**
 * Follows a run until it ends or the user interrupts: a permanent line per finished step and
 * evaluation, and a live line with the run's and the current phase's progress bars (on a terminal;
 * elsewhere a plain line per phase).
 */
export async function followRun(options: {
  client: Client;
  run: StartedRun;
  interrupted: () => boolean;
  live: LiveLine;
}): Promise<TrainingRunResult | undefined> {
  const { client, run, interrupted, live } = options;
  // Queries need a worker; while ours shuts down none may answer, so none may wait long.
  const ask = <T>(query: () => Promise<T>) => client.connection.withDeadline(Date.now() + 3_000, query);
  const result = run.handle.result();
  result.catch(() => undefined);
  let settled: TrainingRunResult | Error | undefined;
  result.then(
    (r) => {
      settled = r;
    },
    (e: Error) => {
      settled = e;
    },
  );
  const stepStart = new Map<number, number>();
  const failureShown = new Set<string>();
  let lastDone = 0;
  let lastEval: number | undefined;
  // A permanent line for each step and evaluation finished since the last look.
  const printFinished = (progress: RunProgress) => {
    for (let s = lastDone + 1; s <= progress.completedSteps; s++) {
      const started = stepStart.get(s);
      const seconds = started === undefined ? '' : ` in ${((Date.now() - started) / 1000).toFixed(1)} s`;
      const last = progress.last?.step === s ? progress.last : undefined;
      live.print(
        `step ${s}/${progress.totalSteps} done${seconds}: mean reward ${formatMetric(last?.meanReward)}, loss ${formatMetric(last?.loss, 4)}, ` +
          `KL ${formatMetric(last?.kl, 4)}, checkpoint ${last?.checkpoint.slice(0, 19) ?? '?'}`,
      );
    }
    lastDone = Math.max(lastDone, progress.completedSteps);
    if (progress.lastEval !== null && progress.lastEval.step !== lastEval) {
      lastEval = progress.lastEval.step;
      live.print(`${evaluationName(lastEval)}: mean reward ${formatMetric(progress.lastEval.meanReward)}`);
    }
  };
  try {
    while (settled === undefined && !interrupted()) {
      await new Promise((r) => setTimeout(r, 1000));
      let progress: RunProgress;
      try {
        progress = await ask(() => queryProgress(client, run.trainRunId));
      } catch {
        continue;
      }
      printFinished(progress);
      const line: RunLineInput = {
        completedSteps: progress.completedSteps,
        totalSteps: progress.totalSteps,
        lastReward: progress.last?.meanReward ?? null,
      };
      let plain: string;
      if (progress.judge?.waiting === true) {
        // The run's judge budget is spent: it waits for a raise before judging more.
        const spend =
          progress.judge.budget === null
            ? ''
            : ` (${describeSpend({ budget: progress.judge.budget, used: progress.judge.used })})`;
        plain = `paused: judge budget spent${spend}\n  run \`anchorage budget ${run.trainRunId} --add-requests N\` (or --add-tokens N) to go on, or \`anchorage stop ${run.trainRunId}\``;
        line.task = `paused: judge budget spent${spend}`;
        if (live.isTerminal && !failureShown.has(plain)) {
          failureShown.add(plain);
          live.print(plain);
        }
      } else if (progress.currentStep !== null) {
        const step = progress.currentStep;
        if (!stepStart.has(step)) stepStart.set(step, Date.now());
        const phase = await ask(() => queryStepProgress(client, run.trainRunId, step)).catch(() => undefined);
        const activity =
          phase?.phase === 'rollouts'
            ? 'generateRollouts'
            : phase?.phase === 'update'
              ? 'updatePolicy'
              : undefined;
        const details =
          activity !== undefined && live.isTerminal
            ? await ask(() => readActivityProgress(client, run.trainRunId, step, activity)).catch(
                () => undefined,
              )
            : undefined;
        const view = phaseView(phase, details);
        line.step = { step, seconds: (Date.now() - stepStart.get(step)!) / 1000, phase: view };
        plain = `step ${step}/${progress.totalSteps}: ${phase === undefined ? 'starting' : describePhase(phase)}`;
      } else if (progress.status === 'failed' && progress.failure !== null) {
        plain = `step ${progress.failure.step} failed (${progress.failure.type}): ${progress.failure.message}\n  run \`anchorage resume ${run.trainRunId}\` (with --set name=value to change a setting) to retry it, or \`anchorage stop ${run.trainRunId}\``;
        line.task = `step ${progress.failure.step} failed: waiting for resume or stop`;
        if (live.isTerminal && !failureShown.has(plain)) {
          failureShown.add(plain);
          live.print(plain);
        }
      } else if (progress.currentTask !== null) {
        plain = progress.currentTask;
        line.task = plain;
      } else {
        plain = `run ${progress.status}`;
        line.task = plain;
      }
      live.show(runLine(line), plain);
    }
    // The run ended between two looks: the steps and evaluation it finished since the last one still
    // get their lines (a closed run answers the query while a worker replays it).
    if (settled !== undefined && !(settled instanceof Error) && !interrupted()) {
      const final = await ask(() => queryProgress(client, run.trainRunId)).catch(() => undefined);
      if (final !== undefined) printFinished(final);
    }
  } finally {
    live.end();
  }
  if (interrupted()) {
    out(
      `interrupted: the run ${run.trainRunId} stays on the server and goes on when workers poll its queues again ` +
        '(`anchorage status`, `anchorage stop` to end it)',
    );
    return undefined;
  }
  if (settled instanceof Error) throw settled;
  return settled;
}
/**
 * The phase as the live line shows it: the rollout heartbeat gives decoding progress, the update's
 * its micro-batches, the step workflow the judge shards.
 */
export function phaseView(
  p: StepProgress | undefined,
  details?: RolloutProgress | UpdateProgress,
): PhaseView {
  if (p === undefined) return { name: 'starting' };
  if (p.phase === 'update') {
    const m = details !== undefined && 'microBatches' in details ? details.microBatches : undefined;
    return m === undefined
      ? { name: 'policy update' }
      : {
          name: 'policy update',
          fraction: m.done / Math.max(1, m.total),
          detail: `${m.done}/${m.total} micro-batches`,
        };
  }
  const rollouts = details !== undefined && 'total' in details ? details : undefined;
  if (p.phase === 'rollouts')
    return rollouts === undefined
      ? { name: 'rollouts' }
      : { name: 'rollouts', fraction: rolloutFraction(rollouts) };
  if (p.phase === 'judging')
    return {
      name: 'judging',
      fraction: p.judgeShardsDone / Math.max(1, p.judgeShards),
      detail: `${p.judgeShardsDone}/${p.judgeShards} shards`,
    };
  return { name: describePhase(p) };
}

function describePhase(p: StepProgress): string {
  if (p.phase === 'judging') return `judging (${p.judgeShardsDone}/${p.judgeShards} shards)`;
  if (p.phase === 'update') return 'policy update';
  if (p.phase === 'refill' && p.refillRound !== undefined) return `refill round ${p.refillRound}`;
  return p.phase;
}
