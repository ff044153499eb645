import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runAnchorage, SHARED_IFEVAL_DIR } from '../testing/cli-runner.ts';

const dataDir = SHARED_IFEVAL_DIR;
const work = mkdtempSync(join(tmpdir(), 'anchorage-eval-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));
const anchorage = (...args: string[]) => runAnchorage(work, ...args);

interface Label {
  prompt: string;
  strict: boolean[];
  loose: boolean[];
  reference_nondeterministic: boolean[];
}

describe('anchorage eval', () => {
  it('--suite ifeval --responses: the four numbers of the GPT-4 responses are the reference labels', () => {
    const r = anchorage(
      'eval',
      '--suite',
      'ifeval',
      '--prompts',
      join(dataDir, 'input_data_key2785_original_variant.jsonl'),
      '--responses',
      join(dataDir, 'input_response_data_gpt4_20231107_145030.jsonl'),
      '--out',
      'gpt4',
      '--json',
    );
    assert.equal(r.code, 0, r.stderr);
    const ours = JSON.parse(r.stdout) as Record<string, number>;
    const labels = new Map(
      readFileSync(join(dataDir, 'gpt4_reference_labels_541.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Label)
        .map((l) => [l.prompt, l]),
    );
    const rows = readFileSync(join(work, 'gpt4/results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { prompt: string; strict: boolean[]; loose: boolean[] });
    assert.equal(rows.length, 541);
    // The reference draws a random letter for two instructions (flagged in the labels): there the
    // label is one draw and cannot be reproduced; every other verdict must be the label's.
    const expected: Record<'strict' | 'loose', boolean[][]> = { strict: [], loose: [] };
    for (const row of rows) {
      const label = labels.get(row.prompt) as Label;
      for (const mode of ['strict', 'loose'] as const) {
        const verdicts = label[mode].map((v, i) => (label.reference_nondeterministic[i] ? row[mode][i]! : v));
        assert.deepEqual(row[mode], verdicts, `${mode}: ${row.prompt.slice(0, 60)}`);
        expected[mode].push(verdicts);
      }
    }
    const promptLevel = (rs: boolean[][]) => rs.filter((v) => v.every(Boolean)).length / rs.length;
    const instructionLevel = (rs: boolean[][]) => rs.flat().filter(Boolean).length / rs.flat().length;
    assert.equal(ours.prompts, 541);
    assert.equal(ours.promptStrict, promptLevel(expected.strict));
    assert.equal(ours.promptLoose, promptLevel(expected.loose));
    assert.equal(ours.instructionStrict, instructionLevel(expected.strict));
    assert.equal(ours.instructionLoose, instructionLevel(expected.loose));
  });

  it('an unknown suite and a missing checkpoint are named with what exists or was asked', () => {
    const unknown = anchorage('eval', '--suite', 'mmlu', '--out', 'x');
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /unknown evaluation suite 'mmlu'; known: ifeval/);
    const missing = anchorage(
      'eval',
      '--suite',
      'ifeval',
      '--out',
      'y',
      '--checkpoint',
      join(work, 'no-such-checkpoint'),
    );
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no-such-checkpoint/);
  });
});
