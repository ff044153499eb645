import type { Reward } from '../../rubric/aggregate/reward-schema.ts';
import type { ArtifactStore } from '../../store/store.ts';
import { RewardsRecord, type SampleReward } from '../../train/rewards.ts';
import { type RolloutGroup, readRolloutBatch } from '../../train/rollouts.ts';
import { runRefs } from '../../train/run-refs.ts';
import type { AnswerReward, AnswerView, CriterionView, HeldOutPrompt } from './report-data.ts';

/** An evaluation's rollout groups and, when it got that far, its rewards. */
interface ScoredEvaluation {
  step: number;
  groups: RolloutGroup[];
  rewards: RewardsRecord | undefined;
}

async function readEvaluation(options: {
  store: ArtifactStore;
  trainRunId: string;
  step: number;
}): Promise<ScoredEvaluation | undefined> {
  const key = { trainRunId: options.trainRunId, step: options.step, purpose: 'eval' as const };
  const rolloutsAddress = await options.store.getRef(runRefs.rollouts(key));
  if (rolloutsAddress === undefined) return undefined;
  const { groups } = await readRolloutBatch({ store: options.store, address: rolloutsAddress });
  const rewardsAddress = await options.store.getRef(runRefs.rewards(key));
  const rewards =
    rewardsAddress === undefined ? undefined : await options.store.getJson(rewardsAddress, RewardsRecord);
  return { step: options.step, groups, rewards };
}

function criteriaOf(rubrics: ReadonlyArray<{ rubricId: string; reward: Reward }>): CriterionView[] {
  return rubrics.flatMap(({ rubricId, reward }) =>
    reward.explanation.criteria.map((c) => ({
      rubricId,
      criterionId: c.id,
      kind: c.kind,
      status: c.status,
      tierLabel: c.tierLabel,
      tierScore: c.tierScore,
      topScore: c.topScore,
      vetoFired: c.vetoFired,
      reason: c.reason,
      evaluator: c.evaluator,
    })),
  );
}

function rewardOf(sample: SampleReward | undefined): AnswerReward {
  if (sample === undefined) return { status: 'not-scored' };
  if (sample.reward === null)
    return { status: 'unscorable', reason: sample.unscorableReason ?? 'unscorable' };
  return { status: 'scored', value: sample.reward, vetoedBy: sample.vetoedBy };
}

function answerOf(evaluation: ScoredEvaluation, group: RolloutGroup): AnswerView {
  const first = group.samples[0]!;
  const sample = evaluation.rewards?.samples.find((s) => s.group === group.index && s.sample === 0);
  return {
    step: evaluation.step,
    text: first.text,
    finishReason: first.finishReason,
    tokens: first.tokenIds.length,
    samples: group.samples.length,
    reward: rewardOf(sample),
    criteria: sample === undefined ? [] : criteriaOf(sample.rubrics),
  };
}

/**
 * Every held-out answer of the evaluation after `step` (step 0: the base policy), in batch order, each
 * its prompt's first sampled answer with its reward and verdicts; undefined when that evaluation left
 * no answers in the store.
 */
export async function readEvalAnswers(options: {
  store: ArtifactStore;
  trainRunId: string;
  step: number;
}): Promise<HeldOutPrompt[] | undefined> {
  const evaluation = await readEvaluation(options);
  return evaluation?.groups.map((group) => ({
    promptId: group.promptId,
    promptText: group.promptText,
    answers: [answerOf(evaluation, group)],
  }));
}

/**
 * The held-out prompt whose scored reward rose most between two evaluations (the first on ties), with
 * its answer in each; undefined when no prompt was scored in both.
 */
export function mostImproved(
  before: readonly HeldOutPrompt[],
  after: readonly HeldOutPrompt[],
): HeldOutPrompt | undefined {
  const value = (a: AnswerView | undefined) => (a?.reward.status === 'scored' ? a.reward.value : undefined);
  const later = new Map(after.map((p) => [p.promptId, p.answers[0]]));
  let best: { prompt: HeldOutPrompt; gain: number } | undefined;
  for (const p of before) {
    const first = p.answers[0];
    const last = later.get(p.promptId);
    const [b, a] = [value(first), value(last)];
    if (b === undefined || a === undefined) continue;
    if (best === undefined || a - b > best.gain)
      best = { prompt: { ...p, answers: [first!, last!] }, gain: a - b };
  }
  return best?.prompt;
}

/**
 * The answers to a few fixed held-out prompts at the first and the last evaluated checkpoint: the
 * first `maxPrompts` prompts of the first evaluation (in its batch order) that the last one also
 * answered, each with its first sampled answer and that answer's per-criterion verdicts.
 */
export async function readHeldOutAnswers(options: {
  store: ArtifactStore;
  trainRunId: string;
  /** Evaluated checkpoints (steps), ascending. */
  evalSteps: readonly number[];
  maxPrompts?: number;
}): Promise<{ prompts: HeldOutPrompt[]; note: string | null }> {
  const { store, trainRunId, evalSteps } = options;
  const chosen = [...new Set([evalSteps[0], evalSteps.at(-1)])].filter((s): s is number => s !== undefined);
  const evaluations: ScoredEvaluation[] = [];
  for (const step of chosen) {
    const evaluation = await readEvaluation({ store, trainRunId, step });
    if (evaluation !== undefined) evaluations.push(evaluation);
  }
  if (evaluations.length === 0) {
    return { prompts: [], note: 'no evaluation of this run left answers in the store' };
  }
  const firstEval = evaluations[0]!;
  const lastEval = evaluations.at(-1)!;
  const inLast = new Map(lastEval.groups.map((g) => [g.promptId, g]));
  const prompts: HeldOutPrompt[] = [];
  for (const group of firstEval.groups) {
    if (prompts.length >= (options.maxPrompts ?? 3)) break;
    const later = inLast.get(group.promptId);
    if (later === undefined) continue;
    const answers = [answerOf(firstEval, group)];
    if (lastEval !== firstEval) answers.push(answerOf(lastEval, later));
    prompts.push({ promptId: group.promptId, promptText: group.promptText, answers });
  }
  const note =
    evaluations.length === 1
      ? `one evaluated checkpoint (step ${firstEval.step}) so far: its answers are shown alone`
      : prompts.length === 0
        ? `the evaluations at steps ${firstEval.step} and ${lastEval.step} share no prompt`
        : null;
  return { prompts, note };
}
