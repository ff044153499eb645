import { z } from 'zod';
import type { WeightedRubric } from '../config/rubric-rules.ts';
import { evaluateResponse } from '../rubric/evaluate.ts';
import { DisagreementTally, tallyDisagreement } from '../rubric/judge/disagreement.ts';
import type { RubricJudge } from '../rubric/judge/types.ts';
import type { ResolvedRubric } from '../rubric/resolve.ts';
import { Verdict } from '../rubric/verdict.ts';
import type { VerifierRegistry } from '../rubric/verifiers/registry.ts';
import { Address } from '../store/address.ts';
import { ValidationError } from '../util/errors.ts';
import type { RolloutGroup } from './rollouts.ts';

/**
 * Judge shards: the groups of a batch are dealt round-robin over S shards (group i to shard i mod S),
 * so shards get the same share whatever the batch size. Pure, so the workflow and the activities
 * agree on it.
 */
export function shardGroups(options: { groups: number; shard: number; shards: number }): number[] {
  const { groups, shard, shards } = options;
  if (!Number.isInteger(shards) || shards < 1)
    throw new ValidationError(`shards must be >= 1, got ${shards}`);
  if (!Number.isInteger(shard) || shard < 0 || shard >= shards) {
    throw new ValidationError(`shard must be in 0..${shards - 1}, got ${shard}`);
  }
  const out: number[] = [];
  for (let i = shard; i < groups; i += shards) out.push(i);
  return out;
}

/** The verdicts of one rubric on one response. */
export const RubricVerdicts = z.strictObject({
  rubricId: z.string(),
  weight: z.number(),
  verdicts: z.array(Verdict),
});
export type RubricVerdicts = z.infer<typeof RubricVerdicts>;

export const JudgedGroup = z.strictObject({
  index: z.number().int().nonnegative(),
  promptId: z.string(),
  /** Per sample of the group, in order: one entry per rubric of the prompt. */
  samples: z.array(z.array(RubricVerdicts)),
});
export type JudgedGroup = z.infer<typeof JudgedGroup>;

/** What judging cost; summed over shards into the step's metrics. */
export const JudgeStats = z.strictObject({
  responses: z.number().int(),
  verifierVerdicts: z.number().int(),
  judgeVerdicts: z.number().int(),
  unscorableVerdicts: z.number().int(),
  /** Judged criteria answered by the verdict cache, and graded by the model. */
  judgeCacheHits: z.number().int(),
  judgeCacheMisses: z.number().int(),
  judgeRequests: z.number().int(),
  /**
   * How a judge asked several times per criterion (judge config `samples` > 1) disagreed with itself
   * (`src/rubric/judge/disagreement.ts`); absent when no criterion had two scored samples.
   */
  disagreement: DisagreementTally.optional(),
  ms: z.number(),
});
export type JudgeStats = z.infer<typeof JudgeStats>;

export const ShardJudgement = z.strictObject({
  format: z.literal('anchorage.judgement/1'),
  rollouts: Address,
  shard: z.number().int().nonnegative(),
  shards: z.number().int().positive(),
  groups: z.array(JudgedGroup),
  stats: JudgeStats,
});
export type ShardJudgement = z.infer<typeof ShardJudgement>;

/**
 * Every rubric's verdicts on every sample of a group: verifiers run here, judged criteria go to the
 * judge (which answers from its verdict cache when it can). Returns the verdicts and the counts.
 */
export async function judgeGroup(options: {
  group: RolloutGroup;
  rubrics: readonly WeightedRubric[];
  resolved: ReadonlyMap<string, ResolvedRubric>;
  verifiers: VerifierRegistry;
  judge: RubricJudge | undefined;
}): Promise<{
  judged: JudgedGroup;
  verifierVerdicts: number;
  judgeVerdicts: number;
  unscorable: number;
  /** The judge's disagreement with itself over the group's sampled criteria. */
  disagreement: DisagreementTally;
}> {
  const { group, rubrics, resolved, verifiers, judge } = options;
  let verifierVerdicts = 0;
  let judgeVerdicts = 0;
  let unscorable = 0;
  const compared: { verdict: Verdict; topScore: number }[] = [];
  for (const weighted of rubrics) {
    if (!resolved.has(weighted.rubricId)) {
      throw new ValidationError(
        `prompt '${group.promptId}' names rubric '${weighted.rubricId}', which the run did not resolve`,
      );
    }
  }
  // Samples are graded concurrently: verifiers are synchronous, and judged criteria share the
  // judge's own concurrency limit.
  const samples = await Promise.all(
    group.samples.map(async (sample) => {
      const perRubric: RubricVerdicts[] = [];
      for (const weighted of rubrics) {
        const rubric = resolved.get(weighted.rubricId)!;
        const verdicts = await evaluateResponse({
          rubric,
          prompt: group.promptText,
          response: sample.text,
          verifiers,
          judge,
        });
        for (const c of rubric.criteria) {
          if (c.evaluator.type === 'verifier') verifierVerdicts++;
          else judgeVerdicts++;
        }
        unscorable += verdicts.filter((v) => v.status === 'unscorable').length;
        // evaluateResponse answers in the rubric's criterion order.
        verdicts.forEach((verdict, k) => {
          if (verdict.samples !== undefined)
            compared.push({ verdict, topScore: rubric.criteria[k]!.topScore });
        });
        perRubric.push({ rubricId: rubric.id, weight: weighted.weight, verdicts });
      }
      return perRubric;
    }),
  );
  return {
    judged: { index: group.index, promptId: group.promptId, samples },
    verifierVerdicts,
    judgeVerdicts,
    unscorable,
    disagreement: tallyDisagreement(compared),
  };
}
