import assert from 'node:assert/strict';
import { test } from 'node:test';
import { regex } from './regex.ts';

const run = (response: string, p: Record<string, unknown>) => {
  const r = regex.verify({ prompt: '', response, params: regex.params.parse(p) });
  assert.ok('score' in r);
  return r;
};

test('must match, with flags', () => {
  assert.equal(run('Hello World', { pattern: '^hello', flags: 'i' }).score, 1);
  assert.equal(run('Hello World', { pattern: '^hello' }).score, 0);
  assert.equal(run('a\nb', { pattern: '^b$', flags: 'm' }).score, 1);
});

test('must not match quotes the offending span', () => {
  const r = run('Sure! As an AI, I cannot.', { pattern: 'as an ai', flags: 'i', must: 'no-match' });
  assert.equal(r.score, 0);
  assert.equal(r.reason, 'matches /as an ai/i at 6: "As an AI"');
  assert.equal(run('Plain answer.', { pattern: 'as an ai', flags: 'i', must: 'no-match' }).score, 1);
});

test('match counts between minCount and maxCount', () => {
  const p = { pattern: '\\bcat\\b', minCount: 2, maxCount: 3 };
  assert.equal(run('cat', p).score, 0);
  assert.equal(run('cat cat', p).score, 1);
  const many = run('cat cat cat cat', p);
  assert.equal(many.score, 0);
  assert.match(many.reason, /^4 matches .* \(wanted 2\.\.3\)/);
  assert.equal(run('xyz', { pattern: '(?:)', minCount: 1 }).score, 1, 'an empty match counts and stops');
  const atMost = { pattern: 'in conclusion', flags: 'i', minCount: 0, maxCount: 1 };
  assert.equal(run('No filler.', atMost).score, 1);
  assert.equal(run('In conclusion, in conclusion.', atMost).score, 0);
});

test('params: an invalid pattern or flag fails at load with the field', () => {
  const bad = (p: Record<string, unknown>) => {
    const r = regex.params.safeParse(p);
    assert.ok(!r.success);
    return { path: r.error.issues[0]!.path.join('.'), message: r.error.issues[0]!.message };
  };
  const invalid = bad({ pattern: '(unclosed' });
  assert.equal(invalid.path, 'pattern');
  assert.match(invalid.message, /^a valid regular expression \(Invalid regular expression/);
  assert.equal(bad({ pattern: 'x', flags: 'g' }).path, 'flags');
  assert.equal(bad({ pattern: 'x', flags: 'ii' }).path, 'flags');
  assert.equal(bad({ pattern: 'x', must: 'no-match', minCount: 2 }).path, 'must');
  assert.equal(bad({ pattern: 'x', minCount: 3, maxCount: 2 }).path, 'maxCount');
});
