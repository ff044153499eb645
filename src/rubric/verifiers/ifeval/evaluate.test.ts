import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../../util/errors.ts';
import { compileIfevalPrompt, evaluateIfevalPrompt, IfevalPromptRecord } from './evaluate.ts';

const record = IfevalPromptRecord.parse({
  key: 1,
  prompt: 'Write two short sentences without commas, in lower case.',
  instruction_id_list: [
    'punctuation:no_comma',
    'change_case:english_lowercase',
    'length_constraints:number_sentences',
  ],
  kwargs: [{}, {}, { num_sentences: 2, relation: 'at least' }],
});

describe('evaluateIfevalPrompt', () => {
  it('returns one verdict per instruction, in order', () => {
    const response = 'the sun is up. the birds are singing.';
    assert.deepEqual(evaluateIfevalPrompt({ prompt: record, response, mode: 'strict' }), [true, true, true]);
    assert.deepEqual(
      evaluateIfevalPrompt({ prompt: record, response: 'The sun, the sky.', mode: 'strict' }),
      [false, false, false],
    );
  });

  it('accepts a compiled prompt and fails everything for a missing response', () => {
    const compiled = compileIfevalPrompt({ record });
    assert.deepEqual(evaluateIfevalPrompt({ prompt: compiled, response: null, mode: 'loose' }), [
      false,
      false,
      false,
    ]);
  });

  it('names the file, line and field of bad kwargs or unknown instruction ids', () => {
    const bad = { ...record, kwargs: [{}, {}, { num_sentences: -1, relation: 'at least' }] };
    assert.throws(
      () => compileIfevalPrompt({ record: bad, location: { file: 'prompts.jsonl', line: 7 } }),
      (err: unknown) =>
        err instanceof ValidationError &&
        /^prompts\.jsonl:7, field kwargs\[2\]\.num_sentences: /.test(err.message),
    );
    const unknown = {
      ...record,
      instruction_id_list: ['punctuation:no_comma', 'nope:x', 'punctuation:no_comma'],
    };
    assert.throws(
      () => compileIfevalPrompt({ record: unknown }),
      (err: unknown) =>
        err instanceof ValidationError &&
        /instruction_id_list\[1\].*unknown IFEval instruction 'nope:x'/.test(err.message),
    );
  });

  it('rejects records whose kwargs do not line up with the ids', () => {
    assert.equal(IfevalPromptRecord.safeParse({ ...record, kwargs: [{}] }).success, false);
  });
});
