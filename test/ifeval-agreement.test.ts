import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import {
  compileIfevalPrompt,
  evaluateIfevalPrompt,
  type IfevalMode,
  IfevalPromptRecord,
} from '../src/rubric/verifiers/ifeval/index.ts';

/**
 * Agreement with the reference checker: our strict and loose verdicts on the 541 GPT-4 responses
 * of the IFEval paper against the labels the unmodified reference implementation gives them
 * (`gpt4_reference_labels_541.jsonl`). The two instructions where the reference draws a random
 * letter are flagged `reference_nondeterministic` in the labels and left out.
 */

const repoRoot = resolve(import.meta.dirname, '..');
const dataDir = resolve(repoRoot, '../shared/data/ifeval');

function readJsonl<T>(name: string): T[] {
  return readFileSync(resolve(dataDir, name), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

interface Label {
  key: number;
  prompt: string;
  instruction_id_list: string[];
  strict: boolean[];
  loose: boolean[];
  reference_nondeterministic: boolean[];
}

// The GPT-4 responses answer the older wording of key 2785, kept in this variant of the prompt file.
const prompts = readJsonl<unknown>('input_data_key2785_original_variant.jsonl').map((raw) =>
  compileIfevalPrompt({ record: IfevalPromptRecord.parse(raw) }),
);
const responses = new Map(
  readJsonl<{ prompt: string; response: unknown }>('input_response_data_gpt4_20231107_145030.jsonl').map(
    (r) => [r.prompt, r.response],
  ),
);
const labels = new Map(readJsonl<Label>('gpt4_reference_labels_541.jsonl').map((l) => [l.key, l]));

interface Tally {
  total: number;
  agree: number;
}

function agreement(mode: IfevalMode, t: TestContext): number {
  const perId = new Map<string, Tally>();
  const disagreements: string[] = [];
  let total = 0;
  let agree = 0;
  for (const prompt of prompts) {
    const label = labels.get(prompt.key!);
    assert.ok(label !== undefined, `a reference label for key ${prompt.key}`);
    assert.ok(responses.has(prompt.prompt), `a response to key ${prompt.key}`);
    const ours = evaluateIfevalPrompt({ prompt, response: responses.get(prompt.prompt), mode });
    ours.forEach((verdict, i) => {
      if (label.reference_nondeterministic[i]) return;
      const id = prompt.instructions[i]!.id;
      const tally = perId.get(id) ?? { total: 0, agree: 0 };
      perId.set(id, tally);
      tally.total++;
      total++;
      if (verdict === label[mode][i]) {
        tally.agree++;
        agree++;
      } else {
        disagreements.push(`key ${prompt.key} ${id}: ours ${verdict}, reference ${label[mode][i]}`);
      }
    });
  }
  const rate = agree / total;
  t.diagnostic(`${mode}: ${agree}/${total} instructions agree (${(100 * rate).toFixed(2)}%)`);
  for (const [id, tally] of [...perId.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    t.diagnostic(`  ${id.padEnd(46)} ${tally.agree}/${tally.total}`);
  }
  for (const d of disagreements) t.diagnostic(`  disagreement: ${d}`);
  assert.equal(perId.size, 25, 'every instruction id is exercised');
  return rate;
}

describe('IFEval agreement with the reference labels (GPT-4 responses)', () => {
  it('covers the 541 prompts and their responses', () => {
    assert.equal(prompts.length, 541);
    assert.equal(labels.size, 541);
  });

  it('strict verdicts agree on at least 99.5% of instructions', (t) => {
    assert.ok(agreement('strict', t) >= 0.995);
  });

  it('loose verdicts agree on at least 99.5% of instructions', (t) => {
    assert.ok(agreement('loose', t) >= 0.995);
  });
});
