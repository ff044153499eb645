import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { MetricsRecord } from '../../train/metrics.ts';
import { printSuiteTable } from './suite-table.ts';

const record = (
  step: number,
  purpose: 'train' | 'eval',
  metrics: Record<string, number>,
  failures?: MetricsRecord['failures'],
) =>
  ({ step, purpose, metrics, ...(failures === undefined ? {} : { failures }) }) as unknown as MetricsRecord;

const printed = (lines: MetricsRecord[]) => {
  const out: string[] = [];
  printSuiteTable({ lines, print: (line) => out.push(line) });
  return out;
};

it("prints each evaluation's suite numbers, one line per suite, and a failed suite with its reason", () => {
  const out = printed([
    record(0, 'eval', { 'eval/reward/mean': 0.2 }),
    record(1, 'train', { 'reward/mean': 0.3 }),
    record(
      80,
      'eval',
      {
        'eval/reward/mean': 0.5,
        'eval/ifeval/promptLoose': 0.2264325323,
        'eval/ifeval/prompts': 541,
        'eval/perplexity/perplexity': 46.4123,
      },
      [{ what: 'eval/style', type: 'ValidationError', message: 'prompt file not found: x.jsonl' }],
    ),
  ]);
  assert.deepEqual(out, [
    'evaluation suites:',
    '  80  ifeval      promptLoose 0.2264 · prompts 541',
    '  80  perplexity  perplexity 46.41',
    '  80  style       failed: ValidationError: prompt file not found: x.jsonl',
  ]);
});

it('prints nothing when no evaluation ran a suite', () => {
  assert.deepEqual(printed([record(0, 'eval', { 'eval/reward/mean': 0.2 })]), []);
});
