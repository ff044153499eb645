import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRubrics, RubricCorpus } from './corpus.ts';
import { resolveAll } from './resolve.ts';
import { corpusStats } from './stats.ts';
import { defaultVerifiers } from './verifiers/index.ts';

const verifierCriterion = (id: string, name: string, extra = '') =>
  `  - { id: ${id}, description: d, weight: 1, passFail: true, ${extra}evaluator: { type: verifier, name: ${name} } }\n`;
const judgeCriterion = (id: string) =>
  `  - { id: ${id}, description: d, weight: 1, passFail: true, evaluator: { type: judge } }\n`;

test('counts by scope, tag, kind and evaluator family, and criteria per resolved rubric', () => {
  const text = [
    `id: base\nversion: 1\ntitle: B\nscope: dataset\ntags: [defence, rules]\ncriteria:\n${verifierCriterion('q', 'defence.question-praise', 'kind: veto, vetoThreshold: 0.5, ')}${verifierCriterion('s', 'defence.self-praise', 'kind: veto, vetoThreshold: 0.5, ')}`,
    `id: a\nversion: 1\ntitle: A\nscope: instance\ntags: [defence]\ninclude: [base]\ncriteria:\n${judgeCriterion('j1')}${judgeCriterion('j2')}${judgeCriterion('j3')}`,
    `id: c\nversion: 1\ntitle: C\nscope: instance\ncriteria:\n${verifierCriterion('f', 'text.format', '')}`.replace(
      'name: text.format }',
      'name: text.format, params: { require: [json] } }',
    ),
  ].join('---\n');
  const corpus = new RubricCorpus();
  for (const r of parseRubrics({ file: 's.yaml', text })) corpus.add(r);
  const stats = corpusStats({
    rubrics: corpus.all(),
    resolved: resolveAll({ corpus, verifiers: defaultVerifiers() }),
  });
  assert.equal(stats.rubrics, 3);
  assert.equal(stats.files, 1);
  assert.deepEqual(stats.byScope, { dataset: 1, instance: 2 });
  assert.deepEqual(stats.byTag, [
    { tag: 'defence', rubrics: 2 },
    { tag: 'rules', rubrics: 1 },
  ]);
  assert.equal(stats.criteriaWritten, 6);
  assert.deepEqual(stats.byKind, { score: 4, veto: 2 });
  assert.equal(stats.evaluators.judge, 3);
  assert.equal(stats.evaluators.verifier, 3);
  assert.deepEqual(stats.evaluators.families, [
    {
      family: 'defence',
      criteria: 2,
      names: [
        { name: 'defence.question-praise', criteria: 1 },
        { name: 'defence.self-praise', criteria: 1 },
      ],
    },
    { family: 'text', criteria: 1, names: [{ name: 'text.format', criteria: 1 }] },
  ]);
  // Resolved sizes: a = 3 + 2 included, base = 2, c = 1.
  assert.deepEqual(stats.criteriaPerRubric, { min: 1, median: 2, mean: 2.67, max: 5 });
  assert.equal(stats.verifierOnly, 2);
});

test('an empty corpus gives zeros, not NaN', () => {
  const stats = corpusStats({ rubrics: [], resolved: [] });
  assert.deepEqual(stats.criteriaPerRubric, { min: 0, median: 0, mean: 0, max: 0 });
});
