import { resolve } from 'node:path';
import { evaluatePair, ifevalAccuracy, readIfevalPrompts } from '../rubric/verifiers/ifeval/results.ts';
import type { AnswerLine } from './answers-file.ts';
import {
  type EvalPrompt,
  type GenerationSuite,
  onlyOptions,
  type SuiteOptions,
  type SuiteScores,
} from './suite.ts';

/** The 541 IFEval prompts, copied from IFEval (see NOTICE). */
export const IFEVAL_PROMPTS_FILE = resolve(import.meta.dirname, '../../data/ifeval/input_data.jsonl');

/**
 * The default new-token limit, lighteval's for IFEval. SmolLM2-135M-Instruct's greedy answers that
 * end do so far below it (249 of 541: at most 583 tokens, 98% within 429); the 292 it cuts off are
 * greedy loops, which no limit would end (the summary reports their share).
 */
export const IFEVAL_MAX_NEW_TOKENS = 1280;

/**
 * IFEval: each prompt carries verifiable instructions; an answer is checked by the reference
 * implementation's rules (our port in rubric/verifiers/ifeval), strict and loose. The four
 * standard numbers: prompt-level (every instruction of a prompt followed) and instruction-level,
 * each strict and loose; plus the share of answers cut off by the token limit.
 */
export function ifevalSuite(options: SuiteOptions = {}): GenerationSuite {
  onlyOptions('ifeval', options, ['promptsFile']);
  const file = options.promptsFile ?? IFEVAL_PROMPTS_FILE;
  /** The prompts with their keys (IFEval's `key`, else the line's index). */
  const keyed = () =>
    readIfevalPrompts(file).map(({ value }, i) => ({ key: String(value.key ?? i), p: value }));
  return {
    kind: 'generation',
    name: 'ifeval',
    ...(options.promptsFile === undefined ? {} : { input: resolve(options.promptsFile) }),
    description: `IFEval, ${file}: prompt- and instruction-level accuracy, strict and loose`,
    maxNewTokens: IFEVAL_MAX_NEW_TOKENS,
    prompts(): EvalPrompt[] {
      return keyed().map(({ key, p }) => ({
        key,
        text: p.prompt,
        prompt: { messages: [{ role: 'user', content: p.prompt }] },
      }));
    },
    async score({ prompts: asked, answers }): Promise<SuiteScores> {
      // The prompts evaluated (all, or the first n of a limited run); one without an answer fails.
      const wanted = new Set(asked.map((p) => p.key));
      const prompts = keyed().filter(({ key }) => wanted.has(key));
      const rows: Record<string, unknown>[] = [];
      const results = {
        strict: [] as ReturnType<typeof evaluatePair>[],
        loose: [] as ReturnType<typeof evaluatePair>[],
      };
      let truncated = 0;
      prompts.forEach(({ key, p }) => {
        const answer = answers.get(key) as AnswerLine | undefined;
        const strict = evaluatePair({ prompt: p, response: answer?.response, mode: 'strict' });
        const loose = evaluatePair({ prompt: p, response: answer?.response, mode: 'loose' });
        results.strict.push(strict);
        results.loose.push(loose);
        if (answer?.finishReason === 'length') truncated++;
        rows.push({
          key,
          prompt: p.prompt,
          response: answer?.response ?? null,
          finishReason: answer?.finishReason ?? null,
          tokens: answer?.tokens ?? null,
          instructions: strict.instruction_id_list,
          strict: strict.follow_instruction_list,
          loose: loose.follow_instruction_list,
        });
      });
      const strict = ifevalAccuracy(results.strict);
      const loose = ifevalAccuracy(results.loose);
      const summary = {
        prompts: prompts.length,
        promptStrict: strict.promptLevel,
        promptLoose: loose.promptLevel,
        instructionStrict: strict.instructionLevel,
        instructionLoose: loose.instructionLevel,
        truncated: prompts.length === 0 ? 0 : truncated / prompts.length,
      };
      const pct = (x: number) => `${(100 * x).toFixed(1)}`;
      const table = [
        '                 strict   loose',
        `  prompt-level    ${pct(summary.promptStrict).padStart(5)}   ${pct(summary.promptLoose).padStart(5)}`,
        `  instruction     ${pct(summary.instructionStrict).padStart(5)}   ${pct(summary.instructionLoose).padStart(5)}`,
        `  answers cut off by the token limit: ${truncated} of ${prompts.length} (${pct(summary.truncated)}%)`,
      ];
      return { rows, summary, table };
    },
  };
}
