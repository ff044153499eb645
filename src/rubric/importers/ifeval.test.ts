import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadCorpus } from '../corpus.ts';
import { resolveRubric } from '../resolve.ts';
import { evaluateIfevalPrompt } from '../verifiers/ifeval/evaluate.ts';
import { readIfevalPrompts } from '../verifiers/ifeval/results.ts';
import { defaultVerifiers } from '../verifiers/index.ts';
import {
  DEFAULT_IFEVAL_INPUT,
  DEFAULT_IFEVAL_OUTPUT,
  importIfevalRubrics,
  renderIfevalRubrics,
} from './ifeval.ts';

const work = mkdtempSync(join(tmpdir(), 'anchorage-ifeval-import-'));
after(() => rmSync(work, { recursive: true, force: true }));

const prompts = readIfevalPrompts(DEFAULT_IFEVAL_INPUT).map((p) => p.value);

describe('IFEval importer', () => {
  it('the committed rubrics/ifeval/instances.yaml is the generator output', () => {
    assert.equal(readFileSync(DEFAULT_IFEVAL_OUTPUT, 'utf8'), renderIfevalRubrics(prompts));
  });

  it('every rubric loads and resolves, with one verifier criterion per instruction', () => {
    const corpus = loadCorpus([DEFAULT_IFEVAL_OUTPUT]);
    assert.equal(corpus.size, 541);
    const verifiers = defaultVerifiers();
    const responses = ['A short answer, in English.', '"QUOTED ANSWER, ALL CAPS."'];
    for (const prompt of prompts) {
      const rubric = resolveRubric({ corpus, id: `ifeval/${prompt.key}`, verifiers });
      assert.equal(rubric.scope, 'instance');
      assert.deepEqual(rubric.tags, ['ifeval', 'eval-only']);
      assert.equal(rubric.prompt, prompt.prompt);
      assert.deepEqual(
        rubric.criteria.map((c) => (c.evaluator.type === 'verifier' ? c.evaluator.name : 'judge')),
        prompt.instructions.map((i) => `ifeval.${i.id}`),
      );
      // The rubric's parameters reach the verifiers intact: same verdicts as evaluating the record.
      for (const response of responses) {
        const fromRubric = rubric.criteria.map((c) => {
          if (c.evaluator.type !== 'verifier') throw new Error('verifier criteria only');
          const result = verifiers
            .get(c.evaluator.name)
            .verify({ prompt: prompt.prompt, response, params: c.evaluator.params });
          return 'score' in result && result.score === 1;
        });
        assert.deepEqual(
          fromRubric,
          evaluateIfevalPrompt({ prompt, response, mode: 'strict' }),
          `ifeval/${prompt.key}`,
        );
      }
    }
  });

  it('numbers repeated instructions apart and names bad input by file and line', () => {
    const input = join(work, 'prompts.jsonl');
    const twice = {
      key: 7,
      prompt: 'Two sentence limits.',
      instruction_id_list: ['length_constraints:number_sentences', 'length_constraints:number_sentences'],
      kwargs: [
        { num_sentences: 2, relation: 'at least' },
        { num_sentences: 5, relation: 'less than' },
      ],
    };
    writeFileSync(input, `${JSON.stringify(twice)}\n`);
    const output = join(work, 'out/instances.yaml');
    assert.deepEqual(importIfevalRubrics({ input, output }).rubrics, 1);
    const rubric = loadCorpus([output]).get('ifeval/7')!.value;
    assert.deepEqual(
      rubric.criteria.map((c) => [c.id, c.description]),
      [
        ['length_constraints.number_sentences', 'The response has at least 2 sentences.'],
        ['length_constraints.number_sentences-2', 'The response has less than 5 sentences.'],
      ],
    );

    writeFileSync(
      input,
      `${JSON.stringify(twice)}\n${JSON.stringify({ ...twice, key: 8, kwargs: [{}, {}] })}\n`,
    );
    assert.throws(
      () => importIfevalRubrics({ input, output }),
      /prompts\.jsonl:2, field kwargs\[0\]\.num_sentences: /,
    );
  });
});
