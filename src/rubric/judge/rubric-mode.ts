import type { ResolvedCriterion } from '../resolve.ts';
import { type ChatReply, PromptTooLong, ReplyTooLarge, RequestBudgetExhausted } from './chat-client.ts';
import {
  budgetOutcome,
  describeProblem,
  type GradeMode,
  type GradeOutcome,
  malformedOutcome,
  oversizedOutcome,
  scoredOutcome,
  tooLongOutcome,
} from './grading.ts';
import { chooseNonce, RUBRIC_REPLY_SHAPE, repairMessages, rubricMessages } from './prompts.ts';
import { parseRubricReply } from './reply.ts';
import { rubricVerdictSchema } from './verdict-schema.ts';

/**
 * One call grades every criterion not already cached. Criteria the reply graded well keep their
 * verdicts; the others (missing, malformed, unknown tier) go back in ONE repair attempt that lists
 * each problem, and whatever is still wrong after it is unscorable with its reason. Verdicts are
 * cached per criterion, so a later call with a different mix of cached criteria reuses them.
 */
export const gradeRubric: GradeMode = async ({ ctx, request, criteria }) => {
  const outcomes = new Map<string, GradeOutcome>();
  const nonce = chooseNonce({ texts: [request.prompt, request.response], draw: ctx.drawNonce });
  const messages = rubricMessages({ prompt: request.prompt, response: request.response, criteria, nonce });
  const purpose = `rubric ${request.rubricId} (${criteria.length} criteria)`;
  const schema = rubricVerdictSchema({ criteria, reasonMaxChars: ctx.reasonMaxChars });
  // Set when a budget refused a request: the criteria without a verdict then say which budget.
  let budgetReason: string | undefined;
  const settleAll = async () => {
    for (const criterion of criteria) {
      const outcome =
        outcomes.get(criterion.id) ??
        budgetOutcome({ ctx, criterion, ...(budgetReason === undefined ? {} : { reason: budgetReason }) });
      outcomes.set(criterion.id, outcome);
      await ctx.settle({ criterion, outcome });
    }
    return outcomes;
  };

  let first: ChatReply;
  try {
    first = await ctx.client.complete({ messages, purpose, schema });
  } catch (error) {
    if (error instanceof RequestBudgetExhausted) {
      budgetReason = error.reason;
      return settleAll();
    }
    if (error instanceof ReplyTooLarge) {
      ctx.log.warn(
        { rubricId: request.rubricId, problem: error.message },
        'judge reply too large; unscorable',
      );
      for (const criterion of criteria)
        outcomes.set(criterion.id, oversizedOutcome({ ctx, criterion, problem: error.message }));
      return settleAll();
    }
    if (error instanceof PromptTooLong) {
      ctx.log.warn(
        { rubricId: request.rubricId, problem: error.message },
        'judge request too long; unscorable',
      );
      for (const criterion of criteria)
        outcomes.set(criterion.id, tooLongOutcome({ ctx, criterion, problem: error.message }));
      return settleAll();
    }
    throw error;
  }
  const parsed = parseRubricReply({ content: first.content, criteria });
  const bad: { criterion: ResolvedCriterion; problem: string }[] = [];
  for (const criterion of criteria) {
    const p = parsed.get(criterion.id)!;
    if (p.ok) outcomes.set(criterion.id, scoredOutcome({ ctx, criterion, choice: p.value }));
    else bad.push({ criterion, problem: describeProblem(p, first) });
  }
  if (bad.length === 0) return settleAll();

  const problems = [...new Set(bad.map((b) => b.problem))];
  ctx.stats.repairs++;
  ctx.log.warn({ rubricId: request.rubricId, problems }, 'malformed judge reply; asking once for a repair');
  let second: ChatReply;
  try {
    second = await ctx.client.complete({
      messages: repairMessages({ messages, badReply: first.content, problems, shape: RUBRIC_REPLY_SHAPE }),
      purpose: `${purpose} (repair)`,
      // The repair answers for the criteria still wrong; the schema lists those.
      schema: rubricVerdictSchema({
        criteria: bad.map((b) => b.criterion),
        reasonMaxChars: ctx.reasonMaxChars,
      }),
    });
  } catch (error) {
    // The criteria graded well are paid for and settled; the rest wait for a budget.
    if (error instanceof RequestBudgetExhausted) {
      budgetReason = error.reason;
      return settleAll();
    }
    // The repair (first reply included) no longer fits: the criteria it was for stay unscorable.
    if (error instanceof ReplyTooLarge) {
      for (const { criterion } of bad)
        outcomes.set(criterion.id, oversizedOutcome({ ctx, criterion, problem: error.message }));
      return settleAll();
    }
    if (error instanceof PromptTooLong) {
      for (const { criterion } of bad)
        outcomes.set(criterion.id, tooLongOutcome({ ctx, criterion, problem: error.message }));
      return settleAll();
    }
    // A transport failure on the repair: keep what the first reply graded, then let the caller retry.
    await settleGraded({ criteria, outcomes, settle: ctx.settle });
    throw error;
  }
  const repaired = parseRubricReply({ content: second.content, criteria: bad.map((b) => b.criterion) });
  for (const { criterion } of bad) {
    const p = repaired.get(criterion.id)!;
    outcomes.set(
      criterion.id,
      p.ok
        ? scoredOutcome({ ctx, criterion, choice: p.value })
        : malformedOutcome({ ctx, criterion, problem: describeProblem(p, second) }),
    );
  }
  const stillBad = bad.filter((b) => outcomes.get(b.criterion.id)?.verdict.status === 'unscorable');
  if (stillBad.length > 0) {
    ctx.log.warn(
      { rubricId: request.rubricId, criteria: stillBad.map((b) => b.criterion.id) },
      'judge reply still malformed; unscorable',
    );
  }
  return settleAll();
};

async function settleGraded(options: {
  criteria: readonly ResolvedCriterion[];
  outcomes: Map<string, GradeOutcome>;
  settle: (o: { criterion: ResolvedCriterion; outcome: GradeOutcome }) => Promise<void>;
}): Promise<void> {
  for (const criterion of options.criteria) {
    const outcome = options.outcomes.get(criterion.id);
    if (outcome !== undefined) await options.settle({ criterion, outcome });
  }
}
