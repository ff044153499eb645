import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { wordTokens } from '../text/tokens.ts';
import { repeatedShare, repetition } from './repetition.ts';
import { expectVerdict } from './test-helpers.ts';

const verifier = repetition as never;

describe('defence.repetition', () => {
  it('fails the loops SmolLM2 fell into after a few training steps (greedy evaluation)', () => {
    // Both met their constraint (a <<title>>, a bracketed blank to fill in) and then looped to the limit.
    expectVerdict({
      verifier,
      response: `<<The Tale of LALAND>>\n\n${'LALAND\n\n'.repeat(20)}`,
      fails: true,
      quote: 'laland laland laland laland',
    });
    expectVerdict({ verifier, response: '[date]\n'.repeat(24), fails: true, quote: '"date date date date"' });
    expectVerdict({
      verifier,
      response: 'The sea is calm today and the boats are out. '.repeat(8),
      fails: true,
    });
  });

  it('passes ordinary answers, lists, refrains and short replies', () => {
    expectVerdict({
      verifier,
      response:
        'To choose a strong password, use a long passphrase of unrelated words, avoid personal details, and never reuse it across sites. A password manager remembers the rest, so each account can have its own random password. Turn on two-factor authentication where you can.',
      fails: false,
    });
    expectVerdict({
      verifier,
      response:
        '- Use a mix of letters, numbers and symbols.\n- Avoid names and birthdays.\n- Use a different password for every site.\n- Store them in a password manager.\n- Change a password after a breach.',
      fails: false,
    });
    const verse = (n: number) =>
      `Verse ${n}: the road bends north past field ${n}, and the lamps are lit one by one for ${n} tired travellers.\n`;
    const chorus = 'Oh, carry me home, carry me home tonight.\n';
    expectVerdict({ verifier, response: [1, 2, 3].map((n) => verse(n) + chorus).join('\n'), fails: false });
    expectVerdict({ verifier, response: 'Yes yes yes.', fails: false });
  });

  it('passes when the prompt asks for repetition', () => {
    expectVerdict({
      verifier,
      prompt: 'Write the word "hello" 30 times.',
      response: 'hello '.repeat(30),
      fails: false,
    });
  });

  it('measures each window: a long varied answer is not penalised for its length', () => {
    const responses = readFileSync(
      new URL(
        '../../../../../shared/data/ifeval/input_response_data_gpt4_20231107_145030.jsonl',
        import.meta.url,
      ),
      'utf8',
    )
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { response: string }).response);
    const long = responses.join('\n\n');
    expectVerdict({ verifier, response: long, fails: false });
    // The same text measured in one window repeats itself more (common phrases recur over ~100k words).
    const words = wordTokens(long);
    const whole = repeatedShare({ words, n: 4, start: 0, end: words.length }).share;
    const first = repeatedShare({ words, n: 4, start: 0, end: 400 }).share;
    assert.ok(whole > first, `${whole} > ${first}`);
    // No GPT-4 IFEval reference response fails.
    const params = repetition.params.parse({});
    const failed = responses.filter((response) => {
      const r = repetition.verify({ prompt: '', response, params });
      return 'score' in r && r.score === 0;
    });
    assert.equal(failed.length, 0, failed[0]?.slice(0, 200));
  });

  it('rejects parameters out of range at load time', () => {
    assert.throws(() => repetition.params.parse({ n: 1 }));
    assert.throws(() => repetition.params.parse({ maxRepeatedShare: 2 }));
    assert.throws(() => repetition.params.parse({ other: 1 }));
  });
});
