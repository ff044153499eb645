import type { Command } from 'commander';
import { z } from 'zod';
import { queryProgress, raiseJudgeBudget } from '../../client/run-client.ts';
import { describeSpend, type JudgeBudgetRaise, type JudgeBudgetView } from '../../contracts/judge-budget.ts';
import { connectClient } from '../../temporal/connection.ts';
import type { CliCommand } from '../command.ts';
import { numberFlag, out } from '../io.ts';

const Flags = z.object({ addRequests: z.string().optional(), addTokens: z.string().optional() });

/** `--add-requests` / `--add-tokens` as a raise (whole numbers >= 1), or undefined when neither is given. */
export function parseBudgetRaise(raw: unknown): JudgeBudgetRaise | undefined {
  const flags = Flags.parse(raw);
  const whole = (value: string | undefined, flag: string) =>
    value === undefined ? undefined : numberFlag(value, flag, { min: 1, integer: true });
  const addRequests = whole(flags.addRequests, '--add-requests');
  const addTokens = whole(flags.addTokens, '--add-tokens');
  if (addRequests === undefined && addTokens === undefined) return undefined;
  return {
    ...(addRequests === undefined ? {} : { addRequests }),
    ...(addTokens === undefined ? {} : { addTokens }),
  };
}

/** One line about a run's judge budget. */
export function describeBudget(trainRunId: string, view: JudgeBudgetView | undefined): string {
  if (view === undefined)
    return `${trainRunId}: its workflow reports no judge budget (started before budgets)`;
  const spent = `${view.used.requests} judge requests, ${view.used.tokens} tokens spent`;
  if (view.budget === null) return `${trainRunId}: no judge budget (judge.runBudget); ${spent}`;
  const state = view.waiting ? 'paused: judge budget spent' : 'judge budget';
  return `${trainRunId}: ${state} (${describeSpend({ budget: view.budget, used: view.used })})`;
}

/** `anchorage budget <run>`: show a run's judge budget, or raise it (which resumes a run it paused). */
export const budgetCommand: CliCommand = {
  name: 'budget',
  register(program: Command) {
    program
      .command('budget <run>')
      .description(
        "show a run's judge budget (judge.runBudget), or raise it: a run paused because it is spent goes on",
      )
      .option('--add-requests <n>', 'judge requests to add to the budget')
      .option('--add-tokens <n>', 'judge tokens to add to the budget')
      .action(async (run: string, raw: unknown) => {
        const raise = parseBudgetRaise(raw);
        const temporal = await connectClient();
        try {
          const view =
            raise === undefined
              ? (await queryProgress(temporal.client, run)).judge
              : await raiseJudgeBudget(temporal.client, run, raise);
          out(describeBudget(run, view));
        } finally {
          await temporal.close();
        }
      });
  },
};
