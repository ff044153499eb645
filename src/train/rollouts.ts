import { z } from 'zod';
import { PURPOSES } from '../contracts/step-refs.ts';
import { Address } from '../store/address.ts';
import type { ArtifactStore } from '../store/store.ts';
import { ValidationError } from '../util/errors.ts';

/** One sampled response with what training needs: token ids and the sampling policy's log-probs. */
export const RolloutSample = z.strictObject({
  /** New tokens (a stop token that ended the response is the last one). */
  tokenIds: z.array(z.number().int().nonnegative()),
  /** The response text (the stop token left out): what rubrics score. */
  text: z.string(),
  /** Per new token: the policy's log-prob at temperature 1 when it was sampled. */
  logprobs: z.array(z.number().finite()),
  finishReason: z.string(),
  /** Random stream the sample was drawn from (reproducible with the step's seed). */
  stream: z.number().int().nonnegative(),
  /** Decoded greedily (`rl.greedyMember`), not sampled at the batch's temperature. */
  greedy: z.literal(true).optional(),
});
export type RolloutSample = z.infer<typeof RolloutSample>;

/** G responses to one prompt: the unit a retried rollout activity resumes at. */
export const RolloutGroup = z.strictObject({
  format: z.literal('anchorage.rollout-group/1'),
  /** Position of the group in the step's batch. */
  index: z.number().int().nonnegative(),
  promptId: z.string(),
  /** The prompt text graders see. */
  promptText: z.string(),
  promptIds: z.array(z.number().int().nonnegative()),
  samples: z.array(RolloutSample).min(1),
});
export type RolloutGroup = z.infer<typeof RolloutGroup>;

export const SamplingRecord = z.strictObject({
  temperature: z.number(),
  topP: z.number(),
  maxNewTokens: z.number().int(),
  seed: z.number().int(),
});

/** Small facts about a rollout batch; crosses the workflow boundary. */
export const RolloutStats = z.strictObject({
  groups: z.number().int(),
  responses: z.number().int(),
  promptTokens: z.number().int(),
  newTokens: z.number().int(),
  /** Responses cut off at maxNewTokens. */
  truncated: z.number().int(),
  /** Groups taken from an earlier attempt's heartbeat instead of being sampled again. */
  resumedGroups: z.number().int(),
  ms: z.number(),
});
export type RolloutStats = z.infer<typeof RolloutStats>;

/** The rollouts of one step: the groups' addresses in batch order, and how they were drawn. */
export const RolloutBatch = z.strictObject({
  format: z.literal('anchorage.rollouts/1'),
  trainRunId: z.string(),
  step: z.number().int(),
  purpose: z.enum(PURPOSES),
  /** The refill round this batch samples (dynamic sampling); absent: the step's planned batch. */
  round: z.number().int().positive().optional(),
  stage: z.string(),
  /** The checkpoint the policy was loaded from; null: fresh adapters from the run seed. */
  checkpoint: Address.nullable(),
  groupSize: z.number().int().positive(),
  sampling: SamplingRecord,
  groups: z.array(Address),
  stats: RolloutStats,
  /**
   * A batch assembled from a step's rounds (dynamic sampling): the rounds' batches (round 0 first)
   * and, per group of this batch, the round and the index it had there. Its groups are those groups
   * with their index set to their place here; `sampling` is round 0's (each round's seed is in its
   * own batch).
   */
  assembledFrom: z
    .strictObject({
      rounds: z.array(Address),
      picks: z.array(
        z.strictObject({ round: z.number().int().nonnegative(), index: z.number().int().nonnegative() }),
      ),
    })
    .optional(),
});
export type RolloutBatch = z.infer<typeof RolloutBatch>;

/** A batch and all its groups, read from the store (validated). */
export async function readRolloutBatch(options: {
  store: ArtifactStore;
  address: string;
}): Promise<{ batch: RolloutBatch; groups: RolloutGroup[] }> {
  const batch = await options.store.getJson(options.address, RolloutBatch);
  const groups = await Promise.all(batch.groups.map((a) => options.store.getJson(a, RolloutGroup)));
  groups.forEach((g, i) => {
    if (g.index !== i) {
      throw new ValidationError(`rollout group ${batch.groups[i]} has index ${g.index}, expected ${i}`);
    }
  });
  return { batch, groups };
}
