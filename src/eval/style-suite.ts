import { resolve } from 'node:path';
import { importArenaHard } from '../data/importers/arena-hard.ts';
import { BUNDLED_RUBRICS_DIR } from '../rubric/default-corpus.ts';
import { LazyRubricCorpus } from '../rubric/lazy-corpus.ts';
import { type ResolvedRubric, resolveRubric } from '../rubric/resolve.ts';
import { scoreResponse } from '../rubric/score.ts';
import { defaultVerifiers } from '../rubric/verifiers/index.ts';
import type { AnswerLine } from './answers-file.ts';
import { readSlopBaseline, type SlopRate } from './slop-baseline.ts';
import {
  type LexiconMeasure,
  type MeasuredText,
  measureText,
  pooledRates,
  rubricLexiconMeasures,
  unionMeasure,
} from './style-measures.ts';
import { styleTable } from './style-table.ts';
import {
  type EvalPrompt,
  type GenerationSuite,
  onlyOptions,
  type SuiteOptions,
  type SuiteScores,
} from './suite.ts';

/**
 * 64 creative-writing prompts of Arena-Hard v2.0 that no training source uses (copied unchanged;
 * how they were chosen is in data/style/README.md, attribution in NOTICE).
 */
export const STYLE_PROMPTS_FILE = resolve(
  import.meta.dirname,
  '../../data/style/arena-hard-v2.0-creative-64.jsonl',
);

/**
 * Default new-token limit. SmolLM2-135M-Instruct's greedy IFEval answers that end do so within 583
 * tokens (98% within 429; src/eval/ifeval-suite.ts); stories and songs run longer than most IFEval
 * answers, so 1024 leaves them room to finish, while answers that loop (which no limit ends) are
 * cut at a cost of 1024 tokens each. The summary reports the share cut off.
 */
export const STYLE_MAX_NEW_TOKENS = 1024;

/** The rubric whose lexicon-rate criteria are measured, and whose reward is reported. */
export const HUMAN_TONE_RUBRIC = 'style/human-tone';

/** The slop-score lists as the leaderboard counts them (no exclusions), beside its human baseline. */
export const BASELINE_MEASURES: readonly (LexiconMeasure & { baseline: SlopRate })[] = [
  {
    id: 'slop-score-words',
    label: 'slop-score word list',
    include: ['slop-score-words'],
    exclude: [],
    baseline: 'slopWordsPer1kWords',
  },
  {
    id: 'slop-score-trigrams',
    label: 'slop-score trigram list',
    include: ['slop-score-trigrams'],
    exclude: [],
    baseline: 'slopTrigramsPer1kWords',
  },
];

/** The human-tone rubric from the bundled corpus (not ANCHORAGE_RUBRICS: the measure stays fixed). */
function humanToneRubric(): ResolvedRubric {
  return resolveRubric({
    corpus: new LazyRubricCorpus([BUNDLED_RUBRICS_DIR]),
    id: HUMAN_TONE_RUBRIC,
    verifiers: defaultVerifiers(),
  });
}

/**
 * What the style suite measures: each lexicon-rate criterion of the human-tone rubric (`own`), and
 * all of them together (`all`, the headline AI-typical rate), besides `BASELINE_MEASURES`.
 */
export function styleMeasures(rubric: ResolvedRubric = humanToneRubric()): {
  all: LexiconMeasure;
  own: LexiconMeasure[];
} {
  const own = rubricLexiconMeasures(rubric);
  return { all: unionMeasure({ id: 'all', label: 'human-tone lists together', of: own }), own };
}

/**
 * Style of open-ended writing: the AI-typical word and phrase rate per 1,000 words (the slop
 * lexicons, counted as the style/human-tone rubric counts them), beside the slop-score
 * leaderboard's human baseline, the human-tone rubric's reward, and answer length in words and
 * tokens.
 */
