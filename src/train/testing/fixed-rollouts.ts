import type { ArtifactStore } from '../../store/store.ts';
import type { RolloutBatch, RolloutGroup } from '../rollouts.ts';

/**
 * TEST UTILITY: a step's rollouts written straight to the store, without a model: one group per
 * prompt id (in this order), each answered with `answers`. Returns the batch's address, what a
 * judge shard reads.
 */
export async function putFixedRollouts(options: {
  store: ArtifactStore;
  promptIds: readonly string[];
  answers: readonly string[];
}): Promise<string> {
  const { store, promptIds, answers } = options;
  const groups: string[] = [];
  for (const [index, promptId] of promptIds.entries()) {
    const group: RolloutGroup = {
      format: 'anchorage.rollout-group/1',
      index,
      promptId,
      promptText: `the prompt of ${promptId}`,
      promptIds: [1, 2, 3],
      samples: answers.map((text, j) => ({
        tokenIds: [4, 5],
        text,
        logprobs: [-1, -1],
        finishReason: 'stop',
        stream: index * answers.length + j,
      })),
    };
    groups.push((await store.putJson(group)).address);
  }
  const batch: RolloutBatch = {
    format: 'anchorage.rollouts/1',
    trainRunId: 'rollouts',
    step: 1,
    purpose: 'train',
    stage: 'main',
    checkpoint: null,
    groupSize: answers.length,
    sampling: { temperature: 1, topP: 1, maxNewTokens: 12, seed: 0 },
    groups,
    stats: {
      groups: groups.length,
      responses: groups.length * answers.length,
      promptTokens: 0,
      newTokens: 0,
      truncated: 0,
      resumedGroups: 0,
      ms: 0,
    },
  };
  return (await store.putJson(batch)).address;
}
