import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseRunConfig } from '../config/load.ts';
import { suiteNames } from './suites.ts';
import { checkEvaluationSuites, evaluationSuitesAt } from './run-suites.ts';

const dir = mkdtempSync(join(tmpdir(), 'anchorage-eval-suites-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'run.yaml');
const parse = (text: string) => parseRunConfig({ text, file, env: { ANCHORAGE_DATA_DIR: dir } });

describe('evaluation.suites in a run configuration', () => {
  it('names registered suites, with optional limit, token limit and prompt file (resolved beside the config)', () => {
    writeFileSync(join(dir, 'short.jsonl'), '');
    const loaded = parse(
      'evaluation:\n  every: 2\n  suites:\n    - name: ifeval\n      limit: 50\n      maxNewTokens: 256\n      prompts: short.jsonl\n',
    );
    assert.deepEqual(loaded.config.evaluation.suites, [
      { name: 'ifeval', limit: 50, maxNewTokens: 256, prompts: join(dir, 'short.jsonl'), at: 'every' },
    ]);
    assert.deepEqual(checkEvaluationSuites(loaded), ['ifeval']);
    assert.equal(evaluationSuitesAt(loaded), undefined, 'every suite at every evaluation');
    assert.deepEqual(parse('name: x\n').config.evaluation.suites, [], 'none by default');
  });

  it('`at` picks the evaluations a suite runs at; the workflow is given those not at every one', () => {
    const loaded = parse(
      'evaluation:\n  every: 10\n  suites:\n    - name: ifeval\n      at: last\n    - name: style\n      at: ends\n    - name: perplexity\n',
    );
    assert.deepEqual(checkEvaluationSuites(loaded), ['ifeval', 'style', 'perplexity']);
    assert.deepEqual(evaluationSuitesAt(loaded), { ifeval: 'last', style: 'ends' });
    assert.throws(
      () => parse('evaluation:\n  suites:\n    - name: ifeval\n      at: first\n'),
      /run\.yaml:4, field evaluation\.suites\[0\]\.at: .*"every"\|"last"\|"ends"/,
    );
    assert.throws(
      () => parse('evaluation:\n  every: 0\n  suites:\n    - name: ifeval\n      at: last\n'),
      /field evaluation\.suites\[0\]\.at: expected 'every' while evaluation\.every is 0/,
    );
  });

  it('an unknown suite fails naming the field and listing the known suites', () => {
    const loaded = parse('evaluation:\n  suites:\n    - name: ifeval\n    - name: mmlu\n');
    assert.throws(
      () => checkEvaluationSuites(loaded),
      new RegExp(
        `run\\.yaml:4, field evaluation\\.suites\\[1\\]\\.name: unknown evaluation suite 'mmlu'; known: ${suiteNames().sort().join(', ')}`,
      ),
    );
  });

  it('a missing prompt file, a repeated suite and bad settings fail with their field', () => {
    assert.throws(
      () =>
        checkEvaluationSuites(
          parse('evaluation:\n  suites:\n    - name: ifeval\n      prompts: gone.jsonl\n'),
        ),
      /run\.yaml:4, field evaluation\.suites\[0\]\.prompts: prompt file not found: .*gone\.jsonl/,
    );
    assert.throws(
      () => parse('evaluation:\n  suites:\n    - name: ifeval\n    - name: ifeval\n      limit: 2\n'),
      /run\.yaml:4, field evaluation\.suites\[1\]\.name: expected a suite not listed already \(evaluation\.suites\[0\] is 'ifeval'\)/,
    );
    assert.throws(
      () => parse('evaluation:\n  suites:\n    - name: ifeval\n      limit: 0\n'),
      /run\.yaml:4, field evaluation\.suites\[0\]\.limit: expected number to be >0/,
    );
    assert.throws(
      () => parse('evaluation:\n  suites:\n    - name: ifeval\n      temperature: 1\n'),
      /field evaluation\.suites\[0\]/,
    );
  });

  it('a setting of the other kind of suite fails with its field: a token limit for perplexity, a chunk length for ifeval', () => {
    assert.throws(
      () =>
        checkEvaluationSuites(
          parse('evaluation:\n  suites:\n    - name: perplexity\n      maxNewTokens: 8\n'),
        ),
      /run\.yaml:4, field evaluation\.suites\[0\]\.maxNewTokens: suite 'perplexity' scores the log-probs of fixed texts and generates nothing/,
    );
    assert.throws(
      () =>
        checkEvaluationSuites(parse('evaluation:\n  suites:\n    - name: ifeval\n      chunkTokens: 64\n')),
      /run\.yaml:4, field evaluation\.suites\[0\]\.chunkTokens: suite 'ifeval' generates answers/,
    );
    assert.deepEqual(
      checkEvaluationSuites(
        parse('evaluation:\n  suites:\n    - name: perplexity\n      chunkTokens: 256\n'),
      ),
      ['perplexity'],
    );
  });
});
