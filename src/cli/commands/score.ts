import type { Command } from 'commander';
import { z } from 'zod';
import { formatReward } from '../../rubric/aggregate/index.ts';
import { corpusFor } from '../../rubric/default-corpus.ts';
import { isVerifierOnly } from '../../rubric/evaluate.ts';
import { createJudgeFromFile } from '../../rubric/judge/llm-judge.ts';
import type { MeteredRubricJudge } from '../../rubric/judge/types.ts';
import { type ResolvedRubric, resolveRubric } from '../../rubric/resolve.ts';
import { type ScoredResponse, scoreResponse } from '../../rubric/score.ts';
import { defaultVerifiers } from '../../rubric/verifiers/index.ts';
import { ValidationError } from '../../util/errors.ts';
import { readJsonl } from '../../util/jsonl.ts';
import { logger } from '../../util/logger.ts';
import type { CliCommand } from '../command.ts';
import { out, textOrFile } from '../io.ts';

const ScoreOptions = z.object({
  rubric: z.string().optional(),
  prompt: z.string().optional(),
  response: z.string().optional(),
  input: z.string().optional(),
  judge: z.string().optional(),
  json: z.boolean().default(false),
});
type ScoreOptions = z.infer<typeof ScoreOptions>;

/** A line of a `--input` file: one response to score against one rubric. */
export const ScoreInputLine = z.strictObject({
  id: z.string().optional(),
  rubric: z.string().min(1),
  prompt: z.string(),
  response: z.string(),
});

interface Job {
  id: string;
  rubric: string;
  prompt: string;
  response: string;
}

export const scoreCommand: CliCommand = {
  name: 'score',
  register(program: Command) {
    program
      .command('score')
      .description(
        'score responses against a rubric: each criterion with its tier, score and reason, and the reward',
      )
      .option('--rubric <id-or-path>', 'rubric id from the corpus, or a rubric YAML file')
      .option('--prompt <text|@file>', 'the prompt that was answered')
      .option('--response <text|@file>', 'the response to score')
      .option('--input <jsonl>', 'score many: JSON lines with rubric, prompt, response and an optional id')
      .option('--judge <config>', 'LLM judge configuration (YAML or JSON); verifier-only rubrics need none')
      .option('--json', 'print JSON lines instead of tables')
      .action(async (raw: unknown) => runScore(ScoreOptions.parse(raw)));
  },
};

function jobsFrom(options: ScoreOptions): Job[] {
  if (options.input !== undefined) {
    if (options.rubric !== undefined || options.prompt !== undefined || options.response !== undefined) {
      throw new ValidationError('--input scores a file; leave out --rubric, --prompt and --response');
    }
    return readJsonl({ file: options.input, schema: ScoreInputLine }).map(({ value, line }) => ({
      ...value,
      id: value.id ?? `${options.input}:${line}`,
    }));
  }
  for (const flag of ['rubric', 'prompt', 'response'] as const) {
    if (options[flag] === undefined)
      throw new ValidationError(`--${flag} is required (or give --input <jsonl>)`);
  }
  return [
    {
      id: 'response',
      rubric: options.rubric!,
      prompt: textOrFile(options.prompt!, '--prompt'),
      response: textOrFile(options.response!, '--response'),
    },
  ];
}

async function runScore(options: ScoreOptions): Promise<void> {
  const jobs = jobsFrom(options);
  const verifiers = defaultVerifiers();
  const judge: MeteredRubricJudge | undefined =
    options.judge === undefined ? undefined : createJudgeFromFile(options.judge);
  const rubrics = new Map<string, ResolvedRubric>();
  const resolved = (arg: string): ResolvedRubric => {
    let rubric = rubrics.get(arg);
    if (rubric === undefined) {
      const { corpus, id } = corpusFor({ rubric: arg });
      rubric = resolveRubric({ corpus, id, verifiers });
      if (judge === undefined && !isVerifierOnly(rubric)) {
        logger('score').warn(
          { rubric: rubric.id },
          'rubric has judge criteria and no --judge was given: they are left unscorable',
        );
      }
      rubrics.set(arg, rubric);
    }
    return rubric;
  };
  for (const job of jobs) {
    const rubric = resolved(job.rubric);
    const scored = await scoreResponse({
      rubric,
      prompt: job.prompt,
      response: job.response,
      verifiers,
      judge,
    });
    print({ job, rubric, scored, json: options.json, many: jobs.length > 1 });
  }
  if (judge !== undefined) logger('score').info({ judge: judge.stats() }, 'judge usage');
}

function print(options: {
  job: Job;
  rubric: ResolvedRubric;
  scored: ScoredResponse;
  json: boolean;
  many: boolean;
}) {
  const { job, rubric, scored, json, many } = options;
  if (json) {
    out(JSON.stringify({ id: job.id, rubric: rubric.id, verdicts: scored.verdicts, reward: scored.reward }));
    return;
  }
  if (many) out(`== ${job.id}`);
  out(formatReward({ reward: scored.reward, rubric }));
  const reward = scored.reward;
  out(
    reward.status === 'scored'
      ? `reward: ${reward.value.toFixed(4)}`
      : `reward: unscorable (${reward.reason})`,
  );
  if (many) out();
}
