import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import {
  addUsage,
  budgetSpent,
  isJudgeBudgetSpent,
  type JudgeAllowance,
  type JudgeBudget,
  type JudgeBudgetSpent,
  type JudgeBudgetView,
  type JudgeUsage,
  raiseBudget,
  raiseProblem,
  remaining,
} from '../src/contracts/judge-budget.ts';
import { raiseJudgeBudgetUpdate } from '../src/contracts/messages.ts';

/** What the run's judge budget needs from the run workflow. */
export interface RunJudgeBudgetOptions {
  /** The budget and spend carried so far (null: no budget; the spend is counted anyway). */
  budget: JudgeBudget | null;
  used: JudgeUsage;
  /** The visible state changed (the Web UI details are set again). */
  changed: () => void;
  /** True once the run was asked to stop: a wait for a raise ends then. */
  stopRequested: () => boolean;
}

/**
 * The run's judge budget in the training workflow: the limits (raised by the `raiseJudgeBudget`
 * update) and what every judging child reported spending, kept in workflow state, so a worker crash
 * (replay) and continue-as-new (`carried`) keep it. `within` runs a judging child with what is left
 * and, while the budget is spent, pauses the run until a raise (or a stop): nothing is judged, and
 * so nothing scored, on credit.
 */
export function runJudgeBudget(options: RunJudgeBudgetOptions) {
  let budget = options.budget;
  let used = options.used;
  let waiting = false;
  let raises = 0;

  setHandler(
    raiseJudgeBudgetUpdate,
    (raise) => {
      const raised = raiseBudget({ budget: budget!, raise });
      budget = raised;
      raises++;
      options.changed();
      // The run goes on unless the raise still leaves nothing (it then waits for the next one).
      return { budget: raised, used, waiting: budgetSpent({ budget: raised, used }) };
    },
    {
      validator: (raise) => {
        const problem = raiseProblem({ budget, raise });
        if (problem !== undefined) {
          throw ApplicationFailure.create({ type: 'ValidationError', message: problem, nonRetryable: true });
        }
      },
    },
  );

  const view = (): JudgeBudgetView => ({ budget, used, waiting });

  /** Waits for a raise; false when the run was asked to stop instead. */
  const waitForRaise = async (): Promise<boolean> => {
    const seen = raises;
    waiting = true;
    options.changed();
    await condition(() => raises > seen || options.stopRequested());
    waiting = false;
    options.changed();
    return raises > seen;
  };

  return {
    view,
    /** For continue-as-new. */
    carried: (): { judgeBudget: JudgeBudget | null; judgeUsed: JudgeUsage } => ({
      judgeBudget: budget,
      judgeUsed: used,
    }),
    /**
     * Runs a judging child (a step, an evaluation, a data selection) with the budget left as its
     * allowance, adds what it spent, and runs it again after a raise when it ran out. Returns its
     * result, or undefined when the run was stopped while it waited.
     */
    async within<T extends { judgeUsage?: JudgeUsage | undefined }>(
      run: (allowance: JudgeAllowance | undefined) => Promise<T | JudgeBudgetSpent>,
    ): Promise<T | undefined> {
      for (;;) {
        if (budget !== null && budgetSpent({ budget, used })) {
          if (!(await waitForRaise())) return undefined;
          continue;
        }
        const out = await run(budget === null ? undefined : remaining({ budget, used }));
        used = addUsage(used, out.judgeUsage);
        options.changed();
        if (!isJudgeBudgetSpent(out)) return out;
        // The child ran out of what was left: wait for a raise even if its count says otherwise
        // (a judge config's own requestBudget may have stopped it), so the run never spins.
        if (!(await waitForRaise())) return undefined;
      }
    },
  };
}

export type RunJudgeBudget = ReturnType<typeof runJudgeBudget>;