export function styleSuite(options: SuiteOptions = {}): GenerationSuite {
  onlyOptions('style', options, ['promptsFile']);
  const file = options.promptsFile ?? STYLE_PROMPTS_FILE;
  return {
    kind: 'generation',
    name: 'style',
    description: `AI-typical word and phrase rates, human-tone reward and answer length on ${file}`,
    ...(options.promptsFile === undefined ? {} : { input: resolve(options.promptsFile) }),
    maxNewTokens: STYLE_MAX_NEW_TOKENS,
    prompts: () => readStylePrompts(file),
    score: async ({ prompts, answers }) => scoreStyle({ prompts, answers }),
  };
}

/** Prompts in Arena-Hard's question format, asked as one user turn each. */
export function readStylePrompts(file: string): EvalPrompt[] {
  return importArenaHard({ file }).map(({ record }) => {
    const text = record.prompt ?? '';
    return { key: record.id, text, prompt: { messages: [{ role: 'user', content: text }] } };
  });
}

/** Rows per answer (words, tokens, hits per measure, human-tone verdicts) and pooled figures. */
export async function scoreStyle(options: {
  prompts: readonly EvalPrompt[];
  answers: ReadonlyMap<string, AnswerLine>;
}): Promise<SuiteScores> {
  const rubric = humanToneRubric();
  const verifiers = defaultVerifiers();
  const { all, own } = styleMeasures(rubric);
  const measures = [all, ...own, ...BASELINE_MEASURES];
  const rows: Record<string, unknown>[] = [];
  const measured: MeasuredText[] = [];
  // Answers that ended (stop token): a loop cut at the limit weighs 1,024 tokens of repetition.
  const finished: MeasuredText[] = [];
  const tokens: number[] = [];
  const rewards: number[] = [];
  let truncated = 0;
  for (const p of options.prompts) {
    const answer = options.answers.get(p.key);
    if (answer === undefined) {
      rows.push({ key: p.key, prompt: p.text, response: null });
      continue;
    }
    const m = measureText({ text: answer.response, measures });
    measured.push(m);
    if (answer.finishReason === 'stop') finished.push(m);
    if (answer.tokens !== null) tokens.push(answer.tokens);
    if (answer.finishReason === 'length') truncated++;
    const scored = await scoreResponse({ rubric, prompt: p.text, response: answer.response, verifiers });
    const reward = scored.reward.status === 'scored' ? scored.reward.value : null;
    if (reward !== null) rewards.push(reward);
    rows.push({
      key: p.key,
      prompt: p.text,
      response: answer.response,
      finishReason: answer.finishReason,
      tokens: answer.tokens,
      words: m.words,
      hits: m.hits,
      humanTone: reward,
      verdicts: Object.fromEntries(
        scored.verdicts.map((v) => [v.criterionId, v.status === 'scored' ? v.tierLabel : 'unscorable']),
      ),
      reasons: Object.fromEntries(scored.verdicts.map((v) => [v.criterionId, v.reason])),
    });
  }
  const mean = (xs: readonly number[]) =>
    xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
  const rates = pooledRates({ texts: measured, measures });
  const baseline = readSlopBaseline();
  const summary: Record<string, number> = { prompts: options.prompts.length, answered: measured.length };
  const put = (key: string, value: number | null) => {
    if (value !== null) summary[key] = value;
  };
  put('words/mean', mean(measured.map((m) => m.words)));
  put('tokens/mean', mean(tokens));
  put('truncated', measured.length === 0 ? null : truncated / measured.length);
  for (const m of measures) put(`rate/${m.id}`, rates[m.id] ?? null);
  put('finished', finished.length);
  put('rate/all/finished', pooledRates({ texts: finished, measures: [all] })[all.id] ?? null);
  for (const m of BASELINE_MEASURES) put(`human/rate/${m.id}`, baseline.human[m.baseline]);
  put('humanTone/mean', mean(rewards));
  put('humanTone/scored', rewards.length);
  const table = styleTable({
    summary,
    measures: { all, own, baseline: BASELINE_MEASURES },
    slopBaseline: baseline,
    words: measured.reduce((n, m) => n + m.words, 0),
    truncated,
  });
  return { rows, summary, table };
}
