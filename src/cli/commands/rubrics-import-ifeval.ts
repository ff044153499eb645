import { relative } from 'node:path';
import type { Command } from 'commander';
import {
  DEFAULT_IFEVAL_INPUT,
  DEFAULT_IFEVAL_OUTPUT,
  importIfevalRubrics,
} from '../../rubric/importers/ifeval.ts';
import { out } from '../io.ts';

/**
 * Adds `ifeval` to the `anchorage rubrics import` command: IFEval prompts -> instance rubrics (one
 * multi-document YAML file). Call it with the `import` subcommand of `rubrics`.
 */
export function addIfevalImport(importCommand: Command): void {
  importCommand
    .command('ifeval')
    .description(
      'IFEval prompts -> eval-only instance rubrics, one pass/fail verifier criterion per instruction',
    )
    .option('--input <file>', 'IFEval prompt file (input_data.jsonl)', DEFAULT_IFEVAL_INPUT)
    .option('--out <file>', 'rubric file to write', DEFAULT_IFEVAL_OUTPUT)
    .action((options: { input: string; out: string }) => {
      const r = importIfevalRubrics({ input: options.input, output: options.out });
      out(
        `ifeval: ${r.rubrics} rubrics -> ${relative(process.cwd(), r.file) || r.file} (${(r.bytes / 1e6).toFixed(2)} MB)`,
      );
    });
}
