import type { Command } from 'commander';
import { z } from 'zod';
import {
  createEvalSchedule,
  deleteEvalSchedule,
  triggerEvalSchedule,
} from '../../client/schedule-client.ts';
import { runWorkflowIds } from '../../contracts/workflow-ids.ts';
import { TrainRunId } from '../../store/run-refs.ts';
import { connectClient } from '../../temporal/connection.ts';
import { ValidationError } from '../../util/errors.ts';
import type { CliCommand } from '../command.ts';
import { formatDuration, parseDuration } from '../duration.ts';
import { out } from '../io.ts';

const EvalScheduleOptions = z.object({
  every: z.string().optional(),
  delete: z.boolean().default(false),
  trigger: z.boolean().default(false),
});
type EvalScheduleOptions = z.infer<typeof EvalScheduleOptions>;

/** The shortest interval `--every` takes: each tick loads the run's configuration. */
export const MIN_EVERY_MS = 60_000;

/** What to do, from the flags: checked before anything connects. */
export function evalSchedulePlan(
  trainRunId: string,
  options: EvalScheduleOptions,
): { trainRunId: string; everyMs: number | undefined; trigger: boolean; remove: boolean } {
  if (!TrainRunId.safeParse(trainRunId).success) {
    throw new ValidationError(
      `<trainRunId>: expected a training run id (letters, digits, . _ -), got '${trainRunId}'`,
    );
  }
  if (options.delete && (options.every !== undefined || options.trigger)) {
    throw new ValidationError('--delete: expected alone (without --every or --trigger)');
  }
  if (!options.delete && options.every === undefined && !options.trigger) {
    throw new ValidationError(
      'eval-schedule: expected --every <duration> (create or change the schedule), --trigger or --delete',
    );
  }
  const everyMs =
    options.every === undefined
      ? undefined
      : parseDuration(options.every, '--every', { minMs: MIN_EVERY_MS });
  return { trainRunId, everyMs, trigger: options.trigger, remove: options.delete };
}

/** `anchorage eval-schedule <run> --every 30m [--trigger]`, `--trigger`, `--delete`. */
export const evalScheduleCommand: CliCommand = {
  name: 'eval-schedule',
  register(program: Command) {
    program
      .command('eval-schedule <trainRunId>')
      .description(
        "evaluate a run's latest committed checkpoint on a Temporal Schedule (<run>/eval-schedule), each checkpoint once: its held-out prompts and the suites of its evaluation.suites (ifeval, ...)",
      )
      .option('--every <duration>', 'create the schedule, or change its interval: 30m, 2h, 1h30m, 1d')
      .option(
        '--trigger',
        'take one action now (after --every, or on the existing schedule; skipped while one runs)',
      )
      .option('--delete', 'remove the schedule (evaluations already started finish)')
      .action(async (trainRunId: string, raw: unknown) =>
        runEvalSchedule(evalSchedulePlan(trainRunId, EvalScheduleOptions.parse(raw))),
      );
  },
};

async function runEvalSchedule(plan: ReturnType<typeof evalSchedulePlan>): Promise<void> {
  const { trainRunId } = plan;
  const scheduleId = runWorkflowIds.evaluationSchedule(trainRunId);
  const temporal = await connectClient();
  try {
    const { client } = temporal;
    if (plan.remove) {
      await deleteEvalSchedule({ client, trainRunId });
      out(`deleted schedule ${scheduleId}`);
      return;
    }
    if (plan.everyMs !== undefined) {
      const schedule = await createEvalSchedule({ client, trainRunId, everyMs: plan.everyMs });
      out(
        `${schedule.created ? 'created' : 'updated'} schedule ${scheduleId}: every ${formatDuration(plan.everyMs)} ` +
          `on task queue ${schedule.taskQueue}, the latest checkpoint of ${trainRunId} is evaluated as ` +
          `${trainRunId}/scheduled-eval-<step> (once per checkpoint; metrics under eval-<step>, ` +
          "with eval/<suite>/... for each suite of its configuration's evaluation.suites)",
      );
    }
    if (plan.trigger) {
      await triggerEvalSchedule({ client, trainRunId });
      out(`triggered schedule ${scheduleId}`);
    }
  } finally {
    await temporal.close();
  }
}
