import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countWords } from './nltk-text.ts';

// Expected counts printed by NLTK 3.10: len(RegexpTokenizer(r"\w+").tokenize(s)).
describe('countWords (NLTK word count)', () => {
  it('counts words with combining marks as one word', () => {
    assert.equal(countWords('हिन्दी भाषा'), 2);
    assert.equal(countWords('ಹೌದು, ಹ್ಯಾಂಬರ್ಗರ್ಗಳು ಸ್ಯಾಂಡ್ವಿಚ್ಗಳು.'), 3);
  });

  it('splits at punctuation, keeps underscores and joiners, skips symbols', () => {
    assert.equal(countWords("It's a well-known fact_1 ² 3.5"), 8);
    assert.equal(countWords('x\u200dy 😀 café'), 2);
    assert.equal(countWords(''), 0);
  });
});
