import assert from 'node:assert/strict';
import { test } from 'node:test';
import { measureText, per1kWords, pooledRates } from './style-measures.ts';
import { BASELINE_MEASURES, styleMeasures } from './style-suite.ts';

// Two fixed texts. Hits were counted by hand against the lexicon files (grep of each word and
// n-gram), not by the matcher under test:
//   T1, 16 words: slop-score-words: elara, gaze, delve, tapestry, whisper (5);
//     assistant-phrases: delve, tapestry (2); antislop-curated: elara, delve, tapestry,
//     "barely a whisper" (4, the longest entry taking "whisper"); slop-score-trigrams over the
//     content words (elara let gaze delve tapestry stars voice barely whisper): "voice barely
//     whisper" (1), which is not in human-ngrams, so the rubric's trigram criterion counts it too.
//     All lists together: elara, gaze, delve, tapestry, "barely a whisper" + the trigram = 6.
//   T2, 6 words: no hit in any list.
const T1 = 'Elara let her gaze delve into the tapestry of stars. Her voice was barely a whisper.';
const T2 = 'The cat sat on the mat.';

test('the style measures are the human-tone rubric criteria, counted on fixed texts as by hand', () => {
  const { all, own } = styleMeasures();
  assert.deepEqual(
    own.map((m) => m.id),
    ['tone.slop-words', 'tone.slop-trigrams', 'tone.assistant-phrases', 'tone.curated-slop'],
  );
  assert.deepEqual(own[1]!.exclude, ['human-ngrams']);
  const measures = [all, ...own, ...BASELINE_MEASURES];
  const t1 = measureText({ text: T1, measures });
  assert.equal(t1.words, 16);
  assert.deepEqual(t1.hits, {
    all: 6,
    'tone.slop-words': 5,
    'tone.slop-trigrams': 1,
    'tone.assistant-phrases': 2,
    'tone.curated-slop': 4,
    'slop-score-words': 5,
    'slop-score-trigrams': 1,
  });
  const t2 = measureText({ text: T2, measures });
  assert.equal(t2.words, 6);
  assert.ok(Object.values(t2.hits).every((n) => n === 0));

  // Per text: hits * 1000 / words. Pooled: all hits over all 22 words.
  assert.equal(per1kWords({ hits: t1.hits['all']!, words: t1.words }), 375);
  assert.equal(per1kWords({ hits: 1, words: 0 }), null);
  const pooled = pooledRates({ texts: [t1, t2], measures });
  const close = (a: number | null | undefined, b: number) =>
    assert.ok(a !== null && a !== undefined && Math.abs(a - b) < 1e-9, `${a} != ${b}`);
  close(pooled['all'], 6000 / 22);
  close(pooled['tone.slop-words'], 5000 / 22);
  close(pooled['tone.assistant-phrases'], 2000 / 22);
  close(pooled['tone.curated-slop'], 4000 / 22);
  close(pooled['slop-score-trigrams'], 1000 / 22);
  assert.equal(pooledRates({ texts: [], measures })['all'], null);
});
