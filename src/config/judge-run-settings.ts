import { z } from 'zod';
import type { JudgeBudget } from '../contracts/judge-budget.ts';

/**
 * The run configuration's limits on judging (`judge.runBudget`, `judge.rateLimit`), enforced across
 * every judge worker of the run: the budget by the training workflow (src/contracts/judge-budget.ts),
 * the rate by each judging activity taking its share of it (src/step/verdicts.ts).
 */

const WholeCount = z.number().int().min(1, 'a whole number >= 1').max(Number.MAX_SAFE_INTEGER);

/**
 * What the whole run may spend on the judge: HTTP requests (retries and repairs included) and
 * tokens (prompt + completion, as the server reports them). When spent, the run pauses until
 * `anchorage budget <run> --add-requests N` (or `--add-tokens N`) raises it.
 */
export const JudgeRunBudget = z
  .strictObject({ requests: WholeCount.optional(), tokens: WholeCount.optional() })
  .refine((b) => b.requests !== undefined || b.tokens !== undefined, {
    error: 'requests, tokens or both (a budget with neither limits nothing)',
  }) satisfies z.ZodType<JudgeBudget>;

/** Judge requests per second over the whole run, shared by the judge shards running at once. */
export const JudgeRateLimit = z.strictObject({
  requestsPerSecond: z.number().positive('a rate above 0').max(100_000),
});
export type JudgeRateLimit = z.infer<typeof JudgeRateLimit>;
