import type { Command } from 'commander';
import { z } from 'zod';
import { formatReward } from '../../rubric/aggregate/index.ts';
import { corpusFor } from '../../rubric/default-corpus.ts';
import { isVerifierOnly } from '../../rubric/evaluate.ts';
import { createJudgeFromFile } from '../../rubric/judge/llm-judge.ts';
import { failureTolerant } from '../../rubric/judge/failure-tolerant.ts';
import type { MeteredRubricJudge } from '../../rubric/judge/types.ts';
import { type ResolvedRubric, resolveRubric } from '../../rubric/resolve.ts';
import { type ScoredResponse, scoreResponse } from '../../rubric/score.ts';
import { defaultVerifiers } from '../../rubric/verifiers/index.ts';
import type { VerifierRegistry } from '../../rubric/verifiers/registry.ts';
import { ValidationError } from '../../util/errors.ts';
import { readJsonl } from '../../util/jsonl.ts';
import { logger } from '../../util/logger.ts';
import { redactSecrets } from '../../util/secrets.ts';
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
  /** Where the job was written: the `--input` file and line. */
  from?: { file: string; line: number };
}

export const scoreCommand: CliCommand = {
  name: 'score',
  register(program: Command) {
    program
      .command('score')
      .description(
        'score responses against a rubric: each criterion with its tier, score and reason, and the reward; exit 1 when the judge could not be reached (its criteria reported unscorable)',
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
    const file = options.input;
    if (options.rubric !== undefined || options.prompt !== undefined || options.response !== undefined) {
      throw new ValidationError('--input scores a file; leave out --rubric, --prompt and --response');
    }
    const jobs = readJsonl({ file, schema: ScoreInputLine }).map(({ value, line }) => ({
      ...value,
      id: value.id ?? `${file}:${line}`,
      from: { file, line },
    }));
    if (jobs.length === 0) {
      throw new ValidationError(
        'expected at least one JSON line with rubric, prompt and response; the file has none',
        { location: { file } },
      );
    }
    return jobs;
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

/**
 * Resolves every job's rubric before anything is scored or printed, so a bad line fails the command
 * with its file and line and no partial output.
 */
function resolveJobs(options: {
  jobs: readonly Job[];
  verifiers: VerifierRegistry;
}): Map<string, ResolvedRubric> {
  const rubrics = new Map<string, ResolvedRubric>();
  for (const job of options.jobs) {
    if (rubrics.has(job.rubric)) continue;
    try {
      const { corpus, id } = corpusFor({ rubric: job.rubric });
      rubrics.set(job.rubric, resolveRubric({ corpus, id, verifiers: options.verifiers }));
    } catch (err) {
      if (!(err instanceof ValidationError) || job.from === undefined) throw err;
      throw new ValidationError(`rubric '${job.rubric}': ${err.message}`, {
        location: { ...job.from, field: 'rubric' },
        cause: err,
      });
    }
  }
  return rubrics;
}

/**
 * Everything `score` checks before it scores: the jobs (every line of `--input`) and their rubrics,
 * resolved. Throws the first bad input as a ValidationError naming its file and line.
 */
export function prepareScoreJobs(raw: z.input<typeof ScoreOptions>): {
  jobs: Job[];
  rubrics: Map<string, ResolvedRubric>;
  verifiers: VerifierRegistry;
} {
  const jobs = jobsFrom(ScoreOptions.parse(raw));
  const verifiers = defaultVerifiers();
  return { jobs, rubrics: resolveJobs({ jobs, verifiers }), verifiers };
}

async function runScore(options: ScoreOptions): Promise<void> {
  const { jobs, rubrics, verifiers } = prepareScoreJobs(options);
  const metered: MeteredRubricJudge | undefined =
    options.judge === undefined ? undefined : createJudgeFromFile(options.judge);
  const judge = metered === undefined ? undefined : failureTolerant(metered);
  if (judge === undefined) {
    for (const rubric of new Set(rubrics.values())) {
      if (isVerifierOnly(rubric)) continue;
      logger('score').warn(
        { rubric: rubric.id },
        'rubric has judge criteria and no --judge was given: they are left unscorable',
      );
    }
  }
  for (const job of jobs) {
    const rubric = rubrics.get(job.rubric)!;
    const scored = await scoreResponse({
      rubric,
      prompt: job.prompt,
      response: job.response,
      verifiers,
      judge,
    });
    print({ job, rubric, scored, json: options.json, many: jobs.length > 1 });
  }
  if (metered !== undefined) logger('score').info({ judge: metered.stats() }, 'judge usage');
  if (judge?.failure !== undefined) {
    process.stderr.write(
      `anchorage: the judge could not be reached for ${judge.failedRequests} of ${jobs.length} responses; their judged criteria are reported unscorable: ${redactSecrets(judge.failure.message)}\n`,
    );
    process.exitCode = 1;
  }
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
