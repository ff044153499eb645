import { promptMessages, promptText } from '../data/prompt-record.ts';
import { aggregateRewards } from '../rubric/aggregate/index.ts';
import { evaluateResponse } from '../rubric/evaluate.ts';
import { computeStepRewards, type RubricReward } from '../step/reward-math.ts';
import { logger } from '../util/logger.ts';
import { ValidationError } from '../util/errors.ts';
import type { AnswerLine } from './answers-file.ts';
import { criterionStats, rewardSummary, rewardTable } from './reward-summary.ts';
import { promptsFromConfig, promptsFromFile, type RubricPromptSet } from './rubric-prompts.ts';
import {
  type EvalPrompt,
  type GenerationSuite,
  onlyOptions,
  type SuiteOptions,
  type SuiteScores,
} from './suite.ts';

const log = logger('eval');

/**
 * Default new-token limit for a prompts file (a run configuration gives its own: the evaluation's
 * `maxNewTokens`, else the first stage's `rl.maxNewTokens`). The constraint generator sizes its
 * prompts for answers of 300 words by default, about 400 tokens; 512 leaves them room.
 */
export const PROMPTS_MAX_NEW_TOKENS = 512;

/**
 * Rubric prompts: greedy answers to the prompts of a run configuration's source
 * (`--config run.yaml --source held-out`) or of a prompts file with rubrics (`--prompts f.jsonl`),
 * scored by the rubric engine exactly as a run scores its rollouts: every rubric's criteria by
 * verifiers and the judge, each rubric's reward aggregated, a prompt's rubrics combined by weight
 * (vetoes void, unscorable left out). Reports the mean reward and per-criterion pass rates.
 */
export function promptsSuite(options: SuiteOptions = {}): GenerationSuite {
  onlyOptions('prompts', options, ['promptsFile', 'config', 'source', 'judge']);
  const set = loadSet(options);
  return {
    kind: 'generation',
    name: 'prompts',
    description: `rubric reward on ${set.input}`,
    input: set.input,
    ...(set.model === undefined ? {} : { defaultModel: set.model }),
    maxNewTokens: set.maxNewTokens ?? PROMPTS_MAX_NEW_TOKENS,
    prompts: () =>
      set.prompts.map(({ prompt }) => ({
        key: prompt.record.id,
        text: promptText(prompt.record),
        prompt: { messages: promptMessages(prompt.record) },
      })),
    score: ({ prompts, answers }) => scoreRubricPrompts({ set, prompts, answers }),
  };
}

function loadSet(options: SuiteOptions): RubricPromptSet {
  const { config, source, promptsFile, judge } = options;
  if (config !== undefined) {
    if (promptsFile !== undefined)
      throw new ValidationError('give --config and --source, or --prompts, not both');
    if (judge !== undefined) throw new ValidationError('--judge: a run configuration names its own judge');
    if (source === undefined)
      throw new ValidationError('--config needs --source <name> (for example held-out)');
    return promptsFromConfig({ config, source });
  }
  if (source !== undefined) throw new ValidationError('--source needs --config <run.yaml>');
  if (promptsFile === undefined) {
    throw new ValidationError(
      "suite 'prompts' needs --config <run.yaml> --source <name>, or --prompts <file.jsonl> with rubrics",
    );
  }
  return promptsFromFile({ file: promptsFile, ...(judge === undefined ? {} : { judge }) });
}

/** Verdicts, rubric rewards and combined rewards of the answers, with the summary and table. */
export async function scoreRubricPrompts(options: {
  set: RubricPromptSet;
  prompts: readonly EvalPrompt[];
  answers: ReadonlyMap<string, AnswerLine>;
}): Promise<SuiteScores> {
  const { set, answers } = options;
  const byKey = new Map(set.prompts.map((p) => [p.prompt.record.id, p]));
  const answered = options.prompts.flatMap((p) => {
    const answer = answers.get(p.key);
    const entry = byKey.get(p.key);
    return answer === undefined || entry === undefined ? [] : [{ ...entry, answer }];
  });
  // Answers are graded concurrently: verifiers are synchronous, judged criteria share the judge's
  // own concurrency limit (as the training path grades a group's samples).
  const perAnswer = await Promise.all(
    answered.map(async ({ prompt, rubrics, answer }): Promise<RubricReward[]> => {
      const out: RubricReward[] = [];
      for (const w of rubrics) {
        const rubric = set.resolved.get(w.rubricId)!;
        const verdicts = await evaluateResponse({
          rubric,
          prompt: promptText(prompt.record),
          response: answer.response,
          verifiers: set.verifiers,
          judge: set.judge,
        });
        out.push({
          rubricId: w.rubricId,
          weight: w.weight,
          reward: aggregateRewards({ rubric, verdictsPerResponse: [verdicts] })[0]!,
        });
      }
      return out;
    }),
  );
  // Each answer is a group of one, as in a run's evaluation (no advantages).
  const rewards = computeStepRewards({
    groups: perAnswer.map((r) => [r]),
    estimator: 'grpo',
    dropZeroVariance: false,
    advantages: false,
    rubricKey: (id) => (set.resolved.get(id)?.scope === 'instance' ? 'instance' : id),
  });
  const rows = answered.map(({ prompt, answer }, i) => {
    const sample = rewards.samples[i]!;
    return {
      key: prompt.record.id,
      prompt: promptText(prompt.record),
      response: answer.response,
      finishReason: answer.finishReason,
      tokens: answer.tokens,
      reward: sample.reward,
      ...(sample.unscorableReason === undefined ? {} : { unscorableReason: sample.unscorableReason }),
      vetoedBy: sample.vetoedBy,
      rubrics: sample.rubrics.map((r) => ({
        rubricId: r.rubricId,
        weight: r.weight,
        reward: r.reward.status === 'scored' ? r.reward.value : null,
        criteria: r.reward.explanation.criteria.map((c) => ({
          id: c.id,
          status: c.status,
          tier: c.tierLabel,
          score: c.normalised,
          reason: c.reason,
        })),
      })),
    };
  });
  const criteria = criterionStats(rewards.samples);
  const summary = rewardSummary({ prompts: options.prompts.length, rewards: rewards.summary, criteria });
  const truncated = answered.filter((a) => a.answer.finishReason === 'length').length;
  if (set.judge !== undefined) log.info({ judge: set.judge.stats() }, 'judge usage');
  return { rows, summary, table: rewardTable({ summary, criteria, truncated }) };
}
