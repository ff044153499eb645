import { aggregateReward } from './aggregate/index.ts';
import type { Reward } from './aggregate/reward-schema.ts';
import { evaluateResponse } from './evaluate.ts';
import type { RubricJudge } from './judge/types.ts';
import type { ResolvedRubric } from './resolve.ts';
import type { Verdict } from './verdict.ts';
import type { VerifierRegistry } from './verifiers/registry.ts';

/** A response scored against a rubric: every criterion's verdict and the aggregated reward. */
export interface ScoredResponse {
  rubricId: string;
  verdicts: Verdict[];
  reward: Reward;
}

/** Evaluates every criterion, then aggregates. */
export async function scoreResponse(options: {
  rubric: ResolvedRubric;
  prompt: string;
  response: string;
  verifiers: VerifierRegistry;
  judge?: RubricJudge | undefined;
}): Promise<ScoredResponse> {
  const verdicts = await evaluateResponse(options);
  return { rubricId: options.rubric.id, verdicts, reward: aggregateReward({ rubric: options.rubric, verdicts }) };
}
