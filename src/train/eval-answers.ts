import type { ArtifactStore } from '../store/store.ts';
import { ValidationError } from '../util/errors.ts';
import { RewardsRecord } from './rewards.ts';
import { readRolloutBatch } from './rollouts.ts';
import { runRefs } from './run-refs.ts';

/** One criterion's verdict on an answer. */
export interface AnswerVerdict {
  id: string;
  kind: 'score' | 'veto';
  /** Normalised score 0..1; null when unscorable. */
  score: number | null;
  reason: string;
}

/** A held-out answer of an evaluation with its reward and verdicts. */
export interface EvalAnswer {
  promptId: string;
  promptText: string;
  response: string;
  finishReason: string;
  /** Null when the answer was unscorable (never read as 0). */
  reward: number | null;
  verdicts: AnswerVerdict[];
}

/**
 * The answers of the evaluation after step `step` (step 0: the base policy), in prompt order: the
 * first sample of each group (evaluations are greedy) with its reward and every criterion's verdict.
 */
export async function readEvalAnswers(options: {
  store: ArtifactStore;
  trainRunId: string;
  step: number;
}): Promise<EvalAnswer[]> {
  const key = { trainRunId: options.trainRunId, step: options.step, purpose: 'eval' as const };
  const { store } = options;
  const rolloutsAddress = await store.getRef(runRefs.rollouts(key));
  const rewardsAddress = await store.getRef(runRefs.rewards(key));
  if (rolloutsAddress === undefined || rewardsAddress === undefined) {
    throw new ValidationError(
      `run ${options.trainRunId} has no scored evaluation after step ${options.step} (${runRefs.rewards(key)})`,
    );
  }
  const { groups } = await readRolloutBatch({ store, address: rolloutsAddress });
  const rewards = await store.getJson(rewardsAddress, RewardsRecord);
  return groups.map((group, g) => {
    const sample = group.samples[0]!;
    const scored = rewards.samples.find((s) => s.group === g && s.sample === 0);
    return {
      promptId: group.promptId,
      promptText: group.promptText,
      response: sample.text,
      finishReason: sample.finishReason,
      reward: scored?.reward ?? null,
      verdicts: (scored?.rubrics ?? []).flatMap((r) =>
        r.reward.explanation.criteria.map((c) => ({
          id: c.id,
          kind: c.kind,
          score: c.normalised,
          reason: c.reason,
        })),
      ),
    };
  });
}

/**
 * The held-out prompt whose reward rose most between two evaluations (the first on ties), with its
 * answers before and after; undefined when no prompt was scored in both.
 */
export function mostImproved(
  before: readonly EvalAnswer[],
  after: readonly EvalAnswer[],
): { before: EvalAnswer; after: EvalAnswer } | undefined {
  const later = new Map(after.map((a) => [a.promptId, a]));
  let best: { before: EvalAnswer; after: EvalAnswer; gain: number } | undefined;
  for (const b of before) {
    const a = later.get(b.promptId);
    if (a === undefined || a.reward === null || b.reward === null) continue;
    const gain = a.reward - b.reward;
    if (best === undefined || gain > best.gain) best = { before: b, after: a, gain };
  }
  return best === undefined ? undefined : { before: best.before, after: best.after };
}
