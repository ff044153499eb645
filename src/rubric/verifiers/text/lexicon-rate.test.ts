import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lexiconRate } from './lexicon-rate.ts';

const params = (p: Record<string, unknown>) => lexiconRate.params.parse(p);
const filler = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');

test('rate per 1,000 words: 1 at or below the threshold, linear to 0 at the ceiling', () => {
  const p = params({ lexicon: 'assistant-phrases', threshold: 10, ceiling: 30, minWords: 10 });
  // 2 hits in 100 words = 20 per 1,000: halfway between threshold and ceiling.
  const text = `We delve into a rich tapestry here. ${filler(93)}`;
  const r = lexiconRate.verify({ prompt: '', response: text, params: p });
  assert.ok('score' in r);
  assert.equal(r.score, 0.5);
  assert.match(
    r.reason,
    /^20 hits per 1,000 words \(2 in 100 words; threshold 10, ceiling 30\): "a rich tapestry", "delve"$/,
  );

  const clean = lexiconRate.verify({ prompt: '', response: filler(100), params: p });
  assert.ok('score' in clean);
  assert.equal(clean.score, 1);
});

test('pass-fail scoring needs no ceiling', () => {
  const p = params({ lexicon: ['assistant-phrases'], threshold: 5, scoring: 'pass-fail', minWords: 1 });
  const r = lexiconRate.verify({ prompt: '', response: `delve ${filler(99)}`, params: p });
  assert.ok('score' in r);
  assert.equal(r.score, 0, '10 per 1,000 is above 5');
  const ok = lexiconRate.verify({ prompt: '', response: `delve ${filler(299)}`, params: p });
  assert.ok('score' in ok);
  assert.equal(ok.score, 1, '3.3 per 1,000 is below 5');
});

test('stopword-free trigrams of slop-score match real sentences', () => {
  const p = params({ lexicon: 'slop-score-trigrams', threshold: 0, scoring: 'pass-fail', minWords: 1 });
  const r = lexiconRate.verify({
    prompt: '',
    response: 'Her voice was barely a whisper as the sun dipped below the horizon.',
    params: p,
  });
  assert.ok('score' in r);
  assert.equal(r.score, 0);
  assert.match(r.reason, /"voice barely whisper"/);
  assert.match(r.reason, /"sun dipped horizon"/);
});

test('exclude spares n-grams that human writing uses as often', () => {
  const base = { lexicon: 'slop-score-trigrams', threshold: 0, scoring: 'pass-fail', minWords: 1 };
  const text = 'He took a deep breath.';
  const without = lexiconRate.verify({ prompt: '', response: text, params: params(base) });
  const withExclude = lexiconRate.verify({
    prompt: '',
    response: text,
    params: params({ ...base, exclude: ['human-ngrams'] }),
  });
  assert.ok('score' in without && 'score' in withExclude);
  assert.equal(without.score, 0);
  assert.equal(withExclude.score, 1);
});

test('short and CJK responses are unscorable, not 0', () => {
  const p = params({ lexicon: 'assistant-phrases', threshold: 5, ceiling: 20 });
  const short = lexiconRate.verify({ prompt: '', response: 'Too short to judge.', params: p });
  assert.ok('unscorable' in short);
  assert.match(short.reason, /4 words, fewer than the 50/);
  const zh = lexiconRate.verify({ prompt: '', response: '这是一个很长的中文回答。'.repeat(20), params: p });
  assert.ok('unscorable' in zh);
  assert.match(zh.reason, /CJK/);
});

test('params: unknown lexicon, missing ceiling and ceiling below threshold are rejected with the field', () => {
  const bad = (p: Record<string, unknown>) => {
    const r = lexiconRate.params.safeParse(p);
    assert.ok(!r.success);
    return { path: r.error.issues[0]!.path.join('.'), message: r.error.issues[0]!.message };
  };
  const unknown = bad({ lexicon: 'nope', threshold: 1, ceiling: 2 });
  assert.equal(unknown.path, 'lexicon');
  assert.match(unknown.message, /a lexicon in rubrics\/lexicons\/ \(got 'nope'; known: .*antislop-words/);
  assert.equal(bad({ lexicon: ['antislop-words', 'nope'], threshold: 1, ceiling: 2 }).path, 'lexicon.1');
  assert.equal(bad({ lexicon: 'antislop-words', threshold: 1 }).path, 'ceiling');
  assert.match(bad({ lexicon: 'antislop-words', threshold: 5, ceiling: 5 }).message, /above the threshold/);
  assert.equal(bad({ lexicon: 'antislop-words', threshold: 1, ceiling: 2, extra: 1 }).path, '');
});
