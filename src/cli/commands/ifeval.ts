import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import {
  evaluatePair,
  formatIfevalResults,
  type IfevalAccuracy,
  ifevalAccuracy,
  matchResponses,
  readIfevalPrompts,
  readIfevalResponses,
} from '../../rubric/verifiers/ifeval/results.ts';
import { ValidationError } from '../../util/errors.ts';
import { logger } from '../../util/logger.ts';
import type { CliCommand } from '../command.ts';
import { out } from '../io.ts';

const IfevalOptions = z.object({
  input: z.string().min(1),
  responses: z.string().min(1),
  out: z.string().min(1),
  json: z.boolean().default(false),
});
type IfevalOptions = z.infer<typeof IfevalOptions>;

const MODES = ['strict', 'loose'] as const;

export const ifevalCommand: CliCommand = {
  name: 'ifeval',
  register(program: Command) {
    program
      .command('ifeval')
      .description('run the IFEval checks on responses: result files in the reference format and accuracies')
      .requiredOption('--input <prompts.jsonl>', 'IFEval prompts (key, prompt, instruction_id_list, kwargs)')
      .requiredOption(
        '--responses <responses.jsonl>',
        'JSON lines with `response` and `key` (or the `prompt` text)',
      )
      .requiredOption('--out <dir>', 'folder for eval_results_strict.jsonl and eval_results_loose.jsonl')
      .option('--json', 'print the accuracies as one JSON object')
      .action((raw: unknown) => runIfeval(IfevalOptions.parse(raw)));
  },
};

function runIfeval(options: IfevalOptions): void {
  const log = logger('ifeval');
  const prompts = readIfevalPrompts(options.input);
  if (prompts.length === 0)
    throw new ValidationError('expected at least one prompt', { location: { file: options.input } });
  const pairs = matchResponses({
    prompts,
    responses: readIfevalResponses(options.responses),
    responsesFile: options.responses,
  });
  const unanswered = pairs.filter((p) => !p.answered).length;
  if (unanswered > 0)
    log.warn({ unanswered }, 'prompts without a response count as not following any instruction');

  try {
    mkdirSync(options.out, { recursive: true });
  } catch (cause) {
    throw new ValidationError(`--out: cannot create folder: ${(cause as Error).message}`, {
      location: { file: options.out },
    });
  }
  const accuracy = {} as Record<(typeof MODES)[number], IfevalAccuracy>;
  const files: string[] = [];
  for (const mode of MODES) {
    const results = pairs.map(({ prompt, response }) => evaluatePair({ prompt, response, mode }));
    const file = join(options.out, `eval_results_${mode}.jsonl`);
    writeFileSync(file, formatIfevalResults(results));
    files.push(file);
    accuracy[mode] = ifevalAccuracy(results);
  }

  if (options.json) {
    out(
      JSON.stringify({ prompts: prompts.length, answered: prompts.length - unanswered, ...accuracy, files }),
    );
    return;
  }
  const a = accuracy.strict;
  out(`IFEval: ${a.prompts} prompts (${a.prompts - unanswered} answered), ${a.instructions} instructions`);
  out(`${'mode'.padEnd(8)}${'prompt-level'.padEnd(24)}instruction-level`);
  for (const mode of MODES) {
    const m = accuracy[mode];
    const prompt = `${m.promptLevel.toFixed(4)} (${m.promptsFollowed}/${m.prompts})`;
    out(
      `${mode.padEnd(8)}${prompt.padEnd(24)}${m.instructionLevel.toFixed(4)} (${m.instructionsFollowed}/${m.instructions})`,
    );
  }
  out(`wrote ${files.join(', ')}`);
}
