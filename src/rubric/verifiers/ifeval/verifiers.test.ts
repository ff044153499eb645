import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultVerifiers } from '../index.ts';
import { IFEVAL_INSTRUCTIONS } from './index.ts';

const registry = defaultVerifiers();
const verifier = (id: string) => registry.get(`ifeval.${id}`);

describe('ifeval verifiers', () => {
  it('registers one verifier per instruction id', () => {
    const names = registry.names().filter((n) => n.startsWith('ifeval.'));
    assert.deepEqual(names, IFEVAL_INSTRUCTIONS.map((i) => `ifeval.${i.id}`).sort());
    assert.equal(names.length, 25);
  });

  it('takes the IFEval kwargs plus a mode that defaults to strict', () => {
    const v = verifier('length_constraints:number_words');
    assert.deepEqual(v.params.parse({ num_words: 10, relation: 'at least' }), {
      num_words: 10,
      relation: 'at least',
      mode: 'strict',
    });
    // The Hugging Face copy of IFEval lists every argument name, null where unused.
    assert.equal(
      v.params.safeParse({ num_words: 10, relation: 'at least', keywords: null, mode: 'loose' }).success,
      true,
    );
  });

  it('rejects bad parameters naming the field', () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['length_constraints:number_words', { num_words: 10, relation: 'at most' }, 'relation'],
      [
        'length_constraints:number_words',
        { num_words: 10, relation: 'at least', keywords: ['x'] },
        'keywords',
      ],
      ['length_constraints:number_words', { relation: 'at least' }, 'num_words'],
      ['length_constraints:number_words', { num_words: 10, relation: 'at least', mode: 'lenient' }, 'mode'],
      ['language:response_language', { language: 'zh' }, 'language'],
      [
        'length_constraints:nth_paragraph_first_word',
        { num_paragraphs: 2, nth_paragraph: 3, first_word: 'a' },
        'nth_paragraph',
      ],
      ['keywords:letter_frequency', { letter: 'ab', let_frequency: 1, let_relation: 'at least' }, 'letter'],
    ];
    for (const [id, params, field] of cases) {
      const result = verifier(id).params.safeParse(params);
      assert.equal(result.success, false, `${id} ${JSON.stringify(params)}`);
      assert.deepEqual(result.error!.issues[0]!.path, [field]);
    }
  });

  it('scores 1 when followed and 0 when not, in the mode asked for', () => {
    const v = verifier('startend:quotation');
    const run = (response: unknown, mode: string) =>
      v.verify({ prompt: 'p', response: response as string, params: v.params.parse({ mode }) });
    assert.deepEqual(run('"quoted"', 'strict'), {
      score: 1,
      reason: 'ifeval.startend:quotation (strict): followed',
    });
    assert.equal((run('**"quoted"**', 'strict') as { score: number }).score, 0);
    assert.equal((run('**"quoted"**', 'loose') as { score: number }).score, 1);
    assert.equal((run(null, 'loose') as { score: number }).score, 0);
    assert.equal((run(17, 'strict') as { score: number }).score, 0);
  });
});
