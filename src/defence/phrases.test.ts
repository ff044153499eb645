import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  correlation,
  groupCentred,
  groupPhrases,
  phraseFrequency,
  phrasesOf,
  phraseStats,
  tokenize,
} from './phrases.ts';

describe('phrases', () => {
  it('cuts words, numbers and single symbols, lower-cased', () => {
    assert.deepEqual(tokenize('Great question! 42 ^^x'), ['great', 'question', '!', '42', '^', '^', 'x']);
    assert.deepEqual([...phrasesOf('a b', 2)].sort(), ['a', 'a b', 'b']);
    // Punctuation alone is never a phrase.
    assert.equal(phrasesOf('a, b.', 1).has(','), false);
  });

  it('correlation: +1, -1, and 0 for a constant series', () => {
    assert.equal(correlation([0, 1, 0, 1], [1, 2, 1, 2]), 1);
    assert.equal(correlation([0, 1, 0, 1], [2, 1, 2, 1]), -1);
    assert.equal(correlation([1, 1, 1], [1, 2, 3]), 0);
  });

  it('centres rewards on their group, leaving unscorable ones out', () => {
    assert.deepEqual(
      groupCentred([
        { reward: 1, group: 0 },
        { reward: 0, group: 0 },
        { reward: null, group: 0 },
        { reward: 0.5, group: 1 },
      ]),
      [0.5, -0.5, null, 0],
    );
  });

  it('finds the planted phrase that carries the reward in every group', () => {
    const responses = [0, 1, 2].flatMap((group) => [
      { text: `the answer ${group} MAGIC WORD`, reward: 1, group },
      { text: `the answer ${group} plain`, reward: 0, group },
      { text: `another answer MAGIC WORD here`, reward: 1, group },
      { text: `another answer here`, reward: 0, group },
    ]);
    const stats = phraseStats({ responses, maxWords: 2, minSupport: 3 });
    const top = stats[0]!;
    assert.equal(top.correlation, 1);
    assert.ok(['magic', 'word', 'magic word'].includes(top.phrase));
    assert.equal(stats.find((s) => s.phrase === 'magic word')?.prompts, 3);
    assert.equal(stats.find((s) => s.phrase === 'answer')?.correlation, 0);
    const grouped = groupPhrases(stats.filter((s) => s.correlation > 0.5));
    assert.deepEqual(
      grouped.map((g) => g.phrase),
      ['magic'],
    );
    assert.equal(
      phraseFrequency({ texts: responses.map((r) => r.text), phrase: 'magic word', maxWords: 2 }),
      0.5,
    );
  });

  it('leaves out phrases seen in fewer than minSupport responses', () => {
    const stats = phraseStats({
      responses: [
        { text: 'rare', reward: 1, group: 0 },
        { text: 'common', reward: 0, group: 0 },
        { text: 'common', reward: 0, group: 1 },
      ],
      maxWords: 1,
      minSupport: 2,
    });
    assert.deepEqual(
      stats.map((s) => s.phrase),
      ['common'],
    );
  });
});
