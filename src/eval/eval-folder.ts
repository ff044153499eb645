import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ValidationError } from '../util/errors.ts';

/** Files of an evaluation's output folder. */
export const EVAL_FILES = {
  /** What was evaluated; a resumed evaluation must match it. */
  spec: 'eval.json',
  /** Generation suites: one answer per line, appended as they finish. */
  answers: 'answers.jsonl',
  /** Logprob suites: one chunk's summed log-probs per line, appended as they are computed. */
  logprobs: 'logprobs.jsonl',
  /** One scored row per prompt (or per chunk). */
  results: 'results.jsonl',
  summary: 'summary.json',
} as const;

const StoredSpec = z.record(z.string(), z.unknown());

/**
 * Creates the folder with its spec, or checks that the spec already there is this one: every field
 * of either must be equal, so a folder is only resumed by the same evaluation (suite, model,
 * checkpoint, input, limits). A folder holding another evaluation is refused, naming what differs.
 */
export function prepareEvalFolder(options: {
  outDir: string;
  spec: Readonly<Record<string, unknown>>;
}): void {
  const { outDir, spec } = options;
  const file = join(outDir, EVAL_FILES.spec);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (cause) {
    throw new ValidationError(`cannot create the output folder: ${(cause as Error).message}`, {
      location: { file: outDir },
    });
  }
  if (!existsSync(file)) {
    writeFileSync(file, `${JSON.stringify(spec, null, 2)}\n`);
    return;
  }
  let stored: Record<string, unknown>;
  try {
    stored = StoredSpec.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    throw new ValidationError('is not an evaluation spec (a JSON object)', { location: { file } });
  }
  const keys = [...new Set([...Object.keys(stored), ...Object.keys(spec)])];
  const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));
  const differs = keys.filter((k) => JSON.stringify(stored[k]) !== JSON.stringify(spec[k]));
  if (differs.length > 0) {
    const what = differs.map((k) => `${k} ${show(stored[k])} there, ${show(spec[k])} asked`);
    throw new ValidationError(`the folder holds another evaluation (${what.join('; ')}); use another --out`, {
      location: { file },
    });
  }
}

/** Writes the per-row results and the summary of a scored evaluation. */
export function writeEvalResults(options: {
  outDir: string;
  rows: readonly Record<string, unknown>[];
  summary: Readonly<Record<string, unknown>>;
}): void {
  const { outDir, rows, summary } = options;
  writeFileSync(join(outDir, EVAL_FILES.results), rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
  writeFileSync(join(outDir, EVAL_FILES.summary), `${JSON.stringify(summary, null, 2)}\n`);
}
