import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { RubricCorpus } from './corpus.ts';
import { evaluateResponse, isVerifierOnly } from './evaluate.ts';
import { resolveRubric } from './resolve.ts';
import { RubricFile } from './schema.ts';
import { VerifierRegistry } from './verifiers/registry.ts';
import { defineVerifier } from './verifiers/types.ts';

// A tiny verifier family defined here so the test exercises the evaluation plumbing on its own.
const verifiers = new VerifierRegistry().registerAll([
  defineVerifier({
    name: 'test.word-fraction',
    description: 'fraction of the required words present',
    params: z.strictObject({ words: z.array(z.string()).min(1) }),
    verify: ({ response, params }) => {
      const found = params.words.filter((w) => response.includes(w));
      return { score: found.length / params.words.length, reason: `found ${found.join(', ') || 'none'}` };
    },
  }),
  defineVerifier({
    name: 'test.throws',
    description: 'always fails with an exception',
    params: z.strictObject({}),
    verify: () => {
      throw new Error('boom');
    },
  }),
  defineVerifier({
    name: 'test.not-applicable',
    description: 'never applies',
    params: z.strictObject({}),
    verify: () => ({ unscorable: true, reason: 'not applicable here' }),
  }),
]);

function corpusOf(...docs: unknown[]): RubricCorpus {
  const corpus = new RubricCorpus();
  docs.forEach((doc, i) => {
    corpus.add({ value: RubricFile.parse(doc), file: 'inline.yaml', line: 1 + i, index: i });
  });
  return corpus;
}

const rubricDoc = {
  id: 'demo',
  version: 1,
  title: 'demo',
  scope: 'task',
  criteria: [
    {
      id: 'words',
      description: 'mentions the words',
      weight: 2,
      tiers: [0, 1, 2, 3, 4].map((score) => ({ score, label: `t${score}` })),
      evaluator: { type: 'verifier', name: 'test.word-fraction', params: { words: ['a', 'b', 'c', 'd'] } },
    },
    { id: 'broken', description: 'x', weight: 1, passFail: true, evaluator: { type: 'verifier', name: 'test.throws' } },
    { id: 'na', description: 'x', weight: 1, passFail: true, evaluator: { type: 'verifier', name: 'test.not-applicable' } },
    { id: 'taste', description: 'is it tasteful', weight: 1, passFail: true, evaluator: { type: 'judge' } },
  ],
};

test('verifier scores land on tiers; errors and non-applicable checks are unscorable, not 0', async () => {
  const rubric = resolveRubric({ corpus: corpusOf(rubricDoc), id: 'demo', verifiers });
  assert.equal(isVerifierOnly(rubric), false);
  const verdicts = await evaluateResponse({ rubric, prompt: 'p', response: 'a b c', verifiers });
  assert.deepEqual(
    verdicts.map((v) => [v.criterionId, v.status]),
    [
      ['words', 'scored'],
      ['broken', 'unscorable'],
      ['na', 'unscorable'],
      ['taste', 'unscorable'],
    ],
  );
  const words = verdicts[0]!;
  assert.ok(words.status === 'scored');
  assert.equal(words.tierScore, 3);
  assert.equal(words.tierLabel, 't3');
  assert.match(verdicts[1]!.reason, /boom/);
  assert.equal(verdicts[2]!.reason, 'not applicable here');
  assert.equal(verdicts[3]!.reason, 'no judge configured');
});

test('bad verifier parameters fail when the rubric is resolved, naming the field', () => {
  const bad = structuredClone(rubricDoc);
  (bad.criteria[0]!.evaluator as { params: unknown }).params = { words: [] };
  assert.throws(
    () => resolveRubric({ corpus: corpusOf(bad), id: 'demo', verifiers }),
    /inline\.yaml:1.*criteria\[0\]\.evaluator\.params\.words/,
  );
});
