import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateConfig } from '../src/cli/commands/train.ts';
import { prepareScoreJobs } from '../src/cli/commands/score.ts';
import { loadCorpus } from '../src/rubric/corpus.ts';
import { loadJudgeConfig } from '../src/rubric/judge/config.ts';
import { resolveAll } from '../src/rubric/resolve.ts';
import { defaultVerifiers } from '../src/rubric/verifiers/index.ts';
import { ValidationError } from '../src/util/errors.ts';
import { type BadInput, badInputs } from './bad-inputs/cases.ts';

/**
 * The bad-input family (issue 11): every generated input must be refused with a clear error: a
 * ValidationError (what the CLI prints as one `anchorage: ...` line, exit 2) whose single-line
 * message names the file and, where the input has lines, the line. Each surface is driven through
 * the function its command calls first, so the check is the command's own validation.
 */

const dir = mkdtempSync(join(tmpdir(), 'bad-inputs-'));
const corpusDir = join(dir, 'corpus');
mkdirSync(corpusDir);
writeFileSync(
  join(corpusDir, 'ok.yaml'),
  'id: gen-ok\nversion: 1\ntitle: OK\nscope: task\ncriteria:\n  - { id: c1, description: d, weight: 1, passFail: true, evaluator: { type: verifier, name: defence.self-praise } }\n',
);
// Files the run configurations name.
writeFileSync(join(dir, 'fake.gguf'), Buffer.from('GGUF\x03\x00\x00\x00', 'latin1'));
writeFileSync(join(dir, 'notes.txt'), 'notes');
writeFileSync(join(dir, 'html.gguf'), '<html>404</html>');
writeFileSync(join(dir, 'empty.gguf'), '');
writeFileSync(join(dir, 'empty-judge.yaml'), '');
mkdirSync(join(dir, 'empty-folder'));

const extension: Record<BadInput['surface'], string> = {
  rubric: 'yaml',
  'score-input': 'jsonl',
  'run-config': 'yaml',
  'judge-config': 'yaml',
};

/** The errors an input produced (none: it was accepted). */
function errorsOf(input: BadInput, file: string): unknown[] {
  const caught: unknown[] = [];
  try {
    switch (input.surface) {
      case 'rubric': {
        // What `anchorage rubrics validate <file>` does.
        const onError = (e: ValidationError) => caught.push(e);
        const corpus = loadCorpus([file], { onError });
        resolveAll({ corpus, verifiers: defaultVerifiers(), onError });
        break;
      }
      case 'score-input':
        prepareScoreJobs({ input: file });
        break;
      case 'run-config':
        validateConfig(file);
        break;
      case 'judge-config':
        loadJudgeConfig(file, { env: {} });
        break;
    }
  } catch (err) {
    caught.push(err);
  }
  return caught;
}

/** Why an input's errors are not clear, or undefined when they are. */
function unclear(input: BadInput, errors: readonly unknown[]): string | undefined {
  if (errors.length === 0) return 'accepted silently';
  for (const err of errors) {
    if (!(err instanceof ValidationError))
      return `not a ValidationError: ${String((err as Error)?.stack ?? err)}`;
    if (err.message.includes('\n')) return `more than one line: ${err.message}`;
    if (err.location.file === undefined) return `names no file: ${err.message}`;
  }
  const first = (errors[0] as Error).message;
  if (!input.where.test(first)) return `does not name ${input.where}: ${first}`;
  return undefined;
}

test('bad-input family: every generated bad input gets a clear, located error', (t) => {
  const previous = process.env['ANCHORAGE_RUBRICS'];
  process.env['ANCHORAGE_RUBRICS'] = corpusDir;
  try {
    const inputs = badInputs();
    const problems: string[] = [];
    const byKind = new Map<string, number>();
    for (const input of inputs) {
      const file = join(dir, `${input.name}.${extension[input.surface]}`);
      writeFileSync(file, input.content);
      const why = unclear(input, errorsOf(input, file));
      if (why !== undefined) problems.push(`${input.surface} ${input.name}: ${why}`);
      const key = `${input.surface}/${input.kind}`;
      byKind.set(key, (byKind.get(key) ?? 0) + 1);
    }
    const kinds = [...byKind].map(([k, n]) => `${k} ${n}`).join(', ');
    t.diagnostic(`bad inputs tried: ${inputs.length} (${kinds})`);
    t.diagnostic(`bad inputs with a clear error: ${inputs.length - problems.length} of ${inputs.length}`);
    assert.deepEqual(problems, [], `${problems.length} bad inputs without a clear error`);
    assert.ok(inputs.length >= 100, `the family has ${inputs.length} inputs`);
  } finally {
    if (previous === undefined) delete process.env['ANCHORAGE_RUBRICS'];
    else process.env['ANCHORAGE_RUBRICS'] = previous;
  }
});
