import type { ResolvedCriterion } from '../resolve.ts';
import { PromptTooLong, ReplyTooLarge, RequestBudgetExhausted } from './chat-client.ts';
import {
  budgetOutcome,
  describeProblem,
  type GradeContext,
  type GradeMode,
  type GradeOutcome,
  malformedOutcome,
  oversizedOutcome,
  scoredOutcome,
  tooLongOutcome,
} from './grading.ts';
import { CRITERION_REPLY_SHAPE, chooseNonce, criterionMessages, repairMessages } from './prompts.ts';
import { parseCriterionReply } from './reply.ts';
import type { JudgeRequest } from './types.ts';
import { criterionVerdictSchema } from './verdict-schema.ts';

/**
 * One call per criterion, all criteria started at once; the client's semaphore bounds how many are
 * in flight. Every criterion runs to the end even when another fails, and each verdict is settled
 * (cached) as soon as it is known, so whatever was paid for is kept when a transport error reaches
 * the caller.
 */
export const gradePerCriterion: GradeMode = async ({ ctx, request, criteria }) => {
  const settled = await Promise.allSettled(
    criteria.map(async (criterion) => {
      const outcome = await gradeOne({ ctx, request, criterion });
      await ctx.settle({ criterion, outcome });
      return outcome;
    }),
  );
  const failure = settled.find((s) => s.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
  const outcomes = new Map<string, GradeOutcome>();
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') outcomes.set(criteria[i]!.id, s.value);
  });
  return outcomes;
};

async function gradeOne(options: {
  ctx: GradeContext;
  request: JudgeRequest;
  criterion: ResolvedCriterion;
}): Promise<GradeOutcome> {
  const { ctx, request, criterion } = options;
  const nonce = chooseNonce({ texts: [request.prompt, request.response], draw: ctx.drawNonce });
  const messages = criterionMessages({
    prompt: request.prompt,
    response: request.response,
    criterion,
    nonce,
  });
  const purpose = `criterion ${criterion.id}`;
  const schema = criterionVerdictSchema({ criterion, reasonMaxChars: ctx.reasonMaxChars });
  try {
    const first = await ctx.client.complete({ messages, purpose, schema });
    const parsed = parseCriterionReply({ content: first.content, criterion });
    if (parsed.ok) return scoredOutcome({ ctx, criterion, choice: parsed.value });

    const problem = describeProblem(parsed, first);
    ctx.stats.repairs++;
    ctx.log.warn({ criterionId: criterion.id, problem }, 'malformed judge reply; asking once for a repair');
    const second = await ctx.client.complete({
      messages: repairMessages({
        messages,
        badReply: first.content,
        problems: [problem],
        shape: CRITERION_REPLY_SHAPE,
      }),
      purpose: `${purpose} (repair)`,
      schema,
    });
    const repaired = parseCriterionReply({ content: second.content, criterion });
    if (repaired.ok) return scoredOutcome({ ctx, criterion, choice: repaired.value });
    ctx.log.warn(
      { criterionId: criterion.id, problem: repaired.problem },
      'judge reply still malformed; unscorable',
    );
    return malformedOutcome({ ctx, criterion, problem: describeProblem(repaired, second) });
  } catch (error) {
    if (error instanceof RequestBudgetExhausted)
      return budgetOutcome({ ctx, criterion, reason: error.reason });
    if (error instanceof ReplyTooLarge) {
      ctx.log.warn(
        { criterionId: criterion.id, problem: error.message },
        'judge reply too large; unscorable',
      );
      return oversizedOutcome({ ctx, criterion, problem: error.message });
    }
    if (error instanceof PromptTooLong) {
      ctx.log.warn(
        { criterionId: criterion.id, problem: error.message },
        'judge request too long; unscorable',
      );
      return tooLongOutcome({ ctx, criterion, problem: error.message });
    }
    throw error;
  }
}
